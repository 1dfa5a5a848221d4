// The detector stage: any model that finds faces behind one interface, chosen by catalog id.
import type { DetectedFace } from '../face.js';
import type { ModelRuntime } from '../runtime/sessions.js';
import type { RgbImage } from '../types.js';
import { BlazeFaceDetector } from './blazeface.js';
import { SsdMobileNetDetector } from './ssd-mobilenet.js';

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

export function createDetector(runtime: ModelRuntime, modelId: string): FaceDetector {
  switch (modelId) {
    case 'blazeface-back':
      return new BlazeFaceDetector(runtime, modelId);
    case 'ssd-mobilenetv1':
      return new SsdMobileNetDetector(runtime);
    default:
      throw new Error(`'${modelId}' is not a face detector (detectors: blazeface-back, ssd-mobilenetv1)`);
  }
}
