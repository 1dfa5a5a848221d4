// The enrol feature's one entrance: enrolment itself, and the verbs built on it — a folder per person,
// corrections of past recognitions, re-embedding with another model. Each verb below takes only the
// dependencies it uses; this class is where they are bound once.
import type { ChangeContext, Gallery } from '../../gallery/gallery.js';
import type { FaceService } from '../faces/face-service.js';
import type { People } from '../people/people.js';
import type { Recognizer } from '../recognize/recognizer.js';
import { importPeopleFolder, type ImportFolderOptions, type ImportFolderReport } from './bulk-import.js';
import {
  correct,
  uncorrect,
  type Correction,
  type CorrectionReport,
  type CorrectOptions,
  type UndoReport,
} from './corrections.js';
import { enroll, type EnrollInput, type EnrollOptions, type EnrollReport } from './enrollment.js';
import { reindex, type ReindexOptions, type ReindexReport } from './reindex.js';

export interface EnrollDeps {
  faces: FaceService;
  gallery: Gallery;
  recognizer: Recognizer;
  people: People;
}

export class Enrollment {
  constructor(private readonly deps: EnrollDeps) {}

  enroll = (
    name: string,
    inputs: readonly EnrollInput[],
    options: EnrollOptions = {},
  ): Promise<EnrollReport> => enroll(this.deps, name, inputs, options);

  /** A folder with one subfolder per person; resumable (bulk-import.ts). */
  importFolder(dir: string, options: ImportFolderOptions = {}): Promise<ImportFolderReport> {
    return importPeopleFolder({ gallery: this.deps.gallery, enroll: this.enroll }, dir, options);
  }

  /** "This event's face is NAME" or "is not NAME" (corrections.ts). */
  correct(eventId: number, correction: Correction, options: CorrectOptions = {}): Promise<CorrectionReport> {
    return correct({ ...this.deps, enroll: this.enroll }, eventId, correction, options);
  }

  uncorrect(eventId: number, context: ChangeContext = {}): UndoReport {
    return uncorrect({ ...this.deps, enroll: this.enroll }, eventId, context);
  }

  /** Re-embeds stored crops with a model (reindex.ts). */
  reindex(options: ReindexOptions = {}): Promise<ReindexReport> {
    return reindex(this.deps, options);
  }
}
