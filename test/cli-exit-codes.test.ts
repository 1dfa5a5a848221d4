// Issue 10, item 10: `visage recognize` exits 1 when a file is missing or unreadable and its JSON still
// holds every result (the failed ones with their error); `visage --version`; top-level --help shows
// examples; faces are numbered left to right, as the web app numbers them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { facePath } from '../bench/dataset.js';
import { runCli, runCliJson, sharedDataDir, tempDir } from './support/cli.js';

const data = ['--data', sharedDataDir];
const dir = tempDir('cli-exit');

interface Results {
  results: ({ file: string; faces: { box: { x: number } }[] } | { file: string; error: { code: string } })[];
}

test('visage --version prints the package version, exit 0', () => {
  const version = (JSON.parse(fs.readFileSync('package.json', 'utf8')) as { version: string }).version;
  const r = runCli(['--version']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), version);
});

test('visage --help shows examples, exit 0', () => {
  const r = runCli(['--help']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Examples:/);
  assert.match(r.stdout, /\$ visage recognize /);
  assert.match(r.stdout, /\$ visage import /);
});

test('a bad option is usage: exit 2', () => {
  assert.equal(runCli(['recognize', '--no-such-option', 'x.jpg']).status, 2);
});

test('recognize good + missing + unreadable --json: exit 1, every result, faces left to right', () => {
  const good = facePath('scenes/bbt1.jpg');
  const missing = path.join(dir, 'missing.jpg');
  const unreadable = path.join(dir, 'not-an-image.jpg');
  fs.writeFileSync(unreadable, 'this is not a picture');
  const r = runCliJson<Results>(['recognize', good, missing, unreadable, '--no-events', ...data]);
  assert.equal(r.status, 1, r.stderr);
  assert.deepEqual(
    r.json.results.map((x) => x.file),
    [good, missing, unreadable],
  );
  const [ok, gone, bad] = r.json.results;
  assert.ok(ok && 'faces' in ok && ok.faces.length >= 2, JSON.stringify(ok));
  const xs = ok.faces.map((f) => f.box.x);
  assert.deepEqual(
    xs,
    [...xs].sort((a, b) => a - b),
    'faces numbered left to right',
  );
  assert.ok(gone && 'error' in gone && gone.error.code, JSON.stringify(gone));
  assert.ok(bad && 'error' in bad && bad.error.code, JSON.stringify(bad));
  assert.notEqual(gone.error.code, bad.error.code, 'missing and unreadable say which');
});

test('recognize good + missing as text: the good rows are printed, exit 1, the table numbers left to right', () => {
  const good = facePath('scenes/bbt1.jpg');
  const r = runCli(['recognize', good, path.join(dir, 'missing.jpg'), '--no-events', ...data]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, /error: /);
  const rows = r.stdout.split('\n').filter((l) => l.startsWith(good));
  assert.ok(rows.length >= 2, r.stdout);
  const boxes = rows.map((l) => Number(/ ([\d.]+),[\d.]+ [\d.]+×[\d.]+/.exec(l)![1]));
  assert.deepEqual(
    boxes,
    [...boxes].sort((a, b) => a - b),
  );
  assert.match(r.stderr, /visage enroll --name/, 'an empty gallery says how to enrol');
});

test('recognize with only good files: exit 0', () => {
  const r = runCliJson<Results>(['recognize', facePath('scenes/two_people.jpg'), '--no-events', ...data]);
  assert.equal(r.status, 0, r.stderr);
});
