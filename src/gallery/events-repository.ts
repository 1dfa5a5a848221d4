// Recognition events: what was seen, where and when, as whom.
import { VisageError } from '../errors.js';
import type { Box } from '../engine/types.js';
import { type Db, rewriteContaining, statement } from './database.js';
import { personNotFound } from './people-repository.js';
import { blobToVector, vectorToBlob } from './vectors.js';

export interface NewEvent {
  /** When it was recognised (ms since the epoch); default now. */
  time?: number;
  /** File path, URL or camera name, as given. */
  source: string;
  /** Seconds from the start of a video or stream; null for a still image. */
  offsetS?: number | null;
  frame?: number | null;
  box: Box;
  /** null: unknown. */
  personId?: number | null;
  score?: number | null;
  distance?: number | null;
  snapshotJpeg?: Uint8Array | null;
  /** Model that produced `embedding` (and the match). */
  modelId?: string | null;
  /** The face's embedding, kept so a later correction can enrol or veto it without re-running models. */
  embedding?: Float32Array | null;
  /** The recognised image's content (content-hash.ts over its decoded pixels): finds a repeat. */
  contentHash?: string | null;
}

export interface RecognitionEvent {
  id: number;
  time: number;
  source: string;
  offsetS: number | null;
  frame: number | null;
  box: Box;
  personId: number | null;
  score: number | null;
  distance: number | null;
  modelId: string | null;
  hasSnapshot: boolean;
  hasEmbedding: boolean;
}

export interface EventQuery {
  /** A person's events; `null` for unknown faces only; omitted for all. */
  personId?: number | null;
  source?: string;
  /** Inclusive lower bound of `time`. */
  from?: number;
  /** Exclusive upper bound of `time`. */
  to?: number;
  /** Newest first by default. */
  order?: 'asc' | 'desc';
  limit?: number;
  offset?: number;
}

interface EventRow {
  id: number;
  time: number;
  source: string;
  offset_s: number | null;
  frame: number | null;
  box: string;
  person_id: number | null;
  score: number | null;
  distance: number | null;
  model_id: string | null;
  has_snapshot: number;
  has_embedding: number;
}

const EVENT_COLUMNS = `id, time, source, offset_s, frame, box, person_id, score, distance, model_id,
  snapshot_jpeg IS NOT NULL AS has_snapshot, embedding IS NOT NULL AS has_embedding`;

export class EventsRepository {
  constructor(private readonly db: Db) {}

  add(event: NewEvent): RecognitionEvent {
    return this.require(this.insert(event));
  }

  /** Stores a batch (one video's worth) in one transaction; returns the new ids in order. */
  addMany(events: readonly NewEvent[]): number[] {
    return this.db.transaction(() => events.map((e) => this.insert(e)))();
  }

  get(id: number): RecognitionEvent | undefined {
    const row = statement(this.db, `SELECT ${EVENT_COLUMNS} FROM events WHERE id = ?`).get(id) as
      EventRow | undefined;
    return row && toEvent(row);
  }

  /** Like get, but `event_not_found` when missing. */
  require(id: number): RecognitionEvent {
    const event = this.get(id);
    if (!event) throw new VisageError('event_not_found', `No event with id ${id}.`, { eventId: id });
    return event;
  }

  list(query: EventQuery = {}): RecognitionEvent[] {
    const { where, params } = filter(query);
    const order = query.order === 'asc' ? 'ASC' : 'DESC';
    const rows = statement(
      this.db,
      `SELECT ${EVENT_COLUMNS} FROM events ${where} ORDER BY time ${order}, id ${order} LIMIT ? OFFSET ?`,
    ).all(...params, query.limit ?? 100, query.offset ?? 0) as EventRow[];
    return rows.map(toEvent);
  }

  count(query: Omit<EventQuery, 'order' | 'limit' | 'offset'> = {}): number {
    const { where, params } = filter(query);
    return statement(this.db, `SELECT COUNT(*) FROM events ${where}`, 'pluck').get(...params) as number;
  }

  snapshot(id: number): Buffer | undefined {
    return (
      (statement(this.db, 'SELECT snapshot_jpeg FROM events WHERE id = ?', 'pluck').get(
        id,
      ) as Buffer | null) ?? undefined
    );
  }

  embedding(id: number): { modelId: string; vector: Float32Array } | undefined {
    const row = statement(this.db, 'SELECT model_id, embedding FROM events WHERE id = ?').get(id) as
      { model_id: string | null; embedding: Buffer | null } | undefined;
    if (!row?.embedding || !row.model_id) return undefined;
    return { modelId: row.model_id, vector: blobToVector(row.embedding) };
  }

