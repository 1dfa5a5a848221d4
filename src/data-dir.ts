// Where Visage keeps everything it writes: database, converted model cache, crops, logs.
// Deleting this folder resets Visage (CONVENTIONS.md, "Data directory").
import os from 'node:os';
import path from 'node:path';

export const DEFAULT_DATA_DIR = path.join(os.homedir(), '.visage');

/** `--data DIR` wins over `VISAGE_DATA`, which wins over ~/.visage. */
export function resolveDataDir(flag?: string): string {
  return path.resolve(flag ?? process.env.VISAGE_DATA ?? DEFAULT_DATA_DIR);
}

/**
 * The shared store, when there is one: `--db URL` wins over `VISAGE_DB`. Undefined means the data
 * directory's embedded SQLite database (the default; nothing else changes for `npm start`).
 */
export function resolveDatabase(flag?: string): string | undefined {
  const url = flag ?? process.env.VISAGE_DB;
  return url ? url : undefined;
}
