// face-api's SSD MobileNetV1: slower than BlazeFace (about 33 ms a run here against 3 ms) and without
// key points; kept as the second detector the accuracy benchmark compares against.
import type { DetectedFace } from '../face.js';
import { letterboxForDetection, letterboxBoxToOriginal, toTensorNHWC } from '../image/pixels.js';
import type { ModelRuntime } from '../runtime/sessions.js';
import type { RgbImage } from '../types.js';
import { getModelSpec } from '../models/catalog.js';
import type { DetectOptions, FaceDetector } from './detector.js';
import { nms } from './nms.js';
import { clipToInput, ssdCandidates, SSD_MAX_RESULTS } from './ssd-decode.js';

const MODEL_ID = 'ssd-mobilenetv1';

export class SsdMobileNetDetector implements FaceDetector {
  readonly modelId = MODEL_ID;

  constructor(private readonly runtime: ModelRuntime) {}

  async detect(image: RgbImage, options: DetectOptions): Promise<DetectedFace[]> {
    const { inputSize, scaling } = getModelSpec(MODEL_ID);
    const size = inputSize[0];
    const boxed = await letterboxForDetection(image, size);
    const outputs = await this.runtime.run(MODEL_ID, toTensorNHWC([boxed.image], scaling.mean, scaling.std), [
      1,
      size,
      size,
      3,
    ]);
    const candidates = ssdCandidates(
      { boxes: outputs['boxes']!.data as Float32Array, scores: outputs['scores']!.data as Float32Array },
      0,
      options.minScore,
    );
    return nms(candidates.boxes, candidates.scores, options.iouThreshold, SSD_MAX_RESULTS)
      .map((i) => {
        const b = clipToInput(candidates.boxes[i]!);
        const box = letterboxBoxToOriginal(boxed, {
          x: b.x * size,
          y: b.y * size,
          width: b.width * size,
          height: b.height * size,
        });
        return { box, score: candidates.scores[i]!, keypoints: [] };
      })
      .filter((f) => Math.min(f.box.width, f.box.height) >= options.minFaceSize);
  }
}
