// Managing the gallery: one set of verbs for the CLI and the HTTP API. By name (the CLI): list, show,
// rename (or merge into a taken name), merge, delete, a person's samples; by id (the HTTP API): a page of
// people with its total, create with a note, get, update, merge, delete, samples' thumbnails and moves.
// A thin layer over Gallery's change methods, which audit every change; this adds the lookups with
// messages that say what to do, and the one set of JSON shapes of people, samples and events. Also the
// look-alikes: pairs of enrolled people whose nearest samples lie within the balanced threshold.
import type { ChangeContext, Gallery } from '../../gallery/gallery.js';
import type { EmbeddingIndex, IndexEntry } from '../../gallery/embedding-index.js';
import type { RecognitionEvent } from '../../gallery/events-repository.js';
import type { Person, PersonSummary } from '../../gallery/people-repository.js';
import type { Sample } from '../../gallery/samples-repository.js';
import { VisageError } from '../../errors.js';
import { iso } from '../json.js';
import { CALIBRATIONS, DEFAULT_CALIBRATION, normalise, type ModelNorm } from '../recognize/decision.js';
import type * as api from '../../api/index.js';

// The JSON shapes are the API contract's (src/api/shapes.ts): one definition for the CLI, the HTTP API
// and the web app.
/** A person as the CLI shows them: the API's Person without the UI's thumbnail. */
export type PersonJson = Omit<api.Person, 'thumbnailSampleId'>;
/** A person as the HTTP API lists them: the summary plus the sample the UI shows as their picture. */
export type PersonView = api.Person;
export type PersonPage = api.PersonPage;
export type PersonRef = api.PersonRef;
export type SampleJson = api.Sample;
export type EventJson = api.Event;

export interface PersonDetails {
  person: PersonJson;
  samples: SampleJson[];
  /** "Not this person" corrections recorded against them. */
  negatives: number;
  events: { total: number; recent: EventJson[] };
}

export interface RenameResult {
  person: PersonJson;
  /** Set when the new name was taken and `merge` was asked: who was merged into whom. */
  merged?: MergeJson;
}

export interface MergeJson {
  from: PersonRef;
  into: PersonJson;
  movedSampleIds: number[];
  /** Samples dropped because `into` already had the same content. */
  droppedSampleIds: number[];
}

export interface DeleteResult {
  deleted: PersonRef;
  samples: number;
  negatives: number;
  /** Recognition events that showed them and now show an unknown face. */
  eventsUnlinked: number;
}

export interface SampleChange {
  sample: SampleJson;
  person: PersonRef;
}

export interface SampleMove {
  sample: SampleJson;
  from: PersonRef;
  to: PersonRef;
}

export type ManageOptions = ChangeContext;

/** An enrolled person another one looks like (the enrolment report's warning). */
export type PersonLookalike = api.EnrollLookalike;
export type LookalikePair = api.LookalikePair;
export type LookalikeList = api.LookalikeList;

/** How many recent events `show` includes. */
const RECENT_EVENTS = 10;

export class People {
  constructor(private readonly gallery: Gallery) {}

  /** The person with this name (compared case- and width-insensitively), or `person_not_found`. */
  find(name: string): Person {
    const person = this.gallery.people.findByName(name);
    if (!person) throw new VisageError('person_not_found', `no person named "${name}"`, { name });
    return person;
  }

  /** A sample by id, or `sample_not_found`. */
  sample(id: number): Sample {
    const sample = this.gallery.samples.get(id);
    if (!sample) throw new VisageError('sample_not_found', `no sample with id ${id}`, { sampleId: id });
    return sample;
  }

  list(query?: string): PersonJson[] {
    return this.gallery.people.list({ query }).map(personJson);
  }

  show(name: string): PersonDetails {
    const person = this.find(name);
    return {
      person: this.summary(person.id),
      samples: this.gallery.samples.listByPerson(person.id).map(sampleJson),
      negatives: this.gallery.negatives.listByPerson(person.id).length,
      events: {
        total: this.gallery.events.count({ personId: person.id }),
        recent: this.gallery.events
          .list({ personId: person.id, limit: RECENT_EVENTS })
          .map((e) => eventJson(e, person.name)),
      },
    };
  }