  /** Every source (file name, camera) with its number of events and latest time, latest first. */
  sources(): { source: string; events: number; lastTime: number }[] {
    return statement(
      this.db,
      `SELECT source, COUNT(*) AS events, MAX(time) AS lastTime FROM events GROUP BY source
         ORDER BY lastTime DESC LIMIT 500`,
    ).all() as { source: string; events: number; lastTime: number }[];
  }

  /** Events of a recognised image with this content hash, oldest first. */
  findByContentHash(hash: string): RecognitionEvent[] {
    const rows = statement(
      this.db,
      `SELECT ${EVENT_COLUMNS} FROM events WHERE content_hash = ? ORDER BY id`,
    ).all(hash) as EventRow[];
    return rows.map(toEvent);
  }

  /** Replaces an event's embedding with another model's (re-clustering after a model change). */
  setEmbedding(id: number, modelId: string, vector: Float32Array): void {
    statement(this.db, 'UPDATE events SET model_id = ?, embedding = ? WHERE id = ?').run(
      modelId,
      vectorToBlob(vector),
      id,
    );
  }

  /** Corrects who an event shows (null: unknown). Errors: `event_not_found`, `person_not_found`. */
  setPerson(id: number, personId: number | null): RecognitionEvent {
    return this.db.transaction(() => {
      this.require(id);
      if (personId !== null && !statement(this.db, 'SELECT 1 FROM people WHERE id = ?').get(personId)) {
        throw personNotFound(personId);
      }
      statement(this.db, 'UPDATE events SET person_id = ? WHERE id = ?').run(personId, id);
      return this.require(id);
    })();
  }

  /** Retention: deletes events older than `time` (with `unknownOnly`, only unknown faces'); returns how many. */
  deleteBefore(time: number, unknownOnly = false): number {
    const sql = unknownOnly
      ? 'DELETE FROM events WHERE time < ? AND person_id IS NULL'
      : 'DELETE FROM events WHERE time < ?';
    return statement(this.db, sql).run(time).changes;
  }

  /** Forgetting: deletes these events with their snapshots and embeddings; how many there were. */
  deleteIds(ids: Iterable<number>): number {
    const remove = statement(this.db, 'DELETE FROM events WHERE id = ?');
    let deleted = 0;
    for (const id of ids) deleted += remove.run(id).changes;
    return deleted;
  }

  /** Rewrites the sources (file paths, camera names) that contain `text`; how many changed. */
  rewriteSources(text: string, rewrite: (source: string) => string): number {
    return rewriteContaining(this.db, 'events', 'source', text, rewrite);
  }

  private insert(e: NewEvent): number {
    return Number(
      statement(
        this.db,
        `INSERT INTO events (time, source, offset_s, frame, box, person_id, score, distance, snapshot_jpeg,
             model_id, embedding, content_hash)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        e.time ?? Date.now(),
        e.source,
        e.offsetS ?? null,
        e.frame ?? null,
        JSON.stringify(e.box),
        e.personId ?? null,
        e.score ?? null,
        e.distance ?? null,
        e.snapshotJpeg ?? null,
        e.modelId ?? null,
        e.embedding ? vectorToBlob(e.embedding) : null,
        e.contentHash ?? null,
      ).lastInsertRowid,
    );
  }
}

function filter(query: EventQuery): { where: string; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  // Not `person_id IS ?`: PostgreSQL has no such form, and its IS NOT DISTINCT FROM skips the index.
  if (query.personId === null) conditions.push('person_id IS NULL');
  else if (query.personId !== undefined) {
    conditions.push('person_id = ?');
    params.push(query.personId);
  }
  if (query.source !== undefined) {
    conditions.push('source = ?');
    params.push(query.source);
  }
  if (query.from !== undefined) {
    conditions.push('time >= ?');
    params.push(query.from);
  }
  if (query.to !== undefined) {
    conditions.push('time < ?');
    params.push(query.to);
  }
  return { where: conditions.length ? `WHERE ${conditions.join(' AND ')}` : '', params };
}

function toEvent(row: EventRow): RecognitionEvent {
  return {
    id: row.id,
    time: row.time,
    source: row.source,
    offsetS: row.offset_s,
    frame: row.frame,
    box: JSON.parse(row.box) as Box,
    personId: row.person_id,
    score: row.score,
    distance: row.distance,
    modelId: row.model_id,
    hasSnapshot: row.has_snapshot === 1,
    hasEmbedding: row.has_embedding === 1,
  };
}
