// The SQLite face database: schema and migrations, refusal of damaged files, names, people, samples,
// merge/delete semantics, events, audit, import progress, and several processes writing at once.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { VisageError } from '../src/errors.js';
import { contentHash } from '../src/gallery/content-hash.js';
import { databasePath, openDatabase, schemaVersion } from '../src/gallery/database.js';
import { Gallery, REFRESH_MS } from '../src/gallery/gallery.js';
import { MIGRATIONS, type Migration } from '../src/gallery/migrations.js';
import { MAX_NAME_LENGTH, nameKey, normalizePersonName } from '../src/gallery/names.js';
import { createRng, randomUnitVector } from '../src/gallery/random.js';
import type { NewSample } from '../src/gallery/samples-repository.js';
import { onPostgres, storeOptions } from './support/store.js';

const FACES = path.resolve(import.meta.dirname, '../../shared/faces');
const tempDirs: string[] = [];
after(() => tempDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'visage-gallery-'));
  tempDirs.push(dir);
  return dir;
}

/** Tests of SQLite's own file (pragmas, damaged or foreign files) run on SQLite only. */
const SQLITE_FILE = { skip: onPostgres() && 'checks SQLite files' };

/** A gallery on a fresh data directory, in the store under test. */
function openTempGallery(): Gallery {
  const dir = tempDir();
  return Gallery.open(dir, storeOptions(dir));
}

