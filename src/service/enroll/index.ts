// The enrol feature's one entrance: enrolment itself, and the verbs built on it — a folder per person,
// corrections of past recognitions, re-embedding with another model. Each verb below takes only the
// dependencies it uses; this class is where they are bound once, and where model work enters the
// scheduler: one enrolment (all its photos, analysis and store) or one correction is one unit, so
// concurrent enrolments into one person see each other's samples; a folder import is a unit per person.
import type { ChangeContext, Gallery } from '../../gallery/gallery.js';
import type { FaceService } from '../faces/face-service.js';
import type { People } from '../people/people.js';
import type { Recognizer } from '../recognize/recognizer.js';
import type { Scheduler, WorkOptions } from '../scheduler.js';
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
import { moveSample, type MoveOptions } from './move-sample.js';
import type { SampleJson, SampleMove } from '../people/people.js';

export interface EnrollDeps {
  faces: FaceService;
  gallery: Gallery;
  recognizer: Recognizer;
  people: People;
  scheduler: Scheduler;
}

export class Enrollment {
  constructor(private readonly deps: EnrollDeps) {}

  enroll = (
    name: string,
    inputs: readonly EnrollInput[],
    options: EnrollOptions = {},
    work: WorkOptions = {},
  ): Promise<EnrollReport> => this.deps.scheduler.run(() => enroll(this.deps, name, inputs, options), work);

  /**
   * `enroll` into the person with this id (`person_not_found`); the name is looked up when the unit runs,
   * so a rename while the photos wait is followed.
   */
  enrollInto = (
    personId: number,
    inputs: readonly EnrollInput[],
    options: EnrollOptions = {},
    work: WorkOptions = {},
  ): Promise<EnrollReport> =>
    this.deps.scheduler.run(
      () => enroll(this.deps, this.deps.gallery.people.require(personId).name, inputs, options),
      work,
    );

  /** A folder with one subfolder per person; resumable (bulk-import.ts). */
  importFolder(dir: string, options: ImportFolderOptions = {}): Promise<ImportFolderReport> {
    return importPeopleFolder({ gallery: this.deps.gallery, enroll: this.enroll }, dir, options);
  }

  /** Gives a sample to another person after the resemblance check (move-sample.ts). */
  moveSample(sampleId: number, toPersonId: number, options: MoveOptions = {}): SampleJson {
    return moveSample(this.deps, sampleId, toPersonId, options);
  }

  /** The same move with the person by name (the CLI), saying whom it came from and went to. */
  moveSampleToName(sampleId: number, toName: string, options: MoveOptions = {}): SampleMove {
    const { gallery, people } = this.deps;
    const from = gallery.people.require(gallery.samples.require(sampleId).personId);
    const to = people.find(toName);
    const sample = moveSample(this.deps, sampleId, to.id, options);
    return { sample, from: { id: from.id, name: from.name }, to: { id: to.id, name: to.name } };
  }

  /** "This event's face is NAME" or "is not NAME" (corrections.ts). */
  correct(
    eventId: number,
    correction: Correction,
    options: CorrectOptions = {},
    work: WorkOptions = {},
  ): Promise<CorrectionReport> {
    return this.deps.scheduler.run(
      () => correct({ ...this.deps, enroll: this.enroll }, eventId, correction, options),
      work,
    );
  }

  uncorrect(eventId: number, context: ChangeContext = {}): UndoReport {
    return uncorrect({ ...this.deps, enroll: this.enroll }, eventId, context);
  }

  /**
   * Re-embeds stored crops with a model (reindex.ts). One unit for the whole run: it is the CLI's verb
   * (`visage reindex`), alone in its process; offered by the server, it would need a unit per batch.
   */
  reindex(options: ReindexOptions = {}): Promise<ReindexReport> {
    return this.deps.scheduler.run(() => reindex(this.deps, options));
  }
}
