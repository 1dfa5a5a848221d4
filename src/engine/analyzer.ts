// FaceAnalyzer runs the pipeline stages in order — detect → landmarks → align → embed — and builds one
// Face record per face. Models load once (lazily) and are reused for every image.
import { createDetector } from './detect/create-detector.js';
import type { DetectOptions, FaceDetector } from './detect/detector.js';
import { FaceEmbedder } from './embed/embedder.js';
import type { DetectedFace, Face } from './face.js';
import {
  clampBox,
  crop,
  letterboxForDetection,
  padForDetection,
  paddedToOriginal,
  type Letterbox,
} from './image/pixels.js';
import { FaceMeshLandmarker, type MeshResult } from './landmarks/facemesh.js';
import { assessQuality, SHARPNESS_SIZE } from './quality.js';
import { ModelRuntime, type RuntimeOptions } from './runtime/sessions.js';
import type { Point, RgbImage } from './types.js';

export const DEFAULT_DETECTOR = 'blazeface-back';
export const DEFAULT_EMBEDDER = 'dlib-resnet';

/**
 * Whether an embedder runs with horizontal-flip TTA unless told: the default embedder does (the default
 * open-set calibration, dlib-resnet+flip, was measured on flipped vectors: +1.6 points of held-out recall
 * for twice the embedder's ≈ 3 ms a face, MODELS.md); the others' calibrations are of plain vectors.
 */
export function defaultFlip(embedder: string): boolean {
  return embedder === DEFAULT_EMBEDDER;
}

export const DEFAULT_DETECT_OPTIONS: DetectOptions = {
  minScore: 0.4,
  iouThreshold: 0.3,
  minFaceSize: 12,
};

/**
 * A candidate is a face when the detector is sure of it, or when FaceMesh — a second, independent
 * look at the crop — confirms it. On the dlib boxes this keeps a half-occluded face FaceMesh doubts
 * (detector 0.66, mesh 0.07) and drops the dogs of dogs.jpg (detector ≤ 0.54, mesh ≤ 0.04); FaceMesh's
 * confidence is bimodal (≈1 for faces, ≈0 otherwise), so 0.5 is not a fine-tuned value.
 */
const SURE_DETECTOR_SCORE = 0.6;
const MESH_CONFIRMS = 0.5;

/**
 * When nothing is found, the image may be a tight crop in which the face fills the frame (detectors
 * are trained on faces with context around them): pad by this fraction of the longer side and retry.
 */
const TIGHT_CROP_PADDING = 0.5;
/** …and accept only faces at least this fraction of the original's shorter side. */
const TIGHT_CROP_MIN_FACE = 0.4;

export interface AnalyzerOptions extends RuntimeOptions {
  detector?: string;
  embedder?: string;
  detect?: Partial<DetectOptions>;
  /** Flip TTA for the embedder (default: defaultFlip(embedder)). Enrolment and recognition share it. */
  flip?: boolean;
}

export class FaceAnalyzer {
  readonly runtime: ModelRuntime;
  readonly detector: FaceDetector;
  readonly landmarker: FaceMeshLandmarker;
  readonly embedder: FaceEmbedder;
  readonly detectOptions: DetectOptions;

  constructor(options: AnalyzerOptions) {
    this.runtime = new ModelRuntime(options);
    this.detector = createDetector(this.runtime, options.detector ?? DEFAULT_DETECTOR);
    this.landmarker = new FaceMeshLandmarker(this.runtime);
    const embedder = options.embedder ?? DEFAULT_EMBEDDER;
    this.embedder = new FaceEmbedder(this.runtime, embedder, { flip: options.flip ?? defaultFlip(embedder) });
    this.detectOptions = { ...DEFAULT_DETECT_OPTIONS, ...options.detect };
  }

  /** Faces with box, score, five key points, dense landmarks and quality; no embeddings. */
  async detect(image: RgbImage): Promise<Face[]> {
    const faces = await this.describe(image, await this.candidates(image));
    return faces.length > 0 ? faces : this.detectInPadded(image);
  }

  /** The detector's candidates, before the landmark stage confirms them (cheap: one detector run). */
  candidates(image: RgbImage): Promise<DetectedFace[]> {
    return this.detector.detect(image, this.detectOptions);
  }

