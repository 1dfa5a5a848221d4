// Embedding: warp each face to the embedder's five-point template, run all faces of an image as one
// batch, and L2-normalise, so that cosine similarity is a dot product everywhere downstream.
import { alignmentTemplate } from '../align/templates.js';
import { estimateSimilarity } from '../align/similarity.js';
import { toTensorNHWC, warpAffine } from '../image/pixels.js';
import { getModelSpec } from '../models/catalog.js';
import type { ModelRuntime } from '../runtime/sessions.js';
import type { Point, RgbImage } from '../types.js';

export interface EmbedResult {
  embedding: Float32Array;
  /** The aligned crop the embedder saw (for thumbnails, quality and debugging). */
  crop: RgbImage;
}

export class FaceEmbedder {
  readonly dim: number;

  constructor(
    private readonly runtime: ModelRuntime,
    readonly modelId: string,
  ) {
    const spec = getModelSpec(modelId);
    if (!spec.embedding) throw new Error(`model ${modelId} is not an embedder`);
    this.dim = spec.embedding.dim;
  }

  /** Aligned crops for faces given by their five key points. */
  align(image: RgbImage, keypoints: readonly Point[][]): RgbImage[] {
    const { size, points } = alignmentTemplate(this.modelId);
    return keypoints.map((kp) => warpAffine(image, estimateSimilarity(kp, points), size, size));
  }

  async embed(image: RgbImage, keypoints: readonly Point[][]): Promise<EmbedResult[]> {
    const crops = this.align(image, keypoints);
    const embeddings = await this.embedCrops(crops);
    return crops.map((crop, i) => ({ crop, embedding: embeddings[i]! }));
  }

  /** Embeds crops that are already aligned to this model's template. */
  async embedCrops(crops: readonly RgbImage[]): Promise<Float32Array[]> {
    if (crops.length === 0) return [];
    const spec = getModelSpec(this.modelId);
    const [w, h] = spec.inputSize;
    const input = toTensorNHWC(crops, spec.scaling.mean, spec.scaling.std);
    const outputs = await this.runtime.run(this.modelId, input, [crops.length, h, w, 3]);
    const out = Object.values(outputs).find((t) => t.dims.length === 2 && t.dims[1] === this.dim);
    if (!out) throw new Error(`model ${this.modelId} has no ${this.dim}-D output`);
    const data = out.data as Float32Array;
    return crops.map((_, i) => l2normalize(data.slice(i * this.dim, (i + 1) * this.dim)));
  }
}

export function l2normalize(v: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i]! * v[i]!;
  const inv = sum > 0 ? 1 / Math.sqrt(sum) : 0;
  for (let i = 0; i < v.length; i++) v[i]! *= inv;
  return v;
}
