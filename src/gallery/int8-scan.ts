// int8 copies of unit vectors in WebAssembly memory, scanned with SIMD integer dot products.
//
// Why: a 1:N query at a million 128-D faces is 1.3·10^8 multiply-adds. A JavaScript loop does ~1.5·10^9/s
// (≈ 100 ms) and float32 reads 512 MB per query (≈ 25 ms of memory bandwidth); int8 codes are 4× less
// memory and `i32x4.dot_i16x8_s` does 8 multiply-adds per instruction, which brings the scan under 10 ms.
// IVF partitioning was tried first and dropped: on embeddings without cluster structure a noisy query
// (cosine 0.7 to its source) lands in the right k-means cell too rarely (recall@1 0.77 scanning 7 % of a
// 200k index) to beat a fast exhaustive scan.
//
// The kernels are ~100 bytes each of hand-assembled WebAssembly (wasm-assembly.ts): `scan` over every row,
// `scanList` over the rows a large gallery's coarse pass keeps (coarse-codes.ts). Listed rows are
// scattered, so that scan waits on memory (and on 4 KiB-page TLB misses): 10k listed rows of 1M took
// 0.6 ms against 14.6 ms for all 1M, but 80k took ~70 % of the full scan; loads issued 8–32 rows ahead
// did not measurably help and were dropped. Hence the coarse pass's cut must keep only a few %.

import {
  assemble,
  growTo,
  I32,
  instantiate,
  newMemory,
  op,
  V128,
  type KernelFunction,
  type WasmMemory,
} from './wasm-assembly.js';

/** Codes are i8 in [-127, 127]; stored rows are padded with zeros to a multiple of 16 lanes. */
const CODE_MAX = 127;
const LANES = 16;
// Query codes are i16; this keeps Σ|code·query| (bounded by 127·Q·dim for unit vectors) inside int32.
const QUERY_MAX = 32767;

/**
 * `scan(query, codes, count, dim, out)`: out[i] = Σ_j codes[i·dim + j] · query[j] over consecutive rows;
 * `scanList(query, codes, count, dim, out, list)`: the same over rows list[0..count-1] (the coarse pass's
 * candidates, see coarse-codes.ts).
 */
