// Resumable bulk import: which files (by path and content) an import has already handled, so a rerun
// after a crash or Ctrl-C skips them, and a file whose content changed since is imported again.
import { type Db, statement } from './database.js';

export type ImportStatus = 'done' | 'skipped' | 'failed';

export interface ImportRecord {
  filePath: string;
  contentHash: string;
  status: ImportStatus;
  message: string | null;
  updatedAt: number;
}

interface ImportRow {
  file_path: string;
  content_hash: string;
  status: ImportStatus;
  message: string | null;
  updated_at: number;
}

export class ImportProgress {
  constructor(private readonly db: Db) {}

  get(filePath: string, contentHash: string): ImportRecord | undefined {
    const row = statement(
      this.db,
      'SELECT * FROM import_progress WHERE file_path = ? AND content_hash = ?',
    ).get(filePath, contentHash) as ImportRow | undefined;
    return row && toRecord(row);
  }

  /** Records (or overwrites) the outcome for a file. */
  record(
    filePath: string,
    contentHash: string,
    status: ImportStatus,
    message: string | null = null,
    now = Date.now(),
  ): void {
    statement(
      this.db,
      `INSERT INTO import_progress (file_path, content_hash, status, message, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (file_path, content_hash) DO UPDATE
           SET status = excluded.status, message = excluded.message, updated_at = excluded.updated_at`,
    ).run(filePath, contentHash, status, message, now);
  }

  list(status?: ImportStatus): ImportRecord[] {
    // CAST: PostgreSQL types a parameter where it first appears, and `IS NULL` gives it none.
    const rows = statement(
      this.db,
      'SELECT * FROM import_progress WHERE CAST(@status AS TEXT) IS NULL OR status = @status ORDER BY file_path',
    ).all({ status: status ?? null }) as ImportRow[];
    return rows.map(toRecord);
  }

  counts(): Record<ImportStatus, number> {
    const counts: Record<ImportStatus, number> = { done: 0, skipped: 0, failed: 0 };
    const rows = statement(
      this.db,
      'SELECT status, COUNT(*) AS n FROM import_progress GROUP BY status',
    ).all() as {
      status: ImportStatus;
      n: number;
    }[];
    for (const r of rows) counts[r.status] = r.n;
    return counts;
  }

  /** Forgets one file's record. */
  remove(filePath: string, contentHash: string): void {
    statement(this.db, 'DELETE FROM import_progress WHERE file_path = ? AND content_hash = ?').run(
      filePath,
      contentHash,
    );
  }

  /** Forgets all progress (a fresh import); returns how many records were dropped. */
  clear(): number {
    return statement(this.db, 'DELETE FROM import_progress').run().changes;
  }
}

function toRecord(row: ImportRow): ImportRecord {
  return {
    filePath: row.file_path,
    contentHash: row.content_hash,
    status: row.status,
    message: row.message,
    updatedAt: row.updated_at,
  };
}
