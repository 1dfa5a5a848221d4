// `visage doctor`: what this installation runs on and what state its data directory is in, for a bug
// report or a "why is this slow / failing" question: Node, ONNX Runtime, libvips, which ffmpeg and
// ffprobe are used (system or bundled, and why), each model's cache state, and the database's schema
// version and counts. Read-only: it never creates the data directory, converts a model or migrates.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { DEFAULT_DETECTOR, DEFAULT_EMBEDDER } from '../engine/analyzer.js';
import { listModels } from '../engine/models/catalog.js';
import { cacheState } from '../engine/models/cache.js';
import { hasInt8Calibration } from '../engine/models/quantize/int8.js';
import { DATABASE_FILE, schemaVersion, tableNames, type Db } from '../gallery/database.js';
import { maskedUrl, PostgresDb } from '../gallery/postgres/postgres-db.js';
import { MIN_SYSTEM_MAJOR, toolChoice, type ToolChoice } from '../media/ffmpeg.js';

const require = createRequire(import.meta.url);

export interface DoctorReport {
  node: { version: string; platform: string; arch: string };
  onnxRuntime: { version: string | null };
  libvips: { version: string | null; sharp: string | null };
  ffmpeg: ToolChoice;
  ffprobe: ToolChoice;
  /**
   * Each catalog model; `used`: run by default (detector, landmarks, embedder); `precision`: what it
   * runs in unless `--fp32` (int8 where its int8 variant kept parity, MODELS.md).
   */
  models: {
    id: string;
    task: string;
    used: boolean;
    precision: 'fp32' | 'int8';
    cache: 'ready' | 'stale' | 'damaged' | 'missing';
  }[];
  dataDir: {
    path: string;
    exists: boolean;
    writable: boolean;
    database: {
      /** Where the gallery lives: the data directory's SQLite file, or PostgreSQL (`--db`). */
      store: 'sqlite' | 'postgres';
      /** The file, or the URL with its password masked. */
      location: string;
      exists: boolean;
      bytes: number;
      schemaVersion: number | null;
      people: number | null;
      samples: number | null;
      events: number | null;
      users: number | null;
      /** Why the database could not be read, when it exists but could not. */
      error?: string;
    };
  };
  /** Things to fix, in words; empty when all is well. */
  problems: string[];
}

/** `database`: a PostgreSQL URL when the gallery lives there (`--db`), else the data directory's SQLite file. */
export async function doctor(dataDir: string, database?: string): Promise<DoctorReport> {
  const problems: string[] = [];
  const ffmpeg = toolChoice('ffmpeg');
  const ffprobe = toolChoice('ffprobe');
  for (const t of [ffmpeg, ffprobe]) {
    if (t.version === null)
      problems.push(`${t.tool} (${t.path}) does not run: install ffmpeg (apt-get install ffmpeg)`);
    else if (t.source === 'bundled')
      problems.push(
        `${t.tool}: using the bundled build ${t.version}${t.skipped ? ` (${t.skipped})` : ''}; install ffmpeg ${MIN_SYSTEM_MAJOR} or newer from your distribution (apt-get install ffmpeg) for a maintained one`,
      );
  }
  const cacheDir = path.join(dataDir, 'models');
  const models = await Promise.all(
    listModels().map(async (m) => ({
      id: m.id,
      task: m.task,
      used: m.id === DEFAULT_DETECTOR || m.id === DEFAULT_EMBEDDER || m.task === 'landmarks',
      precision: hasInt8Calibration(m.id) ? ('int8' as const) : ('fp32' as const),
      cache: await cacheState(m, cacheDir),
    })),
  );
  for (const m of models)
    if (m.cache === 'damaged')
      problems.push(`model ${m.id}: the cached file is damaged; it is converted again on next use`);

  const exists = fs.existsSync(dataDir);
  const report: DoctorReport = {
    node: { version: process.versions.node, platform: process.platform, arch: process.arch },
    onnxRuntime: { version: packageVersion('onnxruntime-node') },
    libvips: { version: sharp.versions.vips ?? null, sharp: sharp.versions.sharp ?? null },
    ffmpeg,
    ffprobe,
    models,
    dataDir: {
      path: dataDir,
      exists,
      writable: exists && isWritable(dataDir),
      database: database ? readPostgres(database) : readSqlite(path.join(dataDir, DATABASE_FILE)),
    },
    problems,
  };
  if (exists && !report.dataDir.writable) problems.push(`${dataDir} is not writable`);
  const db = report.dataDir.database;
  if (db.error) problems.push(`${db.store === 'sqlite' ? DATABASE_FILE : db.location}: ${db.error}`);
  return report;
}

function packageVersion(name: string): string | null {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return null;
  }
}

function isWritable(dir: string): boolean {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

type DatabaseReport = DoctorReport['dataDir']['database'];
const UNREAD = { schemaVersion: null, people: null, samples: null, events: null, users: null };

/** Schema version and counts of the SQLite file, read through a read-only connection (no migration, no WAL checkpoint). */
function readSqlite(file: string): DatabaseReport {
  const where = { store: 'sqlite' as const, location: file };
  if (!fs.existsSync(file)) return { ...where, exists: false, bytes: 0, ...UNREAD };
  const bytes = fs.statSync(file).size;
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    return { ...where, exists: true, bytes, ...counts(db) };
  } catch (e) {
    return { ...where, exists: true, bytes, ...UNREAD, error: (e as Error).message };
  } finally {
    db?.close();
  }
}

/** The same of a PostgreSQL database, connected to without migrating it. */
function readPostgres(url: string): DatabaseReport {
  const where = { store: 'postgres' as const, location: maskedUrl(url) };
  let db: PostgresDb | undefined;
  try {
    db = new PostgresDb(url);
    const bytes = db.prepare('SELECT pg_database_size(current_database())').pluck().get() as number;
    return { ...where, exists: true, bytes, ...counts(db) };
  } catch (e) {
    return { ...where, exists: false, bytes: 0, ...UNREAD, error: (e as Error).message };
  } finally {
    db?.close();
  }
}

function counts(db: Db): Omit<DatabaseReport, 'store' | 'location' | 'exists' | 'bytes'> {
  const tables = new Set(tableNames(db));
  const count = (t: string): number | null =>
    tables.has(t) ? (db.prepare(`SELECT COUNT(*) FROM ${t}`).pluck().get() as number) : null;
  return {
    schemaVersion: tables.has('schema_version') ? schemaVersion(db) : 0,
    people: count('people'),
    samples: count('samples'),
    events: count('events'),
    users: count('users'),
  };
}
