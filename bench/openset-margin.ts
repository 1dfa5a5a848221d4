// Study of margin-aware acceptance for the default calibration (dlib-resnet +flip): the boundary
// evidence + α · min(margin − m0, cap) ≥ threshold (+ size penalty), optionally with a floor R under the
// runner-up, on per-probe features computed once (a fast grid; the shipped rule is then measured through
// decision.ts by bench/openset.ts). Same protocol as bench/openset.ts: 40/40 halves of dev both ways,
// 2-fold held-out over identities, gallery-size draws, people/ and knn/ scenes (scene 'wrong' counts here
// include the neighbour label swaps that bench/openset.ts resolves; read the unknown column).
// Usage: node --import tsx bench/openset-margin.ts MODE
//   grid | grid2 | grid3   α × cap (× R) grids at balanced 0.75 % / 1 %, per level (grid3), gallery sizes
//   gsize α,cap,target…    strangers named by gallery size, three ways of treating a gallery of one
//   sizes                  thresholds fitted so the rate holds at every gallery size (max over sizes)
//   samples                per-sample scores of every scene face (top 3 people)
//   α,cap …                per level, with the scene faces missed
import { loadFaces, type FaceRecord } from './openset-data.js';
import {
  byPerson,
  fusedScores,
  halfScenario,
  measureNorm,
  simMatrix,
  type Scenario,
  type Scored,
} from './openset-eval.js';

const all = await loadFaces('full');
const dev = all.filter((f) => f.set === 'dev');
const people = byPerson(dev);
const names = [...people.keys()];
const halfA = new Set(names.filter((_, i) => i % 2 === 0));
const halfB = new Set(names.filter((_, i) => i % 2 === 1));
const foldOf = new Map(names.map((p, i) => [p, i % 4 < 2 ? 0 : 1]));
const halves = [halfScenario('AB', people, halfA, halfB), halfScenario('BA', people, halfB, halfA)];
const c = { models: ['dlib-resnet'], flip: true };
const sm = simMatrix(dev, dev, 'dlib-resnet', true);
const norm = measureNorm(dev, sm).impostor;
const S = fusedScores(dev, dev, c, { 'dlib-resnet': norm }, () => sm);

interface Feat {
  person: string;
  enrolled: boolean;
  bestName: string;
  ev: number;
  margin: number;
  second: number;
  size: number;
  fold: number;
}
type EvFn = (zs: number[]) => number;
const w03: EvFn = (zs) => {
  const s = [...zs].sort((a, b) => b - a);
  return s.length > 1 ? 0.7 * s[0]! + 0.3 * s[1]! : s[0]!;
};

function feats(s: Scored, faces: FaceRecord[], sc: Scenario, ev: EvFn): Feat[] {
  return sc.probes.map((pr) => {
    const r = [...sc.gallery]
      .map(([p, idx]) => ({ p, e: ev(idx.map((g) => s.z[pr.face * s.cols + g]!)) }))
      .sort((a, b) => b.e - a.e);
    return {
      person: pr.person,
      enrolled: pr.enrolled,
      bestName: r[0]!.p,
      ev: r[0]!.e,
      margin: r[1] ? r[0]!.e - r[1].e : Infinity,
      second: r[1] ? r[1].e : -Infinity,
      size: faces[pr.face]!.quality.size,
      fold: foldOf.get(pr.person) ?? 0,
    };
  });
}
interface Rule {
  R?: number;
  alpha: number;
  m0: number;
  cap: number;
  minMargin: number;
  perHalving: number;
  ref: number;
}
const pen = (f: Feat, r: Rule): number => (f.size >= r.ref ? 0 : r.perHalving * Math.log2(r.ref / f.size));
const key = (f: Feat, r: Rule): number =>
  f.margin < r.minMargin
    ? -Infinity
    : f.ev +
      r.alpha * Math.min(Math.min(f.ev - Math.max(f.second, r.R ?? -Infinity), 1e9) - r.m0, r.cap) -
      pen(f, r);
