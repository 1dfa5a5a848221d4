// Embedding: warp each face to the embedder's five-point template, run all faces of an image as one
// batch, and L2-normalise, so that cosine similarity is a dot product everywhere downstream.
import { alignmentTemplate, ARCFACE_112, DLIB_150, type AlignTemplate } from '../align/templates.js';
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

export interface EmbedderOptions {
  /**
   * Horizontal-flip test-time augmentation: embed the aligned crop and its mirror image, and return the
   * renormalised mean of the two. Twice the embedder's cost; see MODELS.md for what it buys per model.
   */
  flip?: boolean;
}

export class FaceEmbedder {
  readonly dim: number;
  readonly flip: boolean;

  constructor(
    private readonly runtime: ModelRuntime,
    readonly modelId: string,
    options: EmbedderOptions = {},
  ) {
    const spec = getModelSpec(modelId);
    if (!spec.embedding) throw new Error(`model ${modelId} is not an embedder`);
    this.dim = spec.embedding.dim;
    this.flip = options.flip ?? false;
  }

  /** Aligned crops for faces given by their five key points. */
  align(image: RgbImage, keypoints: readonly Point[][]): RgbImage[] {
    const { size, points } = templateOf(this.modelId);
    return keypoints.map((kp) => warpAffine(image, estimateSimilarity(kp, points), size, size));
  }

  async embed(image: RgbImage, keypoints: readonly Point[][]): Promise<EmbedResult[]> {
    return (await this.embedBatch([{ image, keypoints }]))[0]!;
  }

  /** The faces of several images (live sources batched together) in one batch; per image, its results. */
  async embedBatch(
    items: readonly { image: RgbImage; keypoints: readonly Point[][] }[],
  ): Promise<EmbedResult[][]> {
    const crops = items.map((it) => this.align(it.image, it.keypoints));
    const embeddings = await this.embedCrops(crops.flat());
    let i = 0;
    return crops.map((cs) => cs.map((crop) => ({ crop, embedding: embeddings[i++]! })));
  }

  /** Embeds crops that are already aligned to this model's template (with the mirror images if `flip`). */
  async embedCrops(crops: readonly RgbImage[]): Promise<Float32Array[]> {
    if (crops.length === 0) return [];
    if (!this.flip) return this.runBatches(crops);
    const both = await this.runBatches([...crops, ...crops.map(mirror)]);
    return crops.map((_, i) => {
      const a = both[i]!;
      const b = both[i + crops.length]!;
      const mean = new Float32Array(this.dim);
      for (let k = 0; k < this.dim; k++) mean[k] = a[k]! + b[k]!;
      return l2normalize(mean);
    });
  }

  /** L2-normalised embeddings, in batches of the model's fixed batch size when it has one. */
  private async runBatches(crops: readonly RgbImage[]): Promise<Float32Array[]> {
    const spec = getModelSpec(this.modelId);
    const step = spec.fixedBatch ?? crops.length;
    const out: Float32Array[] = [];
    for (let i = 0; i < crops.length; i += step) out.push(...(await this.runOnce(crops.slice(i, i + step))));
    return out;
  }

  private async runOnce(crops: readonly RgbImage[]): Promise<Float32Array[]> {
    const spec = getModelSpec(this.modelId);
    const [w, h] = spec.inputSize;
    const nhwc = toTensorNHWC(crops, spec.scaling.mean, spec.scaling.std);
    const nchw = spec.layout === 'NCHW';
    const input = nchw ? nhwcToNchw(nhwc, crops.length, h, w) : nhwc;
    const dims = nchw ? [crops.length, 3, h, w] : [crops.length, h, w, 3];
    const outputs = await this.runtime.run(this.modelId, input, dims);
    const out = Object.values(outputs).find((t) => t.dims.length === 2 && t.dims[1] === this.dim);
    if (!out) throw new Error(`model ${this.modelId} has no ${this.dim}-D output`);
    const data = out.data as Float32Array;
    return crops.map((_, i) => l2normalize(data.slice(i * this.dim, (i + 1) * this.dim)));
  }
}

const NAMED_TEMPLATES: Record<string, AlignTemplate> = { 'arcface-112': ARCFACE_112, 'dlib-150': DLIB_150 };

/** A registered model names its template; the catalog's own are known to align/templates.ts. */
function templateOf(modelId: string): AlignTemplate {
  const named = getModelSpec(modelId).template;
  return named ? NAMED_TEMPLATES[named]! : alignmentTemplate(modelId);
}

/** The image mirrored left to right. */
export function mirror(img: RgbImage): RgbImage {
  const { width, height, data } = img;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const s = (y * width + x) * 3;
      const d = (y * width + (width - 1 - x)) * 3;
      out[d] = data[s]!;
      out[d + 1] = data[s + 1]!;
      out[d + 2] = data[s + 2]!;
    }
  }
  return { width, height, data: out };
}

function nhwcToNchw(src: Float32Array, n: number, h: number, w: number): Float32Array {
  const out = new Float32Array(src.length);
  const plane = h * w;
  for (let b = 0; b < n; b++) {
    const base = b * plane * 3;
    for (let p = 0; p < plane; p++) {
      for (let c = 0; c < 3; c++) out[base + c * plane + p] = src[base + p * 3 + c]!;
    }
  }
  return out;
}

export function l2normalize(v: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i]! * v[i]!;
  const inv = sum > 0 ? 1 / Math.sqrt(sum) : 0;
  for (let i = 0; i < v.length; i++) v[i]! *= inv;
  return v;
}
