// `visage unknowns` through the real command: scenes recognised with an empty gallery leave numbered
// clusters, listed as JSON and as text; naming one enrols its faces; wrong use exits 2, an unknown
// cluster number 1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { facePath } from '../bench/dataset.js';
import { runCli, runCliJson, tempDir } from './support/cli.js';

const data = ['--data', tempDir('unknowns-cli')];

interface ClusterJson {
  id: number;
  number: number | null;
  faces: number;
  status: string;
  coverEventId: number | null;
}

test('recognised unknown faces are listed as "Unknown #N" clusters', () => {
  const r = runCli([
    'recognize',
    ...['bbt3', 'bbt4', 'bbt5'].map((s) => facePath(`scenes/${s}.jpg`)),
    ...data,
  ]);
  assert.equal(r.status, 0, r.stderr);
  const list = runCliJson<{ items: ClusterJson[] }>(['unknowns', '--json', ...data]);
  assert.equal(list.status, 0, list.stderr);
  assert.ok(list.json.items.length >= 3, JSON.stringify(list.json));
  assert.deepEqual(
    list.json.items.map((c) => c.number),
    list.json.items.map((_, i) => i + 1),
  );
  for (const c of list.json.items) assert.ok(c.faces >= 3 && c.status === 'open' && c.coverEventId !== null);
  const text = runCli(['unknowns', ...data]);
  assert.match(text.stdout, /^Unknown #1 {2}3 faces {2}open/m);
});

test('naming a cluster by its number enrols its faces', () => {
  const shown = runCliJson<{ members: { eventId: number }[] }>(['unknowns', 'show', '1', '--json', ...data]);
  assert.equal(shown.status, 0, shown.stderr);
  const r = runCliJson<{ person: { name: string }; accepted: unknown[]; rejected: unknown[] }>([
    'unknowns',
    'name',
    '1',
    'Someone',
    '--json',
    ...data,
  ]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.json.person.name, 'Someone');
  assert.equal(r.json.accepted.length + r.json.rejected.length, shown.json.members.length);
  const people = runCliJson(['people', '--json', ...data]);
  assert.match(JSON.stringify(people.json), /Someone/);
});

test('wrong use exits 2, a cluster that does not exist 1', () => {
  assert.equal(runCli(['unknowns', 'rename', ...data]).status, 2);
  assert.equal(runCli(['unknowns', 'name', '1', ...data]).status, 2);
  const missing = runCli(['unknowns', 'show', '99', ...data]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /^visage: No unknown-face cluster Unknown #99/);
});
