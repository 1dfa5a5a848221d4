// Issue 8, item 5: `Recognizer.identify` reads nothing from SQLite. Its index, negatives and the people's
// names are in memory and kept current by every change made through Gallery; another process's changes
// arrive through refresh (the timer, or `index()` at once). Two independent proofs that a read has not
// crept back: every better-sqlite3 entry point is counted (prepared statements are cached, so the
// Statement methods are counted, not just `prepare`), and identify keeps answering on a closed connection,
// where any read throws. Also: people counted by SQL, and batched embedding writes.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { VisageError } from '../src/errors.js';
import { Gallery, REFRESH_MS } from '../src/gallery/gallery.js';
import { createRng, noisyCopy, randomUnitVector } from '../src/gallery/random.js';
import { Recognizer, type Identification } from '../src/service/recognize/recognizer.js';

// A real catalog embedder (its threshold drives the decisions); no model is loaded: vectors are synthetic.
const MODEL = 'dlib-resnet';
const DIM = 128;

const dirs: string[] = [];
after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'visage-hot-path-'));
  dirs.push(dir);
  return dir;
}

/** Counts every call into better-sqlite3 (connection and statement methods) while `work` runs. */
function sqlCalls<T>(work: () => T): { calls: string[]; result: T } {
  const probe = new Database(':memory:');
  const statementProto = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<string, unknown>;
  probe.close();
  const targets: [Record<string, unknown>, string[]][] = [
    [
      Database.prototype as unknown as Record<string, unknown>,
      ['prepare', 'exec', 'pragma', 'transaction', 'function'],
    ],
    [statementProto, ['get', 'all', 'run', 'iterate']],
  ];
  const calls: string[] = [];
  const originals: [Record<string, unknown>, string, unknown][] = [];
  for (const [proto, names] of targets) {
    for (const name of names) {
      const original = proto[name] as (...args: unknown[]) => unknown;
      originals.push([proto, name, original]);
      proto[name] = function (this: unknown, ...args: unknown[]) {
        calls.push(name);
        return original.apply(this, args);
      };
    }
  }
  try {
    return { calls, result: work() };
  } finally {
    for (const [proto, name, original] of originals) proto[name] = original;
  }
}

function fixture() {
  const rng = createRng(8);
  const dir = tempDir();
  const gallery = Gallery.open(dir);
  const people = ['Ada', 'Grace', 'Linus', 'Émilie'].map((name, p) => {
    // A person's samples resemble each other (cosine ≈ 0.92, as photos of one person do): the open-set
    // rule weighs a person's second-best sample too, so unrelated random samples would not name anyone.
    const base = randomUnitVector(rng, DIM);
    const vectors = [0, 1, 2].map(() => noisyCopy(rng, base, 0.96));
    const r = gallery.enrol(
      { name },
      vectors.map((vector, i) => ({ contentHash: `${p}-${i}`, embeddings: [{ modelId: MODEL, vector }] })),
    );
    return { id: r.person.id, vectors };
  });
  return { dir, gallery, people, rng, recognizer: new Recognizer(gallery, MODEL) };
}

/** identify without a single call into SQLite; fails the test if one is made. */
function identifyNoSql(recognizer: Recognizer, query: Float32Array): Identification {
  const { calls, result } = sqlCalls(() => recognizer.identify(query));
  assert.deepEqual(calls, [], 'identify called into SQLite');
  return result;
}

test('identify makes no SQL call once loaded, for matches, unknowns and vetoes, and answers on a closed connection', () => {
  const { gallery, people, rng, recognizer } = fixture();
  // The spy itself works: a repository read is seen.
  assert.ok(sqlCalls(() => gallery.people.get(1)).calls.length > 0);
  // The first use loads the index and names (reads): that is allowed, once.
  assert.ok(sqlCalls(() => recognizer.identify(people[0]!.vectors[0]!)).calls.length > 0);

  const ada = identifyNoSql(recognizer, people[0]!.vectors[0]!);
  assert.deepEqual([ada.decision, ada.name, ada.personId], ['match', 'Ada', people[0]!.id]);
  assert.equal(ada.candidates.length, 3);
  assert.ok(ada.candidates.every((c) => c.name.length > 0));
  const stranger = identifyNoSql(recognizer, randomUnitVector(rng, DIM));
  assert.equal(stranger.decision, 'above_threshold');
  gallery.addNegative(people[1]!.id, MODEL, people[1]!.vectors[0]!);
  const vetoed = identifyNoSql(recognizer, people[1]!.vectors[0]!);
  assert.ok(!vetoed.candidates.some((c) => c.personId === people[1]!.id));

  const answers = people.map((p) => recognizer.identify(p.vectors[2]!));
  gallery.db.close();
  assert.throws(() => gallery.people.get(1), /not open/);
  assert.deepEqual(
    people.map((p) => recognizer.identify(p.vectors[2]!)),
    answers,
  );
  gallery.close();
});

