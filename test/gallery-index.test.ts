// The in-memory 1:N index against an independent exact brute force: same people, same similarities,
// after every kind of change, for each aggregation rule; recall@1 on a larger synthetic gallery; vetoes.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { VisageError } from '../src/errors.js';
import { EmbeddingIndex, type Aggregation } from '../src/gallery/embedding-index.js';
import { Gallery } from '../src/gallery/gallery.js';
import { createRng, noisyCopy, randomUnitVector, type Rng } from '../src/gallery/random.js';

interface Entry {
  sampleId: number;
  personId: number;
  vector: Float32Array;
}

/** Exact top-k people by plain float64 arithmetic over all samples: the reference the index must match. */
function exactTopK(
  entries: Entry[],
  query: Float32Array,
  k: number,
  aggregation: Aggregation,
): { personId: number; similarity: number }[] {
  const unit = (v: Float32Array): number[] => {
    const n = Math.hypot(...v);
    return Array.from(v, (x) => x / n);
  };
  const q = unit(query);
  const byPerson = new Map<number, number[]>();
  for (const e of entries) {
    const s = unit(e.vector).reduce((acc, x, i) => acc + x * q[i], 0);
    byPerson.set(e.personId, [...(byPerson.get(e.personId) ?? []), s]);
  }
  const scored = [...byPerson].map(([personId, sims]) => {
    const sorted = [...sims].sort((a, b) => a - b);
    const drop = aggregation === 'trimmed-mean' ? Math.floor(0.2 * sorted.length) : 0;
    const kept = sorted.slice(drop, sorted.length - drop);
    const similarity =
      aggregation === 'nearest' ? sorted[sorted.length - 1] : kept.reduce((a, b) => a + b, 0) / kept.length;
    return { personId, similarity };
  });
  return scored.sort((a, b) => b.similarity - a.similarity).slice(0, k);
}

/** People with 1–7 samples each: a shared identity direction plus per-photo noise. */
function syntheticGallery(rng: Rng, people: number, dim: number): Entry[] {
  const entries: Entry[] = [];
  for (let p = 1; p <= people; p++) {
    const identity = randomUnitVector(rng, dim);
    const samples = 1 + rng.int(7);
    for (let s = 0; s < samples; s++)
      entries.push({ sampleId: entries.length + 1, personId: p, vector: noisyCopy(rng, identity, 0.8) });
  }
  return entries;
}

/** Exact aggregated similarity of one person. */
function exactScore(
  entries: Entry[],
  query: Float32Array,
  personId: number,
  aggregation: Aggregation,
): number {
  return exactTopK(
    entries.filter((e) => e.personId === personId),
    query,
    1,
    aggregation,
  )[0].similarity;
}

/**
 * `nearest` must equal the exact top-k. Mean-type rules shortlist people by their best sample first, so
 * only the best person is guaranteed (see EmbeddingIndex.search); every returned score must still be exact.
 */
function assertAgrees(index: EmbeddingIndex, entries: Entry[], queries: Float32Array[], k: number): void {
  for (const aggregation of ['nearest', 'mean', 'trimmed-mean'] as const) {
    for (const q of queries) {
      const got = index.search(q, k, aggregation);
      const want = exactTopK(entries, q, k, aggregation);
      if (aggregation === 'nearest')
        assert.deepEqual(
          got.map((m) => m.personId),
          want.map((m) => m.personId),
        );
      else assert.equal(got[0].personId, want[0].personId, aggregation);
      got.forEach((m, i) => {
        assert.ok(
          Math.abs(m.similarity - exactScore(entries, q, m.personId, aggregation)) < 1e-5,
          aggregation,
        );
        assert.ok(i === 0 || got[i - 1].similarity >= m.similarity, 'sorted best first');
        assert.ok(
          Math.abs(m.sampleSimilarity - exactScore(entries, q, m.personId, 'nearest')) < 1e-5,
          'best sample',
        );
        assert.equal(entries.find((e) => e.sampleId === m.sampleId)?.personId, m.personId);
      });
    }
  }
}

test('search equals exact brute force for every aggregation rule and for odd dimensions', () => {
  const rng = createRng(1);
  for (const dim of [128, 100, 512]) {
    const entries = syntheticGallery(rng, dim === 512 ? 300 : 800, dim);
    const index = EmbeddingIndex.fromEntries('m', entries);
    assert.equal(index.size, entries.length);
    const queries = Array.from({ length: 12 }, () =>
      noisyCopy(rng, entries[rng.int(entries.length)].vector, 0.7),
    );
    assertAgrees(index, entries, queries, 5);
  }
});

