// Open-set calibration, shared by `npm run bench:openset` (bench/openset-eval.ts re-exports it) and
// `visage models add --calibrate`: impostor statistics of a model on a labelled face set, the protocol
// (half of the people enrolled with their first 2 photos, the other half strangers, both ways round),
// counting, and the threshold fit per security level (the lowest threshold with no enrolled face named
// wrong and strangers named within the level's rate), all through decision.ts's own decide().
// Pure: no files, no models; faces are anything with a person's name and a quality.
import type { FaceQuality } from '../../engine/face.js';
import {
  decide,
  SECURITY_LEVELS,
  type Calibration,
  type DecisionResult,
  type ModelNorm,
  type PersonCandidate,
  type SecurityLevel,
} from '../recognize/decision.js';

/** What the protocol needs of a face: whose it is, and how good it is. */
export interface LabelledFace {
  person: string;
  quality: FaceQuality;
}

export interface Config {
  models: string[];
  flip: boolean;
}

/** Impostor (different people) and genuine cosine statistics of one model on a face set. */
export function measureNorm(
  faces: readonly LabelledFace[],
  sims: Float32Array,
): { impostor: ModelNorm; genuine: ModelNorm; pairs: [number, number] } {
  const n = faces.length;
  let si = 0,
    si2 = 0,
    ni = 0,
    sg = 0,
    sg2 = 0,
    ng = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const s = sims[i * n + j]!;
      if (faces[i]!.person === faces[j]!.person) {
        sg += s;
        sg2 += s * s;
        ng++;
      } else {
        si += s;
        si2 += s * s;
        ni++;
      }
    }
  }
  const stat = (s: number, s2: number, k: number): ModelNorm => ({
    mean: Number((s / k).toFixed(5)),
    std: Number(Math.sqrt(s2 / k - (s / k) ** 2).toFixed(5)),
  });
  return { impostor: stat(si, si2, ni), genuine: stat(sg, sg2, ng), pairs: [ng, ni] };
}

// ---------------------------------------------------------------- the protocols

export interface Scored<F extends LabelledFace = LabelledFace> {
  /** The probe faces (rows). */
  faces: F[];
  /** Number of gallery-side faces (columns: dev faces, or the shrunk enrolment faces). */
  cols: number;
  /** Fused z of probe face i against gallery-side face j, at i · cols + j. */
  z: Float32Array;
}

export interface Probe {
  face: number;
  person: string;
  /** True when the person is enrolled in this scenario. */
  enrolled: boolean;
}

export interface Scenario {
  name: string;
  /** Enrolled people → their gallery faces (indices). */
  gallery: Map<string, number[]>;
  probes: Probe[];
}

/** Per person: its faces in file order. */
export function byPerson(faces: readonly LabelledFace[]): Map<string, number[]> {
  const m = new Map<string, number[]>();
  faces.forEach((f, i) => m.set(f.person, [...(m.get(f.person) ?? []), i]));
  return m;
}

export const GALLERY_PHOTOS = 2;

/** Half the people enrolled (first 2 photos), the other half strangers. */
export function halfScenario(
  name: string,
  people: Map<string, number[]>,
  enrolled: Set<string>,
  strangers: Set<string>,
): Scenario {
  const gallery = new Map<string, number[]>();
  const probes: Probe[] = [];
  for (const [p, idx] of people) {
    if (enrolled.has(p)) {
      gallery.set(p, idx.slice(0, GALLERY_PHOTOS));
      for (const i of idx.slice(GALLERY_PHOTOS)) probes.push({ face: i, person: p, enrolled: true });
    } else if (strangers.has(p)) {
      for (const i of idx) probes.push({ face: i, person: p, enrolled: false });
    }
  }
  return { name, gallery, probes };
}

