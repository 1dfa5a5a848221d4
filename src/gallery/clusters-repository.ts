// Clusters of unknown faces (service/unknowns/ decides who joins which; this only stores it). A member
// is an event; it counts only while the event names nobody (events.person_id IS NULL), so a correction
// made anywhere — History, a photo's results, naming the cluster — takes the face out without a second
// write here. Numbers ("Unknown #N") are handed out once, from the highest ever given: a numbered row is
// never deleted, so a number is never reused for someone else.
import type { Box } from '../engine/types.js';
import { type Db, statement } from './database.js';
import { blobToVector } from './vectors.js';

export type ClusterStatus = 'open' | 'dismissed' | 'named' | 'merged';

export interface ClusterRow {
  id: number;
  number: number | null;
  modelId: string;
  status: ClusterStatus;
  personId: number | null;
  mergedInto: number | null;
  createdAt: number;
  updatedAt: number;
  /** Members whose event is still unknown. */
  faces: number;
}

/** A member face, with what the review needs to show it. */
export interface ClusterFace {
  eventId: number;
  time: number;
  source: string;
  box: Box;
  hasSnapshot: boolean;
  modelId: string | null;
}

interface Row {
  id: number;
  number: number | null;
  model_id: string;
  status: ClusterStatus;
  person_id: number | null;
  merged_into: number | null;
  created_at: number;
  updated_at: number;
  faces: number;
}

const UNKNOWN_MEMBER = `unknown_faces m JOIN events e ON e.id = m.event_id AND e.person_id IS NULL`;

const CLUSTER_COLUMNS = `c.id, c.number, c.model_id, c.status, c.person_id, c.merged_into, c.created_at,
  c.updated_at, (SELECT COUNT(*) FROM ${UNKNOWN_MEMBER} WHERE m.cluster_id = c.id) AS faces`;

export class ClustersRepository {
  constructor(readonly db: Db) {}

  create(modelId: string, time = Date.now()): number {
    return Number(
      statement(
        this.db,
        'INSERT INTO unknown_clusters (model_id, created_at, updated_at) VALUES (?, ?, ?)',
      ).run(modelId, time, time).lastInsertRowid,
    );
  }

  /**
   * The faces still unknown in the clusters named as this person (those the naming could not enrol):
   * theirs too, so forgetting them takes these events (the numbered rows stay, without the person).
   */
  unknownEventIdsNamedAs(personId: number): number[] {
    return statement(
      this.db,
      `SELECT m.event_id FROM ${UNKNOWN_MEMBER} JOIN unknown_clusters c ON c.id = m.cluster_id
         WHERE c.person_id = ?`,
      'pluck',
    ).all(personId) as number[];
  }

  get(id: number): ClusterRow | undefined {
    const row = statement(this.db, `SELECT ${CLUSTER_COLUMNS} FROM unknown_clusters c WHERE c.id = ?`).get(
      id,
    ) as Row | undefined;
    return row && toCluster(row);
  }

  /** Clusters with at least `minFaces` unknown members, newest change first; `status` filters. */
  list(query: { status?: ClusterStatus; minFaces?: number } = {}): ClusterRow[] {
    const where = ['1 = 1'];
    const params: unknown[] = [];
    if (query.status) {
      where.push('c.status = ?');
      params.push(query.status);
    }
    const rows = statement(
      this.db,
      `SELECT * FROM (SELECT ${CLUSTER_COLUMNS} FROM unknown_clusters c WHERE ${where.join(' AND ')}) AS c
         WHERE faces >= ? ORDER BY number IS NULL, number, id`,
    ).all(...params, query.minFaces ?? 1) as Row[];
    return rows.map(toCluster);
  }

  /** The unknown members of a cluster, oldest first. */
  faces(clusterId: number): ClusterFace[] {
    const rows = statement(
      this.db,
      `SELECT e.id, e.time, e.source, e.box, e.snapshot_jpeg IS NOT NULL AS has_snapshot, e.model_id
         FROM ${UNKNOWN_MEMBER} WHERE m.cluster_id = ? ORDER BY e.id`,
    ).all(clusterId) as {
      id: number;
      time: number;
      source: string;
      box: string;
      has_snapshot: number;
      model_id: string | null;
    }[];
    return rows.map((r) => ({
      eventId: r.id,
      time: r.time,
      source: r.source,
      box: JSON.parse(r.box) as Box,
      hasSnapshot: r.has_snapshot === 1,
      modelId: r.model_id,
    }));
  }