  samples(name: string): { person: PersonRef; samples: SampleJson[] } {
    const person = this.find(name);
    return { person: ref(person), samples: this.gallery.samples.listByPerson(person.id).map(sampleJson) };
  }

  /**
   * Renames `from` to `to`. A name held by someone else is refused (`name_taken`; details name the holder
   * and the person, so a caller can offer the merge) unless `merge`: then `from` is merged into the
   * holder, who keeps their name.
   */
  rename(from: string, to: string, options: ManageOptions & { merge?: boolean } = {}): RenameResult {
    const person = this.find(from);
    const holder = this.gallery.people.findByName(to);
    if (holder && holder.id !== person.id) {
      if (!options.merge) {
        throw new VisageError('name_taken', `"${holder.name}" is already someone else's name`, {
          name: to,
          personId: holder.id,
          holder: holder.name,
          person: person.name,
        });
      }
      const merged = this.mergeIds(person, holder, options);
      return { person: merged.into, merged };
    }
    const renamed = this.gallery.renamePerson(person.id, to, options);
    return { person: this.summary(renamed.id) };
  }

  /** Merges `from` into `into`: samples, events and corrections move; `from` is deleted. */
  merge(from: string, into: string, options: ManageOptions = {}): MergeJson {
    return this.mergeIds(this.find(from), this.find(into), options);
  }

  /** Deletes a person with their samples and corrections; their events become unknown faces. */
  delete(name: string, options: ManageOptions = {}): DeleteResult {
    const person = this.find(name);
    const samples = this.gallery.samples.listByPerson(person.id).length;
    const negatives = this.gallery.negatives.listByPerson(person.id).length;
    const eventsUnlinked = this.gallery.events.count({ personId: person.id });
    this.gallery.deletePerson(person.id, options);
    return { deleted: ref(person), samples, negatives, eventsUnlinked };
  }

  removeSample(sampleId: number, options: ManageOptions = {}): SampleChange {
    const owner = this.gallery.people.require(this.sample(sampleId).personId);
    const removed = this.gallery.removeSample(sampleId, options);
    return { sample: sampleJson(removed), person: ref(owner) };
  }

  // By id: the HTTP API's verbs.

  /** A page of people by name, with search (case- and width-insensitive substring), and the total. */
  page(options: { search?: string; limit?: number; offset?: number } = {}): PersonPage {
    const query = options.search?.trim() || undefined;
    return {
      items: this.gallery.people
        .list({ query, limit: options.limit, offset: options.offset })
        .map((p) => this.view(p)),
      total: this.gallery.people.count({ query }),
    };
  }

  /** Errors: `name_taken`, `invalid_name`, `invalid_note`. */
  create(name: string, note = '', options: ManageOptions = {}): PersonView {
    return this.byId(this.gallery.createPerson(name, note, options).id);
  }

  /** A person by id; `person_not_found` when missing. */
  byId(id: number): PersonView {
    const summary = this.gallery.people.summary(id);
    if (!summary) this.gallery.people.require(id); // throws person_not_found
    return this.view(summary!);
  }

  /** A person with their samples (in place of the sample count). */
  withSamples(id: number): Omit<PersonView, 'samples'> & { samples: SampleJson[] } {
    return { ...this.byId(id), samples: this.gallery.samples.listByPerson(id).map(sampleJson) };
  }

  /** Renames (`name_taken` when someone else has the name) and/or changes the note. */
  update(id: number, changes: { name?: string; note?: string }, options: ManageOptions = {}): PersonView {
    this.gallery.people.require(id);
    if (changes.name !== undefined) this.gallery.renamePerson(id, changes.name, options);
    if (changes.note !== undefined) this.gallery.setNote(id, changes.note, options);
    return this.byId(id);
  }

  /** Merges person `id` into `intoId`; counts of the samples moved and of those dropped as duplicates. */
  mergeInto(
    id: number,
    intoId: number,
    options: ManageOptions = {},
  ): { person: PersonView; movedSamples: number; droppedSamples: number } {
    const result = this.gallery.mergePeople(id, intoId, options);
    return {
      person: this.byId(result.into.id),
      movedSamples: result.movedSampleIds.length,
      droppedSamples: result.droppedSampleIds.length,
    };
  }

  deleteById(id: number, options: ManageOptions = {}): void {
    this.gallery.deletePerson(id, options);
  }

