// Four bits per dimension and a per-row error bound: the coarse first pass of a large gallery's 1:N search
// (embedding-index.ts). It discards only rows that provably cannot reach the search's answer.
//
// Why: the int8 scan reads 128 B and does 16 SIMD multiply-adds per 128-D vector. Here a vector is 67 B
// and costs one table lookup per dimension for 16 vectors at once; only the rows whose upper bound
// reaches the answer go on to the int8 scan.
//
// The bound (a proof, no statistics). Codes: each component's offset from the gallery's centre c, in
// units of that dimension's standard deviation σ_j, quantised by the 4-bit Lloyd–Max quantiser of a
// Gaussian; x̂ = c + σ∘ℓ(x) is the decoded vector, and E_x = ‖x − x̂‖ is measured when the row is encoded
// and stored rounded up (e0 + n·unit, in error nibbles). For a unit query q, by Cauchy–Schwarz,
//   ⟨q, x⟩ = ⟨q, c⟩ + Σ_j q_j σ_j ℓ_j(x) + ⟨q, x − x̂⟩ ≤ ⟨q, c⟩ + Σ_j q_j σ_j ℓ_j(x) + E_x.
// The kernel sums integer entries T_j[code] = round(s · q_j σ_j ℓ_code) + bias (s: the query's scale),
// each off by at most its table's largest rounding error r_j, plus the error nibbles' entries, rounded
// up so that they sum to at least s · (E_x − e0). So with R = Σ_j r_j, S(x) − bias + R ≥
// s · (⟨q, x⟩ − ⟨q, c⟩ − e0), and a row with S(x) < s · (L − ⟨q, c⟩ − e0 − ε) + bias − R has
// ⟨q, x⟩ < L (ε = 10^-4 covers float32 rounding of the similarities and of ‖q‖). L is the k-th best
// person's exact similarity among the ~512 rows with the best bounds (the seeds): a lower bound on the
// k-th best person's over the whole gallery, so every sample that is some top-k person's best is kept.
// Rows whose error lies past the stored range (outliers: ~0.1 % at re-centring) are always kept. The cut
// holds for any gallery and query; only how many rows it keeps depends on them, and past 25 % of the
// gallery it gives up (null: scan everything).
//
// The centre, σ and the error range are re-measured each time the gallery doubles (EmbeddingIndex
// re-encodes then); any centre gives a valid bound, only its tightness depends on it. Codes about the
// mean rather than the origin matter: face embeddings sit in one narrow cone.
//
// Kernel: the layout of FAISS's 4-bit "fast scan". Rows are stored in blocks of 32; a nibble holds one
// dimension's code (or a share of the error bound), and for each nibble a block keeps 16 bytes (row r's
// in the low half of byte r, row r + 16's in the high half). The query becomes one 16-entry byte table per
// nibble, so `i8x16.swizzle` looks up 16 rows in one instruction. Bytes are summed in u16 lanes without
// widening: acc += lookup (even + 256·odd), odd += lookup >> 8, and even = acc − 256·odd at the end.
// Entries span ±122 (128-D): the i16 sum of 134 of them must fit.
//
// Figures (bench:gallery, 128-D, 2 shared cores under other load; same-run medians, see
// embedding-index.ts): at 1M random 29.5 → 17.1 ms (1.73×; two earlier runs 1.74×, 1.72×), the int8
// scan reading 0.4 %; at 1M face-like 29.9 → 24.3 ms (1.23×; 1.19×, 1.18× with 64 seeds), reading 3.5 %;
// the answer identical to the exact path's on every query. Scanning 1M rows' codes takes ~11.5 ms against
// ~20 ms for the int8 scan of all of them (same process): that kernel, not the listed int8 scan, is what
// holds the ratio under 2×.
// Tried and dropped:
// - 2-bit codes (32 B, one lookup per 2 dimensions) with a statistical cut (4 standard deviations of
//   the quantiser's MSE about the ~16th best, at least 1 % kept): faster (same session: 43.9 → 20.1 ms,
//   2.19× at 1M random; 46.0 → 36.7 ms, 1.25× face-like; 3σ: 2.73× / 2.16×) but not a guarantee: the
//   face-like top 16 differed on 1/330 queries at 4σ and 2.4 % at 3σ. No proof fits 2 bits: their error
//   ‖x − x̂‖ is 0.34 (random) / 0.13 (face-like), and the Cauchy–Schwarz cut keeps 62 % / 79 % of 100k
//   rows; 3-bit codes 7 % / 19 %, 4-bit 0.7 % / 2 % (at 1M: 0.15 % / 1.1 % with unrounded tables).
// - Two lookups added in u8 before widening (entries ±63, as the 2-bit kernel did): the scan of 1M rows
//   took 8.7 instead of 11.5 ms, but the doubled rounding term R made the int8 scan read 1.0 % instead of
//   0.4 % (random) and 8.5 % instead of 3.5 % (face-like): 1.59× and 0.96× in one run.
// - 64 seed rows: L fell further below the 16th best in the face-like crowd, and the int8 scan read
//   6.5 % there (512 seeds: 3.5 %, for ~0.1 ms of float32 dot products).
// - One error scale from 0 to the worst row's error (two nibbles): the error entries must fit a byte,
//   which capped the tables' scale and kept ≥ 27 % of the cone-shaped test gallery (0 of 25 searches
//   narrowed). A base e0 plus six nibbles over the range up to the 99.9th percentile fixed it.
// - i8x16.relaxed_swizzle (a bare pshufb, no range fix-up): the 4-bit scan ~15 % faster (6.9 vs 8.3 ms
//   for 1M rows, same process), but Node 20 has it only behind --experimental-wasm-relaxed-simd.
// - 512-D: 518 nibbles leave i16 sums room for entries of ±31 only; the rounding term exceeds the gaps
//   and the cut keeps too much: the coarse pass mostly gives up (the full int8 scan runs).
import {
  assemble,
  growTo,
  I32,
  V128,
  instantiate,
  newMemory,
  op,
  type KernelFunction,
  type WasmMemory,
} from './wasm-assembly.js';

