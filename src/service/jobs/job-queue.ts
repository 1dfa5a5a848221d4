// The job queue: background work (video files, bulk imports, reindex, re-clustering) kept in the store, so
// any node or `visage worker` sharing it may run a job, and any node reads its state and progress.
//
// The rule. A job is run by the one runner holding its lease: `claim` takes a queued job, or a running one
// whose lease ran out (its runner died), with one conditional UPDATE whose `changes` says who won, as
// camera leases do (video/cameras.ts). The holder renews the lease while it works; a runner that lost it
// stops. The invariant: a job's effects on the gallery are stored at most once. They are stored through
// `commit`, in the same transaction that marks the job committed and checks the lease is still this
// runner's; so a runner that lost its lease cannot store them, and one that claims the job again after
// a crash knows they are stored already (the job record says `committed`). Imports are resumable on their
// own (import_progress, bulk-import.ts): they need no commit.
//
// Files (an uploaded video, an import's photos, the annotated copy) are chunks in job_files, so a runner
// on another machine reads them from the store, with no shared disk. Uploads (`input*`) go when their job
// ends; the annotated copy stays until the job is forgotten, KEEP_FINISHED jobs per kind later.
//
// Tried and dropped: pg-boss. It is PostgreSQL-only, while the SQLite default needs the same queue (a
// `visage worker` beside `visage serve` on one data directory), and the exactly-once commit needs the
// job's row in the gallery's own transaction.
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { NO_LIMIT, statement, type Db } from '../../gallery/database.js';
import { VisageError } from '../../errors.js';

export type JobKind = 'video' | 'import' | 'reindex' | 'recluster';
export const JOB_KINDS: readonly JobKind[] = ['video', 'import', 'reindex', 'recluster'];
export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

export interface JobError {
  code: string;
  message: string;
}

export interface JobRecord<P = unknown, G = unknown, R = unknown> {
  id: string;
  kind: JobKind;
  state: JobState;
  params: P;
  progress: G | null;
  result: R | null;
  error: JobError | null;
  /** How many times a runner claimed it (a second claim is a retry after a runner died). */
  attempts: number;
  /** Its effects on the gallery are stored (see the header). */
  committed: boolean;
  /** What the commit's `effects` returned (a video job's event ids), once committed. */
  committedEffects: unknown;
  /** Someone asked it to stop; its runner stops at its next check. */
  cancelRequested: boolean;
  /** The runner holding its lease (state running). */
  leaseNode: string | null;
  createdAt: number;
  updatedAt: number;
}

interface JobRow {
  id: string;
  kind: JobKind;
  state: JobState;
  params: string;
  progress: string | null;
  result: string | null;
  error: string | null;
  attempts: number;
  committed: number;
  committed_effects: string | null;
  cancel: number;
  lease_node: string | null;
  lease_until: number | null;
  created_at: number;
  updated_at: number;
}

/** A file to store with a new job: its name in the job, and its bytes or the path to read them from. */
export interface JobFile {
  name: string;
  bytes?: Buffer;
  path?: string;
}

/** 1 MiB: a few hundred chunks for a large upload, and one chunk in memory at a time. */
const CHUNK_BYTES = 1024 * 1024;
/** Finished jobs kept per kind (with their files) before the oldest is forgotten. */
export const KEEP_FINISHED = 20;
/**
 * A job whose runner died this many times is failed rather than claimed again: a video that crashes
 * the process it runs in would otherwise take down every runner in turn.
 */
export const MAX_ATTEMPTS = 3;
/** How long a lease holds without renewal: runners renew every second (job-runner.ts), so five missed rounds. */
export const JOB_LEASE_TTL_MS = 5_000;

const FINISHED: readonly JobState[] = ['done', 'failed', 'cancelled'];

export class JobQueue {
  private readonly enqueued = new Set<(kind: JobKind) => void>();

  constructor(
    private readonly db: Db,
    private readonly ttlMs = JOB_LEASE_TTL_MS,
  ) {}

  /**
   * Told of each job queued through this instance, once it is stored: a runner in the same process claims
   * it at once instead of at its next poll. Runners elsewhere still find it by polling. Returns the unsubscribe.
   */
  onEnqueued(listener: (kind: JobKind) => void): () => void {
    this.enqueued.add(listener);
    return () => this.enqueued.delete(listener);
  }

