// Who changed the gallery, and how: an append-only log the gallery writes in the same transaction as the
// change it records.
import { type Db, statement } from './database.js';

export interface AuditEntry {
  id: number;
  time: number;
  /** API user; null for the local CLI. */
  actor: string | null;
  /** Dotted verb, e.g. `person.create`, `sample.remove`. */
  action: string;
  details: Record<string, unknown>;
}

export interface AuditQuery {
  action?: string;
  actor?: string;
  /** Inclusive lower bound of `time`. */
  from?: number;
  /** Exclusive upper bound of `time`. */
  to?: number;
  limit?: number;
  offset?: number;
}

interface AuditRow {
  id: number;
  time: number;
  actor: string | null;
  action: string;
  details: string;
}

export class AuditLog {
  constructor(private readonly db: Db) {}

  append(
    action: string,
    details: Record<string, unknown> = {},
    actor: string | null = null,
    time = Date.now(),
  ): AuditEntry {
    const { lastInsertRowid } = statement(
      this.db,
      'INSERT INTO audit (time, actor, action, details) VALUES (?, ?, ?, ?)',
    ).run(time, actor, action, JSON.stringify(details));
    return { id: Number(lastInsertRowid), time, actor, action, details };
  }

  /** Newest first. */
  list(query: AuditQuery = {}): AuditEntry[] {
    const rows = statement(
      this.db,
      `SELECT * FROM audit
         WHERE (@action IS NULL OR action = @action) AND (@actor IS NULL OR actor = @actor)
           AND (@from IS NULL OR time >= @from) AND (@to IS NULL OR time < @to)
         ORDER BY time DESC, id DESC LIMIT @limit OFFSET @offset`,
    ).all({
      action: query.action ?? null,
      actor: query.actor ?? null,
      from: query.from ?? null,
      to: query.to ?? null,
      limit: query.limit ?? 100,
      offset: query.offset ?? 0,
    }) as AuditRow[];
    return rows.map((r) => ({ ...r, details: JSON.parse(r.details) as Record<string, unknown> }));
  }
}
