// Open-set identification: who is this face, or "unknown". A face is named only when its best person is
// within the model's calibrated threshold, clearly ahead of the runner-up, and not vetoed by a "not this
// person" correction. Each answer says why, and which enrolled sample it matched.
//
// identify runs per face, per analysed video frame, so it reads nothing from SQLite: the index, the
// negatives and the people's names all come from the gallery's memory (Gallery.searchIndex and
// personName; test/gallery-hot-path.test.ts runs it on a closed connection). It used to read the
// generation counter and then every candidate's row (people.require) per call.
import { distanceToScore } from '../../engine/compare.js';
import { getModelSpec } from '../../engine/models/catalog.js';
import type { Aggregation } from '../../gallery/embedding-index.js';
import type { Gallery } from '../../gallery/gallery.js';

export interface Candidate {
  personId: number;
  name: string;
  /** 1 − the person's similarity under the aggregation rule. */
  distance: number;
  score: number;
  sampleId: number;
}

export type Decision = 'match' | 'empty_gallery' | 'above_threshold' | 'ambiguous';

export interface Identification {
  name: string | null;
  personId: number | null;
  /** Similarity score in [0, 1] of the best candidate (0.5 at the threshold). */
  score: number;
  distance: number | null;
  threshold: number;
  sampleId: number | null;
  decision: Decision;
  /** The best people, best first (vetoed ones left out). */
  candidates: Candidate[];
}

export interface RecognizerOptions {
  aggregation?: Aggregation;
  /** How many people to report as candidates. */
  topK?: number;
}

/**
 * The runner-up must be at least this fraction of the threshold farther than the best person, or the
 * face is too close to call: naming the wrong one of two look-alikes is worse than "unknown".
 */
export const MARGIN_FRACTION = 0.1;
/**
 * A "not NAME" correction vetoes NAME for faces within this fraction of the threshold of the corrected
 * face: the same photo again, resized or recompressed (distance ≈ 0.001), but not the person's other
 * photos (for dlib-resnet, obama's photos lie 0.02–0.04 apart, the threshold is 0.07).
 */
export const VETO_FRACTION = 0.25;

export class Recognizer {
  readonly threshold: number;
  private readonly aggregation: Aggregation;
  private readonly topK: number;

  constructor(
    private readonly gallery: Gallery,
    readonly modelId: string,
    options: RecognizerOptions = {},
  ) {
    const spec = getModelSpec(modelId).embedding;
    if (!spec) throw new Error(`model ${modelId} is not an embedder`);
    this.threshold = spec.threshold;
    this.aggregation = options.aggregation ?? 'nearest';
    this.topK = options.topK ?? 3;
  }

  identify(embedding: Float32Array): Identification {
    const index = this.gallery.searchIndex(this.modelId);
    const vetoSimilarity = 1 - VETO_FRACTION * this.threshold;
    // Ask for a few more than reported, so vetoed people do not leave the list short.
    const matches = index
      .search(embedding, this.topK + 2, this.aggregation)
      .filter((m) => !index.isVetoed(embedding, m.personId, vetoSimilarity))
      .slice(0, this.topK);
    const candidates = matches.map((m): Candidate => {
      const distance = 1 - m.similarity;
      return {
        personId: m.personId,
        name: this.gallery.personName(m.personId),
        distance,
        score: distanceToScore(distance, this.threshold),
        sampleId: m.sampleId,
      };
    });
    const [best, second] = candidates;
    if (!best) return this.unknown('empty_gallery', candidates);
    if (best.distance > this.threshold) return this.unknown('above_threshold', candidates);
    if (second && second.distance - best.distance < MARGIN_FRACTION * this.threshold) {
      return this.unknown('ambiguous', candidates);
    }
    return {
      name: best.name,
      personId: best.personId,
      score: best.score,
      distance: best.distance,
      threshold: this.threshold,
      sampleId: best.sampleId,
      decision: 'match',
      candidates,
    };
  }

  private unknown(decision: Decision, candidates: Candidate[]): Identification {
    const best = candidates[0];
    return {
      name: null,
      personId: null,
      score: best?.score ?? 0,
      distance: best?.distance ?? null,
      threshold: this.threshold,
      sampleId: null,
      decision,
      candidates,
    };
  }
}
