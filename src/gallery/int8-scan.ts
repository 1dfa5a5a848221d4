// int8 copies of unit vectors in WebAssembly memory, scanned with SIMD integer dot products.
//
// Why: a 1:N query at a million 128-D faces is 1.3·10^8 multiply-adds. A JavaScript loop does ~1.5·10^9/s
// (≈ 100 ms) and float32 reads 512 MB per query (≈ 25 ms of memory bandwidth); int8 codes are 4× less
// memory and `i32x4.dot_i16x8_s` does 8 multiply-adds per instruction, which brings the scan under 10 ms.
// IVF partitioning was tried first and dropped: on embeddings without cluster structure a noisy query
// (cosine 0.7 to its source) lands in the right k-means cell too rarely (recall@1 0.77 scanning 7 % of a
// 200k index) to beat a fast exhaustive scan.
//
// The kernel is ~100 bytes of hand-assembled WebAssembly (Node 20 ships SIMD; no toolchain needed).

/** Codes are i8 in [-127, 127]; stored rows are padded with zeros to a multiple of 16 lanes. */
const CODE_MAX = 127;
const LANES = 16;
const PAGE = 65536;
// Query codes are i16; this keeps Σ|code·query| (bounded by 127·Q·dim for unit vectors) inside int32.
const QUERY_MAX = 32767;

/** WebAssembly binary of `scan(query, codes, count, dim, out)`: out[i] = Σ_j codes[i·dim + j] · query[j]. */
function kernelBytes(): Uint8Array {
  const I32 = 0x7f;
  const V128 = 0x7b;
  const simd = (op: number, ...imm: number[]): number[] => [0xfd, ...uleb(op), ...imm];
  const get = (i: number): number[] => [0x20, i];
  const set = (i: number): number[] => [0x21, i];
  const tee = (i: number): number[] => [0x22, i];
  const i32Const = (v: number): number[] => [0x41, ...sleb(v)];
  const [I32_ADD, I32_SUB, I32_EQZ, I32_LT_U, I32_STORE] = [0x6a, 0x6b, 0x45, 0x49, 0x36];
  const [BLOCK, LOOP, END, BR_IF, VOID] = [0x02, 0x03, 0x0b, 0x0d, 0x40];
  const V128_LOAD = 0x00; // memarg: log2 align, offset
  const V128_LOAD8X8_S = 0x01; // 8 × i8 → i16x8
  const V128_CONST = 0x0c;
  const I32X4_EXTRACT_LANE = 0x1b;
  const I32X4_ADD = 0xae;
  const I32X4_DOT_I16X8_S = 0xba;
  // params: 0 query (i16[dim]), 1 codes (i8 rows; advanced row by row), 2 count, 3 dim, 4 out (i32[count])
  // locals: 5 queryPtr, 6 rowEnd, 7 acc0, 8 acc1 (two accumulators halve the add dependency chain)
  const [QUERY, CODES, COUNT, DIM, OUT, QP, ROW_END, ACC0, ACC1] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
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
  // prettier-ignore
  const body = [
    BLOCK, VOID,
    ...get(COUNT), I32_EQZ, BR_IF, 0,                                 // nothing to scan
    LOOP, VOID,                                                       // for each row:
    ...zero, ...set(ACC0), ...zero, ...set(ACC1),
    ...get(QUERY), ...set(QP),
    ...get(CODES), ...get(DIM), I32_ADD, ...set(ROW_END),
    LOOP, VOID,                                                       //   for each 16 lanes:
    ...accumulate(ACC0, 0, 0),                                        //     lanes 0-7
    ...accumulate(ACC1, 8, 16),                                       //     lanes 8-15
    ...get(QP), ...i32Const(32), I32_ADD, ...set(QP),
    ...get(CODES), ...i32Const(16), I32_ADD, ...tee(CODES),
    ...get(ROW_END), I32_LT_U, BR_IF, 0,
    END,
    ...get(OUT),                                                      //   out[row] = sum of lanes
    ...get(ACC0), ...get(ACC1), ...simd(I32X4_ADD), ...set(ACC0),
    ...lane(0), ...lane(1), I32_ADD, ...lane(2), I32_ADD, ...lane(3), I32_ADD,
    I32_STORE, 2, 0,
    ...get(OUT), ...i32Const(4), I32_ADD, ...set(OUT),
    ...get(COUNT), ...i32Const(1), I32_SUB, ...tee(COUNT), BR_IF, 0,  // codes already point at the next row
    END,
    END,
    END,
  ];
  const code = [
    ...vec([
      [2, I32],
      [2, V128],
    ]),
    ...body,
  ];
  const section = (id: number, content: number[]): number[] => [id, ...uleb(content.length), ...content];
  const name = (s: string): number[] => [s.length, ...Buffer.from(s, 'ascii')];
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec([[0x60, ...vec([I32, I32, I32, I32, I32].map((t) => [t])), 0]])),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, 0x00, 0x01]])),
    ...section(3, vec([[0]])),
    ...section(7, vec([[...name('scan'), 0x00, 0]])),
    ...section(10, vec([[...uleb(code.length), ...code]])),
  ]);
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function uleb(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

function sleb(value: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    if ((value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0)) return [...out, byte];
    out.push(byte | 0x80);
  }
}

