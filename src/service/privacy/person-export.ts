// "Export this person's data" (GDPR art. 15 and 20): the archive of `visage export`, filtered to one
// person (archive.ts ExportOptions.personId): the person, their samples with crops and embeddings, their
// events with snapshots, and the audit entries about them (subject.ts isAbout), which record their
// corrections, all read in one transaction. The corrections' own vectors are left out: a "not X" vector
// is the face of someone else, whose biometric data is not the subject's to receive. It is an ordinary
// archive: `visage import` takes it into another gallery.
import { exportArchive, type ExportReport } from '../archive/archive.js';
import type { Gallery } from '../../gallery/gallery.js';
import { isAbout, subjectOf } from './subject.js';

/** Writes person `personId`'s archive to `file`. Errors: `person_not_found`, `file_unwritable`. */
export function exportPerson(gallery: Gallery, personId: number, file: string): ExportReport {
  return gallery.db.transaction(() => {
    const entries = [...gallery.audit.iterate()];
    const subject = subjectOf(gallery, personId, entries);
    return exportArchive(gallery, file, {
      personId,
      negatives: false,
      audit: entries.filter((e) => isAbout(e, subject)),
    });
  })();
}
