// Parity of TF.js graph models converted to ONNX with TF.js itself (cpu backend), on real faces.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import ort from 'onnxruntime-node';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs';
import { convertTfjsGraph, type ConvertedModel } from '../src/engine/models/convert/tfjs-graph.js';
import {
  decodeWeights,
  readWeightData,
  type WeightGroup,
} from '../src/engine/models/convert/tfjs-weights.js';
import type { Box } from '../src/engine/types.js';
import { cosine, createSession, relativeDiff } from './support/parity.js';

const FACES = path.resolve(import.meta.dirname, '../../shared/faces');
const VLADMANDIC = path.resolve(import.meta.dirname, '../node_modules/@vladmandic');
/** A colour photo with hand-labelled faces: colour matters, grey inputs would hide a swapped channel order. */
const PHOTO = 'detection/2008_002506.jpg';

await tf.setBackend('cpu');

interface ModelCase {
  file: string;
  /** What the network is fed: a loose face crop, or a whole photo (detectors). */
  input: 'face' | 'photo';
  /** Maps a 0..255 pixel value to the model's input range. */
  scale: (v: number) => number;
  /** The output that is an identity embedding, compared by cosine. */
  embedding?: string;
}

// Input ranges, from how Human feeds each model (node_modules/@vladmandic/human/src/face/*.ts): blazeface.ts
// divides by 127.5 and subtracts 1; facemeshutil.ts cuts the face and divides by 255, and antispoof.ts and
// liveness.ts resize that 0..1 crop; faceres.ts multiplies the 0..1 crop by 255 again. mobilefacenet is
// sirius-ai's MobileFaceNet_TF (input img_inputs, output embeddings), trained on (v − 127.5) / 128; Human feeds
// it 0..1, which the probe in MODELS.md found near chance. mobileface subtracts 127.5 and scales by 1/128 in its
// own graph (minusscalar0/mulscalar0), so it takes 0..255.
const minusOneToOne = (v: number): number => v / 127.5 - 1;
const zeroToOne = (v: number): number => v / 255;
const raw = (v: number): number => v;
const CASES: ModelCase[] = [
  { file: 'human/models/blazeface.json', input: 'photo', scale: minusOneToOne },
  { file: 'human-models/models/blazeface-front.json', input: 'photo', scale: minusOneToOne },
  { file: 'human-models/models/blazeface-back.json', input: 'photo', scale: minusOneToOne },
  { file: 'human/models/facemesh.json', input: 'face', scale: zeroToOne },
  { file: 'human/models/antispoof.json', input: 'face', scale: zeroToOne },
  { file: 'human/models/liveness.json', input: 'face', scale: zeroToOne },
  { file: 'human/models/faceres.json', input: 'face', scale: raw, embedding: 'global_pooling/Mean' },
  {
    file: 'human-models/models/faceres-deep.json',
    input: 'face',
    scale: raw,
    embedding: 'global_pooling/Mean:0',
  },
  {
    file: 'human-models/models/mobilefacenet.json',
    input: 'face',
    scale: (v) => (v - 127.5) / 128,
    embedding: 'embeddings',
  },
  { file: 'human-models/models/mobileface.json', input: 'face', scale: raw, embedding: 'batchnorm0/add_1:0' },
];

const EMBEDDING_MIN_COSINE = 0.9999;
const OUTPUT_MAX_RELATIVE_DIFF = 1e-4;

