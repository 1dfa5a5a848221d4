// How usable a face is for recognition: big enough, sharp enough, and facing the camera; so that
// enrolment can refuse poor samples and a weak match can be explained.
import { ARCFACE_112 } from './align/templates.js';
import type { FaceQuality } from './face.js';
import type { Box, Point, RgbImage } from './types.js';

/**
 * Side of the aligned face crop sharpness is measured on (the crop is taken at twice this size, see
 * sharpness). A fixed size makes faces of any size comparable: a small face enlarged to it is soft, a
 * large one reduced to it keeps its detail. On one face rescaled from 110 to 38 px between the eyes and
 * shifted by sub-pixel amounts, the score stayed within ±8%; a 1-px blur at the smallest size halved it.
 */
export const SHARPNESS_SIZE = 64;

/**
 * Variance of the Laplacian of luma (BT.601), after averaging 2×2 blocks; larger is sharper. The
 * averaging cancels the sub-pixel blur of a bilinear warp, which otherwise varies with where the face
 * fell on the pixel grid and swings the score by a factor of 2. Compare crops of the same size only
 * (the analyzer passes the central 2·SHARPNESS_SIZE square of the landmark stage's crop).
 */
export function sharpness(crop: RgbImage): number {
  const w = crop.width >> 1;
  const h = crop.height >> 1;
  if (w < 3 || h < 3)
    throw new RangeError(`sharpness needs at least 6×6 pixels, got ${crop.width}×${crop.height}`);
  const { data, width } = crop;
  const luma = new Float32Array(w * h);
  const at = (x: number, y: number): number => {
    const o = (y * width + x) * 3;
    return 0.299 * data[o] + 0.587 * data[o + 1] + 0.114 * data[o + 2];
  };
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      luma[y * w + x] =
        (at(2 * x, 2 * y) + at(2 * x + 1, 2 * y) + at(2 * x, 2 * y + 1) + at(2 * x + 1, 2 * y + 1)) / 4;
    }
  }
  let sum = 0;
  let sumSq = 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      const lap = luma[i - 1] + luma[i + 1] + luma[i - w] + luma[i + w] - 4 * luma[i];
      sum += lap;
      sumSq += lap * lap;
    }
  }
  const n = (w - 2) * (h - 2);
  const mean = sum / n;
  return sumSq / n - mean * mean;
}

/** Head pose in degrees. */
export interface Pose {
  /** Positive when the face turns toward the image's right (the nose moves right). */
  yaw: number;
  /** Positive when the face looks up (the nose moves toward the eyes). */
  pitch: number;
  /** Angle of the eye line from horizontal; positive when the right eye (image right) is lower. */
  roll: number;
}

// Where the nose tip sits, as a fraction of the way from the eye line to the mouth line, in a frontal
// face: taken from the ArcFace template (a mean of frontal faces).
const FRONTAL_NOSE_FRACTION = (() => {
  const [le, re, nose, lm, rm] = ARCFACE_112.points;
  const eyeY = (le[1] + re[1]) / 2;
  return (nose[1] - eyeY) / ((lm[1] + rm[1]) / 2 - eyeY);
})();
// How far the nose tip stands out of the plane of eyes and mouth, relative to the distance between the
// eyes (anthropometric averages: about 28 mm against 63 mm). Only the pose scale depends on it.
const NOSE_DEPTH_PER_EYE_DISTANCE = 0.45;
// Eye line to mouth line over eye distance in a frontal face (ArcFace template), to scale pitch.
const FACE_HEIGHT_PER_EYE_DISTANCE = (() => {
  const [le, re, , lm, rm] = ARCFACE_112.points;
  return ((lm[1] + rm[1]) / 2 - (le[1] + re[1]) / 2) / (re[0] - le[0]);
})();

/**
 * Approximate head pose from the five key points, assuming eyes and mouth corners lie in one plane and
 * the nose tip stands out of it (orthographic view). Roll is exact (the eye line). Yaw comes from how
 * far the nose sits off the eye–mouth midline, pitch from how far it sits up or down between eye line
 * and mouth line, both compared with a frontal face; expect errors of about 10° on real faces.
 */
export function poseFromFivePoints(points5: readonly Point[]): Pose {
  if (points5.length !== 5)
    throw new RangeError(`poseFromFivePoints needs 5 key points, got ${points5.length}`);
  const [le, re] = points5;
  const rollRad = Math.atan2(re[1] - le[1], re[0] - le[0]);
  // Undo the roll around the eye midpoint, so eyes lie on a horizontal line.
  const cx = (le[0] + re[0]) / 2;
  const cy = (le[1] + re[1]) / 2;
  const cos = Math.cos(-rollRad);
  const sin = Math.sin(-rollRad);
  const [l, r, n, ml, mr] = points5.map(([x, y]): Point => [
    cos * (x - cx) - sin * (y - cy),
    sin * (x - cx) + cos * (y - cy),
  ]);
  const eyeDistance = r[0] - l[0];
  const mouth: Point = [(ml[0] + mr[0]) / 2, (ml[1] + mr[1]) / 2];
  if (eyeDistance <= 0 || mouth[1] <= 0) {
    throw new RangeError(
      'poseFromFivePoints: key points are not in face order (eyes left to right, mouth below)',
    );
  }
  // Nose offset from the midline (eye midpoint (0, 0) to mouth midpoint), at the nose's height.
  const fraction = n[1] / mouth[1];
  const offset = n[0] - mouth[0] * fraction;
  // Turning by ψ shifts the nose by depth·sin ψ while the eye distance shrinks by cos ψ.
  const yaw = Math.atan(offset / eyeDistance / NOSE_DEPTH_PER_EYE_DISTANCE);
  // Tilting by φ moves the nose along the eye–mouth line by depth·sin φ while that line shrinks by cos φ.
  const pitch = Math.atan(
    ((FRONTAL_NOSE_FRACTION - fraction) * FACE_HEIGHT_PER_EYE_DISTANCE) / NOSE_DEPTH_PER_EYE_DISTANCE,
  );
  return { yaw: degrees(yaw), pitch: degrees(pitch), roll: degrees(rollRad) };
}

/** Shorter side of the face box, in original-image pixels. */
export function faceSize(box: Box): number {
  return Math.min(box.width, box.height);
}

/**
 * Size, sharpness and pose of one face. `faceCrop` is the face at a fixed framing and size (the landmark
 * stage's upright crop), so that sharpness is comparable between faces without warping the photo again.
 */
export function assessQuality(box: Box, points5: readonly Point[], faceCrop: RgbImage): FaceQuality {
  return { size: faceSize(box), sharpness: sharpness(faceCrop), ...poseFromFivePoints(points5) };
}

function degrees(rad: number): number {
  return (rad * 180) / Math.PI;
}
