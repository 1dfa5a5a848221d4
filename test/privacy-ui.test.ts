// Privacy in the web app, in headless Chromium: a person's page downloads their archive and forgets them
// only once their name is typed; the Privacy tab shows what is kept and for how long, and an admin
// changes it; a viewer sees it without the form.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { TarReader } from '../src/service/archive/tar.js';
import type { Manifest } from '../src/service/archive/validate.js';
import {
  facePath,
  launchBrowser,
  login,
  newPage,
  pageApi,
  screenshot,
  signedInPage,
  startServer,
  waitUntil,
  type RunningServer,
} from './support/browser.js';

const PASSWORD = 'privacy admin password';
let server: RunningServer;
let browser: Browser;
let page: Page;

before(async () => {
  server = await startServer(import.meta.filename, { adminPassword: PASSWORD });
  browser = await launchBrowser();
  page = (await signedInPage(browser, server, 'admin', PASSWORD)).page;
});

after(async () => {
  await browser?.close();
  await server?.close();
});

async function enrol(name: string, folder: string): Promise<number> {
  const photos = [1, 2, 3].map((n) => facePath(`people/${folder}/${folder}${n}.png`));
  const report = await server.context.visage.enrollment.enroll(
    name,
    photos.map((p) => ({ source: p, bytes: fs.readFileSync(p) })),
  );
  assert.equal(report.accepted.length, 3);
  return report.person!.id;
}

test("a person's page exports their data, and forgets them once their name is typed", async () => {
  const amy = await enrol('Amy Farrah Fowler', 'amy');
  await enrol('Sheldon', 'sheldon');
  await page.goto(`/#/manage/people/${amy}`);
  await page.getByTestId('person-title').waitFor();

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('export-person').click(),
  ]);
  const file = await download.path();
  const tar = TarReader.open(file);
  const manifest = JSON.parse(tar.read('manifest.json').toString('utf8')) as Manifest;
  tar.close();
  assert.deepEqual(
    manifest.people.map((p) => [p.name, p.samples.length]),
    [['Amy Farrah Fowler', 3]],
  );

  await page.getByTestId('forget-person').click();
  const confirm = page.getByTestId('confirm');
  assert.equal(await confirm.isDisabled(), true, 'nothing happens before the name is typed');
  await page.getByTestId('forget-confirm-name').fill('Amy');
  assert.equal(await confirm.isDisabled(), true);
  await page.getByTestId('forget-confirm-name').fill('Amy Farrah Fowler');
  await screenshot(page, 'privacy-forget-dialog');
  await confirm.click();
  await waitUntil('the people list', async () => page.url().endsWith('#/manage/people'));
  const people = await pageApi<{ items: { name: string }[] }>(page, 'GET', '/people');
  assert.deepEqual(
    people.json.items.map((p) => p.name),
    ['Sheldon'],
  );
  const [forgotten] = server.context.visage.gallery.audit.list({ action: 'person.forget' });
  assert.deepEqual([forgotten?.actor, forgotten?.details], ['user:admin', {}]);
});

test('the Privacy tab shows what is kept and for how long; an admin changes it', async () => {
  await page.goto('/#/manage/privacy');
  await page.getByTestId('privacy-kept').waitFor();
  assert.equal(await page.getByTestId('kept-events').textContent(), 'kept 90 days');
  assert.equal(await page.getByTestId('kept-unknown').textContent(), 'kept 30 days');

  await page.getByTestId('event-days').fill('14');
  await page.getByTestId('unknown-days').fill('');
  await page.getByTestId('privacy-save').click();
  await page.getByTestId('privacy-notice').waitFor();
  await waitUntil(
    'the new settings shown',
    async () => (await page.getByTestId('kept-unknown').textContent()) === 'kept until deleted',
  );
  assert.equal(await page.getByTestId('kept-events').textContent(), 'kept 14 days');
  const saved = await pageApi<{ eventDays: number; unknownDays: number | null }>(page, 'GET', '/privacy');
  assert.deepEqual([saved.json.eventDays, saved.json.unknownDays], [14, null]);

  await page.getByTestId('retention-run').click();
  await page.getByText('Removed 0 recognition(s) and 0 unknown face(s).').waitFor();
  await screenshot(page, 'privacy-settings');

  const key = await pageApi<{ key: string }>(page, 'POST', '/users', {
    username: 'watcher',
    password: 'watcher password 1',
    role: 'viewer',
  });
  assert.equal(key.status, 201);
  const viewer = await newPage(browser, server, undefined, 'zh-CN');
  try {
    await viewer.page.goto('/');
    await login(viewer.page, 'watcher', 'watcher password 1');
    await viewer.page.goto('/#/manage/privacy');
    await viewer.page.getByTestId('privacy-kept').waitFor();
    assert.equal(await viewer.page.getByTestId('kept-events').textContent(), '保存 14 天');
    assert.equal(await viewer.page.getByTestId('event-days').count(), 0, 'no form for a viewer');
  } finally {
    await viewer.context.close();
  }
});
