// The coarse first pass of a large gallery's search (coarse-codes.ts, then the int8 scan of its candidates
// only): its kernel against a plain reference, and the index's answers with it against the exact path
// (int8 scan of every vector) on isotropic and on cone-shaped (face-like) galleries, after mutations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CoarseCodeStore } from '../src/gallery/coarse-codes.js';
import { COARSE_FROM, EmbeddingIndex, type Aggregation } from '../src/gallery/embedding-index.js';
import { createRng, noisyCopy, randomUnitVector, type Rng } from '../src/gallery/random.js';

/** Float reference of the coarse score before the centre is first moved (centre 0, unit 1/√dim). */
function referenceScore(q: Float32Array, x: Float32Array): number {
  const unit = 1 / Math.sqrt(x.length);
  let s = 0;
  for (let j = 0; j < x.length; j++) {
    const level = Math.abs(x[j]) > 0.9816 * unit ? 1.51 : 0.4528;
    s += q[j] * (x[j] > 0 ? level : -level);
  }
  return s;
}

test('coarse candidates hold the best rows by the decoded 2-bit vectors, ascending, for odd dimensions', () => {
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
    const found = store.candidates(q, count, 400);
    assert.ok(found, `${dim}: candidates rather than the whole gallery`);
    const rows = [...found];
    assert.ok(
      rows.every((r, i) => r < count && (i === 0 || rows[i - 1] < r)),
      `${dim}: ascending rows`,
    );
    assert.ok(
      rows.length >= 200 && rows.length <= 0.25 * count,
      `${dim}: ${rows.length} rows for 400 wanted`,
    );
    const kept = new Set(rows);
    const best = vectors
      .slice(0, count)
      .map((v, i) => ({ i, s: referenceScore(q, v) }))
      .sort((a, b) => b.s - a.s)
      .slice(0, 100);
    assert.deepEqual(
      best.filter((b) => !kept.has(b.i)),
      [],
      `${dim}: the 100 best rows by the reference are candidates`,
    );
    assert.ok(kept.has(7), `${dim}: the query's source is a candidate`);
  }
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