test('the index follows removals, moves, person deletion and merges', () => {
  const rng = createRng(2);
  let entries = syntheticGallery(rng, 600, 64);
  const index = EmbeddingIndex.fromEntries('m', entries);
  const queries = (): Float32Array[] =>
    Array.from({ length: 10 }, () => noisyCopy(rng, entries[rng.int(entries.length)].vector, 0.7));

  for (const e of entries.filter((_, i) => i % 3 === 0)) assert.equal(index.remove(e.sampleId), true);
  entries = entries.filter((_, i) => i % 3 !== 0);
  assert.equal(index.remove(entries.length + 10_000), false);
  for (const e of entries.filter((_, i) => i % 5 === 0)) {
    e.personId = 1 + ((e.personId + 7) % 600);
    index.move(e.sampleId, e.personId);
  }
  assertAgrees(index, entries, queries(), 3);

  const victim = entries[17].personId;
  index.removePerson(victim);
  entries = entries.filter((e) => e.personId !== victim);
  const [from, into] = [entries[5].personId, entries[40].personId];
  index.mergePerson(from, into);
  for (const e of entries) if (e.personId === from) e.personId = into;
  assert.equal(index.samplesOfPerson(from).length, 0);
  assert.equal(index.size, entries.length);
  assertAgrees(
    index,
    entries,
    [...queries(), ...entries.filter((e) => e.personId === into).map((e) => e.vector)],
    3,
  );

  // Re-adding an existing sample replaces its vector.
  const replaced = entries[0];
  replaced.vector = randomUnitVector(rng, 64);
  index.add(replaced.sampleId, replaced.personId, replaced.vector);
  assert.equal(index.size, entries.length);
  assert.equal(index.search(replaced.vector, 1)[0].sampleId, replaced.sampleId);
});

test('recall@1 against exact search is at least 0.99 on 30k identities with noisy queries', () => {
  const rng = createRng(3);
  const dim = 128;
  const people = 30_000;
  const vectors = Array.from({ length: people }, () => randomUnitVector(rng, dim));
  const index = new EmbeddingIndex('m');
  index.reserve(people);
  vectors.forEach((v, i) => index.add(i + 1, i + 1, v));
  let agree = 0;
  const queries = 200;
  for (let i = 0; i < queries; i++) {
    const q = noisyCopy(rng, vectors[rng.int(people)], 0.6);
    let best = 0;
    let bestSimilarity = -Infinity;
    vectors.forEach((v, j) => {
      let s = 0;
      for (let t = 0; t < dim; t++) s += v[t] * q[t];
      if (s > bestSimilarity) [best, bestSimilarity] = [j + 1, s];
    });
    if (index.search(q, 1)[0].personId === best) agree++;
  }
  assert.ok(agree / queries >= 0.99, `recall@1 ${agree / queries}`);
});

test('negatives veto only their person, above the threshold', () => {
  const rng = createRng(4);
  const index = new EmbeddingIndex('m');
  const face = randomUnitVector(rng, 128);
  index.add(1, 1, randomUnitVector(rng, 128));
  index.addNegative(1, face);
  assert.equal(index.isVetoed(noisyCopy(rng, face, 0.9), 1, 0.8), true);
  assert.equal(index.isVetoed(noisyCopy(rng, face, 0.9), 2, 0.8), false);
  assert.equal(index.isVetoed(randomUnitVector(rng, 128), 1, 0.8), false);
  index.mergePerson(1, 2);
  assert.equal(index.isVetoed(face, 2, 0.99), true);
});

test('wrong dimensions and degenerate vectors are refused with clear errors', () => {
  const index = new EmbeddingIndex('model-x');
  index.add(1, 1, Float32Array.of(1, 0, 0));
  const code = (c: string) => (e: unknown) => e instanceof VisageError && e.code === c;
  assert.throws(() => index.search(Float32Array.of(1, 0), 1), code('dimension_mismatch'));
  assert.throws(() => index.add(2, 1, Float32Array.of(1, 0, 0, 0)), code('dimension_mismatch'));
  assert.throws(() => index.add(2, 1, new Float32Array(3)), code('invalid_embedding'));
  assert.throws(() => index.search(Float32Array.of(NaN, 0, 0), 1), code('invalid_embedding'));
  assert.deepEqual(new EmbeddingIndex('empty').search(Float32Array.of(1), 3), []);
});

test('an index rebuilt from the database answers like the one kept up to date in memory', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'visage-index-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const rng = createRng(5);
  const entries = syntheticGallery(rng, 200, 128);
  const gallery = Gallery.open(dir);
  const live = gallery.index('m');
  const byPerson = new Map<number, Entry[]>();
  for (const e of entries) byPerson.set(e.personId, [...(byPerson.get(e.personId) ?? []), e]);
  for (const [p, samples] of byPerson) {
    gallery.enrol(
      { name: `person ${p}` },
      samples.map((e) => ({
        contentHash: `s${e.sampleId}`,
        embeddings: [{ modelId: 'm', vector: e.vector }],
      })),
    );
  }
  const people = gallery.people.list();
  gallery.deletePerson(people[3].id);
  gallery.mergePeople(people[10].id, people[11].id);
  const sample = gallery.samples.listByPerson(people[20].id)[0];
  gallery.moveSample(sample.id, people[21].id);
  gallery.removeSample(gallery.samples.listByPerson(people[30].id)[0].id);
  gallery.close();

  const reopened = Gallery.open(dir);
  const rebuilt = reopened.index('m');
  assert.equal(rebuilt.size, live.size);
  for (let i = 0; i < 20; i++) {
    const q = noisyCopy(rng, entries[rng.int(entries.length)].vector, 0.7);
    for (const aggregation of ['nearest', 'trimmed-mean'] as const) {
      assert.deepEqual(rebuilt.search(q, 5, aggregation), live.search(q, 5, aggregation));
    }
  }
  reopened.close();
});
