// The coarse first pass of a large gallery's search (coarse-codes.ts, then the int8 scan of its candidates
// only): its bound against exact similarities, and the index's answers with it against the exact path
// (int8 scan of every vector) on isotropic and on cone-shaped (face-like) galleries, after mutations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CoarseCodeStore } from '../src/gallery/coarse-codes.js';
import { COARSE_FROM, EmbeddingIndex, type Aggregation } from '../src/gallery/embedding-index.js';
import { createRng, noisyCopy, randomUnitVector, type Rng } from '../src/gallery/random.js';

test('coarse candidates hold every row that may reach the bound, ascending, for odd dimensions', () => {
  const rng = createRng(11);
  for (const dim of [128, 101, 512]) {
    const n = 40_007;
    const vectors = Array.from({ length: n }, () => randomUnitVector(rng, dim));
    const store = new CoarseCodeStore(dim);
    store.reserve(n);
    vectors.forEach((v, i) => store.set(i, v));
    // A removal fills the hole with the last row (EmbeddingIndex.remove).
    store.copy(n - 1, 5);
    vectors[5] = vectors[n - 1];
    const count = n - 1;
    const q = noisyCopy(rng, vectors[7], 0.7);
    const similarity = vectors.slice(0, count).map((v) => v.reduce((s, x, j) => s + x * q[j], 0));
    let bound = 0;
    let seeds = 0;
    const found = store.candidates(q, count, (rows) => {
      seeds = rows.length;
      // The 16th best of the seed rows, as EmbeddingIndex passes for one-sample people.
      bound = [...rows].map((r) => similarity[r]).sort((a, b) => b - a)[15];
      return bound;
    });
    assert.ok(seeds >= 16 && seeds < 1000, `${dim}: ${seeds} seed rows`);
    // 512 dimensions leave the i16 sums 8× coarser tables than 128 (coarse-codes.ts): the full scan.
    if (dim === 512 && !found) continue;
    assert.ok(found, `${dim}: candidates rather than the whole gallery`);
    const rows = [...found];
    assert.ok(
      rows.every((r, i) => r < count && (i === 0 || rows[i - 1] < r)),
      `${dim}: ascending rows`,
    );
    assert.ok(rows.length <= 0.25 * count, `${dim}: ${rows.length} rows kept`);
    const kept = new Set(rows);
    const missed = similarity.map((s, i) => ({ i, s })).filter((r) => r.s >= bound && !kept.has(r.i));
    assert.deepEqual(
      missed,
      [],
      `${dim}: every row at or above the bound ${bound.toFixed(3)} is a candidate`,
    );
    assert.ok(kept.has(7), `${dim}: the query's source is a candidate`);
  }
});

test('a row whose error bound exceeds the stored range is always a candidate', () => {
  const rng = createRng(14);
  const dim = 64;
  const n = 4_000;
  const store = new CoarseCodeStore(dim);
  store.reserve(n);
  // Before any re-centring the codes assume components of about 1/√dim: a spike errs far beyond that.
  const spike = new Float32Array(dim);
  spike[3] = 1;
  for (let i = 0; i < n; i++) store.set(i, i === 1234 ? spike : randomUnitVector(rng, dim));
  const q = randomUnitVector(rng, dim);
  const found = store.candidates(q, n, () => 0.99);
  assert.ok(found && [...found].includes(1234), 'the outlier is kept');
  store.copy(1234, 10);
  assert.ok([...store.candidates(q, n, () => 0.99)!].includes(10), 'its copy is kept too');
});

/**
 * People with 1–4 samples: an identity plus per-photo noise. With a `center`, identities lie in a cone
 * around it, each at its own angle (center · 0.5–2 + a random direction), as face embeddings do.
 */
function gallery(rng: Rng, people: number, dim: number, center: Float32Array): Float32Array[][] {
  return Array.from({ length: people }, () => {
    const along = 0.5 + 1.5 * rng.next();
    const identity = randomUnitVector(rng, dim).map((x, j) => along * center[j] + x);
    return Array.from({ length: 1 + rng.int(4) }, () => noisyCopy(rng, identity, 0.85));
  });
}

/** Asserts both paths answer alike; returns how many queries the coarse pass did narrow. */
function assertCoarseEqualsExact(index: EmbeddingIndex, queries: Float32Array[]): number {
  let narrowed = 0;
  for (const q of queries) {
    index.coarseFrom = Infinity;
    const exact = index.searchSamples(q, 16, 2);
    const byRule = (['nearest', 'mean', 'trimmed-mean'] as Aggregation[]).map((a) => index.search(q, 5, a));
    index.coarseFrom = 0;
    assert.deepEqual(index.searchSamples(q, 16, 2), exact, 'the 16 people, their best two samples, exactly');
    if (index.lastScanned < index.size) narrowed++;
    (['nearest', 'mean', 'trimmed-mean'] as Aggregation[]).forEach((a, i) =>
      assert.deepEqual(index.search(q, 5, a), byRule[i], a),
    );
  }
  index.coarseFrom = COARSE_FROM;
  return narrowed;
}

for (const [shape, centerLength] of [
  ['isotropic', 0],
  ['cone-shaped (face-like)', 1.5],
] as const) {
  test(`on a ${shape} gallery the coarse pass answers as the exact path, also after mutations`, () => {
    const rng = createRng(centerLength === 0 ? 12 : 13);
    const dim = 128;
    const center = randomUnitVector(rng, dim).map((x) => x * centerLength);
    const people = gallery(rng, 24_000, dim, center);
    const index = new EmbeddingIndex('m');
    let sampleId = 0;
    const owner: number[] = [];
    people.forEach((samples, p) =>
      samples.forEach((v) => {
        index.add(++sampleId, p + 1, v);
        owner[sampleId] = p + 1;
      }),
    );
    assert.ok(index.size > 50_000, `${index.size} vectors: several times the candidate floor`);
    const queries = (): Float32Array[] =>
      Array.from({ length: 25 }, () => {
        const samples = people[rng.int(people.length)];
        return noisyCopy(rng, samples[rng.int(samples.length)], 0.8);
      });
    // A crowd of near-equals at the top sends some cone queries to the full scan (coarse-codes.ts).
    const least = centerLength === 0 ? 25 : 8;
    const narrowed = assertCoarseEqualsExact(index, queries());
    assert.ok(narrowed >= least, `the coarse pass narrowed ${narrowed} of 25 searches`);

    for (let id = 1; id <= sampleId; id += 7) index.remove(id);
    for (let id = 3; id <= sampleId; id += 11)
      if (index.has(id)) index.move(id, 1 + ((owner[id] + 5) % 24_000));
    index.removePerson(1);
    index.mergePerson(2, 3);
    assertCoarseEqualsExact(index, queries());
  });
}
