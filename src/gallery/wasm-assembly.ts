// Just enough of the WebAssembly binary format to hand-assemble the gallery's scan kernels (int8-scan.ts,
// coarse-codes.ts): Node 20 ships SIMD, so a few hundred bytes of code need no toolchain.

export const I32 = 0x7f;
export const I64 = 0x7e;
export const V128 = 0x7b;

/** Instruction encoders; locals are numbered parameters first. */
export const op = {
  get: (i: number): number[] => [0x20, i],
  set: (i: number): number[] => [0x21, i],
  tee: (i: number): number[] => [0x22, i],
  i32: (v: number): number[] => [0x41, ...sleb(v)],
  i64: (v: number): number[] => [0x42, ...sleb(v)],
  simd: (code: number, ...imm: number[]): number[] => [0xfd, ...uleb(code), ...imm],
  /** A load or store's memory argument: log2 of the alignment, then the byte offset. */
  mem: (align: number, offset: number): number[] => [align, ...uleb(offset)],
};

export interface KernelFunction {
  name: string;
  params: number[];
  results: number[];
  /** Extra locals beyond the parameters, as [count, type] runs. */
  locals: [number, number][];
  /** The instructions, without the closing `end`. */
  body: number[];
}

/** A module importing `env.memory` and exporting each function by name. */
export function assemble(functions: KernelFunction[]): object {
  const section = (id: number, content: number[]): number[] => [id, ...uleb(content.length), ...content];
  const name = (s: string): number[] => [s.length, ...Buffer.from(s, 'ascii')];
  const types = functions.map((f) => [
    0x60,
    ...vec(f.params.map((t) => [t])),
    ...vec(f.results.map((t) => [t])),
  ]);
  const codes = functions.map((f) => {
    const code = [...vec(f.locals.map(([n, t]) => [...uleb(n), t])), ...f.body, 0x0b];
    return [...uleb(code.length), ...code];
  });
  const bytes = Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec(types)),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, 0x00, 0x01]])),
    ...section(3, vec(functions.map((_, i) => uleb(i)))),
    ...section(7, vec(functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vec(codes)),
  ]);
  return new WebAssembly.Module(bytes);
}

/** An instance of `module` over `memory`, with its exports. */
export function instantiate(module: object, memory: WasmMemory): Record<string, unknown> {
  return new WebAssembly.Instance(module, { env: { memory } }).exports;
}

/** A growable memory starting at one 64 KiB page. */
export function newMemory(): WasmMemory {
  return new WebAssembly.Memory({ initial: 1 });
}

export const PAGE = 65536;

/** Grows `memory` to at least `bytes`. */
export function growTo(memory: WasmMemory, bytes: number): void {
  const pages = Math.ceil(bytes / PAGE) - memory.buffer.byteLength / PAGE;
  if (pages > 0) memory.grow(pages);
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

// tsconfig's ES lib has no WebAssembly values (they live in the DOM lib); declare the ones used here.
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number }) => WasmMemory;
};
