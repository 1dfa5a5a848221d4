// Runs the real `visage` command (from the TypeScript sources) for end-to-end tests.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { storeEnv } from './store.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const MAIN = path.join(ROOT, 'src/cli/main.ts');

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: Record<string, string> = {}): CliResult {
  // The data directory's store (test/support/store.ts): its PostgreSQL database when tests run on one.
  const data = args.includes('--data') ? args[args.indexOf('--data') + 1] : env['VISAGE_DATA'];
  const store = data ? storeEnv(data) : {};
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...store, ...env },
    timeout: 120_000,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Runs with --json and parses stdout, which must be exactly one JSON document. */
export function runCliJson<T = unknown>(
  args: string[],
  env: Record<string, string> = {},
): { status: number; json: T; stderr: string } {
  const r = runCli([...args, '--json'], env);
  return { status: r.status, json: JSON.parse(r.stdout) as T, stderr: r.stderr };
}

// Data directories hold a database and converted models (megabytes each): too much to leave in /tmp.
const created: string[] = [];
process.on('exit', () => {
  for (const dir of created) fs.rmSync(dir, { recursive: true, force: true });
});

/** A new empty folder under the system's temp folder, removed when this process exits. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `visage-${prefix}-`));
  created.push(dir);
  return dir;
}

/**
 * One data directory per test run, shared by the tests of a file, so that converted models are cached
 * once (conversion is tested on its own in convert-*.test.ts).
 */
export const sharedDataDir = tempDir('data');
