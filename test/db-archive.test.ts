// `visage export` / `visage import FILE` round trip, and `visage export --csv`, through the real command.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { facePath } from '../bench/dataset.js';
import { parseCsv } from '../src/api/csv.js';
import { Gallery } from '../src/gallery/gallery.js';
import type { ArchiveImportReport, ExportReport } from '../src/service/archive/archive.js';
import type { RecognizeResult } from '../src/service/recognize/photos.js';
import { runCli, runCliJson, tempDir } from './support/cli.js';

const work = tempDir('db-archive');
const source = tempDir('db-archive-a');
const archive = path.join(work, 'gallery.tar');
const ODD_NAME = 'Amy "A", Farrah Fowler';

function cli<T>(args: string[]): T {
  const r = runCliJson<T>(args);
  assert.equal(r.status, 0, r.stderr);
  return r.json;
}

const sha = (b: Uint8Array | undefined): string | null =>
  b ? createHash('sha256').update(b).digest('hex') : null;
const vec = (v: Float32Array | undefined): number[] | null => (v ? Array.from(v) : null);

/** A gallery's whole content without its ids, for comparing two galleries. */
function dump(dataDir: string): unknown {
  const g = Gallery.open(dataDir);
  try {
    const name = (id: number | null): string | null => (id === null ? null : g.people.require(id).name);
    const events = g.events.list({ order: 'asc', limit: 10_000 });
    const eventKey = (id: number | null): string | null => {
      const e = id === null ? undefined : g.events.get(id);
      return e ? `${e.time} ${e.source} ${JSON.stringify(e.box)}` : null;
    };
    return {
      people: g.people.list().map((p) => ({
        name: p.name,
        note: p.note,
        samples: g.samples.listByPerson(p.id).map((s) => ({
          sourceName: s.sourceName,
          contentHash: s.contentHash,
          box: s.box,
          quality: s.quality,
          crop: sha(g.samples.crop(s.id)),
          embeddings: Object.fromEntries(s.modelIds.map((m) => [m, vec(g.samples.embedding(s.id, m))])),
        })),
        negatives: g.negatives
          .listByPerson(p.id)
          .map((n) => ({ model: n.modelId, vector: vec(n.vector), event: eventKey(n.eventId) })),
      })),
      events: events.map((e) => ({
        time: e.time,
        source: e.source,
        offsetS: e.offsetS,
        frame: e.frame,
        box: e.box,
        person: name(e.personId),
        score: e.score,
        distance: e.distance,
        modelId: e.modelId,
        snapshot: sha(g.events.snapshot(e.id)),
        embedding: vec(g.events.embedding(e.id)?.vector),
      })),
    };
  } finally {
    g.close();
  }
}

test('a gallery with events and a correction survives export → import into an empty data dir unchanged; importing again adds nothing', () => {
  assert.equal(runCli(['import', facePath('people'), '--data', source]).status, 0);
  const seen = cli<{ results: RecognizeResult[] }>([
    'recognize',
    facePath('scenes/bbt3.jpg'),
    '--data',
    source,
  ]);
  const faces = 'faces' in seen.results[0]! ? seen.results[0].faces : [];
  assert.equal(faces.length, 5);
  const sheldon = faces.find((f) => f.name === 'sheldon')!;
  cli(['correct', String(sheldon.eventId), '--not', 'sheldon', '--data', source]);
  cli(['rename', 'amy', ODD_NAME, '--data', source]);

  const exported = cli<ExportReport>(['export', archive, '--data', source]);
  assert.deepEqual(
    [exported.people, exported.samples, exported.embeddings, exported.events, exported.negatives],
    [8, 40, { 'dlib-resnet': 40 }, 5, 1],
  );
  assert.equal(exported.bytes, fs.statSync(archive).size);

  const target = tempDir('db-archive-b');
  const imported = cli<ArchiveImportReport>(['import', archive, '--data', target]);
  assert.deepEqual(imported.people, { created: 8, merged: 0 });
  assert.deepEqual(imported.samples, { added: 40, duplicates: 0 });
  assert.deepEqual(imported.events, { added: 5, duplicates: 0 });
  assert.deepEqual(imported.negatives, { added: 1, duplicates: 0 });
  const original = dump(source);
  assert.deepEqual(dump(target), original);

  const again = cli<ArchiveImportReport>(['import-export', archive, '--data', target]);
  assert.deepEqual(
    [again.people, again.samples.added, again.events.added, again.negatives.added],
    [{ created: 0, merged: 8 }, 0, 0, 0],
  );
  assert.deepEqual(dump(target), original);
});

test('the archive is a plain tar file: manifest first, then crops, snapshots and one float32 vectors file per model', () => {
  const bytes = fs.readFileSync(archive);
  const names: string[] = [];
  for (let offset = 0; bytes[offset] !== 0;) {
    const header = bytes.subarray(offset, offset + 512);
    assert.equal(header.toString('ascii', 257, 262), 'ustar');
    names.push(header.toString('ascii', 0, 100).replace(/\0.*$/s, ''));
    const size = parseInt(header.toString('ascii', 124, 135), 8);
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  assert.equal(names[0], 'manifest.json');
  assert.equal(names.filter((n) => n.startsWith('crops/')).length, 40);
  assert.equal(names.filter((n) => n.startsWith('snapshots/')).length, 5);
  assert.deepEqual(
    names.filter((n) => n.startsWith('vectors/')),
    ['vectors/0.f32'],
  );
});

test('export --csv: one row per person, the name (quoted when needed) then the mean of their 128-D embeddings', () => {
  const file = path.join(work, 'features_all.csv');
  const report = cli<{ people: number; model: string }>(['export', '--csv', file, '--data', source]);
  assert.deepEqual([report.people, report.model], [8, 'dlib-resnet']);
  const text = fs.readFileSync(file, 'utf8');
  assert.ok(text.startsWith('"Amy ""A"", Farrah Fowler",'), 'a name with quotes and a comma is quoted');
  const rows = parseCsv(text);
  assert.equal(rows.length, 8);
  const g = Gallery.open(source);
  try {
    for (const [name, ...values] of rows) {
      assert.equal(values.length, 128, name);
      const person = g.people.findByName(name!)!;
      const vectors = g.samples.listByPerson(person.id).map((s) => g.samples.embedding(s.id, 'dlib-resnet')!);
      values.forEach((v, i) => {
        const mean = vectors.reduce((sum, x) => sum + x[i]!, 0) / vectors.length;
        assert.ok(Math.abs(Number(v) - mean) < 1e-7, `${name}[${i}]: ${v} vs ${mean}`);
      });
    }
  } finally {
    g.close();
  }
});

test('a damaged or foreign archive is refused with a clear error and nothing is imported', () => {
  const target = tempDir('db-archive-bad');
  const truncated = path.join(work, 'truncated.tar');
  fs.writeFileSync(truncated, fs.readFileSync(archive).subarray(0, 20_000));
  const notTar = path.join(work, 'photo.jpg');
  fs.copyFileSync(facePath('scenes/obama.jpg'), notTar);
  for (const [file, message] of [
    [truncated, /truncated/],
    [notTar, /not a tar archive/],
  ] as const) {
    const r = runCli(['import', file, '--data', target]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /^visage: .* is not a readable Visage archive: /);
    assert.match(r.stderr, message);
  }
  assert.equal(cli<{ people: unknown[] }>(['people', '--data', target]).people.length, 0);
});
