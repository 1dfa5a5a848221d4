// The web app end to end in headless Chromium, as an administrator and then a viewer: first-run setup,
// enrolling people from photos, recognizing a group photo, corrections, rename / merge / delete, users,
// and what a viewer may not do. Screenshots of each mode land in test-output/screenshots/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import {
  DESKTOP,
  facePath,
  launchBrowser,
  newPage,
  pageApi,
  PHONE,
  screenshot,
  signedInPage,
  startServer,
  type OpenPage,
  type RunningServer,
  waitForCount,
} from './support/browser.js';

const PASSWORD = 'correct horse battery';
const VIEWER_PASSWORD = 'viewer password 1';
/** The people of scenes/bbt3.jpg (labels.json), enrolled from people/<name>/*.png. */
const BBT3 = ['sheldon', 'howard', 'penny', 'raj', 'leonard'];

let server: RunningServer;
let browser: Browser;
let admin: OpenPage;
let page: Page;

interface PersonJson {
  id: number;
  name: string;
  samples: number;
}

const people = async () =>
  (await pageApi<{ items: PersonJson[] }>(page, 'GET', '/people?limit=100')).json.items;
const personNamed = async (name: string) => (await people()).find((p) => p.name === name);

before(async () => {
  server = await startServer(import.meta.filename);
  browser = await launchBrowser();
  admin = await newPage(browser, server);
  page = admin.page;
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('first run asks for the admin password, then opens the app', async () => {
  await page.goto('/');
  await page.getByTestId('setup-form').waitFor();
  await screenshot(page, 'setup-desktop');
  await page.locator('input[name=password]').fill(PASSWORD);
  await page.locator('input[name=repeat]').fill('something else');
  await page.locator('button[type=submit]').click();
  await page.getByText('The two passwords differ.').waitFor();
  await page.locator('input[name=repeat]').fill(PASSWORD);
  await page.locator('button[type=submit]').click();
  await page.getByTestId('logout').waitFor();
  assert.equal(await page.getByTestId('nav-recognize').getAttribute('aria-current'), 'page');
  const setup = await page.request.get('/api/v1/setup');
  assert.deepEqual(await setup.json(), { needsSetup: false });
});

test('enroll people from uploaded photos: crops with quality, keep or drop, accepted samples', async () => {
  for (const name of BBT3) {
    await page.goto('/#/enroll');
    await page.reload(); // a fresh form: crops left from the last person stay otherwise
    await page.getByTestId('enroll-name').fill(name);
    await page.getByTestId('enroll-target').getByText('New person').waitFor();
    const photos = fs.readdirSync(facePath(`people/${name}`)).map((f) => facePath(`people/${name}/${f}`));
    await page.getByTestId('enroll-input').setInputFiles(photos);
    await page
      .getByTestId('crop')
      .nth(photos.length - 1)
      .waitFor();
    assert.equal(await page.getByTestId('crop').count(), photos.length);
    if (name === 'sheldon') {
      // Drop one crop: only the kept ones are enrolled.
      await page.getByTestId('crop-toggle').first().click();
      await screenshot(page, 'enroll-desktop');
    }
    const kept = name === 'sheldon' ? photos.length - 1 : photos.length;
    await page.getByTestId('enroll-submit').click();
    await page.getByTestId('enroll-report').waitFor();
    const accepted = await page.getByTestId('enroll-accepted').locator('img').count();
    const rejected = await page.getByTestId('enroll-rejected').locator('li').count();
    assert.equal(accepted + rejected, kept, `${name}: every kept crop is accounted for`);
    assert.ok(accepted >= 3, `${name}: ${accepted} of ${kept} crops accepted`);
    assert.equal((await personNamed(name))?.samples, accepted);
  }
  await screenshot(page, 'enroll-report-desktop');
});

test('recognize scenes/bbt3.jpg: boxes with names, results table, CSV export', async () => {
  await page.goto('/#/recognize/photos');
  await page.getByTestId('photo-input').setInputFiles(facePath('scenes/bbt3.jpg'));
  await page.getByTestId('photo-result').getByTestId('face-box').first().waitFor({ timeout: 30_000 });
  const labels = await page.getByTestId('face-box').allInnerTexts();
  const named = await page.getByTestId('face-name').allInnerTexts();
  for (const name of BBT3)
    assert.ok(named.includes(name), `${name} is named on the page (faces: ${labels.join(', ')})`);
  assert.equal(await page.getByTestId('results-table').locator('tbody tr').count(), labels.length);
  await screenshot(page, 'recognize-desktop');

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('export-csv').click(),
  ]);
  const csv = fs.readFileSync((await download.path())!, 'utf8');
  assert.match(csv, /^\ufeff?source,face,at,name,nearest,score,x,y,width,height\r\n/);
  for (const name of BBT3) assert.match(csv, new RegExp(`bbt3\\.jpg,\\d+,,${name},,`), `${name} in the CSV`);

  await page.setViewportSize(PHONE);
  await screenshot(page, 'recognize-phone');
  await page.setViewportSize(DESKTOP);
});

