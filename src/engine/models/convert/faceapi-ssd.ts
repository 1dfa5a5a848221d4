// face-api's face detector: SSD with a MobileNetV1 backbone (TF object-detection API layout) as ONNX.
// Input "input": NHWC [batch, 512, 512, 3] raw RGB 0..255. face-api pads the image to a square at the bottom
// and right (the image sits at the top-left) and resizes it to 512; do the same: SSD is not shift-invariant,
// and centring the image instead moved face-api's boxes by up to 1 − IoU = 0.15 on the test photos.
// The box decoding against the 5118 anchors is part of the graph, so the outputs are
//   "boxes":  [batch, 5118, 4] decoded (ymin, xmin, ymax, xmax) in units of the input side (0..1), unclipped;
//   "scores": [batch, 5118] face probability (sigmoid of the face logit).
// Thresholding, NMS and clipping are left to ../../detect/ssd-decode.ts.
import { attr, OnnxGraph } from '../onnx/graph.js';
import { conv, type Feature, nhwcToNchw, scaleFilter } from './faceapi-layers.js';
import { convFilter, depthwiseFilter } from './filter-layout.js';
import { FaceApiWeights, type FaceApiModel } from './faceapi-weights.js';

export const SSD_INPUT_SIZE = 512;
export const SSD_ANCHOR_COUNT = 5118;
// TF's BatchNorm epsilon as stored in the frozen graph (0.001 in float32).
const BN_EPSILON = 0.0010000000474974513;
// Box coder scales of the TF object-detection API's faster-RCNN box coder: y, x, h, w.
const CENTRE_SCALE = 10;
const SIZE_SCALE = 5;
// Backbone layers (1-based) whose depthwise conv has stride 2.
const STRIDE2_LAYERS = new Set([2, 4, 6, 12]);

export async function buildFaceApiSsd(modelDir: string): Promise<FaceApiModel> {
  const w = await FaceApiWeights.load(modelDir, 'ssd_mobilenetv1_model');
  const g = new OnnxGraph('faceapi_ssd_mobilenetv1');
  const inputShape = ['batch', SSD_INPUT_SIZE, SSD_INPUT_SIZE, 3];
  const input = g.input('input', inputShape);

  // face-api feeds the backbone x/127.5 − 1.
  let x = nhwcToNchw(g, input, SSD_INPUT_SIZE);
  const scaled = g.node('Div', [x.name, g.constant('127.5', Float32Array.of(127.5), [])]);
  x = { ...x, name: g.node('Sub', [scaled, g.constant('1', Float32Array.of(1), [])]) };

  x = pointwise(g, w, 'MobilenetV1/Conv2d_0_pointwise', x, 2);
  let conv11: Feature | undefined;
  for (let i = 1; i <= 13; i++) {
    x = depthwise(g, w, `MobilenetV1/Conv2d_${i}_depthwise`, x, STRIDE2_LAYERS.has(i) ? 2 : 1);
    x = pointwise(g, w, `MobilenetV1/Conv2d_${i}_pointwise`, x, 1);
    if (i === 11) conv11 = x;
  }
  // Extra feature layers: odd ones halve the resolution.
  const extra: Feature[] = [];
  let y = x;
  for (let i = 0; i < 8; i++) {
    y = pointwise(g, w, `Prediction/Conv2d_${i}_pointwise`, y, i % 2 === 1 ? 2 : 1);
    extra.push(y);
  }
  const sources = [conv11!, x, extra[1]!, extra[3]!, extra[5]!, extra[7]!];

  const encodings: string[] = [];
  const logits: string[] = [];
  sources.forEach((source, i) => {
    encodings.push(predictor(g, w, `Prediction/BoxPredictor_${i}/BoxEncodingPredictor`, source, 4));
    logits.push(predictor(g, w, `Prediction/BoxPredictor_${i}/ClassPredictor`, source, 3));
  });
  const encoding = g.node('Concat', encodings, { axis: attr.int(1) });
  const logit = g.node('Concat', logits, { axis: attr.int(1) });

  const boxes = decodeBoxes(g, w, encoding);
  // Class 0 is background; class 1 is "face".
  const faceLogit = g.node('Slice', [
    logit,
    g.int64s('starts', [1]),
    g.int64s('ends', [2]),
    g.int64s('axes', [2]),
  ]);
  const scores = g.node(
    'Reshape',
    [g.node('Sigmoid', [faceLogit]), g.int64s('shape', [0, -1])],
    {},
    'scores',
  );

  g.output(boxes, ['batch', SSD_ANCHOR_COUNT, 4]);
  g.output(scores, ['batch', SSD_ANCHOR_COUNT]);
  return { bytes: g.toBytes(), inputName: input, inputShape, outputNames: [boxes, scores] };
}

