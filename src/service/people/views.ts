// Gallery records as the API shows them (schemas.ts): the service layer's JSON shapes (people.ts, shared
// with the CLI), plus what only the UI needs, such as a person's thumbnail.
import type { Gallery } from '../../gallery/gallery.js';
import type { PersonSummary } from '../../gallery/people-repository.js';
import type { RecognitionEvent } from '../../gallery/events-repository.js';
import { eventJson, personJson, type EventJson, type PersonJson } from './people.js';

export { sampleJson as sampleView } from './people.js';

export const iso = (ms: number): string => new Date(ms).toISOString();

export interface PersonView extends PersonJson {
  thumbnailSampleId: number | null;
}

export function personView(gallery: Gallery, p: PersonSummary): PersonView {
  return {
    ...personJson(p),
    // The first enrolled sample: usually the photo the user chose first for this person.
    thumbnailSampleId: p.sampleCount > 0 ? (gallery.samples.listByPerson(p.id)[0]?.id ?? null) : null,
  };
}

/** The person's summary; `person_not_found` when missing. */
export function personById(gallery: Gallery, id: number): PersonView {
  const summary = gallery.people.summary(id);
  if (!summary) gallery.people.require(id); // throws person_not_found
  return personView(gallery, summary!);
}

/** An event with its person's name; `names` caches names across the events of one page. */
export function eventView(
  gallery: Gallery,
  e: RecognitionEvent,
  names: Map<number, string | null> = new Map(),
): EventJson {
  if (e.personId !== null && !names.has(e.personId))
    names.set(e.personId, gallery.people.get(e.personId)?.name ?? null);
  return eventJson(e, e.personId === null ? null : names.get(e.personId)!);
}