function visageError(code: string): (e: unknown) => boolean {
  return (e) => {
    assert.ok(e instanceof VisageError, `expected VisageError ${code}, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return true;
  };
}

const rng = createRng(42);

/** A real face crop from the test set, as the engine would store it: JPEG bytes and the file's hash. */
async function realSample(
  person: string,
  file: string,
  dim = 16,
): Promise<NewSample & { vector: Float32Array }> {
  const bytes = fs.readFileSync(path.join(FACES, 'people', person, file));
  const vector = randomUnitVector(rng, dim);
  return {
    sourceName: file,
    contentHash: contentHash(bytes),
    cropJpeg: await sharp(bytes).jpeg({ quality: 90 }).toBuffer(),
    box: { x: 0, y: 0, width: 150, height: 150 },
    quality: { sharpness: 0.5 },
    embeddings: [{ modelId: 'test-model', vector }],
    vector,
  };
}

test('a fresh data directory gets the whole schema, WAL and foreign keys', SQLITE_FILE, () => {
  const dir = path.join(tempDir(), 'nested', 'data');
  const db = openDatabase(dir) as Database.Database;
  assert.equal(schemaVersion(db), MIGRATIONS.length);
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all();
  for (const t of ['people', 'samples', 'embeddings', 'negatives', 'events', 'audit', 'import_progress']) {
    assert.ok(tables.includes(t), `missing table ${t}`);
  }
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
  assert.ok(Number(db.pragma('busy_timeout', { simple: true })) >= 1000);
  db.close();
  assert.ok(fs.existsSync(databasePath(dir)));
});

test(
  'migrations: new ones apply once in order; a failing one rolls back; a newer database is refused',
  SQLITE_FILE,
  () => {
    const dir = tempDir();
    openDatabase(dir).close();
    const extra = (db: Parameters<Migration>[0]): void => void db.exec('CREATE TABLE extra (x)');
    const db = openDatabase(dir, { migrations: [...MIGRATIONS, extra] });
    assert.equal(schemaVersion(db), MIGRATIONS.length + 1);
    db.close();
    // Reopening with the same list applies nothing again (CREATE TABLE extra would fail).
    openDatabase(dir, { migrations: [...MIGRATIONS, extra] }).close();

    const failing = (db: Parameters<Migration>[0]): void => {
      db.exec('CREATE TABLE half_done (x)');
      throw new Error('migration failed');
    };
    assert.throws(
      () => openDatabase(dir, { migrations: [...MIGRATIONS, extra, failing] }),
      /migration failed/,
    );
    const check = new Database(databasePath(dir));
    assert.equal(schemaVersion(check), MIGRATIONS.length + 1);
    assert.equal(check.prepare("SELECT 1 FROM sqlite_master WHERE name = 'half_done'").get(), undefined);
    check.close();

    assert.throws(() => openDatabase(dir), visageError('database_too_new'));
  },
);

test('reopening keeps people, samples, crops and embeddings', async () => {
  const dir = tempDir();
  const sample = await realSample('amy', 'amy1.png');
  let gallery = Gallery.open(dir, storeOptions(dir));
  const { person, added } = gallery.enrol({ name: 'Amy', note: 'first' }, [sample]);
  gallery.close();

  gallery = Gallery.open(dir, storeOptions(dir));
  assert.deepEqual(gallery.people.get(person.id), person);
  assert.deepEqual(gallery.samples.get(added[0].id), added[0]);
  assert.deepEqual(gallery.samples.crop(added[0].id), sample.cropJpeg);
  assert.deepEqual(gallery.samples.embedding(added[0].id, 'test-model'), sample.vector);
  const meta = await sharp(gallery.samples.crop(added[0].id)).metadata();
  assert.equal(meta.format, 'jpeg');
  assert.equal(meta.width, 150);
  gallery.close();
});

test('a file that is not SQLite is refused as database_corrupt and left byte for byte', SQLITE_FILE, () => {
  const dir = tempDir();
  const garbage = Buffer.from('these are not the bytes of a database '.repeat(200));
  fs.writeFileSync(databasePath(dir), garbage);
  assert.throws(() => Gallery.open(dir), visageError('database_corrupt'));
  assert.deepEqual(fs.readFileSync(databasePath(dir)), garbage);
  assert.deepEqual(fs.readdirSync(dir), ['visage.db']);
});

test(
  'a SQLite file damaged inside fails quick_check as database_corrupt and is left untouched',
  SQLITE_FILE,
  async () => {
    const dir = tempDir();
    const gallery = Gallery.open(dir);
    const penny = await realSample('penny', 'penny1.png');
    for (let i = 0; i < 30; i++) gallery.enrol({ name: `P${i}` }, [{ ...penny, contentHash: `${i}` }]);
    gallery.close();
    const bytes = fs.readFileSync(databasePath(dir));
    // Damage only the last pages (sample rows and crops): the header and schema still read fine, so only
    // PRAGMA quick_check can notice.
    const pageSize = bytes.readUInt16BE(16);
    for (let i = bytes.length - 4 * pageSize; i < bytes.length; i += 13) bytes[i] ^= 0x5a;
    fs.writeFileSync(databasePath(dir), bytes);
    assert.throws(() => Gallery.open(dir), visageError('database_corrupt'));
    assert.deepEqual(fs.readFileSync(databasePath(dir)), bytes);
  },
);

test("another application's SQLite database is refused, not migrated", SQLITE_FILE, () => {
  const dir = tempDir();
  const other = new Database(databasePath(dir));
  other.exec('CREATE TABLE invoices (id INTEGER PRIMARY KEY)');
  other.close();
  assert.throws(() => Gallery.open(dir), visageError('database_unrecognised'));
  const check = new Database(databasePath(dir));
  assert.deepEqual(check.prepare('SELECT name FROM sqlite_master').pluck().all(), ['invoices']);
  check.close();
});

test('person names: normalised display form and refusals', () => {
  assert.equal(normalizePersonName('  Li \u00a0  Lei\u3000'), 'Li Lei');
  assert.equal(normalizePersonName('李雷'), '李雷');
  assert.equal(normalizePersonName('Jose\u0301'), 'Jos\u00e9');
  const family = '\u{1F469}\u200D\u{1F469}\u200D\u{1F467}';
  assert.equal(normalizePersonName(family), family);
  for (const verbatim of ['../etc/passwd', 'a/b', `O'Brien "Bob"`, '<b>Bold</b> & co', 'Ünal Çelik']) {
    assert.equal(normalizePersonName(verbatim), verbatim);
  }
  assert.equal(normalizePersonName('x'.repeat(MAX_NAME_LENGTH)).length, MAX_NAME_LENGTH);
  assert.equal([...normalizePersonName('\u{1F642}'.repeat(MAX_NAME_LENGTH))].length, MAX_NAME_LENGTH);
  assert.equal(normalizePersonName('Alice\n'), 'Alice');
  for (const bad of [
    '',
    '   ',
    '\u200b',
    '\u0301',
    'a\tb',
    'a\nb',
    'nul\u0000',
    'bell\u0007',
    'x'.repeat(101),
    'half\ud800',
  ]) {
    assert.throws(() => normalizePersonName(bad), visageError('invalid_name'), JSON.stringify(bad));
  }
});

