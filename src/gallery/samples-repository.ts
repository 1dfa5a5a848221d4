// Samples (enrolled faces) and their embeddings, one per model.
import { VisageError } from '../errors.js';
import type { Box } from '../engine/types.js';
import { type Db, isUniqueViolation, rewriteContaining, statement } from './database.js';
import type { IndexEntry } from './embedding-index.js';
import { personNotFound } from './people-repository.js';
import { blobToVector, checkEmbedding, vectorToBlob } from './vectors.js';

export interface SampleEmbedding {
  modelId: string;
  vector: Float32Array;
}

export interface NewSample {
  /** What the user gave (file name, URL), for display. */
  sourceName?: string;
  /**
   * Identity of the source content, computed by the caller: `contentHash(fileBytes)` for a still image,
   * of the file bytes plus "#frame" for a video frame. The same hash twice for one person is a duplicate.
   */
  contentHash: string;
  cropJpeg?: Uint8Array | null;
  box?: Box | null;
  quality?: Record<string, unknown> | null;
  embeddings?: readonly SampleEmbedding[];
}

export interface Sample {
  id: number;
  personId: number;
  sourceName: string;
  contentHash: string;
  box: Box | null;
  quality: Record<string, unknown> | null;
  createdAt: number;
  /** Models this sample has an embedding for. */
  modelIds: string[];
}

export interface ModelSummary {
  modelId: string;
  dim: number;
  samples: number;
}

interface SampleRow {
  id: number;
  person_id: number;
  source_name: string;
  content_hash: string;
  box: string | null;
  quality: string | null;
  created_at: number;
  model_ids: string;
}

const SAMPLE_COLUMNS = `s.id, s.person_id, s.source_name, s.content_hash, s.box, s.quality, s.created_at,
  (SELECT json_group_array(e.model_id) FROM embeddings e WHERE e.sample_id = s.id) AS model_ids`;

export class SamplesRepository {
  constructor(private readonly db: Db) {}

  /**
   * Adds a sample with its embeddings in one transaction. Errors: `person_not_found`, `duplicate_sample`
   * (details.sampleId is the existing one), `invalid_embedding`, `dimension_mismatch`.
   */
  add(personId: number, sample: NewSample, now = Date.now()): Sample {
    if (!sample.contentHash) throw new VisageError('invalid_sample', 'A sample needs a content hash.');
    return this.db.transaction(() => {
      if (!statement(this.db, 'SELECT 1 FROM people WHERE id = ?').get(personId))
        throw personNotFound(personId);
      this.assertNoDuplicate(personId, sample.contentHash);
      let id: number;
      try {
        id = Number(
          statement(
            this.db,
            `INSERT INTO samples (person_id, source_name, content_hash, crop_jpeg, box, quality, created_at)
               VALUES (?, ?, ?, ?, ?, ?, ?)`,
          ).run(
            personId,
            sample.sourceName ?? '',
            sample.contentHash,
            sample.cropJpeg ?? null,
            sample.box ? JSON.stringify(sample.box) : null,
            sample.quality ? JSON.stringify(sample.quality) : null,
            now,
          ).lastInsertRowid,
        );
      } catch (e) {
        if (isUniqueViolation(e)) this.assertNoDuplicate(personId, sample.contentHash);
        throw e;
      }
      for (const e of sample.embeddings ?? []) this.setEmbedding(id, e.modelId, e.vector);
      return this.require(id);
    })();
  }

  get(id: number): Sample | undefined {
    const row = statement(this.db, `SELECT ${SAMPLE_COLUMNS} FROM samples s WHERE s.id = ?`).get(id) as
      SampleRow | undefined;
    return row && toSample(row);
  }

  /** Like get, but `sample_not_found` when missing. */
  require(id: number): Sample {
    const sample = this.get(id);
    if (!sample) throw new VisageError('sample_not_found', `No sample with id ${id}.`, { sampleId: id });
    return sample;
  }

  listByPerson(personId: number): Sample[] {
    const rows = statement(
      this.db,
      `SELECT ${SAMPLE_COLUMNS} FROM samples s WHERE s.person_id = ? ORDER BY s.id`,
    ).all(personId) as SampleRow[];
    return rows.map(toSample);
  }

  /** Every sample, by id, in one query (reindex's work list; listing person by person was one query each). */
  list(): Sample[] {
    return (
      statement(this.db, `SELECT ${SAMPLE_COLUMNS} FROM samples s ORDER BY s.id`).all() as SampleRow[]
    ).map(toSample);
  }

  /** Samples of any person with this content (e.g. to warn "this photo is already enrolled as X"). */
  findByContentHash(contentHash: string): Sample[] {
    const rows = statement(
      this.db,
      `SELECT ${SAMPLE_COLUMNS} FROM samples s WHERE s.content_hash = ? ORDER BY s.id`,
    ).all(contentHash) as SampleRow[];
    return rows.map(toSample);
  }

  crop(id: number): Buffer | undefined {
    return (
      (statement(this.db, 'SELECT crop_jpeg FROM samples WHERE id = ?', 'pluck').get(id) as Buffer | null) ??
      undefined
    );
  }

  /**
   * The stored crops of several samples in one query: null for a sample without one, absent for an id
   * with no sample (removed meanwhile by another process).
   */
  crops(ids: readonly number[]): Map<number, Buffer | null> {
    const rows = statement(
      this.db,
      'SELECT id, crop_jpeg FROM samples WHERE id IN (SELECT value FROM json_each(?))',
    )
      .raw(true)
      .all(JSON.stringify(ids)) as [number, Buffer | null][];
    return new Map(rows);
  }

