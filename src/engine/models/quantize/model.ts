// An ONNX model opened for editing: the graph's nodes, initializers and outputs as records the quantizer
// can change; the model's and graph's other fields (opsets, metadata, inputs, value_info) and the nodes'
// attributes are kept as read and written back unchanged (nodes' doc strings are dropped).
import { writeAttr, writeTensor, writeValueInfo, type Attr, type TensorData } from '../onnx/graph.js';
import { ProtoWriter } from '../onnx/protobuf.js';
import { bytesOf, intOf, intsOf, readFields, stringOf, type ProtoField } from '../onnx/reader.js';

// ModelProto, GraphProto, NodeProto and TensorProto field numbers (onnx.proto).
const MODEL_GRAPH = 7;
const MODEL_OPSET = 8;
const GRAPH_NODE = 1;
const GRAPH_INITIALIZER = 5;
const GRAPH_INPUT = 11;
const GRAPH_OUTPUT = 12;
const TENSOR_DIMS = 1;
const TENSOR_TYPE = 2;
const TENSOR_FLOATS = 4;
const TENSOR_NAME = 8;
const TENSOR_RAW = 9;
const DT_FLOAT = 1;

export interface EditableNode {
  op: string;
  domain: string;
  name: string;
  inputs: string[];
  outputs: string[];
  /** AttributeProto messages, as read (or as written by attribute()). */
  attributes: Uint8Array[];
}

export interface EditableModel {
  /** ModelProto fields other than the graph. */
  modelFields: ProtoField[];
  /** GraphProto fields other than nodes, initializers and outputs. */
  graphFields: ProtoField[];
  nodes: EditableNode[];
  /** Initializers as read (TensorProto bytes), by name, in file order. */
  initializers: Map<string, Uint8Array>;
  /** Graph outputs (ValueInfoProto bytes), in order. */
  outputs: Uint8Array[];
}

export function openModel(bytes: Uint8Array): EditableModel {
  const modelFields: ProtoField[] = [];
  let graph: Uint8Array | undefined;
  for (const f of readFields(bytes)) {
    if (f.field === MODEL_GRAPH) graph = bytesOf(f);
    else modelFields.push(f);
  }
  if (!graph) throw new Error('not an ONNX model: no graph');
  const model: EditableModel = {
    modelFields,
    graphFields: [],
    nodes: [],
    initializers: new Map(),
    outputs: [],
  };
  for (const f of readFields(graph)) {
    if (f.field === GRAPH_NODE) model.nodes.push(readNode(bytesOf(f)));
    else if (f.field === GRAPH_INITIALIZER) model.initializers.set(tensorName(bytesOf(f)), bytesOf(f));
    else if (f.field === GRAPH_OUTPUT) model.outputs.push(bytesOf(f));
    else model.graphFields.push(f);
  }
  return model;
}

export function saveModel(model: EditableModel): Uint8Array {
  const w = new ProtoWriter();
  for (const f of model.modelFields) w.field(f);
  w.message(MODEL_GRAPH, (g) => {
    for (const n of model.nodes) g.message(GRAPH_NODE, (nw) => writeNode(nw, n));
    for (const t of model.initializers.values()) g.bytes(GRAPH_INITIALIZER, t);
    for (const f of model.graphFields) g.field(f);
    for (const o of model.outputs) g.bytes(GRAPH_OUTPUT, o);
  });
  return w.finish();
}

/** The version of the default ONNX domain the model imports. */
export function defaultOpset(model: EditableModel): number {
  for (const f of model.modelFields) {
    if (f.field !== MODEL_OPSET) continue;
    const sub = readFields(bytesOf(f));
    const domain = sub.find((s) => s.field === 1);
    const version = sub.find((s) => s.field === 2);
    if ((!domain || stringOf(domain) === '' || stringOf(domain) === 'ai.onnx') && version)
      return intOf(version);
  }
  throw new Error('model imports no default ONNX opset');
}

/** The graph outputs' names, in order. */
export function outputNames(model: EditableModel): string[] {
  return model.outputs.map((o) => {
    const f = readFields(o).find((x) => x.field === 1);
    return f ? stringOf(f) : '';
  });
}

/** Adds an output (float32, shape left free) so that a run returns this intermediate value. */
export function exposeOutput(model: EditableModel, name: string): void {
  if (outputNames(model).includes(name)) return;
  const w = new ProtoWriter();
  writeValueInfo(w, name, undefined);
  model.outputs.push(w.finish());
}

/** A float32 initializer's shape and values, or undefined when `name` is no float initializer. */
export function floatInitializer(
  model: EditableModel,
  name: string,
): { dims: number[]; data: Float32Array } | undefined {
  const bytes = model.initializers.get(name);
  if (!bytes) return undefined;
  const fields = readFields(bytes);
  const type = fields.find((f) => f.field === TENSOR_TYPE);
  if (!type || intOf(type) !== DT_FLOAT) return undefined;
  const dims = intsOf(fields, TENSOR_DIMS);
  const raw = fields.find((f) => f.field === TENSOR_RAW);
  let data: Float32Array;
  if (raw) {
    const b = bytesOf(raw);
    data = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  } else {
    const parts = fields.filter((f) => f.field === TENSOR_FLOATS);
    const values: number[] = [];
    for (const p of parts) {
      const b = bytesOf(p);
      const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
      for (let i = 0; i + 4 <= b.byteLength; i += 4) values.push(view.getFloat32(i, true));
    }
    data = Float32Array.from(values);
  }
  return { dims, data };
}

export function setInitializer(model: EditableModel, name: string, data: TensorData, dims: number[]): void {
  const w = new ProtoWriter();
  writeTensor(w, { name, dims, data });
  model.initializers.set(name, w.finish());
}

/** Drops an initializer, and its graph input if the file lists one (IR < 4 files list every initializer). */
export function removeInitializer(model: EditableModel, name: string): void {
  model.initializers.delete(name);
  model.graphFields = model.graphFields.filter((f) => {
    if (f.field !== GRAPH_INPUT) return true;
    const n = readFields(bytesOf(f)).find((x) => x.field === 1);
    return !n || stringOf(n) !== name;
  });
}

/** An AttributeProto for EditableNode.attributes. */
export function attribute(name: string, a: Attr): Uint8Array {
  const w = new ProtoWriter();
  writeAttr(w, name, a);
  return w.finish();
}

function readNode(bytes: Uint8Array): EditableNode {
  const n: EditableNode = { op: '', domain: '', name: '', inputs: [], outputs: [], attributes: [] };
  for (const f of readFields(bytes)) {
    if (f.field === 1) n.inputs.push(stringOf(f));
    else if (f.field === 2) n.outputs.push(stringOf(f));
    else if (f.field === 3) n.name = stringOf(f);
    else if (f.field === 4) n.op = stringOf(f);
    else if (f.field === 5) n.attributes.push(bytesOf(f));
    else if (f.field === 7) n.domain = stringOf(f);
  }
  return n;
}

function writeNode(w: ProtoWriter, n: EditableNode): void {
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name);
  w.string(4, n.op);
  for (const a of n.attributes) w.bytes(5, a);
  if (n.domain) w.string(7, n.domain);
}

function tensorName(bytes: Uint8Array): string {
  const f = readFields(bytes).find((x) => x.field === TENSOR_NAME);
  return f ? stringOf(f) : '';
}