test('name keys: case, width and normalisation variants collide; different names do not', () => {
  assert.equal(nameKey('Alice'), nameKey('ALICE'));
  assert.equal(nameKey('Alice'), nameKey('\uff21\uff4c\uff49\uff43\uff45'));
  assert.equal(nameKey('Straße'), nameKey('STRASSE'));
  assert.equal(nameKey('José'), nameKey('JOSE\u0301'));
  assert.equal(nameKey('ΟΔΟΣ'), nameKey('οδοσ'));
  assert.notEqual(nameKey('Jose'), nameKey('José'));
  assert.notEqual(nameKey('李雷'), nameKey('李蕾'));
});

test('people: unicode names, case-insensitive uniqueness, rename conflicts, listing', () => {
  const gallery = openTempGallery();
  const li = gallery.createPerson('李雷');
  const emoji = gallery.createPerson('\u{1F600} Smiley');
  const jose = gallery.createPerson('Jos\u00e9');
  assert.equal(gallery.people.findByName('JOSE\u0301')?.id, jose.id);
  assert.equal(gallery.people.findByName(' 李雷 ')?.id, li.id);
  assert.equal(gallery.people.findByName('\u{1F600}   smiley')?.id, emoji.id);
  assert.throws(
    () => gallery.createPerson('jose\u0301'),
    (e) => {
      visageError('name_taken')(e);
      assert.equal((e as VisageError).details['personId'], jose.id);
      return true;
    },
  );
  assert.throws(() => gallery.createPerson('\t'), visageError('invalid_name'));

  assert.throws(() => gallery.renamePerson(li.id, 'JOSÉ'), visageError('name_taken'));
  assert.equal(gallery.people.get(li.id)?.name, '李雷');
  assert.equal(gallery.renamePerson(jose.id, 'JOSÉ').name, 'JOSÉ');
  assert.equal(gallery.renamePerson(li.id, 'Li Lei').name, 'Li Lei');
  assert.equal(gallery.people.findByName('李雷'), undefined);
  assert.throws(() => gallery.renamePerson(9999, 'Nobody'), visageError('person_not_found'));

  // Ordered by name key (SQLite compares UTF-8 bytes: ASCII before emoji); the query is case-insensitive.
  assert.deepEqual(
    gallery.people.list().map((p) => p.name),
    ['JOSÉ', 'Li Lei', '\u{1F600} Smiley'],
  );
  assert.deepEqual(
    gallery.people.list({ query: 'E' }).map((p) => p.name),
    ['Li Lei', '\u{1F600} Smiley'],
  );
  assert.deepEqual(
    gallery.people.list({ limit: 1, offset: 1 }).map((p) => p.id),
    [li.id],
  );
  assert.equal(gallery.people.count(), 3);
  gallery.close();
});

