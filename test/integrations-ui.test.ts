// The Integrations page in headless Chromium, in Chinese and in English: an admin sets the MQTT broker (a
// real mosquitto) and sees it connected, subscribes a webhook (a receiver on 127.0.0.1) and gets its
// secret once, sees its delivery counted, the Frigate bridge off, and a dead letter sent again.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { Browser } from 'playwright-core';
import {
  dictionaries,
  facePath,
  launchBrowser,
  login,
  newPage,
  screenshot,
  startServer,
  untranslated,
  visibleTexts,
  type OpenPage,
  type RunningServer,
} from './support/browser.js';
import { startBroker, type Broker } from './integrations-support.js';

const PASSWORD = 'integrations ui password';
let server: RunningServer;
let browser: Browser;
let broker: Broker;
let receiver: http.Server;
let receiverUrl = '';
const received: string[] = [];
const allowBefore = process.env.VISAGE_CAMERA_ALLOW;

before(async () => {
  process.env.VISAGE_CAMERA_ALLOW = '127.0.0.1';
  broker = await startBroker();
  receiver = http.createServer((req, res) => {
    received.push(req.url ?? '');
    req.resume();
    req.on('end', () => res.writeHead(req.url === '/down' ? 500 : 204).end());
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;
  server = await startServer(import.meta.filename, { adminPassword: PASSWORD });
  browser = await launchBrowser();
});

after(async () => {
  if (allowBefore === undefined) delete process.env.VISAGE_CAMERA_ALLOW;
  else process.env.VISAGE_CAMERA_ALLOW = allowBefore;
  await browser?.close();
  await server?.close();
  await new Promise((resolve) => receiver?.close(resolve));
  await broker?.close();
});

async function signIn(locale: string): Promise<OpenPage> {
  const open = await newPage(browser, server, undefined, locale);
  await open.page.goto('/');
  await login(open.page, 'admin', PASSWORD);
  return open;
}

test('in Chinese: MQTT set and connected, a webhook subscribed and delivered to, Frigate off; no English', async () => {
  const { en, zh } = await dictionaries();
  const open = await signIn('zh-CN');
  const page = open.page;
  await page.getByTestId('nav-integrations').click();
  await page.getByTestId('integrations-page').waitFor();
  assert.equal(await page.getByTestId('nav-integrations').innerText(), zh['nav.integrations']);

  await page.getByPlaceholder('mqtt://homeassistant:1883').fill(broker.url);
  await page.getByTestId('mqtt-card').getByRole('button', { name: zh['common.save'] }).click();
  await page.getByTestId('mqtt-state').waitFor();
  // The page shows the state when saved; connecting takes a moment, so look again.
  for (let i = 0; (await page.getByTestId('mqtt-state').innerText()) !== zh['integrations.connected']; i++) {
    assert.ok(i < 50, `MQTT state: ${await page.getByTestId('mqtt-state').innerText()}`);
    await page.reload();
    await page.getByTestId('mqtt-state').waitFor();
  }
  assert.match(
    await page.getByTestId('frigate-card').innerText(),
    new RegExp(zh['integrations.frigateOff']!),
  );

  await page.getByPlaceholder('https://example.org/hook').fill(`${receiverUrl}/hook`);
  await page.getByTestId('webhook-create').click();
  const secret = await page.getByTestId('webhook-secret').innerText();
  assert.match(secret, /^[0-9a-f]{64}$/);
  await page.getByRole('button', { name: zh['common.done'] }).click();

  // An event stored by this server reaches the webhook.
  await server.context.visage.photos.recognizeFile(facePath('scenes/obama.jpg'));
  for (let i = 0; !received.includes('/hook'); i++) {
    assert.ok(i < 100, 'the webhook got nothing');
    await new Promise((r) => setTimeout(r, 100));
  }
  await page.reload();
  const table = page.getByTestId('webhooks-table');
  await table.waitFor();
  for (let i = 0; !/\t1\t0\t0/.test(await table.innerText()); i++) {
    assert.ok(i < 50, `webhook counts: ${await table.innerText()}`);
    await page.reload();
    await table.waitFor();
  }
  await screenshot(page, 'integrations-zh');
  assert.deepEqual(untranslated(await visibleTexts(page), en, zh), []);
  assert.deepEqual(open.errors, []);
  await open.context.close();
});

test('in English: a dead letter is listed and sent again', async () => {
  const { en, zh } = await dictionaries();
  // A subscription whose receiver fails, and a delivery of it that ran out of retries (as the sender
  // leaves one after its last attempt; the retries themselves are timed in integrations-webhooks).
  const down = await server.context.visage.integrations.webhooks.create({
    url: `${receiverUrl}/down`,
    named: false,
    unknown: false,
  });
  const eventId = server.context.visage.gallery.events.list({ limit: 1 })[0]!.id;
  server.context.visage.gallery.db
    .prepare(
      `INSERT INTO webhook_deliveries (webhook_id, event_id, payload, state, attempts, last_status, last_error, created_at, finished_at)
         VALUES (?, ?, '{"type":"event"}', 'dead', 6, 500, 'HTTP 500', ?, ?)`,
    )
    .run(down.webhook.id, eventId, Date.now(), Date.now());
  const open = await signIn('en-US');
  const page = open.page;
  await page.goto('/#/integrations');
  const dead = page.getByTestId('dead-letters');
  await dead.waitFor();
  assert.match(await dead.innerText(), /HTTP 500/);
  await screenshot(page, 'integrations-en');
  assert.deepEqual(untranslated(await visibleTexts(page), zh, en), []);
  await dead.getByRole('button', { name: en['integrations.sendAgain'] }).click();
  await page.getByText(en['integrations.noDeadLetters']!).waitFor();
  for (let i = 0; !received.includes('/down'); i++) {
    assert.ok(i < 100, 'the dead letter was not sent again');
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.deepEqual(open.errors, []);
  await open.context.close();
});
