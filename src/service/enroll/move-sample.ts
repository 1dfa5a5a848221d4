// Giving a sample to another person runs enrolment's resemblance check against the person it goes to:
// a face unlike every sample of theirs, or one that someone else (not its present owner) matches
// better, is refused with an overridable reason, as enrolling the photo there would be. An admin may
// move it anyway (`force`); the override is recorded in the audit log beside the move itself.
import { cosineDistance } from '../../engine/compare.js';
import type { ChangeContext, Gallery } from '../../gallery/gallery.js';
import { VisageError } from '../../errors.js';
import { sampleJson, type SampleJson } from '../people/people.js';
import type { Recognizer } from '../recognize/recognizer.js';

export interface MoveOptions extends ChangeContext {
  /** Move even when the face does not look like the person it goes to. */
  force?: boolean;
}

export function moveSample(
  deps: { gallery: Gallery; recognizer: Recognizer },
  sampleId: number,
  toPersonId: number,
  options: MoveOptions = {},
): SampleJson {
  const { gallery } = deps;
  const sample = gallery.samples.require(sampleId);
  const to = gallery.people.require(toPersonId);
  const refusal = resemblance(deps, sampleId, sample.personId, to);
  if (refusal && !options.force)
    throw new VisageError(refusal.reason, refusal.message, {
      sampleId,
      personId: to.id,
      overridable: true,
      ...(refusal.lookalike ? { lookalike: refusal.lookalike } : {}),
    });
  const moved = gallery.moveSample(sampleId, to.id, options);
  if (refusal)
    gallery.audit.append(
      'sample.move.override',
      { sampleId, from: sample.personId, to: to.id, reason: refusal.reason, message: refusal.message },
      options.actor ?? null,
    );
  return sampleJson(moved);
}

interface Refusal {
  reason: 'looks_unlike_person' | 'looks_like_other_person';
  message: string;
  lookalike?: { id: number; name: string };
}

function resemblance(
  { gallery, recognizer }: { gallery: Gallery; recognizer: Recognizer },
  sampleId: number,
  ownerId: number,
  to: { id: number; name: string },
): Refusal | null {
  const face = gallery.samples.embedding(sampleId, recognizer.modelId);
  if (!face) return null; // not embedded with this model (a reindex will): nothing to judge by
  const theirs = gallery.samples
    .listByPerson(to.id)
    .flatMap((s) => gallery.samples.embedding(s.id, recognizer.modelId) ?? []);
  if (theirs.length === 0) return null; // a new or empty person: this face is their first evidence
  const nearest = Math.min(...theirs.map((v) => cosineDistance(v, face)));
  // Its present owner matches it through this very sample: only a third person is evidence.
  const other = recognizer
    .identify(face)
    .candidates.find((c) => c.personId !== ownerId && c.personId !== to.id);
  if (other && other.distance < nearest && other.distance <= recognizer.threshold)
    return {
      reason: 'looks_like_other_person',
      message: `this face matches ${other.name} (score ${other.score.toFixed(2)}) better than ${to.name}`,
      lookalike: { id: other.personId, name: other.name },
    };
  if (nearest > recognizer.threshold)
    return {
      reason: 'looks_unlike_person',
      message: `this face does not match any of ${to.name}'s ${theirs.length} samples`,
    };
  return null;
}
