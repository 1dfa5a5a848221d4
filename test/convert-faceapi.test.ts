// Parity of the ONNX graphs built from face-api's weights with face-api itself (TF.js), on real faces.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { nms } from '../src/engine/detect/nms.js';
import {
  clipToInput,
  SSD_IOU_THRESHOLD,
  SSD_MAX_RESULTS,
  ssdCandidates,
} from '../src/engine/detect/ssd-decode.js';
import { decodeImage } from '../src/engine/image/decode.js';
import { letterbox, letterboxBoxToOriginal, resizeBilinear } from '../src/engine/image/pixels.js';
import {
  buildFaceApiLandmarks68,
  LANDMARKS68_INPUT_SIZE,
} from '../src/engine/models/convert/faceapi-landmarks68.js';
import {
  buildFaceApiRecognition,
  RECOGNITION_INPUT_SIZE,
} from '../src/engine/models/convert/faceapi-recognition.js';
import {
  buildFaceApiSsd,
  SSD_ANCHOR_COUNT,
  SSD_INPUT_SIZE,
} from '../src/engine/models/convert/faceapi-ssd.js';
import { FaceApiWeights, faceApiModelDir } from '../src/engine/models/convert/faceapi-weights.js';
import type { Box, RgbImage } from '../src/engine/types.js';
import { isVisageError } from '../src/errors.js';
import { cosine, createSession, relativeDiff } from './support/parity.js';

const FACES = path.resolve(import.meta.dirname, '../../shared/faces');
const MODEL_DIR = faceApiModelDir();

// face-api's Node build for TF.js without tfjs-node; it registers the cpu and wasm backends.
const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as any;
const tf = faceapi.tf;
require('@tensorflow/tfjs-backend-wasm').setThreadsCount(1);
await useBackend('cpu');
await faceapi.nets.faceRecognitionNet.loadFromDisk(MODEL_DIR);
await faceapi.nets.ssdMobilenetv1.loadFromDisk(MODEL_DIR);
await faceapi.nets.faceLandmark68Net.loadFromDisk(MODEL_DIR);

async function useBackend(name: 'cpu' | 'wasm'): Promise<void> {
  await tf.setBackend(name);
  await tf.ready();
}

/** Packs images (all the same size) as NHWC float pixels 0..255, the builders' input convention. */
function pixels(images: RgbImage[]): Float32Array {
  const out = new Float32Array(images.reduce((n, i) => n + i.data.length, 0));
  let o = 0;
  for (const img of images) {
    out.set(img.data, o);
    o += img.data.length;
  }
  return out;
}

async function run(s: ort.InferenceSession, images: RgbImage[]): Promise<Float32Array[]> {
  const { width, height } = images[0]!;
  const out = await s.run({
    [s.inputNames[0]!]: new ort.Tensor('float32', pixels(images), [images.length, height, width, 3]),
  });
  return s.outputNames.map((n) => out[n]!.data as Float32Array);
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
}

/** The first crop of every person in people/ (150×150, grey). */
async function faceCrops(): Promise<RgbImage[]> {
  const people = path.join(FACES, 'people');
  const names = fs.readdirSync(people).sort();
  return Promise.all(names.map((p) => decodeImage(path.join(people, p, `${p}1.png`))));
}

const recognition = buildFaceApiRecognition(MODEL_DIR).then((m) => ({ m, s: createSession(m.bytes) }));
const ssd = buildFaceApiSsd(MODEL_DIR).then((m) => ({ m, s: createSession(m.bytes) }));

test('weights are dequantised exactly as face-api does', async () => {
  const w = await FaceApiWeights.load(MODEL_DIR, 'face_recognition_model');
  const params = faceapi.nets.faceRecognitionNet.params;
  for (const [name, tensor] of [
    ['fc', params.fc],
    ['conv32_down/conv/filters', params.conv32_down.conv.filters],
    ['conv256_down_out/conv2/scale/weights', params.conv256_down_out.conv2.scale.weights],
  ] as const) {
    const ours = w.get(name);
    assert.deepEqual(ours.shape, tensor.shape, name);
    assert.deepEqual(ours.data, tensor.dataSync(), name);
  }
  assert.throws(() => w.get('no/such/weight'), /no weight "no\/such\/weight"/);
});