test('names and vectors stay current in memory through every Gallery change, still without SQL in identify', () => {
  const { gallery, people, rng, recognizer } = fixture();
  const [ada, grace, linus, emilie] = people as [
    (typeof people)[0],
    (typeof people)[0],
    (typeof people)[0],
    (typeof people)[0],
  ];
  recognizer.identify(ada.vectors[0]!);

  gallery.renamePerson(ada.id, 'Ada Lovelace');
  assert.equal(identifyNoSql(recognizer, ada.vectors[0]!).name, 'Ada Lovelace');

  gallery.mergePeople(grace.id, linus.id);
  const merged = identifyNoSql(recognizer, grace.vectors[1]!);
  assert.deepEqual([merged.name, merged.personId], ['Linus', linus.id]);

  gallery.deletePerson(emilie.id);
  const gone = identifyNoSql(recognizer, emilie.vectors[0]!);
  assert.equal(gone.decision, 'above_threshold');
  assert.ok(!gone.candidates.some((c) => c.personId === emilie.id));

  const newcomer = randomUnitVector(rng, DIM);
  const created = gallery.enrol({ name: '李雷' }, [
    { contentHash: 'new', embeddings: [{ modelId: MODEL, vector: newcomer }] },
  ]);
  assert.deepEqual(
    [identifyNoSql(recognizer, newcomer).name, identifyNoSql(recognizer, newcomer).personId],
    ['李雷', created.person.id],
  );
  const empty = gallery.createPerson('Hedy');
  const moved = created.added[0]!;
  gallery.moveSample(moved.id, empty.id);
  assert.equal(identifyNoSql(recognizer, newcomer).name, 'Hedy');

  // Reindex's write: a new vector for a sample replaces the old in the index.
  const replacement = randomUnitVector(rng, DIM);
  assert.deepEqual(gallery.setEmbeddings(MODEL, [{ sampleId: moved.id, vector: replacement }]), []);
  assert.equal(identifyNoSql(recognizer, replacement).name, 'Hedy');
  assert.equal(identifyNoSql(recognizer, newcomer).decision, 'above_threshold');

  // Corrections: a negative vetoes at once; removing it is reloaded by the change, not by identify.
  const negative = gallery.addNegative(ada.id, MODEL, ada.vectors[1]!);
  assert.notEqual(identifyNoSql(recognizer, ada.vectors[1]!).personId, ada.id);
  gallery.removeNegative(negative.id);
  assert.equal(identifyNoSql(recognizer, ada.vectors[1]!).personId, ada.id);

  gallery.removeSample(moved.id);
  assert.equal(identifyNoSql(recognizer, replacement).decision, 'above_threshold');
  gallery.close();
});

test("another process's rename and enrolment reach identify through the refresh timer, not through a read in identify", async () => {
  const { dir, gallery, people, rng, recognizer } = fixture();
  const [ada] = people;
  recognizer.identify(ada!.vectors[0]!);
  const other = Gallery.open(dir);
  other.renamePerson(ada!.id, 'Countess');
  const vector = randomUnitVector(rng, DIM);
  other.enrol({ name: 'Newcomer' }, [{ contentHash: 'x', embeddings: [{ modelId: MODEL, vector }] }]);
  other.close();
  // Not yet seen: identify does not look.
  assert.equal(identifyNoSql(recognizer, ada!.vectors[0]!).name, 'Ada');
  assert.equal(identifyNoSql(recognizer, vector).decision, 'above_threshold');
  await new Promise((resolve) => setTimeout(resolve, REFRESH_MS * 2.5));
  assert.equal(identifyNoSql(recognizer, ada!.vectors[0]!).name, 'Countess');
  assert.equal(identifyNoSql(recognizer, vector).name, 'Newcomer');

  // A rename alone moves only the names counter: the loaded index object is kept, not reloaded.
  const index = gallery.searchIndex(MODEL);
  const third = Gallery.open(dir);
  third.renamePerson(ada!.id, 'Ada');
  third.close();
  gallery.refresh();
  assert.equal(gallery.searchIndex(MODEL), index);
  assert.equal(identifyNoSql(recognizer, ada!.vectors[0]!).name, 'Ada');
  // A local change that notices another process's change first reloads right after itself (a microtask).
  const late = randomUnitVector(rng, DIM);
  const fifth = Gallery.open(dir);
  fifth.enrol({ name: 'Late' }, [{ contentHash: 'late', embeddings: [{ modelId: MODEL, vector: late }] }]);
  fifth.close();
  gallery.createPerson('Local');
  await Promise.resolve();
  assert.equal(identifyNoSql(recognizer, late).name, 'Late');
  // Management code still sees another process at once through index().
  const fourth = Gallery.open(dir);
  fourth.deletePerson(ada!.id);
  fourth.close();
  assert.equal(gallery.index(MODEL).samplesOfPerson(ada!.id).length, 0);
  gallery.close();
});

test('people are counted with the listing filter; setEmbeddings stores a batch and fails a missing sample alone', () => {
  const { gallery, people, rng } = fixture();
  assert.equal(gallery.people.count(), 4);
  for (const query of ['', 'a', 'ADA', 'émilie', 'ÉMI', 'x', 'n']) {
    assert.equal(gallery.people.count({ query }), gallery.people.list({ query }).length, query);
  }
  const { calls } = sqlCalls(() => gallery.people.count({ query: 'a' }));
  assert.deepEqual(calls, ['get'], 'one COUNT statement');

  const index = gallery.searchIndex('other-model');
  const samples = gallery.samples.list();
  assert.equal(samples.length, 12);
  const auditBefore = gallery.audit.list({ limit: 1000 }).length;
  const failures = gallery.setEmbeddings('other-model', [
    { sampleId: samples[0]!.id, vector: randomUnitVector(rng, 8) },
    { sampleId: 9999, vector: randomUnitVector(rng, 8) },
    { sampleId: samples[1]!.id, vector: randomUnitVector(rng, 8) },
  ]);
  assert.deepEqual(
    failures.map((f) => [f.sampleId, f.error instanceof VisageError && f.error.code]),
    [[9999, 'sample_not_found']],
  );
  assert.equal(gallery.samples.countEmbeddings('other-model'), 2);
  assert.equal(index.size, 2);
  assert.equal(gallery.audit.list({ limit: 1000 }).length, auditBefore + 2);
  assert.deepEqual([...gallery.samples.crops([samples[0]!.id, 9999])], [[samples[0]!.id, null]]);
  assert.equal(people.length, 4);
  gallery.close();
});
