// Issue 10's clustering figure: every BBT scene recognised with an empty gallery, so every face is
// unknown and joins a cluster as it is stored; each cluster should hold one person's faces (purity ≥
// 95 %), and we report how many clusters each person is split into. Then the review's verbs on those
// clusters: name (through enrolment's checks), merge, split, dismiss, and re-clustering.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { facePath, inLabelOrder, loadLabels } from '../bench/dataset.js';
import { cosineDistance } from '../src/engine/compare.js';
import { MIN_FACES } from '../src/service/unknowns/unknowns.js';
import { Visage } from '../src/service/visage.js';
import { freshDataDir } from './support/server.js';
import { storeOptions } from './support/store.js';

const labels = loadLabels();
const bbt = Object.keys(labels.scenes).filter((s) => path.basename(s).startsWith('bbt'));
const dataDir = freshDataDir('unknowns');
const visage = new Visage({ dataDir, ...storeOptions(dataDir) });
after(() => visage.close());

/**
 * The labels list faces by horizontal centre, but two faces in two rows can have centres a few pixels
 * apart and the labeller's boxes may order such a pair the other way (bbt4: leonard, bottom left, is
 * left of amy by our boxes). bench/recognition.ts swaps such a pair by the names recognised; with nobody
 * enrolled there are none, so a near pair is put whichever way round matches people/<name>'s crops
 * better (the nearest crop of each name, summed).
 */
async function resolveNearPairs<T extends { box: { x: number; width: number }; eventId?: number }>(
  faces: T[],
  names: readonly string[],
): Promise<T[]> {
  const out = [...faces];
  const centre = (f: T): number => f.box.x + f.box.width / 2;
  for (let i = 0; i + 1 < out.length; i++) {
    const [a, b] = [out[i]!, out[i + 1]!];
    if (centre(b) - centre(a) >= (a.box.width + b.box.width) / 4) continue;
    const d = async (f: T, name: string) =>
      nearestCrop(visage.gallery.events.embedding(f.eventId!)!.vector, name);
    const kept = (await d(a, names[i]!)) + (await d(b, names[i + 1]!));
    const swapped = (await d(a, names[i + 1]!)) + (await d(b, names[i]!));
    if (swapped < kept) [out[i], out[i + 1]] = [b, a];
  }
  return out;
}

const crops = new Map<string, Float32Array[]>();
/** Cosine distance from a face to the nearest of people/<name>'s crops (not enrolled: only looked at). */
async function nearestCrop(v: Float32Array, name: string): Promise<number> {
  if (!crops.has(name)) {
    const dir = facePath(`people/${name}`);
    const vectors: Float32Array[] = [];
    for (const f of fs.readdirSync(dir)) {
      const faces = await visage.faces.analyzer.analyze(
        await visage.faces.loadImage(fs.readFileSync(path.join(dir, f))),
      );
      if (faces[0]?.embedding) vectors.push(faces[0].embedding);
    }
    crops.set(name, vectors);
  }
  return Math.min(...crops.get(name)!.map((c) => cosineDistance(c, v)));
}

/** Who each stored event shows, by the scenes' labels (left to right; optional faces left out). */
const truth = new Map<number, string>();

test('BBT scenes with an empty gallery: clusters ≥ 95 % one person each', async () => {
  for (const scene of bbt) {
    const r = await visage.photos.recognizeFile(facePath(scene));
    assert.ok('faces' in r, JSON.stringify(r));
    const listed = labels.scenes[scene]!.faces;
    const { listed: faces } = inLabelOrder(r.faces, listed.length);
    (await resolveNearPairs(faces, listed)).forEach((f, i) => truth.set(f.eventId!, listed[i]!));
    assert.ok(r.faces.every((f) => f.name === null && f.eventId !== undefined));
  }
  const clusters = visage.unknowns.list({ all: true }).map((c) => visage.unknowns.show(c.id));
  let majority = 0;
  let labelled = 0;
  /** Per person: the clusters holding any of their faces. */
  const clustersOf = new Map<string, Set<number>>();
  for (const c of clusters) {
    const people = c.members.flatMap((m) => truth.get(m.eventId) ?? []);
    const counts = new Map<string, number>();
    for (const p of people) {
      counts.set(p, (counts.get(p) ?? 0) + 1);
      clustersOf.set(p, (clustersOf.get(p) ?? new Set()).add(c.cluster.id));
    }
    const top = [...counts].sort((a, b) => b[1] - a[1])[0];
    if (!top) continue;
    majority += top[1];
    labelled += people.length;
  }
  const purity = majority / labelled;
  const perPerson = [...clustersOf].map(([p, set]) => [p, set.size] as const).sort();
  const numbered = clusters.filter((c) => c.cluster.number !== null);
  const report = {
    faces: labelled,
    clusters: clusters.length,
    numbered: numbered.length,
    purity: Number((100 * purity).toFixed(1)),
    clustersPerPerson: Number((perPerson.reduce((n, [, k]) => n + k, 0) / perPerson.length).toFixed(2)),
    perPerson: Object.fromEntries(perPerson),
    numberedSizes: numbered.map(
      (c) => `#${c.cluster.number}: ${c.members.map((m) => truth.get(m.eventId) ?? '?').join(',')}`,
    ),
  };
  console.log(`unknowns clustering: ${JSON.stringify(report)}`);
  fs.mkdirSync(path.resolve(import.meta.dirname, '../test-output/unknowns'), { recursive: true });
  fs.writeFileSync(
    path.resolve(import.meta.dirname, '../test-output/unknowns/bbt-clusters.json'),
    JSON.stringify(report, null, 1),
  );
  assert.ok(purity >= 0.95, `purity ${purity}`);
  // Measured 1.57 with int8 dlib-resnet, 1.43 in float32 (22 faces, 7 people; bbt1's fake beards split some).
  assert.ok(report.clustersPerPerson <= 2, `${report.clustersPerPerson} clusters per person`);
  assert.ok(numbered.length >= 2, 'at least two people seen 3+ times become "Unknown #N"');
  assert.ok(numbered.every((c) => c.cluster.faces >= MIN_FACES));
  // What the review shows must be cleaner still: every numbered cluster one person.
  for (const c of numbered) assert.equal(new Set(c.members.map((m) => truth.get(m.eventId))).size, 1);
});