  /** Queues a job with its files, in one transaction: it is there whole or not at all. */
  enqueue<P>(
    kind: JobKind,
    params: P,
    options: { files?: JobFile[]; progress?: unknown } = {},
  ): JobRecord<P> {
    const id = randomUUID();
    const now = Date.now();
    this.db.transaction(() => {
      statement(
        this.db,
        `INSERT INTO jobs (id, kind, params, progress, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
      ).run(id, kind, JSON.stringify(params), json(options.progress), now, now);
      for (const file of options.files ?? []) this.putFile(id, file);
    })();
    for (const listener of this.enqueued) listener(kind);
    return this.require(id) as JobRecord<P>;
  }

  get(id: string): JobRecord | undefined {
    const row = statement(this.db, 'SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
    return row && record(row);
  }

  /** The job; `job_not_found` when unknown (or forgotten). */
  require(id: string, kind?: JobKind): JobRecord {
    const job = this.get(id);
    if (!job || (kind && job.kind !== kind))
      throw new VisageError(
        'job_not_found',
        `No ${kind ? `${kind} ` : ''}job ${id} (finished jobs are kept for a while only).`,
        {
          id,
        },
      );
    return job;
  }

  /** Newest first. */
  list(options: { kind?: JobKind; limit?: number } = {}): JobRecord[] {
    const rows = statement(
      this.db,
      `SELECT * FROM jobs WHERE CAST(? AS TEXT) IS NULL OR kind = ? ORDER BY created_at DESC, id LIMIT ?`,
    ).all(options.kind ?? null, options.kind ?? null, options.limit ?? 100) as JobRow[];
    return rows.map(record);
  }

  /** Jobs of a kind waiting for a runner. */
  queued(kind: JobKind): number {
    return statement(this.db, `SELECT COUNT(*) FROM jobs WHERE kind = ? AND state = 'queued'`, 'pluck').get(
      kind,
    ) as number;
  }

  /**
   * Takes the oldest job of `kind` that is queued or whose lease ran out, for `node`; undefined when there
   * is none. A job claimed MAX_ATTEMPTS times already is failed instead (`job_abandoned`).
   */
  claim(node: string, kind: JobKind): JobRecord | undefined {
    const now = Date.now();
    const claimable = (): JobRow | undefined =>
      statement(
        this.db,
        `SELECT * FROM jobs WHERE kind = ? AND (state = 'queued' OR (state = 'running' AND lease_until < ?))
           ORDER BY created_at, id LIMIT 1`,
      ).get(kind, now) as JobRow | undefined;
    // An idle runner only reads: the write lock (every node's writes wait for it) is taken when there is
    // something to take.
    if (!claimable()) return undefined;
    return this.db
      .transaction(() => {
        for (;;) {
          const row = claimable();
          if (!row) return undefined;
          if (row.attempts >= MAX_ATTEMPTS) {
            this.end(row.id, 'failed', {
              error: {
                code: 'job_abandoned',
                message: `The runner of this job stopped ${row.attempts} times before it finished; it is not tried again.`,
              },
            });
            continue;
          }
          const taken = statement(
            this.db,
            `UPDATE jobs SET state = 'running', lease_node = ?, lease_until = ?, attempts = attempts + 1,
             updated_at = ? WHERE id = ? AND state = ? AND attempts = ?`,
          ).run(node, now + this.ttlMs, now, row.id, row.state, row.attempts);
          if (taken.changes === 1) return this.get(row.id);
        }
      })
      .immediate();
  }

  /**
   * Renews `node`'s lease, storing the latest progress if given. `held` false: another runner has the job
   * now (this one must stop); `cancel`: someone asked it to stop.
   */
  renew(id: string, node: string, progress?: unknown): { held: boolean; cancel: boolean } {
    const now = Date.now();
    const changed = statement(
      this.db,
      `UPDATE jobs SET lease_until = ?, progress = COALESCE(?, progress), updated_at = ?
         WHERE id = ? AND lease_node = ? AND state = 'running'`,
    ).run(now + this.ttlMs, json(progress), now, id, node);
    const cancel = statement(this.db, 'SELECT cancel FROM jobs WHERE id = ?', 'pluck').get(id) as
      number | undefined;
    return { held: changed.changes === 1, cancel: cancel === 1 };
  }

  /**
   * Stores a job's effects: runs `effects` in one transaction with marking the job committed, only while
   * `node` holds its lease (`lease_lost` otherwise, and nothing is stored). What `effects` returns is kept
   * with the job (JSON), for a run after a crash to report.
   */
  commit<T>(id: string, node: string, effects: () => T): T {
    return this.db
      .transaction(() => {
        const marked = statement(
          this.db,
          `UPDATE jobs SET committed = 1, updated_at = ? WHERE id = ? AND lease_node = ? AND state = 'running'`,
        ).run(Date.now(), id, node);
        if (marked.changes !== 1)
          throw new VisageError(
            'lease_lost',
            `Job ${id} is another runner's now; its results were not stored here.`,
            {
              id,
            },
          );
        const returned = effects();
        statement(this.db, 'UPDATE jobs SET committed_effects = ? WHERE id = ?').run(json(returned), id);
        return returned;
      })
      .immediate();
  }

