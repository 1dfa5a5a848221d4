// The open-set decision rule (src/service/recognize/decision.ts): properties that can fail, on the shipped
// calibrations; and, with the real models, the new embedders on real faces (same person closer than
// different people), flip test-time augmentation, and the plain-ONNX model source.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FaceAnalyzer } from '../src/engine/analyzer.js';
import { FaceEmbedder, l2normalize, mirror } from '../src/engine/embed/embedder.js';
import { largestFace, type FaceQuality } from '../src/engine/face.js';
import { decodeImage } from '../src/engine/image/decode.js';
import { loadModelBytes } from '../src/engine/models/cache.js';
import { getModelSpec } from '../src/engine/models/catalog.js';
import { packageDir } from '../src/engine/models/packages.js';
import {
  CALIBRATIONS,
  DEFAULT_CALIBRATION,
  decide,
  fuse,
  qualityPenalty,
  SECURITY_LEVELS,
  type Calibration,
  type PersonCandidate,
} from '../src/service/recognize/decision.js';

const FACES = path.resolve(import.meta.dirname, '../../shared/faces');
const MODEL_CACHE = path.join(os.tmpdir(), 'visage-test-models');

const GOOD: FaceQuality = { size: 160, sharpness: 600, yaw: 0, pitch: 0, roll: 0 };
const cal: Calibration = CALIBRATIONS[DEFAULT_CALIBRATION]!;
const person = (personId: number, ...z: number[]): PersonCandidate => ({
  personId,
  samples: z.map((v, i) => ({ sampleId: personId * 100 + i, z: v })),
});

test('the default calibration exists and its levels are ordered strict > balanced > lenient', () => {
  assert.ok(cal, `CALIBRATIONS has ${DEFAULT_CALIBRATION}`);
  for (const c of Object.values(CALIBRATIONS)) {
    assert.ok(c.thresholds.strict > c.thresholds.balanced && c.thresholds.balanced > c.thresholds.lenient);
  }
});

test('a small face needs a higher score than a large one to be named', () => {
  const small: FaceQuality = { ...GOOD, size: 30 };
  assert.ok(qualityPenalty(small, cal.quality) > 0);
  assert.equal(qualityPenalty(GOOD, cal.quality), 0);
  // The runner-up is far behind, so the face gets the full margin credit (if the calibration has one).
  const t = cal.thresholds.balanced - (cal.marginCredit ? cal.marginCredit.weight * cal.marginCredit.cap : 0);
  const z = t + 0.05; // just above the large face's threshold (one sample: evidence = z)
  const candidates = [person(1, z), person(2, t - 3)];
  const large = decide({ candidates, quality: GOOD, calibration: cal });
  const tiny = decide({ candidates, quality: small, calibration: cal });
  assert.equal(large.decision, 'match');
  assert.equal(tiny.decision, 'above_threshold');
  assert.ok(tiny.threshold > large.threshold, 'the small face was held to a higher threshold');
  assert.equal(tiny.personId, 1, 'an unknown face still says who was nearest');
  const below = decide({ candidates, quality: { ...GOOD, size: cal.quality.minSize - 1 }, calibration: cal });
  assert.equal(below.decision, 'low_quality');
});

test('ambiguous when the runner-up is within the margin; a match when it is clearly behind', () => {
  const z = cal.thresholds.balanced + 2;
  const close = decide({
    candidates: [person(1, z), person(2, z - cal.margin / 2)],
    quality: GOOD,
    calibration: cal,
  });
  assert.equal(close.decision, 'ambiguous');
  assert.ok(close.margin < close.requiredMargin);
  const clear = decide({
    candidates: [person(1, z), person(2, z - 2 * cal.margin)],
    quality: GOOD,
    calibration: cal,
  });
  assert.equal(clear.decision, 'match');
  assert.equal(clear.personId, 1);
  // Known look-alikes need the extra margin on top.
  const withLookalike = { ...cal, lookalikeMargin: 1 };
  const a: PersonCandidate = { ...person(1, z), lookalikes: [2] };
  const r = decide({
    candidates: [a, person(2, z - 1.5 * cal.margin)],
    quality: GOOD,
    calibration: withLookalike,
  });
  assert.equal(r.decision, 'ambiguous');
  assert.equal(decide({ candidates: [], quality: GOOD, calibration: cal }).decision, 'empty_gallery');
});