test('samples: duplicates are refused per person, allowed across people, skippable in a batch', async () => {
  const gallery = openTempGallery();
  const s1 = await realSample('howard', 'howard1.png');
  const s2 = await realSample('howard', 'howard2.png');
  const { person } = gallery.enrol({ name: 'Howard' }, [s1]);
  assert.throws(
    () => gallery.enrol({ personId: person.id }, [s2, s1]),
    (e) => {
      visageError('duplicate_sample')(e);
      return true;
    },
  );
  assert.equal(gallery.samples.listByPerson(person.id).length, 1, 'a failed batch stores nothing');
  const batch = gallery.enrol({ personId: person.id }, [s2, s1], { skipDuplicates: true });
  assert.equal(batch.added.length, 1);
  assert.deepEqual(
    batch.duplicates.map((d) => d.index),
    [1],
  );

  const other = gallery.enrol({ name: 'Not Howard' }, [s1]);
  assert.equal(other.added.length, 1);
  assert.equal(gallery.samples.findByContentHash(s1.contentHash).length, 2);
  assert.throws(() => gallery.moveSample(other.added[0].id, person.id), visageError('duplicate_sample'));
  assert.throws(
    () =>
      gallery.enrol({ personId: person.id }, [
        { contentHash: 'x', embeddings: [{ modelId: 'test-model', vector: new Float32Array(3) }] },
      ]),
    visageError('invalid_embedding'),
  );
  assert.throws(
    () =>
      gallery.enrol({ personId: person.id }, [
        { contentHash: 'y', embeddings: [{ modelId: 'test-model', vector: randomUnitVector(rng, 32) }] },
      ]),
    visageError('dimension_mismatch'),
  );
  gallery.close();
});

test('merge moves samples with their embeddings, events and negatives, and drops duplicate content', async () => {
  const gallery = openTempGallery();
  const [a1, a2, a3] = await Promise.all(
    ['amy1.png', 'amy2.png', 'amy3.png'].map((f) => realSample('amy', f)),
  );
  const amy = gallery.enrol({ name: 'Amy' }, [a1, a2]);
  const alias = gallery.enrol({ name: 'Amy F' }, [
    { ...a2, embeddings: [{ modelId: 'test-model', vector: randomUnitVector(rng, 16) }] },
    a3,
  ]);
  const event = gallery.events.add({
    source: 'cam',
    box: { x: 1, y: 2, width: 3, height: 4 },
    personId: alias.person.id,
  });
  gallery.addNegative(alias.person.id, 'test-model', randomUnitVector(rng, 16), event.id);
  const index = gallery.index('test-model');
  assert.equal(index.search(a3.vector, 1)[0].personId, alias.person.id);

  const result = gallery.mergePeople(alias.person.id, amy.person.id);
  assert.deepEqual(result.droppedSampleIds, [alias.added[0].id]);
  assert.deepEqual(result.movedSampleIds, [alias.added[1].id]);
  assert.equal(gallery.people.get(alias.person.id), undefined);
  assert.deepEqual(
    gallery.samples.listByPerson(amy.person.id).map((s) => s.id),
    [amy.added[0].id, amy.added[1].id, alias.added[1].id],
  );
  assert.deepEqual(gallery.samples.embedding(alias.added[1].id, 'test-model'), a3.vector);
  assert.equal(gallery.events.get(event.id)?.personId, amy.person.id);
  assert.equal(gallery.negatives.listByPerson(amy.person.id).length, 1);
  assert.equal(gallery.samples.get(alias.added[0].id), undefined);

  const hit = index.search(a3.vector, 1)[0];
  assert.deepEqual([hit.personId, hit.sampleId], [amy.person.id, alias.added[1].id]);
  assert.equal(index.has(alias.added[0].id), false);
  assert.throws(() => gallery.mergePeople(amy.person.id, amy.person.id), visageError('invalid_merge'));
  gallery.close();
});

