// The face database as services use it: repositories for reading, and the changes that touch people or
// samples, each of which commits to SQLite, appends to the audit log in the same transaction, and then
// updates the in-memory indexes, so a search never reads the database.
//
// So write people, samples and negatives through this class, not through the repositories; events,
// audit and import progress have no index and are written through their repositories.
//
// Several processes may share one data directory (CLI, server, an import). Triggers bump a generation
// counter on every index-relevant change (migrations.ts); `index()` compares it, a cheap one-row read,
// and reloads when another process changed the gallery.
import { openDatabase, statement, type Db, type OpenDatabaseOptions } from './database.js';
import { AuditLog } from './audit-log.js';
import { EmbeddingIndex, type Aggregation } from './embedding-index.js';
import { EventsRepository } from './events-repository.js';
import { ImportProgress } from './import-progress.js';
import { NegativesRepository, type Negative } from './negatives-repository.js';
import { PeopleRepository, type MergeResult, type Person } from './people-repository.js';
import { SamplesRepository, type NewSample, type Sample } from './samples-repository.js';
import { VisageError } from '../errors.js';

export interface GalleryOptions extends OpenDatabaseOptions {
  /** Default per-person rule of index searches (default `nearest`). */
  aggregation?: Aggregation;
}

/** Who makes a change, for the audit log (API user; omitted for the local CLI). */
export interface ChangeContext {
  actor?: string | null;
}

export type EnrolTarget = { personId: number } | { name: string; note?: string };

export interface EnrolOptions extends ChangeContext {
  /** Skip samples the person already has (reported in `duplicates`) instead of failing the whole batch. */
  skipDuplicates?: boolean;
}

export interface EnrolResult {
  person: Person;
  /** True when the person was created by this enrolment. */
  created: boolean;
  added: Sample[];
  /** Input positions skipped as duplicates, with the existing sample. */
  duplicates: { index: number; sampleId: number }[];
}

export class Gallery {
  readonly people: PeopleRepository;
  readonly samples: SamplesRepository;
  readonly events: EventsRepository;
  readonly negatives: NegativesRepository;
  readonly audit: AuditLog;
  readonly imports: ImportProgress;
  private readonly indexes = new Map<string, EmbeddingIndex>();
  private knownGeneration: number;

  /** Opens `<dataDir>/visage.db` (see openDatabase for errors). Indexes load lazily, per model. */
  static open(dataDir: string, options: GalleryOptions = {}): Gallery {
    return new Gallery(openDatabase(dataDir, options), options.aggregation ?? 'nearest');
  }

  constructor(
    readonly db: Db,
    private readonly aggregation: Aggregation = 'nearest',
  ) {
    this.people = new PeopleRepository(db);
    this.samples = new SamplesRepository(db);
    this.events = new EventsRepository(db);
    this.negatives = new NegativesRepository(db);
    this.audit = new AuditLog(db);
    this.imports = new ImportProgress(db);
    this.knownGeneration = this.generation();
  }

  close(): void {
    this.db.close();
  }

  /**
   * The in-memory index of a model's embeddings and negatives: loaded from the database on first use
   * (7.5 s for a million 128-D vectors, bench/gallery.ts --db), kept in step by this object's changes,
   * and reloaded if another process changed the gallery since. Search it with `.search()`/`.isVetoed()`.
   */
  index(modelId: string): EmbeddingIndex {
    if (this.generation() !== this.knownGeneration) this.forgetIndexes();
    let index = this.indexes.get(modelId);
    if (!index) {
      const loaded = this.db.transaction(() => ({
        index: this.load(modelId),
        generation: this.generation(),
      }))();
      if (loaded.generation !== this.knownGeneration) this.forgetIndexes(loaded.generation);
      index = loaded.index;
      this.indexes.set(modelId, index);
    }
    return index;
  }

  createPerson(name: string, note = '', context: ChangeContext = {}): Person {
    return this.change(context, (audit) => {
      const person = this.people.create(name, note);
      audit('person.create', { personId: person.id, name: person.name });
      return person;
    });
  }

  renamePerson(personId: number, name: string, context: ChangeContext = {}): Person {
    return this.change(context, (audit) => {
      const before = this.people.require(personId);
      const person = this.people.rename(personId, name);
      audit('person.rename', { personId, from: before.name, to: person.name });
      return person;
    });
  }

  setNote(personId: number, note: string, context: ChangeContext = {}): Person {
    return this.change(context, (audit) => {
      const person = this.people.setNote(personId, note);
      audit('person.note', { personId });
      return person;
    });
  }

  /**
   * Enrols samples for a person in one transaction: an existing person by id, or by name (created when no
   * person has that name). Without `skipDuplicates`, one duplicate fails the batch and nothing is stored.
   * Errors: `person_not_found`, `invalid_name`, `duplicate_sample`, `invalid_embedding`, `dimension_mismatch`.
   */
  enrol(target: EnrolTarget, samples: readonly NewSample[], options: EnrolOptions = {}): EnrolResult {
    const stored: [Sample, NewSample][] = [];
    const result = this.change(options, (audit) => {
      let person: Person;
      let created = false;
      if ('personId' in target) {
        person = this.people.require(target.personId);
      } else {
        const existing = this.people.findByName(target.name);
        created = !existing;
        person = existing ?? this.people.create(target.name, target.note ?? '');
      }
      const duplicates: EnrolResult['duplicates'] = [];
      samples.forEach((input, index) => {
        try {
          stored.push([this.samples.add(person.id, input), input]);
        } catch (e) {
          if (!(options.skipDuplicates && e instanceof VisageError && e.code === 'duplicate_sample')) throw e;
          duplicates.push({ index, sampleId: e.details['sampleId'] as number });
        }
      });
      const added = stored.map(([sample]) => sample);
      audit('person.enrol', {
        personId: person.id,
        name: person.name,
        created,
        sampleIds: added.map((s) => s.id),
        duplicates: duplicates.length,
      });
      return { person, created, added, duplicates };
    });
    for (const [sample, input] of stored) {
      for (const e of input.embeddings ?? [])
        this.indexes.get(e.modelId)?.add(sample.id, sample.personId, e.vector);
    }
    return result;
  }