  /** A sample's stored face crop (JPEG); `sample_not_found`, or `not_found` when it has none. */
  thumbnail(sampleId: number): Buffer {
    this.sample(sampleId);
    const crop = this.gallery.samples.crop(sampleId);
    if (!crop) throw new VisageError('not_found', `Sample ${sampleId} has no stored crop.`, { sampleId });
    return crop;
  }

  removeSampleById(sampleId: number, options: ManageOptions = {}): void {
    this.gallery.removeSample(sampleId, options);
  }

  /**
   * Every pair of look-alikes in the gallery for this model, closest first: people whose nearest samples
   * score at or above the balanced threshold (lookalikeRule). Scans the model's in-memory index with each
   * stored vector; empty when the model has no calibration. Cost: one search per sample (bench:gallery:
   * 0.12 ms at 10k vectors, 0.8 ms at 100k), so about 1 s for a 10k-sample gallery, 80 s for 100k.
   */
  lookalikes(modelId: string): LookalikeList {
    const rule = lookalikeRule(modelId);
    if (!rule) return { model: modelId, calibration: null, threshold: null, items: [] };
    const index = this.gallery.index(modelId);
    // The index is loaded first: while the rows stream, nothing else reads the database.
    const hits = scanLookalikes(index, this.gallery.samples.iterateEmbeddings(modelId), rule);
    const items = [...hits.values()].map((h): LookalikePair => {
      const a = h.personId < h.otherId ? h : flip(h);
      return {
        a: { id: a.personId, name: this.gallery.personName(a.personId) },
        b: { id: a.otherId, name: this.gallery.personName(a.otherId) },
        evidence: round3(a.evidence),
        aSampleId: a.sampleId,
        bSampleId: a.otherSampleId,
      };
    });
    items.sort((x, y) => y.evidence - x.evidence || x.a.id - y.a.id || x.b.id - y.b.id);
    return { model: modelId, calibration: rule.calibration, threshold: rule.threshold, items };
  }

  /** The people this person looks like (see `lookalikes`), closest first, from their stored samples. */
  lookalikesOf(personId: number, modelId: string): PersonLookalike[] {
    const rule = lookalikeRule(modelId);
    if (!rule) return [];
    const index = this.gallery.index(modelId);
    const own = this.gallery.samples.listByPerson(personId).flatMap((s): IndexEntry[] => {
      const vector = this.gallery.samples.embedding(s.id, modelId);
      return vector ? [{ sampleId: s.id, personId, vector }] : [];
    });
    return [...scanLookalikes(index, own, rule).values()]
      .sort((x, y) => y.evidence - x.evidence || x.otherId - y.otherId)
      .map((h) => ({
        personId: h.otherId,
        name: this.gallery.personName(h.otherId),
        evidence: round3(h.evidence),
        threshold: rule.threshold,
        sampleId: h.sampleId,
        lookalikeSampleId: h.otherSampleId,
      }));
  }

  private view(p: PersonSummary): PersonView {
    return {
      ...personJson(p),
      // The first enrolled sample: usually the photo the user chose first for this person.
      thumbnailSampleId: p.sampleCount > 0 ? (this.gallery.samples.listByPerson(p.id)[0]?.id ?? null) : null,
    };
  }

  private mergeIds(from: Person, into: Person, options: ManageOptions): MergeJson {
    const result = this.gallery.mergePeople(from.id, into.id, options);
    return {
      from: ref(from),
      into: this.summary(result.into.id),
      movedSampleIds: result.movedSampleIds,
      droppedSampleIds: result.droppedSampleIds,
    };
  }

  private summary(id: number): PersonJson {
    return personJson(this.gallery.people.summary(id)!);
  }
}

export function personJson(p: PersonSummary): PersonJson {
  return {
    id: p.id,
    name: p.name,
    note: p.note,
    samples: p.sampleCount,
    createdAt: iso(p.createdAt),
    updatedAt: iso(p.updatedAt),
    lastSeenAt: p.lastSeen === null ? null : iso(p.lastSeen),
  };
}

export function sampleJson(s: Sample): SampleJson {
  return {
    id: s.id,
    personId: s.personId,
    sourceName: s.sourceName,
    contentHash: s.contentHash,
    box: s.box,
    // Stored as enrolment measured it (qualityJson): the API's Quality.
    quality: s.quality as api.Quality | null,
    models: s.modelIds,
    createdAt: iso(s.createdAt),
  };
}

