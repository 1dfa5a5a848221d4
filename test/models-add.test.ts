// `visage models add`: a user's own ONNX embedder, tested on the path users take with a model the
// project itself produces — the converted dlib-resnet from the model cache, exported as a plain .onnx
// file, registered as `my-dlib`, calibrated on a folder of dev people, the gallery moved to it with
// `visage reindex --model my-dlib`, a photo recognised with it — and the refusals: a file that is not
// ONNX, an ONNX file with the wrong input size, constant and non-finite outputs (tiny graphs written with
// the project's own ONNX writer), and an uncalibrated model asked to recognise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { facePath } from '../bench/dataset.js';
import { OnnxGraph, attr } from '../src/engine/models/onnx/graph.js';
import { addModel, type AddModelReport } from '../src/service/models/add.js';
import type { ModelView } from '../src/service/models/models.js';
import { CALIBRATIONS, type LevelRates } from '../src/service/recognize/decision.js';
import type { ReindexReport } from '../src/service/enroll/reindex.js';
import { runCli, runCliJson, tempDir } from './support/cli.js';

const work = tempDir('models-add');
const dataDir = path.join(work, 'data');
const data = ['--data', dataDir];
const exported = path.join(work, 'my-dlib.onnx');

/** A few dev people (every 4th in name order: 20 people, 165 photos) copied into a temp folder. */
function calibrationFolder(): string {
  const dir = path.join(work, 'calibration');
  const dev = facePath('dev');
  const people = fs.readdirSync(dev).sort();
  for (const p of people.filter((_, i) => i % 4 === 0)) {
    fs.cpSync(path.join(dev, p), path.join(dir, p), { recursive: true });
  }
  return dir;
}

/** input [batch, S, S, 3] → one 8-D vector per face: constant (`kind` 'constant') or NaN ('nan'). */
function tinyModel(size: number, kind: 'constant' | 'nan'): string {
  const g = new OnnxGraph('tiny');
  const input = g.input('input', ['batch', size, size, 3]);
  const flat = g.node('Flatten', [input], { axis: attr.int(1) });
  const mean = g.node('ReduceMean', [flat], { axes: attr.ints([1]), keepdims: attr.int(1) });
  const zeroed = g.node('Mul', [mean, g.constant('zero', new Float32Array([0]), [1])]);
  const ones = g.constant('ones', new Float32Array(8).fill(1), [1, 8]);
  const vec =
    kind === 'constant' ? g.node('Add', [zeroed, ones]) : g.node('Sqrt', [g.node('Sub', [zeroed, ones])]);
  const out = g.node('Identity', [vec], {}, 'embedding');
  g.output(out, ['batch', 8]);
  const file = path.join(work, `tiny-${size}-${kind}.onnx`);
  fs.writeFileSync(file, g.toBytes());
  return file;
}