function fit(fs: Feat[], r: Rule, target: number): number {
  const st = fs
    .filter((f) => !f.enrolled)
    .map((f) => key(f, r))
    .sort((a, b) => b - a);
  const wr = Math.max(
    -Infinity,
    ...fs.filter((f) => f.enrolled && f.bestName !== f.person).map((f) => key(f, r)),
  );
  return Math.max(st[Math.floor(target * st.length)] ?? -Infinity, target > 0.02 ? -Infinity : wr) + 1e-6;
}
function cnt(fs: Feat[], r: Rule, t: number) {
  let right = 0,
    wrong = 0,
    en = 0,
    sn = 0,
    sp = 0;
  for (const f of fs) {
    const named = key(f, r) >= t;
    if (f.enrolled) {
      en++;
      if (named && f.bestName === f.person) right++;
      else if (named) wrong++;
    } else {
      sp++;
      if (named) sn++;
    }
  }
  return { right, wrong, en, sn, sp };
}
const devF = halves.flatMap((sc) => feats(S, dev, sc, w03));
const foldF = (k: number) => {
  const a = new Set([...halfA].filter((p) => foldOf.get(p) === k)),
    b = new Set([...halfB].filter((p) => foldOf.get(p) === k));
  return [halfScenario('', people, a, b), halfScenario('', people, b, a)].flatMap((sc) =>
    feats(S, dev, sc, w03),
  );
};
const folds = [foldF(0), foldF(1)];
function heldOut(r: Rule, target: number) {
  let right = 0,
    wrong = 0,
    sn = 0;
  for (const k of [0, 1]) {
    const t = fit(folds[k]!, r, target);
    const h = cnt(
      devF.filter((f) => f.fold !== k),
      r,
      t,
    );
    right += h.right;
    wrong += h.wrong;
    sn += h.sn;
  }
  return { right, wrong, sn };
}
// scenes
function sceneFeats(gset: string, sset: string): (Feat & { file: string })[] {
  const g = all.filter((f) => f.set === gset),
    p = all.filter((f) => f.set === sset);
  const s = fusedScores(p, g, c, { 'dlib-resnet': norm });
  const gal = byPerson(g);
  const sc: Scenario = {
    name: sset,
    gallery: gal,
    probes: p.map((f, i) => ({ face: i, person: f.person, enrolled: f.person !== 'unknown' })),
  };
  return feats(s, p, sc, w03).map((f, i) => ({ ...f, file: p[i]!.file }));
}
const bbt = sceneFeats('people', 'scene-people'),
  knn = sceneFeats('knn-train', 'scene-knn');
const sceneStr = (fs: Feat[], r: Rule, t: number) => {
  const h = cnt(fs, r, t);
  return `${h.right}/${h.wrong}/${h.en - h.right - h.wrong}`;
};
const base: Rule = { alpha: 0, m0: 0.6, cap: 0, minMargin: 0.6, perHalving: 0.25, ref: 64 };
const rows: string[] = [];
const show = (label: string, r: Rule, target: number) => {
  const t = fit(devF, r, target);
  const h = cnt(devF, r, t);
  const ho = heldOut(r, target);
  rows.push(
    `${label.padEnd(30)} t=${t.toFixed(3)} in ${h.right}/${h.wrong}/${h.sn}  ho ${ho.right}/${ho.wrong}/${ho.sn}  bbt ${sceneStr(bbt, r, t)} knn ${sceneStr(knn, r, t)}`,
  );
};
const LV: [string, number][] = [
  ['strict', 0],
  ['balanced', 0.0075],
  ['bal@1%', 0.01],
  ['lenient', 0.03],
];
const miss = (fs: (Feat & { file: string })[], r: Rule, t: number) =>
  fs
    .filter((f) => f.enrolled && !(key(f, r) >= t && f.bestName === f.person))
    .map(
      (f) =>
        `${f.file.split('/').pop()}:${f.person}->${key(f, r) >= t ? f.bestName : '?'}(${f.ev.toFixed(2)},m${f.margin.toFixed(2)},k${(key(f, r) - t).toFixed(2)})`,
    )
    .join(' ');
