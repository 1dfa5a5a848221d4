// "Forget this person" (GDPR art. 17): unlike `delete`, which keeps their sightings as unknown faces,
// this erases everything held about them, in one transaction (Gallery.forgetPerson): the person, their
// samples with crops and their vectors in every model, every event that showed them with its snapshot
// and embedding, the corrections about them (their negatives, and other people's "not X" recorded from
// their events, whose vectors are their face), the faces left unknown in clusters named as them (their
// cluster memberships go with the events; a numbered cluster row stays, as unknowns/ never reuses a
// number, with its person set to null by the foreign key), the bulk-import records of their photos, and
// their name wherever it stands in another row's file path, and every job that names them (a video job's
// tracks and annotated copy, an import with their photos: jobs/job-queue.ts removeWhere). The audit log then says only that a person
// was forgotten, by whom and when: entries about them go, other entries lose their name and id, unless
// the settings keep names (forgetAuditNames: their history stays and the entry names them).
//
// No trace in the file either: the connection runs with secure_delete (database.ts), so freed pages and
// cells are zeroed as they are freed, and the write-ahead log, which still holds the pages as they were
// before, is checkpointed into the file and truncated afterwards. Crops and snapshots live only in the
// database, so no other file of the data directory holds them. VACUUM after each forget was not chosen:
// it rewrites the whole file (time and twice the disk for a large gallery) for what secure_delete
// already gives, which test/privacy-forget.test.ts checks by searching every byte of the data directory
// (with secure_delete off, that search finds every needle in visage.db).
// On PostgreSQL (`--db`) the rows are gone for every query at commit, but their bytes stay in the
// server's table files until VACUUM reuses the space, and in its WAL archive and backups: those are the
// database operator's, so the report's walTruncated is false there and README says what to run.
import type { AuditEntry, AuditLog } from '../../gallery/audit-log.js';
import { truncateWal } from '../../gallery/database.js';
import type { ChangeContext, Gallery } from '../../gallery/gallery.js';
import { nameKey } from '../../gallery/names.js';
import type { ForgetReport } from '../../api/index.js';
import type { JobQueue } from '../jobs/job-queue.js';
import { isAbout, subjectOf, type Subject } from './subject.js';
import type { PrivacySettingsStore } from './settings.js';

export type { ForgetReport };

export interface ForgetDeps {
  gallery: Gallery;
  settings: PrivacySettingsStore;
  jobs: JobQueue;
}

/** What a forgotten name is replaced with where a row of someone else held it (a file path, a message). */
const REDACTED = '…';

/** Audit fields that hold a person id (person.*, sample.move, event.correct, event.uncorrect). */
const PERSON_ID_FIELDS = ['personId', 'from', 'to', 'into', 'is', 'not', 'previousPersonId'];

/** Forgets person `personId`. Errors: `person_not_found`. */
export function forget(deps: ForgetDeps, personId: number, context: ChangeContext = {}): ForgetReport {
  const { gallery } = deps;
  const keepNames = deps.settings.get().forgetAuditNames;
  const report = gallery.forgetPerson(
    personId,
    (person, audit) => {
      const entries = [...gallery.audit.iterate()];
      const subject = subjectOf(gallery, personId, entries);
      const samples = subject.sampleIds.size;
      const ownNegatives = gallery.negatives.listByPerson(personId).length;
      const recorded = gallery.negatives.removeRecordedFrom(subject.eventIds);
      const events = gallery.events.deleteIds(subject.eventIds);
      const others = gallery.people
        .list()
        .filter((p) => p.id !== personId && subject.names.some((n) => p.name.includes(n)))
        .map((p) => p.name);
      const redact = redactor(subject.names, others);
      const imports = eraseImports(gallery, subject, redact);
      // Their id as a whole number: "personId":1 is not "personId":12.
      const personIdField = new RegExp(`"personId":${personId}(?!\\d)`);
      deps.jobs.removeWhere((texts) => texts.some((t) => personIdField.test(t) || redact(t) !== t));
      for (const name of subject.names) {
        gallery.events.rewriteSources(name, redact);
        gallery.samples.rewriteSourceNames(name, redact);
      }
      const scrubbed = keepNames
        ? { removed: 0, scrubbed: 0 }
        : scrubAudit(gallery.audit, entries, subject, redact);
      audit('person.forget', keepNames ? { personId, name: person.name } : {});
      return {
        forgotten: { id: person.id, name: person.name },
        samples,
        events,
        negatives: ownNegatives + recorded.length,
        imports,
        audit: scrubbed,
        negativeModels: [...new Set(recorded)],
      };
    },
    context,
  );
  return {
    forgotten: report.forgotten,
    samples: report.samples,
    events: report.events,
    negatives: report.negatives,
    imports: report.imports,
    audit: report.audit,
    walTruncated: truncateWal(gallery.db),
  };
}

