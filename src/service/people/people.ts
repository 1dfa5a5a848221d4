// Managing the gallery by name: list, show, rename (or merge into a taken name), merge, delete, and a
// person's samples. A thin layer over Gallery's change methods, which audit every change; this adds the
// lookups by name and sample id with messages that say what to do, and the JSON shapes of people,
// samples and events (the same fields as the HTTP API's, src/server/views.ts).
import type { ChangeContext, Gallery } from '../../gallery/gallery.js';
import type { RecognitionEvent } from '../../gallery/events-repository.js';
import type { Person, PersonSummary } from '../../gallery/people-repository.js';
import type { Sample } from '../../gallery/samples-repository.js';
import { VisageError } from '../../errors.js';
import type { Box } from '../json.js';

export interface PersonJson {
  id: number;
  name: string;
  note: string;
  samples: number;
  /** ISO 8601 times (UTC). */
  createdAt: string;
  updatedAt: string;
  /** Time of the person's latest recognition event, or null. */
  lastSeenAt: string | null;
}

export interface PersonRef {
  id: number;
  name: string;
}

export interface SampleJson {
  id: number;
  personId: number;
  /** The file (or event) the sample was taken from, as given. */
  sourceName: string;
  contentHash: string;
  box: Box | null;
  quality: Record<string, unknown> | null;
  /** Embedding models this sample has a vector for. */
  models: string[];
  createdAt: string;
}

export interface EventJson {
  id: number;
  time: string;
  source: string;
  offsetS: number | null;
  frame: number | null;
  box: Box;
  personId: number | null;
  name: string | null;
  score: number | null;
  distance: number | null;
  hasSnapshot: boolean;
  modelId: string | null;
}

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

/** How many recent events `show` includes. */
const RECENT_EVENTS = 10;

export class People {
  constructor(private readonly gallery: Gallery) {}

  /** The person with this name (compared case- and width-insensitively), or `person_not_found`. */
  find(name: string): Person {
    const person = this.gallery.people.findByName(name);
    if (!person)
      throw new VisageError('person_not_found', `no person named "${name}"; see \`visage people\``, { name });
    return person;
  }

  /** A sample by id, or `sample_not_found`. */
  sample(id: number): Sample {
    const sample = this.gallery.samples.get(id);
    if (!sample)
      throw new VisageError('sample_not_found', `no sample with id ${id}; see \`visage samples NAME\``, {
        sampleId: id,
      });
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
   * Renames `from` to `to`. A name held by someone else is refused (`name_taken`, saying to add --merge)
   * unless `merge`: then `from` is merged into the holder, who keeps their name.
   */
  rename(from: string, to: string, options: ManageOptions & { merge?: boolean } = {}): RenameResult {
    const person = this.find(from);
    const holder = this.gallery.people.findByName(to);
    if (holder && holder.id !== person.id) {
      if (!options.merge) {
        throw new VisageError(
          'name_taken',
          `"${holder.name}" is already someone else's name; add --merge to merge ${person.name} into ${holder.name}, or pick another name`,
          { name: to, personId: holder.id },
        );
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

  /** Gives a sample to another person (a photo enrolled under the wrong name). */
  moveSample(sampleId: number, toName: string, options: ManageOptions = {}): SampleMove {
    const from = this.gallery.people.require(this.sample(sampleId).personId);
    const to = this.find(toName);
    const moved = this.gallery.moveSample(sampleId, to.id, options);
    return { sample: sampleJson(moved), from: ref(from), to: ref(to) };
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

const iso = (ms: number): string => new Date(ms).toISOString();

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
    quality: s.quality,
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
