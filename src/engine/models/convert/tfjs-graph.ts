// Converts a TF.js graph model (model.json topology + weight shards) to ONNX, so that onnxruntime runs the
// network TF.js would run: same NHWC float32 input with the same scaling, same outputs in the same order.
// Layout: TF tensors stay NHWC everywhere; each convolution or pooling is wrapped in NHWC→NCHW→NHWC
// transposes, which ORT's optimizer cancels between neighbouring convolutions, so the wrapping costs nothing
// and every other op (Reshape, Pad, reductions, broadcasting constants) keeps TF's axes unchanged.
import fs from 'node:fs/promises';
import path from 'node:path';
import { OnnxGraph, attr, type Attr, type Dim } from '../onnx/graph.js';
import { convFilter, depthwiseFilter } from './filter-layout.js';
import { loadWeights, type Weight, type WeightGroup } from './tfjs-weights.js';

export interface ConvertedModel {
  bytes: Uint8Array;
  /** TF.js's name for the input (GraphModel.inputNodes[0]). */
  inputName: string;
  /** NHWC, with a symbolic batch dimension "batch". */
  inputShape: Dim[];
  /** TF.js's output names, in TF.js's output order (GraphModel.outputNodes); also the ONNX output names. */
  outputNames: string[];
}

// The parts of model.json this converter reads.
interface TfAttr {
  s?: string; // base64
  i?: string;
  b?: boolean;
  list?: { i?: string[]; s?: string[] };
  shape?: { dim?: { size: string }[]; unknownRank?: boolean };
}
interface TfNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, TfAttr>;
}
interface TfSignature {
  inputs?: Record<string, { name: string }>;
  outputs?: Record<string, { name: string }>;
}
interface TfjsModelJson {
  format?: string;
  modelTopology?: { node?: TfNode[] };
  weightsManifest?: WeightGroup[];
  signature?: TfSignature;
}

/** Reads `model.json` and the weight shards next to it and returns the equivalent ONNX model. */
export async function convertTfjsGraph(modelJsonPath: string): Promise<ConvertedModel> {
  const json = JSON.parse(await fs.readFile(modelJsonPath, 'utf8')) as TfjsModelJson;
  const topology = json.modelTopology?.node;
  if (json.format !== 'graph-model' || !topology) {
    throw new Error(`${modelJsonPath}: not a TF.js graph model (format "${json.format}")`);
  }
  const weights = await loadWeights(json.weightsManifest ?? [], path.dirname(modelJsonPath));
  try {
    return new GraphConverter(path.basename(modelJsonPath, '.json'), topology, weights).convert(
      json.signature ?? {},
    );
  } catch (e) {
    throw new Error(`${modelJsonPath}: ${(e as Error).message}`, { cause: e });
  }
}

const NHWC_TO_NCHW = [0, 3, 1, 2];
const NCHW_TO_NHWC = [0, 2, 3, 1];
const SYMBOLIC_BATCH = 'batch';

class GraphConverter {
  readonly g: OnnxGraph;
  private readonly nodes = new Map<string, TfNode>();
  /** TF node name → the ONNX value holding its (single) output. */
  private readonly values = new Map<string, string>();
  private readonly inProgress = new Set<string>();
  private batchOfOne = false;

  constructor(
    name: string,
    topology: readonly TfNode[],
    private readonly weights: Map<string, Weight>,
  ) {
    this.g = new OnnxGraph(name);
    for (const node of topology) this.nodes.set(node.name, node);
  }

  /** Whether the model was exported for a batch of exactly 1 (see Reshape). */
  get fixedBatchOfOne(): boolean {
    return this.batchOfOne;
  }

  convert(signature: TfSignature): ConvertedModel {
    const { inputName, inputShape } = this.declareInput(signature);
    const outputNames = this.outputRefs(signature).map(({ name, ref }) => {
      const value = this.resolve(ref);
      // Name the ONNX output as TF.js names it; an Identity gives a value a second name.
      const output = value === name ? value : this.g.node('Identity', [value], {}, name);
      this.g.output(output);
      return output;
    });
    return { bytes: this.g.toBytes(), inputName, inputShape, outputNames };
  }

