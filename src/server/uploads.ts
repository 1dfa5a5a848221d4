// Reading multipart uploads into memory within limits. Every upload is buffered whole (images are decoded
// from memory by the engine anyway) so the limits are what keep a request from exhausting memory.
import type { FastifyRequest } from 'fastify';
import { VisageError } from '../errors.js';

const MB = 1024 * 1024;

export interface UploadLimits {
  /** Largest single file. */
  maxFileBytes: number;
  /** Most files in one request (enrolment takes several photos of a person). */
  maxFiles: number;
  /** All files of one request together. */
  maxRequestBytes: number;
}

export const DEFAULT_UPLOAD_LIMITS: UploadLimits = {
  maxFileBytes: 20 * MB,
  maxFiles: 50,
  maxRequestBytes: 200 * MB,
};

export interface Upload {
  field: string;
  /** The client's file name, for reports and event sources (never used as a path). */
  filename: string;
  bytes: Buffer;
}

export interface Uploads {
  files: Upload[];
  fields: Record<string, string>;
}

/** Reads every part of a multipart request; file parts must use one of `fileFields`. */
export async function readUploads(
  request: FastifyRequest,
  limits: UploadLimits,
  fileFields: readonly string[],
): Promise<Uploads> {
  if (!request.isMultipart()) {
    throw new VisageError('unsupported_media_type', 'Send the image(s) as multipart/form-data.', {
      contentType: request.headers['content-type'] ?? null,
    });
  }
  const files: Upload[] = [];
  const fields: Record<string, string> = {};
  let total = 0;
  const parts = request.parts({
    limits: { fileSize: limits.maxFileBytes, files: limits.maxFiles, fieldSize: MB, fields: 20 },
  });
  for await (const part of parts) {
    if (part.type === 'field') {
      fields[part.fieldname] = String(part.value);
      continue;
    }
    const filename = displayName(part.filename || part.fieldname);
    if (!fileFields.includes(part.fieldname)) {
      part.file.resume();
      throw new VisageError(
        'unexpected_field',
        `Unexpected file field "${part.fieldname}"; expected ${fileFields.join(' or ')}.`,
        {
          field: part.fieldname,
        },
      );
    }
    let bytes: Buffer;
    try {
      bytes = await part.toBuffer();
    } catch (e) {
      if ((e as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE')
        throw fileTooLarge(filename, limits.maxFileBytes);
      throw e;
    }
    total += bytes.length;
    if (total > limits.maxRequestBytes) {
      throw new VisageError(
        'request_too_large',
        `The files of one request may total at most ${limits.maxRequestBytes / MB} MB.`,
        {
          limitBytes: limits.maxRequestBytes,
        },
      );
    }
    files.push({ field: part.fieldname, filename, bytes });
  }
  return { files, fields };
}

/** The one file of `field`. Errors: `missing_file`. */
export function requireFile(uploads: Uploads, field: string): Upload {
  const file = uploads.files.find((f) => f.field === field);
  if (!file)
    throw new VisageError('missing_file', `Attach an image as the multipart field "${field}".`, { field });
  return file;
}

function fileTooLarge(filename: string, limit: number): VisageError {
  return new VisageError(
    'file_too_large',
    `${filename} is larger than the ${limit / MB} MB limit per file.`,
    {
      file: filename,
      limitBytes: limit,
    },
  );
}

/** File names are shown and stored as given, minus control characters and absurd lengths. */
function displayName(name: string): string {
  return [...name.replace(/\p{Cc}/gu, '')].slice(0, 200).join('') || 'upload';
}
