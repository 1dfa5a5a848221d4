// People: create, find, list, rename, annotate, merge, delete.
import { VisageError } from '../errors.js';
import { type Db, isUniqueViolation, NO_LIMIT, statement } from './database.js';
import { nameKey, normalizePersonName } from './names.js';

export interface Person {
  id: number;
  name: string;
  note: string;
  /** Milliseconds since the Unix epoch. */
  createdAt: number;
  updatedAt: number;
}

export interface PersonSummary extends Person {
  sampleCount: number;
  /** Time of the person's latest recognition event, or null. */
  lastSeen: number | null;
}

export interface ListPeopleOptions {
  /** Only names containing this (compared by name key: case- and width-insensitive). */
  query?: string;
  limit?: number;
  offset?: number;
}

export interface MergeResult {
  into: Person;
  /** Samples of the merged person that now belong to `into`. */
  movedSampleIds: number[];
  /** Samples deleted because `into` already had the same content (see samples' duplicate rule). */
  droppedSampleIds: number[];
}

export const MAX_NOTE_LENGTH = 10_000;

interface PersonRow {
  id: number;
  name: string;
  note: string;
  created_at: number;
  updated_at: number;
}

const SUMMARY_COLUMNS = `p.*,
  (SELECT COUNT(*) FROM samples s WHERE s.person_id = p.id) AS sample_count,
  (SELECT MAX(e.time) FROM events e WHERE e.person_id = p.id) AS last_seen`;

/**
 * The people a listing's query matches (list and count share it); @query is listQuery's key or NULL.
 * CAST: PostgreSQL types a parameter where it first appears, and `IS NULL` gives it none.
 */
const LIST_FILTER = '(CAST(@query AS TEXT) IS NULL OR instr(p.name_key, @query) > 0)';

function listQuery(options: Pick<ListPeopleOptions, 'query'>): string | null {
  return options.query?.trim() ? nameKey(options.query) : null;
}

export class PeopleRepository {
  constructor(private readonly db: Db) {}

  /** Creates a person. Errors: `invalid_name`, `name_taken` (details.personId is the holder), `invalid_note`. */
  create(name: string, note = '', now = Date.now()): Person {
    const display = normalizePersonName(name);
    const key = nameKey(display);
    const cleanNote = checkNote(note);
    return this.db.transaction(() => {
      this.assertNameFree(key, display);
      try {
        const { lastInsertRowid } = statement(
          this.db,
          'INSERT INTO people (name, name_key, note, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
        ).run(display, key, cleanNote, now, now);
        return this.require(Number(lastInsertRowid));
      } catch (e) {
        if (isUniqueViolation(e)) throw nameTaken(display, this.idOfKey(key));
        throw e;
      }
    })();
  }

  get(id: number): Person | undefined {
    const row = statement(this.db, 'SELECT * FROM people WHERE id = ?').get(id) as PersonRow | undefined;
    return row && toPerson(row);
  }

  /** Like get, but `person_not_found` when missing. */
  require(id: number): Person {
    const person = this.get(id);
    if (!person) throw personNotFound(id);
    return person;
  }

  /** The person whose name has the same key (case-, width- and normalisation-insensitive). */
  findByName(name: string): Person | undefined {
    const id = this.idOfKey(nameKey(name));
    return id === undefined ? undefined : this.get(id);
  }

  summary(id: number): PersonSummary | undefined {
    const row = statement(this.db, `SELECT ${SUMMARY_COLUMNS} FROM people p WHERE p.id = ?`).get(id) as
      SummaryRow | undefined;
    return row && toSummary(row);
  }

  /** People ordered by name key, with sample counts and last-seen times. */
  list(options: ListPeopleOptions = {}): PersonSummary[] {
    const query = listQuery(options);
    const rows = statement(
      this.db,
      `SELECT ${SUMMARY_COLUMNS} FROM people p WHERE ${LIST_FILTER}
         ORDER BY p.name_key LIMIT @limit OFFSET @offset`,
    ).all({ query, limit: options.limit ?? NO_LIMIT, offset: options.offset ?? 0 }) as SummaryRow[];
    return rows.map(toSummary);
  }

  /**
   * How many people `list` would return without limit and offset, counted by SQL: the HTTP listing's
   * total used to load every match (with its sample count and last-seen subqueries) just to take
   * `.length`. The filter is list's own, so a page and its total cannot disagree.
   */
  count(options: Pick<ListPeopleOptions, 'query'> = {}): number {
    const query = listQuery(options);
    return statement(this.db, `SELECT COUNT(*) FROM people p WHERE ${LIST_FILTER}`, 'pluck').get({
      query,
    }) as number;
  }

