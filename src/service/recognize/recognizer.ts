// Open-set identification: who is this face, or "unknown". The decision is decision.ts's calibrated rule
// (z-normalised cosine per model, per-person evidence from its best two samples, a threshold per security
// level raised for a poor face and lowered for a clear lead, a runner-up margin), over the people the
// index finds nearest, after the "not this person" corrections have vetoed whom they name. Each answer
// says why: the evidence and the threshold that applied to this face, the margin and the level.
//
// identify runs per face, per analysed video frame, so it reads nothing from SQLite: the index (with each
// sample's low-quality flag), the negatives and the people's names all come from the gallery's memory
// (Gallery.searchIndex and personName; test/gallery-hot-path.test.ts runs it on a closed connection).
import type { FaceQuality } from '../../engine/face.js';
import { getModelSpec } from '../../engine/models/catalog.js';
import type { Aggregation } from '../../gallery/embedding-index.js';
import type { Gallery } from '../../gallery/gallery.js';
import {
  CALIBRATIONS,
  calibrationKey,
  calibrationWithRule,
  decide,
  DEFAULT_SECURITY_LEVEL,
  normalise,
  toScore,
  type Calibration,
  type Decision,
  type PersonCandidate,
  type SecurityLevel,
} from './decision.js';

export type { Decision, SecurityLevel } from './decision.js';

export interface Candidate {
  personId: number;
  name: string;
  /** 1 − cosine similarity of the person's best sample (`sampleId`). */
  distance: number;
  /** In [0, 1]: 0.5 when the person's evidence is at the threshold that applied to this face. */
  score: number;
  sampleId: number;
  /** The person's evidence (z units): 0.7 × its best sample's score + 0.3 × its second's. */
  evidence: number;
}

export interface Identification {
  name: string | null;
  personId: number | null;
  /** In [0, 1] for the best candidate: 0.5 at the threshold that applied to this face. */
  score: number;
  /** 1 − cosine similarity of the matched sample, or of the nearest person's best one when unknown. */
  distance: number | null;
  /**
   * The threshold that applied to this face, as a cosine distance (the distance equivalent of
   * `evidenceThreshold` for the calibration's first model), so distance ≤ threshold reads as before.
   */
  threshold: number;
  sampleId: number | null;
  decision: Decision;
  /** The best people by evidence, best first (vetoed ones left out): for an unknown face, who was nearest. */
  candidates: Candidate[];
  /** The security level the face was judged at. */
  level: SecurityLevel;
  /** The best person's evidence (z units), null for an empty gallery. */
  evidence: number | null;
  /** The evidence needed for this face: the level's threshold + `penalty` − the margin credit (z units). */
  evidenceThreshold: number;
  /** How much this face's quality (size) raised the threshold (z units). */
  penalty: number;
  /** Evidence lead of the best person over the runner-up (z units); null with fewer than two people. */
  margin: number | null;
  /** The lead that was required (z units). */
  requiredMargin: number;
}

/** What identify knows about the face besides its embedding. */
export interface IdentifyContext {
  /** The face's quality (the engine's Face.quality); absent: judged as a large, sharp, frontal face. */
  quality?: FaceQuality;
  /** Security level (default balanced). */
  level?: SecurityLevel;
}

export interface RecognizerOptions {
  /**
   * Ignored by the decision, which weighs each person's best two samples (decision.ts); kept so callers
   * that configure the gallery's search rule still compile. The index's `search` still honours it.
   */
  aggregation?: Aggregation;
  /** How many people to report as candidates. */
  topK?: number;
  /** The embedder's vectors are flip-TTA means (FaceEmbedder's `flip`): picks the calibration. */
  flip?: boolean;
  /** A calibration to use instead of the measured one for (model, flip). */
  calibration?: Calibration;
}

/**
 * A "not NAME" correction vetoes NAME for faces within this fraction of the model's 1:1 threshold of the
 * corrected face: the same photo again, resized or recompressed (distance ≈ 0.001), but not the person's
 * other photos (for dlib-resnet, obama's photos lie 0.02–0.04 apart, the threshold is 0.07).
 */
export const VETO_FRACTION = 0.25;

/** People handed to the decision: the nearest by best sample (their ranking by evidence may differ). */
const DECISION_PEOPLE = 16;
/** Samples per person the rule weighs (decision.ts: 0.7 × best + 0.3 × second). */
const SAMPLES_PER_PERSON = 2;
/** No quality given: a large, sharp, frontal face (no penalty). */
const NO_PENALTY: FaceQuality = { size: Infinity, sharpness: Infinity, yaw: 0, pitch: 0, roll: 0 };

/**
 * For an embedder no calibration was measured for (e.g. one registered with `visage models add` before
 * its levels are measured): the catalog's 1:1 threshold as the balanced boundary of the nearest sample,
 * with the old rule's runner-up margin (10 % of the threshold): z = (similarity − (1 − t)) / (t / 6), so
 * the threshold is z 0 and the 0.6 z margin is 0.1·t. Strict and lenient move it by 1 z (t/6).
 */
