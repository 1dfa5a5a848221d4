// Who changed the gallery, and how: an append-only log the gallery writes in the same transaction as the
// change it records. The one exception to append-only is forgetting a person (service/privacy/forget.ts),
// which removes them from the log too: the entries about them go, others lose their name and ids.
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

  /** Every entry, oldest first, streamed (a forget reads them all to scrub a person out). */
  *iterate(): IterableIterator<AuditEntry> {
    const rows = this.db.prepare('SELECT * FROM audit ORDER BY id').iterate() as IterableIterator<AuditRow>;
    for (const r of rows) yield { ...r, details: JSON.parse(r.details) as Record<string, unknown> };
  }

  /** Replaces an entry's details (a forget removing a person's name or id from someone else's entry). */
  rewrite(id: number, details: Record<string, unknown>): void {
    statement(this.db, 'UPDATE audit SET details = ? WHERE id = ?').run(JSON.stringify(details), id);
  }

  /** Deletes an entry (a forget: an entry about the forgotten person). */
  remove(id: number): void {
    statement(this.db, 'DELETE FROM audit WHERE id = ?').run(id);
  }

  /** Newest first. */
  list(query: AuditQuery = {}): AuditEntry[] {
    // CAST: PostgreSQL types a parameter where it first appears, and `IS NULL` gives it none.
    const rows = statement(
      this.db,
      `SELECT * FROM audit
         WHERE (CAST(@action AS TEXT) IS NULL OR action = @action)
           AND (CAST(@actor AS TEXT) IS NULL OR actor = @actor)
           AND (CAST(@from AS BIGINT) IS NULL OR time >= @from) AND (CAST(@to AS BIGINT) IS NULL OR time < @to)
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
