// Two bits per dimension, the coarse first pass of a large gallery's 1:N search (embedding-index.ts).
//
// Why: the int8 scan reads 128 B and does 16 SIMD multiply-adds per 128-D vector (~13 ms at 1M vectors).
// Here a vector is 32 B and costs about one table lookup per 2 dimensions for 16 vectors at once, so the
// whole gallery is ranked in about a third of that, and only its best rows go on to the int8 scan: the
// cut (candidates) keeps every row within 4 standard deviations of the code's own error (√2 for two
// rows) of the ~16th best, so it widens where the top is a dense crowd of near-equals, as in a face
// gallery, and gives up (null: scan everything) past 25 % of the gallery.
//
// Codes: each component's offset from the gallery's centre c, in units of that dimension's standard
// deviation σ_j, quantised to the four levels of the Lloyd–Max 2-bit quantiser of a Gaussian (±0.45,
// ±1.51; cut at 0.98). The score of a row is ⟨q, x̂ − c⟩ with x̂ its decoded vector: ⟨q, x⟩ minus the same
// ⟨q, c⟩ for every row, so rows rank as by similarity (to within the code's error). Weighting by q − c
// instead would drop each row's own ⟨c, x⟩ — small for random vectors, but face embeddings sit in one
// narrow cone at varied angles to its axis, and that broke the exact top 16 on 2.7 % of dev queries.
// The centre and σ are re-measured each time the gallery doubles (EmbeddingIndex re-encodes then); any
// centre gives a valid ranking, only precision depends on it.
//
// Kernel: the layout of FAISS's 4-bit "fast scan". Rows are stored in blocks of 32; a nibble holds the
// codes of 2 dimensions, and for each pair of dimensions a block keeps 16 bytes (row r's nibble in the low
// half of byte r, row r + 16's in the high half). The query becomes one 16-entry byte table per pair, so
// `i8x16.swizzle` scores a pair for 16 rows in one instruction. Two lookups are added in u8 (entries are
// ≤ 126), then bytes are summed in u16 lanes without widening: acc += pair (even + 256·odd),
// odd += pair >> 8, and even = acc − 256·odd at the end. Table entries are rounded (±63 levels): the
// coarse score's own error is far larger.
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

/** Rows per block of the transposed layout; dimensions per nibble (one table lookup), 2 bits each. */
const BLOCK_ROWS = 32;
const DIMS_PER_NIBBLE = 2;
/**
 * A component's code: bit 0 its sign about the centre, bit 1 whether it lies beyond MAGNITUDE_CUT standard
 * deviations; code c stands for LEVELS[c] deviations (the Lloyd–Max 2-bit quantiser of a Gaussian).
 */
const MAGNITUDE_CUT = 0.9816;
const LEVELS = [-0.4528, 0.4528, -1.51, 1.51];
/**
 * Table entries are biased to bytes in [0, 2·ENTRY_MAX] (lower for long vectors), so that the kernel may
 * add two lookups in u8 before widening.
 */
const ENTRY_MAX = 63;
/** The histogram that places the cut reads every HISTOGRAM_STRIDE-th score. */
const HISTOGRAM_STRIDE = 16;
/** Mean squared error of the 2-bit Lloyd–Max quantiser on a unit Gaussian. */
const QUANTISER_MSE = 0.1175;
/**
 * The cut keeps every row within MARGIN_SIGMAS standard deviations of two rows' coarse-score errors of
 * the best sampled row (≈ the 16th best of the gallery, the sample being 1 in 16). 3 was measured and
 * dropped: at 1M, 2.73× the full scan on random vectors and 2.16× on the face-like set (4: 2.37× on random
 * vectors that session, 1.21-1.29× face-like before; loaded host), recall@1 still 1.000, but the top-16
 * answer changed on 2.4 % of face-like queries.
 */
const MARGIN_SIGMAS = 4;
/** Past this share of the gallery a listed int8 scan costs about as much as the full one. */
const MAX_SHARE = 0.25;

/**
 * `score(tables, codes, blocks, groups, scores)`: the scores of `blocks` blocks of 32 rows (i16, row
 * order, each biased by entryMax · groups; `groups` is even). A block holds, for each group g (a pair of
 * dimensions), 16 bytes: byte r = nibble g of row r | nibble g of row r + 16 << 4; table g maps a nibble
 * to the pair's weighted levels (see the header).
 */
