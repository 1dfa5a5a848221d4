// Issue 11, finding 1 and 2: archive import is all or nothing, and every field of an archive is checked
// before anything is written. Each bad archive must be refused with a code naming the first offending
// entry, and leave the database byte-for-byte as it was (people imported before the bad entry included).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { Gallery } from '../src/gallery/gallery.js';
import { isVisageError } from '../src/errors.js';
import { importArchive } from '../src/service/archive/archive.js';
import {
  databaseBytes,
  dumpDatabase,
  unitVector,
  validParts,
  writeArchive,
  type AnyManifest,
  type ArchiveParts,
} from './support/archives.js';
import { runCli, tempDir } from './support/cli.js';

const work = tempDir('hardening-archive');
let n = 0;

async function archiveWith(change: (parts: ArchiveParts) => void): Promise<string> {
  const parts = await validParts();
  change(parts);
  return writeArchive(path.join(work, `a${n++}.tar`), parts);
}

/** Imports into `dataDir`; returns the error's code and entry (or 'ok'). */
async function tryImport(
  dataDir: string,
  file: string,
): Promise<{ code: string; entry?: unknown; message: string }> {
  const g = Gallery.open(dataDir);
  try {
    await importArchive(g, file);
    return { code: 'ok', message: '' };
  } catch (e) {
    if (!isVisageError(e)) throw e;
    return { code: e.code, entry: e.details['entry'], message: e.message };
  } finally {
    g.close();
  }
}

/** A data directory already holding one person (so "unchanged" is not trivially an empty database). */
async function seededDataDir(): Promise<string> {
  const dir = tempDir('hardening-archive-db');
  const g = Gallery.open(dir);
  try {
    g.enrol({ name: 'Already Here' }, [
      { contentHash: 'seed', embeddings: [{ modelId: 'dlib-resnet', vector: unitVector(999) }] },
    ]);
  } finally {
    g.close();
  }
  return dir;
}

const bad: [string, (p: ArchiveParts) => void, string, string | RegExp][] = [
  [
    "the last person's sample references a vector row that does not exist",
    (p) => (p.manifest.people.at(-1).samples.at(-1).embeddings[0].row = 10_000),
    'invalid_archive',
    'people[7].samples[4].embeddings[0].row',
  ],
  [
    'events lack `source`',
    (p) => p.manifest.events.forEach((e: AnyManifest) => delete e.source),
    'invalid_archive',
    'events[0].source',
  ],
  [
    'dim: 64 declared for dlib-resnet',
    (p) => (p.manifest.models[0].dim = 64),
    'dimension_mismatch',
    'models[0].dim',
  ],
  [
    'box: "evil"',
    (p) => (p.manifest.people[2].samples[1].box = 'evil'),
    'invalid_archive',
    'people[2].samples[1].box',
  ],
  [
    'quality: [1, 2]',
    (p) => (p.manifest.people[3].samples[0].quality = [1, 2]),
    'invalid_archive',
    'people[3].samples[0].quality',
  ],
  [
    'HTML stored as a face crop',
    (p) => p.entries.set('crops/7.jpg', Buffer.from('<html><script>alert(1)</script></html>')),
    'invalid_archive',
    'people[1].samples[1].crop',
  ],
  [
    'a JPEG cut in half as a snapshot',
    (p) => p.entries.set('snapshots/3.jpg', p.entries.get('snapshots/3.jpg')!.subarray(0, 300)),
    'invalid_archive',
    'events[2].snapshot',
  ],
  [
    'vectors of 1e30 (not normalised)',
    (p) =>
      p.entries.set(
        'vectors/0.f32',
        Buffer.from(new Float32Array(p.manifest.models[0].rows * 128).fill(1e30).buffer),
      ),
    'invalid_archive',
    /vectors\/0\.f32 row 0/,
  ],
  [
    'a sample with no embedding',
    (p) => (p.manifest.people[5].samples[2].embeddings = []),
    'invalid_archive',
    'people[5].samples[2].embeddings',
  ],
  ['samples: null', (p) => (p.manifest.people[4].samples = null), 'invalid_archive', 'people[4].samples'],
  [
    'two people with one name',
    (p) => (p.manifest.people[6].name = 'PERSON 1'),
    'invalid_archive',
    'people[6].name',
  ],
  [
    'an event of a person not in the archive',
    (p) => (p.manifest.events[1].personId = 99),
    'invalid_archive',
    'events[1].personId',
  ],
  [
    'a negative of an event not in the archive',
    (p) => (p.manifest.people[0].negatives[0].eventId = 77),
    'invalid_archive',
    'people[0].negatives[0].eventId',
  ],
  [
    'a crop entry outside crops/',
    (p) => (p.manifest.people[0].samples[0].crop = '../../etc/passwd'),
    'invalid_archive',
    'people[0].samples[0].crop',
  ],
  ['an unknown model', (p) => (p.manifest.models[0].id = 'evil-model'), 'invalid_archive', 'models[0].id'],
  ['a NaN score', (p) => (p.manifest.events[0].score = 'NaN'), 'invalid_archive', 'events[0].score'],
];

