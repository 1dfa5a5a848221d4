// The OpenAPI document: it validates, /docs serves the interactive page, and every documented operation
// is exercised by some API test. The other server-*.test.ts files record the routes they reach
// (test/support/server.ts); a record missing or older than its test file is made by running that file.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import { ROUTES_RECORD_DIR, startServer, type TestServer } from './support/server.js';

let server: TestServer;
let document: {
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, unknown> };
};

before(async () => {
  server = await startServer(import.meta.filename);
  const res = await fetch(`${server.url}/api/v1/openapi.json`);
  assert.equal(res.status, 200);
  document = (await res.json()) as typeof document;
});
after(() => server.close());

test('the OpenAPI document is valid OpenAPI 3.0 and names its shared objects', async () => {
  await SwaggerParser.validate(structuredClone(document) as never);
  for (const name of ['Error', 'Person', 'RecognizedFace', 'EnrollReport', 'Event'])
    assert.ok(document.components.schemas[name], name);
  const recognize = document.paths['/api/v1/recognize']!.post as {
    requestBody: { content: Record<string, unknown> };
  };
  assert.ok(recognize.requestBody.content['multipart/form-data'], 'uploads are documented as multipart');
});

test('/docs serves the interactive documentation', async () => {
  const res = await fetch(`${server.url}/docs`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type')!, /text\/html/);
  assert.match(await res.text(), /swagger/i);
});

test('every documented operation is exercised by an API test', () => {
  const documented = Object.entries(document.paths).flatMap(([p, ops]) =>
    Object.keys(ops)
      .filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
      .map((m) => `${m.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ':$1')}`),
  );
  const reached = new Set<string>();
  for (const file of apiTestFiles()) {
    const record = path.join(ROUTES_RECORD_DIR, `${path.basename(file)}.json`);
    if (!fs.existsSync(record) || fs.statSync(record).mtimeMs < fs.statSync(file).mtimeMs) {
      const run = spawnSync(process.execPath, ['--import', 'tsx', '--test', file], {
        encoding: 'utf8',
        timeout: 300_000,
        // Without this the child takes itself for a subprocess of this runner and runs nothing.
        env: { ...process.env, NODE_TEST_CONTEXT: undefined },
      });
      assert.equal(run.status, 0, `${path.basename(file)} failed:\n${run.stdout.slice(-2000)}`);
    }
    for (const route of (JSON.parse(fs.readFileSync(record, 'utf8')) as { routes: string[] }).routes)
      reached.add(route);
  }
  const untested = documented.filter((op) => !reached.has(op));
  assert.deepEqual(untested, [], `documented but not exercised: ${untested.join(', ')}`);
  assert.ok(documented.length >= 25, `${documented.length} operations documented`);
});

/** The server-* and integrations-* test files that start an in-process server (and record the routes they reach). */
function apiTestFiles(): string[] {
  const dir = import.meta.dirname;
  return fs
    .readdirSync(dir)
    .filter(
      (f) =>
        /^(server|integrations)-.*\.test\.ts$|^privacy-server\.test\.ts$/.test(f) &&
        f !== path.basename(import.meta.filename),
    )
    .map((f) => path.join(dir, f))
    .filter((f) => fs.readFileSync(f, 'utf8').includes('startServer(import.meta.filename'));
}