/** Rows per block of the transposed layout. */
const BLOCK_ROWS = 32;
/**
 * The 4-bit Lloyd–Max quantiser of a unit Gaussian: code k stands for LEVELS[k] standard deviations and
 * covers the values between CUTS[k − 1] and CUTS[k]. Its mean squared error is 0.0095 (2 bits: 0.1175).
 */
const CUTS = [
  -2.401, -1.844, -1.437, -1.099, -0.7996, -0.5224, -0.2582, 0, 0.2582, 0.5224, 0.7996, 1.099, 1.437, 1.844,
  2.401,
];
const LEVELS = [
  -2.733, -2.069, -1.618, -1.256, -0.9424, -0.6568, -0.3881, -0.1284, 0.1284, 0.3881, 0.6568, 0.9424, 1.256,
  1.618, 2.069, 2.733,
];
/**
 * A row's bound ‖x − x̂‖ is stored as errorBase plus a whole number of errorUnits (rounded up), in two
 * nibbles that add (ERROR_GROUPS groups after the dimensions' ones, so the kernel adds it to the score
 * like a dimension). Rows past the range are outliers: always candidates.
 */
const ERROR_GROUPS = 6;
const ERROR_UNITS = 15 * ERROR_GROUPS;
/**
 * At each re-centring the range is set from the rows' errors: from the least to the OUTLIER_QUANTILE-th,
 * widened by ERROR_HEADROOM for rows added later. A narrow range lets the tables use a finer scale (the
 * error entries must fit a byte); the rows past it cost a listed int8 row each per query.
 */
const OUTLIER_QUANTILE = 0.999;
const ERROR_HEADROOM = 1.25;
/** Before the first re-centring: unit vectors about the origin err by about 0.1. */
const INITIAL_ERROR_UNIT = 0.5 / ERROR_UNITS;
/** Table entries are biased to bytes in [0, 2·ENTRY_MAX] (lower for long vectors). */
const ENTRY_MAX = 127;
/** The histogram that places the cuts reads every HISTOGRAM_STRIDE-th score. */
const HISTOGRAM_STRIDE = 16;
/**
 * Rows whose exact similarities first set the lower bound L (more if they hold fewer than k people): the
 * more, the closer L is to the true k-th best (64 left the face-like set's int8 scan 6.5 % of the rows).
 */
