// Enrolment: each image must give exactly one usable face, or it is rejected with a reason; one bad image
// never stops the others, and everything accepted for a person is stored in one transaction.
import { contentHash } from '../../gallery/content-hash.js';
import { LOW_QUALITY_SAMPLE_SIZE, type Gallery } from '../../gallery/gallery.js';
import { normalizePersonName } from '../../gallery/names.js';
import type { NewSample } from '../../gallery/samples-repository.js';
import { cosineDistance } from '../../engine/compare.js';
import { largestFace, type Face } from '../../engine/face.js';
import { encodeJpeg } from '../../engine/image/encode.js';
import { readImageFile } from '../../engine/image/decode.js';
import { isVisageError } from '../../errors.js';
import type { FaceService } from '../faces/face-service.js';
import type { People, PersonLookalike } from '../people/people.js';
import type { Recognizer } from '../recognize/recognizer.js';
import { qualityJson, roundBox, type Box, type FaceQualityJson } from '../json.js';

/** Limits of a usable sample, checked on the face's quality figures. */
export const SAMPLE_LIMITS = {
  /**
   * Shorter side of the face box, px: smaller faces are refused (`face_too_small`), saying what would
   * help. Faces from here up to `lowQualityFaceSize` are accepted but flagged low quality: the open-set
   * rule counts such a sample `lowQualitySamplePenalty` (0.25 z) less (src/service/recognize/decision.ts),
   * and the stored quality's `size` is what tells the recogniser so.
   *
   * Evidence (MODELS.md, "Open-set identification", "Small faces"): dev's enrolment photos shrunk so the
   * face is 24 / 32 / 40 px, probes full size, default calibration at balanced. Refusing them (the former
   * 40-px gate) leaves those people unknown: 0/506 of their other photos named. Accepted and flagged, with
   * 0.25 z less: 177 / 304 / 341 of 506 named right (35.0 / 60.1 / 67.4 %), 0 wrong, 0/666 strangers
   * named at every size; accepted with no penalty: 49.4 / 67.4 / 73.5 % right but 2/666 strangers at
   * 40 px; 0.5 z less lost another 9–21 points and named no fewer strangers. Below 24 px was not
   * measured (dev's smallest face is 31 px), and probes under 20 px are never named (decision.ts
   * `minSize`), so 24 px is the gate.
   */
  minFaceSize: 24,
  /**
   * Faces under this many px (and ≥ minFaceSize) are accepted flagged `lowQuality` (see above): 40, the
   * gallery's LOW_QUALITY_SAMPLE_SIZE, by which the index flags such a sample from its stored quality.
   */
  lowQualityFaceSize: LOW_QUALITY_SAMPLE_SIZE,
  /**
   * Sharpness (variance of the Laplacian, see quality.ts). The 40 people/ crops and the knn photos score
   * 300–1600; a 2-px Gaussian blur brings a face under 60.
   */
  minSharpness: 60,
  /** Degrees: beyond these, a face seen from the side makes a poor reference for frontal photos. */
  maxYaw: 45,
  maxPitch: 40,
};

export type RejectReason =
  | 'no_face'
  | 'multiple_faces'
  | 'face_too_small'
  | 'too_blurry'
  | 'extreme_pose'
  | 'duplicate_sample'
  | 'repeated_image'
  | 'looks_like_other_person'
  | 'looks_unlike_person'
  | string; // decoding errors keep their own codes (corrupt_image, unsupported_format, …)

/** Reasons that are judgement calls, which --force overrides. */
const FORCEABLE = new Set([
  'face_too_small',
  'too_blurry',
  'extreme_pose',
  'looks_like_other_person',
  'looks_unlike_person',
]);

export interface EnrollInput {
  /** File path (read when `bytes` is absent) or upload name, as shown in reports. */
  source: string;
  bytes?: Buffer;
  /**
   * The face in `bytes`, already found (a recognition event's, re-analysed from its snapshot with the
   * embedding the recogniser used): skips detection, not the checks.
   */
  face?: Face;
}

export interface EnrollOptions {
  /** With several faces, take the largest instead of rejecting the image. */
  largest?: boolean;
  /** Accept images rejected for size, blur, pose or resemblance to someone else. */
  force?: boolean;
  actor?: string | null;
  /** Told after each image is analysed. */
  onImage?: (source: string) => void;
}

export interface Accepted {
  source: string;
  sampleId: number;
  box: Box;
  quality: FaceQualityJson;
  /** A small face (24–40 px) kept as evidence that counts less (SAMPLE_LIMITS). */
  lowQuality: boolean;
}

export interface Rejected {
  source: string;
  reason: RejectReason;
  message: string;
  /** A judgement call that an admin may override (the CLI's --force, the API's `force`). */
  overridable: boolean;
  /** `looks_like_other_person`: who the face matches better (the image may belong there). */
  lookalike?: { id: number; name: string };
}

