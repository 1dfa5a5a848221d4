// Turns a file or buffer into packed 8-bit sRGB, whatever the container: every later stage (detection,
// alignment, embedding) then deals with one pixel format only.
import { availableParallelism } from 'node:os';
import { readFile, stat } from 'node:fs/promises';
import sharp, { type Metadata } from 'sharp';
import { VisageError } from '../../errors.js';
import type { RgbImage } from '../types.js';

/** Default pixel limit (width × height): about a 8700×5800 photo, 150 MB of RGB once decoded. */
export const MAX_PIXELS = 50e6;

/** File endings taken for photos when a folder is given (what libvips here decodes; HEIC when built in). */
export const PHOTO_EXTENSIONS: ReadonlySet<string> = new Set([
  '.jpg',
  '.jpeg',
  '.png',
  '.webp',
  '.gif',
  '.tif',
  '.tiff',
  '.avif',
  '.heic',
  '.bmp',
]);

// sharp runs libvips on one thread on glibc Linux (to limit allocator fragmentation); decoding is the
// largest single step for a photo (bbt1.jpg: 15.6 ms on 1 thread, 8.8 ms on 2), so use the cores.
// Memory (issue 11, item 9): each libvips worker thread allocates from its own glibc arena, which keeps
// freed pages. Concurrency 1 left ~65 MiB less resident after `npm run bench:load`'s quiet minute but
// cost decode time, so it stays at the core count and the arenas are bounded where the server starts
// instead (MALLOC_ARENA_MAX=2 in `npm start`; figures in bin/visage.js: 398-475 -> 277-347 MiB, decode
// speed unchanged).
sharp.concurrency(availableParallelism());
// libvips caches recent operations (up to 50 MB) in case the same input comes again; every photo here is
// decoded once, so the cache only holds memory a long-running server never gets back.
sharp.cache(false);

export interface DecodeOptions {
  /** Refuse images with more pixels than this, judged from the header before any decoding. */
  maxPixels?: number;
  /** How errors name a buffer input (an upload's file name); a path names itself. */
  name?: string;
}

// Formats sharp can read that are not photographs: SVG is a document that may reference external files
// and renders at an arbitrary size; refusing it keeps decoding to pixel formats only.
const REFUSED_FORMATS = new Set(['svg']);

/**
 * Decodes an image to packed 8-bit RGB, EXIF orientation applied (so boxes are in the pixels the user
 * sees). Grey, CMYK and 16-bit inputs are converted to 8-bit sRGB; GIF/TIFF/WebP/AVIF decode their first
 * frame. Throws VisageError: file_not_found, empty_file, unsupported_format, corrupt_image, image_too_large.
 */
export async function decodeImage(input: string | Buffer, opts: DecodeOptions = {}): Promise<RgbImage> {
  const maxPixels = opts.maxPixels ?? MAX_PIXELS;
  const name = typeof input === 'string' ? input : (opts.name ?? 'the image');
  const bytes = typeof input === 'string' ? await readImageFile(input) : input;
  if (bytes.length === 0) throw new VisageError('empty_file', `${name} is empty (0 bytes).`, { file: name });

  // metadata() parses the header only, so a decompression bomb is refused before any pixel is allocated
  // (sharp's own limit is lifted here so that the size can be reported).
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (e) {
    throw fromSharpError(e, name);
  }
  if (REFUSED_FORMATS.has(meta.format)) {
    throw new VisageError(
      'unsupported_format',
      `${name} is ${meta.format.toUpperCase()}, not a photo; convert it to JPEG or PNG.`,
      {
        file: name,
        format: meta.format,
      },
    );
  }
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  if (width <= 0 || height <= 0) {
    throw new VisageError('corrupt_image', `${name} has no valid dimensions in its header.`, { file: name });
  }
  if (width * height > maxPixels) {
    throw new VisageError(
      'image_too_large',
      `${name} is ${width}×${height} (${((width * height) / 1e6).toFixed(1)} MP), above the ${(maxPixels / 1e6).toFixed(1)} MP limit; downscale it first.`,
      { file: name, width, height, maxPixels },
    );
  }

  try {
    const { data, info } = await sharp(bytes, {
      // 'error' fails truncated or undecodable data instead of returning grey, but tolerates the harmless
      // warnings many camera JPEGs carry (e.g. extraneous bytes before a marker) that 'warning' would refuse.
      failOn: 'error',
      limitInputPixels: maxPixels,
      autoOrient: true,
    })
      // Transparent pixels carry arbitrary (often black) colour; white is what a viewer shows for a cut-out
      // portrait, and a face on a plain light background is what detectors see most in training data.
      .flatten({ background: '#ffffff' })
      // Converts grey, CMYK (through its ICC profile or sharp's default) and 16-bit to 8-bit sRGB.
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoder produced ${info.channels} channels`);
    return {
      data: new Uint8Array(data.buffer, data.byteOffset, data.length),
      width: info.width,
      height: info.height,
    };
  } catch (e) {
    throw fromSharpError(e, name);
  }
}

/** Reads an image file, with the same clear errors as decodeImage for missing or unreadable paths. */
export async function readImageFile(file: string): Promise<Buffer> {
  try {
    const st = await stat(file);
    if (st.isDirectory()) {
      throw new VisageError('file_not_found', `${file} is a directory, not an image file.`, { file });
    }
    return await readFile(file);
  } catch (e) {
    if (e instanceof VisageError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new VisageError('file_not_found', `${file} does not exist; check the path.`, { file });
    }
    if (code === 'EACCES' || code === 'EPERM') {
      throw new VisageError('file_unreadable', `${file} cannot be read (permission denied).`, { file });
    }
    throw e;
  }
}

function fromSharpError(e: unknown, name: string): VisageError {
  const reason = e instanceof Error ? e.message : String(e);
  if (/unsupported image format/i.test(reason)) {
    return new VisageError(
      'unsupported_format',
      `${name} is not an image format Visage reads (JPEG, PNG, WebP, GIF, TIFF, AVIF).`,
      { file: name },
    );
  }
  if (/pixel limit/i.test(reason)) {
    return new VisageError('image_too_large', `${name} is above the pixel limit; downscale it first.`, {
      file: name,
    });
  }
  return new VisageError(
    'corrupt_image',
    `${name} is damaged or truncated and cannot be decoded (${reason.trim()}).`,
    {
      file: name,
      reason,
    },
  );
}
