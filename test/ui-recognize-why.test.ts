// Issue 9 in the browser: the Recognize page's security level (a select saved in localStorage and sent
// with every recognition request), and every face explaining itself on hover (its tooltip) and on tap
// (the row's explanation): distance, the threshold that applied, the lead over the runner-up, level,
// decision; for an unknown face, who was nearest and how far.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import {
  dictionaries,
  facePath,
  launchBrowser,
  signedInPage,
  startServer,
  type RunningServer,
} from './support/browser.js';

const PASSWORD = 'why test password';
let server: RunningServer;
let browser: Browser;
let page: Page;
let en: Record<string, string>;

before(async () => {
  ({ en } = await dictionaries());
  server = await startServer(import.meta.filename, { adminPassword: PASSWORD });
  for (const name of ['sheldon', 'penny']) {
    await server.context.visage.enrollment.enroll(
      name,
      [1, 2, 3].map((i) => ({ source: facePath(`people/${name}/${name}${i}.png`) })),
    );
  }
  browser = await launchBrowser();
  ({ page } = await signedInPage(browser, server, 'admin', PASSWORD));
});
after(async () => {
  await browser?.close();
  await server?.close();
});

test('the level select is saved and sent with every photo; a face explains itself on hover and on tap', async () => {
  const select = page.getByTestId('level-select');
  assert.equal(await select.inputValue(), 'balanced', 'balanced is the default');
  await select.selectOption('strict');
  assert.equal(await page.evaluate('localStorage.getItem("visage.level")'), 'strict');

  const sent = page.waitForRequest((r) => r.url().includes('/api/v1/recognize'));
  await page.getByTestId('photo-input').setInputFiles(facePath('scenes/bbt3.jpg'));
  assert.match((await sent).url(), /[?&]level=strict\b/);
  await page.getByTestId('face-box').nth(4).waitFor({ timeout: 30_000 });

  // bbt3, left to right: sheldon (enrolled), howard, penny (enrolled), raj, leonard (not enrolled here).
  const rows = page.getByTestId('face-row');
  const sheldon = rows.filter({ hasText: 'sheldon' }).first();
  const tooltip = (await sheldon.getAttribute('title')) ?? '';
  assert.match(tooltip, /Distance 0[.,]\d{3}, threshold for this face 0[.,]\d{3}/);
  assert.match(tooltip, /Level: Strict · decision: named/);
  assert.match(tooltip, /Lead over \S+: \d[.,]\d\d \(needed 0[.,]60\)/);
  const box = await page.getByTestId('face-box').first().getAttribute('title');
  assert.equal(box, tooltip, "the box's tooltip is the row's");

  await sheldon.click();
  const why = sheldon.getByTestId('face-why');
  await why.waitFor();
  assert.match(await why.innerText(), /Level: Strict · decision: named/);

  const unknown = rows.filter({ hasText: en['face.unknown']! }).first();
  await unknown.click();
  const unknownWhy = await unknown.getByTestId('face-why').innerText();
  assert.match(unknownWhy, /Nearest: (sheldon|penny), distance 0[.,]\d{3}/);
  assert.match(unknownWhy, /decision: (not close enough|too close to the runner-up|face too small)/);

  // Remembered: a new page load keeps the level and sends it.
  await page.reload();
  assert.equal(await page.getByTestId('level-select').inputValue(), 'strict');
  await page.getByTestId('level-select').selectOption('lenient');
  const again = page.waitForRequest((r) => r.url().includes('/api/v1/recognize'));
  await page.getByTestId('photo-input').setInputFiles(facePath('scenes/bbt2.jpg'));
  assert.match((await again).url(), /[?&]level=lenient\b/);
});