test('the converted dlib-resnet, exported as a plain ONNX file, registers, calibrates near its own calibration, takes the gallery and recognises', () => {
  // A gallery (people/, 8 × 5) with the default embedder: this also converts dlib-resnet into the cache.
  assert.equal(runCli(['import', facePath('people'), ...data]).status, 0);
  fs.copyFileSync(path.join(dataDir, 'models', 'dlib-resnet.onnx'), exported);

  const add = runCliJson<AddModelReport>([
    'models',
    'add',
    exported,
    '--name',
    'my-dlib',
    '--template',
    'dlib-150',
    '--input-scale',
    '0,1',
    '--layout',
    'nhwc',
    '--licence',
    'CC0 / Boost (dlib), MIT (face-api port)',
    '--provenance',
    "Visage's own conversion of face-api's dlib ResNet-34",
    '--calibrate',
    calibrationFolder(),
    ...data,
  ]);
  assert.equal(add.status, 0, add.stderr);
  const { model, calibration, check } = add.json;
  assert.deepEqual([model.dim, model.size, model.layout, model.template], [128, 150, 'NHWC', 'dlib-150']);
  assert.equal(check.on, 'faces');
  assert.ok(calibration);
  // Stored in the data directory with its checksum.
  const stored = path.join(dataDir, 'models', 'custom', 'my-dlib.onnx');
  assert.deepEqual(fs.readFileSync(stored), fs.readFileSync(exported));
  assert.match(model.sha256, /^[0-9a-f]{64}$/);

  // The same network as dlib-resnet (plain): its statistics and thresholds must land near the shipped
  // calibration's, measured on all 80 dev people (here 20 of them).
  const shipped = CALIBRATIONS['dlib-resnet']!;
  const norm = shipped.models['dlib-resnet']!;
  assert.ok(Math.abs(calibration.norm.mean - norm.mean) < 0.01, `impostor mean ${calibration.norm.mean}`);
  assert.ok(Math.abs(calibration.norm.std / norm.std - 1) < 0.2, `impostor std ${calibration.norm.std}`);
  for (const level of ['strict', 'balanced', 'lenient'] as const) {
    const d = calibration.thresholds[level] - shipped.thresholds[level];
    assert.ok(
      Math.abs(d) < 0.75,
      `${level}: ${calibration.thresholds[level]} vs ${shipped.thresholds[level]}`,
    );
    const rates: LevelRates = calibration.levels[level];
    assert.equal(rates.wrong, 0, level);
    assert.ok(rates.strangersNamed <= Math.ceil(0.03 * rates.strangerProbes), level);
  }
  assert.equal(calibration.levels.strict.strangersNamed, 0);

  // `visage models` shows it with the levels and what was stated about it, and the shipped levels.
  const list = runCliJson<{ models: ModelView[] }>(['models', ...data]);
  assert.equal(list.status, 0, list.stderr);
  const mine = list.json.models.find((m) => m.id === 'my-dlib');
  assert.ok(mine?.registered?.calibrated);
  assert.equal(mine.source.licence, 'CC0 / Boost (dlib), MIT (face-api port)');
  assert.equal(mine.calibrations[0]!.levels.find((l) => l.default)!.level, 'balanced');
  const dlib = list.json.models.find((m) => m.id === 'dlib-resnet')!;
  const balanced = dlib.calibrations.find((c) => c.key === 'dlib-resnet')!.levels[1]!;
  assert.deepEqual(
    [balanced.level, balanced.measured?.strangersNamed, balanced.measured?.strangerProbes],
    ['balanced', 4, 666],
  );
  const text = runCli(['models', ...data]);
  assert.match(text.stdout, /dlib-resnet\+flip \(default\)\s+balanced \(default\)\s+2\.809/);
  assert.match(text.stdout, /my-dlib.*Visage's own conversion/);

  // The gallery moves to it; recognition then uses it, and names no one wrong.
  const re = runCliJson<ReindexReport>(['reindex', '--model', 'my-dlib', ...data]);
  assert.equal(re.status, 0, re.stderr);
  assert.deepEqual([re.json.reembedded, re.json.failed.length, re.json.recognition], [40, 0, 'my-dlib']);
  const rec = runCliJson<{ model: string; results: { faces: { name: string | null }[] }[] }>([
    'recognize',
    facePath('scenes/bbt1.jpg'),
    '--level',
    'lenient',
    '--no-events',
    ...data,
  ]);
  assert.equal(rec.status, 0, rec.stderr);
  assert.equal(rec.json.model, 'my-dlib');
  const names = rec.json.results[0]!.faces.map((f) => f.name);
  const truth = ['raj', 'leonard', 'howard', 'sheldon'];
  assert.ok(names.filter((n) => n !== null).length >= 1, `names ${names.join(', ')}`);
  assert.ok(
    names.every((n) => n === null || truth.includes(n)),
    `names ${names.join(', ')}`,
  );
});

test('refusals: not ONNX, wrong input size, constant or non-finite output, an uncalibrated model asked to recognise', async () => {
  const kept = (name: string): boolean =>
    fs.existsSync(path.join(dataDir, 'models', 'custom', `${name}.onnx`));
  // Through the command line: exit 1 and the message.
  const notOnnx = runCli(['models', 'add', facePath('scenes/bbt1.jpg'), '--name', 'not-onnx', ...data]);
  assert.equal(notOnnx.status, 1, notOnnx.stderr);
  assert.match(notOnnx.stderr, /^visage: .*bbt1\.jpg is not an ONNX model file/m);
  // The same verb in-process (what the command calls), for the graphs built here.
  const refuse = async (file: string, name: string, pattern: RegExp): Promise<void> => {
    await assert.rejects(addModel(dataDir, file, { name }), (e: Error) => {
      assert.match(e.message, pattern);
      assert.equal((e as { code?: string }).code, 'bad_model');
      return true;
    });
    assert.ok(!kept(name), `${name} was kept`);
  };
  await refuse(tinyModel(64, 'constant'), 'small', /a 64×64 crop fits no template/);
  await refuse(
    tinyModel(112, 'constant'),
    'constant',
    /gives the same vector for every one of 4 different synthetic crops/,
  );
  await refuse(tinyModel(112, 'nan'), 'nan', /gives non-finite values/);

  // Registered without --calibrate: kept, but refused for recognition until calibrated.
  const raw = await addModel(dataDir, exported, { name: 'raw-dlib', template: 'dlib-150' });
  assert.equal(raw.check.on, 'synthetic');
  assert.match(raw.next, /cannot be used for recognition until `visage models calibrate raw-dlib DIR`/);
  assert.ok(kept('raw-dlib'));
  const r = runCli(['reindex', '--model', 'raw-dlib', ...data]);
  assert.equal(r.status, 1);
  assert.match(
    r.stderr,
    /raw-dlib is registered but not calibrated, so it cannot be used for recognition yet/,
  );
  await assert.rejects(addModel(dataDir, exported, { name: 'raw-dlib' }), /already registered/);
});
