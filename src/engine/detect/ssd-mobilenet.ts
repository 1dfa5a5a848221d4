// face-api's SSD MobileNetV1: slower than BlazeFace (about 33 ms a run here against 3 ms) and without
// key points; kept as the second detector the accuracy benchmark compares against.
import type { DetectedFace } from '../face.js';
import {
  letterboxForDetection,
  letterboxBoxToOriginal,
  toTensorNHWC,
  type Letterbox,
} from '../image/pixels.js';
import type { ModelRuntime } from '../runtime/sessions.js';
import type { RgbImage } from '../types.js';
import { getModelSpec } from '../models/catalog.js';
import type { DetectOptions, FaceDetector } from './detector.js';
import { nms } from './nms.js';
import { clipToInput, ssdCandidates, SSD_MAX_RESULTS } from './ssd-decode.js';

const MODEL_ID = 'ssd-mobilenetv1';

export class SsdMobileNetDetector implements FaceDetector {
  readonly modelId = MODEL_ID;
  readonly inputSize = getModelSpec(MODEL_ID).inputSize[0];

  constructor(private readonly runtime: ModelRuntime) {}

  async detect(image: RgbImage, options: DetectOptions): Promise<DetectedFace[]> {
    return (await this.detectLetterboxed([await letterboxForDetection(image, this.inputSize)], options))[0]!;
  }

  async detectLetterboxed(boxed: readonly Letterbox[], options: DetectOptions): Promise<DetectedFace[][]> {
    if (boxed.length === 0) return [];
    const size = this.inputSize;
    const { scaling } = getModelSpec(MODEL_ID);
    const input = toTensorNHWC(
      boxed.map((b) => b.image),
      scaling.mean,
      scaling.std,
    );
    const outputs = await this.runtime.run(MODEL_ID, input, [boxed.length, size, size, 3]);
    const raw = {
      boxes: outputs['boxes']!.data as Float32Array,
      scores: outputs['scores']!.data as Float32Array,
    };
    return boxed.map((b, item) => {
      const candidates = ssdCandidates(raw, item, options.minScore);
      return nms(candidates.boxes, candidates.scores, options.iouThreshold, SSD_MAX_RESULTS)
        .map((i) => {
          const c = clipToInput(candidates.boxes[i]!);
          const box = letterboxBoxToOriginal(b, {
            x: c.x * size,
            y: c.y * size,
            width: c.width * size,
            height: c.height * size,
          });
          return { box, score: candidates.scores[i]!, keypoints: [] };
        })
        .filter((f) => Math.min(f.box.width, f.box.height) >= options.minFaceSize);
    });
  }
}
