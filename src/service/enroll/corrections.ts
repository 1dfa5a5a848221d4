// Fixing a recognition so it stays fixed, from its stored event:
// - `is NAME` enrols the event's face as a sample of NAME through enrolment's own quality, duplicate and
//   resemblance checks. The face is rebuilt from the event: FaceMesh re-run on its snapshot (the engine's
//   own upright crop, stored-crops.ts) gives key points and sharpness/pose; size comes from the event's box
//   in the original photo; the embedding is the one stored with the event, i.e. exactly what the recogniser
//   saw, so the correction fixes that very answer (re-embedding would add JPEG loss for nothing).
// - `not NAME` records a negative example: NAME is then vetoed for this face and faces very close to it
//   (Recognizer, VETO_FRACTION); the face is named by whoever else matches, or unknown.
// Either also sets who the event shows. Both go through Gallery's audited changes, plus an
// `event.correct` audit entry that remembers the event's earlier answer, so `undo` can put everything back.
import { contentHash } from '../../gallery/content-hash.js';
import { NO_LIMIT } from '../../gallery/database.js';
import type { ChangeContext, Gallery } from '../../gallery/gallery.js';
import type { RecognitionEvent } from '../../gallery/events-repository.js';
import { VisageError } from '../../errors.js';
import type { Rejected } from './enrollment.js';
import { eventJson, ref, type EventJson, type People, type PersonRef } from '../people/people.js';
import { analyzeStoredCrop } from './stored-crops.js';
import type { FaceService } from '../faces/face-service.js';
import type { EnrollFn } from './bulk-import.js';

/** What corrections need: the gallery, the engine (to re-read a snapshot), names, and enrolment. */
export interface CorrectionDeps {
  gallery: Gallery;
  faces: FaceService;
  people: People;
  enroll: EnrollFn;
}

export type Correction = { is: string } | { not: string };

export interface CorrectOptions extends ChangeContext {
  /** `is`: accept a face rejected for size, blur, pose or resemblance to someone else. */
  force?: boolean;
}

export interface CorrectionReport {
  event: EventJson;
  action: 'is' | 'not';
  person: PersonRef;
  /** `is`: the person was created by this correction. */
  created?: boolean;
  /** `is`: the new sample. */
  sampleId?: number;
  /** `not`: the negative example recorded. */
  negativeId?: number;
}

export interface UndoReport {
  event: EventJson;
  removedSampleIds: number[];
  removedNegativeIds: number[];
  /** People the undone `is` corrections had created, removed again as nothing else was added to them. */
  removedPeople: PersonRef[];
}

/** What undo reads back from the audit log. */
interface CorrectionAudit {
  previousPersonId: number | null;
  /** Set when an `is` correction created this person. */
  createdPersonId: number | null;
}

export async function correct(
  deps: CorrectionDeps,
  eventId: number,
  correction: Correction,
  options: CorrectOptions = {},
): Promise<CorrectionReport> {
  const gallery = deps.gallery;
  const event = gallery.events.require(eventId);
  const stored = gallery.events.embedding(eventId);
  if (!stored) {
    throw new VisageError(
      'event_not_correctable',
      `event ${eventId} has no stored face embedding (recorded without one), so it cannot be corrected`,
      { eventId },
    );
  }
  const audit = (details: Record<string, unknown>): void => {
    gallery.audit.append(
      'event.correct',
      { eventId, previousPersonId: event.personId, ...details },
      options.actor ?? null,
    );
  };

  if ('not' in correction) {
    const person = deps.people.find(correction.not);
    const negative = gallery.addNegative(person.id, stored.modelId, stored.vector, eventId, options);
    gallery.db.transaction(() => {
      if (event.personId === person.id) gallery.events.setPerson(eventId, null);
      audit({ not: person.id, negativeId: negative.id });
    })();
    return { event: describe(deps, eventId), action: 'not', person: ref(person), negativeId: negative.id };
  }

  const snapshot = gallery.events.snapshot(eventId);
  if (!snapshot)
    throw new VisageError(
      'event_not_correctable',
      `event ${eventId} has no stored snapshot of the face, so it cannot become a sample`,
      { eventId },
    );
  const face = await analyzeStoredCrop(deps.faces.analyzer, await deps.faces.loadImage(snapshot), event.box);
  if (!face)
    throw rejectedError(eventId, correction.is, {
      source: sourceOf(eventId),
      reason: 'no_face',
      overridable: false,
      message: 'no face could be found again in its snapshot',
    });
  if (stored.modelId === face.embeddingModel) face.embedding = stored.vector;
  const report = await deps.enroll(correction.is, [{ source: sourceOf(eventId), bytes: snapshot, face }], {
    force: options.force,
    actor: options.actor,
  });
  const [accepted] = report.accepted;
  if (!accepted) throw rejectedError(eventId, correction.is, report.rejected[0]!);
  const person = gallery.people.require(report.person!.id);
  gallery.db.transaction(() => {
    gallery.events.setPerson(eventId, person.id);
    audit({ is: person.id, sampleId: accepted.sampleId, createdPerson: report.created });
  })();
  return {
    event: describe(deps, eventId),
    action: 'is',
    person: ref(person),
    created: report.created,
    sampleId: accepted.sampleId,
  };
}