const SEED_ROWS = 512;
/** Past this share of the gallery a listed int8 scan costs about as much as the full one. */
const MAX_SHARE = 0.25;
/** Cosine units covering float32 rounding of the exact similarities and of ‖q‖ (≈ 10^-6). */
const SLACK = 1e-4;

/**
 * `score(tables, codes, blocks, groups, scores)`: the scores of `blocks` blocks of 32 rows (i16, row
 * order, each biased by entryMax · groups; `groups` is even). A block holds, for each group g (a dimension,
 * or a nibble of the row's error bound), 16 bytes: byte r = nibble g of row r | nibble g of row r + 16 << 4;
 * table g maps a nibble to its weighted level, or to its share of the error bound (see the header).
 */
function scoreKernel(): KernelFunction {
  const { get, set, tee, simd } = op;
  const [I32_ADD, I32_SUB, I32_SHL, I32_EQZ, I32_LT_U] = [0x6a, 0x6b, 0x74, 0x45, 0x49];
  const [V128_LOAD, V128_STORE, V128_CONST, SHUFFLE, SWIZZLE, V128_AND] = [
    0x00, 0x0b, 0x0c, 0x0d, 0x0e, 0x4e,
  ];
  const [I16X8_SHL, I16X8_SHR_U, I16X8_ADD, I16X8_SUB] = [0x8b, 0x8d, 0x8e, 0x91];
  const [BLOCK, LOOP, END, BR_IF, VOID] = [0x02, 0x03, 0x0b, 0x0d, 0x40];
  const [TABLES, CODES, BLOCKS, GROUPS, SCORES] = [0, 1, 2, 3, 4];
  const [TP, END_PTR, V, T, LO, LO_ODD, HI, HI_ODD, R, V1, T1, MASK] = [
    5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
  ];
  const zero = simd(V128_CONST, ...new Array(16).fill(0));
  const lowNibbles = simd(V128_CONST, ...new Array(16).fill(0x0f));
  // table[low or high nibbles of v]. The high ones are shifted in u16 lanes, then masked like the low:
  // V8 has no byte shift on x64 and emulates i8x16.shr_u with more instructions.
  const lookup = (table: number, v: number, high: boolean): number[] => [
    ...get(table),
    ...get(v),
    ...(high ? [...op.i32(4), ...simd(I16X8_SHR_U)] : []),
    ...get(MASK),
    ...simd(V128_AND),
    ...simd(SWIZZLE),
  ];
  const accumulate = (acc: number, odd: number): number[] => [
    ...tee(R),
    ...get(acc),
    ...simd(I16X8_ADD),
    ...set(acc),
    ...get(R),
    ...op.i32(8),
    ...simd(I16X8_SHR_U),
    ...get(odd),
    ...simd(I16X8_ADD),
    ...set(odd),
  ];
  // even = acc − (odd << 8), then rows interleaved back: (even 0, odd 0, even 1, odd 1, …).
  const evens = (acc: number, odd: number): number[] => [
    ...get(acc),
    ...get(odd),
    ...op.i32(8),
    ...simd(I16X8_SHL),
    ...simd(I16X8_SUB),
    ...set(acc),
  ];
  const interleave = (first: number[]): number[] =>
    first.flatMap((lane) => [2 * lane, 2 * lane + 1, 16 + 2 * lane, 17 + 2 * lane]);
  const store = (acc: number, odd: number, half: number, offset: number): number[] => [
    ...get(SCORES),
    ...get(acc),
    ...get(odd),
    ...simd(SHUFFLE, ...interleave(half === 0 ? [0, 1, 2, 3] : [4, 5, 6, 7])),
    ...simd(V128_STORE, 4, offset),
  ];
  // prettier-ignore
  const body = [
    ...lowNibbles, ...set(MASK),
    BLOCK, VOID,
    ...get(BLOCKS), I32_EQZ, BR_IF, 0,
    LOOP, VOID,                                                         // for each block of 32 rows:
    ...zero, ...set(LO), ...zero, ...set(LO_ODD), ...zero, ...set(HI), ...zero, ...set(HI_ODD),
    ...get(TABLES), ...set(TP),
    ...get(CODES), ...get(GROUPS), ...op.i32(4), I32_SHL, I32_ADD, ...set(END_PTR),
    LOOP, VOID,                                                         //   for each two groups:
    ...get(CODES), ...simd(V128_LOAD, 4, 0), ...set(V), ...get(CODES), ...simd(V128_LOAD, 4, 16), ...set(V1),
    ...get(TP), ...simd(V128_LOAD, 4, 0), ...set(T), ...get(TP), ...simd(V128_LOAD, 4, 16), ...set(T1),
    ...lookup(T, V, false), ...accumulate(LO, LO_ODD), ...lookup(T1, V1, false), ...accumulate(LO, LO_ODD),
    ...lookup(T, V, true), ...accumulate(HI, HI_ODD), ...lookup(T1, V1, true), ...accumulate(HI, HI_ODD),
    ...get(TP), ...op.i32(32), I32_ADD, ...set(TP),
    ...get(CODES), ...op.i32(32), I32_ADD, ...tee(CODES),
    ...get(END_PTR), I32_LT_U, BR_IF, 0,
    END,
    ...evens(LO, LO_ODD), ...evens(HI, HI_ODD),
    ...store(LO, LO_ODD, 0, 0), ...store(LO, LO_ODD, 1, 16),            //   rows 0-15
    ...store(HI, HI_ODD, 0, 32), ...store(HI, HI_ODD, 1, 48),           //   rows 16-31
    ...get(SCORES), ...op.i32(2 * BLOCK_ROWS), I32_ADD, ...set(SCORES),
    ...get(BLOCKS), ...op.i32(1), I32_SUB, ...tee(BLOCKS), BR_IF, 0,
    END,
    END,
  ];
  return {
    name: 'score',
    params: [I32, I32, I32, I32, I32],
    results: [],
    locals: [
      [2, I32],
      [10, V128],
    ],
    body,
  };
}

