// Builds ONNX models in memory. Every converter (TF.js graphs, face-api's weights-only nets) goes through
// this one builder, so the ONNX details (field numbers, opset, IR version) live in one place.
import { ProtoWriter } from './protobuf.js';

/** ONNX opset used by every model Visage writes. */
export const OPSET = 13;
const IR_VERSION = 8;

// TensorProto.DataType values.
const DT_FLOAT = 1;
const DT_UINT8 = 2;
const DT_INT8 = 3;
const DT_INT32 = 6;
const DT_INT64 = 7;

export type Attr =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'ints'; value: readonly number[] }
  | { kind: 'floats'; value: readonly number[] }
  | { kind: 'string'; value: string };

/** Attribute constructors: ONNX distinguishes int and float attributes, JavaScript numbers do not. */
export const attr = {
  int: (value: number): Attr => ({ kind: 'int', value }),
  float: (value: number): Attr => ({ kind: 'float', value }),
  ints: (value: readonly number[]): Attr => ({ kind: 'ints', value }),
  floats: (value: readonly number[]): Attr => ({ kind: 'floats', value }),
  string: (value: string): Attr => ({ kind: 'string', value }),
};

export type TensorData = Float32Array | Int32Array | BigInt64Array | Int8Array | Uint8Array;

interface Initializer {
  name: string;
  dims: readonly number[];
  data: TensorData;
}

interface NodeSpec {
  op: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name: string;
  attrs: Record<string, Attr>;
}

/** A dimension: a fixed size or a symbolic name such as "batch". */
export type Dim = number | string;

export class OnnxGraph {
  private readonly nodes: NodeSpec[] = [];
  private readonly initializers: Initializer[] = [];
  private readonly inputs: { name: string; dims: readonly Dim[] }[] = [];
  private readonly outputs: { name: string; dims: readonly Dim[] | undefined }[] = [];
  private readonly used = new Set<string>();

  constructor(readonly name: string) {}

  /** A name not used yet in this graph, derived from `hint`. */
  uniqueName(hint: string): string {
    let name = hint;
    for (let i = 1; this.used.has(name); i++) name = `${hint}_${i}`;
    this.used.add(name);
    return name;
  }

  /** Declares a float32 graph input. */
  input(name: string, dims: readonly Dim[]): string {
    this.used.add(name);
    this.inputs.push({ name, dims });
    return name;
  }

  /** Declares an existing value as a graph output (float32). */
  output(name: string, dims?: readonly Dim[]): void {
    this.outputs.push({ name, dims });
  }

  /** Adds a constant tensor (weights, shapes) and returns its name. */
  constant(hint: string, data: TensorData, dims: readonly number[]): string {
    const count = dims.reduce((a, b) => a * b, 1);
    if (count !== data.length) {
      throw new Error(`constant ${hint}: ${data.length} values do not fill shape [${dims.join(',')}]`);
    }
    const name = this.uniqueName(hint);
    this.initializers.push({ name, dims, data });
    return name;
  }

  /** An int64 1-D constant, the type ONNX wants for shapes, axes and pads. */
  int64s(hint: string, values: readonly number[]): string {
    return this.constant(hint, BigInt64Array.from(values.map((v) => BigInt(v))), [values.length]);
  }

  /** Adds a node with one output and returns the output's name. */
  node(op: string, inputs: readonly string[], attrs: Record<string, Attr> = {}, outputHint?: string): string {
    return this.nodeN(op, inputs, 1, attrs, outputHint)[0]!;
  }

  /** Adds a node with `count` outputs. */
  nodeN(
    op: string,
    inputs: readonly string[],
    count: number,
    attrs: Record<string, Attr> = {},
    outputHint?: string,
  ): string[] {
    const base = outputHint ?? op.toLowerCase();
    const outputs = Array.from({ length: count }, (_, i) =>
      this.uniqueName(count === 1 ? base : `${base}_${i}`),
    );
    this.nodes.push({ op, inputs, outputs, name: this.uniqueName(`${base}_node`), attrs });
    return outputs;
  }

  /** Serialises the graph as an ONNX ModelProto. */
  toBytes(producer = 'visage'): Uint8Array {
    const w = new ProtoWriter();
    w.int(1, IR_VERSION);
    w.string(2, producer);
    w.message(7, (g) => this.writeGraph(g));
    w.message(8, (o) => o.string(1, '').int(2, OPSET));
    return w.finish();
  }

  private writeGraph(g: ProtoWriter): void {
    for (const n of this.nodes) g.message(1, (w) => writeNode(w, n));
    g.string(2, this.name);
    for (const t of this.initializers) g.message(5, (w) => writeTensor(w, t));
    for (const i of this.inputs) g.message(11, (w) => writeValueInfo(w, i.name, i.dims));
    for (const o of this.outputs) g.message(12, (w) => writeValueInfo(w, o.name, o.dims));
  }
}

function writeNode(w: ProtoWriter, n: NodeSpec): void {
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name);
  w.string(4, n.op);
  for (const [name, a] of Object.entries(n.attrs)) w.message(5, (aw) => writeAttr(aw, name, a));
}

export function writeAttr(w: ProtoWriter, name: string, a: Attr): void {
  w.string(1, name);
  switch (a.kind) {
    case 'float':
      w.float(2, a.value).int(20, 1);
      break;
    case 'int':
      w.int(3, a.value).int(20, 2);
      break;
    case 'string':
      w.string(4, a.value).int(20, 3);
      break;
    case 'floats':
      w.packedFloats(7, a.value).int(20, 6);
      break;
    case 'ints':
      w.packedInts(8, a.value).int(20, 7);
      break;
  }
}

export function writeTensor(w: ProtoWriter, t: Initializer): void {
  w.packedInts(1, t.dims);
  w.int(2, dataType(t.data));
  w.string(8, t.name);
  // raw_data is little-endian, which is what typed arrays hold on every platform Node supports.
  w.bytes(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
}

function dataType(data: TensorData): number {
  if (data instanceof Float32Array) return DT_FLOAT;
  if (data instanceof Int32Array) return DT_INT32;
  if (data instanceof Int8Array) return DT_INT8;
  if (data instanceof Uint8Array) return DT_UINT8;
  return DT_INT64;
}

export function writeValueInfo(w: ProtoWriter, name: string, dims: readonly Dim[] | undefined): void {
  w.string(1, name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, DT_FLOAT);
      if (dims) {
        tensor.message(2, (shape) => {
          for (const d of dims) {
            shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
          }
        });
      }
    }),
  );
}
