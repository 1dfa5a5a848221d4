// One versioned schema for every table of visage.db (issue 8, item 4): the gallery's, the server's auth
// tables and the cameras. Tested from an empty file, and from a file the previous release (4fa47d3,
// schema version 1, auth and camera tables made ad hoc by the server) wrote with its own code:
// test/fixtures/prev-release-db.sql, built by test/fixtures/make-prev-release-db.ts. Today's code must
// upgrade it keeping every row, then recognise, enrol and authenticate on it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { facePath } from '../bench/dataset.js';
import { databasePath, openDatabase, schemaVersion, type Db } from '../src/gallery/database.js';
import { Gallery } from '../src/gallery/gallery.js';
import { MIGRATIONS } from '../src/gallery/migrations.js';
import { AuthStore } from '../src/service/accounts/store.js';
import { Recognizer } from '../src/service/recognize/recognizer.js';
import type { EnrollReport } from '../src/service/enroll/enrollment.js';
import type { RecognizeResult } from '../src/service/recognize/photos.js';
import { runCliJson } from './support/cli.js';

const FIXTURES = path.resolve(import.meta.dirname, 'fixtures');
const PREV_SQL = fs.readFileSync(path.join(FIXTURES, 'prev-release-db.sql'), 'utf8');
const PREV = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'prev-release-db.json'), 'utf8')) as {
  users: Record<string, string>;
  apiKey: string;
  events: number[];
};
const SERVER_TABLES = ['users', 'sessions', 'api_keys', 'cameras'];

const dirs: string[] = [];
after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'visage-migrations-'));
  dirs.push(dir);
  return dir;
}

/** A data directory holding the previous release's database, as that release left it. */
function prevReleaseDir(edit?: (db: Database.Database) => void): string {
  const dir = tempDir();
  const db = new Database(databasePath(dir));
  db.exec(PREV_SQL);
  edit?.(db);
  db.close();
  return dir;
}

/** Every row of every table, in rowid order: what must survive an upgrade. */
function allRows(db: Db): Map<string, unknown[][]> {
  const tables = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .pluck()
    .all() as string[];
  return new Map(
    tables.map((t) => [t, db.prepare(`SELECT * FROM "${t}" ORDER BY rowid`).raw().all() as unknown[][]]),
  );
}

/** Tables with their columns, indexes and triggers: two databases with equal shapes have one schema. */
function shape(db: Db): string[] {
  const objects = db
    .prepare(
      "SELECT type, name, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name",
    )
    .all() as { type: string; name: string; tbl_name: string }[];
  return objects.map((o) => {
    if (o.type !== 'table') return `${o.type} ${o.name} on ${o.tbl_name}`;
    const columns = db.prepare(`PRAGMA table_info("${o.name}")`).all() as {
      name: string;
      type: string;
      notnull: number;
      dflt_value: unknown;
      pk: number;
    }[];
    return `table ${o.name}(${columns.map((c) => `${c.name} ${c.type} ${c.notnull} ${c.dflt_value} ${c.pk}`).join(', ')})`;
  });
}

test("an empty file gets every table, the server's included, at the latest version", () => {
  const dir = tempDir();
  fs.writeFileSync(databasePath(dir), ''); // what SQLite itself leaves before the first write
  const db = openDatabase(dir);
  assert.equal(schemaVersion(db), MIGRATIONS.length);
  assert.equal(MIGRATIONS.length, 11);
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
  for (const t of [
    'people',
    'samples',
    'embeddings',
    'events',
    'negatives',
    'audit',
    'gallery_generation',
    'jobs',
    'job_files',
    ...SERVER_TABLES,
  ]) {
    assert.ok(tables.includes(t), `missing table ${t}`);
  }
  // The server no longer creates tables: its stores only check that they are there.
  assert.doesNotThrow(() => new AuthStore(db));
  db.close();
  const bare = new Database(':memory:');
  assert.throws(() => new AuthStore(bare), /lacks the auth tables \(users, sessions, api_keys\)/);
  bare.close();
});