test('margin-aware acceptance: a clear lead over the runner-up lowers the threshold, a bare one does not', () => {
  const mc = cal.marginCredit;
  assert.ok(mc && mc.weight > 0, 'the default calibration has a margin credit');
  const t = cal.thresholds.balanced;
  const full = mc.weight * mc.cap;
  const z = t - full / 2; // below the level's threshold, above it minus the full credit
  const clear = decide({
    candidates: [person(1, z), person(2, z - cal.margin - 2 * mc.cap)],
    quality: GOOD,
    calibration: cal,
  });
  assert.equal(clear.decision, 'match');
  assert.ok(Math.abs(clear.credit - full) < 1e-9 && Math.abs(clear.threshold - (t - full)) < 1e-9);
  const bare = decide({
    candidates: [person(1, z), person(2, z - cal.margin - 0.01)],
    quality: GOOD,
    calibration: cal,
  });
  assert.equal(bare.decision, 'above_threshold');
  assert.ok(bare.credit < full && bare.credit > 0);
  // Below the required margin: no credit, and still 'ambiguous' when the evidence is high enough.
  const within = decide({
    candidates: [person(1, t + 1), person(2, t + 1 - cal.margin / 2)],
    quality: GOOD,
    calibration: cal,
  });
  assert.equal(within.decision, 'ambiguous');
  assert.equal(within.credit, 0);
  // One enrolled person (no runner-up) takes the full credit.
  assert.equal(decide({ candidates: [person(1, z)], quality: GOOD, calibration: cal }).credit, full);
});

test('strict ⊂ balanced ⊂ lenient: what a stricter level names, a laxer one names the same way', () => {
  let seed = 12345;
  const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  let named = { strict: 0, balanced: 0, lenient: 0 };
  for (const c of Object.values(CALIBRATIONS)) {
    for (let i = 0; i < 2000; i++) {
      const people = Array.from({ length: 1 + Math.floor(rand() * 8) }, (_, p) =>
        person(p, ...Array.from({ length: 1 + Math.floor(rand() * 3) }, () => rand() * 6 - 1)),
      );
      const quality = {
        ...GOOD,
        size: 15 + rand() * 150,
        sharpness: 50 + rand() * 800,
        yaw: rand() * 80 - 40,
      };
      const r = Object.fromEntries(
        SECURITY_LEVELS.map((level) => [
          level,
          decide({ candidates: people, quality, level, calibration: c }),
        ]),
      );
      for (const [strict, lax] of [
        ['strict', 'balanced'],
        ['balanced', 'lenient'],
      ] as const) {
        if (r[strict]!.decision === 'match') {
          assert.equal(r[lax]!.decision, 'match');
          assert.equal(r[lax]!.personId, r[strict]!.personId);
        }
      }
      for (const level of SECURITY_LEVELS) if (r[level]!.decision === 'match') named[level]++;
    }
  }
  assert.ok(named.strict < named.balanced && named.balanced < named.lenient, JSON.stringify(named));
  named = { strict: 0, balanced: 0, lenient: 0 };
});

test('a second sample close to the face adds evidence; a low-quality sample counts less', () => {
  const z = cal.thresholds.balanced;
  const one = decide({ candidates: [person(1, z + 0.1, z - 3)], quality: GOOD, calibration: cal });
  const two = decide({ candidates: [person(1, z + 0.1, z + 0.1)], quality: GOOD, calibration: cal });
  assert.ok(two.evidence! > one.evidence!);
  const lq = { ...cal, lowQualitySamplePenalty: 0.5 };
  const flagged: PersonCandidate = { personId: 1, samples: [{ sampleId: 1, z: z + 0.1, lowQuality: true }] };
  assert.ok(decide({ candidates: [flagged], quality: GOOD, calibration: lq }).evidence! < z + 0.1);
});

test('fusion averages the z-scores of the calibration’s models', () => {
  const c = CALIBRATIONS['dlib-resnet+fr-feature']!;
  const sims = Object.fromEntries(Object.entries(c.models).map(([m, n]) => [m, n.mean + 2 * n.std]));
  assert.ok(Math.abs(fuse(sims, c) - 2) < 1e-9);
  assert.throws(() => fuse({ 'dlib-resnet': 0.9 }, c), /fr-feature/);
});

// ---------------------------------------------------------------- real models on real faces

const PHOTOS = {
  obama: ['knn/train/obama/obama.jpg', 'knn/train/obama/obama2.jpg'],
  biden: ['knn/train/biden/biden.jpg', 'knn/train/biden/biden2.jpg'],
  rose: ['knn/train/rose_leslie/img1.jpg', 'knn/train/rose_leslie/img2.jpg'],
};