const detail = (label: string, r: Rule) => {
  for (const [lv, target] of LV) {
    const t = fit(devF, r, target);
    const h = cnt(devF, r, t);
    const ho = heldOut(r, target);
    rows.push(
      `${label} ${lv.padEnd(8)} t=${t.toFixed(3)} in ${h.right}/${h.wrong}/${h.sn} ho ${ho.right}/${ho.wrong}/${ho.sn} | bbt ${sceneStr(bbt, r, t)} ${miss(bbt, r, t)} | knn ${sceneStr(knn, r, t)} ${miss(knn, r, t)}`,
    );
  }
};
const args = process.argv.slice(2);
// Gallery size: as bench/openset.ts section 3 (20 seeded draws per size; strangers = 40 other people).
const gsize = (r: Rule, t: number, noRunner: 'cap' | 'zero' | 'none') => {
  let seed = 7;
  const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const out: string[] = [];
  for (const n of [1, 2, 5, 10, 20, 40]) {
    let right = 0,
      en = 0,
      sn = 0,
      sp = 0;
    for (let d = 0; d < 20; d++) {
      const order = [...names].sort(() => rand() - 0.5);
      const fs = feats(
        S,
        dev,
        halfScenario('', people, new Set(order.slice(0, n)), new Set(order.slice(40))),
        w03,
      ).map((f) =>
        Number.isFinite(f.margin)
          ? f
          : noRunner === 'zero'
            ? { ...f, margin: f.ev }
            : noRunner === 'none'
              ? { ...f, margin: r.m0 }
              : f,
      );
      const h = cnt(fs, r, t);
      right += h.right;
      en += h.en;
      sn += h.sn;
      sp += h.sp;
    }
    out.push(`n${n}: ${((100 * right) / en).toFixed(1)}%/${((100 * sn) / sp).toFixed(2)}%`);
  }
  return out.join(' ');
};
if (args[0] === 'grid3') {
  for (const [alpha, cap] of [
    [0, 1],
    [1, 0.25],
    [1.5, 0.25],
    [2, 0.25],
    [3, 0.25],
    [2, 0.2],
    [2, 0.35],
    [1.5, 0.35],
    [4, 0.125],
    [2, 0.5],
  ] as const) {
    const r = { ...base, alpha, cap };
    const parts = LV.map(([lv, target]) => {
      const t = fit(devF, r, target);
      const h = cnt(devF, r, t);
      const ho = heldOut(r, target);
      return `${lv} t=${t.toFixed(3)} ${h.right}/${h.wrong}/${h.sn} ho ${ho.right}/${ho.wrong}/${ho.sn} bbt ${sceneStr(bbt, r, t)} knn ${sceneStr(knn, r, t)}`;
    });
    const tb = fit(devF, r, 0.0075);
    rows.push(`a=${alpha} cap=${cap}\n  ${parts.join('\n  ')}\n  sizes@balanced ${gsize(r, tb, 'cap')}`);
  }
  console.log(rows.join('\n'));
  process.exit(0);
}
if (args[0] === 'grid2') {
  for (const target of [0.0075, 0.01])
    for (const R of [-Infinity, 0.5, 1, 1.25, 1.5])
      for (const cap of [0.25, 0.5, 1])
        for (const alpha of [0.5, 1, 2]) {
          const r = { ...base, alpha, cap, R };
          const t = fit(devF, r, target);
          const h = cnt(devF, r, t);
          const ho = heldOut(r, target);
          rows.push(
            `R=${R} a=${alpha} cap=${cap} @${target} t=${t.toFixed(3)} in ${h.right}/${h.wrong}/${h.sn} ho ${ho.right}/${ho.wrong}/${ho.sn} bbt ${sceneStr(bbt, r, t)} knn ${sceneStr(knn, r, t)} | ${gsize(r, t, 'cap')}`,
          );
        }
  console.log(rows.join('\n'));
  process.exit(0);
}
if (args[0] === 'gsize') {
  for (const a of args.slice(1)) {
    const [alpha, cap, target] = a.split(',').map(Number);
    const r = { ...base, alpha: alpha!, cap: cap! };
    const t = fit(devF, r, target!);
    for (const nr of ['cap', 'zero', 'none'] as const)
      rows.push(`a=${alpha} cap=${cap} @${target} t=${t.toFixed(3)} solo=${nr}: ${gsize(r, t, nr)}`);
  }
  console.log(rows.join('\n'));
  process.exit(0);
}
if (args[0] === 'grid') {
  for (const target of [0.0075, 0.01])
    for (const cap of [1, 1.5, 2])
      for (const alpha of [0, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 2])
        show(`a=${alpha} cap=${cap} @${target}`, { ...base, alpha, cap }, target);
} else if (/^[\d.]+,[\d.]+$/.test(args[0] ?? ''))
  for (const a of args) {
    const [alpha, cap] = a.split(',').map(Number);
    detail(`a=${alpha} cap=${cap}`, { ...base, alpha: alpha!, cap: cap! });
  }
