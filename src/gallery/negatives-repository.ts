// Negative examples: "this face is not that person", recorded by a `--not NAME` correction.
import { VisageError } from '../errors.js';
import { type Db, statement } from './database.js';
import { personNotFound } from './people-repository.js';
import { assertModelDimension } from './samples-repository.js';
import { blobToVector, checkEmbedding, vectorToBlob } from './vectors.js';

export interface Negative {
  id: number;
  personId: number;
  modelId: string;
  vector: Float32Array;
  eventId: number | null;
  createdAt: number;
}

interface NegativeRow {
  id: number;
  person_id: number;
  model_id: string;
  vector: Buffer;
  event_id: number | null;
  created_at: number;
}

export class NegativesRepository {
  constructor(private readonly db: Db) {}

  /** Errors: `person_not_found`, `invalid_embedding`, `dimension_mismatch`. */
  add(
    personId: number,
    modelId: string,
    vector: Float32Array,
    eventId: number | null = null,
    now = Date.now(),
  ): Negative {
    checkEmbedding(vector);
    return this.db.transaction(() => {
      if (!statement(this.db, 'SELECT 1 FROM people WHERE id = ?').get(personId))
        throw personNotFound(personId);
      assertModelDimension(this.db, modelId, vector.length);
      const { lastInsertRowid } = statement(
        this.db,
        'INSERT INTO negatives (person_id, model_id, dim, vector, event_id, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      ).run(personId, modelId, vector.length, vectorToBlob(vector), eventId, now);
      return { id: Number(lastInsertRowid), personId, modelId, vector, eventId, createdAt: now };
    })();
  }

  listByPerson(personId: number): Negative[] {
    const rows = statement(this.db, 'SELECT * FROM negatives WHERE person_id = ? ORDER BY id').all(
      personId,
    ) as NegativeRow[];
    return rows.map(toNegative);
  }

  /** Negatives recorded from one recognition event (what undoing a correction removes). */
  listByEvent(eventId: number): Negative[] {
    const rows = statement(this.db, 'SELECT * FROM negatives WHERE event_id = ? ORDER BY id').all(
      eventId,
    ) as NegativeRow[];
    return rows.map(toNegative);
  }

  /** Deletes a negative; returns what was deleted. Errors: `negative_not_found`. */
  remove(id: number): Negative {
    return this.db.transaction(() => {
      const row = statement(this.db, 'SELECT * FROM negatives WHERE id = ?').get(id) as
        NegativeRow | undefined;
      if (!row)
        throw new VisageError('negative_not_found', `No negative example with id ${id}.`, { negativeId: id });
      statement(this.db, 'DELETE FROM negatives WHERE id = ?').run(id);
      return toNegative(row);
    })();
  }

  /**
   * Deletes the negatives recorded from these events (a forgotten person's: another person's "not X"
   * about their face holds their face's vector), before the events go; returns each one's model.
   */
  removeRecordedFrom(eventIds: Iterable<number>): string[] {
    const remove = statement(this.db, 'DELETE FROM negatives WHERE event_id = ? RETURNING model_id', 'pluck');
    return [...eventIds].flatMap((id) => remove.all(id) as string[]);
  }

  /** Every negative of a model, streamed. */
  *iterate(modelId: string): IterableIterator<Negative> {
    const rows = this.db
      .prepare('SELECT * FROM negatives WHERE model_id = ?')
      .iterate(modelId) as IterableIterator<NegativeRow>;
    for (const row of rows) yield toNegative(row);
  }
}

function toNegative(row: NegativeRow): Negative {
  return {
    id: row.id,
    personId: row.person_id,
    modelId: row.model_id,
    vector: blobToVector(row.vector),
    eventId: row.event_id,
    createdAt: row.created_at,
  };
}