test('truncated weights are refused with model_corrupt', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'visage-faceapi-'));
  try {
    const model = 'face_landmark_68_model';
    fs.copyFileSync(
      path.join(MODEL_DIR, `${model}-weights_manifest.json`),
      path.join(dir, `${model}-weights_manifest.json`),
    );
    const bin = fs.readFileSync(path.join(MODEL_DIR, `${model}.bin`));
    fs.writeFileSync(path.join(dir, `${model}.bin`), bin.subarray(0, bin.length - 100));
    await assert.rejects(
      FaceApiWeights.load(dir, model),
      (e: unknown) => isVisageError(e) && e.code === 'model_corrupt' && /truncated/.test(e.message),
    );
    await assert.rejects(
      FaceApiWeights.load(dir, 'no_such_model'),
      (e: unknown) => isVisageError(e) && e.code === 'model_corrupt',
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('recognition: 128-D descriptors match face-api on real face crops (cosine ≥ 0.9999)', async () => {
  await useBackend('cpu');
  const { m, s } = await recognition;
  assert.equal(m.inputName, 'input');
  assert.deepEqual(m.inputShape, ['batch', RECOGNITION_INPUT_SIZE, RECOGNITION_INPUT_SIZE, 3]);
  const crops = await faceCrops();
  assert.ok(crops.length >= 5);
  const [batch] = await run(await s, crops);
  assert.equal(batch!.length, crops.length * 128);
  let worst = 1;
  for (const [i, crop] of crops.entries()) {
    const input = tf.tensor3d(Float32Array.from(crop.data), [crop.height, crop.width, 3]);
    const ref = (await faceapi.nets.faceRecognitionNet.computeFaceDescriptor(input)) as Float32Array;
    input.dispose();
    worst = Math.min(worst, cosine(batch!.subarray(i * 128, (i + 1) * 128), ref));
  }
  console.log(`recognition: worst cosine vs face-api over ${crops.length} crops = ${worst}`);
  assert.ok(worst >= 0.9999, `cosine ${worst}`);

  // A batch of two equals two single runs.
  const [one] = await run(await s, [crops[0]!]);
  const [two] = await run(await s, [crops[1]!]);
  assert.ok(maxAbsDiff(batch!.subarray(0, 256), Float32Array.of(...one!, ...two!)) < 1e-5);
});

test('landmarks68: points match face-api (max|diff| ≤ 1e-4 of the input side), batch of 8', async () => {
  await useBackend('cpu');
  const m = await buildFaceApiLandmarks68(MODEL_DIR);
  assert.deepEqual(m.outputNames, ['landmarks']);
  const s = await createSession(m.bytes);
  const crops = (await faceCrops()).map((c) =>
    resizeBilinear(c, LANDMARKS68_INPUT_SIZE, LANDMARKS68_INPUT_SIZE),
  );
  const [points] = await run(s, crops);
  assert.equal(points!.length, crops.length * 136);
  let worst = 0;
  for (const [i, crop] of crops.entries()) {
    const input = tf.tensor4d(Float32Array.from(crop.data), [1, crop.height, crop.width, 3]);
    const ref = await faceapi.nets.faceLandmark68Net.forward(input);
    worst = Math.max(worst, maxAbsDiff(points!.subarray(i * 136, (i + 1) * 136), ref.dataSync()));
    tf.dispose([input, ref]);
  }
  console.log(
    `landmarks68: worst |diff| vs face-api over ${crops.length} crops = ${worst.toExponential(2)} (input side = 1)`,
  );
  assert.ok(worst <= 1e-4, `${worst}`);
  // On a tight face crop the points fall inside the crop, the eyes (36–47) above the mouth (48–67).
  const first = points!.subarray(0, 136);
  const meanY = (from: number, to: number) => {
    let sum = 0;
    for (let p = from; p <= to; p++) sum += first[p * 2 + 1]!;
    return sum / (to - from + 1);
  };
  assert.ok(first.every((v) => v > -0.1 && v < 1.1));
  assert.ok(meanY(36, 47) < meanY(48, 67));
});

async function letterboxed(file: string) {
  const image = await decodeImage(file);
  return { image, lb: letterbox(image, SSD_INPUT_SIZE) };
}

test('ssd: raw boxes and scores match face-api (max|diff|/max|ref| ≤ 1e-4), batch of 2 == singles', async () => {
  await useBackend('cpu');
  const { m, s } = await ssd;
  assert.deepEqual(m.outputNames, ['boxes', 'scores']);
  const a = (await letterboxed(path.join(FACES, 'scenes/bbt1.jpg'))).lb.image;
  const b = (await letterboxed(path.join(FACES, 'detection/2008_002470.jpg'))).lb.image;
  const [boxes, scores] = await run(await s, [a, b]);
  assert.equal(boxes!.length, 2 * SSD_ANCHOR_COUNT * 4);
  assert.equal(scores!.length, 2 * SSD_ANCHOR_COUNT);

  const input = tf.tensor4d(Float32Array.from(a.data), [1, SSD_INPUT_SIZE, SSD_INPUT_SIZE, 3]);
  const ref = await faceapi.nets.ssdMobilenetv1.forward(input);
  const refBoxes = ref.boxes[0].dataSync() as Float32Array;
  const refScores = ref.scores[0].dataSync() as Float32Array;
  tf.dispose([input, ...ref.boxes, ...ref.scores]);
  const boxErr = relativeDiff(boxes!.subarray(0, SSD_ANCHOR_COUNT * 4), refBoxes);
  const scoreErr = relativeDiff(scores!.subarray(0, SSD_ANCHOR_COUNT), refScores);
  console.log(
    `ssd raw vs face-api (bbt1): boxes ${boxErr.toExponential(2)}, scores ${scoreErr.toExponential(2)}`,
  );
  assert.ok(boxErr <= 1e-4 && scoreErr <= 1e-4);
  assert.ok(
    Math.max(...refScores) > 0.5,
    'the reference finds faces, so the comparison is not between two empty maps',
  );

  const [boxesB, scoresB] = await run(await s, [b]);
  assert.ok(maxAbsDiff(boxes!.subarray(SSD_ANCHOR_COUNT * 4), boxesB!) < 1e-5);
  assert.ok(maxAbsDiff(scores!.subarray(SSD_ANCHOR_COUNT), scoresB!) < 1e-5);
});

test('ssd: detections equal face-api detectAllFaces within 1 px on bbt1 and detection/*.jpg', async () => {
  // The wasm backend differs from cpu by ~1e-6 (checked above for cpu) and is 30× faster on 512×512.
  await useBackend('wasm');
  const { s } = await ssd;
  const files = [
    path.join(FACES, 'scenes/bbt1.jpg'),
    ...fs
      .readdirSync(path.join(FACES, 'detection'))
      .filter((f) => f.endsWith('.jpg'))
      .sort()
      .map((f) => path.join(FACES, 'detection', f)),
  ];
  let worstPx = 0;
  let total = 0;
  for (const file of files) {
    const { lb } = await letterboxed(file);
    const [boxes, scores] = await run(await s, [lb.image]);
    const candidates = ssdCandidates({ boxes: boxes!, scores: scores! }, 0, 0.5);
    const kept = nms(candidates.boxes, candidates.scores, SSD_IOU_THRESHOLD, SSD_MAX_RESULTS);
    const toOriginal = (b: Box) =>
      letterboxBoxToOriginal(lb, {
        x: b.x * SSD_INPUT_SIZE,
        y: b.y * SSD_INPUT_SIZE,
        width: b.width * SSD_INPUT_SIZE,
        height: b.height * SSD_INPUT_SIZE,
      });
    const ours = kept.map((i) => toOriginal(clipToInput(candidates.boxes[i]!)));

    // face-api on the very same 512×512 input; its boxes come back in input pixels.
    const input = tf.tensor3d(Float32Array.from(lb.image.data), [SSD_INPUT_SIZE, SSD_INPUT_SIZE, 3]);
    const refs = await faceapi.detectAllFaces(
      input,
      new faceapi.SsdMobilenetv1Options({ minConfidence: 0.5 }),
    );
    input.dispose();
    const theirs = refs.map((d: { box: Box }) => letterboxBoxToOriginal(lb, d.box) as Box);

    assert.equal(
      ours.length,
      theirs.length,
      `${path.basename(file)}: ${ours.length} faces, face-api ${theirs.length}`,
    );
    for (const [i, t] of theirs.entries()) {
      const o = ours[i]!;
      const px = Math.max(
        Math.abs(o.x - t.x),
        Math.abs(o.y - t.y),
        Math.abs(o.x + o.width - t.x - t.width),
        Math.abs(o.y + o.height - t.y - t.height),
      );
      worstPx = Math.max(worstPx, px);
    }
    total += ours.length;
    if (file.endsWith('bbt1.jpg')) assert.equal(ours.length, 4, 'bbt1.jpg has four faces');
  }
  console.log(
    `ssd detections: ${total} faces in ${files.length} images, worst corner difference vs face-api ${worstPx.toFixed(4)} px`,
  );
  assert.ok(total >= files.length, 'most images have faces');
  assert.ok(worstPx <= 1, `${worstPx} px`);
});