export interface EnrollReport {
  person: { id: number; name: string } | null;
  created: boolean;
  accepted: Accepted[];
  rejected: Rejected[];
  /**
   * A warning, not a refusal: enrolled people whose nearest samples lie within the balanced threshold of
   * this person's (People.lookalikesOf). Empty when nothing was accepted.
   */
  lookalikes: PersonLookalike[];
}

interface Candidate {
  source: string;
  hash: string;
  face: Face;
  /** Refusals that `force` overrode: each is recorded in the audit log once the sample is stored. */
  overridden: { reason: RejectReason; message: string }[];
}

class Rejection extends Error {
  constructor(
    readonly reason: RejectReason,
    message: string,
    readonly lookalike?: { id: number; name: string },
  ) {
    super(message);
  }
}

export async function enroll(
  deps: {
    faces: FaceService;
    gallery: Gallery;
    recognizer: Recognizer;
    people: Pick<People, 'lookalikesOf'>;
  },
  rawName: string,
  inputs: readonly EnrollInput[],
  options: EnrollOptions = {},
): Promise<EnrollReport> {
  const name = normalizePersonName(rawName);
  const target = deps.gallery.people.findByName(name);
  const rejected: Rejected[] = [];
  const candidates: Candidate[] = [];
  /** The first source of each image of this batch. */
  const seen = new Map<string, string>();
  for (const input of inputs) {
    try {
      const bytes = input.bytes ?? (await readImageFile(input.source));
      const hash = contentHash(bytes);
      // Identical pictures in one batch (a still camera gives the same frame twice) are one sample.
      const first = seen.get(hash);
      if (first !== undefined)
        throw new Rejection(
          'repeated_image',
          `the same picture as ${first}, which is enrolled once: identical pictures count as one sample`,
        );
      if (target && deps.gallery.samples.findByContentHash(hash).some((s) => s.personId === target.id)) {
        throw new Rejection('duplicate_sample', `${name} already has this image as a sample`);
      }
      const face =
        input.face ??
        pickFace(await deps.faces.analyzer.analyze(await deps.faces.loadImage(bytes, input.source)), options);
      const overridden: Candidate['overridden'] = [];
      checkQuality(face, options.force ? overridden : null);
      seen.set(hash, input.source);
      candidates.push({ source: input.source, hash, face, overridden });
    } catch (e) {
      rejected.push(rejection(input.source, e));
    }
    options.onImage?.(input.source);
  }
  // Resemblance is judged once every image is in: the batch's own faces count as the target's.
  const model = deps.recognizer.modelId;
  const targetSamples = target
    ? deps.gallery.samples
        .listByPerson(target.id)
        .flatMap((s) => deps.gallery.samples.embedding(s.id, model) ?? [])
    : [];
  for (const c of [...candidates]) {
    try {
      checkResemblance(
        c,
        candidates,
        name,
        target?.id ?? null,
        targetSamples,
        deps.recognizer,
        options.force ? c.overridden : null,
      );
    } catch (e) {
      candidates.splice(candidates.indexOf(c), 1);
      rejected.push(rejection(c.source, e));
    }
  }
  if (candidates.length === 0) {
    return {
      person: target ? { id: target.id, name: target.name } : null,
      created: false,
      accepted: [],
      rejected,
      lookalikes: [],
    };
  }

  const samples: NewSample[] = [];
  for (const c of candidates) {
    samples.push({
      sourceName: c.source,
      contentHash: c.hash,
      cropJpeg: await encodeJpeg(c.face.crop!),
      box: roundBox(c.face.box),
      quality: { ...qualityJson(c.face.quality!) },
      embeddings: [{ modelId: c.face.embeddingModel!, vector: c.face.embedding! }],
    });
  }
  // Another process may have added the same image meanwhile: skip it rather than fail the batch.
  const result = deps.gallery.enrol(target ? { personId: target.id } : { name }, samples, {
    skipDuplicates: true,
    actor: options.actor,
  });
  const duplicateAt = new Set(result.duplicates.map((d) => d.index));
  const accepted: Accepted[] = [];
  const overrides: { source: string; sampleId: number; reasons: Candidate['overridden'] }[] = [];
  let next = 0;
  candidates.forEach((c, i) => {
    if (duplicateAt.has(i)) {
      rejected.push({
        source: c.source,
        reason: 'duplicate_sample',
        message: `${name} already has this image as a sample`,
        overridable: false,
      });
      return;
    }
    const quality = qualityJson(c.face.quality!);
    const sampleId = result.added[next++]!.id;
    if (c.overridden.length > 0) overrides.push({ source: c.source, sampleId, reasons: c.overridden });
    accepted.push({
      source: c.source,
      sampleId,
      box: roundBox(c.face.box),
      quality,
      // Judged on the stored (rounded) size, as the gallery's index flags the sample.
      lowQuality: quality.size < SAMPLE_LIMITS.lowQualityFaceSize,
    });
  });
  // Every refusal an admin overrode, with who and why, so that a poisoned person can be traced back.
  deps.gallery.db.transaction(() => {
    for (const o of overrides)
      deps.gallery.audit.append(
        'enroll.override',
        { personId: result.person.id, name: result.person.name, ...o },
        options.actor ?? null,
      );
  })();
  return {
    person: { id: result.person.id, name: result.person.name },
    created: result.created,
    accepted,
    rejected,
    lookalikes: accepted.length > 0 ? deps.people.lookalikesOf(result.person.id, model) : [],
  };
}

