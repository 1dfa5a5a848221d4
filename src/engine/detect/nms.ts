// Non-maximum suppression: a detector reports each face many times (neighbouring anchors, scales);
// these keep one detection per face.
import type { Box, Point } from '../types.js';

/** Area shared by two boxes. */
function intersection(a: Box, b: Box): number {
  const iw = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const ih = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return iw > 0 && ih > 0 ? iw * ih : 0;
}

/** Intersection over union; 0 when either box is empty. */
export function iou(a: Box, b: Box): number {
  const inter = intersection(a, b);
  if (inter === 0) return 0;
  const union = a.width * a.height + b.width * b.height - inter;
  return union > 0 ? inter / union : 0;
}

/** Indices by descending score; equal scores keep their input order, so results are deterministic. */
function byScore(scores: readonly number[]): number[] {
  return scores.map((_, i) => i).sort((i, j) => scores[j] - scores[i] || i - j);
}

/**
 * Greedy NMS: keeps the best-scoring box, drops every box overlapping it by more than `iouThreshold`,
 * repeats. Returns the kept indices by descending score, at most `maxOut`.
 */
export function nms(
  boxes: readonly Box[],
  scores: readonly number[],
  iouThreshold: number,
  maxOut = Infinity,
): number[] {
  if (boxes.length !== scores.length)
    throw new RangeError(`nms: ${boxes.length} boxes but ${scores.length} scores`);
  const kept: number[] = [];
  for (const i of byScore(scores)) {
    if (kept.length >= maxOut) break;
    if (kept.every((k) => iou(boxes[k], boxes[i]) <= iouThreshold)) kept.push(i);
  }
  return kept;
}

export interface MergedDetection {
  box: Box;
  score: number;
  /** Blended key points, when key points were passed in. */
  keypoints?: Point[];
}

/**
 * BlazeFace-style weighted NMS: the best-scoring detection absorbs every remaining one overlapping it by
 * more than `iouThreshold`; the merged box and key points are the score-weighted mean of the group, the
 * score is the best one's. Averaging the anchors' estimates steadies boxes and points between video frames.
 * `keypoints[i]`, if given, belongs to box i. Returns merged detections by descending score, at most `maxOut`.
 */
export function weightedNms(
  boxes: readonly Box[],
  scores: readonly number[],
  iouThreshold: number,
  keypoints?: readonly (readonly Point[])[],
  maxOut = Infinity,
): MergedDetection[] {
  if (boxes.length !== scores.length || (keypoints && keypoints.length !== boxes.length)) {
    throw new RangeError(
      `weightedNms: ${boxes.length} boxes, ${scores.length} scores, ${keypoints?.length} key point sets`,
    );
  }
  const order = byScore(scores);
  const taken = new Uint8Array(boxes.length);
  const merged: MergedDetection[] = [];
  for (const i of order) {
    if (taken[i]) continue;
    if (merged.length >= maxOut) break;
    const group = order.filter((j) => !taken[j] && (j === i || iou(boxes[i], boxes[j]) > iouThreshold));
    for (const j of group) taken[j] = 1;
    // Weights are the scores; if all are 0 there is nothing to prefer, so the mean is plain.
    let weights = group.map((j) => Math.max(0, scores[j]));
    if (!weights.some((w) => w > 0)) weights = group.map(() => 1);
    const total = weights.reduce((s, w) => s + w, 0);
    const mean = (value: (j: number) => number): number =>
      group.reduce((s, j, g) => s + value(j) * weights[g], 0) / total;
    const x0 = mean((j) => boxes[j].x);
    const y0 = mean((j) => boxes[j].y);
    const box = {
      x: x0,
      y: y0,
      width: mean((j) => boxes[j].x + boxes[j].width) - x0,
      height: mean((j) => boxes[j].y + boxes[j].height) - y0,
    };
    if (!keypoints) {
      merged.push({ box, score: scores[i] });
      continue;
    }
    const points = keypoints[i].map((_, k): Point => [
      mean((j) => keypoints[j][k][0]),
      mean((j) => keypoints[j][k][1]),
    ]);
    merged.push({ box, score: scores[i], keypoints: points });
  }
  return merged;
}

/**
 * Drops detections lying mostly inside a better-scored one (intersection over their own area above
 * `maxContained`). A face that fills the frame makes anchor-based detectors fire on its parts (an eye
 * and cheek, the mouth) with boxes too small to pass an IoU test against the whole face.
 * Input must be sorted by descending score, as nms/weightedNms return it.
 */
export function suppressContained<T extends { box: Box }>(sorted: readonly T[], maxContained: number): T[] {
  const kept: T[] = [];
  for (const d of sorted) {
    const area = d.box.width * d.box.height;
    if (!kept.some((k) => intersection(k.box, d.box) > maxContained * area)) kept.push(d);
  }
  return kept;
}
