// The connection interface both stores share: better-sqlite3's Database has this shape, and
// postgres/postgres-db.ts implements it. Apart from database.ts, so that PostgresDb can name it without an
// import circle (database.ts opens a PostgresDb).
import type Database from 'better-sqlite3';

/** Another process holding the write lock (an import, the server) makes a writer wait this long, not fail. */
export const BUSY_TIMEOUT_MS = 10_000;

export interface RunResult {
  changes: number;
  lastInsertRowid: number | bigint;
}

/** A prepared statement: better-sqlite3's, or postgres-db.ts's with the same behaviour. */
export interface Statement {
  run(...params: unknown[]): RunResult;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  iterate(...params: unknown[]): IterableIterator<unknown>;
  /** Rows as their first column. */
  pluck(toggle?: boolean): this;
  /** Rows as arrays. */
  raw(toggle?: boolean): this;
}

/** What `db.transaction` takes: a synchronous function (better-sqlite3's VariableArgFunction). */
export type TransactionFn = Parameters<Database.Database['transaction']>[0];
/** `db.transaction(fn)`: runs fn in a transaction (a savepoint when nested); `.immediate` takes the write lock first. */
export type Transaction<F extends TransactionFn> = Database.Transaction<F>;

/** A connection to the store: better-sqlite3's Database has this shape; PostgresDb implements it. */
export interface Db {
  /** The file, or the URL with its password masked. */
  readonly name: string;
  readonly inTransaction: boolean;
  readonly open: boolean;
  prepare(sql: string): Statement;
  /** Runs statements without parameters (the migrations' DDL). */
  exec(sql: string): unknown;
  transaction<F extends TransactionFn>(fn: F): Transaction<F>;
  close(): unknown;
  /**
   * Calls `listener` soon after any connection committed a change the gallery's counters track
   * (PostgreSQL's LISTEN/NOTIFY; also after the notification connection came back, since notifications
   * sent meanwhile are lost). Absent on SQLite: the gallery's poll alone finds other processes' changes.
   * Returns the unsubscribe function.
   */
  onChange?(listener: () => void): () => void;
}
