// The PostgreSQL connection of one process, on a worker thread: postgres-db.ts hands it one request at a
// time and blocks until this thread answers (see there for why). Values come back as SQLite's would:
// BIGINT and NUMERIC as numbers, booleans as 1/0.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import pg from 'pg';

export interface BridgeRequest {
  text: string;
  values?: unknown[];
  /** Rows as arrays (better-sqlite3's raw and pluck modes). */
  array?: boolean;
  /** Take the write lock (pg_advisory_xact_lock) before the statement, in the current transaction. */
  lock?: boolean;
  /** A write outside a transaction: run it in one of its own that takes the write lock first. */
  wrap?: boolean;
  /**
   * A write inside a transaction: run it under a savepoint (BridgeData.savepoint), undone alone if it
   * fails. SQLite undoes only the failed statement, and callers rely on it (a unique violation caught and
   * answered by a read); PostgreSQL would abort the whole transaction. On success the savepoint stays:
   * the next write's `release`, or the end of the transaction level, releases it (a round trip saved).
   */
  atomic?: boolean;
  /** Release the savepoint an earlier atomic write left, first. */
  release?: boolean;
  close?: boolean;
  /** Start listening on this channel (a second connection): each notification posts `{ notified }`. */
  listen?: string;
}

export type BridgeResponse =
  { rows: unknown[]; rowCount: number } | { error: { message: string; code?: string; detail?: string } };

export interface BridgeData {
  url: string;
  port: MessagePort;
  signal: Int32Array;
  /** The statement that takes the write lock (postgres-db.ts), in the current transaction. */
  lockSql: string;
  /** The name of the savepoint of an atomic write. */
  savepoint: string;
  /** Server-side limits, in ms: waiting for a lock (SQLite's busy timeout), running one statement. */
  lockTimeoutMs: number;
  statementTimeoutMs: number;
}

const INT8 = 20;
const NUMERIC = 1700;
const BOOL = 16;
/** SQLSTATE of "cached plan must not change result type". */
const FEATURE_NOT_SUPPORTED = '0A000';
pg.types.setTypeParser(INT8, Number);
pg.types.setTypeParser(NUMERIC, Number);
pg.types.setTypeParser(BOOL, (v: string) => (v === 't' ? 1 : 0));

const {
  url,
  port,
  signal,
  lockSql: LOCK,
  savepoint: SAVEPOINT,
  lockTimeoutMs,
  statementTimeoutMs,
} = workerData as BridgeData;
let client: pg.Client | null = null;
/**
 * Server-side prepared statements by SQL text, per connection: parsing and planning each time took ~40% of
 * a one-row SELECT's round trip. Only statements with parameters: the others may hold several statements
 * (the migrations), which only the simple protocol takes; and not DECLARE, which cannot be prepared.
 */
let prepared = new Map<string, string>();
let preparedCount = 0;

function preparedName(text: string): string {
  let name = prepared.get(text);
  if (!name) prepared.set(text, (name = `visage_${++preparedCount}`));
  return name;
}

async function connected(): Promise<pg.Client> {
  if (client) return client;
  const fresh = new pg.Client({
    connectionString: url,
    options: `-c lock_timeout=${lockTimeoutMs} -c statement_timeout=${statementTimeoutMs}`,
  });
  // A dropped connection fails the request in flight; the next one connects again.
  fresh.on('error', () => {
    if (client === fresh) client = null;
  });
  await fresh.connect();
  client = fresh;
  prepared = new Map();
  return fresh;
}

/** How long a lost notification connection waits before connecting again. */
const LISTEN_RETRY_MS = 1000;
let listener: pg.Client | null = null;

/**
 * A connection of its own for LISTEN (the main one is busy in transactions). When it drops, it comes
 * back and posts one notification anyway: those sent meanwhile are lost, and the gallery's refresh
 * compares its counters, so nothing is missed.
 */
async function listen(channel: string): Promise<void> {
  const fresh = new pg.Client({ connectionString: url });
  // The one way back, whatever failed (connect, LISTEN, a dropped connection): once per connection.
  const retry = () => {
    if (listener !== fresh) return;
    listener = null;
    void fresh.end().catch(() => {});
    setTimeout(() => void listen(channel), LISTEN_RETRY_MS);
  };
  fresh.on('notification', () => parentPort?.postMessage({ notified: channel }));
  fresh.on('error', retry);
  fresh.on('end', retry);
  listener = fresh;
  try {
    await fresh.connect();
    await fresh.query(`LISTEN ${channel}`);
  } catch {
    return retry();
  }
  parentPort?.postMessage({ notified: channel });
}

async function answer(request: BridgeRequest): Promise<BridgeResponse> {
  if (request.close) {
    const closing = listener;
    listener = null;
    await closing?.end().catch(() => {});
    await client?.end();
    client = null;
    return { rows: [], rowCount: 0 };
  }
  if (request.listen) {
    if (!listener) await listen(request.listen);
    return { rows: [], rowCount: 0 };
  }
  const db = await connected();
  const values = request.values?.length
    ? request.values.map((v) => (v instanceof Uint8Array && !Buffer.isBuffer(v) ? Buffer.from(v) : v))
    : undefined;
  const name = values && !/^\s*DECLARE\b/i.test(request.text) ? preparedName(request.text) : undefined;
  const query = { text: request.text, values, name, ...(request.array ? { rowMode: 'array' as const } : {}) };
  // What goes before the statement is sent as one simple query: one round trip to the server, not two.
  const before = request.wrap
    ? `BEGIN; ${LOCK}`
    : [
        request.release ? `RELEASE SAVEPOINT ${SAVEPOINT}` : '',
        request.lock ? LOCK : '',
        request.atomic ? `SAVEPOINT ${SAVEPOINT}` : '',
      ]
        .filter(Boolean)
        .join('; ');
  let result: pg.QueryResult | pg.QueryResult[];
  let saved = false;
  try {
    if (before) await db.query(before);
    saved = Boolean(request.atomic);
    // Statements without parameters go as simple queries, which may hold several (the migrations).
    result = await db.query(query);
  } catch (e) {
    // Another process's migration changed a table a prepared `SELECT *` reads: the next run prepares anew.
    if ((e as { code?: string }).code === FEATURE_NOT_SUPPORTED) prepared.delete(request.text);
    if (request.wrap) await db.query('ROLLBACK').catch(() => {});
    else if (saved)
      await db.query(`ROLLBACK TO SAVEPOINT ${SAVEPOINT}; RELEASE SAVEPOINT ${SAVEPOINT}`).catch(() => {});
    throw e;
  }
  if (request.wrap) await db.query('COMMIT');
  const last = Array.isArray(result) ? result[result.length - 1] : result;
  return { rows: last?.rows ?? [], rowCount: last?.rowCount ?? 0 };
}

port.on('message', (request: BridgeRequest) => {
  void answer(request)
    .catch((e: unknown): BridgeResponse => {
      const err = e as { message?: string; code?: string; detail?: string };
      return { error: { message: err.message ?? String(e), code: err.code, detail: err.detail } };
    })
    .then((response) => {
      port.postMessage(response);
      Atomics.store(signal, 0, 1);
      Atomics.notify(signal, 0);
    });
});
parentPort?.postMessage('ready');
