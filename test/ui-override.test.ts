// Issue 10, items 4 and 6: a refused enrolment shows its reason, and an admin can enrol anyway after
// confirming (recorded in the audit log); a face that looks like someone else says who and can be added
// to them instead; moving a sample runs the same resemblance check and needs `force` to go against it.
// Penny of bbt3 looks down (pitch 40°): refused for pose. The bearded Raj of bbt1 that the issue names is
// accepted as raj by the current model (dlib-resnet), so it is no refusal to override any more.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import {
  facePath,
  launchBrowser,
  pageApi,
  screenshot,
  signedInPage,
  startServer,
  waitForCount,
  waitUntil,
  type OpenPage,
  type RunningServer,
} from './support/browser.js';

const PASSWORD = 'override test password';

let server: RunningServer;
let browser: Browser;
let open: OpenPage;
let page: Page;

before(async () => {
  server = await startServer(import.meta.filename, { adminPassword: PASSWORD });
  const imported = await server.context.visage.enrollment.importFolder(facePath('people'));
  assert.equal(imported.totals.people, 8);
  browser = await launchBrowser();
  open = await signedInPage(browser, server, 'admin', PASSWORD);
  page = open.page;
});

after(async () => {
  await browser?.close();
  await server?.close();
});

interface Person {
  id: number;
  name: string;
  samples: number;
}
const person = async (name: string): Promise<Person> =>
  (await pageApi<{ items: Person[] }>(page, 'GET', `/people?search=${name}`)).json.items.find(
    (p) => p.name === name,
  )!;

/** The index, in the crops the page shows, of the face whose box starts nearest `x` (the server's order). */
async function cropIndex(file: string, x: number): Promise<{ index: number; largest: number }> {
  const { faces } = await server.context.visage.faces.cropsBytes({
    bytes: fs.readFileSync(file),
    name: file,
  });
  const near = faces.map((f) => Math.abs(f.box.x - x));
  const area = faces.map((f) => f.box.width * f.box.height);
  return { index: near.indexOf(Math.min(...near)), largest: area.indexOf(Math.max(...area)) };
}

/** Opens Enroll, types `name`, adds `file` and keeps only its face starting near `x`. */
async function enrollOneFace(name: string, file: string, x: number): Promise<void> {
  await page.goto('/#/enroll');
  await page.reload(); // a fresh page: no crops left from before
  await page.getByTestId('enroll-name').fill(name);
  await page.getByTestId('enroll-input').setInputFiles(file);
  const { index, largest } = await cropIndex(file, x);
  const crops = page.getByTestId('crop');
  await crops.nth(Math.max(index, largest)).waitFor({ timeout: 30_000 });
  if (index !== largest) {
    await crops.nth(largest).locator('.crop-image').click();
    await crops.nth(index).locator('.crop-image').click();
  }
  await page.getByTestId('enroll-submit').click();
  await page.getByTestId('enroll-report').waitFor();
}

test('a refusal shows its reason; an admin enrols anyway after confirming; the audit log records it', async () => {
  const before = (await person('penny')).samples;
  await enrollOneFace('penny', facePath('scenes/bbt3.jpg'), 258);
  const rejected = page.getByTestId('enroll-rejected').locator('li');
  assert.equal(await rejected.count(), 1);
  assert.equal(await rejected.first().getAttribute('data-reason'), 'extreme_pose');
  assert.match(await rejected.first().innerText(), /turned too far/);
  await page.getByTestId('enroll-override').click();
  const dialog = page.getByRole('dialog');
  await dialog.getByTestId('override-reasons').waitFor();
  assert.match(await dialog.innerText(), /audit log/);
  await screenshot(page, 'enroll-override-confirm', false);
  await dialog.getByTestId('confirm').click();
  await waitForCount(page.getByTestId('enroll-accepted').locator('img'), 1);
  assert.equal((await person('penny')).samples, before + 1);

  const audit = server.context.visage.gallery.audit.list({ action: 'enroll.override' });
  assert.equal(audit.length, 1);
  assert.equal(audit[0]!.actor, 'user:admin');
  assert.equal((audit[0]!.details['reasons'] as { reason: string }[])[0]!.reason, 'extreme_pose');
  assert.equal(audit[0]!.details['name'], 'penny');
});

test('"looks like someone else" names who, and the face can be added to them instead', async () => {
  const amy = (await person('amy')).samples;
  // Amy, behind Leonard in bbt4, enrolled as leonard by mistake.
  await enrollOneFace('leonard', facePath('scenes/bbt4.jpg'), 74);
  const rejected = page.getByTestId('enroll-rejected').locator('li');
  assert.equal(await rejected.first().getAttribute('data-reason'), 'looks_like_other_person');
  assert.match(await rejected.first().innerText(), /Looks like amy/);
  await screenshot(page, 'enroll-looks-like');
  await page.getByTestId('enroll-add-to').click();
  await waitForCount(page.getByTestId('enroll-accepted').locator('img'), 1);
  assert.match(await page.getByTestId('enroll-report').innerText(), /Added 1 sample\(s\) to amy/);
  assert.equal((await person('amy')).samples, amy + 1);
});

test('moving a sample runs the resemblance check; force moves it and is audited', async () => {
  const amy = await person('amy');
  const sheldon = await person('sheldon');
  const sample = (await pageApi<{ samples: { id: number }[] }>(page, 'GET', `/people/${amy.id}`)).json
    .samples[0]!;
  const refused = await pageApi<{ error: { code: string; details: { overridable: boolean } } }>(
    page,
    'POST',
    `/samples/${sample.id}/move`,
    { personId: sheldon.id },
  );
  assert.equal(refused.status, 422);
  assert.equal(refused.json.error.code, 'looks_unlike_person');
  assert.equal(refused.json.error.details.overridable, true);
  assert.equal((await person('amy')).samples, amy.samples, 'nothing moved');

  // In the web app: the move is refused with its reason, and goes through only after confirming.
  await page.goto(`/#/manage/people/${amy.id}`);
  await page.getByTestId('move-sample').first().click();
  await page.getByTestId('target-person').fill('sheldon');
  const choose = page.getByRole('dialog').getByTestId('confirm');
  await waitUntil('sheldon chosen', async () => !(await choose.isDisabled()));
  await choose.click();
  const anyway = page.getByRole('dialog', { name: 'Move it anyway?' });
  await anyway.waitFor();
  assert.match(await anyway.innerText(), /does not look like the others of this person/);
  await screenshot(page, 'move-sample-anyway', false);
  assert.equal((await person('sheldon')).samples, sheldon.samples, 'not moved before confirming');
  await anyway.getByTestId('confirm').click();
  await anyway.waitFor({ state: 'detached' });
  assert.equal((await person('sheldon')).samples, sheldon.samples + 1);
  const audit = server.context.visage.gallery.audit.list({ action: 'sample.move.override' });
  assert.equal(audit.length, 1);
  assert.equal(audit[0]!.details['reason'], 'looks_unlike_person');
  // Back to amy: her own samples are like it, so no force is needed.
  const back = await pageApi(page, 'POST', `/samples/${sample.id}/move`, { personId: amy.id });
  assert.equal(back.status, 200);
  assert.deepEqual(
    open.errors.map((e) => e.message),
    [],
  );
});
