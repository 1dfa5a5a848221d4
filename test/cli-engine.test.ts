// The face engine through the real `visage` command: detect, embed, compare, models, and bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { facePath } from '../bench/dataset.js';
import { runCli, runCliJson, sharedDataDir, tempDir } from './support/cli.js';
import { bombPng } from './support/images.js';

const data = ['--data', sharedDataDir];

interface FaceOut {
  box: { x: number; y: number; width: number; height: number };
  score: number;
  keypoints: [number, number][];
  quality: { size: number; sharpness: number; yaw: number; pitch: number; roll: number };
  embedding?: number[];
}
type ImageOut =
  | { file: string; width: number; height: number; faces: FaceOut[] }
  | { file: string; error: { code: string; message: string } };

test('detect: four faces in bbt1.jpg inside the image, none on dogs.jpg, exit 0 for both', () => {
  const bbt1 = facePath('scenes/bbt1.jpg');
  const dogs = facePath('detection/dogs.jpg');
  const r = runCliJson<{ results: ImageOut[] }>(['detect', bbt1, dogs, ...data]);
  assert.equal(r.status, 0, r.stderr);
  const [a, b] = r.json.results;
  assert.ok(a && 'faces' in a && b && 'faces' in b);
  assert.equal(a.file, bbt1);
  assert.deepEqual([a.width, a.height], [1366, 768]);
  assert.equal(a.faces.length, 4);
  for (const f of a.faces) {
    assert.ok(f.box.x >= 0 && f.box.y >= 0 && f.box.x + f.box.width <= 1366 && f.box.y + f.box.height <= 768);
    assert.equal(f.keypoints.length, 5);
    // Left eye left of the right eye, mouth below the eyes: key points in CONVENTIONS order.
    assert.ok(f.keypoints[0]![0] < f.keypoints[1]![0]);
    assert.ok(f.keypoints[3]![1] > f.keypoints[0]![1]);
    assert.ok(f.score > 0.5 && f.score <= 1);
    assert.ok(Math.abs(f.quality.yaw) < 30 && Math.abs(f.quality.roll) < 20, JSON.stringify(f.quality));
  }
  assert.equal(b.faces.length, 0);
});

test('detect: a tight 150×150 crop (face fills the frame) still gives exactly one face', () => {
  const crops = fs.readdirSync(facePath('people/penny')).map((f) => facePath('people/penny', f));
  const r = runCliJson<{ results: ImageOut[] }>(['detect', ...crops, ...data]);
  assert.equal(r.status, 0, r.stderr);
  for (const res of r.json.results) assert.ok('faces' in res && res.faces.length === 1, JSON.stringify(res));
});

test('embed: 128-D unit vectors from the default model, same person closer than another', () => {
  const files = ['knn/train/obama/obama.jpg', 'knn/train/obama/obama2.jpg', 'knn/train/biden/biden.jpg'].map(
    (f) => facePath(f),
  );
  const r = runCliJson<{ model: string; results: ImageOut[] }>(['embed', ...files, ...data]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.json.model, 'dlib-resnet');
  const e = r.json.results.map((res) => {
    assert.ok('faces' in res && res.faces.length >= 1);
    const v = res.faces[0]!.embedding!;
    assert.equal(v.length, 128);
    assert.ok(Math.abs(Math.hypot(...v) - 1) < 1e-3);
    return v;
  });
  const dot = (a: number[], b: number[]): number => a.reduce((s, x, i) => s + x * b[i]!, 0);
  assert.ok(dot(e[0]!, e[1]!) > dot(e[0]!, e[2]!));
});

test('compare: obama vs obama-480p is the same person, obama vs biden is not', () => {
  const obama = facePath('knn/train/obama/obama.jpg');
  type Out = { same: boolean; distance: number; score: number; threshold: number; model: string };
  const same = runCliJson<Out>(['compare', obama, facePath('scenes/obama-480p.jpg'), ...data]);
  const diff = runCliJson<Out>(['compare', obama, facePath('scenes/biden.jpg'), ...data]);
  assert.equal(same.status, 0, same.stderr);
  assert.equal(diff.status, 0, diff.stderr);
  assert.equal(same.json.same, true);
  assert.equal(diff.json.same, false);
  assert.ok(same.json.distance <= same.json.threshold && diff.json.distance > diff.json.threshold);
  assert.ok(same.json.score > 0.5 && diff.json.score < 0.5);
  // The human-readable form says it in words.
  assert.match(runCli(['compare', obama, facePath('scenes/biden.jpg'), ...data]).stdout, /different people/);
});