function relu6(g: OnnxGraph, x: Feature): Feature {
  const clip = g.node('Clip', [
    x.name,
    g.constant('zero', Float32Array.of(0), []),
    g.constant('six', Float32Array.of(6), []),
  ]);
  return { ...x, name: clip };
}

/** face-api's "pointwise" layer (1×1, or 3×3 in the extra layers): conv + folded batch-norm offset + ReLU6. */
function pointwise(g: OnnxGraph, w: FaceApiWeights, prefix: string, x: Feature, stride: number): Feature {
  const filter = convFilter(w.get(`${prefix}/weights`));
  const bias = w.get(`${prefix}/convolution_bn_offset`, [filter.dims[0]]).data;
  return relu6(g, conv(g, prefix, x, filter, bias, stride, 'same'));
}

/** Depthwise 3×3 + batch norm + ReLU6, with the batch norm folded into the filter: γ(Wx − μ)/√(σ²+ε) + β. */
function depthwise(g: OnnxGraph, w: FaceApiWeights, prefix: string, x: Feature, stride: number): Feature {
  const filter = depthwiseFilter(w.get(`${prefix}/depthwise_weights`, [3, 3, x.channels, 1]));
  const bn = (n: string) => w.get(`${prefix}/BatchNorm/${n}`, [x.channels]).data;
  const [gamma, beta, mean, variance] = [bn('gamma'), bn('beta'), bn('moving_mean'), bn('moving_variance')];
  const factor = Array.from(variance, (v, c) => gamma[c]! / Math.sqrt(v + BN_EPSILON));
  const bias = beta.map((b, c) => b - mean[c]! * factor[c]!);
  return relu6(g, conv(g, prefix, x, scaleFilter(filter, factor), bias, stride, 'same', x.channels));
}

/** A box or class predictor: 1×1 conv, flattened to [batch, cells×anchors, values] in TF's NHWC order. */
function predictor(g: OnnxGraph, w: FaceApiWeights, prefix: string, x: Feature, values: number): string {
  const filter = convFilter(w.get(`${prefix}/weights`));
  const bias = w.get(`${prefix}/biases`, [filter.dims[0]]).data;
  const out = conv(g, prefix, x, filter, bias, 1, 'valid');
  const nhwc = g.node('Transpose', [out.name], { perm: attr.ints([0, 2, 3, 1]) });
  return g.node('Reshape', [nhwc, g.int64s('shape', [0, -1, values])]);
}

/**
 * The TF object-detection box coder against the anchors stored with the weights (ymin, xmin, ymax, xmax):
 * centre = anchorCentre + (t_yx / 10)·anchorSize, half = exp(t_hw / 5)·anchorSize / 2.
 */
function decodeBoxes(g: OnnxGraph, w: FaceApiWeights, encoding: string): string {
  const anchors = w.get('Output/extra_dim', [1, SSD_ANCHOR_COUNT, 4]).data;
  const sizes = new Float32Array(SSD_ANCHOR_COUNT * 2);
  const centres = new Float32Array(SSD_ANCHOR_COUNT * 2);
  for (let i = 0; i < SSD_ANCHOR_COUNT; i++) {
    for (let j = 0; j < 2; j++) {
      // Rounded to float32 at each step, as face-api computes them.
      const size = Math.fround(anchors[i * 4 + 2 + j]! - anchors[i * 4 + j]!);
      sizes[i * 2 + j] = size;
      centres[i * 2 + j] = anchors[i * 4 + j]! + Math.fround(size / 2);
    }
  }
  const sizeT = g.constant('anchor_sizes', sizes, [SSD_ANCHOR_COUNT, 2]);
  const centreT = g.constant('anchor_centres', centres, [SSD_ANCHOR_COUNT, 2]);
  const [tCentre, tSize] = g.nodeN('Split', [encoding], 2, { axis: attr.int(2) }, 'encoding');
  const offset = g.node('Mul', [
    g.node('Div', [tCentre!, g.constant('centre_scale', Float32Array.of(CENTRE_SCALE), [])]),
    sizeT,
  ]);
  const centre = g.node('Add', [offset, centreT]);
  const grown = g.node('Exp', [
    g.node('Div', [tSize!, g.constant('size_scale', Float32Array.of(SIZE_SCALE), [])]),
  ]);
  const half = g.node('Div', [g.node('Mul', [grown, sizeT]), g.constant('2', Float32Array.of(2), [])]);
  return g.node(
    'Concat',
    [g.node('Sub', [centre, half]), g.node('Add', [centre, half])],
    { axis: attr.int(2) },
    'boxes',
  );
}
