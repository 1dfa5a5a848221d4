// The in-memory 1:N index of one model's embeddings: every query is answered from RAM, never from SQLite.
//
// Exhaustive and staged: an int8 SIMD scan (int8-scan.ts) ranks vectors approximately, then the few best
// people are rescored exactly from float32 copies. Quantisation moves a similarity by a few 10^-3, far
// less than the gap a 4k-person shortlist leaves, so results equal an exact float search (measured by
// bench/gallery.ts). Unlike a partitioned (IVF) index nothing needs training, mutations are O(1), and
// recall does not depend on how embeddings cluster.
//
// Past the memory wall (from COARSE_FROM vectors): the int8 scan reads 128 B per 128-D vector, 128 MB per
// query at 1M. A coarse pass first (coarse-codes.ts: 4 bits per dimension plus a per-row error bound,
// 67 B per vector, one table lookup per dimension for 16 rows at once) bounds every vector's similarity
// from above, and the int8 scan reads only the rows whose bound reaches L, the k-th best person's exact
// similarity among the ~512 best-bounded rows; past 25 % of the gallery the full scan runs instead. The
// exact rescoring is unchanged.
// The invariant the recognizer needs (each of the 16 nearest people with their best two samples, exact,
// so the decision rule sees the same best, second and runner-up) holds when every top-16 person's best
// sample reaches the int8 scan, since every sample of a shortlisted person is rescored from float32. It
// is proven, not measured: L is at most the true 16th best person's similarity, and the coarse pass drops
// only rows whose similarity is provably below L (the proof is in coarse-codes.ts), so no top-16 person's
// best sample is dropped and the int8 shortlist sees every row that can matter. It holds for any k (the
// look-alike scan too). bench/gallery.ts still compares the coarse path's whole searchSamples(q, 16, 2)
// answer with the exact path's on every query, and both with an independent float32 search.
// Figures (bench:gallery; 2 shared cores, loaded by other work, so absolute times swing 2-4× between
// runs; ratios are from the same run, medians of 3 interleaved rounds of 200 queries):
// - 1M random identities, three runs: p50 exact 29.5 ms → coarse 17.1 ms (1.73×), 31.3 → 17.9 (1.74×),
//   34.5 → 20.0 (1.72×), the int8 scan reading 0.4 % of the gallery; recall@1 1.000, the top-16 answer
//   identical on 200/200 queries each time.
// - 100k: 3.59 → 3.38 ms (1.06×) and 3.52 → 2.68 ms (1.31×), reading 1.6 %; identical 200/200.
// - dlib set (330 held-out dev photos, dlib-resnet, among 1M face-like distractors): p50 29.9 → 24.3 ms
//   (1.23×), reading 3.5 % on average (64 seeds instead of 512: 1.19× and 1.18×, reading 6.5 %);
//   recall@1 1.000, the whole top-16 answer identical on 330/330 in every run (the exact path itself
//   differs from the float32 reference on 1/330).
// - Not reached: issue 14's p50 ≤ 5 ms and ≥ 2.5× at 1M. The 4-bit scan of every row costs ~57 % of the
//   int8 scan (coarse-codes.ts), and 2-bit codes, twice as cheap, admit no useful proof.
// - Switch-over: at 10k-30k the coarse pass did not pay, at 100k it did: COARSE_FROM 100k.
// Memory per 128-D vector: 733 B in all (float32 512, int8 128 + scale 4, coarse codes 67 + scratch 6,
// ids 8, per-query scratch 8).
// Tried and dropped: 2-bit codes (32 B) with a statistical cut, 4 standard deviations of the quantiser's
// error about the ~16th best and at least 1 % of the gallery: faster (43.9 → 20.1 ms, 2.19× at 1M
// random; 46.0 → 36.7 ms, 1.25× face-like; one run this session) but unproven, and the face-like top 16
// differed on 1/330 queries (3σ: 2.73× / 2.16×, differing on 2.4 %); no bound fits 2 bits
// (coarse-codes.ts). A fixed 1 % of candidates was
// 2.6× faster at 1M but changed the face-like top 16 on 12 % of queries. 1-bit sign codes (16 B) needed
// up to 39 % of 1M as candidates for the exact top 16 and their popcount kernel cost as much per row as
// the int8 scan; an int8 scan of a few % of scattered rows is latency-bound (80k listed rows took ~70 %
// of a full scan) and touching rows ahead did not help. Codes about the origin were 5× worse than about
// the gallery's mean on face-like vectors.
import { VisageError } from '../errors.js';
import { Int8VectorStore } from './int8-scan.js';
import { CoarseCodeStore } from './coarse-codes.js';
import { dotAt, normalized } from './vectors.js';

