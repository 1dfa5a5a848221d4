// The face database as services use it: repositories for reading, and the changes that touch people or
// samples, each of which commits to SQLite, appends to the audit log in the same transaction, and then
// updates what is kept in memory: the per-model indexes and every person's name. So a search, and
// `Recognizer.identify` with it (per face, per analysed video frame), never reads the database once they
// are loaded: `searchIndex()` and `personName()` answer from memory (test/gallery-hot-path.test.ts runs
// identify on a closed connection to hold that).
//
// So write people, samples and negatives through this class, not through the repositories; events,
// audit and import progress have no index and are written through their repositories.
//
// Several processes may share one data directory (CLI, server, an import). Triggers bump two counters
// (migrations.ts): `value` on every index-relevant change, `names` when people are created, renamed or
// deleted. `index()` compares them (a one-row read) on every call, for management code that must see
// another process's change at once. The search path does not: a timer started by the first
// `searchIndex()` compares them every REFRESH_MS and reloads what changed, off the hot path; on PostgreSQL
// the triggers also NOTIFY, and a node compares at once on the notification (db.onChange). Tried and
// dropped: the comparison on each identify (the generation SELECT this replaces: one read per face per
// frame), and rate-limiting it there (still a read on the hot path, and a stall of a whole index reload
// landing on whichever frame came next).
import { openDatabase, statement, type Db, type OpenDatabaseOptions } from './database.js';
import { AuditLog } from './audit-log.js';
import { ClustersRepository } from './clusters-repository.js';
import { EmbeddingIndex, type Aggregation } from './embedding-index.js';
import { EventsRepository } from './events-repository.js';
import { ImportProgress } from './import-progress.js';
import { NegativesRepository, type Negative } from './negatives-repository.js';
import { PeopleRepository, personNotFound, type MergeResult, type Person } from './people-repository.js';
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

/**
 * How often a gallery that searches looks for another process's changes. A second: an enrolment made
 * from the CLI shows in a running server's recognitions within that, and the look is one row read
 * (~2 µs), negligible however often. Changes made through this object are seen at once, whatever it is.
 */
export const REFRESH_MS = 1000;

/**
 * A sample whose face was smaller than this (shorter side of the box, px, as stored in its quality) is
 * held as low quality: the open-set rule counts it less (decision.ts, lowQualitySamplePenalty). 40 px was
 * the enrolment gate before samples down to 24 px were accepted (SAMPLE_LIMITS in service/enroll).
 */
export const LOW_QUALITY_SAMPLE_SIZE = 40;

/** True when a sample's stored quality says it was enrolled small. */
export function isLowQualitySample(quality: Record<string, unknown> | null | undefined): boolean {
  const size = quality?.['size'];
  return typeof size === 'number' && size < LOW_QUALITY_SAMPLE_SIZE;
}

/** The two counters of gallery_generation (migrations.ts v1 and v4). */
interface Generation {
  index: number;
  names: number;
}

