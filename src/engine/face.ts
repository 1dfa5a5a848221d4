// The Face record: each pipeline stage adds to it (detect → landmarks → align → embed).
import type { Box, Point, RgbImage } from './types.js';

export interface FaceQuality {
  /** Shorter side of the face box, in original-image pixels. */
  size: number;
  /** Variance of the Laplacian on the aligned crop: larger is sharper. */
  sharpness: number;
  yaw: number;
  pitch: number;
  roll: number;
}

export interface Face {
  box: Box;
  /** Detector confidence in [0, 1]. */
  score: number;
  /**
   * Five key points (left eye, right eye, nose tip, left mouth corner, right mouth corner; left/right as
   * seen in the image), from the landmark stage.
   */
  keypoints: Point[];
  /** Dense landmarks (FaceMesh: 468 points) when the landmark stage ran. */
  landmarks?: Point[];
  /** The landmark stage's own face-presence confidence in [0, 1]. */
  meshConfidence?: number;
  quality?: FaceQuality;
  /** The face upright at a fixed framing (the landmark stage's square crop): thumbnails, snapshots, re-embedding. */
  crop?: RgbImage;
  embedding?: Float32Array;
  /** Catalog id of the model that produced `embedding`. */
  embeddingModel?: string;
}

/** What a detector returns before landmarks: its own key points (BlazeFace: 6), possibly none. */
export interface DetectedFace {
  box: Box;
  score: number;
  keypoints: Point[];
}

/** The face with the largest box: the subject of a portrait, the one to compare or enrol. */
export function largestFace<T extends { box: Box }>(faces: readonly T[]): T | undefined {
  return faces.reduce<T | undefined>(
    (best, f) => (!best || f.box.width * f.box.height > best.box.width * best.box.height ? f : best),
    undefined,
  );
}
