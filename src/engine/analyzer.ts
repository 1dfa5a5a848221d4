// FaceAnalyzer runs the pipeline stages in order — detect → landmarks → align → embed — and builds one
// Face record per face. Models load once (lazily) and are reused for every image.
import { createDetector } from './detect/create-detector.js';
import type { DetectOptions, FaceDetector } from './detect/detector.js';
import { FaceEmbedder } from './embed/embedder.js';
import type { DetectedFace, Face } from './face.js';
import { clampBox, crop, padForDetection, paddedToOriginal } from './image/pixels.js';
import { blazeFivePoints } from './landmarks/blaze-points.js';
import { FaceMeshLandmarker, uprightCrop } from './landmarks/facemesh.js';
import { assessQuality, faceSize, poseFromFivePoints, SHARPNESS_SIZE } from './quality.js';
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
 * FaceMesh only where it changes the answer (issue 14): a sure BlazeFace detection at least `minSize` px
 * whose |yaw|, judged from BlazeFace's own points, is below `maxYaw` is aligned on those points
 * (blazeFivePoints) and FaceMesh is not run for it. Measured on dev's 634 largest sure faces (`npm run
 * bench:landmark-skip`; MODELS.md "FaceMesh only where it changes the answer"): on the 114 faces this gate
 * passes, vectors aligned on BlazeFace's points keep a median / 10th-percentile cosine to FaceMesh-aligned
 * ones of faceres 0.977 / 0.961 and fr-feature 0.967 / 0.929 with closed-set rank-1 unchanged or better,
 * and `bench:openset` with this gate keeps fr-feature's figures (balanced 93.3 % right, held out 93.5 %).
 * Not listed, so always FaceMesh: dlib-resnet, the default — its vectors move least (0.996 / 0.993) but
 * its open-set tail moved: balanced held out 80.6 → 76.3 % right (+flip), plain dlib-resnet 4 → 7 of 666
 * strangers named at its shipped threshold; mobileface, which loses rank-1 (89.9 → 79.7 %); and
 * embedders not measured (a user's own).
 */
const BLAZE_ALIGNS: Readonly<Record<string, { minSize: number; maxYaw: number }>> = {
  faceres: { minSize: 64, maxYaw: 30 },
  'fr-feature': { minSize: 64, maxYaw: 30 },
};
/**
 * …and only for a face with context around it: at most this fraction of the frame's shorter side. On tight
 * crops (people/'s 150×150 enrolment crops, faces 95–124 px) BlazeFace's points are near a mean face:
 * their yaw stays at −10…3° while FaceMesh reads −44…+22°, and dlib-resnet vectors aligned on them fall
 * to a cosine of 0.92–0.99 of the FaceMesh-aligned ones (one enrolment then looked like another person).
 */
const MAX_FRAME_FRACTION = 0.5;
/** BlazeFace's six key points; other detectors give none, and their faces always take FaceMesh. */
const BLAZE_KEYPOINTS = 6;

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
  /**
   * 'when-needed' (default): FaceMesh only for faces BLAZE_ALIGNS does not cover; 'always': for every
   * face (dense landmarks and FaceMesh's key points everywhere, as before issue 14; for comparisons).
   */
  landmarks?: 'when-needed' | 'always';
}

export class FaceAnalyzer {
  readonly runtime: ModelRuntime;
  readonly detector: FaceDetector;
  readonly landmarker: FaceMeshLandmarker;
  readonly embedder: FaceEmbedder;
  readonly detectOptions: DetectOptions;
  private readonly meshAlways: boolean;

  constructor(options: AnalyzerOptions) {
    this.runtime = new ModelRuntime(options);
    this.detector = createDetector(this.runtime, options.detector ?? DEFAULT_DETECTOR);
    this.landmarker = new FaceMeshLandmarker(this.runtime);
    const embedder = options.embedder ?? DEFAULT_EMBEDDER;
    this.embedder = new FaceEmbedder(this.runtime, embedder, { flip: options.flip ?? defaultFlip(embedder) });
    this.detectOptions = { ...DEFAULT_DETECT_OPTIONS, ...options.detect };
    this.meshAlways = options.landmarks === 'always';
  }

  /** Faces with box, score, five key points, quality (dense landmarks where FaceMesh ran); no embeddings. */
  async detect(image: RgbImage): Promise<Face[]> {
    const faces = await this.describe(image, await this.candidates(image));
    return faces.length > 0 ? faces : this.detectInPadded(image);
  }

  /** The detector's candidates, before the landmark stage confirms them (cheap: one detector run). */
  candidates(image: RgbImage): Promise<DetectedFace[]> {
    return this.detector.detect(image, this.detectOptions);
  }

  /**
   * Landmarks, confirmation and quality for given candidates; the unconfirmed are dropped. Video uses
   * this to run the detector once per frame and the landmark stage only on frames that need it.
   */
  describe(image: RgbImage, candidates: readonly DetectedFace[]): Promise<Face[]> {
    return this.describeWith(image, candidates, this.meshAlways);
  }

  private async describeWith(
    image: RgbImage,
    candidates: readonly DetectedFace[],
    meshAll: boolean,
  ): Promise<Face[]> {
    const blazeOnly = candidates.map((d) => !meshAll && this.blazePointsSuffice(d, image));
    const meshes = await this.landmarker.landmarks(
      image,
      candidates.filter((_, i) => !blazeOnly[i]),
    );
    let next = 0;
    return candidates.flatMap((d, i): Face[] => {
      if (blazeOnly[i]) {
        // The same upright crop FaceMesh would have seen, so quality and snapshots do not change.
        const keypoints = blazeFivePoints(d.keypoints);
        const crop = uprightCrop(image, d);
        return [
          {
            box: d.box,
            score: d.score,
            keypoints,
            quality: assessQuality(d.box, keypoints, faceRegion(crop)),
            crop,
          },
        ];
      }
      const mesh = meshes[next++]!;
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

  /** Whether BLAZE_ALIGNS lets this face be aligned on BlazeFace's points (it needs no confirming either). */
  private blazePointsSuffice(d: DetectedFace, image: RgbImage): boolean {
    const limits = BLAZE_ALIGNS[this.embedder.modelId];
    if (!limits || d.score < SURE_DETECTOR_SCORE || d.keypoints.length !== BLAZE_KEYPOINTS) return false;
    const size = faceSize(d.box);
    if (size < limits.minSize || size > MAX_FRAME_FRACTION * Math.min(image.width, image.height))
      return false;
    try {
      return Math.abs(poseFromFivePoints(blazeFivePoints(d.keypoints)).yaw) < limits.maxYaw;
    } catch {
      // Points out of face order (the eyes swapped, as on an upside-down face): FaceMesh sorts that out.
      return false;
    }
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
    const found = (await this.describeWith(image, candidates, true)).filter(
      (f) => f.meshConfidence! >= MESH_CONFIRMS && Math.max(f.box.width, f.box.height) >= minSide,
    );
    return found.map((f) => ({ ...f, box: clampBox(f.box, image.width, image.height) }));
  }
}

/** The face inside the landmark crop (its central square, about the detector box), for sharpness. */
export function faceRegion(meshCrop: RgbImage): RgbImage {
  const side = 2 * SHARPNESS_SIZE;
  const offset = (meshCrop.width - side) / 2;
  return crop(meshCrop, { x: offset, y: offset, width: side, height: side });
}