export class Gallery {
  readonly people: PeopleRepository;
  readonly samples: SamplesRepository;
  readonly events: EventsRepository;
  readonly negatives: NegativesRepository;
  readonly audit: AuditLog;
  readonly imports: ImportProgress;
  /** Clusters of unknown faces (service/unknowns/), also erased by a forget (service/privacy/). */
  readonly clusters: ClustersRepository;
  private readonly indexes = new Map<string, EmbeddingIndex>();
  /**
   * Every person's display name, by id, for identify; null until an index is first loaded (management
   * code needs none). Invariant: loaded in the same read transaction as the indexes' generation, and
   * changed by the same methods, so every person an index holds has a name here. Kept here rather than
   * in each EmbeddingIndex: a name is per person, not per model. Cost: ~83 MB of heap for a million
   * people (measured with "person N" names), next to 640 MB of vectors for a million 128-D samples.
   */
  private names: Map<number, string> | null = null;
  private known: Generation;
  /** Models asked for through searchIndex: kept loaded by refresh, so a search never has to load them. */
  private readonly searched = new Set<string>();
  private poll: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;

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
    this.clusters = new ClustersRepository(db);
    this.known = this.generation();
  }

  close(): void {
    this.stopPolling();
    this.db.close();
  }

  /**
   * The in-memory index of a model's embeddings and negatives: loaded from the database on first use
   * (7.5 s for a million 128-D vectors, bench/gallery.ts --db), kept in step by this object's changes,
   * and, because this reads the generation counters first, reloaded at once if another process changed
   * the gallery since. Search it with `.search()`/`.isVetoed()`. The recognition path uses searchIndex.
   */
  index(modelId: string): EmbeddingIndex {
    this.sync(this.generation());
    return this.loaded(modelId);
  }

  /**
   * The same index for the hot path: no database read once loaded (on first use). Another process's
   * changes reach it within REFRESH_MS through the refresh timer this starts (which never keeps the
   * process alive), and whatever they made stale is reloaded there, or right after the local change
   * that noticed them first, never by the search.
   */
  searchIndex(modelId: string): EmbeddingIndex {
    this.searched.add(modelId);
    this.startPolling();
    return this.loaded(modelId);
  }

  /**
   * The display name of a person a loaded index holds, from memory. Errors: `person_not_found` for an
   * id no index holds (the invariant of `names` makes this the only way to miss the map; the reload
   * before failing is a safety net, not a path a search takes).
   */
  personName(personId: number): string {
    const name = this.names?.get(personId);
    if (name !== undefined) return name;
    this.db.transaction(() => {
      this.sync(this.generation());
      this.names = this.loadNames();
    })();
    const reloaded = this.names!.get(personId);
    if (reloaded === undefined) throw personNotFound(personId);
    return reloaded;
  }

  /**
   * Catches up with other processes' changes now (what the refresh timer does every REFRESH_MS): reads
   * the two counters and reloads the indexes that were loaded or searched, or only the names, if they
   * moved.
   */
  refresh(): void {
    const models = new Set([...this.indexes.keys(), ...this.searched]);
    this.sync(this.generation());
    for (const modelId of models) this.loaded(modelId);
  }

  createPerson(name: string, note = '', context: ChangeContext = {}): Person {
    const created = this.change(context, (audit) => {
      const person = this.people.create(name, note);
      audit('person.create', { personId: person.id, name: person.name });
      return person;
    });
    this.names?.set(created.id, created.name);
    return created;
  }

  renamePerson(personId: number, name: string, context: ChangeContext = {}): Person {
    const renamed = this.change(context, (audit) => {
      const before = this.people.require(personId);
      const person = this.people.rename(personId, name);
      audit('person.rename', { personId, from: before.name, to: person.name });
      return person;
    });
    this.names?.set(renamed.id, renamed.name);
    return renamed;
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
    this.names?.set(result.person.id, result.person.name);
    for (const [sample, input] of stored) {
      for (const e of input.embeddings ?? [])
        this.indexes
          .get(e.modelId)
          ?.add(sample.id, sample.personId, e.vector, isLowQualitySample(input.quality));
    }
    return result;
  }

  /** Stores (or replaces) one sample's embedding for a model, e.g. when re-embedding crops for a new model. */
  setEmbedding(sampleId: number, modelId: string, vector: Float32Array, context: ChangeContext = {}): void {
    const [failure] = this.setEmbeddings(modelId, [{ sampleId, vector }], context);
    if (failure) throw failure.error;
  }

  /**
   * Stores (or replaces) many samples' embeddings for one model in one transaction, with one audit entry
   * per sample as setEmbedding writes: what reindex commits per batch. An entry that fails with a
   * VisageError (`sample_not_found`: removed meanwhile by another process; `invalid_embedding`;
   * `dimension_mismatch`) is rolled back alone (a savepoint) and returned; the others are stored.
   */
  setEmbeddings(
    modelId: string,
    entries: readonly { sampleId: number; vector: Float32Array }[],
    context: ChangeContext = {},
  ): { sampleId: number; error: VisageError }[] {
    const failures: { sampleId: number; error: VisageError }[] = [];
    const stored: { sampleId: number; personId: number; vector: Float32Array }[] = [];
    this.change(context, (audit) => {
      for (const { sampleId, vector } of entries) {
        try {
          // Nested: better-sqlite3 runs it as a savepoint, so a failure undoes only this entry.
          const personId = this.db.transaction(() => {
            this.samples.setEmbedding(sampleId, modelId, vector);
            audit('sample.embed', { sampleId, modelId });
            return this.samples.require(sampleId).personId;
          })();
          stored.push({ sampleId, personId, vector });
        } catch (e) {
          if (!(e instanceof VisageError)) throw e;
          failures.push({ sampleId, error: e });
        }
      }
    });
    const index = this.indexes.get(modelId);
    for (const s of stored) index?.add(s.sampleId, s.personId, s.vector);
    return failures;
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
    this.names?.delete(personId);
    return person;
  }

  /**
   * Erases a person in one transaction: `erase` runs first, inside it, for what else refers to them (the
   * privacy service's events, other people's negatives recorded from those events, audit rows; its
   * result says which models lost other people's negatives), then the person row goes with their
   * samples, embeddings and negatives (ON DELETE CASCADE). The audit entry is erase's to write: the
   * policy decides what it may say. Afterwards the indexes and names drop the person, as deletePerson,
   * and the indexes of the models in `negativeModels` are reloaded (an index holds negatives without
   * ids, as removeNegative says).
   */
  forgetPerson<T extends { negativeModels: readonly string[] }>(
    personId: number,
    erase: (person: Person, audit: (action: string, details: Record<string, unknown>) => void) => T,
    context: ChangeContext = {},
  ): T {
    const result = this.change(context, (audit) => {
      const person = this.people.require(personId);
      const erased = erase(person, audit);
      this.people.delete(personId);
      return erased;
    });
    for (const index of this.indexes.values()) index.removePerson(personId);
    this.names?.delete(personId);
    for (const modelId of result.negativeModels) if (this.indexes.delete(modelId)) this.loaded(modelId);
    return result;
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
    this.names?.delete(fromId);
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
    // The index keeps negatives as bare vectors without ids: reload this model's (rare action), now rather
    // than on the next search, which must not read the database.
    if (this.indexes.delete(negative.modelId)) this.loaded(negative.modelId);
    return negative;
  }

  /**
   * Runs one change in a write transaction with its audit entry. The caller updates the loaded indexes
   * and names after the commit, unless another process's change was detected: then what it made stale
   * is dropped (sync) and, for a gallery that searches, reloaded right after (below).
   */
  private change<T>(
    context: ChangeContext,
    work: (audit: (action: string, details: Record<string, unknown>) => void) => T,
  ): T {
    if (this.db.inTransaction) {
      // An outer transaction could roll back after the indexes were updated.
      throw new Error('Gallery changes run their own transaction; do not call them inside one');
    }
    let before = this.known;
    let after = this.known;
    const result = this.db
      .transaction(() => {
        before = this.generation();
        const value = work((action, details) => this.audit.append(action, details, context.actor ?? null));
        after = this.generation();
        return value;
      })
      .immediate();
    const dropped = this.sync(before);
    this.known = after;
    // Another process's change, noticed here first: reload what sync dropped once the caller has made its
    // own in-memory update (a no-op on what was dropped), i.e. in a microtask, so a search need not.
    if (dropped && this.searched.size > 0) queueMicrotask(() => this.refreshQuietly());
    return result;
  }

  /** The model's index and the names, loading what is missing in one read transaction with the counters. */
  private loaded(modelId: string): EmbeddingIndex {
    const ready = this.indexes.get(modelId);
    if (ready && this.names) return ready;
    return this.db.transaction(() => {
      // Read inside the transaction: what is loaded below is exactly of this generation.
      this.sync(this.generation());
      this.names ??= this.loadNames();
      let index = this.indexes.get(modelId);
      if (!index) this.indexes.set(modelId, (index = this.load(modelId)));
      return index;
    })();
  }

  /**
   * Drops what another process's changes made stale, given the counters as read now: every index and
   * the names when `value` moved (an index cannot tell which of its vectors changed), only the names when
   * only `names` moved. Then takes the counters as known. True when something was dropped.
   */
  private sync(current: Generation): boolean {
    let dropped = false;
    if (current.index !== this.known.index) {
      dropped = this.indexes.size > 0 || this.names !== null;
      this.indexes.clear();
      this.names = null;
    } else if (current.names !== this.known.names) {
      dropped = this.names !== null;
      this.names = null;
    }
    this.known = current;
    return dropped;
  }

  private load(modelId: string): EmbeddingIndex {
    const index = EmbeddingIndex.fromEntries(modelId, this.samples.iterateEmbeddings(modelId), {
      aggregation: this.aggregation,
      expectedSize: this.samples.countEmbeddings(modelId),
    });
    for (const n of this.negatives.iterate(modelId)) index.addNegative(n.personId, n.vector);
    const small = statement(
      this.db,
      `SELECT id FROM samples WHERE json_extract(quality, '$.size') < ?`,
      'pluck',
    ).all(LOW_QUALITY_SAMPLE_SIZE) as number[];
    for (const sampleId of small) index.setLowQuality(sampleId, true);
    return index;
  }

  private loadNames(): Map<number, string> {
    const rows = statement(this.db, 'SELECT id, name FROM people').raw(true).all() as [number, string][];
    return new Map(rows);
  }

  private generation(): Generation {
    const row = statement(this.db, 'SELECT value, names FROM gallery_generation WHERE id = 1').get() as {
      value: number;
      names: number;
    };
    return { index: row.value, names: row.names };
  }

  private startPolling(): void {
    if (this.poll) return;
    this.poll = setInterval(() => this.refreshQuietly(), REFRESH_MS);
    this.poll.unref();
    // On PostgreSQL, another node's commit is announced: reload then, not at the next tick (which stays,
    // for a notification lost to a reconnect).
    this.unsubscribe = this.db.onChange?.(() => this.refreshQuietly()) ?? null;
  }

  /** refresh() for the timer and the microtask of change(), which have no caller to throw to. */
  private refreshQuietly(): void {
    // Closed under us (db.close() rather than gallery.close()): nothing left to refresh.
    if (!this.db.open) return this.stopPolling();
    // Never from inside someone's transaction (a timer cannot interrupt better-sqlite3's synchronous
    // ones; this is for a manual BEGIN): the counters would be read in their snapshot.
    if (this.db.inTransaction) return;
    try {
      this.refresh();
    } catch {
      // A read failing now (e.g. a WAL recovery outlasting the busy timeout) is retried next tick;
      // throwing from a timer would take the whole server down.
    }
  }

  private stopPolling(): void {
    if (this.poll) clearInterval(this.poll);
    this.poll = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
  }
}
