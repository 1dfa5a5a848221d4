// face-api's face descriptor: dlib's ResNet (dlib_face_recognition_resnet_model_v1, 29 conv layers) as ONNX.
// Input "input": NHWC [batch, 150, 150, 3] raw RGB 0..255, a face chip already cropped and resized to 150×150
// (face-api pads a non-square crop to a square, centred, and resizes it bilinearly to 150).
// Output "descriptor": [batch, 128], NOT L2-normalised; face-api does not normalise either (it compares raw
// descriptors by Euclidean distance, threshold 0.6), and their norms are not 1 (≈ 1.45–1.6 on real faces).
import { attr, OnnxGraph } from '../onnx/graph.js';
import { add, conv, type Feature, nhwcToNchw, relu, scaleFilter } from './faceapi-layers.js';
import { convFilter } from './filter-layout.js';
import { FaceApiWeights, type FaceApiModel } from './faceapi-weights.js';

export const RECOGNITION_INPUT_SIZE = 150;
// dlib's per-channel RGB means; face-api subtracts them and divides by 255.
const MEAN_RGB = [122.782, 117.001, 104.298];

export async function buildFaceApiRecognition(modelDir: string): Promise<FaceApiModel> {
  const w = await FaceApiWeights.load(modelDir, 'face_recognition_model');
  const g = new OnnxGraph('faceapi_recognition');
  const inputShape = ['batch', RECOGNITION_INPUT_SIZE, RECOGNITION_INPUT_SIZE, 3];
  const input = g.input('input', inputShape);

  let x = nhwcToNchw(g, input, RECOGNITION_INPUT_SIZE);
  const centred = g.node('Sub', [x.name, g.constant('mean_rgb', Float32Array.from(MEAN_RGB), [1, 3, 1, 1])]);
  x = { ...x, name: g.node('Div', [centred, g.constant('255', Float32Array.of(255), [])]) };

  x = relu(g, convLayer(g, w, 'conv32_down', x, 2));
  const window = { kernel_shape: attr.ints([3, 3]), strides: attr.ints([2, 2]) };
  x = { ...x, name: g.node('MaxPool', [x.name], window), size: Math.floor((x.size - 3) / 2) + 1 };

  for (const block of ['conv32_1', 'conv32_2', 'conv32_3']) x = residual(g, w, block, x);
  x = residualDown(g, w, 'conv64_down', x);
  for (const block of ['conv64_1', 'conv64_2', 'conv64_3']) x = residual(g, w, block, x);
  x = residualDown(g, w, 'conv128_down', x);
  for (const block of ['conv128_1', 'conv128_2']) x = residual(g, w, block, x);
  x = residualDown(g, w, 'conv256_down', x);
  for (const block of ['conv256_1', 'conv256_2']) x = residual(g, w, block, x);
  x = residualDown(g, w, 'conv256_down_out', x);

  const pooled = g.node('ReduceMean', [x.name], { axes: attr.ints([2, 3]), keepdims: attr.int(0) });
  const fc = w.get('fc', [x.channels, 128]);
  const descriptor = g.node('MatMul', [pooled, g.constant('fc', fc.data, fc.shape)], {}, 'descriptor');
  g.output(descriptor, ['batch', 128]);
  return { bytes: g.toBytes(), inputName: input, inputShape, outputNames: [descriptor] };
}

/**
 * conv → +bias → ×scale → +shift (dlib's affine layer), the affine folded into the convolution:
 * (W∗x + b)·s + t = (W·s)∗x + (b·s + t). Stride-2 layers are VALID, stride-1 layers SAME.
 */
function convLayer(g: OnnxGraph, w: FaceApiWeights, prefix: string, x: Feature, stride: 1 | 2): Feature {
  const filter = convFilter(w.get(`${prefix}/conv/filters`));
  const cout = filter.dims[0];
  const bias = w.get(`${prefix}/conv/bias`, [cout]).data;
  const scale = w.get(`${prefix}/scale/weights`, [cout]).data;
  const shift = w.get(`${prefix}/scale/biases`, [cout]).data;
  const foldedBias = bias.map((b, o) => b * scale[o]! + shift[o]!);
  return conv(g, prefix, x, scaleFilter(filter, scale), foldedBias, stride, stride === 2 ? 'valid' : 'same');
}

function residual(g: OnnxGraph, w: FaceApiWeights, prefix: string, x: Feature): Feature {
  const a = relu(g, convLayer(g, w, `${prefix}/conv1`, x, 1));
  const b = convLayer(g, w, `${prefix}/conv2`, a, 1);
  return relu(g, add(g, b, x));
}

/**
 * The down-sampling block: a stride-2 VALID branch plus a 2×2 average-pooled shortcut. The shortcut is
 * zero-padded up to the branch's (doubled) channel count, and where the VALID branch comes out smaller than
 * the shortcut (8 → 3 against 4, and 4 → 1 against 2), the branch is zero-padded at the bottom and right.
 */
function residualDown(g: OnnxGraph, w: FaceApiWeights, prefix: string, x: Feature): Feature {
  const a = relu(g, convLayer(g, w, `${prefix}/conv1`, x, 2));
  let b = convLayer(g, w, `${prefix}/conv2`, a, 1);

  const window = { kernel_shape: attr.ints([2, 2]), strides: attr.ints([2, 2]) };
  let shortcut: Feature = {
    name: g.node('AveragePool', [x.name], window),
    size: Math.floor(x.size / 2),
    channels: x.channels,
  };
  if (b.channels > shortcut.channels) shortcut = padEnd(g, shortcut, 0, b.channels - shortcut.channels);
  if (b.size < shortcut.size) b = padEnd(g, b, shortcut.size - b.size, 0);
  return relu(g, add(g, b, shortcut));
}

/** Zero-pads after the last rows and columns (`spatial`) and after the last channels. */
function padEnd(g: OnnxGraph, x: Feature, spatial: number, channels: number): Feature {
  const pads = g.int64s('pads', [0, 0, 0, 0, 0, channels, spatial, spatial]);
  return { name: g.node('Pad', [x.name, pads]), size: x.size + spatial, channels: x.channels + channels };
}
