// Embedding vectors as the gallery stores and compares them.
import { VisageError } from '../errors.js';

/** Float32 little-endian bytes, the BLOB layout of every stored vector (typed arrays are LE on all Node targets). */
export function vectorToBlob(vector: Float32Array): Buffer {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
}

/** Copies a BLOB into a fresh, 4-byte-aligned Float32Array (SQLite's buffers are not aligned). */
export function blobToVector(blob: Uint8Array): Float32Array {
  if (blob.byteLength % 4 !== 0) {
    throw new VisageError(
      'database_corrupt',
      `a stored vector has ${blob.byteLength} bytes, not a multiple of 4`,
    );
  }
  const out = new Float32Array(blob.byteLength / 4);
  new Uint8Array(out.buffer).set(blob);
  return out;
}

/** Rejects vectors no model produces: empty, non-finite or all zeros (they would match nothing or everything). */
export function checkEmbedding(vector: Float32Array): void {
  if (vector.length === 0) throw new VisageError('invalid_embedding', 'the embedding is empty');
  let norm = 0;
  for (let i = 0; i < vector.length; i++) norm += vector[i] * vector[i];
  if (!Number.isFinite(norm) || norm === 0) {
    throw new VisageError('invalid_embedding', 'the embedding is zero or contains NaN/Infinity', {
      dim: vector.length,
    });
  }
}

/** A unit-length copy: similarity between unit vectors is their dot product (cosine). */
export function normalized(vector: Float32Array): Float32Array {
  checkEmbedding(vector);
  let norm = 0;
  for (let i = 0; i < vector.length; i++) norm += vector[i] * vector[i];
  const scale = 1 / Math.sqrt(norm);
  const out = new Float32Array(vector.length);
  for (let i = 0; i < vector.length; i++) out[i] = vector[i] * scale;
  return out;
}

/**
 * Dot product of `query` with the vector starting at `offset` in `base` (exact rescoring, vetoes):
 * four independent accumulators let the CPU overlap the multiply-adds.
 */
export function dotAt(query: Float32Array, base: Float32Array, offset: number): number {
  const dim = query.length;
  const end4 = dim & ~3;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let j = 0;
  for (; j < end4; j += 4) {
    s0 += query[j] * base[offset + j];
    s1 += query[j + 1] * base[offset + j + 1];
    s2 += query[j + 2] * base[offset + j + 2];
    s3 += query[j + 3] * base[offset + j + 3];
  }
  for (; j < dim; j++) s0 += query[j] * base[offset + j];
  return s0 + s1 + s2 + s3;
}