/**
 * `select(scores, groups, threshold, out) → n`: the rows (ascending) of `groups` groups of 8 scores whose
 * score is ≥ threshold. Eight rows are compared at once; only groups with a keeper walk their bits.
 */
function selectKernel(): KernelFunction {
  const { get, set, tee, simd } = op;
  const [I32_ADD, I32_SUB, I32_SHL, I32_AND, I32_CTZ, I32_EQZ, I32_STORE] = [
    0x6a, 0x6b, 0x74, 0x71, 0x68, 0x45, 0x36,
  ];
  const [V128_LOAD, I16X8_SPLAT, I16X8_GE_S, I16X8_BITMASK] = [0x00, 0x10, 0x35, 0x84];
  const [BLOCK, LOOP, END, BR_IF, VOID] = [0x02, 0x03, 0x0b, 0x0d, 0x40];
  const [SCORES, GROUPS, THRESHOLD, OUT, I, N, MASK, CUT] = [0, 1, 2, 3, 4, 5, 6, 7];
  // prettier-ignore
  const body = [
    ...get(THRESHOLD), ...simd(I16X8_SPLAT), ...set(CUT),
    BLOCK, VOID,
    ...get(GROUPS), I32_EQZ, BR_IF, 0,
    LOOP, VOID,                                                         // for each 8 rows:
    ...get(SCORES), ...simd(V128_LOAD, 4, 0), ...get(CUT), ...simd(I16X8_GE_S), ...simd(I16X8_BITMASK),
    ...set(MASK),
    BLOCK, VOID,
    ...get(MASK), I32_EQZ, BR_IF, 0,
    LOOP, VOID,                                                         //   for each keeper:
    ...get(OUT), ...get(N), ...op.i32(2), I32_SHL, I32_ADD,             //     out[n++] = i + ctz(mask)
    ...get(I), ...get(MASK), I32_CTZ, I32_ADD, I32_STORE, 2, 0,
    ...get(N), ...op.i32(1), I32_ADD, ...set(N),
    ...get(MASK), ...get(MASK), ...op.i32(1), I32_SUB, I32_AND, ...tee(MASK), BR_IF, 0,
    END,
    END,
    ...get(SCORES), ...op.i32(16), I32_ADD, ...set(SCORES),
    ...get(I), ...op.i32(8), I32_ADD, ...set(I),
    ...get(GROUPS), ...op.i32(1), I32_SUB, ...tee(GROUPS), BR_IF, 0,
    END,
    END,
    ...get(N),
  ];
  return {
    name: 'select',
    params: [I32, I32, I32, I32],
    results: [I32],
    locals: [
      [3, I32],
      [1, V128],
    ],
    body,
  };
}

