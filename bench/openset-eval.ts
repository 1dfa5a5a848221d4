// Building blocks of bench/openset.ts (scores, protocols, counting, threshold fitting, verification).
// npm run bench:openset — open-set identification on ../shared/faces/dev (80 people, 666 photos), per
// embedder, fusion and decision rule, measuring exactly src/service/recognize/decision.ts:
//   closed-set rank-1; open-set with strangers (each identity removed in turn, and half of them at once,
//   both ways round; gallery = first 2 photos per enrolled person); verification on all pairs (TAR at
//   FAR 1e-2 / 1e-3, FAR of each level's threshold); a DET plot (SVG); cost per face; small faces;
//   look-alikes; people/ and knn/ scenes. Rule parameters are calibrated with 2-fold cross-validation
//   over identities and the held-out figures reported. Ends with one line of JSON.
// Usage: npm run bench:openset [-- --quick] (--quick: fewer fusions, no rule grid beyond the short list)
import type { ModelNorm } from '../src/service/recognize/decision.js';
import type { Config, ProbeOutcome, Scored as ScoredOf } from '../src/service/models/openset-fit.js';
import type { FaceRecord } from './openset-data.js';

// The protocol, counting, threshold fitting and verification live in src/service/models/openset-fit.ts,
// shared with `visage models add --calibrate`; re-exported here for the benchmark's scripts.
export {
  add,
  byPerson,
  calibrationFrom,
  candidatesFor,
  count,
  fitThresholds,
  GALLERY_PHOTOS,
  halfScenario,
  measureNorm,
  runScenario,
  TARGET,
  verification,
  zero,
  ZERO_T,
  type Config,
  type Counts,
  type Probe,
  type ProbeOutcome,
  type RuleParams,
  type Scenario,
} from '../src/service/models/openset-fit.js';

export type Scored = ScoredOf<FaceRecord>;

// ---------------------------------------------------------------- vectors and scores

export const configName = (c: Config): string => c.models.join('+') + (c.flip ? ' +flip' : '');

export function vectorOf(f: FaceRecord, model: string, flip: boolean): Float32Array {
  const { plain, mirrored } = f.vectors[model]!;
  if (!flip) return plain;
  const v = new Float32Array(plain.length);
  let n = 0;
  for (let i = 0; i < v.length; i++) {
    v[i] = plain[i]! + mirrored[i]!;
    n += v[i]! * v[i]!;
  }
  const inv = 1 / Math.sqrt(n);
  for (let i = 0; i < v.length; i++) v[i]! *= inv;
  return v;
}

export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Cosine similarities of every face of `a` with every face of `b`, for one model. */
export function simMatrix(
  a: readonly FaceRecord[],
  b: readonly FaceRecord[],
  model: string,
  flip: boolean,
): Float32Array {
  const va = a.map((f) => vectorOf(f, model, flip));
  const vb = b.map((f) => vectorOf(f, model, flip));
  const out = new Float32Array(a.length * b.length);
  for (let i = 0; i < a.length; i++)
    for (let j = 0; j < b.length; j++) out[i * b.length + j] = dot(va[i]!, vb[j]!);
  return out;
}

/** Fused z matrix of `rows` × `cols` faces for a configuration, from per-model impostor statistics. */
export function fusedScores(
  rows: readonly FaceRecord[],
  cols: readonly FaceRecord[],
  c: Config,
  norms: Record<string, ModelNorm>,
  cached?: (model: string) => Float32Array | undefined,
): Scored {
  const z = new Float32Array(rows.length * cols.length);
  for (const m of c.models) {
    const sm = cached?.(m) ?? simMatrix(rows, cols, m, c.flip);
    const nm = norms[m]!;
    for (let i = 0; i < z.length; i++) z[i]! += (sm[i]! - nm.mean) / nm.std / c.models.length;
  }
  return { faces: [...rows], cols: cols.length, z };
}

/**
 * Scene faces in two rows can have centres within a few pixels; as bench/recognition.ts does, neighbours
 * closer than half a face width may swap labels when that matches (labels are by centre only).
 * `out` holds the outcomes of `probes` (scene faces in label order), in order; swaps their probes in place.
 */
export function swapNeighbours(out: ProbeOutcome[], probes: readonly FaceRecord[]): void {
  for (let i = 0; i + 1 < out.length; i++) {
    const [a, b] = [probes[out[i]!.probe.face]!, probes[out[i + 1]!.probe.face]!];
    if (a.file !== b.file) continue;
    const near = b.box.x + b.box.width / 2 - (a.box.x + a.box.width / 2) < (a.box.width + b.box.width) / 4;
    const [oa, ob] = [out[i]!, out[i + 1]!];
    if (
      near &&
      oa.best === ob.probe.person &&
      ob.best === oa.probe.person &&
      oa.result.decision === 'match' &&
      ob.result.decision === 'match'
    ) {
      [oa.probe, ob.probe] = [ob.probe, oa.probe];
    }
  }
}
