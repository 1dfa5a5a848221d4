// The camera in the browser, with Chromium's fake camera playing a video made from one photo of Obama:
// enroll him from camera captures, then recognize him live over the WebSocket.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import {
  facePath,
  launchBrowser,
  makeFakeCameraVideo,
  pageApi,
  PHONE,
  screenshot,
  signedInPage,
  startServer,
  type OpenPage,
  type RunningServer,
  waitForLiveFrames,
} from './support/browser.js';

const PASSWORD = 'camera test password';
const NAME = 'Barack Obama';

let server: RunningServer;
let browser: Browser;
let video: string;
let open: OpenPage;
let page: Page;

before(async () => {
  video = makeFakeCameraVideo(facePath('knn/train/obama/obama.jpg'));
  server = await startServer(import.meta.filename, { adminPassword: PASSWORD });
  browser = await launchBrowser({ fakeCamera: video });
  open = await signedInPage(browser, server, 'admin', PASSWORD);
  page = open.page;
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (video) fs.rmSync(path.dirname(video), { recursive: true, force: true });
});

test('enroll from the camera: captured frames become crops, the kept crop is enrolled', async () => {
  await page.goto('/#/enroll');
  await page.getByTestId('enroll-name').fill(NAME);
  await page.getByTestId('source-camera').click();
  await page.getByTestId('camera-start').click();
  await page.getByTestId('capture').click();
  await page.getByTestId('crop').first().waitFor({ timeout: 30_000 });
  const size = await page
    .getByTestId('capture-video')
    .evaluate((v) => [
      (v as unknown as { videoWidth: number }).videoWidth,
      (v as unknown as { videoHeight: number }).videoHeight,
    ]);
  assert.deepEqual(size, [640, 480], 'the camera runs at 640×480');
  await screenshot(page, 'enroll-camera-desktop');
  await page.getByTestId('enroll-submit').click();
  await page.getByTestId('enroll-report').waitFor();
  assert.equal(await page.getByTestId('enroll-accepted').locator('img').count(), 1);
  const people = await pageApi<{ items: { name: string; samples: number }[] }>(page, 'GET', '/people');
  assert.deepEqual(
    people.json.items.map((p) => [p.name, p.samples]),
    [[NAME, 1]],
  );
});

test('live recognition names the person in the camera and shows frames/s and latency', async () => {
  await page.goto('/#/recognize/camera');
  await page.getByTestId('live-start').click();
  await page.getByTestId('live-names').getByText(NAME).waitFor({ timeout: 30_000 });
  // The name explains itself like a photo's: distance against the threshold that applied, and the level.
  const why = (await page.getByTestId('live-why').first().getAttribute('title')) ?? '';
  assert.match(why, /0\.\d{3}/, `explanation: ${why}`);
  assert.ok(why.split('\n').length >= 2, `explanation: ${why}`);
  // Let a few more frames through, then read the figures the page shows.
  await waitForLiveFrames(page, 10);
  const stats = page.getByTestId('live-stats');
  const fps = Number(await stats.getAttribute('data-fps'));
  const latency = Number(await stats.getAttribute('data-latency-p50'));
  assert.ok(fps > 1, `frames/s ${fps}`);
  assert.ok(latency > 0 && latency < 2000, `latency ${latency} ms`);
  // The boxes are drawn on the canvas over the video: some of its pixels are no longer transparent.
  const drawn = await page.getByTestId('live-overlay').evaluate((c) => {
    const canvas = c as unknown as {
      width: number;
      height: number;
      getContext: (k: string) => {
        getImageData: (x: number, y: number, w: number, h: number) => { data: Uint8ClampedArray };
      };
    };
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    let opaque = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) opaque++;
    return opaque;
  });
  assert.ok(drawn > 500, `${drawn} pixels drawn over the video`);
  await screenshot(page, 'live-desktop');
  await page.setViewportSize(PHONE);
  await screenshot(page, 'live-phone');
  await page.getByTestId('live-stop').click();
  assert.deepEqual(
    open.errors.map((e) => e.message),
    [],
  );
});