console.log(rows.join('\n'));
if (args[0] === 'samples') {
  for (const [gset, sset] of [
    ['people', 'scene-people'],
    ['knn-train', 'scene-knn'],
  ] as const) {
    const g = all.filter((f) => f.set === gset),
      p = all.filter((f) => f.set === sset);
    const s = fusedScores(p, g, c, { 'dlib-resnet': norm });
    const gal = byPerson(g);
    console.log(sset, [...gal].map(([k, v]) => `${k}:${v.length}`).join(' '));
    p.forEach((f, i) => {
      const per = [...gal]
        .map(([k, idx]) => ({ k, zs: idx.map((j) => s.z[i * s.cols + j]!).sort((a, b) => b - a) }))
        .sort((a, b) => b.zs[0]! - a.zs[0]!);
      console.log(
        `${f.file.split('/').pop()} ${f.person} ${f.quality.size.toFixed(0)}px sharp ${f.quality.sharpness.toFixed(0)} :: ` +
          per
            .slice(0, 3)
            .map((q) => `${q.k}[${q.zs.map((z) => z.toFixed(2)).join(',')}]`)
            .join(' '),
      );
    });
  }
}
if (args[0] === 'sizes') {
  // Fit the threshold so that the level's stranger rate holds at every gallery size (max over sizes of the fit).
  let seed = 7;
  const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const draws = new Map<number, Feat[]>();
  for (const n of [1, 2, 5, 10, 20, 40]) {
    const fs: Feat[] = [];
    for (let d = 0; d < 20; d++) {
      const order = [...names].sort(() => rand() - 0.5);
      fs.push(
        ...feats(S, dev, halfScenario('', people, new Set(order.slice(0, n)), new Set(order.slice(40))), w03),
      );
    }
    draws.set(n, fs);
  }
  for (const target of [0.0075, 0.01])
    for (const [alpha, cap, R] of [
      [0, 1, -Infinity],
      [0.5, 0.5, -Infinity],
      [1, 0.5, -Infinity],
      [1, 1, -Infinity],
      [1, 0.5, 1],
      [1, 1, 1.25],
      [2, 0.25, -Infinity],
    ] as const) {
      const r = { ...base, alpha, cap, R };
      const ts = [...draws].map(([n, fs]) => [n, fit(fs, r, target)] as const);
      const t = Math.max(fit(devF, r, target), ...ts.map(([, x]) => x));
      const h = cnt(devF, r, t);
      const per = [...draws]
        .map(([n, fs]) => {
          const c2 = cnt(fs, r, t);
          return `n${n}:${((100 * c2.right) / c2.en).toFixed(1)}/${((100 * c2.sn) / c2.sp).toFixed(2)}`;
        })
        .join(' ');
      rows.push(
        `a=${alpha} cap=${cap} R=${R} @${target} fits ${ts.map(([n, x]) => `${n}:${x.toFixed(2)}`).join(',')} t=${t.toFixed(3)} halves ${h.right}/${h.wrong}/${h.sn} bbt ${sceneStr(bbt, r, t)} knn ${sceneStr(knn, r, t)} | ${per}`,
      );
    }
  console.log(rows.join('\n'));
}