for (const c of CASES) {
  test(`${c.file} converts and matches TF.js`, async (t) => {
    const modelPath = path.join(VLADMANDIC, c.file);
    const started = performance.now();
    const converted = await convertTfjsGraph(modelPath);
    const convertMs = performance.now() - started;
    const [batch, height, width, channels] = converted.inputShape;
    assert.equal(batch, 'batch');
    assert.ok(typeof height === 'number' && typeof width === 'number' && channels === 3);

    const items = await modelInputs(c, width, height);
    const session = await createSession(converted.bytes);
    const single = [
      await runOrt(session, converted, [items[0]!]),
      await runOrt(session, converted, [items[1]!]),
    ];
    const both = await runOrt(session, converted, items);

    // TF.js is the reference: same names, order and shapes, same numbers.
    const model = await loadTfjs(modelPath);
    assert.deepEqual(converted.outputNames, model.outputNodes);
    const reference = tf.tidy(() => {
      const out = model.execute(tf.tensor4d(items[0]!, [1, height, width, channels])) as
        tf.Tensor | tf.Tensor[];
      return (Array.isArray(out) ? out : [out]).map((o) => ({
        shape: o.shape,
        data: o.dataSync() as Float32Array,
      }));
    });
    model.dispose();
    const figures: string[] = [];
    converted.outputNames.forEach((name, k) => {
      const ours = single[0]![name]!;
      const ref = reference[k]!;
      assert.deepEqual(ours.dims, ref.shape, `${name} shape`);
      if (name === c.embedding) {
        const cos = cosine(ours.data, ref.data);
        figures.push(
          `${name} 1 − cosine ${(1 - cos).toExponential(1)}, max|diff|/max|ref| ${relativeDiff(ours.data, ref.data).toExponential(1)}`,
        );
        assert.ok(cos >= EMBEDDING_MIN_COSINE, `${name}: cosine ${cos} with TF.js`);
      } else {
        const rel = relativeDiff(ours.data, ref.data);
        figures.push(`${name} max|diff|/max|ref| ${rel.toExponential(1)}`);
        assert.ok(rel <= OUTPUT_MAX_RELATIVE_DIFF, `${name}: max |diff| / max |ref| = ${rel} against TF.js`);
      }
      // A batch of two gives each item what it gets alone.
      for (let i = 0; i < 2; i++) {
        const alone = single[i]![name]!.data;
        const inBatch = both[name]!.data.subarray(i * alone.length, (i + 1) * alone.length);
        assert.equal(both[name]!.dims[0], 2);
        const rel = relativeDiff(inBatch, alone);
        assert.ok(rel <= 1e-5, `${name}: batch item ${i} differs from its single run by ${rel}`);
      }
    });
    t.diagnostic(`converted in ${convertMs.toFixed(0)} ms; ${figures.join('; ')}`);
  });
}

test('weights are dequantised exactly as TF.js does (uint8, float16, int32)', async () => {
  // handtrack is the one Human graph with uint8 weights; faceres has float16 ones; both hold int32 constants.
  for (const file of ['human/models/handtrack.json', 'human/models/faceres.json']) {
    const modelPath = path.join(VLADMANDIC, file);
    const manifest = (JSON.parse(await fs.readFile(modelPath, 'utf8')) as { weightsManifest: WeightGroup[] })
      .weightsManifest;
    const entries = manifest.flatMap((g) => g.weights);
    const data = await readWeightData(manifest, path.dirname(modelPath));
    const ours = decodeWeights(entries, data);
    const theirs = tf.io.decodeWeights(data.slice().buffer, entries as tf.io.WeightsManifestEntry[]);
    const quantised = new Set(entries.filter((e) => e.quantization).map((e) => e.quantization!.dtype));
    assert.ok(quantised.size > 0, `${file} has quantised weights`);
    assert.equal(ours.size, Object.keys(theirs).length);
    for (const [name, tensor] of Object.entries(theirs)) {
      const w = ours.get(name);
      assert.ok(w, `${file}: ${name} decoded`);
      assert.deepEqual(w.shape, tensor.shape, `${file}: ${name} shape`);
      assert.deepEqual(w.data, tensor.dataSync(), `${file}: ${name} values`);
      tensor.dispose();
    }
  }
});

