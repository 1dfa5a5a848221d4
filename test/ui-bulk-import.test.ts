// Issue 10, item 3: bulk import in the web app. A zip of people/ (one folder per person, built here in a
// temp folder) is imported on the server by the same resumable import as `visage import`, with a progress
// bar, every file's outcome and a summary; cancelling keeps the people imported so far, and importing the
// same zip again goes on from there.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import AdmZip from 'adm-zip';
import type { Browser, Page } from 'playwright-core';
import {
  facePath,
  launchBrowser,
  pageApi,
  PHONE,
  screenshot,
  signedInPage,
  startServer,
  waitUntil,
  type OpenPage,
  type RunningServer,
} from './support/browser.js';
import { tempDir } from './support/cli.js';

const PASSWORD = 'bulk import test password';
const BBT = ['amy', 'bernadette', 'howard', 'leonard', 'penny', 'raj', 'sheldon', 'stuart'];

let server: RunningServer;
let browser: Browser;
let open: OpenPage;
let page: Page;
const dir = tempDir('ui-bulk-import');

/** A zip of `people/<name>/…` for the given person folders. */
function zipOf(file: string, folders: { name: string; from: string }[]): string {
  const zip = new AdmZip();
  for (const f of folders) zip.addLocalFolder(f.from, `people/${f.name}`);
  const out = path.join(dir, file);
  zip.writeZip(out);
  return out;
}

interface PersonPage {
  items: { name: string; samples: number }[];
  total: number;
}

const people = async () => (await pageApi<PersonPage>(page, 'GET', '/people?limit=500')).json;

before(async () => {
  server = await startServer(import.meta.filename, { adminPassword: PASSWORD });
  browser = await launchBrowser();
  open = await signedInPage(browser, server, 'admin', PASSWORD);
  page = open.page;
});

after(async () => {
  await browser?.close();
  await server?.close();
});

async function importZip(zip: string): Promise<void> {
  await page.goto('/#/enroll/import');
  await page.getByTestId('import-zip').setInputFiles(zip);
}

test('a zip of people/ is imported with a progress bar, every file and a summary', async () => {
  const zip = zipOf(
    'people.zip',
    BBT.map((name) => ({ name, from: facePath(`people/${name}`) })),
  );
  await importZip(zip);
  await page.getByTestId('import-progress').waitFor({ timeout: 30_000 });
  await page.getByTestId('import-summary').waitFor({ timeout: 120_000 });
  assert.equal(await page.getByTestId('import-job').getAttribute('data-state'), 'done');
  const summary = await page.getByTestId('import-summary').innerText();
  assert.match(summary, /^8 people: \d+ photo\(s\) enrolled/);
  const rows = page.getByTestId('import-files').locator('tbody tr');
  assert.equal(await rows.count(), 40, 'one row per file');
  assert.equal(
    await rows.first().locator('td').first().innerText(),
    'amy/amy1.png',
    'paths inside the upload',
  );
  const accepted = await page.getByTestId('import-files').locator('tr[data-status=accepted]').count();
  assert.ok(accepted >= 35, `${accepted} of 40 enrolled`);
  const gallery = await people();
  assert.deepEqual(gallery.items.map((p) => p.name).sort(), BBT);
  assert.equal(
    gallery.items.reduce((n, p) => n + p.samples, 0),
    accepted,
  );
  await screenshot(page, 'bulk-import-desktop');
  await page.setViewportSize(PHONE);
  await screenshot(page, 'bulk-import-phone');
  await page.setViewportSize({ width: 1280, height: 800 });
});

test('cancel keeps the people imported so far; the same zip again goes on and skips them', async () => {
  const dev = fs.readdirSync(facePath('dev')).slice(0, 30);
  const zip = zipOf(
    'dev.zip',
    dev.map((name) => ({ name, from: facePath(`dev/${name}`) })),
  );
  const before = (await people()).total;
  await importZip(zip);
  const text = page.getByTestId('import-progress-text');
  await waitUntil(
    'a first person imported',
    async () => /· [1-9]\d* of 30 people/.test((await text.innerText().catch(() => '')) ?? ''),
    60_000,
  );
  await page.getByTestId('import-cancel').click();
  await page.getByTestId('import-summary').waitFor({ timeout: 60_000 });
  assert.equal(await page.getByTestId('import-job').getAttribute('data-state'), 'cancelled');
  const summary = await page.getByTestId('import-summary').innerText();
  const imported = Number(/^(\d+) people/.exec(summary)![1]);
  assert.ok(imported >= 1 && imported < 30, `cancelled after ${imported} of 30 people`);
  const kept = (await people()).total - before;
  assert.ok(kept >= 1 && kept <= imported, `${kept} people kept`);

  await importZip(zip);
  await page.getByTestId('import-summary').waitFor({ timeout: 180_000 });
  assert.equal(await page.getByTestId('import-job').getAttribute('data-state'), 'done');
  const skipped = await page.getByTestId('import-files').locator('tr[data-status=skipped]').count();
  assert.ok(skipped >= kept * 4, `${skipped} files skipped as imported before`);
  assert.equal((await people()).total - before, 30);
  assert.deepEqual(
    open.errors.map((e) => e.message),
    [],
  );
});
