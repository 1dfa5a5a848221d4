// Study of a second opinion for borderline faces (issue 9's scene criterion; MODELS.md, "Borderline
// faces"): the default (dlib-resnet+flip, decision.ts's shipped calibration) decides first; a face it
// leaves unknown (above threshold or ambiguous) whose evidence lies within DELTA z below the threshold
// that applied to it is decided again, through decide(), on other evidence:
//   second MODEL  the z-mean fusion of dlib-resnet+flip with MODEL (MODEL's plain vectors; --flip2: its
//                 flip-TTA ones), z-normalised by MODEL's impostor statistics on dev
//   jitter        dlib-resnet on the aligned crop, its mirror and six jittered alignments (scale ±5 %,
//                 shift ±3 % of the eye distance in x and y), averaged; --side=probe (default) | gallery |
//                 both says whose vectors are jittered, --all decides every face on it (no cascade)
// The second stage's thresholds three ways: the default's own (the jitter scores are on the same z
// scale), fitted alone on the dev halves like any calibration ('independent'), or fitted so the cascade
// as a whole names at most 0.75 % of dev's stranger probes with 0 wrong ('cascade'). Same protocol as
// bench/openset.ts (40/40 halves both ways, 2-fold held-out over identities, each person removed in
// turn, gallery sizes, people/ and knn/ scenes at balanced). Not the product: nothing here is shipped.
// Usage: node --import tsx bench/openset-borderline.ts second fr-feature [--flip2] [--delta=1]
//        node --import tsx bench/openset-borderline.ts jitter [--side=probe] [--delta=1] [--all]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FaceAnalyzer } from '../src/engine/analyzer.js';
import { FaceEmbedder, mirror } from '../src/engine/embed/embedder.js';
import { decodeImage } from '../src/engine/image/decode.js';
import type { Point } from '../src/engine/types.js';
import { CALIBRATIONS, decide, type Calibration, type ModelNorm } from '../src/service/recognize/decision.js';
import { loadFaces, OUT_DIR, type FaceRecord } from './openset-data.js';
import {
  add,
  byPerson,
  candidatesFor,
  count,
  dot,
  fitThresholds,
  halfScenario,
  measureNorm,
  simMatrix,
  swapNeighbours,
  TARGET,
  vectorOf,
  zero,
  type Counts,
  type ProbeOutcome,
  type Scenario,
  type Scored,
} from './openset-eval.js';

const [mode = 'second', model = 'fr-feature'] = process.argv.slice(2);
const flag = (name: string): string | undefined =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const DELTA = Number(flag('delta') ?? 1);
const SIDE = flag('side') ?? 'probe';
const ALL = process.argv.includes('--all');
const LEVEL = 'balanced';
const DEFAULT = CALIBRATIONS['dlib-resnet+flip']!;

const all = await loadFaces('full');
const dev = all.filter((f) => f.set === 'dev');
const people = byPerson(dev);
const names = [...people.keys()];
const personIds = new Map(names.map((p, i) => [p, i]));
const halfA = new Set(names.filter((_, i) => i % 2 === 0));
const halfB = new Set(names.filter((_, i) => i % 2 === 1));
const foldOf = new Map(names.map((p, i) => [p, i % 4 < 2 ? 0 : 1]));
const halves = [halfScenario('A/B', people, halfA, halfB), halfScenario('B/A', people, halfB, halfA)];
const foldHalves = (k: number): Scenario[] => {
  const a = new Set([...halfA].filter((p) => foldOf.get(p) === k));
  const b = new Set([...halfB].filter((p) => foldOf.get(p) === k));
  return [halfScenario(`fold ${k} A/B`, people, a, b), halfScenario(`fold ${k} B/A`, people, b, a)];
};

// ---------------------------------------------------------------- the jittered vectors
const JITTERS = [
  { scale: 0.95, dx: 0, dy: 0 },
  { scale: 1.05, dx: 0, dy: 0 },
  { scale: 1, dx: 0.03, dy: 0 },
  { scale: 1, dx: -0.03, dy: 0 },
  { scale: 1, dx: 0, dy: 0.03 },
  { scale: 1, dx: 0, dy: -0.03 },
];