/** `name` is the event's person's name (null for an unknown face). */
export function eventJson(e: RecognitionEvent, name: string | null): EventJson {
  return {
    id: e.id,
    time: iso(e.time),
    source: e.source,
    offsetS: e.offsetS,
    frame: e.frame,
    box: e.box,
    personId: e.personId,
    name,
    score: e.score,
    distance: e.distance,
    hasSnapshot: e.hasSnapshot,
    modelId: e.modelId,
  };
}

export function ref(p: Person): PersonRef {
  return { id: p.id, name: p.name };
}

// ---------------------------------------------------------------- look-alikes

/** When two enrolled people count as look-alikes for a model. */
export interface LookalikeRule {
  /** The calibration (decision.ts CALIBRATIONS key) the figures come from. */
  calibration: string;
  /** Impostor statistics of the model's cosine similarity: z = (similarity − mean) / std. */
  norm: ModelNorm;
  /** The balanced threshold (z units): a pair of samples at least this close is a look-alike pair. */
  threshold: number;
}

/**
 * The rule for a model: the default calibration's when it is that model alone (dlib-resnet: its
 * impostor statistics and balanced threshold 2.809 z), else the model's own single-model calibration;
 * null for a model without one. MODELS.md ("Look-alikes"): with all 80 dev people enrolled (2 photos
 * each), 5 pairs lie within the default's balanced threshold (AKB48 members, Korean actresses and Chinese
 * actresses among themselves); at the plain rule's 2.351 it was 84 (also the Chinese male singers). An
 * extra recognition margin between them (lookalikeMargin) only cost recall on dev, so it is 0 and this
 * stays a warning.
 */
export function lookalikeRule(modelId: string): LookalikeRule | null {
  for (const key of [DEFAULT_CALIBRATION, modelId]) {
    const c = CALIBRATIONS[key];
    const ids = c ? Object.keys(c.models) : [];
    if (c && ids.length === 1 && ids[0] === modelId) {
      return { calibration: key, norm: c.models[modelId]!, threshold: c.thresholds.balanced };
    }
  }
  return null;
}

/** The closest pair of samples of a query sample's owner and another person (z units). */
export interface LookalikeHit {
  personId: number;
  otherId: number;
  evidence: number;
  sampleId: number;
  otherSampleId: number;
}

/** How many people a search returns at first; doubled while the last one is still a look-alike. */
const LOOKALIKE_SEARCH_K = 8;

/**
 * For each query sample, every other person whose nearest sample scores ≥ the rule's threshold against
 * it, found with the index's exact top-k search; one hit per pair of people (the closest), keyed
 * "low id:high id". Reads only the index (memory) and the queries.
 */
export function scanLookalikes(
  index: Pick<EmbeddingIndex, 'search' | 'stats'>,
  queries: Iterable<IndexEntry>,
  rule: LookalikeRule,
): Map<string, LookalikeHit> {
  const hits = new Map<string, LookalikeHit>();
  const people = index.stats().people;
  for (const q of queries) {
    let k = Math.min(LOOKALIKE_SEARCH_K, people);
    let found = index.search(q.vector, k, 'nearest');
    while (
      found.length === k &&
      k < people &&
      normalise(found[found.length - 1]!.sampleSimilarity, rule.norm) >= rule.threshold
    ) {
      k = Math.min(2 * k, people);
      found = index.search(q.vector, k, 'nearest');
    }
    for (const m of found) {
      if (m.personId === q.personId) continue;
      const z = normalise(m.sampleSimilarity, rule.norm);
      if (z < rule.threshold) continue;
      const key = q.personId < m.personId ? `${q.personId}:${m.personId}` : `${m.personId}:${q.personId}`;
      const known = hits.get(key);
      if (!known || z > known.evidence) {
        hits.set(key, {
          personId: q.personId,
          otherId: m.personId,
          evidence: z,
          sampleId: q.sampleId,
          otherSampleId: m.sampleId,
        });
      }
    }
  }
  return hits;
}

function flip(h: LookalikeHit): LookalikeHit {
  return {
    personId: h.otherId,
    otherId: h.personId,
    evidence: h.evidence,
    sampleId: h.otherSampleId,
    otherSampleId: h.sampleId,
  };
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;