let kernelModule: object | undefined;

type ScoreFunction = (tables: number, codes: number, blocks: number, groups: number, scores: number) => void;
type SelectFunction = (scores: number, groups: number, threshold: number, out: number) => number;

/** What turns a lower bound L on similarity into a score threshold, for one query (see writeTables). */
interface QueryTables {
  /** Score units per cosine unit. */
  scale: number;
  /** Σ of the tables' biases. */
  bias: number;
  /** Σ over the dimensions' tables of the largest rounding error of an entry, in score units. */
  rounding: number;
  /** ⟨q, c⟩: the part of every row's similarity the codes leave out. */
  atCenter: number;
}

/**
 * A growable table of 4-bit codes about a centre, with each row's error bound, in blocks of 32 rows
 * (see scoreKernel). Memory layout: [query tables 16 × groups][code blocks 16 × groups × capacity / 32]
 * [scores i16 × capacity][candidates i32 × capacity].
 */
export class CoarseCodeStore {
  /** Nibbles per row: one per dimension, then the error bound's, padded to an even count. */
  readonly groups: number;
  private readonly memory: WasmMemory = newMemory();
  private readonly scoreBlocks: ScoreFunction;
  private readonly selectRows: SelectFunction;
  private readonly codesOffset: number;
  /** |table entry| bound: a row's biased score, 2 · entryMax · groups, must fit an i16. */
  private readonly entryMax: number;
  private readonly histogram: Int32Array;
  private readonly center: Float32Array;
  /** Per-dimension standard deviation about the centre (the quantiser's unit). */
  private readonly spread: Float32Array;
  /** The stored error bounds: errorBase + n · errorUnit (cosine). */
  private errorBase = 0;
  private errorUnit = INITIAL_ERROR_UNIT;
  /** Slots whose error bound exceeds ERROR_UNITS units: always candidates (stale slots ≥ count ignored). */
  private readonly outliers = new Set<number>();
  /** Capacity in rows, a multiple of 32. */
  private rows = 0;
  private codes = new Uint8Array(0);
  private tables = new Uint8Array(0);
  private scores = new Int16Array(0);

  constructor(readonly dim: number) {
    this.groups = 2 * Math.ceil((dim + ERROR_GROUPS) / 2);
    this.entryMax = Math.min(ENTRY_MAX, Math.floor(0x7fff / (2 * this.groups)));
    if (this.entryMax < 8) throw new RangeError(`coarse codes: dimension ${dim} is too large`);
    this.histogram = new Int32Array(2 * this.entryMax * this.groups + 1);
    this.codesOffset = Math.ceil((16 * this.groups) / 64) * 64;
    this.center = new Float32Array(dim);
    // Until the first re-centring: unit vectors spread evenly, 1/√dim per component.
    this.spread = new Float32Array(dim).fill(1 / Math.sqrt(dim));
    kernelModule ??= assemble([scoreKernel(), selectKernel()]);
    const exports = instantiate(kernelModule, this.memory);
    this.scoreBlocks = exports['score'] as ScoreFunction;
    this.selectRows = exports['select'] as SelectFunction;
  }

  /** Grows to hold at least `rows` codes (never shrinks: WebAssembly memory cannot). */
  reserve(rows: number): void {
    if (rows <= this.rows) return;
    const capacity = Math.ceil(rows / BLOCK_ROWS) * BLOCK_ROWS;
    const blockBytes = 16 * this.groups;
    growTo(this.memory, this.codesOffset + (capacity / BLOCK_ROWS) * blockBytes + capacity * (2 + 4));
    this.rows = capacity;
    const buffer = this.memory.buffer;
    this.tables = new Uint8Array(buffer, 0, 16 * this.groups);
    this.codes = new Uint8Array(buffer, this.codesOffset, (capacity / BLOCK_ROWS) * blockBytes);
    this.scores = new Int16Array(buffer, this.scoresOffset, capacity);
  }

  /** Encodes a unit vector into `slot`, with its error bound. */
  set(slot: number, unit: Float32Array): void {
    this.writeError(slot, this.encode(slot, unit));
  }