/** Key points moved so the crop shows the face `scale`× larger and shifted by (dx, dy) eye distances. */
function jittered(kp: readonly Point[], j: (typeof JITTERS)[number]): Point[] {
  const cx = kp.reduce((s, p) => s + p[0], 0) / kp.length;
  const cy = kp.reduce((s, p) => s + p[1], 0) / kp.length;
  const d = Math.hypot(kp[1]![0] - kp[0]![0], kp[1]![1] - kp[0]![1]);
  return kp.map(([x, y]) => [cx + (x - cx) / j.scale + j.dx * d, cy + (y - cy) / j.scale + j.dy * d]);
}

/** Per face: the normalised mean of dlib-resnet's plain, mirrored and jittered (and mirrored) vectors. */
async function jitterVectors(): Promise<Map<FaceRecord, Float32Array>> {
  const file = path.join(OUT_DIR, 'cache', 'jitter-v1-int8-dlib-resnet.json');
  const byFile = new Map<string, FaceRecord[]>();
  for (const f of all) byFile.set(f.file, [...(byFile.get(f.file) ?? []), f]);
  let cache: Record<string, number[][]> = {};
  try {
    cache = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, number[][]>;
  } catch {
    const analyzer = new FaceAnalyzer({ cacheDir: path.join(os.tmpdir(), 'visage-bench-models') });
    const e = new FaceEmbedder(analyzer.runtime, 'dlib-resnet');
    for (const [photo, faces] of byFile) {
      const image = await decodeImage(photo);
      for (const [k, f] of faces.entries()) {
        const crops = e.align(
          image,
          JITTERS.map((j) => jittered(f.keypoints, j)),
        );
        const vs = await e.embedCrops([...crops, ...crops.map(mirror)]);
        cache[`${f.set}|${photo}#${k}`] = vs.map((v) => [...v]);
      }
    }
    await analyzer.close();
    fs.writeFileSync(file, JSON.stringify(cache));
  }
  const out = new Map<FaceRecord, Float32Array>();
  for (const [photo, faces] of byFile) {
    for (const [k, f] of faces.entries()) {
      const { plain, mirrored } = f.vectors['dlib-resnet']!;
      const v = new Float32Array(plain.length);
      for (const x of [plain, mirrored, ...cache[`${f.set}|${photo}#${k}`]!])
        for (let i = 0; i < v.length; i++) v[i]! += x[i]!;
      const inv = 1 / Math.sqrt(dot(v, v));
      out.set(
        f,
        v.map((x) => x * inv),
      );
    }
  }
  return out;
}

// ---------------------------------------------------------------- the two stages' scores
type ScoresOf = (rows: FaceRecord[], cols: FaceRecord[]) => Scored;
const zScores = (sim: (r: FaceRecord[], c: FaceRecord[]) => Float32Array, norm: ModelNorm): ScoresOf => {
  return (rows, cols) => {
    const z = sim(rows, cols).map((s) => (s - norm.mean) / norm.std);
    return { faces: rows, cols: cols.length, z };
  };
};
const first = zScores((r, c) => simMatrix(r, c, 'dlib-resnet', true), DEFAULT.models['dlib-resnet']!);
let second: ScoresOf;
let secondModels: Record<string, ModelNorm>;
if (mode === 'second') {
  const flip2 = process.argv.includes('--flip2');
  const norm = measureNorm(dev, simMatrix(dev, dev, model, flip2)).impostor;
  const other = zScores((r, c) => simMatrix(r, c, model, flip2), norm);
  second = (rows, cols) => {
    const [a, b] = [first(rows, cols), other(rows, cols)];
    return { ...a, z: a.z.map((v, i) => (v + b.z[i]!) / 2) };
  };
  secondModels = { 'dlib-resnet': DEFAULT.models['dlib-resnet']!, [model]: norm };
  console.log(
    `second opinion: fusion with ${model}${flip2 ? ' +flip' : ''} (impostor ${JSON.stringify(norm)})`,
  );
} else {
  const jv = await jitterVectors();
  const vec = (f: FaceRecord, jitter: boolean): Float32Array =>
    jitter ? jv.get(f)! : vectorOf(f, 'dlib-resnet', true);
  const sim = (rows: FaceRecord[], cols: FaceRecord[]): Float32Array => {
    const vc = cols.map((f) => vec(f, SIDE !== 'probe'));
    const out = new Float32Array(rows.length * cols.length);
    rows.forEach((r, i) => {
      const a = vec(r, SIDE !== 'gallery');
      vc.forEach((b, j) => (out[i * cols.length + j] = dot(a, b)));
    });
    return out;
  };
  const norm = measureNorm(dev, sim(dev, dev)).impostor;
  second = zScores(sim, norm);
  secondModels = { 'dlib-resnet': norm };
  console.log(`second opinion: jittered alignments (${SIDE}; impostor ${JSON.stringify(norm)})`);
}
const devFirst = first(dev, dev);
const devSecond = second(dev, dev);

