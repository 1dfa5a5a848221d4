// The gallery's connection when the store is PostgreSQL (`--db postgres://…`): the same synchronous
// interface as better-sqlite3's (database.ts Db), so every repository and service statement runs on
// either store unchanged, in SQLite's dialect (dialect.ts translates).
//
// Synchronous over an asynchronous client: one `pg` connection lives on a worker thread
// (bridge-worker.ts); a statement is posted to it and this thread waits on a shared flag (Atomics.wait)
// until the answer is there. The event loop is held for that round trip, as better-sqlite3 holds it for
// a disk read: the store's contract was synchronous from the start, and the recognition path never reads
// the store (gallery.ts). Tried and set aside for this step: making the ~200 statements and their
// callers asynchronous, which changes every service verb at once.
//
// SQLite's locking is kept, so invariants written for it hold across nodes: a write transaction is
// serialized with every other (SQLite has one writer). `.immediate()` takes the write lock (a PostgreSQL
// advisory lock) first; a deferred transaction takes it before its first write; a write outside a
// transaction runs in one of its own that takes it. Reads never wait for it. Also kept: a failed statement
// undoes only itself (each write in a transaction runs under a savepoint), and `iterate()` streams (a
// cursor, fetched in batches). Transactions are READ COMMITTED: a writer holds the lock, so it sees every
// earlier commit; a read-only one may see a commit between two of its reads, never an older state.
import { receiveMessageOnPort, MessageChannel, Worker } from 'node:worker_threads';
import { VisageError } from '../../errors.js';
import {
  BUSY_TIMEOUT_MS,
  type Db,
  type RunResult,
  type Statement,
  type Transaction,
  type TransactionFn,
} from '../connection.js';
import type { BridgeData, BridgeRequest, BridgeResponse } from './bridge-worker.js';
import { CHANGE_CHANNEL, translateQuery, translateSchema, type Translated } from './dialect.js';

/** How long one statement may run on the server (statement_timeout). */
const STATEMENT_TIMEOUT_MS = 60_000;
/** How long the worker may take to answer beyond that before the connection is given up as unreachable. */
const ANSWER_MARGIN_MS = 10_000;
/** Rows an `iterate()` cursor fetches per round trip: about a megabyte of 128-D embeddings. */
const CURSOR_BATCH = 2000;
/** Takes the write lock, held to the end of the transaction; the key is 'VISA' in ASCII. */
const LOCK = `SELECT pg_advisory_xact_lock(${0x56495341})`;
/** The savepoint of a write in a transaction (bridge-worker.ts BridgeRequest.atomic). */
const STATEMENT_SAVEPOINT = 'visage_statement';

/** A connection URL with its password masked, for messages and `db.name`. */
export function maskedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://…';
  }
}

/**
 * The bridge worker's entry: the compiled file, or, when Visage runs from its TypeScript sources (tests,
 * `tsx`), a bootstrap that registers tsx in the worker first (Node 20 does not pass --import hooks on).
 */
function workerEntry(): [URL] | [string, { eval: true }] {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return [new URL('./bridge-worker.js', here)];
  const entry = new URL('./bridge-worker.ts', here).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  return [
    `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); })`,
    { eval: true },
  ];
}

export class PostgresDb implements Db {
  readonly name: string;
  private readonly worker: Worker;
  private readonly port;
  private readonly signal = new Int32Array(new SharedArrayBuffer(4));
  private readonly translated = new Map<string, Translated>();
  private depth = 0;
  private locked = false;
  /** An atomic write's savepoint is still open (released by the next write or the level's end). */
  private statementSaved = false;
  private idTables: Set<string> | null = null;
  private closed = false;
  private listening = false;
  private readonly changeListeners = new Set<() => void>();
  /** Set when the worker missed its deadline: a late answer would be taken for the next request's. */
  private unreachable = false;
  private cursors = 0;
  /** Open cursors and the transaction depth each was declared at (0: WITH HOLD, outside any). */
  private readonly openCursors = new Map<string, number>();

  constructor(url: string) {
    this.name = maskedUrl(url);
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const data: BridgeData = {
      url,
      port: port2,
      signal: this.signal,
      lockSql: LOCK,
      savepoint: STATEMENT_SAVEPOINT,
      lockTimeoutMs: BUSY_TIMEOUT_MS,
      statementTimeoutMs: STATEMENT_TIMEOUT_MS,
    };
    const [entry, kind] = workerEntry();
    this.worker = new Worker(entry, { ...kind, workerData: data, transferList: [port2] });
    this.worker.unref();
    this.port.unref();
    // The first statement connects: a wrong URL or a server that is down fails here, with what to do.
    try {
      this.request({ text: 'SELECT 1' });
    } catch (e) {
      void this.worker.terminate();
      throw new VisageError(
        'database_unreachable',
        `Cannot reach the PostgreSQL database ${this.name} (${(e as Error).message}). Check the URL, that the server runs and accepts this user.`,
        { url: this.name },
      );
    }
  }