function pickFace(faces: Face[], options: EnrollOptions): Face {
  if (faces.length === 0) throw new Rejection('no_face', 'no face was found in this image');
  if (faces.length > 1 && !options.largest) {
    throw new Rejection(
      'multiple_faces',
      `${faces.length} faces in this image; use a photo of one person, or ask for the largest face`,
    );
  }
  return largestFace(faces)!;
}

function rejection(source: string, e: unknown): Rejected {
  if (e instanceof Rejection)
    return {
      source,
      reason: e.reason,
      message: e.message,
      overridable: FORCEABLE.has(e.reason),
      ...(e.lookalike ? { lookalike: e.lookalike } : {}),
    };
  if (isVisageError(e)) return { source, reason: e.code, message: e.message, overridable: false };
  throw e;
}

/**
 * A refusal: thrown, unless the caller forces (`overridden` given) and the reason is a judgement call,
 * in which case it is noted there for the audit log.
 */
function fail(
  reason: RejectReason,
  message: string,
  overridden: Candidate['overridden'] | null,
  lookalike?: { id: number; name: string },
): void {
  if (!(overridden && FORCEABLE.has(reason))) throw new Rejection(reason, message, lookalike);
  overridden.push({ reason, message });
}

function checkQuality(face: Face, overridden: Candidate['overridden'] | null): void {
  const q = face.quality!;
  if (q.size < SAMPLE_LIMITS.minFaceSize) {
    fail(
      'face_too_small',
      `the face is ${Math.round(q.size)} px, too small to recognise; a larger photo of this face would help (at least ${SAMPLE_LIMITS.minFaceSize} px, best ${SAMPLE_LIMITS.lowQualityFaceSize} px or more)`,
      overridden,
    );
  }
  if (q.sharpness < SAMPLE_LIMITS.minSharpness) {
    fail(
      'too_blurry',
      `the face is too blurry (sharpness ${Math.round(q.sharpness)} < ${SAMPLE_LIMITS.minSharpness})`,
      overridden,
    );
  }
  if (Math.abs(q.yaw) > SAMPLE_LIMITS.maxYaw || Math.abs(q.pitch) > SAMPLE_LIMITS.maxPitch) {
    fail(
      'extreme_pose',
      `the face is turned too far (yaw ${Math.round(q.yaw)}°, pitch ${Math.round(q.pitch)}°)`,
      overridden,
    );
  }
}

/**
 * Rejects a face that someone else matches better than the target does, or that is unlike every stored
 * sample of the target (a wrong photo would silently poison the person). The target's evidence is its
 * stored samples plus the other faces of this batch: five photos of a new person are judged together.
 */
function checkResemblance(
  c: Candidate,
  batch: readonly Candidate[],
  name: string,
  targetId: number | null,
  targetSamples: readonly Float32Array[],
  recognizer: Recognizer,
  overridden: Candidate['overridden'] | null,
): void {
  const q = c.face.embedding!;
  const nearest = (vs: readonly Float32Array[]): number =>
    Math.min(Infinity, ...vs.map((v) => cosineDistance(v, q)));
  const stored = nearest(targetSamples);
  const target = Math.min(stored, nearest(batch.filter((o) => o !== c).map((o) => o.face.embedding!)));
  const match = recognizer.identify(q);
  // The target itself as best match is no conflict (the index's rounding can put it a hair closer).
  if (
    match.personId !== null &&
    match.personId !== targetId &&
    match.distance! < target &&
    match.distance! < stored
  ) {
    fail(
      'looks_like_other_person',
      `this face matches ${match.name} (score ${match.score.toFixed(2)}) better than ${name}`,
      overridden,
      { id: match.personId, name: match.name! },
    );
  }
  if (targetSamples.length > 0 && stored > recognizer.threshold) {
    fail(
      'looks_unlike_person',
      `this face does not match any of ${name}'s ${targetSamples.length} samples`,
      overridden,
    );
  }
}