// ---------------------------------------------------------------- the cascade
interface Outcome extends ProbeOutcome {
  stage1: ProbeOutcome;
  band: boolean;
}
function decideAll(s: Scored, sc: Scenario, cal: Calibration, ids: Map<string, number>, nm: string[]) {
  return sc.probes.map((probe): ProbeOutcome => {
    const result = decide({
      candidates: candidatesFor(s, probe.face, sc.gallery, ids),
      quality: s.faces[probe.face]!.quality,
      level: LEVEL,
      calibration: cal,
    });
    return { probe, result, best: result.personId === null ? null : nm[result.personId]! };
  });
}
const inBand = ({ result: r }: ProbeOutcome): boolean =>
  ALL ||
  ((r.decision === 'above_threshold' || r.decision === 'ambiguous') &&
    r.evidence !== null &&
    r.evidence >= r.threshold - DELTA);
function cascade(
  s1: Scored,
  s2: Scored,
  sc: Scenario,
  cal2: Calibration,
  ids = personIds,
  nm = names,
): Outcome[] {
  const a = decideAll(s1, sc, DEFAULT, ids, nm);
  const b = decideAll(s2, sc, cal2, ids, nm);
  return a.map((o, i) => ({ ...(inBand(o) ? b[i]! : o), stage1: o, band: inBand(o) }));
}

const unfitted: Calibration = {
  ...DEFAULT,
  models: secondModels,
  thresholds: { strict: 0, balanced: 0, lenient: 0 },
};
const key = (o: ProbeOutcome): number =>
  o.result.decision === 'ambiguous' || o.result.decision === 'low_quality' || o.result.evidence === null
    ? -Infinity
    : o.result.evidence - o.result.penalty + o.result.credit;
const fits: Record<string, (scenarios: Scenario[]) => Calibration> = {
  "default's thresholds": () => ({ ...unfitted, thresholds: DEFAULT.thresholds }),
  independent: (scenarios) => ({
    ...unfitted,
    thresholds: fitThresholds(
      scenarios.flatMap((sc) => decideAll(devSecond, sc, unfitted, personIds, names)),
    ),
  }),
  // The stage-1 strangers named use up the level's allowance first; band strangers get what is left.
  cascade: (scenarios) => {
    const outs = scenarios.flatMap((sc) => cascade(devFirst, devSecond, sc, unfitted));
    const strangers = outs.filter((o) => !o.probe.enrolled);
    const left = Math.max(
      0,
      Math.floor(TARGET[LEVEL] * strangers.length) -
        strangers.filter((o) => o.stage1.result.decision === 'match').length,
    );
    const bandKeys = strangers
      .filter((o) => o.band)
      .map(key)
      .sort((x, y) => y - x);
    const wrong = outs.filter((o) => o.band && o.probe.enrolled && o.best !== o.probe.person).map(key);
    const t = Math.max(bandKeys[left] ?? -Infinity, ...wrong) + 1e-6;
    return { ...unfitted, thresholds: { ...unfitted.thresholds, [LEVEL]: t } };
  },
};

const pct = (a: number, b: number): string => `${((100 * a) / b).toFixed(1)} %`;
const fmt = (h: Counts): string =>
  `${h.right}/${h.enrolledProbes} (${pct(h.right, h.enrolledProbes)}) right, ${h.wrong} wrong, strangers ${h.strangersNamed}/${h.strangerProbes} (${pct(h.strangersNamed, h.strangerProbes)})`;

