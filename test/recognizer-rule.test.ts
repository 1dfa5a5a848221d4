// The Recognizer decides with decision.ts's calibrated rule (issue 9), on synthetic vectors (no model
// runs): what it hands the rule (each person's best two samples, exact, from the int8-scan + rescore
// index), the low-quality flag of small samples (kept in memory, reloaded from the stored quality), the
// face's quality and the level, and the explanation every answer carries.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultFlip, FaceAnalyzer } from '../src/engine/analyzer.js';
import { EmbeddingIndex } from '../src/gallery/embedding-index.js';
import { Gallery, LOW_QUALITY_SAMPLE_SIZE } from '../src/gallery/gallery.js';
import { createRng, noisyCopy, randomUnitVector } from '../src/gallery/random.js';
import {
  CALIBRATIONS,
  decide,
  DEFAULT_CALIBRATION,
  normalise,
  type PersonCandidate,
} from '../src/service/recognize/decision.js';
import { Recognizer } from '../src/service/recognize/recognizer.js';

const MODEL = 'dlib-resnet';
const DIM = 128;
const dirs: string[] = [];
after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'visage-rule-'));
  dirs.push(dir);
  return dir;
}

test('searchSamples: the top people by best sample with their best two samples, as an exact search gives', () => {
  const rng = createRng(3);
  const entries: { sampleId: number; personId: number; vector: Float32Array }[] = [];
  for (let p = 1; p <= 400; p++) {
    const identity = randomUnitVector(rng, DIM);
    const n = 1 + rng.int(5);
    for (let s = 0; s < n; s++)
      entries.push({ sampleId: entries.length + 1, personId: p, vector: noisyCopy(rng, identity, 0.85) });
  }
  const index = EmbeddingIndex.fromEntries(MODEL, entries);
  const unit = (v: Float32Array) => {
    const n = Math.hypot(...v);
    return Array.from(v, (x) => x / n);
  };
  for (let i = 0; i < 40; i++) {
    const source = entries[rng.int(entries.length)]!;
    const q = noisyCopy(rng, source.vector, 0.8);
    const qu = unit(q);
    const byPerson = new Map<number, { sampleId: number; similarity: number }[]>();
    for (const e of entries) {
      const s = unit(e.vector).reduce((a, x, j) => a + x * qu[j]!, 0);
      byPerson.set(e.personId, [
        ...(byPerson.get(e.personId) ?? []),
        { sampleId: e.sampleId, similarity: s },
      ]);
    }
    const exact = [...byPerson]
      .map(([personId, samples]) => ({
        personId,
        samples: samples.sort((a, b) => b.similarity - a.similarity).slice(0, 2),
      }))
      .sort((a, b) => b.samples[0]!.similarity - a.samples[0]!.similarity)
      .slice(0, 8);
    const got = index.searchSamples(q, 8, 2);
    assert.deepEqual(
      got.map((p) => [p.personId, p.samples.map((s) => s.sampleId)]),
      exact.map((p) => [p.personId, p.samples.map((s) => s.sampleId)]),
      `query ${i}`,
    );
    got.forEach((p, j) =>
      p.samples.forEach((s, k) =>
        assert.ok(Math.abs(s.similarity - exact[j]!.samples[k]!.similarity) < 1e-5, 'exact similarities'),
      ),
    );
  }
});

function gallery() {
  const rng = createRng(11);
  const g = Gallery.open(tempDir());
  const people = ['Ada', 'Grace', 'Linus'].map((name, p) => {
    const base = randomUnitVector(rng, DIM);
    const vectors = [0, 1, 2].map(() => noisyCopy(rng, base, 0.97));
    const r = g.enrol(
      { name },
      vectors.map((vector, i) => ({
        contentHash: `${p}-${i}`,
        // Ada's first sample was enrolled small (a 30-px face): it is held as low quality.
        quality: { size: p === 0 && i === 0 ? 30 : 120, sharpness: 500, yaw: 0, pitch: 0, roll: 0 },
        embeddings: [{ modelId: MODEL, vector }],
      })),
    );
    return { id: r.person.id, base, vectors, samples: r.added.map((s) => s.id) };
  });
  return { rng, g, people };
}

