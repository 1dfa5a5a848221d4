// face-api's 68-point face landmark net (four densely connected blocks of separable convolutions) as ONNX.
// Input "input": NHWC [batch, 112, 112, 3] raw RGB 0..255, a face crop padded to a square (face-api centres
// it) and resized to 112×112.
// Output "landmarks": [batch, 68, 2], (x, y) of the 68 iBUG points in units of the input side (0..1 inside it).
import { attr, OnnxGraph } from '../onnx/graph.js';
import { add, conv, type Feature, nhwcToNchw, relu } from './faceapi-layers.js';
import { convFilter, depthwiseFilter } from './filter-layout.js';
import { FaceApiWeights, type FaceApiModel } from './faceapi-weights.js';

export const LANDMARKS68_INPUT_SIZE = 112;
// The same RGB means as the descriptor net; face-api subtracts them and divides by 255.
const MEAN_RGB = [122.782, 117.001, 104.298];

export async function buildFaceApiLandmarks68(modelDir: string): Promise<FaceApiModel> {
  const w = await FaceApiWeights.load(modelDir, 'face_landmark_68_model');
  const g = new OnnxGraph('faceapi_landmarks68');
  const inputShape = ['batch', LANDMARKS68_INPUT_SIZE, LANDMARKS68_INPUT_SIZE, 3];
  const input = g.input('input', inputShape);

  let x = nhwcToNchw(g, input, LANDMARKS68_INPUT_SIZE);
  const centred = g.node('Sub', [x.name, g.constant('mean_rgb', Float32Array.from(MEAN_RGB), [1, 3, 1, 1])]);
  x = { ...x, name: g.node('Div', [centred, g.constant('255', Float32Array.of(255), [])]) };

  for (const block of ['dense0', 'dense1', 'dense2', 'dense3']) x = denseBlock(g, w, block, x);
  // 112 → 7 after four stride-2 blocks; face-api's 7×7 VALID average pool leaves one cell.
  const pooled = g.node('GlobalAveragePool', [x.name]);
  const flat = g.node('Flatten', [pooled], { axis: attr.int(1) });

  const fcW = w.get('fc/weights', [x.channels, 136]);
  const fcB = w.get('fc/bias', [136]);
  const fc = g.node('Add', [
    g.node('MatMul', [flat, g.constant('fc/w', fcW.data, fcW.shape)]),
    g.constant('fc/b', fcB.data, fcB.shape),
  ]);
  const landmarks = g.node('Reshape', [fc, g.int64s('shape', [0, 68, 2])], {}, 'landmarks');
  g.output(landmarks, ['batch', 68, 2]);
  return { bytes: g.toBytes(), inputName: input, inputShape, outputNames: [landmarks] };
}

/**
 * Four convolutions, each fed the ReLU of the sum of all previous outputs of the block; the first halves
 * the resolution (a plain 3×3 conv in the first block, a separable one after).
 */
function denseBlock(g: OnnxGraph, w: FaceApiWeights, prefix: string, x: Feature): Feature {
  const first =
    prefix === 'dense0'
      ? plainConv(g, w, `${prefix}/conv0`, x)
      : separableConv(g, w, `${prefix}/conv0`, x, 2);
  const outs = [relu(g, first)];
  for (let i = 1; i <= 3; i++) {
    const input = i === 1 ? outs[0]! : relu(g, add(g, outs[0]!, ...outs.slice(1)));
    outs.push(separableConv(g, w, `${prefix}/conv${i}`, input, 1));
  }
  return relu(g, add(g, outs[0]!, ...outs.slice(1)));
}

function plainConv(g: OnnxGraph, w: FaceApiWeights, prefix: string, x: Feature): Feature {
  const filter = convFilter(w.get(`${prefix}/filters`));
  return conv(g, prefix, x, filter, w.get(`${prefix}/bias`, [filter.dims[0]]).data, 2, 'same');
}

/** Depthwise 3×3 (SAME) then pointwise 1×1 with bias, as tf.separableConv2d + bias. */
function separableConv(g: OnnxGraph, w: FaceApiWeights, prefix: string, x: Feature, stride: number): Feature {
  const dw = conv(
    g,
    `${prefix}/depthwise`,
    x,
    depthwiseFilter(w.get(`${prefix}/depthwise_filter`, [3, 3, x.channels, 1])),
    null,
    stride,
    'same',
    x.channels,
  );
  const pw = convFilter(w.get(`${prefix}/pointwise_filter`));
  return conv(g, `${prefix}/pointwise`, dw, pw, w.get(`${prefix}/bias`, [pw.dims[0]]).data, 1, 'valid');
}
