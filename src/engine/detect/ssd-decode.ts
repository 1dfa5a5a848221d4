// Reads the outputs of face-api's SSD MobileNetV1 graph (../models/convert/faceapi-ssd.ts). The graph already
// decodes the boxes against its anchors, so what is left is picking the candidates. face-api's order, which
// this follows for identical results: candidates above the score threshold → NMS (IoU 0.5, at most 100) on
// the unclipped boxes → clip to the input square.
import { SSD_ANCHOR_COUNT } from '../models/convert/faceapi-ssd.js';
import type { Box } from '../types.js';

/** The graph's two outputs, as onnxruntime returns them (batch-major). */
export interface SsdOutputs {
  /** [batch, anchors, 4]: ymin, xmin, ymax, xmax in units of the input side. */
  boxes: Float32Array;
  /** [batch, anchors]: face probability. */
  scores: Float32Array;
}

/** Boxes in units of the square network input (0..1 inside it), with their scores. */
export interface SsdCandidates {
  boxes: Box[];
  scores: number[];
}

/** face-api's defaults (SsdMobilenetv1Options and locateFaces). */
export const SSD_IOU_THRESHOLD = 0.5;
export const SSD_MAX_RESULTS = 100;

/**
 * The anchors of batch item `item` whose score is above `minScore` (strictly, as face-api), unclipped:
 * face-api runs NMS on the raw boxes and clips afterwards.
 */
export function ssdCandidates(outputs: SsdOutputs, item: number, minScore: number): SsdCandidates {
  const anchors = SSD_ANCHOR_COUNT;
  const batch = outputs.scores.length / anchors;
  if (
    !Number.isInteger(item) ||
    item < 0 ||
    item >= batch ||
    outputs.boxes.length !== outputs.scores.length * 4
  ) {
    throw new Error(`SSD outputs hold ${batch} items of ${anchors} anchors; item ${item} is not one of them`);
  }
  const boxes: Box[] = [];
  const scores: number[] = [];
  for (let a = 0; a < anchors; a++) {
    const i = item * anchors + a;
    const score = outputs.scores[i]!;
    if (!(score > minScore)) continue;
    const [ymin, xmin, ymax, xmax] = outputs.boxes.subarray(i * 4, i * 4 + 4);
    boxes.push({ x: xmin!, y: ymin!, width: xmax! - xmin!, height: ymax! - ymin! });
    scores.push(score);
  }
  return { boxes, scores };
}

/** Clips a box in input units to the input square [0, 1]². */
export function clipToInput(box: Box): Box {
  const x0 = Math.max(0, box.x);
  const y0 = Math.max(0, box.y);
  const x1 = Math.min(1, box.x + box.width);
  const y1 = Math.min(1, box.y + box.height);
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}