export function fallbackCalibration(modelId: string, threshold: number, flip: boolean): Calibration {
  const shipped = calibrationWithRule({ [modelId]: { mean: 1 - threshold, std: threshold / 6 } }, flip, {
    strict: 1,
    balanced: 0,
    lenient: -1,
  });
  // Nothing was measured for this model: no second-sample weighting and no quality penalties.
  return {
    ...shipped,
    secondSampleWeight: 0,
    quality: { ...shipped.quality, perSizeHalving: 0 },
    lowQualitySamplePenalty: 0,
  };
}

export class Recognizer {
  /** The model's calibrated 1:1 cosine-distance threshold (catalog): tracking and enrolment checks use it. */
  readonly threshold: number;
  private readonly topK: number;
  private readonly key: string;
  private readonly given: Calibration | undefined;
  private readonly fallback: Calibration;

  constructor(
    private readonly gallery: Gallery,
    readonly modelId: string,
    options: RecognizerOptions = {},
  ) {
    const spec = getModelSpec(modelId).embedding;
    if (!spec) throw new Error(`model ${modelId} is not an embedder`);
    this.threshold = spec.threshold;
    this.topK = options.topK ?? 3;
    const flip = options.flip ?? false;
    this.key = calibrationKey([modelId], flip);
    this.given = options.calibration;
    this.fallback = fallbackCalibration(modelId, spec.threshold, flip);
    if (this.given) this.normOf(this.given);
  }

  /**
   * The open-set rule's calibration in use: the one given, else the measured (or registered, `visage
   * models add`) one for (model, flip), looked up per use so a calibration registered later applies,
   * else the fallback.
   */
  get calibration(): Calibration {
    return this.given ?? CALIBRATIONS[this.key] ?? this.fallback;
  }

  /** Its key in CALIBRATIONS, `custom`, or `fallback:<key>`. */
  get calibrationKey(): string {
    return this.given ? 'custom' : CALIBRATIONS[this.key] ? this.key : `fallback:${this.key}`;
  }

  identify(embedding: Float32Array, context: IdentifyContext = {}): Identification {
    const index = this.gallery.searchIndex(this.modelId);
    const calibration = this.calibration;
    const norm = this.normOf(calibration);
    const vetoSimilarity = 1 - VETO_FRACTION * this.threshold;
    const people = index
      .searchSamples(embedding, DECISION_PEOPLE, SAMPLES_PER_PERSON)
      .filter((p) => !index.isVetoed(embedding, p.personId, vetoSimilarity));
    const similarity = new Map<number, number>();
    const candidates: PersonCandidate[] = people.map((p) => ({
      personId: p.personId,
      samples: p.samples.map((s) => {
        similarity.set(s.sampleId, s.similarity);
        return { sampleId: s.sampleId, z: normalise(s.similarity, norm), lowQuality: s.lowQuality };
      }),
    }));
    const level = context.level ?? DEFAULT_SECURITY_LEVEL;
    const r = decide({ candidates, quality: context.quality ?? NO_PENALTY, level, calibration });
    const reported = r.ranked.slice(0, this.topK).map((c): Candidate => ({
      personId: c.personId,
      name: this.gallery.personName(c.personId),
      distance: 1 - similarity.get(c.sampleId)!,
      score: toScore(c.evidence, r.threshold),
      sampleId: c.sampleId,
      evidence: c.evidence,
    }));
    const matched = r.decision === 'match';
    const best = reported[0];
    return {
      name: matched ? best!.name : null,
      personId: matched ? r.personId : null,
      score: r.score,
      distance: best?.distance ?? null,
      threshold: this.distanceAt(r.threshold, calibration),
      sampleId: matched ? r.sampleId : null,
      decision: r.decision,
      candidates: reported,
      level: r.level,
      evidence: r.evidence,
      evidenceThreshold: r.threshold,
      penalty: r.penalty,
      margin: Number.isFinite(r.margin) ? r.margin : null,
      requiredMargin: r.requiredMargin,
    };
  }

  /** The cosine distance at which one sample's score alone equals `z` (the calibration's first model). */
  distanceAt(z: number, calibration: Calibration = this.calibration): number {
    const norm = this.normOf(calibration);
    return 1 - (norm.mean + z * norm.std);
  }

  /** The calibration's statistics of this Recognizer's model (it scores one model: no fusion here). */
  private normOf(calibration: Calibration): { mean: number; std: number } {
    const norm = calibration.models[this.modelId];
    const models = Object.keys(calibration.models);
    if (!norm || models.length !== 1) {
      throw new Error(
        `the Recognizer scores one model (${this.modelId}); calibration is for ${models.join('+')}`,
      );
    }
    return norm;
  }
}