function kernel(gather: boolean): KernelFunction {
  const { get, set, tee, simd } = op;
  const [I32_ADD, I32_SUB, I32_MUL, I32_EQZ, I32_LT_U, I32_LOAD, I32_STORE] = [
    0x6a, 0x6b, 0x6c, 0x45, 0x49, 0x28, 0x36,
  ];
  const [BLOCK, LOOP, END, BR_IF, VOID] = [0x02, 0x03, 0x0b, 0x0d, 0x40];
  const V128_LOAD = 0x00; // memarg: log2 align, offset
  const V128_LOAD8X8_S = 0x01; // 8 × i8 → i16x8
  const V128_CONST = 0x0c;
  const I32X4_EXTRACT_LANE = 0x1b;
  const I32X4_ADD = 0xae;
  const I32X4_DOT_I16X8_S = 0xba;
  // params: query (i16[dim]), codes (i8 rows; advanced row by row), count, dim, out (i32[count]), [list]
  // locals: queryPtr, rowEnd, [row pointer], acc0, acc1 (two accumulators halve the add dependency chain)
  const [QUERY, CODES_IN, COUNT, DIM, OUT] = [0, 1, 2, 3, 4];
  const LIST = 5;
  const QP = gather ? 6 : 5;
  const ROW_END = QP + 1;
  const CODES = gather ? 8 : CODES_IN;
  const ACC0 = gather ? 9 : 7;
  const ACC1 = ACC0 + 1;
  const zero = simd(V128_CONST, ...new Array(16).fill(0));
  const accumulate = (acc: number, codeOffset: number, queryOffset: number): number[] => [
    ...get(acc),
    ...get(CODES),
    ...simd(V128_LOAD8X8_S, 3, codeOffset),
    ...get(QP),
    ...simd(V128_LOAD, 4, queryOffset),
    ...simd(I32X4_DOT_I16X8_S),
    ...simd(I32X4_ADD),
    ...set(acc),
  ];
  const lane = (i: number): number[] => [...get(ACC0), ...simd(I32X4_EXTRACT_LANE, i)];
  // Gathering: the row pointer is codes + list[i] · dim, and the list advances.
  // prettier-ignore
  const rowStart = gather
    ? [
        ...get(CODES_IN), ...get(LIST), I32_LOAD, 2, 0, ...get(DIM), I32_MUL, I32_ADD, ...set(CODES),
        ...get(LIST), ...op.i32(4), I32_ADD, ...set(LIST),
      ]
    : []; // consecutive rows: codes already point at the next row
  // prettier-ignore
  const body = [
    BLOCK, VOID,
    ...get(COUNT), I32_EQZ, BR_IF, 0,                                 // nothing to scan
    LOOP, VOID,                                                       // for each row:
    ...rowStart,
    ...zero, ...set(ACC0), ...zero, ...set(ACC1),
    ...get(QUERY), ...set(QP),
    ...get(CODES), ...get(DIM), I32_ADD, ...set(ROW_END),
    LOOP, VOID,                                                       //   for each 16 lanes:
    ...accumulate(ACC0, 0, 0),                                        //     lanes 0-7
    ...accumulate(ACC1, 8, 16),                                       //     lanes 8-15
    ...get(QP), ...op.i32(32), I32_ADD, ...set(QP),
    ...get(CODES), ...op.i32(16), I32_ADD, ...tee(CODES),
    ...get(ROW_END), I32_LT_U, BR_IF, 0,
    END,
    ...get(OUT),                                                      //   out[row] = sum of lanes
    ...get(ACC0), ...get(ACC1), ...simd(I32X4_ADD), ...set(ACC0),
    ...lane(0), ...lane(1), I32_ADD, ...lane(2), I32_ADD, ...lane(3), I32_ADD,
    I32_STORE, 2, 0,
    ...get(OUT), ...op.i32(4), I32_ADD, ...set(OUT),
    ...get(COUNT), ...op.i32(1), I32_SUB, ...tee(COUNT), BR_IF, 0,
    END,
    END,
  ];
  return {
    name: gather ? 'scanList' : 'scan',
    params: gather ? [I32, I32, I32, I32, I32, I32] : [I32, I32, I32, I32, I32],
    results: [],
    locals: gather
      ? [
          [3, I32],
          [2, V128],
        ]
      : [
          [2, I32],
          [2, V128],
        ],
    body,
  };
}

let kernelModule: object | undefined;

type ScanFunction = (query: number, codes: number, count: number, dim: number, out: number) => void;
type ScanListFunction = (
  query: number,
  codes: number,
  count: number,
  dim: number,
  out: number,
  list: number,
) => void;

/**
 * A growable table of int8 vector codes, one row per slot, each with its own scale.
 * Memory layout: [query i16 × paddedDim][codes i8 × paddedDim × capacity][dots i32 × capacity]
 * [row list i32 × capacity].
 */
export class Int8VectorStore {
  readonly paddedDim: number;
  private readonly memory: WasmMemory = newMemory();
  private readonly scanRows: ScanFunction;
  private readonly scanListed: ScanListFunction;
  private readonly codesOffset: number;
  private readonly queryMax: number;
  private scales = new Float32Array(0);
  private rows = 0;
  // Views over the WebAssembly memory; growing it replaces the buffer, so they are rebuilt in reserve().
  private codes = new Int8Array(0);
  private query = new Int16Array(0);
  private list = new Int32Array(0);