  get inTransaction(): boolean {
    return this.depth > 0;
  }

  get open(): boolean {
    return !this.closed;
  }

  prepare(sql: string): Statement {
    let translated = this.translated.get(sql);
    if (!translated) this.translated.set(sql, (translated = translateQuery(sql)));
    return new PostgresStatement(this, translated);
  }

  exec(sql: string): this {
    this.write({ text: translateSchema(sql) });
    this.idTables = null;
    return this;
  }

  transaction<F extends TransactionFn>(fn: F): Transaction<F> {
    const run =
      (immediate: boolean) =>
      (...args: Parameters<F>): ReturnType<F> => {
        const outer = this.depth === 0;
        const savepoint = `visage_${this.depth}`;
        // A nested level starts after the open statement savepoint is gone, or releasing that would end it.
        const release = this.statementSaved ? `RELEASE SAVEPOINT ${STATEMENT_SAVEPOINT}; ` : '';
        this.statementSaved = false;
        const lockFirst = outer && immediate;
        try {
          this.request({
            text: outer ? (lockFirst ? `BEGIN; ${LOCK}` : 'BEGIN') : `${release}SAVEPOINT ${savepoint}`,
          });
        } catch (e) {
          // The lock timed out in the transaction just begun.
          if (lockFirst) this.rollbackQuietly();
          throw e;
        }
        this.depth++;
        if (lockFirst) this.locked = true;
        let result: unknown;
        try {
          if (immediate && !this.locked) this.takeLock();
          result = fn(...args);
          if (result instanceof Promise) throw new TypeError('Transaction function cannot return a promise');
        } catch (e) {
          this.leave(false, savepoint);
          throw e;
        }
        this.leave(true, savepoint);
        return result as ReturnType<F>;
      };
    const deferred = run(false);
    const immediate = run(true);
    return Object.assign(deferred, {
      default: deferred,
      deferred,
      immediate,
      exclusive: immediate,
    }) as unknown as Transaction<F>;
  }

  private rollbackQuietly(): void {
    try {
      this.request({ text: 'ROLLBACK' });
    } catch {
      // Unreachable: the server ends the transaction with the connection.
    }
  }

  /**
   * Leaves the current transaction level: COMMIT or ROLLBACK the outer one, release or roll back to the
   * savepoint of a nested one (both released after, as better-sqlite3 does).
   */
  private leave(commit: boolean, savepoint: string): void {
    this.depth--;
    // Whatever ends this level ends the statement savepoint inside it too.
    this.statementSaved = false;
    // The server closes the cursors of a transaction that ends and of a savepoint rolled back to.
    for (const [name, depth] of this.openCursors) {
      if (depth > this.depth) {
        if (commit && this.depth > 0) this.openCursors.set(name, this.depth);
        else this.openCursors.delete(name);
      }
    }
    if (this.depth > 0) {
      const text = commit
        ? `RELEASE SAVEPOINT ${savepoint}`
        : `ROLLBACK TO SAVEPOINT ${savepoint}; RELEASE SAVEPOINT ${savepoint}`;
      return void this.request({ text });
    }
    this.locked = false;
    // A failed COMMIT has ended the transaction on the server all the same (rolled back), as here.
    this.request({ text: commit ? 'COMMIT' : 'ROLLBACK' });
  }