export interface Counts {
  right: number;
  wrong: number;
  unknown: number;
  enrolledProbes: number;
  strangersNamed: number;
  strangerProbes: number;
}
export const zero = (): Counts => ({
  right: 0,
  wrong: 0,
  unknown: 0,
  enrolledProbes: 0,
  strangersNamed: 0,
  strangerProbes: 0,
});
export function add(a: Counts, b: Counts): Counts {
  return {
    right: a.right + b.right,
    wrong: a.wrong + b.wrong,
    unknown: a.unknown + b.unknown,
    enrolledProbes: a.enrolledProbes + b.enrolledProbes,
    strangersNamed: a.strangersNamed + b.strangersNamed,
    strangerProbes: a.strangerProbes + b.strangerProbes,
  };
}

/** The candidates decision.ts gets for one probe face against a gallery. */
export function candidatesFor(
  s: Scored,
  face: number,
  gallery: Map<string, number[]>,
  personIds: Map<string, number>,
  options: { lowQuality?: Set<number>; zOf?: (g: number) => number; lookalikes?: Map<string, string[]> } = {},
): PersonCandidate[] {
  const n = s.cols;
  return [...gallery].map(([p, idx]) => ({
    personId: personIds.get(p)!,
    samples: idx.map((g) => ({
      sampleId: g,
      z: options.zOf ? options.zOf(g) : s.z[face * n + g]!,
      lowQuality: options.lowQuality?.has(g),
    })),
    lookalikes: options.lookalikes?.get(p)?.map((q) => personIds.get(q)!),
  }));
}

export interface ProbeOutcome {
  probe: Probe;
  result: DecisionResult;
  /** Name of the best person. */
  best: string | null;
}

export function runScenario<F extends LabelledFace>(
  s: Scored<F>,
  sc: Scenario,
  cal: Calibration,
  level: SecurityLevel,
  personIds: Map<string, number>,
  names: string[],
  extra: {
    quality?: (p: Probe) => FaceQuality;
    lowQuality?: Set<number>;
    lookalikes?: Map<string, string[]>;
  } = {},
): ProbeOutcome[] {
  return sc.probes.map((probe) => {
    const result = decide({
      candidates: candidatesFor(s, probe.face, sc.gallery, personIds, extra),
      quality: extra.quality ? extra.quality(probe) : s.faces[probe.face]!.quality,
      level,
      calibration: cal,
    });
    return { probe, result, best: result.personId === null ? null : names[result.personId]! };
  });
}

export function count(outcomes: readonly ProbeOutcome[], keep: (p: Probe) => boolean = () => true): Counts {
  const c = zero();
  for (const { probe, result, best } of outcomes) {
    if (!keep(probe)) continue;
    const named = result.decision === 'match';
    if (probe.enrolled) {
      c.enrolledProbes++;
      if (!named) c.unknown++;
      else if (best === probe.person) c.right++;
      else c.wrong++;
    } else {
      c.strangerProbes++;
      if (named) c.strangersNamed++;
    }
  }
  return c;
}

// ---------------------------------------------------------------- calibration of the rule

export interface RuleParams {
  margin: number;
  /** Face size below which the size penalty starts (default: refs.size). */
  refSize?: number;
  lookalikeMargin: number;
  secondSampleWeight: number;
  cohortWeight: number;
  cohortSize: number;
  perSizeHalving: number;
  perSharpnessHalving: number;
  perYaw10: number;
  /** Margin-aware acceptance: threshold −= weight · min(margin − required, cap) (decision.ts). */
  marginWeight?: number;
  marginCap?: number;
}

export const TARGET: Record<SecurityLevel, number> = { strict: 0, balanced: 0.0075, lenient: 0.03 };
// Strict: no stranger of the fitting set named. Balanced is calibrated to 0.75 % (not 1 %) of stranger probes on the calibration half: the held-out half
// is then measured against the 1 % limit.