  /** Ends `node`'s run of a job; false when the job is no longer its (nothing changes then). */
  finish(
    id: string,
    node: string,
    outcome: { state: 'done' | 'failed' | 'cancelled'; result?: unknown; error?: JobError },
  ): boolean {
    const ended = this.db
      .transaction(() => {
        const held = statement(
          this.db,
          `SELECT 1 FROM jobs WHERE id = ? AND lease_node = ? AND state = 'running'`,
          'pluck',
        ).get(id, node);
        if (!held) return false;
        this.end(id, outcome.state, outcome);
        return true;
      })
      .immediate();
    if (ended) this.forgetOld(this.require(id).kind);
    return ended;
  }

  /** Gives a job back to the queue (this runner is stopping), for another runner to go on with. */
  release(id: string, node: string): void {
    statement(
      this.db,
      `UPDATE jobs SET state = 'queued', lease_node = NULL, lease_until = NULL, attempts = attempts - 1,
         updated_at = ? WHERE id = ? AND lease_node = ? AND state = 'running'`,
    ).run(Date.now(), id, node);
  }

  /** Asks a job to stop: a queued one is cancelled at once, a running one at its runner's next check. */
  cancel(id: string, kind?: JobKind): JobRecord {
    this.require(id, kind);
    this.db.transaction(() => {
      statement(this.db, 'UPDATE jobs SET cancel = 1, updated_at = ? WHERE id = ?').run(Date.now(), id);
      const queued = statement(this.db, `SELECT 1 FROM jobs WHERE id = ? AND state = 'queued'`, 'pluck').get(
        id,
      );
      if (queued) this.end(id, 'cancelled', {});
    })();
    return this.require(id);
  }

  /**
   * Removes every job, in any state, that `about` says is about someone, given its JSON fields and file
   * names (forgetting a person: privacy/forget.ts). A running one's runner then finds its lease gone and
   * stores nothing. Returns how many went.
   */
  removeWhere(about: (texts: string[]) => boolean): number {
    const rows = statement(this.db, 'SELECT * FROM jobs').all() as JobRow[];
    const remove = statement(this.db, 'DELETE FROM jobs WHERE id = ?');
    let removed = 0;
    for (const row of rows) {
      const texts = [row.params, row.progress, row.result, row.error, ...this.fileNames(row.id)];
      if (about(texts.filter((t): t is string => t !== null))) removed += remove.run(row.id).changes;
    }
    return removed;
  }

  /** Writes a job's file to `dest`, chunk by chunk; false when the job has no such file. */
  readFile(id: string, name: string, dest: string): boolean {
    const fd = fs.openSync(dest, 'w');
    let found = false;
    try {
      for (const chunk of this.chunks(id, name)) {
        found = true;
        fs.writeSync(fd, chunk);
      }
    } finally {
      fs.closeSync(fd);
    }
    return found;
  }

  /** A job's file as a stream, one chunk read from the store at a time (downloads). */
  streamFile(id: string, name: string): Readable {
    return Readable.from(this.chunks(id, name));
  }

