// Which store the tests' galleries live in. By default SQLite, in each test's data directory. Under
// VISAGE_TEST_STORE=postgres://…/ (set by store-postgres.test.ts, which reruns store test files that way),
// every data directory gets a PostgreSQL database of its own on that server, created on first use, so a
// file's tests see the same fresh, isolated galleries on both stores.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';

export const STORE_ENV = 'VISAGE_TEST_STORE';

/** The PostgreSQL URL of a data directory's gallery, or undefined on SQLite. */
export function testDatabase(dataDir: string): string | undefined {
  const server = process.env[STORE_ENV];
  if (!server) return undefined;
  const name = `visage_${crypto.createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 20)}`;
  const psql = (sql: string): string =>
    execFileSync('psql', ['-XAtq', '-d', server, '-c', sql], { encoding: 'utf8' }).trim();
  if (psql(`SELECT 1 FROM pg_database WHERE datname = '${name}'`) !== '1') psql(`CREATE DATABASE ${name}`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Gallery.open / openDatabase options for a data directory. */
export function storeOptions(dataDir: string): { database?: string } {
  const database = testDatabase(dataDir);
  return database ? { database } : {};
}

/** Environment for a `visage` child process working on a data directory. */
export function storeEnv(dataDir: string): Record<string, string> {
  const database = testDatabase(dataDir);
  return database ? { VISAGE_DB: database } : {};
}

/** True when this test process keeps its galleries in PostgreSQL: checks of SQLite's own file skip then. */
export function onPostgres(): boolean {
  return Boolean(process.env[STORE_ENV]);
}