  /** The detector's input for an image (its letterbox; no model runs), for candidatesOf. */
  detectorInput(image: RgbImage): Promise<Letterbox> {
    return letterboxForDetection(image, this.detector.inputSize);
  }

  /** candidates() of the images these inputs were made from, in one detector run. */
  candidatesOf(inputs: readonly Letterbox[]): Promise<DetectedFace[][]> {
    return this.detector.detectLetterboxed(inputs, this.detectOptions);
  }

  /**
   * Landmarks, confirmation and quality for given candidates; the unconfirmed are dropped. Video uses
   * this to run the detector once per frame and the landmark stage only on frames that need it.
   */
  async describe(image: RgbImage, candidates: readonly DetectedFace[]): Promise<Face[]> {
    return (await this.describeBatch([{ image, candidates }]))[0]!;
  }

  /** describe() of several images' candidates with one landmark run. */
  async describeBatch(
    items: readonly { image: RgbImage; candidates: readonly DetectedFace[] }[],
  ): Promise<Face[][]> {
    const meshes = await this.landmarker.landmarksBatch(
      items.map((it) => ({ image: it.image, faces: it.candidates })),
    );
    return items.map((it, k) => confirmed(it.candidates, meshes[k]!));
  }

  /** `detect` plus an L2-normalised embedding per face (all faces of the image in one batch). */
  async analyze(image: RgbImage): Promise<Face[]> {
    const faces = await this.detect(image);
    const embedded = await this.embedder.embed(
      image,
      faces.map((f) => f.keypoints),
    );
    return faces.map((f, i) => ({
      ...f,
      embedding: embedded[i]!.embedding,
      embeddingModel: this.embedder.modelId,
    }));
  }

  async close(): Promise<void> {
    await this.runtime.release();
  }

  private async detectInPadded(image: RgbImage): Promise<Face[]> {
    const pad = Math.round(Math.max(image.width, image.height) * TIGHT_CROP_PADDING);
    const minSide = Math.min(image.width, image.height) * TIGHT_CROP_MIN_FACE;
    // Only the detector needs the padded frame, and only at its own input size: padding the original
    // (a 65535×700 panorama would become 131071×66236) is bounded by padForDetection's budget instead.
    // The landmark stage then reads the original, whose warps fill outside it with black, as padding did.
    const padded = await padForDetection(image, pad);
    const toOriginal = (p: Point): Point => paddedToOriginal(padded, p);
    const candidates = (
      await this.detector.detect(padded.image, {
        ...this.detectOptions,
        minFaceSize: this.detectOptions.minFaceSize * padded.scale,
      })
    ).map((d) => {
      const [x, y] = toOriginal([d.box.x, d.box.y]);
      const box = { x, y, width: d.box.width / padded.scale, height: d.box.height / padded.scale };
      return { ...d, box, keypoints: d.keypoints.map(toOriginal) };
    });
    // Only what this fallback is for: a face FaceMesh confirms that fills much of the original frame.
    const found = (await this.describe(image, candidates)).filter(
      (f) => f.meshConfidence! >= MESH_CONFIRMS && Math.max(f.box.width, f.box.height) >= minSide,
    );
    return found.map((f) => ({ ...f, box: clampBox(f.box, image.width, image.height) }));
  }
}

/** The candidates the landmark stage confirms, as faces with key points, landmarks and quality. */
function confirmed(candidates: readonly DetectedFace[], meshes: readonly MeshResult[]): Face[] {
  return candidates.flatMap((d, i) => {
    const mesh = meshes[i]!;
    if (d.score < SURE_DETECTOR_SCORE && mesh.confidence < MESH_CONFIRMS) return [];
    return [
      {
        box: d.box,
        score: d.score,
        keypoints: mesh.keypoints,
        landmarks: mesh.landmarks,
        quality: assessQuality(d.box, mesh.keypoints, faceRegion(mesh.crop)),
        crop: mesh.crop,
        meshConfidence: mesh.confidence,
      },
    ];
  });
}

/** The face inside the landmark crop (its central square, about the detector box), for sharpness. */
export function faceRegion(meshCrop: RgbImage): RgbImage {
  const side = 2 * SHARPNESS_SIZE;
  const offset = (meshCrop.width - side) / 2;
  return crop(meshCrop, { x: offset, y: offset, width: side, height: side });
}