test("the previous release's file upgrades to the same schema as an empty one, keeping every row", () => {
  const dir = prevReleaseDir();
  const before = new Database(databasePath(dir), { readonly: true });
  assert.equal(schemaVersion(before), 1);
  const rowsBefore = allRows(before);
  before.close();
  for (const t of ['people', 'samples', 'embeddings', 'events', 'negatives', ...SERVER_TABLES]) {
    assert.ok((rowsBefore.get(t)?.length ?? 0) > 0, `the fixture has no ${t}`);
  }

  const upgraded = openDatabase(dir);
  assert.equal(schemaVersion(upgraded), MIGRATIONS.length);
  const rowsAfter = allRows(upgraded);
  for (const [table, rows] of rowsBefore) {
    if (table === 'schema_version') continue;
    // gallery_generation gained v4's `names` counter (0) after its old columns, cameras v5's `level`
    // and the camera leases' `wanted`, `lease_node`, `lease_until`, events the unknown-clusters
    // migration's `content_hash` (NULL for events recorded before).
    const added = table === 'cameras' ? 4 : table === 'gallery_generation' || table === 'events' ? 1 : 0;
    const kept = rowsAfter.get(table)!.map((r) => r.slice(0, r.length - added));
    assert.deepEqual(kept, rows, `rows of ${table}`);
  }
  assert.deepEqual(
    (rowsAfter.get('schema_version') as number[][]).map((r) => r[0]),
    MIGRATIONS.map((_, i) => i + 1),
  );
  const fresh = openDatabase(tempDir());
  assert.deepEqual(shape(upgraded), shape(fresh));
  fresh.close();
  upgraded.close();
});

test("a previous-release file without the server's tables (a CLI-only data directory) upgrades too", () => {
  const dir = prevReleaseDir((db) => db.exec(SERVER_TABLES.map((t) => `DROP TABLE ${t};`).join('\n')));
  const db = openDatabase(dir);
  assert.equal(schemaVersion(db), MIGRATIONS.length);
  const fresh = openDatabase(tempDir());
  assert.deepEqual(shape(db), shape(fresh));
  fresh.close();
  db.close();
});

test("on the upgraded file: its accounts, API key, session table and camera work with today's code", async () => {
  const dir = prevReleaseDir();
  const gallery = Gallery.open(dir);
  const auth = new AuthStore(gallery.db);
  assert.equal((await auth.users.authenticate('admin', PREV.users['admin']!))?.role, 'admin');
  const viewer = await auth.users.authenticate('viewer1', PREV.users['viewer1']!);
  assert.equal(viewer?.role, 'viewer');
  assert.equal(await auth.users.authenticate('viewer1', 'wrong-password'), undefined);
  assert.equal(auth.apiKeys.verify(PREV.apiKey)?.name, 'ci-bot');
  const session = auth.sessions.create(viewer!);
  assert.equal(auth.sessions.find(session.token)?.user.id, viewer!.id);
  assert.equal(await auth.ensureAdmin('another-password'), false, 'the old admin counts');
  const camera = gallery.db.prepare('SELECT name, url FROM cameras').get();
  assert.deepEqual(camera, { name: 'Front door', url: 'rtsp://user:secret@10.0.0.7/stream' });
  assert.equal(
    gallery.db.prepare('SELECT level FROM cameras').pluck().get(),
    'balanced',
    'v5: an existing camera keeps the default level',
  );
  gallery.close();
});

