// Reads face-api's weights-only models: a TF.js weights manifest plus .bin shards, uint8-quantised per
// tensor. face-api ships no graph (its architectures are code), so the graph builders next to this file
// pair these weights with a hand-written ONNX graph.
import fs from 'node:fs/promises';
import path from 'node:path';
import { VisageError } from '../../../errors.js';
import { packageDir } from '../packages.js';
import { loadWeights, type WeightGroup } from './tfjs-weights.js';

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

/** The folder holding the installed face-api package's model files. */
export function faceApiModelDir(): string {
  return path.join(packageDir('@vladmandic/face-api'), 'model');
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
    let groups: WeightGroup[];
    try {
      groups = JSON.parse(await fs.readFile(manifestPath, 'utf8')) as WeightGroup[];
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
    // int32 entries are TF bookkeeping (slice sizes, axes) that the hand-written graphs never read.
    for (const [name, w] of await loadWeights(groups, modelDir)) {
      if (w.data instanceof Float32Array) tensors.set(name, { data: w.data, shape: w.shape });
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