console.log(`band: unknown at stage 1, evidence ≥ threshold − ${DELTA}${ALL ? ' (--all: every face)' : ''}`);
for (const [how, fit] of Object.entries(fits)) {
  const cal2 = fit(halves);
  let inSample = zero();
  let stage1 = zero();
  let band = 0;
  let probes = 0;
  for (const sc of halves) {
    const o = cascade(devFirst, devSecond, sc, cal2);
    inSample = add(inSample, count(o));
    stage1 = add(stage1, count(o.map((x) => x.stage1)));
    band += o.filter((x) => x.band).length;
    probes += o.length;
  }
  let heldOut = zero();
  for (const k of [0, 1]) {
    const calK = fit(foldHalves(k));
    for (const sc of halves)
      heldOut = add(
        heldOut,
        count(cascade(devFirst, devSecond, sc, calK), (p) => foldOf.get(p.person) !== k),
      );
  }
  let removed = zero();
  for (const p of names) {
    const sc = halfScenario(`without ${p}`, people, new Set(names.filter((q) => q !== p)), new Set([p]));
    sc.probes = sc.probes.filter((pr) => !pr.enrolled);
    removed = add(removed, count(cascade(devFirst, devSecond, sc, cal2)));
  }
  let seed = 7; // the draws of bench/openset.ts
  const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const sizes: string[] = [];
  for (const n of [1, 2, 5, 10, 20, 40]) {
    let h = zero();
    let h1 = zero();
    for (let d = 0; d < 20; d++) {
      const order = [...names].sort(() => rand() - 0.5);
      const sc = halfScenario(`n=${n}`, people, new Set(order.slice(0, n)), new Set(order.slice(40)));
      const o = cascade(devFirst, devSecond, sc, cal2);
      h = add(h, count(o));
      h1 = add(h1, count(o.map((x) => x.stage1)));
    }
    sizes.push(
      `${n}: ${h1.strangersNamed} → ${h.strangersNamed}/${h.strangerProbes}, wrong ${h1.wrong} → ${h.wrong}`,
    );
  }
  console.log(
    `\n[${how}] second-stage balanced threshold ${cal2.thresholds[LEVEL].toFixed(3)}\n` +
      `  dev stage 1 alone: ${fmt(stage1)}\n  dev cascade in-sample: ${fmt(inSample)}\n` +
      `  dev cascade held-out: ${fmt(heldOut)}\n  faces in the band: ${band}/${probes} (${pct(band, probes)})\n` +
      `  one removed in turn: strangers ${removed.strangersNamed}/${removed.strangerProbes}\n` +
      `  by gallery size (stage 1 → cascade): ${sizes.join('; ')}`,
  );
  for (const [gallerySet, sceneSet] of [
    ['people', 'scene-people'],
    ['knn-train', 'scene-knn'],
  ] as const) {
    const g = all.filter((f) => f.set === gallerySet);
    const pr = all.filter((f) => f.set === sceneSet);
    const gallery = byPerson(g);
    const ids = new Map([...gallery.keys(), 'unknown'].map((p, i) => [p, i]));
    const sc: Scenario = {
      name: sceneSet,
      gallery,
      probes: pr.map((f, i) => ({ face: i, person: f.person, enrolled: f.person !== 'unknown' })),
    };
    const o = cascade(first(pr, g), second(pr, g), sc, cal2, ids, [...ids.keys()]);
    swapNeighbours(o, pr);
    const h = count(o);
    const ev = (r: ProbeOutcome['result']): string =>
      `${r.evidence?.toFixed(2)} vs ${r.threshold.toFixed(2)}, margin ${r.margin.toFixed(2)}`;
    const misses = o
      .filter((x) => x.probe.enrolled && (x.result.decision !== 'match' || x.best !== x.probe.person))
      .map(
        (x) =>
          `${x.probe.person} (stage 1 ${ev(x.stage1.result)}${x.band ? `; stage 2 ${ev(x.result)}` : ''})`,
      );
    const named = o
      .filter((x) => x.band && x.result.decision === 'match')
      .map((x) => `${x.probe.person}→${x.best} (${ev(x.result)})`);
    console.log(
      `  ${sceneSet}: ${h.right} right / ${h.wrong} wrong / ${h.unknown} unknown, ${o.filter((x) => x.band).length} faces in the band; named in the band: ${named.join(', ') || '–'}; not named right: ${misses.join(', ') || '–'}`,
    );
  }
}
