// FaceAnalyzer runs the pipeline stages in order — detect → landmarks → align → embed — and builds one
// Face record per face. Models load once (lazily) and are reused for every image.
import { createDetector, type DetectOptions, type FaceDetector } from './detect/detector.js';
import { FaceEmbedder } from './embed/embedder.js';
import type { DetectedFace, Face } from './face.js';
import { clampBox, crop, padImage } from './image/pixels.js';
import { FaceMeshLandmarker, type MeshResult } from './landmarks/facemesh.js';
import { assessQuality, SHARPNESS_SIZE } from './quality.js';
import { ModelRuntime, type RuntimeOptions } from './runtime/sessions.js';
import type { RgbImage } from './types.js';

export const DEFAULT_DETECTOR = 'blazeface-back';
export const DEFAULT_EMBEDDER = 'dlib-resnet';

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
}

export class FaceAnalyzer {
  readonly runtime: ModelRuntime;
  readonly detector: FaceDetector;
  readonly landmarker: FaceMeshLandmarker;
  readonly embedder: FaceEmbedder;
  private readonly detectOptions: DetectOptions;

  constructor(options: AnalyzerOptions) {
    this.runtime = new ModelRuntime(options);
    this.detector = createDetector(this.runtime, options.detector ?? DEFAULT_DETECTOR);
    this.landmarker = new FaceMeshLandmarker(this.runtime);
    this.embedder = new FaceEmbedder(this.runtime, options.embedder ?? DEFAULT_EMBEDDER);
    this.detectOptions = { ...DEFAULT_DETECT_OPTIONS, ...options.detect };
  }

  /** Faces with box, score, five key points, dense landmarks and quality; no embeddings. */
  async detect(image: RgbImage): Promise<Face[]> {
    let found = await this.locate(image);
    if (found.length === 0) found = await this.locateInPadded(image);
    return found.map(({ detected, mesh }) => ({
      box: detected.box,
      score: detected.score,
      keypoints: mesh.keypoints,
      landmarks: mesh.landmarks,
      quality: assessQuality(detected.box, mesh.keypoints, faceRegion(mesh.crop)),
      crop: mesh.crop,
    }));
  }

  /** `detect` plus an L2-normalised embedding per face (all faces of the image in one batch). */
  async analyze(image: RgbImage): Promise<Face[]> {
    const faces = await this.detect(image);
    const embedded = await this.embedder.embed(
      image,
      faces.map((f) => f.keypoints),
    );
    return faces.map((f, i) => ({ ...f, embedding: embedded[i]!.embedding, embeddingModel: this.embedder.modelId }));
  }

  async close(): Promise<void> {
    await this.runtime.release();
  }

  private async locate(image: RgbImage): Promise<{ detected: DetectedFace; mesh: MeshResult }[]> {
    const detected = await this.detector.detect(image, this.detectOptions);
    const meshes = await this.landmarker.landmarks(image, detected);
    return detected
      .map((d, i) => ({ detected: d, mesh: meshes[i]! }))
      .filter((f) => f.detected.score >= SURE_DETECTOR_SCORE || f.mesh.confidence >= MESH_CONFIRMS);
  }

  private async locateInPadded(image: RgbImage): Promise<{ detected: DetectedFace; mesh: MeshResult }[]> {
    const pad = Math.round(Math.max(image.width, image.height) * TIGHT_CROP_PADDING);
    const minSide = Math.min(image.width, image.height) * TIGHT_CROP_MIN_FACE;
    // Only what this fallback is for: a face FaceMesh confirms that fills much of the original frame.
    const found = (await this.locate(padImage(image, pad))).filter(
      (f) => f.mesh.confidence >= MESH_CONFIRMS && Math.max(f.detected.box.width, f.detected.box.height) >= minSide,
    );
    const shift = ([x, y]: [number, number]): [number, number] => [x - pad, y - pad];
    return found.map(({ detected, mesh }) => ({
      detected: {
        box: clampBox({ ...detected.box, x: detected.box.x - pad, y: detected.box.y - pad }, image.width, image.height),
        score: detected.score,
        keypoints: detected.keypoints.map(shift),
      },
      mesh: { ...mesh, keypoints: mesh.keypoints.map(shift), landmarks: mesh.landmarks.map(shift) },
    }));
  }
}

/** The face inside the landmark crop (its central square, about the detector box), for sharpness. */
export function faceRegion(meshCrop: RgbImage): RgbImage {
  const side = 2 * SHARPNESS_SIZE;
  const offset = (meshCrop.width - side) / 2;
  return crop(meshCrop, { x: offset, y: offset, width: side, height: side });
}