test('an unknown face can be enrolled from the recognition result', async () => {
  await page.goto('/#/recognize/photos');
  await page.getByTestId('photo-input').setInputFiles(facePath('scenes/biden.jpg'));
  const enrollButton = page.getByTestId('enroll-face').first();
  await enrollButton.waitFor({ timeout: 30_000 });
  await enrollButton.click();
  await page.getByTestId('face-name-input').fill('Joe Biden');
  await page.getByTestId('confirm').click();
  await page.getByTestId('face-name').getByText('Joe Biden').waitFor();
  assert.equal((await personNamed('Joe Biden'))?.samples, 1);
});

test('corrections: "not …" on a recognized face is recorded, and can be undone', async () => {
  const unknownEvents = async () =>
    (await pageApi<{ total: number }>(page, 'GET', '/events?unknown=true&limit=1')).json.total;
  await page.goto('/#/recognize/photos');
  await page.reload(); // no results of earlier tests
  await page.getByTestId('photo-input').setInputFiles(facePath('scenes/bbt3.jpg'));
  const row = page.locator('.face-row').first();
  await row.getByTestId('face-name').waitFor({ timeout: 30_000 });
  const name = (await row.getByTestId('face-name').innerText()).trim();
  const before = await unknownEvents();

  await row.getByTestId('correct-not').click();
  await page.getByTestId('confirm').click();
  await row.getByText(`Corrected: not ${name}.`).waitFor();
  assert.equal(await row.getByTestId('face-name').count(), 0, 'the face is now unknown');
  assert.equal(await unknownEvents(), before + 1, 'the event is now unknown');
  await screenshot(page, 'correction-desktop');

  await row.getByTestId('undo-correction').click();
  await row.getByText('Correction undone.').waitFor();
  assert.equal((await row.getByTestId('face-name').innerText()).trim(), name);
  assert.equal(await unknownEvents(), before);
});

test('manage: search, rename, merge, move and remove samples, delete with confirmation', async () => {
  await page.goto('/#/manage/people');
  await page.getByTestId('person-card').first().waitFor();
  assert.equal(await page.getByTestId('person-card').count(), BBT3.length + 1);
  await screenshot(page, 'manage-desktop');
  await page.setViewportSize(PHONE);
  await screenshot(page, 'manage-phone');
  await page.setViewportSize(DESKTOP);

  await page.getByTestId('people-search').fill('shel');
  await waitForCount(page.getByTestId('person-card'), 1);
  await page.getByTestId('person-card').click();
  await page.getByTestId('person-title').waitFor();

  // Rename, with a name that must stay text.
  const newName = 'Sheldon <b>Cooper</b>';
  await page.getByTestId('rename').click();
  await page.getByTestId('rename-input').fill(newName);
  await page.getByTestId('confirm').click();
  await page.getByTestId('person-title').getByText(newName, { exact: true }).waitFor();
  assert.equal(await page.getByTestId('person-title').locator('b').count(), 0, 'the name is text, not HTML');
  assert.ok(await personNamed(newName));
  await screenshot(page, 'person-desktop');

  // Move one sample to Biden and back, then remove one.
  const sheldon = (await personNamed(newName))!;
  await page.getByTestId('move-sample').first().click();
  await page.getByTestId('target-person').fill('Joe Biden');
  await page.locator('[data-testid=confirm]:not([disabled])').click();
  // Sheldon's face does not look like Biden's: the move asks before going against the check.
  await page.getByRole('dialog', { name: 'Move it anyway?' }).getByTestId('confirm').click();
  await waitForCount(page.getByTestId('sample'), sheldon.samples - 1);
  assert.equal((await personNamed('Joe Biden'))?.samples, 2);
  await page.getByTestId('remove-sample').first().click();
  await page.getByTestId('confirm').click();
  await waitForCount(page.getByTestId('sample'), sheldon.samples - 2);
  assert.equal((await personNamed(newName))?.samples, sheldon.samples - 2);

  // Merge Biden (now with one of Sheldon's samples) into Sheldon.
  const biden = (await personNamed('Joe Biden'))!;
  await page.goto(`/#/manage/people/${biden.id}`);
  await page.getByTestId('merge').click();
  await page.getByTestId('target-person').fill(newName);
  await page.locator('[data-testid=confirm]:not([disabled])').click();
  await page.waitForURL(`**/#/manage/people/${sheldon.id}`);
  assert.equal(await personNamed('Joe Biden'), undefined);
  assert.equal((await personNamed(newName))?.samples, sheldon.samples - 2 + biden.samples);

  // Delete Raj, after a confirmation that can be cancelled.
  const raj = (await personNamed('raj'))!;
  await page.goto(`/#/manage/people/${raj.id}`);
  await page.getByTestId('delete-person').click();
  await page.getByRole('dialog').getByText('Cancel').click();
  assert.ok(await personNamed('raj'), 'cancel keeps the person');
  await page.getByTestId('delete-person').click();
  await screenshot(page, 'delete-dialog-desktop', false);
  await page.getByTestId('confirm').click();
  await page.waitForURL('**/#/manage/people');
  assert.equal(await personNamed('raj'), undefined);
});