  /** Renames; changing only case or spacing of one's own name is allowed. Errors: `name_taken`, `invalid_name`. */
  rename(id: number, name: string, now = Date.now()): Person {
    const display = normalizePersonName(name);
    const key = nameKey(display);
    return this.db.transaction(() => {
      this.require(id);
      this.assertNameFree(key, display, id);
      try {
        statement(this.db, 'UPDATE people SET name = ?, name_key = ?, updated_at = ? WHERE id = ?').run(
          display,
          key,
          now,
          id,
        );
      } catch (e) {
        if (isUniqueViolation(e)) throw nameTaken(display, this.idOfKey(key));
        throw e;
      }
      return this.require(id);
    })();
  }

  setNote(id: number, note: string, now = Date.now()): Person {
    const clean = checkNote(note);
    return this.db.transaction(() => {
      this.require(id);
      statement(this.db, 'UPDATE people SET note = ?, updated_at = ? WHERE id = ?').run(clean, now, id);
      return this.require(id);
    })();
  }

  /** Deletes a person with their samples, embeddings and negatives; their events become unknown. */
  delete(id: number): Person {
    return this.db.transaction(() => {
      const person = this.require(id);
      statement(this.db, 'DELETE FROM people WHERE id = ?').run(id);
      return person;
    })();
  }

  /**
   * Merges `fromId` into `intoId` in one transaction: samples (with embeddings), events and negatives move,
   * then `fromId` is deleted. A sample whose content `intoId` already has is dropped, not duplicated.
   * `intoId` keeps its name, and its note unless empty.
   */
  merge(fromId: number, intoId: number, now = Date.now()): MergeResult {
    if (fromId === intoId) {
      throw new VisageError('invalid_merge', 'Cannot merge a person into themselves.', { personId: fromId });
    }
    return this.db.transaction(() => {
      const from = this.require(fromId);
      this.require(intoId);
      const dropped = statement(
        this.db,
        `SELECT s.id FROM samples s
           WHERE s.person_id = ? AND EXISTS
             (SELECT 1 FROM samples t WHERE t.person_id = ? AND t.content_hash = s.content_hash)
           ORDER BY s.id`,
        'pluck',
      ).all(fromId, intoId) as number[];
      const deleteSample = statement(this.db, 'DELETE FROM samples WHERE id = ?');
      for (const id of dropped) deleteSample.run(id);
      const moved = statement(this.db, 'SELECT id FROM samples WHERE person_id = ? ORDER BY id', 'pluck').all(
        fromId,
      ) as number[];
      statement(this.db, 'UPDATE samples SET person_id = ? WHERE person_id = ?').run(intoId, fromId);
      statement(this.db, 'UPDATE events SET person_id = ? WHERE person_id = ?').run(intoId, fromId);
      statement(this.db, 'UPDATE negatives SET person_id = ? WHERE person_id = ?').run(intoId, fromId);
      statement(
        this.db,
        "UPDATE people SET note = CASE WHEN note = '' THEN ? ELSE note END, updated_at = ? WHERE id = ?",
      ).run(from.note, now, intoId);
      statement(this.db, 'DELETE FROM people WHERE id = ?').run(fromId);
      return { into: this.require(intoId), movedSampleIds: moved, droppedSampleIds: dropped };
    })();
  }

  private idOfKey(key: string): number | undefined {
    return statement(this.db, 'SELECT id FROM people WHERE name_key = ?', 'pluck').get(key) as
      number | undefined;
  }

  private assertNameFree(key: string, display: string, exceptId?: number): void {
    const holder = this.idOfKey(key);
    if (holder !== undefined && holder !== exceptId) throw nameTaken(display, holder);
  }
}

interface SummaryRow extends PersonRow {
  sample_count: number;
  last_seen: number | null;
}

function toPerson(row: PersonRow): Person {
  return { id: row.id, name: row.name, note: row.note, createdAt: row.created_at, updatedAt: row.updated_at };
}

function toSummary(row: SummaryRow): PersonSummary {
  return { ...toPerson(row), sampleCount: row.sample_count, lastSeen: row.last_seen };
}

function checkNote(note: string): string {
  const clean = note.normalize('NFC').trim();
  if (clean.length > MAX_NOTE_LENGTH) {
    throw new VisageError(
      'invalid_note',
      `The note has ${clean.length} characters; the limit is ${MAX_NOTE_LENGTH}.`,
    );
  }
  return clean;
}

export function personNotFound(id: number): VisageError {
  return new VisageError('person_not_found', `No person with id ${id}.`, { personId: id });
}

function nameTaken(name: string, holderId: number | undefined): VisageError {
  return new VisageError('name_taken', `The name "${name}" is already taken by another person.`, {
    name,
    personId: holderId,
  });
}
