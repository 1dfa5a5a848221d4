// The identity of a piece of content (an image file, a video frame): duplicate samples and already
// imported files are recognised by it, whatever their file names.
import { createHash } from 'node:crypto';

/** SHA-256 of the bytes, lowercase hex. */
export function contentHash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