  private declareInput(signature: TfSignature): { inputName: string; inputShape: Dim[] } {
    const placeholders = [...this.nodes.values()].filter((n) => n.op === 'Placeholder');
    if (placeholders.length !== 1) {
      throw new Error(
        `expected one input, found ${placeholders.length} (${placeholders.map((n) => n.name).join(', ')})`,
      );
    }
    const node = placeholders[0]!;
    const dims = node.attr?.['shape']?.shape?.dim;
    if (!dims || dims.length !== 4) throw new Error(`input "${node.name}" is not a 4-D NHWC tensor`);
    const sizes = dims.map((d) => Number(d.size));
    this.batchOfOne = sizes[0] === 1;
    const inputShape: Dim[] = sizes.map((size, i) =>
      i === 0 ? SYMBOLIC_BATCH : size >= 0 ? size : `dim${i}`,
    );
    // TF.js calls the input by its signature key when the signature lists it, else by the node name.
    const key = Object.entries(signature.inputs ?? {}).find(
      ([, e]) => parseRef(e.name).node === node.name,
    )?.[0];
    const inputName = this.g.input(key ?? node.name, inputShape);
    this.values.set(node.name, inputName);
    return { inputName, inputShape };
  }

  /** The model's outputs as TF.js orders and names them. */
  private outputRefs(signature: TfSignature): { name: string; ref: string }[] {
    const entries = Object.entries(signature.outputs ?? {});
    if (entries.length > 0) return entries.map(([key, e]) => ({ name: key, ref: e.name }));
    // Without a signature TF.js returns every node nothing else consumes.
    const consumed = new Set(
      [...this.nodes.values()].flatMap((n) => (n.input ?? []).map((r) => parseRef(r).node)),
    );
    return [...this.nodes.values()]
      .filter((n) => !consumed.has(n.name))
      .map((n) => ({ name: n.name, ref: n.name }));
  }

  /** The ONNX value for a TF tensor reference, converting its producer (and, first, their inputs) on demand. */
  private resolve(ref: string): string {
    const { node: name, index } = parseRef(ref);
    if (index !== 0) throw new Error(`"${ref}" reads output ${index}; only single-output ops are supported`);
    const known = this.values.get(name);
    if (known) return known;
    const node = this.nodes.get(name);
    if (!node) throw new Error(`node "${name}" is referenced but not defined`);
    if (this.inProgress.has(name)) throw new Error(`node "${name}" is part of a cycle`);
    this.inProgress.add(name);
    const value = this.emit(node);
    this.inProgress.delete(name);
    this.values.set(name, value);
    return value;
  }

  private emit(node: TfNode): string {
    if (node.op === 'Const') {
      const w = this.weightOf(node);
      return this.g.constant(node.name, w.data, w.shape);
    }
    const convert = OPS[node.op];
    if (!convert) throw new Error(`unsupported TF op "${node.op}" (node "${node.name}")`);
    return convert(this, node);
  }

  /** The ONNX value of the node's i-th data input (control inputs "^name" do not count). */
  input(node: TfNode, i: number): string {
    return this.resolve(dataInput(node, i));
  }

  /** The constant behind the node's i-th data input, seen through Identity nodes. */
  constant(node: TfNode, i: number): Weight {
    let source = this.nodes.get(parseRef(dataInput(node, i)).node);
    while (source?.op === 'Identity') source = this.nodes.get(parseRef(dataInput(source, 0)).node);
    if (source?.op !== 'Const') throw new Error(`${node.op} "${node.name}": input ${i} must be a constant`);
    return this.weightOf(source);
  }

  /** A constant integer input (shape, axes, paddings) as plain numbers. */
  ints(node: TfNode, i: number): number[] {
    return Array.from(this.constant(node, i).data);
  }

  private weightOf(node: TfNode): Weight {
    const w = this.weights.get(node.name);
    if (!w) throw new Error(`constant "${node.name}" has no entry in the weights manifest`);
    return w;
  }
}

type OpConverter = (c: GraphConverter, n: TfNode) => string;

const unary =
  (op: string): OpConverter =>
  (c, n) =>
    c.g.node(op, [c.input(n, 0)], {}, n.name);

const binary =
  (op: string): OpConverter =>
  (c, n) =>
    c.g.node(op, [c.input(n, 0), c.input(n, 1)], {}, n.name);

