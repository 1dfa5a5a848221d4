// The detector stage's interface: any model that finds faces, behind one shape (create-detector.ts picks
// the implementation by catalog id; the two files are apart so implementations can import this one).
import type { DetectedFace } from '../face.js';
import type { Letterbox } from '../image/pixels.js';
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
  /** The model's square input side: images are letterboxed to it (letterboxForDetection). */
  readonly inputSize: number;
  detect(image: RgbImage, options: DetectOptions): Promise<DetectedFace[]>;
  /**
   * The faces of each letterboxed image from one run of the model over all of them: per image, what
   * detect() finds on the image it was made from. Letterboxing apart lets video make the input before
   * its turn for the model, and live sources share one run (frame-stages.ts).
   */
  detectLetterboxed(boxed: readonly Letterbox[], options: DetectOptions): Promise<DetectedFace[][]>;
}