test('the same scene again adds no events and no cluster faces', async () => {
  const before = visage.events.list().total;
  const faces = visage.unknowns.list({ all: true }).reduce((n, c) => n + c.faces, 0);
  const r = await visage.photos.recognizeFile(facePath(bbt[0]!));
  assert.ok('faces' in r);
  assert.equal(visage.events.list().total, before);
  assert.equal(
    visage.unknowns.list({ all: true }).reduce((n, c) => n + c.faces, 0),
    faces,
  );
  assert.ok(r.faces.every((f) => truth.has(f.eventId!) || f.eventId !== undefined));
});

test('split, merge, dismiss and restore keep numbers and faces', () => {
  const [a, b] = visage.unknowns.list();
  assert.ok(a && b, 'two numbered clusters');
  const victim = visage.unknowns.show(a.id).members.at(-1)!.eventId;
  const alone = visage.unknowns.split(a.id, victim);
  assert.equal(alone.faces, 1);
  assert.equal(visage.unknowns.show(a.id).cluster.faces, a.faces - 1);
  const into = visage.unknowns.merge(alone.id, b.id);
  assert.equal(into.faces, b.faces + 1);
  assert.equal(visage.unknowns.show(alone.id).cluster.status, 'merged');
  assert.throws(() => visage.unknowns.merge(b.id, b.id), /itself/);
  visage.unknowns.dismiss(b.id);
  assert.ok(!visage.unknowns.list().some((c) => c.id === b.id), 'dismissed clusters leave the review');
  visage.unknowns.restore(b.id);
  assert.ok(visage.unknowns.list().some((c) => c.id === b.id && c.number === b.number));
});

test('re-clustering rebuilds the clusters and keeps their numbers', async () => {
  const before = visage.unknowns.list().map((c) => c.number);
  const r = await visage.unknowns.recluster();
  assert.equal(r.reembedded, 0);
  assert.ok(r.faces >= 20);
  const after = visage.unknowns.list().map((c) => c.number);
  assert.ok(
    before.every((n) => after.includes(n)),
    `${before} → ${after}`,
  );
});

test('naming a cluster enrols its faces through the checks and corrects their events', async () => {
  const [c] = visage.unknowns.list();
  const members = visage.unknowns.show(c!.id).members.map((m) => m.eventId);
  const who = truth.get(members[0]!)!;
  const report = await visage.unknowns.name(c!.id, who);
  assert.equal(report.person?.name, who);
  assert.equal(report.created, true);
  assert.ok(report.accepted.length >= 1);
  assert.equal(report.accepted.length + report.rejected.length, members.length);
  for (const r of report.rejected) assert.ok(r.reason && r.message, JSON.stringify(r));
  for (const a of report.accepted)
    assert.equal(
      visage.events.list({ personId: report.person!.id }).items.some((e) => e.id === a.eventId),
      true,
    );
  assert.equal(visage.people.find(who).id, report.person!.id);
  assert.equal(report.cluster.status, report.rejected.length === 0 ? 'named' : 'open');
  // The same scene recognised now names the person (the enrolled faces are the gallery).
  const r = await visage.photos.recognizeFile(facePath(bbt[2]!));
  assert.ok('faces' in r && r.faces.some((f) => f.name === who));
});
