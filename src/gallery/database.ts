// Opens the gallery's store and brings its schema up to date: <dataDir>/visage.db (created when missing;
// a file that is not a healthy SQLite database is refused, never repaired or replaced), or a PostgreSQL
// database given by URL (postgres/postgres-db.ts), through the one connection interface both share.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { VisageError } from '../errors.js';
import { BUSY_TIMEOUT_MS, type Db, type Statement } from './connection.js';
import { MIGRATIONS, type Migration } from './migrations.js';
import { PostgresDb } from './postgres/postgres-db.js';

export type { Db, RunResult, Statement, Transaction, TransactionFn } from './connection.js';

export const DATABASE_FILE = 'visage.db';

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

export interface OpenDatabaseOptions {
  /**
   * Integrity check on open: `quick` runs PRAGMA quick_check, which reads every page (0.53 s for a
   * 731 MB gallery of a million 128-D samples without crops: bench/gallery.ts --db); `header` only reads
   * the file header and schema. Default `quick`.
   */
  check?: 'quick' | 'header';
  /** Schema to apply; tests pass longer lists to exercise upgrades. Default: MIGRATIONS. */
  migrations?: readonly Migration[];
  /** A PostgreSQL URL (postgres://…) to use instead of <dataDir>/visage.db (`--db`, VISAGE_DB). */
  database?: string;
}

/** True for a connection URL of the PostgreSQL store. */
export function isPostgresUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//i.test(value);
}

export function databasePath(dataDir: string): string {
  return path.join(dataDir, DATABASE_FILE);
}

/**
 * Opens (or creates) the gallery database with WAL, foreign keys and a busy timeout, and migrates it.
 * Errors: `database_corrupt` (not SQLite, or fails the integrity check; the file is left untouched),
 * `database_unrecognised` (a SQLite database that is not Visage's), `database_too_new`.
 */
export function openDatabase(dataDir: string, options: OpenDatabaseOptions = {}): Db {
  if (options.database) return openPostgres(options.database, options.migrations ?? MIGRATIONS);
  const file = databasePath(dataDir);
  const exists = fs.existsSync(file);
  if (exists) checkHeader(file);
  else fs.mkdirSync(dataDir, { recursive: true });

  const db = new Database(file, { fileMustExist: exists });
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    if (exists) checkIntegrity(db, file, options.check ?? 'quick');
    db.pragma('journal_mode = WAL');
    // NORMAL is durable against application crashes in WAL mode; a power cut may lose the last commit.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    // Deleted rows (a forgotten person's crops and vectors) are overwritten with zeros, in the file and
    // the WAL, instead of lingering in free pages (privacy/forget.ts). Costs a write of each freed page.
    db.pragma('secure_delete = ON');
    migrate(db, options.migrations ?? MIGRATIONS);
  } catch (e) {
    db.close();
    throw e;
  }
  return db;
}

/**
 * The PostgreSQL store: the same migrations, translated (postgres/dialect.ts). Errors:
 * `database_unreachable`, `database_unrecognised`, `database_too_new`.
 */
function openPostgres(url: string, migrations: readonly Migration[]): Db {
  if (!isPostgresUrl(url)) {
    throw new VisageError(
      'invalid_database_url',
      `--db takes a postgres:// URL, not ${JSON.stringify(url)}.`,
      {
        database: url,
      },
    );
  }
  const db = new PostgresDb(url);
  try {
    // Case-insensitive unique names (SQLite's COLLATE NOCASE); a trusted extension since PostgreSQL 13.
    db.exec('CREATE EXTENSION IF NOT EXISTS citext');
    migrate(db, migrations);
  } catch (e) {
    db.close();
    throw e;
  }
  return db;
}

/** The tables of the database, from the catalog of its kind. */
function tableQuery(db: Db): string {
  return db instanceof PostgresDb
    ? 'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()'
    : "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'";
}

/** The names of the database's tables. */
export function tableNames(db: Db): string[] {
  return db.prepare(tableQuery(db)).pluck().all() as string[];
}

/** The schema version (number of migrations applied); 0 for an empty database. */
export function schemaVersion(db: Db): number {
  if (!tableNames(db).includes('schema_version')) return 0;
  const row = db.prepare('SELECT MAX(version) AS version FROM schema_version').get() as {
    version: number | null;
  };
  return row.version ?? 0;
}