test('an unsupported op or a non-graph file is refused with a message naming it', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'visage-tfjs-'));
  try {
    const source = path.join(VLADMANDIC, 'human/models/liveness.json');
    const json = JSON.parse(await fs.readFile(source, 'utf8')) as {
      modelTopology: { node: { op: string; name: string }[] };
    };
    const node = json.modelTopology.node.find((n) => n.op === 'Softmax')!;
    node.op = 'LogSoftmax';
    const edited = path.join(dir, 'liveness.json');
    await fs.writeFile(edited, JSON.stringify(json));
    await fs.copyFile(path.join(VLADMANDIC, 'human/models/liveness.bin'), path.join(dir, 'liveness.bin'));
    await assert.rejects(convertTfjsGraph(edited), (e: Error) => {
      assert.ok(e.message.includes(edited), e.message);
      assert.ok(e.message.includes(`unsupported TF op "LogSoftmax" (node "${node.name}")`), e.message);
      return true;
    });

    const manifestOnly = path.join(dir, 'weights_manifest.json');
    await fs.writeFile(manifestOnly, JSON.stringify([{ paths: ['liveness.bin'], weights: [] }]));
    await assert.rejects(convertTfjsGraph(manifestOnly), /not a TF\.js graph model/);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

interface Output {
  dims: number[];
  data: Float32Array;
}

async function runOrt(
  session: ort.InferenceSession,
  model: ConvertedModel,
  items: Float32Array[],
): Promise<Record<string, Output>> {
  const [, h, w, ch] = model.inputShape as [string, number, number, number];
  const input = new Float32Array(items.length * h * w * ch);
  items.forEach((item, i) => input.set(item, i * item.length));
  const results = await session.run({
    [model.inputName]: new ort.Tensor('float32', input, [items.length, h, w, ch]),
  });
  return Object.fromEntries(
    model.outputNames.map((n) => [
      n,
      { dims: [...results[n]!.dims], data: results[n]!.data as Float32Array },
    ]),
  );
}

/** Loads a graph model into TF.js from disk (TF.js's own loaders expect URLs). */
async function loadTfjs(modelPath: string): Promise<tf.GraphModel> {
  const json = JSON.parse(await fs.readFile(modelPath, 'utf8'));
  const data = await readWeightData(json.weightsManifest, path.dirname(modelPath));
  return tf.loadGraphModel({
    load: async () => ({
      modelTopology: json.modelTopology,
      format: json.format,
      signature: json.signature,
      weightSpecs: (json.weightsManifest as WeightGroup[]).flatMap(
        (g) => g.weights,
      ) as tf.io.WeightsManifestEntry[],
      weightData: data.slice().buffer,
    }),
  });
}

/** Two inputs for the model, scaled as it expects: two different faces, or two different photos. */
async function modelInputs(c: ModelCase, width: number, height: number): Promise<Float32Array[]> {
  const photo = path.join(FACES, PHOTO);
  const regions: [string, Box | undefined][] =
    c.input === 'photo'
      ? [
          [photo, undefined],
          [path.join(FACES, 'scenes/bbt1.jpg'), undefined],
        ]
      : (await looseFaceBoxes(PHOTO)).slice(0, 2).map((box) => [photo, box]);
  return Promise.all(
    regions.map(async ([file, box]) => {
      let image = sharp(file);
      if (box) image = image.extract({ left: box.x, top: box.y, width: box.width, height: box.height });
      const rgb = await image
        .resize(width, height, { fit: 'fill' })
        .removeAlpha()
        .toColourspace('srgb')
        .raw()
        .toBuffer();
      return Float32Array.from(rgb, c.scale);
    }),
  );
}

/** The photo's hand-labelled face boxes (dlib's testing.xml), widened by a third like a detector's crop. */
async function looseFaceBoxes(file: string): Promise<Box[]> {
  const xml = await fs.readFile(path.join(FACES, 'detection/testing.xml'), 'utf8');
  const image = new RegExp(
    `<image file='${path.basename(file)}' width='(\\d+)' height='(\\d+)'>([\\s\\S]*?)</image>`,
  ).exec(xml);
  assert.ok(image, `${file} is labelled in testing.xml`);
  const [imageWidth, imageHeight] = [Number(image[1]), Number(image[2])];
  const boxes = [...image[3]!.matchAll(/top='(\d+)' left='(\d+)' width='(\d+)' height='(\d+)'/g)].map((m) => {
    const [top, left, w, h] = m.slice(1).map(Number) as [number, number, number, number];
    const x = Math.max(0, Math.round(left - w / 6));
    const y = Math.max(0, Math.round(top - h / 6));
    return {
      x,
      y,
      width: Math.min(imageWidth, Math.round(left + w + w / 6)) - x,
      height: Math.min(imageHeight, Math.round(top + h + h / 6)) - y,
    };
  });
  assert.ok(boxes.length >= 2, `${file} has at least two labelled faces`);
  return boxes;
}