function scoreKernel(): KernelFunction {
  const { get, set, tee, simd } = op;
  const [I32_ADD, I32_SUB, I32_SHL, I32_EQZ, I32_LT_U] = [0x6a, 0x6b, 0x74, 0x45, 0x49];
  const [V128_LOAD, V128_STORE, V128_CONST, SHUFFLE, SWIZZLE, V128_AND] = [
    0x00, 0x0b, 0x0c, 0x0d, 0x0e, 0x4e,
  ];
  const [I8X16_ADD, I8X16_SHR_U, I16X8_SHL, I16X8_SHR_U, I16X8_ADD, I16X8_SUB] = [
    0x6e, 0x6d, 0x8b, 0x8d, 0x8e, 0x91,
  ];
  const [BLOCK, LOOP, END, BR_IF, VOID] = [0x02, 0x03, 0x0b, 0x0d, 0x40];
  const [TABLES, CODES, BLOCKS, GROUPS, SCORES] = [0, 1, 2, 3, 4];
  const [TP, END_PTR, V, T, LO, LO_ODD, HI, HI_ODD, R, V1, T1] = [5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
  const zero = simd(V128_CONST, ...new Array(16).fill(0));
  const lowNibbles = simd(V128_CONST, ...new Array(16).fill(0x0f));
  const high = [...op.i32(4), ...simd(I8X16_SHR_U)];
  // table[nibbles of v]: `select` is the low-nibble mask (and) or the high-nibble shift.
  const lookup = (table: number, v: number, select: number[]): number[] => [
    ...get(table),
    ...get(v),
    ...select,
    ...(select === high ? [] : simd(V128_AND)),
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
    BLOCK, VOID,
    ...get(BLOCKS), I32_EQZ, BR_IF, 0,
    LOOP, VOID,                                                         // for each block of 32 rows:
    ...zero, ...set(LO), ...zero, ...set(LO_ODD), ...zero, ...set(HI), ...zero, ...set(HI_ODD),
    ...get(TABLES), ...set(TP),
    ...get(CODES), ...get(GROUPS), ...op.i32(4), I32_SHL, I32_ADD, ...set(END_PTR),
    LOOP, VOID,                                                         //   for each two groups:
    ...get(CODES), ...simd(V128_LOAD, 4, 0), ...set(V), ...get(CODES), ...simd(V128_LOAD, 4, 16), ...set(V1),
    ...get(TP), ...simd(V128_LOAD, 4, 0), ...set(T), ...get(TP), ...simd(V128_LOAD, 4, 16), ...set(T1),
    ...lookup(T, V, lowNibbles), ...lookup(T1, V1, lowNibbles), ...simd(I8X16_ADD), ...accumulate(LO, LO_ODD),
    ...lookup(T, V, high), ...lookup(T1, V1, high), ...simd(I8X16_ADD), ...accumulate(HI, HI_ODD),
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
      [9, V128],
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

/**
 * A growable table of 2-bit codes about a centre, in blocks of 32 rows (see scoreKernel).
 * Memory layout: [query tables 16 × groups][code blocks 16 × groups × capacity / 32]
 * [scores i16 × capacity][candidates i32 × capacity].
 */
export class CoarseCodeStore {
  /** Nibbles per row: pairs of dimensions (the last one padded with zero weight). */
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
  /** Capacity in rows, a multiple of 32. */
  private rows = 0;
  private codes = new Uint8Array(0);
  private tables = new Uint8Array(0);
  private scores = new Int16Array(0);

  constructor(readonly dim: number) {
    // The kernel takes groups two at a time: an odd count gets a zero group (code 0, weight 0).
    this.groups = 2 * Math.ceil(dim / (2 * DIMS_PER_NIBBLE));
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

  /** Encodes a unit vector into `slot`. */
  set(slot: number, unit: Float32Array): void {
    for (let g = 0; g < this.groups; g++) {
      let nibble = 0;
      for (let t = 0; t < DIMS_PER_NIBBLE; t++) {
        const j = g * DIMS_PER_NIBBLE + t;
        if (j >= unit.length) continue;
        const d = unit[j] - this.center[j];
        const code = (d > 0 ? 1 : 0) | (Math.abs(d) > MAGNITUDE_CUT * this.spread[j] ? 2 : 0);
        nibble |= code << (2 * t);
      }
      this.writeNibble(slot, g, nibble);
    }
  }

  copy(from: number, to: number): void {
    for (let g = 0; g < this.groups; g++) this.writeNibble(to, g, this.readNibble(from, g));
  }

  /**
   * Moves the centre to the mean of the first `count` rows of `vectors`, the quantiser's unit to their
   * per-dimension standard deviation, and re-encodes them.
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
    for (let i = 0; i < count; i++) this.set(i, vectors.subarray(i * dim, (i + 1) * dim));
  }

  /**
   * Rows 0..count-1 whose coarse score reaches the cut, ascending; null when more than MAX_SHARE of them
   * would (scan them all). The cut is placed from a 1-in-16 sample of the scores: at least `least` rows,
   * and every row whose score is within the error margin of the best sampled one, so that a dense crowd
   * of near-equals at the top (face-like galleries) is kept whole. The view is valid until the next call.
   */
  candidates(unit: Float32Array, count: number, least: number): Int32Array | null {
    const error = this.writeTables(unit);
    this.scoreBlocks(0, this.codesOffset, Math.ceil(count / BLOCK_ROWS), this.groups, this.scoresOffset);
    const histogram = this.histogram;
    histogram.fill(0);
    const scores = this.scores;
    for (let i = 0; i < count; i += HISTOGRAM_STRIDE) histogram[scores[i]]++;
    let top = histogram.length - 1;
    while (top > 0 && histogram[top] === 0) top--;
    const floor = top - Math.ceil(MARGIN_SIGMAS * Math.SQRT2 * error);
    const sampled = Math.ceil(least / HISTOGRAM_STRIDE);
    let threshold = histogram.length - 1;
    let seen = histogram[threshold];
    while ((seen < sampled || threshold > floor) && threshold > 0) seen += histogram[--threshold];
    if (seen * HISTOGRAM_STRIDE > MAX_SHARE * count) return null;
    const out = this.scoresOffset + 2 * this.rows;
    let n = this.selectRows(this.scoresOffset, Math.ceil(count / 8), threshold, out);
    // The last block's rows past `count` hold stale scores.
    const rows = new Int32Array(this.memory.buffer, out, n);
    while (n > 0 && rows[n - 1] >= count) n--;
    return rows.subarray(0, n);
  }

  /** Bytes of WebAssembly memory (codes and per-query scratch) and of the quantiser. */
  get bytes(): number {
    return this.memory.buffer.byteLength + this.histogram.byteLength + 8 * this.dim;
  }

  private get scoresOffset(): number {
    return this.codesOffset + (this.rows / BLOCK_ROWS) * 16 * this.groups;
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
   * Table g maps a nibble (the codes of dimensions 2g, 2g+1) to Σ_t w_j · LEVELS[code_j] with
   * w_j = q_j · σ_j, so a row's score ranks it like ⟨q, x̂ − c⟩, x̂ its decoded vector (⟨q, c⟩ is the same
   * for every row; weighting by q − c was dropped, see the header). Entries are scaled to ±entryMax and
   * rounded, then biased. Returns the standard deviation of a row's score error in score units,
   * √(MSE · Σ w_j²) · scale, for Gaussian components.
   */
  private writeTables(unit: Float32Array): number {
    const weight = (j: number): number => (j < unit.length ? unit[j] * this.spread[j] : 0);
    let largest = 0;
    for (let g = 0; g < this.groups; g++) {
      let reach = 0;
      for (let t = 0; t < DIMS_PER_NIBBLE; t++) reach += Math.abs(weight(g * DIMS_PER_NIBBLE + t));
      largest = Math.max(largest, reach * LEVELS[3]);
    }
    const scale = largest > 0 ? this.entryMax / largest : 0;
    let weights = 0;
    for (let j = 0; j < unit.length; j++) weights += weight(j) ** 2;
    for (let g = 0; g < this.groups; g++) {
      const w0 = weight(g * DIMS_PER_NIBBLE);
      const w1 = weight(g * DIMS_PER_NIBBLE + 1);
      for (let nibble = 0; nibble < 16; nibble++) {
        const value = w0 * LEVELS[nibble & 3] + w1 * LEVELS[nibble >>> 2];
        this.tables[16 * g + nibble] = Math.round(value * scale) + this.entryMax;
      }
    }
    return Math.sqrt(QUANTISER_MSE * weights) * scale;
  }
}