/**
 * Bulk-import progress: records of their photos (by content hash, the samples' own) and of their folder
 * (a photo rejected from it has no sample) go; other records' messages lose their name ("looks like X").
 */
function eraseImports(gallery: Gallery, subject: Subject, redact: Redact): number {
  const keys = new Set(subject.names.map(safeKey));
  let removed = 0;
  for (const r of gallery.imports.list()) {
    const folder = r.filePath.split(/[\\/]/)[0] ?? '';
    if (subject.contentHashes.has(r.contentHash) || (folder !== '' && keys.has(safeKey(folder)))) {
      gallery.imports.remove(r.filePath, r.contentHash);
      removed++;
    } else if (r.message !== null) {
      const message = redact(r.message);
      if (message !== r.message)
        gallery.imports.record(r.filePath, r.contentHash, r.status, message, r.updatedAt);
    }
  }
  return removed;
}

/** Removes the entries about the subject; strips their ids and names from the others. */
function scrubAudit(
  log: AuditLog,
  entries: readonly AuditEntry[],
  s: Subject,
  redact: Redact,
): ForgetReport['audit'] {
  let removed = 0;
  let scrubbed = 0;
  for (const e of entries) {
    if (isAbout(e, s)) {
      log.remove(e.id);
      removed++;
      continue;
    }
    const details = scrubDetails(e.details, s, redact);
    if (JSON.stringify(details) !== JSON.stringify(e.details)) {
      log.rewrite(e.id, details);
      scrubbed++;
    }
  }
  return { removed, scrubbed };
}

function scrubDetails(details: Record<string, unknown>, s: Subject, redact: Redact): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(details)) {
    if (PERSON_ID_FIELDS.includes(key) && typeof value === 'number' && s.personIds.has(value))
      out[key] = null;
    else if (key === 'removedPersonIds' && Array.isArray(value))
      out[key] = value.filter((id) => !s.personIds.has(id as number));
    else out[key] = redactDeep(value, redact);
  }
  return out;
}

function redactDeep(value: unknown, redact: Redact): unknown {
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, redact));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v, redact)]));
  return value;
}

type Redact = (text: string) => string;

/**
 * Replaces each of `names` where it stands as a whole, not inside a longer word or number, nor inside
 * the name of someone else (`others`, who keep theirs): forgetting "Ann" leaves "Anna" and "Ann Smith"
 * alone, "person 17" leaves "person 170".
 */
function redactor(names: readonly string[], others: readonly string[]): Redact {
  const whole = (text: string) => `(?<![\\p{L}\\p{N}])${escapeRegExp(text)}(?![\\p{L}\\p{N}])`;
  // Longest first, so that a name inside another is tried after it; others' names match to be kept.
  const alternatives = [
    ...others.map((o) => ({ text: o, keep: true })),
    ...names.map((n) => ({ text: n, keep: false })),
  ].sort((a, b) => b.text.length - a.text.length);
  if (alternatives.length === 0) return (text) => text;
  const pattern = new RegExp(alternatives.map((a) => `(${whole(a.text)})`).join('|'), 'gu');
  return (text) =>
    text.replace(pattern, (match, ...groups: unknown[]) => {
      const k = groups.findIndex((g) => g !== undefined);
      return alternatives[k]!.keep ? match : REDACTED;
    });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A folder name's name key, or the folder itself when it is no valid name (it then names nobody). */
function safeKey(name: string): string {
  try {
    return nameKey(name);
  } catch {
    return name;
  }
}
