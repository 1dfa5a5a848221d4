// npm run bench:landmark-skip — can BlazeFace's own key points replace FaceMesh's for alignment (issue 14,
// "do less per face")? On every dev photo's largest sure face (detector ≥ 0.6), each embedder embeds the
// crop aligned on FaceMesh's five points and the crop aligned on the five points derived from BlazeFace
// (blazeFivePoints); reported per face size and FaceMesh yaw, and for the faces a skip gate would pass
// (BlazeFace yaw, face ≤ ½ frame or a tight crop): the cosine between the two vectors, the key-point error
// in eye distances, and closed-set rank-1 (2 gallery photos per person, the rest probed) with each; then
// the median offsets blaze-points.ts uses. Ends with one line of JSON.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FaceAnalyzer } from '../src/engine/analyzer.js';
import { FaceEmbedder } from '../src/engine/embed/embedder.js';
import { decodeImage } from '../src/engine/image/decode.js';
import { blazeFivePoints } from './blaze-points.js';
import { poseFromFivePoints } from '../src/engine/quality.js';
import type { Point } from '../src/engine/types.js';
import { facePath } from './dataset.js';

const EMBEDDERS = ['dlib-resnet', 'faceres', 'mobileface', 'fr-feature'] as const;
const SIZE_BINS = [0, 64, 96, 128, Infinity];
const YAW_BINS = [0, 15, 30, Infinity];

interface Sample {
  person: string;
  size: number;
  yaw: number;
  /** |yaw| from BlazeFace's derived points: what the analyzer can judge by without FaceMesh. */
  blazeYaw: number;
  /** Face size over the frame's shorter side. */
  fraction: number;
  /** Key-point error of each BlazeFace-derived point against FaceMesh's, in eye distances. */
  err: number[];
  /** FaceMesh's five points in BlazeFace's face frame (origin: its eye midpoint, x: its eye vector). */
  frame: Point[];
  /** BlazeFace's first four points (eyes, nose, mouth centre) in the same frame. */
  blazeFrame: Point[];
  vec: Record<string, { mesh: Float32Array; blaze: Float32Array }>;
}

const dot = (a: Float32Array, b: Float32Array): number => a.reduce((s, x, i) => s + x * b[i]!, 0);
const dist = (a: Point, b: Point): number => Math.hypot(a[0] - b[0], a[1] - b[1]);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? NaN;
const quantile = (xs: number[], q: number): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))] ?? NaN;

/** `p` in the frame of BlazeFace's eyes: origin at their midpoint, x along left → right eye, unit their distance. */
function inFrame(kp: readonly Point[], p: Point): Point {
  const [le, re] = kp as [Point, Point];
  const ux = re[0] - le[0];
  const uy = re[1] - le[1];
  const n2 = ux * ux + uy * uy;
  const x = p[0] - (le[0] + re[0]) / 2;
  const y = p[1] - (le[1] + re[1]) / 2;
  return [(x * ux + y * uy) / n2, (-x * uy + y * ux) / n2];
}

const analyzer = new FaceAnalyzer({ cacheDir: path.join(os.tmpdir(), 'visage-bench-models') });
const embedders = EMBEDDERS.map((id) => new FaceEmbedder(analyzer.runtime, id));
const samples: Sample[] = [];
const dev = facePath('dev');
for (const person of fs.readdirSync(dev).sort()) {
  for (const f of fs.readdirSync(path.join(dev, person)).sort()) {
    const image = await decodeImage(path.join(dev, person, f));
    const sure = (await analyzer.candidates(image)).filter((d) => d.score >= 0.6);
    if (sure.length === 0) continue;
    const d = sure.reduce((a, b) => (a.box.width * a.box.height >= b.box.width * b.box.height ? a : b));
    const [mesh] = await analyzer.landmarker.landmarks(image, [d]);
    const blaze = blazeFivePoints(d.keypoints);
    const eyes = dist(mesh!.keypoints[0]!, mesh!.keypoints[1]!);
    const vec: Sample['vec'] = {};
    for (const e of embedders) {
      const [m, b] = await e.embed(image, [mesh!.keypoints, blaze]);
      vec[e.modelId] = { mesh: m!.embedding, blaze: b!.embedding };
    }
    samples.push({
      person,
      size: Math.min(d.box.width, d.box.height),
      yaw: Math.abs(poseFromFivePoints(mesh!.keypoints).yaw),
      blazeYaw: Math.abs(poseFromFivePoints(blaze).yaw),
      fraction: Math.min(d.box.width, d.box.height) / Math.min(image.width, image.height),
      err: blaze.map((p, i) => dist(p, mesh!.keypoints[i]!) / eyes),
      frame: mesh!.keypoints.map((p) => inFrame(d.keypoints, p)),
      blazeFrame: d.keypoints.slice(0, 4).map((p) => inFrame(d.keypoints, p)),
      vec,
    });
  }
}
await analyzer.close();

/** Closed-set rank-1 over the given probes: gallery = each person's first 2 photos, with `pick` vectors. */
function rank1(model: string, probes: Sample[], pick: 'mesh' | 'blaze'): number {
  const gallery: Sample[] = [];
  const seen = new Map<string, number>();
  for (const s of samples) {
    const n = seen.get(s.person) ?? 0;
    seen.set(s.person, n + 1);
    if (n < 2) gallery.push(s);
  }
  const inGallery = new Set(gallery);
  let right = 0;
  let total = 0;
  for (const p of probes) {
    if (inGallery.has(p)) continue;
    let best = -2;
    let who = '';
    // Gallery always FaceMesh-aligned (what is enrolled today); probes aligned either way.
    for (const g of gallery) {
      const s = dot(p.vec[model]![pick], g.vec[model]!.mesh);
      if (s > best) [best, who] = [s, g.person];
    }
    total++;
    if (who === p.person) right++;
  }
  return total === 0 ? NaN : right / total;
}

