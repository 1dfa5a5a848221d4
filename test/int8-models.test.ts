// int8 models (issue 14, item 2): the int8 variant built from the cached float model and the committed
// calibration (assets/int8/) keeps its parity with the float model on real faces, is built the same
// every time, and is refused when the calibration belongs to another float model. Real models, real photos.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FaceAnalyzer } from '../src/engine/analyzer.js';
import { FaceEmbedder } from '../src/engine/embed/embedder.js';
import { largestFace } from '../src/engine/face.js';
import { decodeImage } from '../src/engine/image/decode.js';
import { loadInt8ModelBytes, loadModelBytes } from '../src/engine/models/cache.js';
import { getModelSpec } from '../src/engine/models/catalog.js';
import { buildInt8, readCalibration } from '../src/engine/models/quantize/int8.js';
import { ModelRuntime } from '../src/engine/runtime/sessions.js';
import { FaceService } from '../src/service/faces/face-service.js';
import { tempDir } from './support/cli.js';

const FACES = path.resolve(import.meta.dirname, '../../shared/faces');
const MODEL_CACHE = path.join(os.tmpdir(), 'visage-test-models');
const cos = (a: Float32Array, b: Float32Array): number => a.reduce((s, x, i) => s + x * b[i]!, 0);

test('dlib-resnet int8: cosine ≥ 0.995 with the float model (flip TTA) on real faces', async () => {
  const analyzer = new FaceAnalyzer({ cacheDir: MODEL_CACHE, int8: [] });
  const int8 = new ModelRuntime({ cacheDir: MODEL_CACHE, int8: ['dlib-resnet'] });
  try {
    assert.equal(int8.precision('dlib-resnet'), 'int8');
    assert.equal(analyzer.runtime.precision('dlib-resnet'), 'fp32');
    // By default the model whose int8 variant was kept runs it, and only that one; --fp32 turns it off.
    const byDefault = new FaceService({ dataDir: tempDir('int8-default') });
    const float32 = new FaceService({ dataDir: tempDir('int8-fp32'), fp32: true });
    assert.equal(byDefault.analyzer.runtime.precision('dlib-resnet'), 'int8');
    assert.equal(byDefault.analyzer.runtime.precision('blazeface-back'), 'fp32');
    assert.equal(float32.analyzer.runtime.precision('dlib-resnet'), 'fp32');
    const quantized = new FaceEmbedder(int8, 'dlib-resnet', { flip: true });
    const float = new FaceEmbedder(analyzer.runtime, 'dlib-resnet', { flip: true });
    const dev = path.join(FACES, 'dev');
    // Photo 1 of four people: the calibration (bench:int8) used photos 0 and 2 only.
    for (const person of fs.readdirSync(dev).sort().slice(0, 4)) {
      const file = fs.readdirSync(path.join(dev, person)).sort()[1]!;
      const image = await decodeImage(path.join(dev, person, file));
      const face = largestFace(await analyzer.detect(image));
      assert.ok(face, `a face in ${person}/${file}`);
      const [crop] = float.align(image, [face.keypoints]);
      const [[a], [b]] = [await float.embedCrops([crop!]), await quantized.embedCrops([crop!])];
      const c = cos(a!, b!);
      assert.ok(c >= 0.995, `${person}/${file}: cosine ${c}`);
      assert.ok(c < 1 - 1e-7, 'the int8 model really is another model');
    }
  } finally {
    await Promise.all([analyzer.close(), int8.release()]);
  }
});

test('int8 build: deterministic, a quarter of the weights, refused for another float model', async () => {
  const spec = getModelSpec('dlib-resnet');
  const fp32 = await loadModelBytes(spec, MODEL_CACHE);
  const cached = await loadInt8ModelBytes(spec, MODEL_CACHE);
  const { calibration } = readCalibration('dlib-resnet');
  assert.deepEqual(buildInt8(fp32, calibration), cached);
  assert.ok(cached.length < fp32.length * 0.35, `${cached.length} bytes against ${fp32.length}`);
  const other = Uint8Array.from(fp32);
  other[other.length - 1] ^= 1;
  assert.throws(() => buildInt8(other, calibration), /another float model/);
  await assert.rejects(
    new ModelRuntime({ cacheDir: MODEL_CACHE, int8: ['facemesh'] }).session('facemesh'),
    /no int8 variant/,
  );
});
