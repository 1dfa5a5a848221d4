// Reads face-api's weights-only models: a TF.js weights manifest plus .bin shards, uint8-quantised per
// tensor. face-api ships no graph (its architectures are code), so the graph builders next to this file
// pair these weights with a hand-written ONNX graph.
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { VisageError } from '../../../errors.js';

/** What every face-api graph builder returns: an ONNX model taking NHWC float32 RGB pixels 0..255. */
export interface FaceApiModel {
  bytes: Uint8Array;
  inputName: string;
  inputShape: (number | string)[];
  outputNames: string[];
}

/** A float tensor in TF layout (convolution filters are HWIO). */
export interface WeightTensor {
  data: Float32Array;
  shape: number[];
}

interface ManifestEntry {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; scale?: number; min?: number };
}

interface ManifestGroup {
  paths: string[];
  weights: ManifestEntry[];
}

const BYTES_PER_VALUE: Record<string, number> = { float32: 4, int32: 4, uint8: 1, uint16: 2 };

/** The folder holding the installed face-api package's model files. */
export function faceApiModelDir(): string {
  const pkg = createRequire(import.meta.url).resolve('@vladmandic/face-api/package.json');
  return path.join(path.dirname(pkg), 'model');
}

/** The named tensors of one face-api model, dequantised to float32. */
export class FaceApiWeights {
  private constructor(
    readonly model: string,
    private readonly tensors: Map<string, WeightTensor>,
  ) {}

  /** Loads `<modelDir>/<model>-weights_manifest.json` and its shards, e.g. model = "face_recognition_model". */
  static async load(modelDir: string, model: string): Promise<FaceApiWeights> {
    const manifestPath = path.join(modelDir, `${model}-weights_manifest.json`);
    let groups: ManifestGroup[];
    try {
      groups = JSON.parse(await fs.readFile(manifestPath, 'utf8')) as ManifestGroup[];
    } catch (e) {
      throw new VisageError(
        'model_corrupt',
        `cannot read face-api weights manifest ${manifestPath}: ${(e as Error).message}`,
        {
          file: manifestPath,
        },
      );
    }
    const tensors = new Map<string, WeightTensor>();
    for (const group of groups) {
      const shards = await Promise.all(group.paths.map((p) => fs.readFile(path.join(modelDir, p))));
      decodeGroup(Buffer.concat(shards), group, manifestPath, tensors);
    }
    return new FaceApiWeights(model, tensors);
  }

  /** The tensor called `name`; a missing name or an unexpected shape means the package changed under us. */
  get(name: string, shape?: readonly number[]): WeightTensor {
    const t = this.tensors.get(name);
    if (!t) throw new VisageError('model_corrupt', `face-api model ${this.model} has no weight "${name}"`);
    if (shape && (shape.length !== t.shape.length || shape.some((d, i) => d !== t.shape[i]))) {
      throw new VisageError(
        'model_corrupt',
        `face-api weight ${this.model}/${name} has shape [${t.shape.join(',')}], expected [${shape.join(',')}]`,
      );
    }
    return t;
  }
}

function decodeGroup(
  bytes: Buffer,
  group: ManifestGroup,
  manifestPath: string,
  out: Map<string, WeightTensor>,
): void {
  let offset = 0;
  for (const entry of group.weights) {
    const count = entry.shape.reduce((a, b) => a * b, 1);
    const stored = entry.quantization?.dtype ?? entry.dtype;
    const width = BYTES_PER_VALUE[stored];
    if (width === undefined) {
      throw new VisageError(
        'model_corrupt',
        `face-api weight ${entry.name} uses unsupported type ${stored}`,
        {
          file: manifestPath,
        },
      );
    }
    const size = count * width;
    if (offset + size > bytes.length) {
      throw new VisageError(
        'model_corrupt',
        `face-api weights for ${manifestPath} are truncated at ${entry.name}`,
        {
          file: manifestPath,
        },
      );
    }
    // int32 entries are TF bookkeeping (slice sizes, axes) that the hand-written graphs never read.
    if (entry.dtype === 'float32') {
      out.set(entry.name, {
        data: dequantise(bytes.subarray(offset, offset + size), entry, count),
        shape: entry.shape,
      });
    }
    offset += size;
  }
  if (offset !== bytes.length) {
    throw new VisageError(
      'model_corrupt',
      `face-api weights for ${manifestPath}: ${bytes.length - offset} unexpected trailing bytes`,
      {
        file: manifestPath,
      },
    );
  }
}

function dequantise(raw: Buffer, entry: ManifestEntry, count: number): Float32Array {
  // Copy first: shard bytes are not 4-byte aligned for typed-array views.
  const aligned = new Uint8Array(raw).buffer;
  const q = entry.quantization;
  if (!q) return new Float32Array(aligned, 0, count);
  const { scale, min } = q;
  if (scale === undefined || min === undefined) {
    throw new VisageError('model_corrupt', `face-api weight ${entry.name} is quantised without scale/min`);
  }
  const values = q.dtype === 'uint8' ? new Uint8Array(aligned) : new Uint16Array(aligned, 0, count);
  // Same arithmetic as TF.js (double product, rounded once to float32), so weights match bit for bit.
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = values[i]! * scale + min;
  return out;
}