const rows: Record<string, Record<string, string | number>> = {};
const json: Record<string, unknown>[] = [];
for (let si = 0; si + 1 < SIZE_BINS.length; si++) {
  for (let yi = 0; yi + 1 < YAW_BINS.length; yi++) {
    const bin = samples.filter(
      (s) =>
        s.size >= SIZE_BINS[si]! &&
        s.size < SIZE_BINS[si + 1]! &&
        s.yaw >= YAW_BINS[yi]! &&
        s.yaw < YAW_BINS[yi + 1]!,
    );
    if (bin.length === 0) continue;
    const name = `size ${SIZE_BINS[si]}–${SIZE_BINS[si + 1]} px, |yaw| ${YAW_BINS[yi]}–${YAW_BINS[yi + 1]}°`;
    const row: Record<string, string | number> = {
      faces: bin.length,
      'err eyes/nose/mouth': [0, 2, 3]
        .map((k) =>
          median(bin.map((s) => (s.err[k]! + (k === 0 ? s.err[1]! : 0)) / (k === 0 ? 2 : 1))).toFixed(3),
        )
        .join(' / '),
    };
    const entry: Record<string, unknown> = { bin: name, faces: bin.length };
    for (const m of EMBEDDERS) {
      const cos = bin.map((s) => dot(s.vec[m]!.mesh, s.vec[m]!.blaze));
      row[`${m} cos med/p10`] = `${median(cos).toFixed(3)} / ${quantile(cos, 0.1).toFixed(3)}`;
      row[`${m} rank-1 mesh→blaze`] =
        `${(100 * rank1(m, bin, 'mesh')).toFixed(1)} → ${(100 * rank1(m, bin, 'blaze')).toFixed(1)}`;
      entry[m] = {
        cosMedian: median(cos),
        cosP10: quantile(cos, 0.1),
        rank1Mesh: rank1(m, bin, 'mesh'),
        rank1Blaze: rank1(m, bin, 'blaze'),
      };
    }
    rows[name] = row;
    json.push(entry);
  }
}
// The gate that was measured (MODELS.md; not used: the analyzer always runs FaceMesh), by what it can
// see: size ≥ 64 px, BlazeFace's |yaw| < 30°, and the face at most half the frame (with context) or a tight crop.
const gated: Record<string, Record<string, string | number>> = {};
for (const [name, keep] of [
  ['≥ 64 px, BlazeFace |yaw| < 30°, face ≤ ½ frame', (s: Sample) => s.fraction <= 0.5],
  ['≥ 64 px, BlazeFace |yaw| < 30°, tight crop (> ½ frame)', (s: Sample) => s.fraction > 0.5],
] as const) {
  const bin = samples.filter((s) => s.size >= 64 && s.blazeYaw < 30 && keep(s));
  const row: Record<string, string | number> = { faces: bin.length };
  for (const m of EMBEDDERS) {
    const cos = bin.map((s) => dot(s.vec[m]!.mesh, s.vec[m]!.blaze));
    row[`${m} cos med/p10`] = `${median(cos).toFixed(3)} / ${quantile(cos, 0.1).toFixed(3)}`;
    row[`${m} rank-1`] =
      `${(100 * rank1(m, bin, 'mesh')).toFixed(1)} → ${(100 * rank1(m, bin, 'blaze')).toFixed(1)}`;
  }
  gated[name] = row;
}
console.table(gated);
const all: Record<string, string> = {};
for (const m of EMBEDDERS) {
  all[m] =
    `${(100 * rank1(m, samples, 'mesh')).toFixed(1)} → ${(100 * rank1(m, samples, 'blaze')).toFixed(1)}`;
}
console.log(
  `${samples.length} dev faces (largest sure face per photo); rank-1 % with FaceMesh → BlazeFace probes`,
);
console.table(rows);
console.table(all);
// Where FaceMesh's points sit in BlazeFace's frame (frontal faces), and where BlazeFace's own do.
const frontal = samples.filter((s) => s.yaw < 15);
console.log(
  'FaceMesh points in BlazeFace eye frame, frontal median:',
  [0, 1, 2, 3, 4].map((k) => [0, 1].map((c) => median(frontal.map((s) => s.frame[k]![c]!)).toFixed(3))),
);
const offset = (k: number, b: number, c: number): number =>
  median(frontal.map((s) => s.frame[k]![c]! - s.blazeFrame[b]![c]!));
console.log('FaceMesh − BlazeFace, frontal median (eye distances):', {
  leftEye: [offset(0, 0, 0), offset(0, 0, 1)],
  rightEye: [offset(1, 1, 0), offset(1, 1, 1)],
  nose: [offset(2, 2, 0), offset(2, 2, 1)],
  mouthLeft: [offset(3, 3, 0), offset(3, 3, 1)],
  mouthRight: [offset(4, 3, 0), offset(4, 3, 1)],
});
console.log(
  JSON.stringify({ benchmark: 'landmark-skip', faces: samples.length, bins: json, gated, rank1: all }),
);