/**
 * How one person's samples combine into the person's score for a query:
 * - `nearest`: the best sample's similarity;
 * - `mean`: the mean over all the person's samples;
 * - `trimmed-mean`: the mean after dropping the lowest and the highest 20 % of the samples' similarities
 *   (⌊0.2·n⌋ on each side, so nothing is dropped below 5 samples).
 */
export type Aggregation = 'nearest' | 'mean' | 'trimmed-mean';

export interface PersonMatch {
  personId: number;
  /** The person's sample most similar to the query. */
  sampleId: number;
  /** The person's score under the aggregation rule: cosine similarity in [-1, 1]. */
  similarity: number;
  /** Similarity of `sampleId` alone. */
  sampleSimilarity: number;
}

export interface IndexEntry {
  sampleId: number;
  personId: number;
  vector: Float32Array;
  /** The sample was enrolled although small (see LOW_QUALITY_SAMPLE_SIZE in gallery.ts): it counts less. */
  lowQuality?: boolean;
}

/** One sample's exact similarity to a query. */
export interface SampleMatch {
  sampleId: number;
  /** Cosine similarity in [-1, 1]. */
  similarity: number;
  lowQuality: boolean;
}

/** One person's best samples for a query, best first (what the open-set decision rule weighs). */
export interface PersonSamples {
  personId: number;
  samples: SampleMatch[];
}

export interface IndexStats {
  modelId: string;
  dim: number;
  vectors: number;
  people: number;
  /** Bytes of typed arrays and WebAssembly memory (capacity, not just size; id maps excluded). */
  bytes: number;
}

// People shortlisted by the int8 scan for exact rescoring: max(4k, 32).
const SHORTLIST_FACTOR = 4;
const SHORTLIST_MIN = 32;
const TRIM_FRACTION = 0.2;
const INITIAL_CAPACITY = 64;
/** Vectors from which the coarse pass runs before the int8 scan (below it the int8 scan alone is as fast). */
export const COARSE_FROM = 100_000;
/** Coarse codes are re-centred on the gallery (mean, spread) from this size on, each time it doubles. */
const RECENTER_FROM = 256;

export class EmbeddingIndex {
  private dimension = 0;
  private count = 0;
  private capacity = 0;
  private requestedCapacity = INITIAL_CAPACITY;
  private codes: Int8VectorStore | null = null;
  private coarse: CoarseCodeStore | null = null;
  private centeredAt = 0;
  private vectors = new Float32Array(0);
  private samples = new Int32Array(0);
  private persons = new Int32Array(0);
  private readonly slotOf = new Map<number, number>();
  private readonly samplesOf = new Map<number, number[]>();
  private readonly lowQuality = new Set<number>();
  private readonly negatives = new Map<number, Float32Array[]>();

  /**
   * Size from which searches take the coarse pass (COARSE_FROM); the benchmark and tests set it to
   * compare both paths on one index (0: always, Infinity: never).
   */
  coarseFrom = COARSE_FROM;
  private scanned = 0;

  constructor(
    readonly modelId: string,
    private readonly defaultAggregation: Aggregation = 'nearest',
  ) {}

  static fromEntries(
    modelId: string,
    entries: Iterable<IndexEntry>,
    options: { aggregation?: Aggregation; expectedSize?: number } = {},
  ): EmbeddingIndex {
    const index = new EmbeddingIndex(modelId, options.aggregation);
    if (options.expectedSize) index.reserve(options.expectedSize);
    for (const e of entries) index.add(e.sampleId, e.personId, e.vector, e.lowQuality);
    return index;
  }

  /** Vector length, 0 until the first vector arrives. */
  get dim(): number {
    return this.dimension;
  }

  /** Number of vectors (samples). */
  get size(): number {
    return this.count;
  }

  has(sampleId: number): boolean {
    return this.slotOf.has(sampleId);
  }

  /** Sample ids held for a person. */
  samplesOfPerson(personId: number): readonly number[] {
    return this.samplesOf.get(personId) ?? [];
  }

  /** Pre-sizes storage for `size` vectors, so a bulk load does not reallocate (and briefly double) it. */
  reserve(size: number): void {
    this.requestedCapacity = Math.max(this.requestedCapacity, size);
    if (this.dimension > 0) this.grow(size);
  }

