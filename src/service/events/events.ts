// Recognition history: events filtered by person (or unknown faces), source and time, as pages of JSON
// or one CSV document (the one CSV writer, api/csv.ts, with its formula guard), and each event's face
// snapshot. Corrections of events are enrolment's (enroll/corrections.ts).
import { toCsv, type CsvCell } from '../../api/csv.js';
import type { EventSourceList } from '../../api/index.js';
import { VisageError } from '../../errors.js';
import type { EventQuery, EventsRepository, RecognitionEvent } from '../../gallery/events-repository.js';
import type { PeopleRepository } from '../../gallery/people-repository.js';
import { eventJson, type EventJson } from '../people/people.js';

export interface EventFilters {
  /** Only this person's events. */
  personId?: number;
  /** Only faces nobody was recognised in. */
  unknown?: boolean;
  /** Only events of this source (file name, camera). */
  source?: string;
  /** ISO 8601 time or milliseconds since the epoch; inclusive. */
  from?: string | number;
  /** ISO 8601 time or milliseconds since the epoch; exclusive. */
  to?: string | number;
}

export interface EventPage {
  items: EventJson[];
  /** Events matching the filters, in all. */
  total: number;
}

export const CSV_COLUMNS = [
  'id',
  'time',
  'source',
  'offsetS',
  'frame',
  'x',
  'y',
  'width',
  'height',
  'personId',
  'name',
  'score',
  'distance',
] as const;

/** Events read per query while writing the CSV. */
const CSV_PAGE = 1000;

export class Events {
  constructor(private readonly deps: { events: EventsRepository; people: PeopleRepository }) {}

  /** Newest first. Errors: `invalid_query` (both a person and unknown; an unreadable time). */
  list(filters: EventFilters = {}, page: { limit?: number; offset?: number } = {}): EventPage {
    const query = eventQuery(filters);
    const names = new Map<number, string | null>();
    return {
      items: this.deps.events
        .list({ ...query, limit: page.limit ?? 50, offset: page.offset ?? 0 })
        .map((e) => this.view(e, names)),
      total: this.deps.events.count(query),
    };
  }

  /** Every matching event as CSV (UTF-8 with a BOM, so spreadsheet programs read names right). */
  csv(filters: EventFilters = {}): string {
    const query = eventQuery(filters);
    const names = new Map<number, string | null>();
    const rows: CsvCell[][] = [];
    for (let offset = 0; ; offset += CSV_PAGE) {
      const page = this.deps.events.list({ ...query, limit: CSV_PAGE, offset });
      for (const e of page) {
        const v = this.view(e, names);
        rows.push([
          v.id,
          v.time,
          v.source,
          v.offsetS,
          v.frame,
          v.box.x,
          v.box.y,
          v.box.width,
          v.box.height,
          v.personId,
          v.name,
          v.score,
          v.distance,
        ]);
      }
      if (page.length < CSV_PAGE) break;
    }
    return `\uFEFF${toCsv(CSV_COLUMNS, rows)}`;
  }

  /** The sources events came from (files, cameras), for a filter to choose from; latest first. */
  sources(): EventSourceList {
    return {
      items: this.deps.events
        .sources()
        .map((s) => ({ source: s.source, events: s.events, lastTime: new Date(s.lastTime).toISOString() })),
    };
  }

  /** The face as it was seen (JPEG); `event_not_found`, `snapshot_not_found`. */
  snapshot(id: number): Buffer {
    this.deps.events.require(id);
    const jpeg = this.deps.events.snapshot(id);
    if (!jpeg) throw new VisageError('snapshot_not_found', `Event ${id} has no snapshot.`, { eventId: id });
    return jpeg;
  }

  /** An event with its person's name; `names` caches names across the events of one page. */
  private view(e: RecognitionEvent, names: Map<number, string | null>): EventJson {
    if (e.personId !== null && !names.has(e.personId))
      names.set(e.personId, this.deps.people.get(e.personId)?.name ?? null);
    return eventJson(e, e.personId === null ? null : names.get(e.personId)!);
  }
}

/** The repository's query for a set of filters. */
export function eventQuery(q: EventFilters): Omit<EventQuery, 'limit' | 'offset'> {
  if (q.personId !== undefined && q.unknown) {
    throw new VisageError('invalid_query', 'Ask for one person or for unknown faces, not both.');
  }
  return {
    ...(q.personId !== undefined ? { personId: q.personId } : q.unknown ? { personId: null } : {}),
    ...(q.source !== undefined ? { source: q.source } : {}),
    ...(q.from !== undefined ? { from: parseInstant(q.from, 'from') } : {}),
    ...(q.to !== undefined ? { to: parseInstant(q.to, 'to') } : {}),
  };
}

function parseInstant(value: string | number, name: string): number {
  const ms = typeof value === 'number' ? value : /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms)) {
    throw new VisageError(
      'invalid_query',
      `"${name}" must be an ISO 8601 time or milliseconds since the epoch.`,
      { [name]: value },
    );
  }
  return ms;
}
