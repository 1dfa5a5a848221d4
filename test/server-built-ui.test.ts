// The built UI at `/`: files with their caching and CSP, the single-page app's fallback for deep links,
// JSON 404s for unknown API paths, and a hint page when the UI has not been built.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from './support/cli.js';
import { startServer, type TestServer } from './support/server.js';

let built: TestServer;
let bare: TestServer;
const INDEX =
  '<!doctype html><html><head><script type="module" src="/assets/app-1234.js"></script></head><body><div id="root"></div></body></html>';

before(async () => {
  const webRoot = tempDir('web');
  fs.mkdirSync(path.join(webRoot, 'assets'));
  fs.writeFileSync(path.join(webRoot, 'index.html'), INDEX);
  fs.writeFileSync(path.join(webRoot, 'assets/app-1234.js'), 'console.log("visage")');
  built = await startServer(import.meta.filename, { webRoot });
  bare = await startServer(import.meta.filename);
});
after(async () => {
  await built.close();
  await bare.close();
});

const page = (server: TestServer, p: string) =>
  fetch(`${server.url}${p}`, { headers: { accept: 'text/html,*/*' } });

test('the built UI is served at / with a CSP; assets are cached for good, the page is not', async () => {
  const index = await page(built, '/');
  assert.equal(index.status, 200);
  assert.equal(await index.text(), INDEX);
  assert.match(index.headers.get('content-security-policy')!, /script-src 'self'/);
  assert.equal(index.headers.get('cache-control'), 'no-cache');
  const asset = await fetch(`${built.url}/assets/app-1234.js`);
  assert.equal(asset.status, 200);
  assert.match(asset.headers.get('cache-control')!, /immutable/);
});

test('deep links load the app; unknown API paths and files are JSON 404s', async () => {
  const deep = await page(built, '/manage/people/3');
  assert.equal(deep.status, 200);
  assert.equal(await deep.text(), INDEX);
  const api = await page(built, '/api/v1/nothing-here');
  assert.equal(api.status, 404);
  assert.equal(((await api.json()) as { error: { code: string } }).error.code, 'not_found');
  const missing = await page(built, '/missing.png');
  assert.equal(missing.status, 404);
});

test('without a built UI, / says how to build it', async () => {
  const res = await page(bare, '/');
  assert.equal(res.status, 200);
  assert.match(await res.text(), /npm run build/);
});
