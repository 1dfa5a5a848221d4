// Both languages: a browser whose language is Chinese gets the Chinese UI, and on every page and dialog no
// string of the English dictionary shows (nor a Chinese one after switching to English, which is
// remembered). Errors are translated by their code.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import {
  dictionaries,
  facePath,
  launchBrowser,
  login,
  newPage,
  PHONE,
  DESKTOP,
  screenshot,
  startServer,
  untranslated,
  visibleTexts,
  type OpenPage,
  type RunningServer,
} from './support/browser.js';

const PASSWORD = 'i18n test password';

let server: RunningServer;
let browser: Browser;
let open: OpenPage;
let page: Page;
let en: Record<string, string>;
let zh: Record<string, string>;

/** Asserts that the page, as it is now, shows no English UI string. */
async function allChinese(what: string): Promise<void> {
  const found = untranslated(await visibleTexts(page), en, zh);
  assert.deepEqual(found, [], `English strings on ${what}`);
}

before(async () => {
  ({ en, zh } = await dictionaries());
  server = await startServer(import.meta.filename, { adminPassword: PASSWORD });
  // A gallery to show: two people, one recognition event each.
  await server.context.visage.enrollment.enroll(
    '张伟',
    ['sheldon1.png', 'sheldon2.png', 'sheldon3.png'].map((f) => ({
      source: facePath(`people/sheldon/${f}`),
    })),
  );
  await server.context.visage.enrollment.enroll(
    'Penny',
    ['penny1.png', 'penny2.png'].map((f) => ({ source: facePath(`people/penny/${f}`) })),
  );
  browser = await launchBrowser();
  open = await newPage(browser, server, DESKTOP, 'zh-CN');
  page = open.page;
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('the dictionaries have the same keys and no empty string', () => {
  assert.deepEqual(Object.keys(zh).sort(), Object.keys(en).sort());
  for (const [k, v] of [...Object.entries(en), ...Object.entries(zh)]) assert.ok(v.trim(), `${k} is empty`);
});

test('a Chinese browser gets the Chinese UI: login and recognize', async () => {
  await page.goto('/');
  await page.getByTestId('login-form').waitFor();
  assert.equal(await page.locator('h1').innerText(), zh['login.title']);
  await allChinese('the login page');
  await login(page, 'admin', PASSWORD);
  assert.equal(await page.getByTestId('nav-recognize').innerText(), zh['nav.recognize']);

  await page.getByTestId('photo-input').setInputFiles(facePath('scenes/bbt1.jpg'));
  await page.getByTestId('face-box').first().waitFor({ timeout: 30_000 });
  await page.getByTestId('face-name').getByText('张伟').waitFor();
  await allChinese('recognize with results');
  await screenshot(page, 'recognize-zh-desktop');
  // Tapping a face shows why it was named or not (distance, threshold, lead, level, decision), in Chinese.
  await page.getByTestId('face-row').first().click();
  await page.getByTestId('face-why').first().waitFor();
  await allChinese('a face with its explanation');
  await page.getByTestId('enroll-face').first().click();
  await allChinese('the enroll-as dialog');
  await page.keyboard.press('Escape');
  await page.goto('/#/recognize/camera');
  await page.getByTestId('live-start').waitFor();
  await allChinese('the camera page');
  await page.goto('/#/recognize/video');
  await page.getByTestId('video-input').waitFor({ state: 'attached' });
  await allChinese('the video page');
  await page.goto('/#/recognize/cameras');
  await page.getByTestId('camera-add').waitFor();
  await allChinese('the network cameras page');
});

test('enroll page with crops, a report and a rejection reason, in Chinese', async () => {
  await page.goto('/#/enroll');
  await page.getByTestId('enroll-name').fill('张伟');
  await page.getByTestId('enroll-target').getByText('已有人员 · 3 个样本').waitFor();
  await page
    .getByTestId('enroll-input')
    .setInputFiles([facePath('people/sheldon/sheldon1.png'), facePath('people/sheldon/sheldon4.png')]);
  await page.getByTestId('crop').nth(1).waitFor();
  await allChinese('the enroll page with crops');
  await screenshot(page, 'enroll-zh-desktop');
  await page.getByTestId('enroll-submit').click();
  await page.getByTestId('enroll-report').waitFor();
  // sheldon1 is already a sample of 张伟: rejected as a duplicate, with the reason in Chinese.
  await page.getByTestId('enroll-rejected').getByText(zh['error.duplicate_sample']!).waitFor();
  await allChinese('the enroll report');
  await page.setViewportSize(PHONE);
  await screenshot(page, 'enroll-zh-phone');
  await page.setViewportSize(DESKTOP);
});

test('manage pages and dialogs in Chinese; an API error is shown translated', async () => {
  await page.goto('/#/manage/people');
  await page.getByTestId('person-card').nth(1).waitFor();
  await allChinese('the people grid');
  await screenshot(page, 'manage-zh-desktop');
  await page.setViewportSize(PHONE);
  await screenshot(page, 'manage-zh-phone');
  await page.setViewportSize(DESKTOP);

  await page.getByTestId('person-card').filter({ hasText: '张伟' }).click();
  await page.getByTestId('sample').first().waitFor();
  await page.getByTestId('events-table').waitFor();
  await allChinese('a person');
  await screenshot(page, 'person-zh-desktop');

  await page.getByTestId('rename').click();
  await page.getByTestId('rename-input').fill('penny');
  await page.getByTestId('confirm').click();
  await page.getByRole('dialog').getByText(zh['error.name_taken']!).waitFor();
  await allChinese('the rename dialog with an error');
  await page.keyboard.press('Escape');
  for (const [button, what] of [
    ['merge', 'the merge dialog'],
    ['delete-person', 'the delete confirmation'],
    ['move-sample', 'the move dialog'],
  ] as const) {
    await page.getByTestId(button).first().click();
    await page.getByRole('dialog').waitFor();
    await allChinese(what);
    await page.keyboard.press('Escape');
  }

  await page.goto('/#/manage/events');
  await page.getByTestId('events-table').waitFor();
  await allChinese('the history');
  await page.goto('/#/manage/keys');
  await page.getByTestId('key-name').fill('脚本');
  await page.getByTestId('key-create').click();
  await page.getByTestId('new-key').waitFor();
  await allChinese('the new key dialog');
  await page.keyboard.press('Escape');
  await page.getByTestId('keys-table').waitFor();
  await allChinese('the API keys');
  await page.goto('/#/manage/users');
  await page.getByTestId('users-table').waitFor();
  await allChinese('the users');
});

test('switching to English translates everything and is remembered', async () => {
  await page.goto('/#/manage/people');
  await page.getByTestId('person-card').first().waitFor();
  await page.getByTestId('lang').selectOption('en');
  assert.equal(await page.getByTestId('nav-manage').innerText(), en['nav.manage']);
  assert.deepEqual(untranslated(await visibleTexts(page), zh, en), [], 'Chinese strings on the English page');
  await page.reload();
  await page.getByTestId('person-card').first().waitFor();
  assert.equal(await page.getByTestId('nav-manage').innerText(), en['nav.manage']);
  assert.equal(await page.evaluate('document.documentElement.lang'), 'en');
  assert.deepEqual(
    open.errors.map((e) => e.message),
    [],
  );
});