/** Applies the migrations the database lacks, each in its own write transaction. */
export function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS): void {
  if (schemaVersion(db) === 0) {
    const foreign = db.prepare(tableQuery(db)).get();
    if (foreign) {
      throw new VisageError(
        'database_unrecognised',
        `${db.name} is a ${db instanceof PostgresDb ? 'PostgreSQL' : 'SQLite'} database but not a Visage one.`,
        {
          path: db.name,
        },
      );
    }
    db.exec(
      'CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)',
    );
  }
  for (;;) {
    // IMMEDIATE takes the write lock first, so two processes opening a fresh data directory at once
    // cannot both apply the same migration: the second waits, re-reads the version and finds it done.
    const applied = db
      .transaction(() => {
        const version = schemaVersion(db);
        if (version > migrations.length) {
          throw new VisageError(
            'database_too_new',
            `${db.name} has schema version ${version}; this Visage knows up to ${migrations.length}. Upgrade Visage.`,
            { path: db.name, version, supported: migrations.length },
          );
        }
        if (version === migrations.length) return false;
        migrations[version](db);
        db.prepare('INSERT INTO schema_version (version, applied_at) VALUES (?, ?)').run(
          version + 1,
          Date.now(),
        );
        return true;
      })
      .immediate();
    if (!applied) return;
  }
}

function checkHeader(file: string): void {
  const fd = fs.openSync(file, 'r');
  try {
    const header = Buffer.alloc(SQLITE_HEADER.length);
    const read = fs.readSync(fd, header, 0, header.length, 0);
    // An empty file is what SQLite itself creates before the first write: a valid, empty database.
    if (read === 0) return;
    if (read < header.length || !header.equals(SQLITE_HEADER))
      throw corrupt(file, 'it is not a SQLite database');
  } finally {
    fs.closeSync(fd);
  }
}

function checkIntegrity(db: Database.Database, file: string, check: 'quick' | 'header'): void {
  let problem: string;
  try {
    // Reading the schema fails on a damaged header or first page even without quick_check.
    db.prepare('SELECT COUNT(*) FROM sqlite_master').get();
    if (check === 'header') return;
    problem = String(db.pragma('quick_check', { simple: true }));
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') problem = (e as Error).message;
    else throw e;
  }
  if (problem !== 'ok') throw corrupt(file, problem.split('\n').slice(0, 3).join('; '));
}

function corrupt(file: string, problem: string): VisageError {
  return new VisageError(
    'database_corrupt',
    `${file} is damaged (${problem}). Visage left it untouched: restore a backup, or move it away to start an empty gallery.`,
    { path: file, problem },
  );
}

/**
 * Copies the write-ahead log into the database file and truncates it to zero bytes, so no page an earlier
 * transaction wrote (e.g. a deleted person's rows before secure_delete zeroed them) is left in
 * visage.db-wal. Waits for readers up to the busy timeout; false when another connection still reads an
 * old snapshot and the log could not be emptied (it is then emptied by a later checkpoint).
 */
export function truncateWal(db: Db): boolean {
  // PostgreSQL's write-ahead log, dead rows and backups are the server's (VACUUM, WAL recycling): Visage
  // cannot empty them, and says so (forget.ts).
  if (!(db instanceof Database)) return false;
  const [result] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number; log: number }[];
  return result !== undefined && result.busy === 0 && result.log <= 0;
}

/**
 * Rewrites the values of `table`.`column` (SQL names, from code) that contain `text`, row by row through
 * `rewrite` (a forget taking a name out of file paths and camera names); how many rows changed.
 */
export function rewriteContaining(
  db: Db,
  table: string,
  column: string,
  text: string,
  rewrite: (value: string) => string,
): number {
  const rows = statement(db, `SELECT id, ${column} AS value FROM ${table} WHERE instr(${column}, ?) > 0`).all(
    text,
  ) as { id: number; value: string }[];
  const update = statement(db, `UPDATE ${table} SET ${column} = ? WHERE id = ?`);
  let changed = 0;
  for (const { id, value } of rows) {
    const next = rewrite(value);
    if (next !== value) changed += update.run(next, id).changes;
  }
  return changed;
}

/** True for a UNIQUE or PRIMARY KEY violation (a concurrent writer won a race we had checked for). */
export function isUniqueViolation(e: unknown): boolean {
  const code = (e as { code?: string }).code;
  // PostgreSQL's SQLSTATE 23505 is unique_violation, for primary keys too.
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}

/** The LIMIT of a list without one: SQLite's -1 is an error on PostgreSQL, and no other value means "all" in both. */
export const NO_LIMIT = Number.MAX_SAFE_INTEGER;

const statements = new WeakMap<Db, Map<string, Statement>>();

/**
 * A prepared statement compiled once per connection, SQL text and result mode: compiling costs ~10 µs,
 * more than running most of these statements, and bulk imports run them for every sample.
 * (Not for `iterate()`: a cached statement that is mid-iteration cannot run again.)
 */
export function statement(db: Db, sql: string, mode: 'rows' | 'pluck' = 'rows'): Statement {
  let cache = statements.get(db);
  if (!cache) statements.set(db, (cache = new Map()));
  const key = `${mode}:${sql}`;
  let prepared = cache.get(key);
  if (!prepared) {
    prepared = db.prepare(sql);
    if (mode === 'pluck') prepared.pluck();
    cache.set(key, prepared);
  }
  return prepared;
}
