// Who a person is across the whole database, for forgetting and exporting them: their id and the ids of
// people merged into them (their data is theirs now), every name they had, their samples and their events;
// and which audit entries are about them. Read from the current rows plus the audit log, which is the only
// place a past name or a merged-in id survives.
import type { AuditEntry } from '../../gallery/audit-log.js';
import type { Gallery } from '../../gallery/gallery.js';
import { NO_LIMIT } from '../../gallery/database.js';

export interface Subject {
  personId: number;
  /** The person and everyone merged into them (audit `person.merge`), transitively. */
  personIds: Set<number>;
  /** Every name they had: now, at creation, before and after each rename, of people merged into them. */
  names: string[];
  sampleIds: Set<number>;
  contentHashes: Set<string>;
  /** Events that show them, and the faces left unknown in clusters named as them (theirs too). */
  eventIds: Set<number>;
}

/** The subject of person `personId` (who must exist), read in the caller's transaction. */
export function subjectOf(gallery: Gallery, personId: number, entries: readonly AuditEntry[]): Subject {
  const person = gallery.people.require(personId);
  const personIds = new Set([personId]);
  const names = new Set([person.name]);
  // Newest first: a merge into someone merged later into the person is met after that later merge.
  for (const e of [...entries].reverse()) {
    const d = e.details;
    if (e.action === 'person.merge' && personIds.has(d['into'] as number)) {
      personIds.add(d['from'] as number);
      addName(names, d['fromName']);
    } else if (e.action.startsWith('person.') && personIds.has(d['personId'] as number)) {
      addName(names, d['name']);
      if (e.action === 'person.rename') {
        addName(names, d['from']);
        addName(names, d['to']);
      }
    }
  }
  const samples = gallery.samples.listByPerson(personId);
  return {
    personId,
    personIds,
    names: [...names],
    sampleIds: new Set(samples.map((s) => s.id)),
    contentHashes: new Set(samples.map((s) => s.contentHash)),
    eventIds: new Set([
      ...gallery.events.list({ personId, limit: NO_LIMIT }).map((e) => e.id),
      ...gallery.clusters.unknownEventIdsNamedAs(personId),
    ]),
  };
}

/**
 * True for an audit entry about the subject: a change to them (person.*: created, renamed, enrolled,
 * their corrections; a merge with them), to one of their samples, or anything about one of their events
 * (a correction, and another person's "not X" recorded from it).
 */
export function isAbout(e: AuditEntry, s: Subject): boolean {
  const d = e.details;
  if (typeof d['eventId'] === 'number' && s.eventIds.has(d['eventId'])) return true;
  if (e.action === 'person.merge')
    return s.personIds.has(d['into'] as number) || s.personIds.has(d['from'] as number);
  if (e.action.startsWith('person.')) return s.personIds.has(d['personId'] as number);
  if (e.action.startsWith('sample.'))
    return s.sampleIds.has(d['sampleId'] as number) || s.personIds.has(d['personId'] as number);
  return false;
}

function addName(names: Set<string>, name: unknown): void {
  if (typeof name === 'string' && name !== '') names.add(name);
}