test('on the upgraded file: people, events and corrections as they were; identify and renames in memory', () => {
  const dir = prevReleaseDir();
  const gallery = Gallery.open(dir);
  assert.deepEqual(
    gallery.people.list().map((p) => [p.name, p.sampleCount]),
    [
      ['Amy', 2],
      ['Penny Teller', 2],
    ],
  );
  assert.equal(gallery.people.count({ query: 'penny' }), 1);
  const [seen, unknown] = PREV.events.map((id) => gallery.events.require(id));
  const amy = gallery.people.findByName('amy')!;
  const penny = gallery.people.findByName('penny teller')!;
  assert.equal(seen!.personId, amy.id);
  assert.equal(unknown!.personId, null);
  assert.equal(gallery.negatives.listByPerson(penny.id).length, 1);

  // Each enrolled vector is its own person's, and the old "not Penny" correction still vetoes.
  const recognizer = new Recognizer(gallery, 'dlib-resnet');
  for (const person of [amy, penny]) {
    for (const s of gallery.samples.listByPerson(person.id)) {
      const id = recognizer.identify(gallery.samples.embedding(s.id, 'dlib-resnet')!);
      assert.deepEqual([id.decision, id.name], ['match', person.name]);
    }
  }
  const corrected = recognizer.identify(gallery.events.embedding(seen!.id)!.vector);
  assert.ok(!corrected.candidates.some((c) => c.personId === penny.id));
  // v4's triggers: a rename by another connection (process) moves the names counter only.
  const other = Gallery.open(dir);
  other.renamePerson(penny.id, 'Penny');
  other.close();
  gallery.refresh();
  const s = gallery.samples.listByPerson(penny.id)[0]!;
  assert.equal(recognizer.identify(gallery.samples.embedding(s.id, 'dlib-resnet')!).name, 'Penny');
  gallery.close();
});

test('on the upgraded file: the real CLI recognises the old people in a new photo and enrols more', () => {
  const dir = prevReleaseDir();
  const data = ['--data', dir];
  const amy3 = facePath('people/amy/amy3.png');
  const recognized = runCliJson<{ results: RecognizeResult[] }>(['recognize', amy3, '--no-events', ...data]);
  assert.equal(recognized.status, 0, recognized.stderr);
  const [result] = recognized.json.results;
  assert.ok(result && 'faces' in result, JSON.stringify(result));
  assert.deepEqual(
    result.faces.map((f) => f.name),
    ['Amy'],
  );
  const enrolled = runCliJson<EnrollReport>([
    'enroll',
    '--name',
    'penny teller',
    facePath('people/penny/penny3.png'),
    ...data,
  ]);
  assert.equal(enrolled.status, 0, enrolled.stderr);
  assert.deepEqual([enrolled.json.created, enrolled.json.accepted.length], [false, 1]);
  const gallery = Gallery.open(dir);
  assert.equal(gallery.samples.listByPerson(enrolled.json.person!.id).length, 3);
  assert.equal(schemaVersion(gallery.db), MIGRATIONS.length);
  gallery.close();
});

test('no table, index or trigger is made outside the migration list', () => {
  const src = path.resolve(import.meta.dirname, '../src');
  const ddl =
    /\b(CREATE\s+(TEMP\s+|TEMPORARY\s+|UNIQUE\s+)?(TABLE|INDEX|TRIGGER|VIEW)|ALTER\s+TABLE|DROP\s+(TABLE|INDEX|TRIGGER))\b/i;
  const offenders = (fs.readdirSync(src, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts'))
    // postgres/dialect.ts only rewrites the migrations' DDL for PostgreSQL; it makes no schema of its own.
    .filter(
      (f) =>
        !['gallery/migrations.ts', 'gallery/database.ts', 'gallery/postgres/dialect.ts'].includes(
          f.split(path.sep).join('/'),
        ),
    )
    .filter((f) => ddl.test(fs.readFileSync(path.join(src, f), 'utf8')));
  assert.deepEqual(offenders, [], 'schema changes belong in src/gallery/migrations.ts');
  // database.ts makes only the version table itself, which the migrations cannot hold.
  const database = fs.readFileSync(path.join(src, 'gallery/database.ts'), 'utf8');
  assert.deepEqual(database.match(new RegExp(ddl.source, 'gi')), ['CREATE TABLE']);
});