test('compare --pairs: every pair in one run, paths relative to the CSV, a bad row is an error row', () => {
  const dir = tempDir('pairs');
  fs.cpSync(facePath('knn/train'), path.join(dir, 'train'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'broken.jpg'), 'not an image');
  const csv = path.join(dir, 'pairs.csv');
  fs.writeFileSync(
    csv,
    'a,b\ntrain/obama/obama.jpg,train/obama/obama2.jpg\ntrain/obama/obama.jpg,train/biden/biden.jpg\n"train/kit_harington/john1.jpeg",train/kit_harington/john2.jpeg\ntrain/obama/obama.jpg,broken.jpg\n',
  );
  type Row = { a: string; b: string; same?: boolean; error?: { code: string } };
  const r = runCliJson<{ results: Row[] }>(['compare', '--pairs', csv, ...data]);
  // Every row is reported; the bad one makes the run exit 1 (something to fix).
  assert.equal(r.status, 1, r.stderr);
  assert.deepEqual(
    r.json.results.map((x) => x.same ?? x.error?.code),
    [true, false, true, 'unsupported_format'],
  );
});

test('models: the catalog names every model with source, licence and a threshold for embedders', () => {
  type M = {
    id: string;
    task: string;
    default: boolean;
    source: { package: string; licence: string };
    embedding: { dim: number; threshold: number } | null;
  };
  const r = runCliJson<{ models: M[] }>(['models', ...data]);
  assert.equal(r.status, 0);
  const ids = r.json.models.map((m) => m.id);
  for (const id of ['blazeface-back', 'ssd-mobilenetv1', 'facemesh', 'dlib-resnet', 'faceres'])
    assert.ok(ids.includes(id), id);
  for (const m of r.json.models) {
    assert.ok(m.source.package.startsWith('@vladmandic/') && m.source.licence.length > 0);
    if (m.task === 'embed') assert.ok(m.embedding && m.embedding.threshold > 0 && m.embedding.dim > 0);
  }
  assert.deepEqual(
    r.json.models
      .filter((m) => m.default)
      .map((m) => m.id)
      .sort(),
    ['blazeface-back', 'dlib-resnet'],
  );
});

test('bad input: one clear line on stderr, exit 1, never a stack trace, within seconds', () => {
  const dir = tempDir('bad');
  const jpeg = fs.readFileSync(facePath('scenes/obama-480p.jpg'));
  const cases: Record<string, Buffer | string> = {
    'empty.jpg': '',
    'truncated.jpg': jpeg.subarray(0, jpeg.length >> 1),
    'text.jpg': 'hello, I am not a picture\n',
    'bomb.png': bombPng(20000, 20000),
    'drawing.svg': '<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>',
  };
  for (const [name, bytes] of Object.entries(cases)) fs.writeFileSync(path.join(dir, name), bytes);
  const files = [...Object.keys(cases).map((n) => path.join(dir, n)), path.join(dir, 'missing.jpg')];
  const obama = facePath('knn/train/obama/obama.jpg');
  for (const file of files) {
    const started = Date.now();
    const r = runCli(['compare', obama, file, ...data]);
    assert.equal(r.status, 1, `${file}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /^visage: /);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    assert.ok(Date.now() - started < 30_000);
  }
  // detect keeps going: each bad file is an error entry, the good one still has its face.
  const r = runCliJson<{ results: ImageOut[] }>(['detect', ...files, obama, ...data]);
  // …and the run exits 1, as some files had something to fix.
  assert.equal(r.status, 1);
  const codes = r.json.results.map((x) => ('error' in x ? x.error.code : x.faces.length));
  assert.deepEqual(codes, [
    'empty_file',
    'corrupt_image',
    'unsupported_format',
    'image_too_large',
    'unsupported_format',
    'file_not_found',
    1,
  ]);
});

test('usage errors exit 2; --help shows examples', () => {
  assert.equal(runCli(['compare', facePath('scenes/obama.jpg')]).status, 2);
  assert.equal(runCli(['frobnicate']).status, 2);
  const help = runCli(['compare', '--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /Examples:/);
});