  /**
   * Adds a sample's vector (normalised here), replacing the sample's previous vector if any. `lowQuality`
   * flags a sample enrolled small; left undefined, a replaced sample keeps its flag (a re-embedding).
   */
  add(sampleId: number, personId: number, vector: Float32Array, lowQuality?: boolean): void {
    checkId('sample', sampleId);
    checkId('person', personId);
    const unit = normalized(vector);
    this.adoptDim(unit);
    const flagged = lowQuality ?? this.lowQuality.has(sampleId);
    if (this.slotOf.has(sampleId)) this.remove(sampleId);
    if (flagged) this.lowQuality.add(sampleId);
    if (this.count === this.capacity) this.grow(Math.max(this.requestedCapacity, 2 * this.capacity));
    const slot = this.count++;
    this.vectors.set(unit, slot * this.dimension);
    this.codes!.set(slot, unit);
    this.coarse!.set(slot, unit);
    this.samples[slot] = sampleId;
    this.persons[slot] = personId;
    this.slotOf.set(sampleId, slot);
    this.own(personId, sampleId);
    if (this.count >= RECENTER_FROM && this.count >= 2 * this.centeredAt) {
      this.coarse!.recenter(this.vectors, this.count);
      this.centeredAt = this.count;
    }
  }

  /** True when the sample was enrolled small (flagged at add, from its stored quality). */
  isLowQuality(sampleId: number): boolean {
    return this.lowQuality.has(sampleId);
  }

  /** Flags (or unflags) a held sample as low quality; false if the index does not hold it. */
  setLowQuality(sampleId: number, lowQuality: boolean): boolean {
    if (!this.slotOf.has(sampleId)) return false;
    if (lowQuality) this.lowQuality.add(sampleId);
    else this.lowQuality.delete(sampleId);
    return true;
  }

  /** Removes a sample; false if the index did not hold it. */
  remove(sampleId: number): boolean {
    const slot = this.slotOf.get(sampleId);
    if (slot === undefined) return false;
    const personId = this.persons[slot];
    const last = --this.count;
    if (slot !== last) {
      // Keep slots dense: the last vector fills the hole.
      const dim = this.dimension;
      this.vectors.copyWithin(slot * dim, last * dim, (last + 1) * dim);
      this.codes!.copy(last, slot);
      this.coarse!.copy(last, slot);
      this.samples[slot] = this.samples[last];
      this.persons[slot] = this.persons[last];
      this.slotOf.set(this.samples[slot], slot);
    }
    this.slotOf.delete(sampleId);
    this.lowQuality.delete(sampleId);
    this.disown(personId, sampleId);
    return true;
  }

  /** Reassigns a sample to another person. */
  move(sampleId: number, personId: number): void {
    checkId('person', personId);
    const slot = this.slotOf.get(sampleId);
    if (slot === undefined || this.persons[slot] === personId) return;
    this.disown(this.persons[slot], sampleId);
    this.persons[slot] = personId;
    this.own(personId, sampleId);
  }

  /** Drops a person's samples and negatives; returns how many samples were removed. */
  removePerson(personId: number): number {
    const owned = [...this.samplesOfPerson(personId)];
    for (const sampleId of owned) this.remove(sampleId);
    this.negatives.delete(personId);
    return owned.length;
  }

  /** Moves every sample and negative of `fromId` to `intoId`. */
  mergePerson(fromId: number, intoId: number): void {
    for (const sampleId of [...this.samplesOfPerson(fromId)]) this.move(sampleId, intoId);
    const negatives = this.negatives.get(fromId);
    if (negatives) {
      this.negatives.delete(fromId);
      this.negatives.set(intoId, [...(this.negatives.get(intoId) ?? []), ...negatives]);
    }
  }

  /** Records "this face is not that person" (a `--not NAME` correction). */
  addNegative(personId: number, vector: Float32Array): void {
    checkId('person', personId);
    const unit = normalized(vector);
    this.adoptDim(unit);
    const list = this.negatives.get(personId);
    if (list) list.push(unit);
    else this.negatives.set(personId, [unit]);
  }

  /** True when a negative example of `personId` is at least `similarityThreshold` similar to `query`. */
  isVetoed(query: Float32Array, personId: number, similarityThreshold: number): boolean {
    const negatives = this.negatives.get(personId);
    if (!negatives) return false;
    const q = normalized(query);
    this.checkDim(q);
    return negatives.some((n) => dotAt(q, n, 0) >= similarityThreshold);
  }

