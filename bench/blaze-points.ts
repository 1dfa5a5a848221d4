// Five key points from BlazeFace's own six (eyes, nose tip, mouth centre, ears), so that a large frontal
// face can be aligned without running FaceMesh. BlazeFace's points are not FaceMesh's: its eyes are eye
// centres, not the midpoints of the eye corners; its nose point sits higher than FaceMesh landmark 4; it
// has a mouth centre, no corners. Each point is therefore moved by the median offset of FaceMesh's point
// from it, measured in BlazeFace's eye frame (origin at its eye midpoint, x along left → right eye, unit
// its eye distance) over the 331 near-frontal (|yaw| < 15°) largest faces of ../shared/faces/dev
// (`npm run bench:landmark-skip`), so that the embedders' crops land where FaceMesh put them on average.
// The mean x offset of ≈ +0.03 (down-right in y too) is a half-pixel difference between the two nets'
// conventions, not a face property; it is the same on both eyes.
import type { Point } from '../src/engine/types.js';

/** [which BlazeFace point, offset along the eye line, offset across it] for each of the five points. */
const FROM_BLAZE: readonly (readonly [number, number, number])[] = [
  [0, 0.015, 0.035], // left eye ← BlazeFace left eye
  [1, 0.041, 0.025], // right eye ← BlazeFace right eye
  [2, 0.055, -0.087], // nose tip (FaceMesh 4) ← BlazeFace nose
  [3, -0.378, -0.034], // left mouth corner ← BlazeFace mouth centre
  [3, 0.501, -0.05], // right mouth corner ← BlazeFace mouth centre
];

/** CONVENTIONS' five points (left eye, right eye, nose tip, left and right mouth corner) from BlazeFace's six. */
export function blazeFivePoints(keypoints: readonly Point[]): Point[] {
  if (keypoints.length < 4) {
    throw new RangeError(`blazeFivePoints needs BlazeFace's key points, got ${keypoints.length}`);
  }
  const [le, re] = keypoints as [Point, Point];
  // x axis: the eye vector (its length is the unit); y axis: the x axis turned 90° (image y down).
  const ux = re[0] - le[0];
  const uy = re[1] - le[1];
  return FROM_BLAZE.map(([k, along, across]): Point => {
    const [x, y] = keypoints[k]!;
    return [x + along * ux - across * uy, y + along * uy + across * ux];
  });
}