for (const [what, change, code, entry] of bad) {
  test(`archive refused, database unchanged: ${what}`, async () => {
    const dataDir = await seededDataDir();
    const before = dumpDatabase(dataDir);
    const bytes = databaseBytes(dataDir);
    const r = await tryImport(dataDir, await archiveWith(change));
    assert.equal(r.code, code, r.message);
    if (typeof entry === 'string') {
      assert.equal(r.entry, entry, r.message);
      assert.ok(r.message.includes(entry), r.message);
    } else assert.match(r.message, entry);
    assert.equal(dumpDatabase(dataDir), before);
    assert.ok(databaseBytes(dataDir).equals(bytes), 'the database file is byte-for-byte the same');
  });
}

test('a dim: 64 archive into an empty gallery is refused, and recognition keeps working after', async () => {
  const dataDir = tempDir('hardening-archive-empty');
  const r = await tryImport(dataDir, await archiveWith((p) => (p.manifest.models[0].dim = 64)));
  assert.equal(r.code, 'dimension_mismatch');
  const g = Gallery.open(dataDir);
  try {
    assert.equal(g.people.list().length, 0);
    assert.deepEqual(g.samples.models(), []);
  } finally {
    g.close();
  }
});

test('a tar header whose size field is not a number is invalid_archive, not a RangeError', async () => {
  const file = await archiveWith(() => {});
  const fs = await import('node:fs');
  const bytes = fs.readFileSync(file);
  // The second entry's header (after manifest.json's data): size field at 124..135.
  const manifestSize = parseInt(bytes.toString('ascii', 124, 135), 8);
  const second = 512 + Math.ceil(manifestSize / 512) * 512;
  bytes.write('zzzzzzzzzzz\0', second + 124, 'ascii');
  // Keep the checksum right so that only the size is wrong.
  bytes.fill(' ', second + 148, second + 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += bytes[second + i]!;
  bytes.write(`${sum.toString(8).padStart(6, '0')}\0 `, second + 148, 'ascii');
  fs.writeFileSync(file, bytes);
  const dataDir = await seededDataDir();
  const before = dumpDatabase(dataDir);
  const r = await tryImport(dataDir, file);
  assert.equal(r.code, 'invalid_archive', r.message);
  assert.equal(dumpDatabase(dataDir), before);
});

test('a valid archive imports whole, in one go; importing it again changes nothing', async () => {
  const dataDir = await seededDataDir();
  const file = await archiveWith(() => {});
  const g = Gallery.open(dataDir);
  try {
    const report = await importArchive(g, file);
    assert.deepEqual(report.people, { created: 8, merged: 0 });
    assert.deepEqual(report.samples, { added: 40, duplicates: 0 });
    assert.deepEqual(report.events, { added: 8, duplicates: 0 });
    assert.deepEqual(report.negatives, { added: 1, duplicates: 0 });
    // The in-memory index sees the imported samples (reloaded after the one transaction).
    assert.equal(
      g.index('dlib-resnet').search(unitVector(1), 1)[0]?.personId,
      g.people.findByName('Person 1')!.id,
    );
  } finally {
    g.close();
  }
  const after = dumpDatabase(dataDir);
  const again = await tryImport(dataDir, file);
  assert.equal(again.code, 'ok');
  const g2 = Gallery.open(dataDir);
  try {
    assert.equal(g2.people.list().length, 9);
    assert.equal(g2.events.list({ limit: 100 }).length, 8);
  } finally {
    g2.close();
  }
  assert.notEqual(after, '');
});

test('visage import of a bad archive with --json prints one error document and exits 1', async () => {
  const dataDir = await seededDataDir();
  const file = await archiveWith((p) => (p.manifest.people[2].samples[1].box = 'evil'));
  const r = runCli(['import', file, '--data', dataDir, '--json']);
  assert.equal(r.status, 1, r.stderr);
  const doc = JSON.parse(r.stdout) as { error: { code: string; message: string } };
  assert.equal(doc.error.code, 'invalid_archive');
  assert.match(doc.error.message, /people\[2\]\.samples\[1\]\.box/);
  assert.match(r.stderr, /^visage: /);
});