  constructor(readonly dim: number) {
    this.paddedDim = Math.ceil(dim / LANES) * LANES;
    this.codesOffset = Math.ceil((this.paddedDim * 2) / 64) * 64;
    this.queryMax = Math.min(QUERY_MAX, Math.floor(0x7fffffff / (CODE_MAX * this.paddedDim)));
    if (this.queryMax < 1) throw new RangeError(`int8 scan: dimension ${dim} is too large`);
    kernelModule ??= assemble([kernel(false), kernel(true)]);
    const exports = instantiate(kernelModule, this.memory);
    this.scanRows = exports['scan'] as ScanFunction;
    this.scanListed = exports['scanList'] as ScanListFunction;
  }

  /** Grows to hold at least `rows` codes (never shrinks: WebAssembly memory cannot). */
  reserve(rows: number): void {
    if (rows <= this.rows) return;
    growTo(this.memory, this.codesOffset + rows * (this.paddedDim + 8));
    const scales = new Float32Array(rows);
    scales.set(this.scales);
    this.scales = scales;
    this.rows = rows;
    this.codes = new Int8Array(this.memory.buffer, this.codesOffset, rows * this.paddedDim);
    this.query = new Int16Array(this.memory.buffer, 0, this.paddedDim);
    this.list = new Int32Array(this.memory.buffer, this.dotsOffset + 4 * rows, rows);
  }

  /** Quantises a unit vector into `slot` with its own scale (max |component| ↦ 127). */
  set(slot: number, unit: Float32Array): void {
    let maxAbs = 0;
    for (let i = 0; i < unit.length; i++) maxAbs = Math.max(maxAbs, Math.abs(unit[i]));
    const toCode = CODE_MAX / maxAbs;
    const codes = this.codes;
    const offset = slot * this.paddedDim;
    for (let i = 0; i < unit.length; i++) codes[offset + i] = Math.round(unit[i] * toCode);
    this.scales[slot] = maxAbs / CODE_MAX;
  }

  copy(from: number, to: number): void {
    this.codes.copyWithin(to * this.paddedDim, from * this.paddedDim, (from + 1) * this.paddedDim);
    this.scales[to] = this.scales[from];
  }

  /**
   * Integer dot products of `unit` (quantised to i16) with rows 0..count-1. Approximate similarity of row i
   * is dots[i] · scales[i] · (a per-query constant): compare dots[i] · scales[i] across rows. The returned
   * views are valid until the next call.
   */
  scan(unit: Float32Array, count: number): { dots: Int32Array; scales: Float32Array } {
    this.quantiseQuery(unit);
    this.scanRows(0, this.codesOffset, count, this.paddedDim, this.dotsOffset);
    return { dots: new Int32Array(this.memory.buffer, this.dotsOffset, count), scales: this.scales };
  }

  /** As `scan`, over the listed rows only: dots[i] belongs to row rows[i] (scale scales[rows[i]]). */
  scanListedRows(unit: Float32Array, rows: Int32Array): { dots: Int32Array; scales: Float32Array } {
    this.quantiseQuery(unit);
    this.list.set(rows);
    this.scanListed(0, this.codesOffset, rows.length, this.paddedDim, this.dotsOffset, this.list.byteOffset);
    return { dots: new Int32Array(this.memory.buffer, this.dotsOffset, rows.length), scales: this.scales };
  }

  /** Bytes of WebAssembly memory plus the scale table. */
  get bytes(): number {
    return this.memory.buffer.byteLength + this.scales.byteLength;
  }

  private get dotsOffset(): number {
    return this.codesOffset + this.rows * this.paddedDim;
  }

  private quantiseQuery(unit: Float32Array): void {
    let maxAbs = 0;
    for (let i = 0; i < unit.length; i++) maxAbs = Math.max(maxAbs, Math.abs(unit[i]));
    const toCode = this.queryMax / maxAbs;
    for (let i = 0; i < unit.length; i++) this.query[i] = Math.round(unit[i] * toCode);
  }
}
