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
import { DATABASE_FILE } from '../gallery/database.js';
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

export async function doctor(dataDir: string): Promise<DoctorReport> {
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
      database: readDatabase(path.join(dataDir, DATABASE_FILE)),
    },
    problems,
  };
  if (exists && !report.dataDir.writable) problems.push(`${dataDir} is not writable`);
  if (report.dataDir.database.error) problems.push(`${DATABASE_FILE}: ${report.dataDir.database.error}`);
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

/** Schema version and counts, read through a read-only connection (no migration, no WAL checkpoint). */
function readDatabase(file: string): DoctorReport['dataDir']['database'] {
  const empty = { schemaVersion: null, people: null, samples: null, events: null, users: null };
  if (!fs.existsSync(file)) return { exists: false, bytes: 0, ...empty };
  const bytes = fs.statSync(file).size;
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    const tables = new Set(
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[],
    );
    const count = (t: string): number | null =>
      tables.has(t) ? (db!.prepare(`SELECT COUNT(*) FROM "${t}"`).pluck().get() as number) : null;
    return {
      exists: true,
      bytes,
      schemaVersion: tables.has('schema_version')
        ? ((db.prepare('SELECT MAX(version) FROM schema_version').pluck().get() as number | null) ?? 0)
        : 0,
      people: count('people'),
      samples: count('samples'),
      events: count('events'),
      users: count('users'),
    };
  } catch (e) {
    return { exists: true, bytes, ...empty, error: (e as Error).message };
  } finally {
    db?.close();
  }
}