// tsconfig's ES lib has no WebAssembly values (they live in the DOM lib); declare the three this file uses.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number }) => WasmMemory;
};

let kernelModule: object | undefined;

type ScanFunction = (query: number, codes: number, count: number, dim: number, out: number) => void;

/**
 * A growable table of int8 vector codes, one row per slot, each with its own scale.
 * Memory layout: [query i16 × paddedDim][codes i8 × paddedDim × capacity][dots i32 × capacity].
 */
export class Int8VectorStore {
  readonly paddedDim: number;
  private readonly memory: WasmMemory = new WebAssembly.Memory({ initial: 1 });
  private readonly scanRows: ScanFunction;
  private readonly codesOffset: number;
  private readonly queryMax: number;
  private scales = new Float32Array(0);
  private rows = 0;
  // Views over the WebAssembly memory; growing it replaces the buffer, so they are rebuilt in reserve().
  private codes = new Int8Array(0);
  private query = new Int16Array(0);

  constructor(readonly dim: number) {
    this.paddedDim = Math.ceil(dim / LANES) * LANES;
    this.codesOffset = Math.ceil((this.paddedDim * 2) / 64) * 64;
    this.queryMax = Math.min(QUERY_MAX, Math.floor(0x7fffffff / (CODE_MAX * this.paddedDim)));
    if (this.queryMax < 1) throw new RangeError(`int8 scan: dimension ${dim} is too large`);
    kernelModule ??= new WebAssembly.Module(kernelBytes());
    const instance = new WebAssembly.Instance(kernelModule, { env: { memory: this.memory } });
    this.scanRows = instance.exports['scan'] as ScanFunction;
  }

  /** Grows to hold at least `rows` codes (never shrinks: WebAssembly memory cannot). */
  reserve(rows: number): void {
    if (rows <= this.rows) return;
    const needed = this.codesOffset + rows * (this.paddedDim + 4);
    const pages = Math.ceil(needed / PAGE) - this.memory.buffer.byteLength / PAGE;
    if (pages > 0) this.memory.grow(pages);
    const scales = new Float32Array(rows);
    scales.set(this.scales);
    this.scales = scales;
    this.rows = rows;
    this.codes = new Int8Array(this.memory.buffer, this.codesOffset, rows * this.paddedDim);
    this.query = new Int16Array(this.memory.buffer, 0, this.paddedDim);
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
    let maxAbs = 0;
    for (let i = 0; i < unit.length; i++) maxAbs = Math.max(maxAbs, Math.abs(unit[i]));
    const toCode = this.queryMax / maxAbs;
    for (let i = 0; i < unit.length; i++) this.query[i] = Math.round(unit[i] * toCode);
    const dotsOffset = this.codesOffset + this.rows * this.paddedDim;
    this.scanRows(0, this.codesOffset, count, this.paddedDim, dotsOffset);
    return { dots: new Int32Array(this.memory.buffer, dotsOffset, count), scales: this.scales };
  }

  /** Bytes of WebAssembly memory plus the scale table. */
  get bytes(): number {
    return this.memory.buffer.byteLength + this.scales.byteLength;
  }
}