  copy(from: number, to: number): void {
    for (let g = 0; g < this.groups; g++) this.writeNibble(to, g, this.readNibble(from, g));
    if (this.outliers.has(from)) this.outliers.add(to);
    else this.outliers.delete(to);
  }

  /**
   * Moves the centre to the mean of the first `count` rows of `vectors`, the quantiser's unit to their
   * per-dimension standard deviation, the error unit to their largest error, and re-encodes them.
   */
  recenter(vectors: Float32Array, count: number): void {
    const dim = this.dim;
    const sum = new Float64Array(dim);
    const squares = new Float64Array(dim);
    for (let i = 0; i < count; i++) {
      for (let j = 0; j < dim; j++) {
        const x = vectors[i * dim + j];
        sum[j] += x;
        squares[j] += x * x;
      }
    }
    for (let j = 0; j < dim; j++) {
      const mean = sum[j] / count;
      this.center[j] = mean;
      // A component constant across the gallery still needs a unit: keep a tiny one.
      this.spread[j] = Math.sqrt(Math.max(squares[j] / count - mean * mean, 0)) || 1e-6;
    }
    const errors = new Float64Array(count);
    for (let i = 0; i < count; i++) errors[i] = this.encode(i, vectors.subarray(i * dim, (i + 1) * dim));
    const sorted = errors.slice().sort();
    this.errorBase = sorted[0];
    const top = sorted[Math.floor(OUTLIER_QUANTILE * (count - 1))];
    this.errorUnit = (ERROR_HEADROOM * (top - this.errorBase)) / ERROR_UNITS || INITIAL_ERROR_UNIT;
    for (let i = 0; i < count; i++) this.writeError(i, errors[i]);
  }

  /**
   * Rows 0..count-1 that may hold a similarity ≥ L, where L = kthBest(seeds): every row whose upper
   * bound reaches L, plus the outliers (see the header). `kthBest` is handed the rows with the best upper
   * bounds and returns a lower bound on the similarity the search must reach (the k-th best person among
   * them), or null when they hold too few people. Null when more than MAX_SHARE of the rows would be kept
   * (scan them all). The view is valid until the next call.
   */
  candidates(
    unit: Float32Array,
    count: number,
    kthBest: (seeds: Int32Array) => number | null,
  ): Int32Array | null {
    const tables = this.writeTables(unit);
    this.scoreBlocks(0, this.codesOffset, Math.ceil(count / BLOCK_ROWS), this.groups, this.scoresOffset);
    const histogram = this.histogram;
    histogram.fill(0);
    const scores = this.scores;
    for (let i = 0; i < count; i += HISTOGRAM_STRIDE) histogram[scores[i]]++;
    const sampledAbove = (threshold: number): number => {
      let seen = 0;
      for (let s = histogram.length - 1; s >= threshold; s--) seen += histogram[s];
      return seen;
    };
    let least = null as number | null;
    for (let seeds = SEED_ROWS; least === null; seeds *= 8) {
      if (seeds > MAX_SHARE * count) return null;
      let threshold = histogram.length - 1;
      let seen = histogram[threshold];
      while (seen * HISTOGRAM_STRIDE < seeds && threshold > 0) seen += histogram[--threshold];
      least = kthBest(this.select(threshold, count));
    }
    const threshold = Math.max(
      0,
      Math.ceil(
        tables.scale * (least - tables.atCenter - this.errorBase - SLACK) + tables.bias - tables.rounding,
      ),
    );
    if (threshold === 0 || sampledAbove(threshold) * HISTOGRAM_STRIDE > MAX_SHARE * count) return null;
    const kept = this.select(threshold, count);
    const extra = [...this.outliers].filter((slot) => slot < count && scores[slot] < threshold);
    if (extra.length === 0) return kept;
    const rows = new Int32Array(kept.length + extra.length);
    rows.set(kept);
    rows.set(extra, kept.length);
    return rows;
  }

  /** Bytes of WebAssembly memory (codes and per-query scratch) and of the quantiser. */
  get bytes(): number {
    return this.memory.buffer.byteLength + this.histogram.byteLength + 8 * this.dim;
  }

  private get scoresOffset(): number {
    return this.codesOffset + (this.rows / BLOCK_ROWS) * 16 * this.groups;
  }

