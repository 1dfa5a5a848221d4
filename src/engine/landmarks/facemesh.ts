// FaceMesh: 468 landmarks from a square crop around a detected face. The crop is taken through one
// similarity warp (scale + the roll seen by the detector), so faces tilted in the photo reach the net
// upright, and the landmarks are mapped back through the same matrix.
import type { DetectedFace } from '../face.js';
import { applyAffine, invertAffine } from '../align/similarity.js';
import { toTensorNHWC, warpAffine } from '../image/pixels.js';
import { getModelSpec } from '../models/catalog.js';
import type { ModelRuntime } from '../runtime/sessions.js';
import type { Affine, Point, RgbImage } from '../types.js';

const MODEL_ID = 'facemesh';
const MESH_POINTS = 468;

/**
 * The detector's box is tight around eyes, nose and mouth; FaceMesh was trained on crops that include
 * the whole head (the same enlargement Human uses for this model).
 */
export const CROP_ENLARGE = 1.4;

// MediaPipe FaceMesh indices ("left/right" below are as seen in the image).
const EYE_LEFT = [33, 133] as const; // outer and inner corner of the eye on the image's left
const EYE_RIGHT = [362, 263] as const;
// Landmark 4, not 1: 1 lies below the tip, where it reads a frontal face as looking down by ~18°.
const NOSE_TIP = 4;
const MOUTH_LEFT = 61;
const MOUTH_RIGHT = 291;

export interface MeshResult {
  landmarks: Point[];
  /** Five points in CONVENTIONS order: left eye, right eye, nose tip, left and right mouth corner. */
  keypoints: Point[];
  /** The mesh model's own face-presence confidence in [0, 1]. */
  confidence: number;
  /** The face as the mesh saw it: upright, framed the same way for every face (for quality). */
  crop: RgbImage;
}

export class FaceMeshLandmarker {
  constructor(private readonly runtime: ModelRuntime) {}

  async landmarks(image: RgbImage, faces: readonly DetectedFace[]): Promise<MeshResult[]> {
    return (await this.landmarksBatch([{ image, faces }]))[0]!;
  }

  /** The faces of several images (live sources batched together) in one run; per image, its meshes. */
  async landmarksBatch(
    items: readonly { image: RgbImage; faces: readonly DetectedFace[] }[],
  ): Promise<MeshResult[][]> {
    const count = items.reduce((n, it) => n + it.faces.length, 0);
    if (count === 0) return items.map(() => []);
    const spec = getModelSpec(MODEL_ID);
    const size = spec.inputSize[0];
    const warps = items.map((it) => it.faces.map((f) => cropTransform(f, size)));
    const crops = items.map((it, k) =>
      warps[k]!.map((m) => warpAffine(it.image, invertAffine(m), size, size)),
    );
    const input = toTensorNHWC(crops.flat(), spec.scaling.mean, spec.scaling.std);
    const outputs = await this.runtime.run(MODEL_ID, input, [count, size, size, 3]);
    const tensors = Object.values(outputs);
    const mesh = tensors.find((t) => t.dims.at(-1) === MESH_POINTS * 3)!.data as Float32Array;
    const flag = tensors.find((t) => t.dims.at(-1) === 1)!.data as Float32Array;
    let i = 0;
    return warps.map((ms, k) =>
      ms.map((m, j) => {
        const landmarks: Point[] = [];
        const base = i * MESH_POINTS * 3;
        for (let p = 0; p < MESH_POINTS; p++) {
          landmarks.push(applyAffine(m, [mesh[base + 3 * p]!, mesh[base + 3 * p + 1]!]));
        }
        const confidence = flag[i++]!;
        return { landmarks, keypoints: fivePoints(landmarks), confidence, crop: crops[k]![j]! };
      }),
    );
  }
}

/** Maps crop pixels to image pixels: a square of side `enlarge × box` centred on the face, rotated by roll. */
function cropTransform(face: DetectedFace, size: number): Affine {
  const { box, keypoints } = face;
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  const side = Math.max(box.width, box.height) * CROP_ENLARGE;
  const s = side / size;
  // BlazeFace's first two key points are the eyes; without them (other detectors) assume upright.
  const roll =
    keypoints.length >= 2
      ? Math.atan2(keypoints[1]![1] - keypoints[0]![1], keypoints[1]![0] - keypoints[0]![0])
      : 0;
  const cos = Math.cos(roll) * s;
  const sin = Math.sin(roll) * s;
  const h = size / 2;
  return [cos, -sin, cx - cos * h + sin * h, sin, cos, cy - sin * h - cos * h];
}

function mid(a: Point, b: Point): Point {
  return [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
}

function fivePoints(m: Point[]): Point[] {
  return [
    mid(m[EYE_LEFT[0]]!, m[EYE_LEFT[1]]!),
    mid(m[EYE_RIGHT[0]]!, m[EYE_RIGHT[1]]!),
    m[NOSE_TIP]!,
    m[MOUTH_LEFT]!,
    m[MOUTH_RIGHT]!,
  ];
}
