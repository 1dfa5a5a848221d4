// Static int8 quantization in ONNX's QDQ form: each convolution's and matrix product's weights become
// int8 per output channel behind a DequantizeLinear, its bias int32 at scale (input scale × weight
// scale), and its input and output activations pass through a QuantizeLinear → DequantizeLinear pair
// whose uint8 scale and zero point come from calibrated ranges. ONNX Runtime's CPU provider fuses each
// DQ → Conv → Q group into one QLinearConv (DQ → MatMul → Q into QLinearMatMul), which runs on integers;
// what is left between groups (Add, Relu, pooling, transposes) runs in float on dequantized values.
import { attr, OPSET } from '../onnx/graph.js';
import { ProtoWriter } from '../onnx/protobuf.js';
import { bytesOf, intOf, readFields, stringOf } from '../onnx/reader.js';
import {
  attribute,
  defaultOpset,
  floatInitializer,
  outputNames,
  removeInitializer,
  setInitializer,
  type EditableModel,
  type EditableNode,
} from './model.js';

// ModelProto field numbers.
const MODEL_IR_VERSION = 1;
const MODEL_OPSET = 8;

/** A calibrated activation range [min, max]. */
export type Range = readonly [number, number];

export interface QuantizeOptions {
  /** Keep in float every quantizable node whose output reaches a graph output without another one. */
  floatHeads?: boolean;
  /** Keep in float every quantizable node whose input comes from the graph input without another one. */
  floatFirst?: boolean;
  /**
   * Weights in 7 bits (−63..63): on AVX2 without VNNI, ONNX Runtime's u8×s8 kernel sums pairs of
   * products in int16, which full 8-bit weights overflow (ONNX Runtime's own `reduce_range`). Measured
   * on dlib-resnet (MODELS.md): worst cosine 0.958 with 8-bit weights, 0.9988 with 7-bit ones.
   */
  reduceRange?: boolean;
}

/** Ops whose weights are quantized (input 1 a float initializer). */
const QUANTIZABLE = new Set(['Conv', 'MatMul', 'Gemm']);
/**
 * Ops a model quantized here may contain besides its own Q/DQ: those whose meaning did not change between
 * opset 9 and 13, so that an older model's opset can be raised to 13 (per-channel DequantizeLinear).
 */
const SAFE_TO_RAISE = new Set([
  'Conv',
  'PRelu',
  'Relu',
  'Add',
  'Mul',
  'Sub',
  'Div',
  'Reshape',
  'MatMul',
  'Gemm',
]);

/** The nodes quantize() quantizes (calibration ranges their inputs and outputs). */
function quantizableNodes(model: EditableModel, options: QuantizeOptions = {}): EditableNode[] {
  const candidates = model.nodes.filter(
    (n) => QUANTIZABLE.has(n.op) && !n.domain && floatInitializer(model, n.inputs[1]!) !== undefined,
  );
  const set = new Set(candidates);
  const graphOutputs = new Set(outputNames(model));
  const consumers = new Map<string, EditableNode[]>();
  const producer = new Map<string, EditableNode>();
  for (const n of model.nodes) {
    for (const i of n.inputs) consumers.set(i, [...(consumers.get(i) ?? []), n]);
    for (const o of n.outputs) producer.set(o, n);
  }
  // A head: some path from its output reaches a graph output through non-quantizable nodes only.
  const reachesOutput = (value: string, seen = new Set<string>()): boolean => {
    if (graphOutputs.has(value)) return true;
    if (seen.has(value)) return false;
    seen.add(value);
    return (consumers.get(value) ?? []).some(
      (c) => !set.has(c) && c.outputs.some((o) => reachesOutput(o, seen)),
    );
  };
  // A first layer: its input traces back to a graph input (not an initializer) through non-quantizable nodes.
  const fromInput = (value: string, seen = new Set<string>()): boolean => {
    const p = producer.get(value);
    if (!p) return !model.initializers.has(value);
    if (set.has(p) || seen.has(value)) return false;
    seen.add(value);
    return p.inputs.some((i) => i !== '' && fromInput(i, seen));
  };
  return candidates.filter(
    (n) =>
      !graphOutputs.has(n.outputs[0]!) &&
      !(options.floatHeads && reachesOutput(n.outputs[0]!)) &&
      !(options.floatFirst && fromInput(n.inputs[0]!)),
  );
}

