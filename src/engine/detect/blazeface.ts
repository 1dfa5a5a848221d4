// BlazeFace: an SSD-style detector with 896 anchors on two feature maps. Each anchor regresses a box
// (centre offset and size, in input pixels) and six key points: eye (image left), eye (image right),
// nose tip, mouth centre, ear (image left), ear (image right).
import type { DetectedFace } from '../face.js';
import { letterboxForDetection, letterboxToOriginal, toTensorNHWC, type Letterbox } from '../image/pixels.js';
import type { ModelRuntime } from '../runtime/sessions.js';
import type { Box, Point, RgbImage } from '../types.js';
import { getModelSpec } from '../models/catalog.js';
import type { DetectOptions, FaceDetector } from './detector.js';
import { suppressContained, weightedNms } from './nms.js';

const KEYPOINTS = 6;
/** A detection with more than half its area inside a better one is a part of that face. */
const MAX_CONTAINED = 0.5;

/** Anchor centres in input pixels, in the order of the model's outputs. */
export function blazefaceAnchors(inputSize: number): Point[] {
  const layers = [
    { stride: inputSize / 16, perCell: 2 },
    { stride: inputSize / 8, perCell: 6 },
  ];
  const anchors: Point[] = [];
  for (const { stride, perCell } of layers) {
    const cells = Math.ceil(inputSize / stride);
    for (let y = 0; y < cells; y++) {
      for (let x = 0; x < cells; x++) {
        for (let n = 0; n < perCell; n++) anchors.push([stride * (x + 0.5), stride * (y + 0.5)]);
      }
    }
  }
  return anchors;
}

export interface RawDetection {
  box: Box;
  score: number;
  keypoints: Point[];
}

/**
 * Decodes scores (logits, one per anchor) and regressors (16 per anchor) into detections above
 * `minScore`, in input pixels.
 */
export function decodeBlazeface(
  logits: Float32Array,
  regressors: Float32Array,
  anchors: readonly Point[],
  minScore: number,
): RawDetection[] {
  const out: RawDetection[] = [];
  // Compare in logit space: sigmoid is monotonic, and most anchors are far below the threshold.
  const minLogit = Math.log(minScore / (1 - minScore));
  for (let i = 0; i < anchors.length; i++) {
    const logit = logits[i]!;
    if (logit < minLogit) continue;
    const [ax, ay] = anchors[i]!;
    const r = i * 16;
    const cx = regressors[r]! + ax;
    const cy = regressors[r + 1]! + ay;
    const w = regressors[r + 2]!;
    const h = regressors[r + 3]!;
    const keypoints: Point[] = [];
    for (let k = 0; k < KEYPOINTS; k++) {
      keypoints.push([regressors[r + 4 + 2 * k]! + ax, regressors[r + 5 + 2 * k]! + ay]);
    }
    out.push({
      box: { x: cx - w / 2, y: cy - h / 2, width: w, height: h },
      score: 1 / (1 + Math.exp(-logit)),
      keypoints,
    });
  }
  return out;
}

export class BlazeFaceDetector implements FaceDetector {
  readonly inputSize: number;
  private readonly anchors: Point[];

  constructor(
    private readonly runtime: ModelRuntime,
    readonly modelId = 'blazeface-back',
  ) {
    this.inputSize = getModelSpec(modelId).inputSize[0];
    this.anchors = blazefaceAnchors(this.inputSize);
  }

  async detect(image: RgbImage, options: DetectOptions): Promise<DetectedFace[]> {
    return (await this.detectLetterboxed([await letterboxForDetection(image, this.inputSize)], options))[0]!;
  }

  async detectLetterboxed(boxed: readonly Letterbox[], options: DetectOptions): Promise<DetectedFace[][]> {
    if (boxed.length === 0) return [];
    const { scaling } = getModelSpec(this.modelId);
    const input = toTensorNHWC(
      boxed.map((b) => b.image),
      scaling.mean,
      scaling.std,
    );
    const outputs = Object.values(
      await this.runtime.run(this.modelId, input, [boxed.length, this.inputSize, this.inputSize, 3]),
    );
    return boxed.map((b, item) => {
      const { logits, regressors } = splitOutputs(outputs, item);
      return this.decode(b, decodeBlazeface(logits, regressors, this.anchors, options.minScore), options);
    });
  }

  private decode(boxed: Letterbox, raw: RawDetection[], options: DetectOptions): DetectedFace[] {
    const merged = suppressContained(
      weightedNms(
        raw.map((d) => d.box),
        raw.map((d) => d.score),
        options.iouThreshold,
        raw.map((d) => d.keypoints),
      ),
      MAX_CONTAINED,
    );
    const toImage = (p: Point): Point => letterboxToOriginal(boxed, p);
    return merged
      .map((m) => {
        const [x0, y0] = toImage([m.box.x, m.box.y]);
        const [x1, y1] = toImage([m.box.x + m.box.width, m.box.y + m.box.height]);
        return {
          box: { x: x0, y: y0, width: x1 - x0, height: y1 - y0 },
          score: m.score,
          keypoints: (m.keypoints ?? []).map(toImage),
        };
      })
      .filter((f) => Math.min(f.box.width, f.box.height) >= options.minFaceSize);
  }
}

/**
 * The converted graph ends in four reshapes, per feature map a [batch, n, 1] score and a [batch, n, 16]
 * regressor tensor; the anchor order puts the larger map (finer stride) first. Batch item `item`'s part.
 */
function splitOutputs(
  tensors: readonly { data: unknown; dims: readonly number[] }[],
  item: number,
): { logits: Float32Array; regressors: Float32Array } {
  const part = (width: number): Float32Array[] =>
    tensors
      .filter((t) => t.dims.at(-1) === width)
      .sort((a, b) => b.dims[1]! - a.dims[1]!)
      .map((t) => {
        const per = t.dims[1]! * width;
        return (t.data as Float32Array).subarray(item * per, (item + 1) * per);
      });
  const scores = part(1);
  const regs = part(16);
  if (scores.length === 1 && regs.length === 1) return { logits: scores[0]!, regressors: regs[0]! };
  return { logits: concat(scores), regressors: concat(regs) };
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