test('delete cascades to samples, embeddings and negatives; events become unknown', async () => {
  const dir = tempDir();
  const gallery = Gallery.open(dir, storeOptions(dir));
  const s = await realSample('raj', 'raj1.png');
  const raj = gallery.enrol({ name: 'Raj' }, [s]);
  const keep = gallery.enrol({ name: 'Stuart' }, [await realSample('stuart', 'stuart1.png')]);
  const event = gallery.events.add({
    source: 'a.jpg',
    box: { x: 0, y: 0, width: 9, height: 9 },
    personId: raj.person.id,
  });
  gallery.addNegative(raj.person.id, 'test-model', s.vector);
  const index = gallery.index('test-model');
  assert.equal(index.search(s.vector, 1)[0].personId, raj.person.id);
  // Another connection (as another process would) with its own index loaded.
  const other = Gallery.open(dir, storeOptions(dir));
  assert.equal(other.index('test-model').samplesOfPerson(raj.person.id).length, 1);

  gallery.deletePerson(raj.person.id);
  const count = (sql: string): number => gallery.db.prepare(sql).pluck().get() as number;
  assert.equal(count('SELECT COUNT(*) FROM samples'), 1);
  assert.equal(count('SELECT COUNT(*) FROM embeddings'), 1);
  assert.equal(count('SELECT COUNT(*) FROM negatives'), 0);
  assert.equal(gallery.events.get(event.id)?.personId, null);
  assert.equal(
    index.search(s.vector, 5).some((m) => m.personId === raj.person.id),
    false,
  );
  assert.equal(index.search(s.vector, 1)[0].personId, keep.person.id);
  assert.equal(index.isVetoed(s.vector, raj.person.id, 0.5), false);
  // The cascade fired the generation triggers: the other connection reloads without the person.
  assert.equal(other.index('test-model').samplesOfPerson(raj.person.id).length, 0);
  assert.equal(other.index('test-model').size, 1);
  other.close();
  gallery.close();
});

test('events: stored with snapshot and embedding, listed by person, source and time range', async () => {
  const gallery = openTempGallery();
  const leonard = gallery.createPerson('Leonard');
  const snapshot = await sharp(path.join(FACES, 'scenes', 'bbt1.jpg'))
    .resize(64)
    .jpeg()
    .toBuffer();
  const vector = randomUnitVector(rng, 16);
  const ids = gallery.events.addMany([
    {
      time: 1000,
      source: 'bbt1.jpg',
      box: { x: 1, y: 1, width: 5, height: 5 },
      personId: leonard.id,
      score: 0.8,
      distance: 0.3,
      snapshotJpeg: snapshot,
      modelId: 'test-model',
      embedding: vector,
    },
    {
      time: 2000,
      source: 'clip.mp4',
      offsetS: 1.5,
      frame: 45,
      box: { x: 2, y: 2, width: 5, height: 5 },
      personId: null,
    },
    {
      time: 3000,
      source: 'clip.mp4',
      offsetS: 2.5,
      frame: 75,
      box: { x: 3, y: 3, width: 5, height: 5 },
      personId: leonard.id,
    },
  ]);
  assert.deepEqual(
    gallery.events.list({ personId: leonard.id }).map((e) => e.id),
    [ids[2], ids[0]],
  );
  assert.deepEqual(
    gallery.events.list({ personId: null }).map((e) => e.id),
    [ids[1]],
  );
  assert.deepEqual(
    gallery.events.list({ source: 'clip.mp4', order: 'asc' }).map((e) => e.frame),
    [45, 75],
  );
  assert.deepEqual(
    gallery.events.list({ from: 1500, to: 3000 }).map((e) => e.id),
    [ids[1]],
  );
  assert.equal(gallery.events.count({ source: 'clip.mp4' }), 2);
  assert.deepEqual(gallery.events.snapshot(ids[0]), snapshot);
  assert.deepEqual(gallery.events.embedding(ids[0]), { modelId: 'test-model', vector });
  assert.equal(gallery.events.get(ids[0])?.hasSnapshot, true);
  assert.equal(gallery.people.summary(leonard.id)?.lastSeen, 3000);

  assert.equal(gallery.events.setPerson(ids[1], leonard.id).personId, leonard.id);
  assert.throws(() => gallery.events.setPerson(ids[1], 999), visageError('person_not_found'));
  assert.equal(gallery.events.deleteBefore(2500), 2);
  assert.equal(gallery.events.count(), 1);
  gallery.close();
});