/** The activations a quantized model needs ranges for: every quantized node's input and output. */
export function activationsToRange(model: EditableModel, options: QuantizeOptions = {}): string[] {
  const names = new Set<string>();
  for (const n of quantizableNodes(model, options)) {
    names.add(n.inputs[0]!);
    names.add(n.outputs[0]!);
  }
  return [...names];
}

/** Rewrites `model` in place into its QDQ int8 form; `ranges` must cover activationsToRange(). */
export function quantize(
  model: EditableModel,
  ranges: Readonly<Record<string, Range>>,
  options: QuantizeOptions = {},
): void {
  const nodes = quantizableNodes(model, options);
  raiseOpset(model);
  const qparams = new Map<string, { scale: number; zeroPoint: number }>();
  for (const value of activationsToRange(model, options)) {
    const range = ranges[value];
    if (!range || !range.every(Number.isFinite)) throw new Error(`no calibrated range for ${value}`);
    qparams.set(value, uint8Params(range));
  }

  const added: EditableNode[] = [];
  // Each ranged activation gets one Q → DQ pair; every consumer reads the dequantized value.
  const dequantized = new Map<string, string>();
  for (const [value, p] of qparams) {
    const scale = `${value}_scale`;
    const zeroPoint = `${value}_zero_point`;
    setInitializer(model, scale, Float32Array.of(p.scale), []);
    setInitializer(model, zeroPoint, Uint8Array.of(p.zeroPoint), []);
    added.push(qdqNode('QuantizeLinear', `${value}_quantize`, [value, scale, zeroPoint], `${value}_q`));
    added.push(
      qdqNode('DequantizeLinear', `${value}_dequantize`, [`${value}_q`, scale, zeroPoint], `${value}_dq`),
    );
    dequantized.set(value, `${value}_dq`);
  }
  const inputScales = new Map(nodes.map((n) => [n, qparams.get(n.inputs[0]!)!.scale]));
  for (const n of model.nodes) n.inputs = n.inputs.map((i) => dequantized.get(i) ?? i);

  for (const n of nodes) {
    const inputScale = inputScales.get(n)!;
    const weightName = n.inputs[1]!;
    const weight = floatInitializer(model, weightName)!;
    const axis = weightAxis(n, weight.dims);
    const q = perChannelInt8(weight.data, weight.dims, axis, options.reduceRange ? 63 : 127);
    removeInitializer(model, weightName);
    setInitializer(model, `${weightName}_quantized`, q.values, weight.dims);
    setInitializer(model, `${weightName}_scale`, q.scales, [q.scales.length]);
    setInitializer(model, `${weightName}_zero_point`, new Int8Array(q.scales.length), [q.scales.length]);
    added.push(
      qdqNode(
        'DequantizeLinear',
        `${weightName}_dequantize`,
        [`${weightName}_quantized`, `${weightName}_scale`, `${weightName}_zero_point`],
        `${weightName}_dq`,
        axis,
      ),
    );
    n.inputs[1] = `${weightName}_dq`;

    const biasName = n.inputs[2];
    const bias = biasName ? floatInitializer(model, biasName) : undefined;
    if (biasName && bias && (n.op === 'Conv' || n.op === 'Gemm')) {
      const scales = q.scales.map((s) => s * inputScale);
      const values = Int32Array.from(bias.data, (b, c) => Math.round(b / scales[c % scales.length]!));
      removeInitializer(model, biasName);
      setInitializer(model, `${biasName}_quantized`, values, bias.dims);
      setInitializer(model, `${biasName}_scale`, scales, [scales.length]);
      setInitializer(model, `${biasName}_zero_point`, new Int32Array(scales.length), [scales.length]);
      added.push(
        qdqNode(
          'DequantizeLinear',
          `${biasName}_dequantize`,
          [`${biasName}_quantized`, `${biasName}_scale`, `${biasName}_zero_point`],
          `${biasName}_dq`,
          0,
        ),
      );
      n.inputs[2] = `${biasName}_dq`;
    }
  }
  model.nodes = topological([...model.nodes, ...added]);
}

