// The detector stage's interface: any model that finds faces, behind one shape (create-detector.ts picks
// the implementation by catalog id; the two files are apart so implementations can import this one).
import type { DetectedFace } from '../face.js';
import type { RgbImage } from '../types.js';

export interface DetectOptions {
  /** Minimum face score in [0, 1]. */
  minScore: number;
  /** Overlap above which two detections are one face. */
  iouThreshold: number;
  /** Faces with a shorter box side (original pixels) are dropped. */
  minFaceSize: number;
}

export interface FaceDetector {
  readonly modelId: string;
  detect(image: RgbImage, options: DetectOptions): Promise<DetectedFace[]>;
}