export function calibrationFrom(
  base: Config,
  norms: Record<string, ModelNorm>,
  p: RuleParams,
  thresholds: Record<SecurityLevel, number>,
  refs: {
    size: number;
    sharpness: number;
    prior: number;
    minSize?: number;
    lowQualitySamplePenalty?: number;
  },
): Calibration {
  return {
    models: Object.fromEntries(base.models.map((m) => [m, norms[m]!])),
    flip: base.flip,
    thresholds,
    margin: p.margin,
    lookalikeMargin: p.lookalikeMargin,
    ...(p.marginWeight ? { marginCredit: { weight: p.marginWeight, cap: p.marginCap ?? 0 } } : {}),
    secondSampleWeight: p.secondSampleWeight,
    cohort: { weight: p.cohortWeight, size: p.cohortSize, prior: refs.prior, oneSided: true },
    quality: {
      perSizeHalving: p.perSizeHalving,
      refSize: p.refSize ?? refs.size,
      perSharpnessHalving: p.perSharpnessHalving,
      refSharpness: refs.sharpness,
      perYaw10: p.perYaw10,
      freeYaw: 20,
      minSize: refs.minSize ?? 0,
    },
    lowQualitySamplePenalty: refs.lowQualitySamplePenalty ?? 0,
  };
}

/**
 * The lowest threshold per level at which, on these scenarios, strangers named stay within the level's
 * rate and no enrolled probe is named wrong. Uses decide() once per probe with thresholds at 0: a probe
 * is named iff evidence ≥ threshold + penalty − credit, so its "key" evidence − penalty + credit orders
 * the sweep (the margin credit does not depend on the threshold).
 */
export function fitThresholds(outcomes: readonly ProbeOutcome[]): Record<SecurityLevel, number> {
  const keyOf = (o: ProbeOutcome): number =>
    o.result.decision === 'ambiguous' || o.result.decision === 'low_quality' || o.result.evidence === null
      ? -Infinity
      : o.result.evidence - o.result.penalty + o.result.credit;
  const strangers = outcomes
    .filter((o) => !o.probe.enrolled)
    .map(keyOf)
    .sort((a, b) => b - a);
  const wrong = outcomes.filter((o) => o.probe.enrolled && o.best !== o.probe.person).map(keyOf);
  const maxWrong = Math.max(-Infinity, ...wrong);
  const out = {} as Record<SecurityLevel, number>;
  for (const level of SECURITY_LEVELS) {
    const allowed = Math.floor(TARGET[level] * strangers.length);
    const t = strangers[allowed] ?? -Infinity;
    out[level] = Math.max(t, level === 'lenient' ? -Infinity : maxWrong) + 1e-6;
  }
  return out;
}

export const ZERO_T: Record<SecurityLevel, number> = { strict: 0, balanced: 0, lenient: 0 };

// ---------------------------------------------------------------- verification

export function verification(
  s: Scored,
  cal: Calibration,
): { tar1e2: number; tar1e3: number; farAt: Record<SecurityLevel, number>; det: [number, number][] } {
  const n = s.faces.length;
  const gen: number[] = [];
  const imp: number[] = [];
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++)
      (s.faces[i]!.person === s.faces[j]!.person ? gen : imp).push(s.z[i * n + j]!);
  imp.sort((a, b) => b - a);
  gen.sort((a, b) => b - a);
  const tarAt = (far: number): number => {
    const t = imp[Math.floor(far * imp.length)]!;
    return gen.filter((g) => g > t).length / gen.length;
  };
  const farAt = Object.fromEntries(
    SECURITY_LEVELS.map((l) => [l, imp.filter((v) => v >= cal.thresholds[l]).length / imp.length]),
  ) as Record<SecurityLevel, number>;
  const det: [number, number][] = [];
  for (let e = -5; e <= 0; e += 0.1) {
    const far = 10 ** e;
    det.push([far, 1 - tarAt(far)]);
  }
  return { tar1e2: tarAt(1e-2), tar1e3: tarAt(1e-3), farAt, det };
}