  /** The size of a job's file in bytes, or null when it has none. */
  fileSize(id: string, name: string): number | null {
    const size = statement(
      this.db,
      'SELECT SUM(LENGTH(bytes)) FROM job_files WHERE job_id = ? AND name = ?',
      'pluck',
    ).get(id, name) as number | null;
    return size ?? null;
  }

  /** The names of a job's files. */
  fileNames(id: string): string[] {
    return statement(
      this.db,
      'SELECT DISTINCT name FROM job_files WHERE job_id = ? ORDER BY name',
      'pluck',
    ).all(id) as string[];
  }

  /** Stores (or replaces) a job's file, in one transaction. */
  storeFile(id: string, file: JobFile): void {
    this.db.transaction(() => {
      statement(this.db, 'DELETE FROM job_files WHERE job_id = ? AND name = ?').run(id, file.name);
      this.putFile(id, file);
    })();
  }

  private *chunks(id: string, name: string): Generator<Buffer> {
    const seqs = statement(
      this.db,
      'SELECT seq FROM job_files WHERE job_id = ? AND name = ? ORDER BY seq',
      'pluck',
    ).all(id, name) as number[];
    for (const seq of seqs) {
      yield statement(
        this.db,
        'SELECT bytes FROM job_files WHERE job_id = ? AND name = ? AND seq = ?',
        'pluck',
      ).get(id, name, seq) as Buffer;
    }
  }

  private putFile(id: string, file: JobFile): void {
    const insert = statement(this.db, 'INSERT INTO job_files (job_id, name, seq, bytes) VALUES (?, ?, ?, ?)');
    if (file.bytes) {
      // An empty file still gets its one (empty) chunk, so it exists.
      for (let seq = 0, at = 0; seq === 0 || at < file.bytes.length; seq++, at += CHUNK_BYTES)
        insert.run(id, file.name, seq, file.bytes.subarray(at, at + CHUNK_BYTES));
      return;
    }
    const fd = fs.openSync(file.path!, 'r');
    try {
      const buffer = Buffer.alloc(CHUNK_BYTES);
      for (let seq = 0; ; seq++) {
        const n = fs.readSync(fd, buffer, 0, CHUNK_BYTES, null);
        if (n === 0 && seq > 0) break;
        insert.run(id, file.name, seq, Buffer.from(buffer.subarray(0, n)));
        if (n < CHUNK_BYTES) break;
      }
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Sets a final state; the uploads go (see the header). Inside the caller's transaction. */
  private end(id: string, state: JobState, outcome: { result?: unknown; error?: JobError }): void {
    statement(
      this.db,
      `UPDATE jobs SET state = ?, result = COALESCE(?, result), error = ?, lease_node = NULL,
         lease_until = NULL, updated_at = ? WHERE id = ?`,
    ).run(state, json(outcome.result), json(outcome.error), Date.now(), id);
    statement(this.db, `DELETE FROM job_files WHERE job_id = ? AND name LIKE 'input%'`).run(id);
  }

  private forgetOld(kind: JobKind): void {
    const old = statement(
      this.db,
      `SELECT id FROM jobs WHERE kind = ? AND state IN ('done', 'failed', 'cancelled')
         ORDER BY updated_at DESC, id LIMIT ? OFFSET ?`,
      'pluck',
    ).all(kind, NO_LIMIT, KEEP_FINISHED) as string[];
    if (old.length === 0) return;
    const remove = statement(this.db, 'DELETE FROM jobs WHERE id = ?');
    this.db.transaction(() => old.forEach((id) => remove.run(id)))();
  }
}

/** Whether a job's state is final. */
export function isFinished(state: JobState): boolean {
  return FINISHED.includes(state);
}

function json(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}

function record(row: JobRow): JobRecord {
  const parse = (text: string | null): unknown => (text === null ? null : JSON.parse(text));
  return {
    id: row.id,
    kind: row.kind,
    state: row.state,
    params: parse(row.params),
    progress: parse(row.progress),
    result: parse(row.result),
    error: parse(row.error) as JobError | null,
    attempts: row.attempts,
    committed: row.committed === 1,
    committedEffects: row.committed_effects === null ? null : JSON.parse(row.committed_effects),
    cancelRequested: row.cancel === 1,
    leaseNode: row.lease_node,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
