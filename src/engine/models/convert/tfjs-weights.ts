// Reads the weights of a TF.js model (a weights manifest plus its .bin shards) into float32/int32 arrays.
// TF.js stores weights back to back in the shards, in manifest order, optionally quantised; converters
// need them dequantised exactly as TF.js itself does, so that converted models compute the same numbers.
import fs from 'node:fs/promises';
import path from 'node:path';
import { VisageError } from '../../../errors.js';

export interface WeightQuantization {
  dtype: 'uint8' | 'uint16' | 'float16';
  /** Affine dequantisation for uint8/uint16: value = q * scale + min. */
  min?: number;
  scale?: number;
}

/** One entry of a weights manifest group. */
export interface WeightEntry {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: WeightQuantization;
}

/** One group of a weights manifest: its shards and the weights stored in them, in order. */
export interface WeightGroup {
  paths: string[];
  weights: WeightEntry[];
}

export interface Weight {
  shape: number[];
  data: Float32Array | Int32Array;
}

const BYTES_PER_VALUE: Record<string, number> = { float32: 4, int32: 4, uint8: 1, uint16: 2, float16: 2 };

/** All shards of all groups, concatenated in manifest order: the byte layout `decodeWeights` and TF.js expect. */
export async function readWeightData(manifest: readonly WeightGroup[], dir: string): Promise<Uint8Array> {
  const shards = await Promise.all(
    manifest.flatMap((g) => g.paths.map((p) => fs.readFile(path.join(dir, p)))),
  );
  return new Uint8Array(Buffer.concat(shards));
}

/** Decodes `data` (see `readWeightData`) into one dequantised tensor per manifest entry. */
export function decodeWeights(entries: readonly WeightEntry[], data: Uint8Array): Map<string, Weight> {
  const weights = new Map<string, Weight>();
  let offset = 0;
  for (const entry of entries) {
    const count = entry.shape.reduce((a, b) => a * b, 1);
    const stored = entry.quantization?.dtype ?? entry.dtype;
    const size = BYTES_PER_VALUE[stored];
    if (size === undefined) throw corrupt(`weight ${entry.name}: unsupported stored dtype ${stored}`);
    if (offset + count * size > data.byteLength) {
      throw corrupt(
        `weight ${entry.name}: the weight files end at byte ${data.byteLength}, before this weight does (truncated)`,
      );
    }
    const bytes = data.subarray(offset, offset + count * size);
    weights.set(entry.name, { shape: entry.shape, data: decodeOne(entry, bytes, count) });
    offset += count * size;
  }
  if (offset !== data.byteLength) {
    throw corrupt(
      `the weights manifest describes ${offset} bytes but the weight files hold ${data.byteLength}`,
    );
  }
  return weights;
}

/** Decodes one weight from exactly its stored bytes. */
function decodeOne(entry: WeightEntry, bytes: Uint8Array, count: number): Float32Array | Int32Array {
  if (entry.dtype !== 'float32' && entry.dtype !== 'int32') {
    throw corrupt(`weight ${entry.name}: unsupported dtype ${entry.dtype}`);
  }
  const q = entry.quantization;
  if (!q) {
    // Weights are not aligned within the shards: copy the bytes so the typed array starts on a 4-byte boundary.
    const aligned = bytes.slice().buffer;
    return entry.dtype === 'float32' ? new Float32Array(aligned) : new Int32Array(aligned);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = entry.dtype === 'float32' ? new Float32Array(count) : new Int32Array(count);
  if (q.dtype === 'float16') {
    if (entry.dtype !== 'float32')
      throw corrupt(`weight ${entry.name}: float16 quantisation of ${entry.dtype}`);
    const table = halfTable();
    for (let i = 0; i < count; i++) out[i] = table[view.getUint16(2 * i, true)]!;
  } else {
    if (q.min === undefined || q.scale === undefined) {
      throw corrupt(`weight ${entry.name}: ${q.dtype} quantisation without min and scale`);
    }
    const wide = q.dtype === 'uint16';
    for (let i = 0; i < count; i++) {
      const v = (wide ? view.getUint16(2 * i, true) : view.getUint8(i)) * q.scale + q.min;
      // Integer weights round to the nearest integer, as TF.js does when it loads them.
      out[i] = entry.dtype === 'int32' ? Math.round(v) : v;
    }
  }
  return out;
}

let halfValues: Float32Array | undefined;

/** Every half-precision value, indexed by its bits: a table lookup decodes millions of weights quickly. */
function halfTable(): Float32Array {
  halfValues ??= Float32Array.from({ length: 0x10000 }, (_, bits) => halfToFloat(bits));
  return halfValues;
}

/** IEEE 754 half precision → number (exact: every half value is a float32 value). */
function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24; // zero and subnormals
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** Every weight of a manifest whose shard paths are relative to `dir`, dequantised. */
export async function loadWeights(
  manifest: readonly WeightGroup[],
  dir: string,
): Promise<Map<string, Weight>> {
  return decodeWeights(
    manifest.flatMap((g) => g.weights),
    await readWeightData(manifest, dir),
  );
}

/** A model file that does not match its manifest: the npm package is damaged or changed under us. */
function corrupt(message: string): VisageError {
  return new VisageError('model_corrupt', `${message}; reinstall with npm install`);
}