  /**
   * The `k` people most similar to `query`, best first, each with their best-matching sample.
   * People are shortlisted by their best sample (top max(4k, 32) by the int8 scan), then scored exactly
   * under the rule. For `nearest` that is the exact top k. For mean-type rules anyone left out has every
   * sample below the shortlist's floor, so a result scoring above the floor (any genuine match) is ranked
   * exactly; below it, when nothing matches well, a lower rank may miss someone with many middling samples.
   */
  search(query: Float32Array, k: number, aggregation: Aggregation = this.defaultAggregation): PersonMatch[] {
    if (this.count === 0 || k <= 0) return [];
    const q = normalized(query);
    return this.shortlist(q, k)
      .map((personId) => this.rescore(q, personId, aggregation))
      .sort((a, b) => b.similarity - a.similarity)
      .slice(0, k);
  }

  /**
   * The `k` people whose best sample is most similar to `query`, best first, each with their
   * `perPerson` most similar samples (exact similarities, best first): the input of the open-set rule
   * (decision.ts weighs a person's best two samples). Same two stages as `search` — the int8 scan
   * shortlists max(4k, 32) people by their best sample, then every sample of those people is rescored
   * exactly from float32 — so the people and samples returned are those an exact search would return
   * (anyone left out has every sample below the shortlist's floor).
   */
  searchSamples(query: Float32Array, k: number, perPerson = 2): PersonSamples[] {
    if (this.count === 0 || k <= 0 || perPerson <= 0) return [];
    const q = normalized(query);
    return this.shortlist(q, k)
      .map((personId): PersonSamples => {
        const samples = this.samplesOf.get(personId)!.map((sampleId): SampleMatch => ({
          sampleId,
          similarity: this.exact(q, sampleId),
          lowQuality: this.lowQuality.has(sampleId),
        }));
        samples.sort((a, b) => b.similarity - a.similarity);
        return { personId, samples: samples.slice(0, perPerson) };
      })
      .sort((a, b) => b.samples[0]!.similarity - a.samples[0]!.similarity)
      .slice(0, k);
  }

  /** Vectors the int8 scan read for the last search: all of them, or the coarse pass's candidates. */
  get lastScanned(): number {
    return this.scanned;
  }

  stats(): IndexStats {
    return {
      modelId: this.modelId,
      dim: this.dimension,
      vectors: this.count,
      people: this.samplesOf.size,
      bytes:
        this.vectors.byteLength +
        this.samples.byteLength +
        this.persons.byteLength +
        (this.codes?.bytes ?? 0) +
        (this.coarse?.bytes ?? 0),
    };
  }

  /**
   * People shortlisted by the int8 scan for exact rescoring (top max(4k, 32) by their best sample). In a
   * large gallery the int8 scan reads only the coarse pass's candidates (see the header).
   */
  private shortlist(q: Float32Array, k: number): number[] {
    this.checkDim(q);
    const shortlist = new Shortlist(Math.max(SHORTLIST_FACTOR * k, SHORTLIST_MIN));
    const persons = this.persons;
    if (this.count >= this.coarseFrom) {
      const rows = this.coarse!.candidates(q, this.count, (seeds) => this.kthBestPerson(q, seeds, k));
      if (rows) {
        this.scanned = rows.length;
        const { dots, scales } = this.codes!.scanListedRows(q, rows);
        for (let i = 0; i < rows.length; i++) {
          const row = rows[i];
          const s = dots[i] * scales[row];
          if (s > shortlist.floor) shortlist.offer(persons[row], s);
        }
        return shortlist.people();
      }
    }
    this.scanned = this.count;
    const { dots, scales } = this.codes!.scan(q, this.count);
    for (let i = 0; i < this.count; i++) {
      const s = dots[i] * scales[i];
      if (s > shortlist.floor) shortlist.offer(persons[i], s);
    }
    return shortlist.people();
  }

  /**
   * The k-th best of the people's best exact similarities over `rows`: a lower bound on the k-th best over
   * the whole gallery (null when the rows hold fewer than k people).
   */
  private kthBestPerson(q: Float32Array, rows: Int32Array, k: number): number | null {
    const best = new Map<number, number>();
    for (let i = 0; i < rows.length; i++) {
      const s = dotAt(q, this.vectors, rows[i] * this.dimension);
      const person = this.persons[rows[i]];
      const seen = best.get(person);
      if (seen === undefined || s > seen) best.set(person, s);
    }
    if (best.size < k) return null;
    return [...best.values()].sort((a, b) => b - a)[k - 1];
  }