test('audit records each change with its actor; import progress resumes by path and content', () => {
  const gallery = openTempGallery();
  const p = gallery.createPerson('Bernadette', '', { actor: 'admin' });
  gallery.renamePerson(p.id, 'Bernie');
  gallery.deletePerson(p.id, { actor: 'admin' });
  assert.deepEqual(
    gallery.audit.list().map((e) => [e.action, e.actor]),
    [
      ['person.delete', 'admin'],
      ['person.rename', null],
      ['person.create', 'admin'],
    ],
  );
  assert.deepEqual(gallery.audit.list({ action: 'person.rename' })[0].details, {
    personId: p.id,
    from: 'Bernadette',
    to: 'Bernie',
  });

  gallery.imports.record('a.jpg', 'h1', 'done');
  gallery.imports.record('b.jpg', 'h2', 'failed', 'no face found');
  gallery.imports.record('b.jpg', 'h2', 'skipped', 'duplicate');
  assert.equal(gallery.imports.get('a.jpg', 'h1')?.status, 'done');
  assert.equal(gallery.imports.get('a.jpg', 'changed'), undefined);
  assert.deepEqual(gallery.imports.counts(), { done: 1, skipped: 1, failed: 0 });
  assert.equal(gallery.imports.clear(), 2);
  gallery.close();
});

test('two processes enrolling at once lose nothing, and an open gallery sees their changes', async () => {
  const dir = tempDir();
  const watcher = Gallery.open(dir, storeOptions(dir));
  assert.equal(watcher.index('m').size, 0);
  const writer = path.resolve(import.meta.dirname, 'gallery-concurrent-writer.ts');
  // Both children start writing at the same moment, well after their (tsx) start-up.
  const startAt = String(Date.now() + 4000);
  const count = 1500;
  const run = promisify(execFile);
  await Promise.all(
    ['a', 'bb'].map((prefix) =>
      run(process.execPath, ['--import', 'tsx', writer, dir, prefix, String(count), startAt]),
    ),
  );
  assert.equal(watcher.people.count(), 2 * count);
  assert.equal(watcher.db.prepare('SELECT COUNT(*) FROM embeddings').pluck().get(), 2 * count);
  assert.equal(watcher.audit.list({ limit: 10_000 }).length, 2 * count);
  // Interleaved commits: the ids of the two writers alternate somewhere (they really overlapped).
  const owners = watcher.db.prepare('SELECT name FROM people ORDER BY id').pluck().all() as string[];
  const switches = owners.filter((n, i) => i > 0 && n.split('-')[0] !== owners[i - 1].split('-')[0]).length;
  assert.ok(switches > 1, `writers did not overlap (${switches} switches)`);
  assert.equal(watcher.index('m').size, 2 * count);
  watcher.close();
});

test("a searching gallery takes in another connection's enrolment by itself: at once on PostgreSQL", async () => {
  const dir = tempDir();
  const searcher = Gallery.open(dir, storeOptions(dir));
  const writer = Gallery.open(dir, storeOptions(dir));
  assert.equal(searcher.searchIndex('m').size, 0);
  const t0 = performance.now();
  const { person } = writer.enrol({ name: 'Late' }, [
    { contentHash: 'late', embeddings: [{ modelId: 'm', vector: Float32Array.of(1, 0, 0) }] },
  ]);
  while (searcher.searchIndex('m').size === 0) {
    assert.ok(performance.now() - t0 < 5000, 'never seen');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const ms = performance.now() - t0;
  assert.equal(searcher.personName(person.id), 'Late');
  // SQLite: the next tick of the poll. PostgreSQL: the trigger's notification, long before that tick.
  assert.ok(ms < (onPostgres() ? REFRESH_MS / 2 : REFRESH_MS + 1000), `seen after ${Math.round(ms)} ms`);
  writer.close();
  searcher.close();
});