test('new embedders: same person closer than different people; flip TTA; plain ONNX source', async () => {
  const analyzer = new FaceAnalyzer({ cacheDir: MODEL_CACHE });
  try {
    const faces: { who: string; image: Awaited<ReturnType<typeof decodeImage>>; kp: [number, number][] }[] =
      [];
    for (const [who, files] of Object.entries(PHOTOS)) {
      for (const f of files) {
        const image = await decodeImage(path.join(FACES, f));
        const face = largestFace(await analyzer.detect(image));
        assert.ok(face, `a face in ${f}`);
        faces.push({ who, image, kp: face.keypoints });
      }
    }
    for (const id of ['faceres-deep', 'mobileface', 'fr-feature']) {
      const e = new FaceEmbedder(analyzer.runtime, id);
      const v: Float32Array[] = [];
      for (const f of faces) v.push((await e.embed(f.image, [f.kp]))[0]!.embedding);
      const dim = getModelSpec(id).embedding!.dim;
      for (const x of v) {
        assert.equal(x.length, dim);
        assert.ok(x.every(Number.isFinite));
      }
      const cos = (a: Float32Array, b: Float32Array): number => a.reduce((s, x, i) => s + x * b[i]!, 0);
      let worstSame = Infinity;
      let bestDiff = -Infinity;
      for (let i = 0; i < v.length; i++) {
        for (let j = i + 1; j < v.length; j++) {
          const c = cos(v[i]!, v[j]!);
          if (faces[i]!.who === faces[j]!.who) worstSame = Math.min(worstSame, c);
          else bestDiff = Math.max(bestDiff, c);
        }
      }
      assert.ok(
        worstSame > bestDiff,
        `${id}: same ${worstSame.toFixed(3)} vs different ${bestDiff.toFixed(3)}`,
      );

      // Flip TTA = the renormalised mean of the crop's and its mirror image's embeddings.
      const flipped = new FaceEmbedder(analyzer.runtime, id, { flip: true });
      const [crop] = e.align(faces[0]!.image, [faces[0]!.kp]);
      const [a] = await e.embedCrops([crop!]);
      const [b] = await e.embedCrops([mirror(crop!)]);
      const expected = l2normalize(a!.map((x, k) => x + b![k]!));
      const [got] = await flipped.embedCrops([crop!]);
      assert.ok(cos(got!, expected) > 0.99999, `${id}: flip TTA`);
    }

    // A plain ONNX file is used as it is: the cached model is the package's file, byte for byte.
    const spec = getModelSpec('fr-feature');
    assert.equal(spec.source.converter, 'onnx-file');
    assert.ok(spec.optIn, 'fr-feature is opt-in');
    const bytes = await loadModelBytes(spec, MODEL_CACHE);
    const original = fs.readFileSync(path.join(packageDir(spec.source.package), spec.source.file));
    const sha = (x: Uint8Array): string => createHash('sha256').update(x).digest('hex');
    assert.equal(sha(bytes), sha(original));
  } finally {
    await analyzer.close();
  }
});

test('end to end: a known face is named, the same face is unknown once its person is removed', async () => {
  const analyzer = new FaceAnalyzer({ cacheDir: MODEL_CACHE });
  try {
    const c = CALIBRATIONS[DEFAULT_CALIBRATION]!;
    const [model] = Object.keys(c.models);
    const e = new FaceEmbedder(analyzer.runtime, model!, { flip: c.flip });
    const embed = async (f: string): Promise<{ v: Float32Array; q: FaceQuality }> => {
      const image = await decodeImage(path.join(FACES, f));
      const face = largestFace(await analyzer.detect(image))!;
      return { v: (await e.embed(image, [face.keypoints]))[0]!.embedding, q: face.quality! };
    };
    const gallery = {
      1: [await embed(PHOTOS.obama[0]!)],
      2: await Promise.all(PHOTOS.biden.map(embed)),
      3: await Promise.all(PHOTOS.rose.map(embed)),
    };
    const probe = await embed(PHOTOS.obama[1]!);
    const candidatesOf = (people: number[]): PersonCandidate[] =>
      people.map((p) => ({
        personId: p,
        samples: gallery[p as 1 | 2 | 3].map((s, i) => ({
          sampleId: p * 10 + i,
          z: fuse({ [model!]: probe.v.reduce((acc, x, k) => acc + x * s.v[k]!, 0) }, c),
        })),
      }));
    const known = decide({ candidates: candidatesOf([1, 2, 3]), quality: probe.q, calibration: c });
    assert.equal(known.decision, 'match');
    assert.equal(known.personId, 1);
    const stranger = decide({ candidates: candidatesOf([2, 3]), quality: probe.q, calibration: c });
    assert.notEqual(stranger.decision, 'match');
  } finally {
    await analyzer.close();
  }
});