  /** Exact similarity of a unit query to one held sample, from its float32 copy. */
  private exact(q: Float32Array, sampleId: number): number {
    // Clamped: float32 rounding can put a vector's similarity with itself a hair above 1.
    return Math.min(1, Math.max(-1, dotAt(q, this.vectors, this.slotOf.get(sampleId)! * this.dimension)));
  }

  /** Exact score of one person from the float32 copies of all their samples. */
  private rescore(q: Float32Array, personId: number, aggregation: Aggregation): PersonMatch {
    const sampleIds = this.samplesOf.get(personId)!;
    const similarities = sampleIds.map((id) => this.exact(q, id));
    let best = 0;
    for (let i = 1; i < similarities.length; i++) if (similarities[i] > similarities[best]) best = i;
    let similarity = similarities[best];
    if (aggregation !== 'nearest') {
      const sorted = [...similarities].sort((a, b) => a - b);
      const drop = aggregation === 'trimmed-mean' ? Math.floor(TRIM_FRACTION * sorted.length) : 0;
      const kept = sorted.slice(drop, sorted.length - drop);
      similarity = kept.reduce((a, b) => a + b, 0) / kept.length;
    }
    return { personId, sampleId: sampleIds[best], similarity, sampleSimilarity: similarities[best] };
  }

  private grow(capacity: number): void {
    if (capacity <= this.capacity) return;
    const dim = this.dimension;
    const vectors = new Float32Array(capacity * dim);
    vectors.set(this.vectors.subarray(0, this.count * dim));
    const samples = new Int32Array(capacity);
    samples.set(this.samples.subarray(0, this.count));
    const persons = new Int32Array(capacity);
    persons.set(this.persons.subarray(0, this.count));
    this.codes!.reserve(capacity);
    this.coarse!.reserve(capacity);
    Object.assign(this, { vectors, samples, persons, capacity });
  }

  private adoptDim(unit: Float32Array): void {
    if (this.dimension === 0) {
      this.dimension = unit.length;
      this.codes = new Int8VectorStore(unit.length);
      this.coarse = new CoarseCodeStore(unit.length);
    }
    this.checkDim(unit);
  }

  private checkDim(v: Float32Array): void {
    if (v.length !== this.dimension) {
      throw new VisageError(
        'dimension_mismatch',
        `model ${this.modelId} has ${this.dimension}-D embeddings, got ${v.length}-D`,
        { modelId: this.modelId, expected: this.dimension, actual: v.length },
      );
    }
  }

  private own(personId: number, sampleId: number): void {
    const owned = this.samplesOf.get(personId);
    if (owned) owned.push(sampleId);
    else this.samplesOf.set(personId, [sampleId]);
  }

  private disown(personId: number, sampleId: number): void {
    const owned = this.samplesOf.get(personId)!;
    owned.splice(owned.indexOf(sampleId), 1);
    if (owned.length === 0) this.samplesOf.delete(personId);
  }
}

/** The best `capacity` distinct people seen so far by approximate score. */
class Shortlist {
  private readonly persons: Int32Array;
  private readonly scores: Float64Array;
  private count = 0;
  private minSlot = 0;
  /** Scores at or below this cannot enter: -Infinity until full, then the worst kept score. */
  floor = -Infinity;

  constructor(private readonly capacity: number) {
    this.persons = new Int32Array(capacity);
    this.scores = new Float64Array(capacity);
  }

  offer(personId: number, score: number): void {
    // Only scores above the floor get here: rare once full, so a linear scan beats a heap plus a map.
    for (let i = 0; i < this.count; i++) {
      if (this.persons[i] === personId) {
        if (score > this.scores[i]) {
          this.scores[i] = score;
          if (i === this.minSlot) this.updateFloor();
        }
        return;
      }
    }
    const slot = this.count < this.capacity ? this.count++ : this.minSlot;
    this.persons[slot] = personId;
    this.scores[slot] = score;
    if (this.count === this.capacity) this.updateFloor();
  }

  people(): number[] {
    return Array.from(this.persons.subarray(0, this.count));
  }

  private updateFloor(): void {
    let min = 0;
    for (let i = 1; i < this.count; i++) if (this.scores[i] < this.scores[min]) min = i;
    this.minSlot = min;
    this.floor = this.count === this.capacity ? this.scores[min] : -Infinity;
  }
}

/** Ids are SQLite rowids kept in Int32Arrays (half the bytes of Float64Array): 1 … 2^31−1. */
function checkId(kind: string, id: number): void {
  if (!Number.isInteger(id) || id < 1 || id > 0x7fffffff) throw new RangeError(`invalid ${kind} id ${id}`);
}