  onChange(listener: () => void): () => void {
    if (!this.listening) {
      this.worker.on('message', (m: { notified?: string }) => {
        if (m.notified) for (const l of this.changeListeners) l();
      });
      this.request({ text: '', listen: CHANGE_CHANNEL });
      this.listening = true;
    }
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  close(): this {
    if (this.closed) return this;
    this.closed = true;
    try {
      this.request({ text: '', close: true });
    } finally {
      void this.worker.terminate();
    }
    return this;
  }

  /** Runs a statement, taking the write lock first when it writes (see the header). */
  run(statement: Translated, values: unknown[], array: boolean): { rows: unknown[]; rowCount: number } {
    let text = statement.text;
    if (statement.insertInto && !/\bRETURNING\b/i.test(text) && this.hasId(statement.insertInto))
      text += ' RETURNING id';
    const request: BridgeRequest = { text, values, array };
    return statement.writes ? this.write(request) : this.request(request);
  }

  private write(request: BridgeRequest): { rows: unknown[]; rowCount: number } {
    if (this.depth === 0) return this.request({ ...request, wrap: true });
    const first = !this.locked;
    const release = this.statementSaved;
    this.locked = true;
    this.statementSaved = false;
    const result = this.request({ ...request, lock: first, atomic: true, release });
    this.statementSaved = true;
    return result;
  }

  private takeLock(): void {
    this.request({ text: LOCK });
    this.locked = true;
  }

  /**
   * A cursor over a read's rows, fetched CURSOR_BATCH at a time, so a million rows never sit in one
   * message. Outside a transaction it is WITH HOLD: the server keeps the result after the implicit
   * transaction of the DECLARE ends (better-sqlite3's iterate reads a snapshot the same way).
   */
  *cursor(statement: Translated, values: unknown[], array: boolean): Generator<unknown[], void, undefined> {
    const name = `visage_cursor_${++this.cursors}`;
    const hold = this.depth === 0 ? ' WITH HOLD' : '';
    this.request({ text: `DECLARE ${name} NO SCROLL CURSOR${hold} FOR ${statement.text}`, values });
    this.openCursors.set(name, this.depth);
    try {
      for (;;) {
        const { rows } = this.request({ text: `FETCH ${CURSOR_BATCH} FROM ${name}`, array });
        if (rows.length > 0) yield rows;
        if (rows.length < CURSOR_BATCH) return;
      }
    } finally {
      // Unless the server closed it already: a CLOSE of an unknown cursor would abort the transaction.
      if (this.openCursors.delete(name) && !this.closed && !this.unreachable)
        this.request({ text: `CLOSE ${name}` });
    }
  }

  /** Tables with an `id` column: an INSERT into one returns it, for lastInsertRowid. */
  private hasId(table: string): boolean {
    if (!this.idTables) {
      const { rows } = this.request({
        text: "SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema() AND column_name = 'id'",
        array: true,
      });
      this.idTables = new Set((rows as [string][]).map(([name]) => name));
    }
    return this.idTables.has(table);
  }

  private request(request: BridgeRequest): { rows: unknown[]; rowCount: number } {
    if (this.closed && !request.close) throw new TypeError('The database connection is not open');
    const deadline = STATEMENT_TIMEOUT_MS + ANSWER_MARGIN_MS;
    const late = (): VisageError =>
      new VisageError('database_unreachable', `${this.name} did not answer within ${deadline / 1000} s.`, {
        url: this.name,
      });
    if (this.unreachable) throw late();
    Atomics.store(this.signal, 0, 0);
    this.port.postMessage(request);
    if (Atomics.wait(this.signal, 0, 0, deadline) === 'timed-out') {
      this.unreachable = true;
      throw late();
    }
    const response = receiveMessageOnPort(this.port)?.message as BridgeResponse | undefined;
    if (!response) throw new Error('The PostgreSQL worker answered nothing');
    if ('error' in response) {
      const { message, code, detail } = response.error;
      throw Object.assign(new Error(detail ? `${message} (${detail})` : message), { code });
    }
    for (const row of response.rows) asBuffers(row as Record<string, unknown>);
    return response;
  }
}

/** A message turns Buffers into plain Uint8Arrays; SQLite hands out Buffers, and callers use their methods. */
function asBuffers(row: Record<string, unknown> | unknown[]): void {
  for (const key of Object.keys(row)) {
    const value = (row as Record<string, unknown>)[key];
    if (value instanceof Uint8Array && !Buffer.isBuffer(value)) {
      (row as Record<string, unknown>)[key] = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    }
  }
}

class PostgresStatement implements Statement {
  private mode: 'rows' | 'raw' | 'pluck' = 'rows';

  constructor(
    private readonly db: PostgresDb,
    private readonly statement: Translated,
  ) {}

  pluck(toggle = true): this {
    this.mode = toggle ? 'pluck' : 'rows';
    return this;
  }

  raw(toggle = true): this {
    this.mode = toggle ? 'raw' : 'rows';
    return this;
  }

  run(...params: unknown[]): RunResult {
    const { rows, rowCount } = this.db.run(this.statement, this.values(params), false);
    // The last row's, as SQLite's last_insert_rowid() after a many-row INSERT.
    const id = (rows[rows.length - 1] as { id?: number } | undefined)?.id;
    return { changes: rowCount, lastInsertRowid: id ?? 0 };
  }

  get(...params: unknown[]): unknown {
    return this.all(...params)[0];
  }

  all(...params: unknown[]): unknown[] {
    const { rows } = this.execute(params);
    return this.mode === 'pluck' ? (rows as unknown[][]).map((row) => row[0]) : rows;
  }

  *iterate(...params: unknown[]): IterableIterator<unknown> {
    // PostgreSQL declares cursors over reads only; a write's rows (RETURNING) come at once.
    if (this.statement.writes) return yield* this.all(...params);
    for (const rows of this.db.cursor(this.statement, this.values(params), this.mode !== 'rows')) {
      yield* this.mode === 'pluck' ? (rows as unknown[][]).map((row) => row[0]) : rows;
    }
  }

  private execute(params: unknown[]): { rows: unknown[]; rowCount: number } {
    return this.db.run(this.statement, this.values(params), this.mode !== 'rows');
  }

  /** better-sqlite3's binding forms: values, arrays of values, or one object of named values. */
  private values(params: unknown[]): unknown[] {
    const names = this.statement.names;
    if (names) {
      const bound = (params[0] ?? {}) as Record<string, unknown>;
      return names.map((name) => {
        if (!(name in bound)) throw new RangeError(`Missing named parameter "${name}"`);
        return bound[name];
      });
    }
    return params.flatMap((p) => (Array.isArray(p) ? p : [p]));
  }
}