/**
 * Undoes every correction of an event: removes the samples enrolled from it and the negatives recorded
 * from it, and gives the event back the answer it had before its first correction. Errors:
 * `nothing_to_undo`.
 */
export function uncorrect(deps: CorrectionDeps, eventId: number, context: ChangeContext = {}): UndoReport {
  const gallery = deps.gallery;
  const event = gallery.events.require(eventId);
  const snapshot = gallery.events.snapshot(eventId);
  const samples = snapshot
    ? gallery.samples
        .findByContentHash(contentHash(snapshot))
        .filter((s) => s.sourceName === sourceOf(eventId))
    : [];
  const negatives = gallery.negatives.listByEvent(eventId);
  const history = corrections(deps, eventId);
  if (samples.length === 0 && negatives.length === 0 && history.length === 0) {
    throw new VisageError('nothing_to_undo', `event ${eventId} has no correction to undo`, { eventId });
  }
  for (const s of samples) gallery.removeSample(s.id, context);
  for (const n of negatives) gallery.removeNegative(n.id, context);
  const removedPeople: PersonRef[] = [];
  for (const h of history) {
    const created = h.createdPersonId === null ? undefined : gallery.people.get(h.createdPersonId);
    if (created && gallery.samples.listByPerson(created.id).length === 0) {
      gallery.deletePerson(created.id, context);
      removedPeople.push(ref(created));
    }
  }
  // The oldest correction saw the recogniser's own answer (if that person still exists).
  const original = history.length > 0 ? history.at(-1)!.previousPersonId : event.personId;
  const restored = original !== null && gallery.people.get(original) ? original : null;
  gallery.db.transaction(() => {
    gallery.events.setPerson(eventId, restored);
    gallery.audit.append(
      'event.uncorrect',
      {
        eventId,
        removedSampleIds: samples.map((s) => s.id),
        removedNegativeIds: negatives.map((n) => n.id),
        removedPersonIds: removedPeople.map((p) => p.id),
        personId: restored,
      },
      context.actor ?? null,
    );
  })();
  return {
    event: describe(deps, eventId),
    removedSampleIds: samples.map((s) => s.id),
    removedNegativeIds: negatives.map((n) => n.id),
    removedPeople,
  };
}

/** The event's corrections since its last undo, newest first (from the audit log). */
function corrections(deps: CorrectionDeps, eventId: number): CorrectionAudit[] {
  const entries = (action: string) =>
    deps.gallery.audit.list({ action, limit: NO_LIMIT }).filter((a) => a.details['eventId'] === eventId);
  const lastUndo = entries('event.uncorrect')[0]?.id ?? 0;
  return entries('event.correct')
    .filter((a) => a.id > lastUndo)
    .map((a) => ({
      previousPersonId: (a.details['previousPersonId'] as number | null) ?? null,
      createdPersonId: a.details['createdPerson'] === true ? (a.details['is'] as number) : null,
    }));
}

/** The sample source name of a face enrolled from an event (undo finds the sample by it). */
function sourceOf(eventId: number): string {
  return `event ${eventId}`;
}

function describe(deps: CorrectionDeps, eventId: number): EventJson {
  const e: RecognitionEvent = deps.gallery.events.require(eventId);
  return eventJson(e, e.personId === null ? null : (deps.gallery.people.get(e.personId)?.name ?? null));
}

function rejectedError(eventId: number, name: string, r: Rejected): VisageError {
  return new VisageError(r.reason, `event ${eventId}'s face was not added to ${name}: ${r.message}`, {
    eventId,
    reason: r.reason,
    overridable: r.overridable,
  });
}