  /** Rows 0..count-1 scoring ≥ threshold, ascending (a view valid until the next call). */
  private select(threshold: number, count: number): Int32Array {
    const out = this.scoresOffset + 2 * this.rows;
    let n = this.selectRows(this.scoresOffset, Math.ceil(count / 8), threshold, out);
    // The last block's rows past `count` hold stale scores.
    const rows = new Int32Array(this.memory.buffer, out, n);
    while (n > 0 && rows[n - 1] >= count) n--;
    return rows.subarray(0, n);
  }

  /** Writes the dimensions' codes of `unit` into `slot`; returns ‖x − x̂‖, x̂ the decoded vector. */
  private encode(slot: number, unit: Float32Array): number {
    let squares = 0;
    for (let j = 0; j < this.dim; j++) {
      const t = (unit[j] - this.center[j]) / this.spread[j];
      let code = 0;
      while (code < CUTS.length && t > CUTS[code]) code++;
      this.writeNibble(slot, j, code);
      squares += (unit[j] - (this.center[j] + this.spread[j] * LEVELS[code])) ** 2;
    }
    return Math.sqrt(squares);
  }

  /** Stores `error` as errorBase + a sum of nibbles' units (rounded up), or marks an outlier. */
  private writeError(slot: number, error: number): void {
    const units = Math.max(0, Math.ceil((error - this.errorBase) / this.errorUnit));
    if (units > ERROR_UNITS) this.outliers.add(slot);
    else this.outliers.delete(slot);
    let left = Math.min(units, ERROR_UNITS);
    for (let g = 0; g < ERROR_GROUPS; g++) {
      const nibble = Math.min(15, left);
      this.writeNibble(slot, this.dim + g, nibble);
      left -= nibble;
    }
  }

  /** Byte of (slot, group) in the block layout; rows 16-31 of a block are the high nibbles. */
  private byteOf(slot: number, group: number): number {
    return ((slot / BLOCK_ROWS) | 0) * 16 * this.groups + 16 * group + (slot & 15);
  }

  private writeNibble(slot: number, group: number, nibble: number): void {
    const at = this.byteOf(slot, group);
    this.codes[at] = slot & 16 ? (this.codes[at] & 0x0f) | (nibble << 4) : (this.codes[at] & 0xf0) | nibble;
  }

  private readNibble(slot: number, group: number): number {
    const byte = this.codes[this.byteOf(slot, group)];
    return slot & 16 ? byte >>> 4 : byte & 0x0f;
  }

  /**
   * Table j (a dimension) maps a code to w_j · LEVELS[code] with w_j = q_j · σ_j, so that a row's score
   * is ⟨q, x̂ − c⟩ (see the header); entries are scaled to ±entryMax, rounded and biased. The error
   * bound's tables map n units to ⌈n · errorUnit⌉ (scaled, biased, never below the bound); padding maps
   * to the bias alone. The scale is capped so the error entries fit a byte.
   */
  private writeTables(unit: Float32Array): QueryTables {
    const dim = this.dim;
    const entryMax = this.entryMax;
    let largest = 0;
    let atCenter = 0;
    for (let j = 0; j < dim; j++) {
      largest = Math.max(largest, Math.abs(unit[j] * this.spread[j]) * LEVELS[15]);
      atCenter += unit[j] * this.center[j];
    }
    const errorCap = entryMax / (15 * this.errorUnit);
    const scale = largest > 0 ? Math.min(entryMax / largest, errorCap) : errorCap;
    let rounding = 0;
    for (let j = 0; j < dim; j++) {
      const w = unit[j] * this.spread[j] * scale;
      let worst = 0;
      for (let code = 0; code < 16; code++) {
        const value = w * LEVELS[code];
        const entry = Math.round(value);
        worst = Math.max(worst, Math.abs(entry - value));
        this.tables[16 * j + code] = entry + entryMax;
      }
      rounding += worst;
    }
    for (let g = dim; g < this.groups; g++) {
      const error = g < dim + ERROR_GROUPS ? scale * this.errorUnit : 0;
      // errorCap keeps n · error ≤ entryMax; min() only absorbs float rounding of that product.
      for (let n = 0; n < 16; n++)
        this.tables[16 * g + n] = Math.min(entryMax, Math.ceil(n * error)) + entryMax;
    }
    return { scale, bias: entryMax * this.groups, rounding, atCenter };
  }
}
