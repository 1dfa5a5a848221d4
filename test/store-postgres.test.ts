// The store suite on PostgreSQL: the test files below, which run on SQLite as part of `npm test`, run
// again with every data directory's gallery in a PostgreSQL database (test/support/store.ts) on a
// throw-away cluster (test/support/postgres.ts). Same tests, same assertions, the other store.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { startPostgres } from './support/postgres.js';
import { STORE_ENV } from './support/store.js';

/** Files whose tests exercise the store; checks of SQLite's own file are skipped there on PostgreSQL. */
const SUITE = [
  'gallery-store.test.ts',
  'camera-leases.test.ts',
  'server-auth.test.ts',
  'privacy-retention.test.ts',
  'jobs-queue.test.ts',
];

const postgres = await startPostgres();
after(() => postgres.stop());

// Without the runner's own context variable, the child reports in plain TAP instead of to this runner.
const childEnv = { ...process.env };
delete childEnv['NODE_TEST_CONTEXT'];

test(`on PostgreSQL: ${SUITE.join(', ')}`, { timeout: 15 * 60_000 }, async () => {
  const server = await postgres.database();
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--test',
      '--test-concurrency=1',
      ...SUITE.map((f) => path.join(import.meta.dirname, f)),
    ],
    { env: { ...childEnv, [STORE_ENV]: server }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const failed = output.split('\n').filter((line) => /^not ok /.test(line.trim()));
  assert.deepEqual(failed, [], output.slice(-4000));
  assert.equal(status, 0, output.slice(-4000));
  const passed = /^# pass (\d+)/m.exec(output);
  assert.ok(passed && Number(passed[1]) > 0, 'the suite ran tests');
});
