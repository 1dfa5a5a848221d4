// Building blocks shared by the face-api graph builders: TF convolutions re-expressed as ONNX Conv nodes.
// The graphs run in NCHW (ONNX's layout) and, as every face-api net has a fixed square input, each feature
// map carries its static size, so TF's SAME padding becomes explicit pads and no shape is left to runtime.
import { attr, type OnnxGraph } from '../onnx/graph.js';
import { VisageError } from '../../../errors.js';
import type { OnnxFilter } from './filter-layout.js';

/** An NCHW feature map with its static square spatial size. */
export interface Feature {
  name: string;
  size: number;
  channels: number;
}

/** Transposes the NHWC graph input to NCHW. */
export function nhwcToNchw(g: OnnxGraph, input: string, size: number): Feature {
  return { name: g.node('Transpose', [input], { perm: attr.ints([0, 3, 1, 2]) }), size, channels: 3 };
}

/** Multiplies each output channel of a filter by a factor (to fold a following per-channel scale into it). */
export function scaleFilter(f: OnnxFilter, factors: ArrayLike<number>): OnnxFilter {
  const perOut = f.data.length / f.dims[0];
  return { data: f.data.map((v, i) => v * factors[Math.floor(i / perOut)]!), dims: f.dims };
}

/**
 * A TF conv2d (grouped when `group` > 1, i.e. depthwise) with an optional bias. SAME puts the odd padding
 * pixel at the bottom/right, as TF does; both modes floor the output size.
 */
export function conv(
  g: OnnxGraph,
  name: string,
  x: Feature,
  filter: OnnxFilter,
  bias: Float32Array | null,
  stride: number,
  padding: 'same' | 'valid',
  group = 1,
): Feature {
  const [cout, cinPerGroup, k] = filter.dims;
  if (cinPerGroup * group !== x.channels) {
    throw new VisageError(
      'model_corrupt',
      `${name}: the filter expects ${cinPerGroup * group} input channels, the layer gets ${x.channels}`,
    );
  }
  const size = padding === 'same' ? Math.ceil(x.size / stride) : Math.floor((x.size - k) / stride) + 1;
  const total = padding === 'same' ? Math.max((size - 1) * stride + k - x.size, 0) : 0;
  const before = Math.floor(total / 2);
  const inputs = [x.name, g.constant(`${name}/w`, filter.data, filter.dims)];
  if (bias) inputs.push(g.constant(`${name}/b`, bias, [cout]));
  const out = g.node('Conv', inputs, {
    kernel_shape: attr.ints([k, k]),
    strides: attr.ints([stride, stride]),
    pads: attr.ints([before, before, total - before, total - before]),
    group: attr.int(group),
  });
  return { name: out, size, channels: cout };
}

export function relu(g: OnnxGraph, x: Feature): Feature {
  return { ...x, name: g.node('Relu', [x.name]) };
}

/** Element-wise sum of feature maps of the same shape. */
export function add(g: OnnxGraph, a: Feature, ...rest: Feature[]): Feature {
  return rest.reduce((sum, b) => ({ ...sum, name: g.node('Add', [sum.name, b.name]) }), a);
}