  embedding(sampleId: number, modelId: string): Float32Array | undefined {
    const blob = statement(
      this.db,
      'SELECT vector FROM embeddings WHERE sample_id = ? AND model_id = ?',
      'pluck',
    ).get(sampleId, modelId) as Buffer | undefined;
    return blob && blobToVector(blob);
  }

  /**
   * Stores (or replaces) a sample's embedding for a model. Every vector of a model has one dimension:
   * a different one is `dimension_mismatch`. Errors also: `sample_not_found`, `invalid_embedding`.
   */
  setEmbedding(sampleId: number, modelId: string, vector: Float32Array): void {
    if (!modelId) throw new VisageError('invalid_embedding', 'An embedding needs a model id.');
    checkEmbedding(vector);
    this.db.transaction(() => {
      this.require(sampleId);
      assertModelDimension(this.db, modelId, vector.length);
      statement(
        this.db,
        `INSERT INTO embeddings (sample_id, model_id, dim, vector) VALUES (?, ?, ?, ?)
           ON CONFLICT (sample_id, model_id) DO UPDATE SET dim = excluded.dim, vector = excluded.vector`,
      ).run(sampleId, modelId, vector.length, vectorToBlob(vector));
    })();
  }

  /** Deletes a sample with its embeddings; returns what was deleted. Errors: `sample_not_found`. */
  remove(id: number): Sample {
    return this.db.transaction(() => {
      const sample = this.require(id);
      statement(this.db, 'DELETE FROM samples WHERE id = ?').run(id);
      return sample;
    })();
  }

  /** Gives a sample to another person. Errors: `sample_not_found`, `person_not_found`, `duplicate_sample`. */
  move(id: number, toPersonId: number): Sample {
    return this.db.transaction(() => {
      const sample = this.require(id);
      if (sample.personId === toPersonId) return sample;
      if (!statement(this.db, 'SELECT 1 FROM people WHERE id = ?').get(toPersonId))
        throw personNotFound(toPersonId);
      this.assertNoDuplicate(toPersonId, sample.contentHash);
      statement(this.db, 'UPDATE samples SET person_id = ? WHERE id = ?').run(toPersonId, id);
      return this.require(id);
    })();
  }

  /** Every embedding of a model with its sample's owner, streamed (a million rows need not fit in a JS array). */
  *iterateEmbeddings(modelId: string): IterableIterator<IndexEntry> {
    const rows = this.db
      .prepare(
        `SELECT e.sample_id, s.person_id, e.vector FROM embeddings e JOIN samples s ON s.id = e.sample_id
         WHERE e.model_id = ?`,
      )
      .raw()
      .iterate(modelId) as IterableIterator<[number, number, Buffer]>;
    for (const [sampleId, personId, blob] of rows) yield { sampleId, personId, vector: blobToVector(blob) };
  }

  /** Rewrites the source names (file paths) that contain `text`; how many changed. */
  rewriteSourceNames(text: string, rewrite: (sourceName: string) => string): number {
    return rewriteContaining(this.db, 'samples', 'source_name', text, rewrite);
  }

  countEmbeddings(modelId: string): number {
    return statement(this.db, 'SELECT COUNT(*) FROM embeddings WHERE model_id = ?', 'pluck').get(
      modelId,
    ) as number;
  }

  /** Models with embeddings in the gallery. */
  models(): ModelSummary[] {
    return statement(
      this.db,
      'SELECT model_id AS modelId, MIN(dim) AS dim, COUNT(*) AS samples FROM embeddings GROUP BY model_id',
    ).all() as ModelSummary[];
  }

  /** Samples with no embedding for `modelId`: what to re-embed (from the stored crops) after a model switch. */
  idsWithoutEmbedding(modelId: string): number[] {
    return statement(
      this.db,
      `SELECT s.id FROM samples s
         WHERE NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.sample_id = s.id AND e.model_id = ?) ORDER BY s.id`,
      'pluck',
    ).all(modelId) as number[];
  }

  private assertNoDuplicate(personId: number, contentHash: string): void {
    const existing = statement(
      this.db,
      'SELECT id FROM samples WHERE person_id = ? AND content_hash = ?',
      'pluck',
    ).get(personId, contentHash) as number | undefined;
    if (existing !== undefined) {
      throw new VisageError('duplicate_sample', 'This person already has a sample with the same content.', {
        personId,
        sampleId: existing,
        contentHash,
      });
    }
  }
}

/**
 * Every vector of a model (embeddings and negatives) has one dimension, so the in-memory index can take
 * whatever the database accepted. Errors: `dimension_mismatch`.
 */
export function assertModelDimension(db: Db, modelId: string, dim: number): void {
  const stored = statement(
    db,
    `SELECT dim FROM (SELECT dim FROM embeddings WHERE model_id = @modelId LIMIT 1) AS e
       UNION ALL SELECT dim FROM (SELECT dim FROM negatives WHERE model_id = @modelId LIMIT 1) AS n LIMIT 1`,
    'pluck',
  ).get({ modelId }) as number | undefined;
  if (stored !== undefined && stored !== dim) {
    throw new VisageError(
      'dimension_mismatch',
      `Model ${modelId} has ${stored}-D embeddings in this gallery, got ${dim}-D.`,
      {
        modelId,
        expected: stored,
        actual: dim,
      },
    );
  }
}

function toSample(row: SampleRow): Sample {
  return {
    id: row.id,
    personId: row.person_id,
    sourceName: row.source_name,
    contentHash: row.content_hash,
    box: row.box ? (JSON.parse(row.box) as Box) : null,
    quality: row.quality ? (JSON.parse(row.quality) as Record<string, unknown>) : null,
    createdAt: row.created_at,
    modelIds: (JSON.parse(row.model_ids) as string[]).sort(),
  };
}