/** Conv2D and depthwise convolution, plain or with fused bias and activation. */
const convolution =
  (depthwise: boolean): OpConverter =>
  (c, n) => {
    const { bias, activation } = fusedOps(n);
    const filter = c.constant(n, 1);
    const [kh, kw, cin] = filter.shape as [number, number, number, number];
    // TF filters are [kh, kw, in, out] (depthwise: [kh, kw, channels, multiplier]); ONNX wants [out, in/group, kh, kw].
    // A depthwise output channel is c·multiplier + m in both, so [channels, multiplier, kh, kw] reshapes to it.
    const onnx = depthwise ? depthwiseFilter(filter) : convFilter(filter);
    const weights = c.g.constant(`${n.name}/filter`, onnx.data, onnx.dims);
    const inputs = [toNchw(c, c.input(n, 0)), weights];
    if (bias) inputs.push(c.input(n, 2));
    const y = c.g.node('Conv', inputs, {
      kernel_shape: attr.ints([kh, kw]),
      group: attr.int(depthwise ? cin : 1),
      ...spatialAttrs(n, 'dilations'),
    });
    return activate(c, n, toNhwc(c, y, activation ? undefined : n.name), activation);
  };

/** MatMul is 2-D in TF, so it maps onto Gemm, which also takes the fused bias. */
const matMul: OpConverter = (c, n) => {
  const { bias, activation } = fusedOps(n);
  const inputs = [c.input(n, 0), c.input(n, 1)];
  if (bias) inputs.push(c.input(n, 2));
  const y = c.g.node(
    'Gemm',
    inputs,
    {
      transA: attr.int(boolAttr(n, 'transpose_a') ? 1 : 0),
      transB: attr.int(boolAttr(n, 'transpose_b') ? 1 : 0),
    },
    activation ? undefined : n.name,
  );
  return activate(c, n, y, activation);
};

const maxPool: OpConverter = (c, n) => {
  const [, kh, kw] = intsAttr(n, 'ksize');
  const y = c.g.node('MaxPool', [toNchw(c, c.input(n, 0))], {
    kernel_shape: attr.ints([kh!, kw!]),
    ...spatialAttrs(n),
  });
  return toNhwc(c, y, n.name);
};

const OPS: Record<string, OpConverter> = {
  Identity: (c, n) => c.input(n, 0),
  Conv2D: convolution(false),
  _FusedConv2D: convolution(false),
  DepthwiseConv2dNative: convolution(true),
  FusedDepthwiseConv2dNative: convolution(true),
  MaxPool: maxPool,
  MatMul: matMul,
  _FusedMatMul: matMul,
  Add: binary('Add'),
  AddV2: binary('Add'),
  Sub: binary('Sub'),
  Mul: binary('Mul'),
  Maximum: binary('Max'),
  Minimum: binary('Min'),
  Prelu: binary('PRelu'),
  Relu: unary('Relu'),
  Abs: unary('Abs'),
  Sigmoid: unary('Sigmoid'),
  Rsqrt: (c, n) => c.g.node('Reciprocal', [c.g.node('Sqrt', [c.input(n, 0)])], {}, n.name),
  Square: (c, n) => {
    const x = c.input(n, 0);
    return c.g.node('Mul', [x, x], {}, n.name);
  },
  // TF's Softmax always normalises the last axis.
  Softmax: (c, n) => c.g.node('Softmax', [c.input(n, 0)], { axis: attr.int(-1) }, n.name),
  Pad: (c, n) => {
    // TF paddings are [[before, after] per axis]; ONNX wants all befores, then all afters.
    const p = c.ints(n, 1);
    const pads = [...p.filter((_, i) => i % 2 === 0), ...p.filter((_, i) => i % 2 === 1)];
    return c.g.node('Pad', [c.input(n, 0), c.g.int64s(`${n.name}/pads`, pads)], {}, n.name);
  },
  Reshape: (c, n) => {
    const shape = c.ints(n, 1);
    // A model exported for a batch of 1 hard-codes that 1 in its reshapes; ONNX's 0 keeps the input's batch
    // instead, so the converted model accepts any batch size.
    if (c.fixedBatchOfOne && shape.length > 1 && shape[0] === 1) shape[0] = 0;
    return c.g.node('Reshape', [c.input(n, 0), c.g.int64s(`${n.name}/shape`, shape)], {}, n.name);
  },
  Squeeze: (c, n) => {
    const axes = intsAttr(n, 'squeeze_dims');
    const inputs = [c.input(n, 0)];
    if (axes.length > 0) inputs.push(c.g.int64s(`${n.name}/axes`, axes));
    return c.g.node('Squeeze', inputs, {}, n.name);
  },
  Sum: (c, n) =>
    c.g.node('ReduceSum', [c.input(n, 0), c.g.int64s(`${n.name}/axes`, c.ints(n, 1))], keepDims(n), n.name),
  Mean: (c, n) =>
    c.g.node('ReduceMean', [c.input(n, 0)], { axes: attr.ints(c.ints(n, 1)), ...keepDims(n) }, n.name),
};