/** uint8 scale and zero point for a range, widened to include 0 (zero must be exact: padding, ReLU). */
function uint8Params([min, max]: Range): { scale: number; zeroPoint: number } {
  const lo = Math.min(min, 0);
  const hi = Math.max(max, 0);
  const scale = hi > lo ? (hi - lo) / 255 : 1;
  return { scale, zeroPoint: Math.min(255, Math.max(0, Math.round(-lo / scale))) };
}

/** The output-channel axis of a weight: Conv OIHW → 0; MatMul [K, N] → 1; Gemm by its transB. */
function weightAxis(n: EditableNode, dims: readonly number[]): number {
  if (n.op === 'Conv') return 0;
  if (n.op === 'Gemm') return intAttribute(n, 'transB') === 1 ? 0 : 1;
  return dims.length - 1;
}

/** Symmetric per-channel int8: scale = max |w| / limit along every slice of `axis`. */
function perChannelInt8(
  data: Float32Array,
  dims: readonly number[],
  axis: number,
  limit: number,
): { values: Int8Array; scales: Float32Array } {
  const channels = dims[axis]!;
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const channelOf = (i: number): number => Math.floor(i / inner) % channels;
  const peak = new Float32Array(channels);
  for (let i = 0; i < data.length; i++)
    peak[channelOf(i)] = Math.max(peak[channelOf(i)]!, Math.abs(data[i]!));
  const scales = Float32Array.from(peak, (p) => (p > 0 ? p / limit : 1));
  const values = Int8Array.from(data, (v, i) =>
    Math.max(-limit, Math.min(limit, Math.round(v / scales[channelOf(i)]!))),
  );
  return { values, scales };
}

function qdqNode(
  op: 'QuantizeLinear' | 'DequantizeLinear',
  name: string,
  inputs: string[],
  output: string,
  axis?: number,
): EditableNode {
  const attributes = axis === undefined ? [] : [attribute('axis', attr.int(axis))];
  return { op, domain: '', name, inputs, outputs: [output], attributes };
}

function intAttribute(n: EditableNode, name: string): number | undefined {
  for (const a of n.attributes) {
    const fields = readFields(a);
    const nameField = fields.find((f) => f.field === 1);
    const value = fields.find((f) => f.field === 3);
    if (nameField && stringOf(nameField) === name && value) return intOf(value);
  }
  return undefined;
}

/** Per-channel DequantizeLinear needs opset 13; an older model is raised when its ops allow it. */
function raiseOpset(model: EditableModel): void {
  if (defaultOpset(model) >= OPSET) return;
  const unsafe = [...new Set(model.nodes.map((n) => n.op))].filter((op) => !SAFE_TO_RAISE.has(op));
  if (unsafe.length > 0) {
    throw new Error(`cannot raise opset ${defaultOpset(model)} to ${OPSET}: ops ${unsafe.join(', ')}`);
  }
  setDefaultOpset(model, OPSET);
}

function setDefaultOpset(model: EditableModel, version: number): void {
  model.modelFields = model.modelFields.filter((f) => {
    if (f.field !== MODEL_OPSET) return true;
    const domain = readFields(bytesOf(f)).find((s) => s.field === 1);
    return domain !== undefined && stringOf(domain) !== '' && stringOf(domain) !== 'ai.onnx';
  });
  const opset = new ProtoWriter().string(1, '').int(2, version).finish();
  model.modelFields.push({ field: MODEL_OPSET, wire: 2, value: opset });
  // IR version 7 is the first to know opset 13.
  const ir = model.modelFields.find((f) => f.field === MODEL_IR_VERSION);
  if (ir && intOf(ir) < 7) ir.value = 7n;
}

/** Orders nodes so that every value is produced before it is read (ONNX requires it). */
function topological(nodes: EditableNode[]): EditableNode[] {
  const producer = new Map<string, EditableNode>();
  for (const n of nodes) for (const o of n.outputs) producer.set(o, n);
  const done = new Set<EditableNode>();
  const out: EditableNode[] = [];
  const visit = (n: EditableNode): void => {
    if (done.has(n)) return;
    done.add(n);
    for (const i of n.inputs) {
      const p = producer.get(i);
      if (p) visit(p);
    }
    out.push(n);
  };
  for (const n of nodes) visit(n);
  return out;
}