test('history, API keys and users pages', async () => {
  await page.goto('/#/manage/events');
  await page.getByTestId('events-table').waitFor();
  assert.ok((await page.getByTestId('events-table').locator('tbody tr').count()) > 0);
  await screenshot(page, 'events-desktop');

  await page.goto('/#/manage/keys');
  await page.getByTestId('key-name').fill('camera script');
  await page.getByTestId('key-create').click();
  const key = (await page.getByTestId('new-key').innerText()).trim();
  assert.ok(key.length >= 20, 'the new key is shown once');
  const withKey = await page.request.get('/api/v1/people', { headers: { 'x-api-key': key } });
  assert.equal(withKey.status(), 200);
  await page.getByRole('dialog').getByText('Done').click();
  await page.getByTestId('key-revoke').click();
  await page.getByTestId('confirm').click();
  await page.getByText('No API keys.').waitFor();
  const revoked = await page.request.get('/api/v1/people', { headers: { 'x-api-key': key, cookie: '' } });
  assert.equal(revoked.status(), 401);

  await page.goto('/#/manage/users');
  await page.getByTestId('user-name').fill('guest');
  await page.getByTestId('user-password').fill(VIEWER_PASSWORD);
  await page.getByTestId('user-create').click();
  await page.getByTestId('users-table').getByText('guest').waitFor();
  await screenshot(page, 'users-desktop');
});

test('a viewer sees no write actions and cannot delete', async () => {
  const viewer = await signedInPage(browser, server, 'guest', VIEWER_PASSWORD);
  const v = viewer.page;
  assert.equal(await v.getByTestId('nav-enroll').count(), 0, 'no Enroll mode for viewers');
  const someone = (await pageApi<{ items: PersonJson[] }>(v, 'GET', '/people')).json.items[0]!;
  await v.goto(`/#/manage/people/${someone.id}`);
  await v.getByTestId('person-title').waitFor();
  for (const id of ['rename', 'merge', 'delete-person', 'remove-sample', 'move-sample']) {
    assert.equal(await v.getByTestId(id).count(), 0, `no ${id} button for a viewer`);
  }
  const del = await pageApi<{ error: { code: string } }>(v, 'DELETE', `/people/${someone.id}`);
  assert.equal(del.status, 403);
  assert.equal(del.json.error.code, 'forbidden');
  assert.ok(await personNamed(someone.name), 'the person is still there');
  await v.getByTestId('events-table').waitFor();
  await screenshot(v, 'viewer-person-desktop');
  assert.deepEqual(viewer.errors, []);
  await viewer.context.close();
});

test('no script errors on the admin page', () => {
  assert.deepEqual(
    admin.errors.map((e) => e.message),
    [],
  );
});