  /**
   * The newest `perCluster` unknown members' vectors of every open or dismissed cluster of a model (a
   * dismissed cluster still takes its faces, so they do not come back as new), keyed by cluster.
   */
  memberVectors(modelId: string, perCluster: number): Map<number, Float32Array[]> {
    const rows = statement(
      this.db,
      `SELECT cluster_id, embedding FROM (
         SELECT m.cluster_id, e.embedding,
                ROW_NUMBER() OVER (PARTITION BY m.cluster_id ORDER BY e.id DESC) AS k
           FROM ${UNKNOWN_MEMBER}
           JOIN unknown_clusters c ON c.id = m.cluster_id
          WHERE c.model_id = ? AND c.status IN ('open', 'dismissed') AND e.model_id = ?
            AND e.embedding IS NOT NULL) AS m
        WHERE k <= ? ORDER BY cluster_id, k DESC`,
    ).all(modelId, modelId, perCluster) as { cluster_id: number; embedding: Buffer }[];
    const out = new Map<number, Float32Array[]>();
    for (const r of rows) {
      const list = out.get(r.cluster_id) ?? [];
      list.push(blobToVector(r.embedding));
      out.set(r.cluster_id, list);
    }
    return out;
  }

  /** The cluster an event belongs to, if any. */
  clusterOf(eventId: number): number | undefined {
    return statement(this.db, 'SELECT cluster_id FROM unknown_faces WHERE event_id = ?', 'pluck').get(
      eventId,
    ) as number | undefined;
  }

  /** Puts an event into a cluster (moving it from any other). */
  addFace(clusterId: number, eventId: number, time = Date.now()): void {
    statement(
      this.db,
      `INSERT INTO unknown_faces (event_id, cluster_id, added_at) VALUES (?, ?, ?)
         ON CONFLICT (event_id) DO UPDATE SET cluster_id = excluded.cluster_id, added_at = excluded.added_at`,
    ).run(eventId, clusterId, time);
    this.touch(clusterId, time);
  }

  /** Moves every member of `fromId` into `intoId`. */
  moveFaces(fromId: number, intoId: number): number {
    const moved = statement(this.db, 'UPDATE unknown_faces SET cluster_id = ? WHERE cluster_id = ?').run(
      intoId,
      fromId,
    ).changes;
    this.touch(intoId);
    return moved;
  }

  /** Gives the cluster the next number, unless it has one. */
  number(id: number): void {
    statement(
      this.db,
      `UPDATE unknown_clusters SET number = (SELECT COALESCE(MAX(number), 0) + 1 FROM unknown_clusters)
         WHERE id = ? AND number IS NULL`,
    ).run(id);
  }

  setStatus(
    id: number,
    status: ClusterStatus,
    extra: { personId?: number | null; mergedInto?: number | null } = {},
  ): void {
    statement(
      this.db,
      `UPDATE unknown_clusters SET status = ?, person_id = COALESCE(?, person_id), merged_into = ?,
         updated_at = ? WHERE id = ?`,
    ).run(status, extra.personId ?? null, extra.mergedInto ?? null, Date.now(), id);
  }

  /** Every unknown event, oldest first, and whether it has a snapshot: what re-clustering starts from. */
  unknownEvents(): { eventId: number; hasSnapshot: boolean }[] {
    const rows = statement(
      this.db,
      `SELECT id, snapshot_jpeg IS NOT NULL AS has_snapshot
         FROM events WHERE person_id IS NULL ORDER BY time, id`,
    ).all() as { id: number; has_snapshot: number }[];
    return rows.map((r) => ({ eventId: r.id, hasSnapshot: r.has_snapshot === 1 }));
  }

  /** Every membership, for re-clustering: event → cluster. */
  memberships(): Map<number, number> {
    const rows = statement(this.db, 'SELECT event_id, cluster_id FROM unknown_faces').all() as {
      event_id: number;
      cluster_id: number;
    }[];
    return new Map(rows.map((r) => [r.event_id, r.cluster_id]));
  }

  /** Changes an (emptied) cluster's model, for re-clustering. */
  setModel(id: number, modelId: string): void {
    statement(this.db, 'UPDATE unknown_clusters SET model_id = ?, updated_at = ? WHERE id = ?').run(
      modelId,
      Date.now(),
      id,
    );
  }

  /** Drops every membership (re-clustering rebuilds them), and the clusters that never got a number. */
  clearMemberships(): void {
    statement(this.db, 'DELETE FROM unknown_faces').run();
    statement(this.db, 'DELETE FROM unknown_clusters WHERE number IS NULL').run();
  }

  private touch(id: number, time = Date.now()): void {
    statement(this.db, 'UPDATE unknown_clusters SET updated_at = ? WHERE id = ?').run(time, id);
  }
}

function toCluster(r: Row): ClusterRow {
  return {
    id: r.id,
    number: r.number,
    modelId: r.model_id,
    status: r.status,
    personId: r.person_id,
    mergedInto: r.merged_into,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    faces: r.faces,
  };
}