test('identify is decide() over the best two samples of the nearest people, with the default calibration and its explanation', () => {
  const { rng, g, people } = gallery();
  const recognizer = new Recognizer(g, MODEL, { flip: true });
  assert.equal(recognizer.calibrationKey, DEFAULT_CALIBRATION);
  const cal = CALIBRATIONS[DEFAULT_CALIBRATION]!;
  const norm = cal.models[MODEL]!;
  for (const [i, query] of [
    noisyCopy(rng, people[1]!.base, 0.97),
    people[2]!.vectors[1]!,
    randomUnitVector(rng, DIM),
  ].entries()) {
    for (const level of ['strict', 'balanced', 'lenient'] as const) {
      const quality = { size: 48, sharpness: 300, yaw: 10, pitch: 0, roll: 0 };
      const id = recognizer.identify(query, { quality, level });
      const index = g.searchIndex(MODEL);
      const candidates: PersonCandidate[] = index.searchSamples(query, 16, 2).map((p) => ({
        personId: p.personId,
        samples: p.samples.map((s) => ({
          sampleId: s.sampleId,
          z: normalise(s.similarity, norm),
          lowQuality: s.lowQuality,
        })),
      }));
      const want = decide({ candidates, quality, level, calibration: cal });
      const label = `query ${i} at ${level}`;
      assert.equal(id.decision, want.decision, label);
      assert.equal(id.personId, want.decision === 'match' ? want.personId : null, label);
      assert.equal(id.level, level);
      assert.equal(id.evidence, want.evidence);
      assert.equal(id.evidenceThreshold, want.threshold);
      assert.equal(id.penalty, want.penalty);
      assert.ok(id.penalty > 0, 'a 48-px face is penalised');
      assert.equal(id.requiredMargin, want.requiredMargin);
      assert.equal(id.margin, want.margin);
      // threshold is the distance equivalent of the evidence threshold; distance that of the best sample.
      assert.ok(Math.abs(id.threshold - (1 - (norm.mean + want.threshold * norm.std))) < 1e-12);
      assert.equal(id.candidates[0]!.personId, want.ranked[0]!.personId);
      assert.equal(id.candidates[0]!.sampleId, want.ranked[0]!.sampleId);
      if (id.decision === 'match') assert.ok(id.distance! <= id.threshold, label);
    }
  }
  assert.equal(recognizer.identify(people[1]!.vectors[0]!).name, 'Grace');
  assert.equal(recognizer.identify(randomUnitVector(rng, DIM)).name, null);
  g.close();
});

test('samples enrolled small are flagged low quality in memory (and after a reload), and count less', () => {
  const { g, people } = gallery();
  const [ada] = people;
  const small = ada!.samples[0]!;
  assert.ok(30 < LOW_QUALITY_SAMPLE_SIZE);
  const index = g.searchIndex(MODEL);
  assert.equal(index.isLowQuality(small), true);
  assert.equal(index.isLowQuality(ada!.samples[1]!), false);
  // Reloaded from the database (another process's view): the flag comes from the stored quality.
  const other = Gallery.open(path.dirname(g.db.name));
  assert.equal(other.searchIndex(MODEL).isLowQuality(small), true);
  assert.equal(other.index(MODEL).isLowQuality(ada!.samples[2]!), false);
  other.close();
  // A re-embedding (reindex) keeps the flag.
  g.setEmbedding(small, MODEL, ada!.vectors[0]!);
  assert.equal(index.isLowQuality(small), true);

  const recognizer = new Recognizer(g, MODEL, { flip: true });
  const flagged = recognizer.identify(ada!.vectors[0]!);
  index.setLowQuality(small, false);
  const plain = recognizer.identify(ada!.vectors[0]!);
  const cal = CALIBRATIONS[DEFAULT_CALIBRATION]!;
  assert.ok(
    plain.evidence! - flagged.evidence! > 0.5 * cal.lowQualitySamplePenalty,
    `${plain.evidence} vs ${flagged.evidence}`,
  );
  g.close();
});

test('the face decides: a tiny face is low_quality, a small one needs more evidence; balanced is the default', () => {
  const { g, people } = gallery();
  const recognizer = new Recognizer(g, MODEL, { flip: true });
  const q = people[1]!.vectors[0]!;
  const large = recognizer.identify(q, { quality: { size: 200, sharpness: 600, yaw: 0, pitch: 0, roll: 0 } });
  const small = recognizer.identify(q, { quality: { size: 32, sharpness: 600, yaw: 0, pitch: 0, roll: 0 } });
  const tiny = recognizer.identify(q, { quality: { size: 15, sharpness: 600, yaw: 0, pitch: 0, roll: 0 } });
  assert.equal(large.level, 'balanced');
  assert.equal(large.penalty, 0);
  assert.ok(Math.abs(small.penalty - 0.25) < 1e-9, 'one halving below 64 px: +0.25 z');
  assert.ok(small.evidenceThreshold > large.evidenceThreshold);
  assert.ok(small.threshold < large.threshold, 'in distance units: a small face must be closer');
  assert.equal(tiny.decision, 'low_quality');
  assert.equal(tiny.name, null);
  assert.equal(tiny.candidates[0]!.name, 'Grace', 'who was nearest is still reported');
  g.close();
});

test('the default embedder runs with flip TTA, and only the default (the calibrations say how vectors were made)', async () => {
  assert.equal(defaultFlip('dlib-resnet'), true);
  assert.equal(defaultFlip('fr-feature'), false);
  const analyzer = new FaceAnalyzer({ cacheDir: tempDir() });
  assert.equal(analyzer.embedder.modelId, 'dlib-resnet');
  assert.equal(analyzer.embedder.flip, true);
  assert.equal(new FaceAnalyzer({ cacheDir: tempDir(), flip: false }).embedder.flip, false);
  await analyzer.close();
});