  /** Stores (or replaces) one sample's embedding for a model, e.g. when re-embedding crops for a new model. */
  setEmbedding(sampleId: number, modelId: string, vector: Float32Array, context: ChangeContext = {}): void {
    const sample = this.change(context, (audit) => {
      this.samples.setEmbedding(sampleId, modelId, vector);
      audit('sample.embed', { sampleId, modelId });
      return this.samples.require(sampleId);
    });
    this.indexes.get(modelId)?.add(sampleId, sample.personId, vector);
  }

  removeSample(sampleId: number, context: ChangeContext = {}): Sample {
    const sample = this.change(context, (audit) => {
      const removed = this.samples.remove(sampleId);
      audit('sample.remove', { sampleId, personId: removed.personId });
      return removed;
    });
    for (const index of this.indexes.values()) index.remove(sampleId);
    return sample;
  }

  moveSample(sampleId: number, toPersonId: number, context: ChangeContext = {}): Sample {
    const sample = this.change(context, (audit) => {
      const from = this.samples.require(sampleId).personId;
      const moved = this.samples.move(sampleId, toPersonId);
      audit('sample.move', { sampleId, from, to: toPersonId });
      return moved;
    });
    for (const index of this.indexes.values()) index.move(sampleId, toPersonId);
    return sample;
  }

  /** Deletes a person, their samples and negatives; their events become unknown. */
  deletePerson(personId: number, context: ChangeContext = {}): Person {
    const person = this.change(context, (audit) => {
      const samples = this.samples.listByPerson(personId).length;
      const deleted = this.people.delete(personId);
      audit('person.delete', { personId, name: deleted.name, samples });
      return deleted;
    });
    for (const index of this.indexes.values()) index.removePerson(personId);
    return person;
  }

  /** Merges `fromId` into `intoId` (see PeopleRepository.merge). */
  mergePeople(fromId: number, intoId: number, context: ChangeContext = {}): MergeResult {
    const result = this.change(context, (audit) => {
      const from = this.people.require(fromId);
      const merged = this.people.merge(fromId, intoId);
      audit('person.merge', {
        from: fromId,
        fromName: from.name,
        into: intoId,
        moved: merged.movedSampleIds.length,
        dropped: merged.droppedSampleIds.length,
      });
      return merged;
    });
    for (const index of this.indexes.values()) {
      for (const sampleId of result.droppedSampleIds) index.remove(sampleId);
      index.mergePerson(fromId, intoId);
    }
    return result;
  }

  /** Records that a face (e.g. an event's) is not `personId`; searches can then veto it (EmbeddingIndex.isVetoed). */
  addNegative(
    personId: number,
    modelId: string,
    vector: Float32Array,
    eventId: number | null = null,
    context: ChangeContext = {},
  ): Negative {
    const negative = this.change(context, (audit) => {
      const added = this.negatives.add(personId, modelId, vector, eventId);
      audit('person.negative', { personId, modelId, eventId, negativeId: added.id });
      return added;
    });
    this.indexes.get(modelId)?.addNegative(personId, vector);
    return negative;
  }

  /** Removes a negative example (undoing a `--not NAME` correction). Errors: `negative_not_found`. */
  removeNegative(negativeId: number, context: ChangeContext = {}): Negative {
    const negative = this.change(context, (audit) => {
      const removed = this.negatives.remove(negativeId);
      audit('person.negative.remove', {
        personId: removed.personId,
        modelId: removed.modelId,
        eventId: removed.eventId,
        negativeId,
      });
      return removed;
    });
    // The index keeps negatives as bare vectors without ids: reload this model's on next use (rare action).
    this.indexes.delete(negative.modelId);
    return negative;
  }

  /**
   * Runs one change in a write transaction with its audit entry. The caller updates the loaded indexes
   * after the commit, unless another process's change was detected: then they are dropped and reload.
   */
  private change<T>(
    context: ChangeContext,
    work: (audit: (action: string, details: Record<string, unknown>) => void) => T,
  ): T {
    if (this.db.inTransaction) {
      // An outer transaction could roll back after the indexes were updated.
      throw new Error('Gallery changes run their own transaction; do not call them inside one');
    }
    let before = 0;
    let after = 0;
    const result = this.db
      .transaction(() => {
        before = this.generation();
        const value = work((action, details) => this.audit.append(action, details, context.actor ?? null));
        after = this.generation();
        return value;
      })
      .immediate();
    if (before !== this.knownGeneration) this.forgetIndexes();
    this.knownGeneration = after;
    return result;
  }

  private load(modelId: string): EmbeddingIndex {
    const index = EmbeddingIndex.fromEntries(modelId, this.samples.iterateEmbeddings(modelId), {
      aggregation: this.aggregation,
      expectedSize: this.samples.countEmbeddings(modelId),
    });
    for (const n of this.negatives.iterate(modelId)) index.addNegative(n.personId, n.vector);
    return index;
  }

  private forgetIndexes(generation = this.generation()): void {
    this.indexes.clear();
    this.knownGeneration = generation;
  }

  private generation(): number {
    return statement(this.db, 'SELECT value FROM gallery_generation WHERE id = 1', 'pluck').get() as number;
  }
}