function toNchw(c: GraphConverter, x: string): string {
  return c.g.node('Transpose', [x], { perm: attr.ints(NHWC_TO_NCHW) });
}

function toNhwc(c: GraphConverter, x: string, name?: string): string {
  return c.g.node('Transpose', [x], { perm: attr.ints(NCHW_TO_NHWC) }, name);
}

/** What a _Fused* op adds after its core: always a bias first, then possibly an activation. */
function fusedOps(n: TfNode): { bias: boolean; activation: string | undefined } {
  const ops = (n.attr?.['fused_ops']?.list?.s ?? []).map(decodeBase64);
  if (ops.length === 0) return { bias: false, activation: undefined };
  if (ops[0] !== 'BiasAdd' || ops.length > 2) {
    throw new Error(`${n.op} "${n.name}": unsupported fused ops ${ops.join('+')}`);
  }
  return { bias: true, activation: ops[1] };
}

function activate(c: GraphConverter, n: TfNode, x: string, activation: string | undefined): string {
  switch (activation) {
    case undefined:
      return x;
    case 'Relu':
      return c.g.node('Relu', [x], {}, n.name);
    case 'Prelu':
      // The slopes follow the bias: inputs are (x, filter or matrix, bias, alpha).
      return c.g.node('PRelu', [x, c.input(n, 3)], {}, n.name);
    default:
      throw new Error(`${n.op} "${n.name}": unsupported fused activation ${activation}`);
  }
}

/** Strides, padding and (for convolutions) dilations of an NHWC op, as ONNX attributes on H and W. */
function spatialAttrs(n: TfNode, dilations?: 'dilations'): Record<string, Attr> {
  const format = n.attr?.['data_format']?.s;
  if (format !== undefined && decodeBase64(format) !== 'NHWC') {
    throw new Error(`${n.op} "${n.name}": data format ${decodeBase64(format)} is not supported`);
  }
  const hw = (values: number[]): number[] => [values[1] ?? 1, values[2] ?? 1];
  const attrs: Record<string, Attr> = { strides: attr.ints(hw(intsAttr(n, 'strides'))) };
  if (dilations) attrs['dilations'] = attr.ints(hw(intsAttr(n, dilations)));
  const padding = decodeBase64(n.attr?.['padding']?.s ?? '');
  if (padding === 'SAME') {
    // TF puts the odd extra pixel after (bottom/right), as SAME_UPPER does.
    attrs['auto_pad'] = attr.string('SAME_UPPER');
  } else if (padding === 'EXPLICIT') {
    const [, , top, bottom, left, right] = intsAttr(n, 'explicit_paddings');
    attrs['pads'] = attr.ints([top!, left!, bottom!, right!]);
  } else if (padding !== 'VALID') {
    throw new Error(`${n.op} "${n.name}": unsupported padding "${padding}"`);
  }
  return attrs;
}

function keepDims(n: TfNode): Record<string, Attr> {
  return { keepdims: attr.int(boolAttr(n, 'keep_dims') ? 1 : 0) };
}

function intsAttr(n: TfNode, key: string): number[] {
  return (n.attr?.[key]?.list?.i ?? []).map(Number);
}

function boolAttr(n: TfNode, key: string): boolean {
  return n.attr?.[key]?.b === true;
}

function decodeBase64(s: string): string {
  return Buffer.from(s, 'base64').toString('utf8');
}

/** The i-th data input reference of a node; "^name" entries are control dependencies, not data. */
function dataInput(n: TfNode, i: number): string {
  const ref = (n.input ?? []).filter((r) => !r.startsWith('^'))[i];
  if (ref === undefined) throw new Error(`${n.op} "${n.name}" has no input ${i}`);
  return ref;
}

/** "name", "name:1" → producer node and output index. */
function parseRef(ref: string): { node: string; index: number } {
  const colon = ref.indexOf(':');
  if (colon < 0) return { node: ref, index: 0 };
  return { node: ref.slice(0, colon), index: Number(ref.slice(ref.lastIndexOf(':') + 1)) };
}
