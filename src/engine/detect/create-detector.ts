// The detector zoo: a catalog id to the class that runs it.
import type { ModelRuntime } from '../runtime/sessions.js';
import { BlazeFaceDetector } from './blazeface.js';
import type { FaceDetector } from './detector.js';
import { SsdMobileNetDetector } from './ssd-mobilenet.js';

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
