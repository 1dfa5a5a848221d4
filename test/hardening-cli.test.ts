// Issue 11, findings 3 and 8 (and `visage doctor`): wide images within the pixel limit are processed, a
// batch never loses the other files' results, `--json` always prints exactly one document (the error's
// when a command fails), and the API answers a panorama with a result, never a 500.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { facePath } from '../bench/dataset.js';
import { FaceService } from '../src/service/faces/face-service.js';
import { runCli, sharedDataDir, tempDir } from './support/cli.js';
import { freshDataDir, keyClient, setUpAdmin, startServer, upload } from './support/server.js';

const dir = tempDir('hardening-cli');
const data = ['--data', sharedDataDir];

/** Panoramas under the 50 MP limit that crashed the tight-crop retry's padding ("Invalid typed array length"). */
const PANORAMAS: [number, number][] = [
  [65535, 700],
  [30000, 1600],
  [20000, 2000],
  [16000, 2000],
  [12000, 3000],
];

async function panorama(width: number, height: number): Promise<string> {
  const file = path.join(dir, `wide-${width}x${height}.png`);
  if (!fs.existsSync(file))
    await sharp({ create: { width, height, channels: 3, background: '#7f8f9f' } })
      .png()
      .toFile(file);
  return file;
}

/** stdout must be exactly one JSON document. */
function oneDocument(stdout: string): unknown {
  const text = stdout.trim();
  assert.ok(text.startsWith('{') && text.endsWith('}'), `not one JSON object: ${stdout.slice(0, 200)}`);
  return JSON.parse(text);
}

test('every panorama within the pixel limit is processed: no error, no face, bounded time', async () => {
  const service = new FaceService({ dataDir: freshDataDir('hardening-wide') });
  try {
    for (const [w, h] of PANORAMAS) {
      const started = Date.now();
      const r = await service.detectFile(await panorama(w, h));
      assert.ok('faces' in r, `${w}×${h}: ${JSON.stringify(r)}`);
      assert.deepEqual([r.width, r.height, r.faces.length], [w, h, 0]);
      assert.ok(Date.now() - started < 20_000, `${w}×${h} took ${Date.now() - started} ms`);
    }
  } finally {
    await service.close();
  }
});

test('visage detect good.jpg wide.png other.jpg --json: one document, every file has its result, exit 0', async () => {
  const good = facePath('knn/train/obama/obama.jpg');
  const other = facePath('scenes/two_people.jpg');
  const wide = await panorama(65535, 700);
  const r = runCli(['detect', good, wide, other, ...data, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const doc = oneDocument(r.stdout) as { results: { file: string; faces?: unknown[]; error?: unknown }[] };
  assert.deepEqual(
    doc.results.map((x) => [x.file, x.faces?.length]),
    [
      [good, 1],
      [wide, 0],
      [other, 2],
    ],
  );
});

test('a batch with a bad file: one document with the per-file error, the others kept, exit 1', () => {
  const good = facePath('knn/train/obama/obama.jpg');
  const broken = path.join(dir, 'broken.jpg');
  fs.writeFileSync(broken, 'not an image');
  const r = runCli(['detect', good, broken, path.join(dir, 'missing.jpg'), ...data, '--json']);
  assert.equal(r.status, 1, r.stderr);
  const doc = oneDocument(r.stdout) as {
    results: { faces?: unknown[]; error?: { code: string; message: string } }[];
  };
  assert.deepEqual(
    doc.results.map((x) => x.error?.code ?? x.faces?.length),
    [1, 'unsupported_format', 'file_not_found'],
  );
});

test('--json on a failed command prints { error: { code, message } } on stdout, the line on stderr', () => {
  const r = runCli([
    'compare',
    facePath('knn/train/obama/obama.jpg'),
    path.join(dir, 'missing.jpg'),
    ...data,
    '--json',
  ]);
  assert.equal(r.status, 1);
  const doc = oneDocument(r.stdout) as { error: { code: string; message: string } };
  assert.equal(doc.error.code, 'file_not_found');
  assert.match(doc.error.message, /missing\.jpg/);
  assert.match(r.stderr, /^visage: /);
  const missingPerson = runCli(['show', 'Nobody At All', ...data, '--json']);
  assert.equal(missingPerson.status, 1);
  assert.equal(
    (oneDocument(missingPerson.stdout) as { error: { code: string } }).error.code,
    'person_not_found',
  );
  const usage = runCli(['compare', facePath('knn/train/obama/obama.jpg'), '--json']);
  assert.equal(usage.status, 2);
  assert.equal((oneDocument(usage.stdout) as { error: { code: string } }).error.code, 'usage');
});

test('visage doctor --json: versions of Node, ONNX Runtime and ffmpeg with its source, models, data directory', () => {
  const r = runCli(['doctor', ...data, '--json']);
  const doc = oneDocument(r.stdout) as {
    node: { version: string };
    onnxRuntime: { version: string };
    ffmpeg: { source: string; version: string | null; path: string };
    ffprobe: { source: string };
    models: { id: string; cache: string; precision: string }[];
    dataDir: { path: string; exists: boolean; database: { exists: boolean } };
    problems: string[];
  };
  assert.equal(doc.node.version, process.versions.node);
  assert.match(doc.onnxRuntime.version, /^\d+\.\d+/);
  assert.ok(['system', 'bundled', 'env', 'path'].includes(doc.ffmpeg.source));
  if (fs.existsSync('/usr/bin/ffmpeg'))
    assert.deepEqual([doc.ffmpeg.source, doc.ffmpeg.path], ['system', '/usr/bin/ffmpeg']);
  // The default embedder runs its int8 variant (parity kept); the detector stays float.
  assert.equal(doc.models.find((m) => m.id === 'dlib-resnet')?.precision, 'int8');
  assert.equal(doc.models.find((m) => m.id === 'blazeface-back')?.precision, 'fp32');
  assert.equal(doc.dataDir.path, sharedDataDir);
  assert.equal(r.status, doc.problems.length > 0 ? 1 : 0);
  // Without a system ffmpeg on the PATH, the bundled one is used, and doctor says so (a problem: exit 1).
  const empty = tempDir('hardening-nopath');
  const bundled = runCli(['doctor', '--data', path.join(empty, 'data'), '--json'], { PATH: empty });
  const b = oneDocument(bundled.stdout) as typeof doc;
  assert.equal(b.ffmpeg.source, 'bundled');
  assert.equal(b.dataDir.exists, false, 'doctor never creates the data directory');
  assert.ok(!fs.existsSync(path.join(empty, 'data')));
  assert.ok(b.problems.some((p) => /bundled/.test(p)));
  assert.equal(bundled.status, 1);
});

test('API: a 65535×700 panorama gets a 200 from /recognize and /detect, and no 5xx from /enroll', async () => {
  const server = await startServer(import.meta.filename);
  try {
    const admin = await setUpAdmin(server);
    const viewer = await keyClient(admin, 'viewer');
    const wide = upload(await panorama(65535, 700), 'image/png');
    for (const route of ['/recognize', '/detect']) {
      const res = await viewer.upload(route, { file: wide });
      assert.equal(res.status, 200, `${route}: ${res.text.slice(0, 300)}`);
    }
    const enrol = await admin.upload('/enroll', { name: 'Panorama', file: wide });
    assert.ok(enrol.status < 500, enrol.text.slice(0, 300));
  } finally {
    await server.close();
  }
});
