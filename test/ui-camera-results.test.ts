// Issue 10, items 5 and 9: the live camera's results are results. Chromium's fake camera plays a .y4m
// made by ffmpeg from the shared stage clip (Lin-Manuel Miranda's close-up); the page fills a results
// table (one row per track, with the face cut from the video), and every track is stored as one event,
// so History shows it. At 1366×768 the Start button is visible without scrolling.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ffmpegPath } from '../src/media/ffmpeg.js';
import {
  facePath,
  launchBrowser,
  makeFakeCameraVideo,
  pageApi,
  screenshot,
  signedInPage,
  startServer,
  waitForLiveFrames,
  waitUntil,
  type OpenPage,
  type RunningServer,
} from './support/browser.js';

const PASSWORD = 'camera results test password';
const NAME = 'Lin-Manuel Miranda';
const SOURCE = 'browser camera (admin)';
const LAPTOP = { width: 1366, height: 768 };

let server: RunningServer;
let browser: Browser;
let open: OpenPage;
let page: Page;
let video: string;

/** 3 s of the clip from 3.6 s (his close-up) at 10 frames/s, 640×480, as raw yuv420p for the fake camera. */
function cameraVideoFromClip(clip: string): string {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'visage-cam-')), 'camera.y4m');
  const r = spawnSync(
    ffmpegPath(),
    [
      '-v',
      'error',
      '-y',
      '-ss',
      '3.6',
      '-t',
      '3',
      '-i',
      clip,
      '-an',
      '-r',
      '10',
      '-vf',
      'scale=640:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2,format=yuv420p',
      '-pix_fmt',
      'yuv420p',
      out,
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr}`);
  return out;
}

interface EventPage {
  items: { source: string; name: string | null; hasSnapshot: boolean }[];
  total: number;
}

before(async () => {
  video = cameraVideoFromClip(facePath('video/hamilton_clip.mp4'));
  server = await startServer(import.meta.filename, { adminPassword: PASSWORD });
  await server.context.visage.enrollment.enroll(NAME, [
    { source: facePath('scenes/lin-manuel-miranda.png') },
  ]);
  browser = await launchBrowser({ fakeCamera: video });
  open = await signedInPage(browser, server, 'admin', PASSWORD);
  page = open.page;
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (video) fs.rmSync(path.dirname(video), { recursive: true, force: true });
});

test('identical camera frames are enrolled as one sample, and the page says so', async () => {
  // A still picture: Chromium's fake camera gives the very same frame at every capture.
  const still = makeFakeCameraVideo(facePath('knn/train/obama/obama.jpg'));
  const stillBrowser = await launchBrowser({ fakeCamera: still });
  try {
    const other = await signedInPage(stillBrowser, server, 'admin', PASSWORD);
    const p = other.page;
    await p.goto('/#/enroll');
    await p.getByTestId('enroll-name').fill('Barack Obama');
    await p.getByTestId('source-camera').click();
    await p.getByTestId('camera-start').click();
    await p.getByTestId('capture').click();
    await p.getByTestId('crop').first().waitFor({ timeout: 30_000 });
    await p.getByTestId('capture').click();
    await p.getByTestId('crop').nth(1).waitFor({ timeout: 30_000 });
    await p.getByTestId('enroll-submit').click();
    await p.getByTestId('enroll-report').waitFor();
    assert.equal(await p.getByTestId('enroll-accepted').locator('img').count(), 1);
    const rejected = p.getByTestId('enroll-rejected').locator('li');
    assert.equal(await rejected.count(), 1);
    assert.equal(await rejected.first().getAttribute('data-reason'), 'repeated_image');
    assert.match(await rejected.first().innerText(), /The same picture twice: enrolled once\./);
    assert.doesNotMatch(await rejected.first().innerText(), /already has this image/);
    await screenshot(p, 'enroll-camera-repeated');
  } finally {
    await stillBrowser.close();
    fs.rmSync(path.dirname(still), { recursive: true, force: true });
  }
});

test('at 1366×768 the camera Start button is visible without scrolling', async () => {
  await page.setViewportSize(LAPTOP);
  await page.goto('/#/recognize/camera');
  const start = page.getByTestId('live-start');
  await start.waitFor();
  const box = (await start.boundingBox())!;
  const scrolled = await page.evaluate('window.scrollY');
  assert.equal(scrolled, 0);
  assert.ok(
    box.y >= 0 && box.y + box.height <= LAPTOP.height,
    `Start button at y ${box.y}–${box.y + box.height}`,
  );
  await screenshot(page, 'live-laptop-1366', false);
});

test('the live camera fills a results table, one row per track, and stores its tracks as events', async () => {
  await page.goto('/#/recognize/camera');
  await page.getByTestId('live-start').click();
  const rows = page.getByTestId('live-results').getByTestId('result-row');
  await rows.filter({ hasText: NAME }).first().waitFor({ timeout: 60_000 });
  const row = rows.filter({ hasText: NAME }).first();
  assert.match((await row.locator('img.result-thumb').getAttribute('src')) ?? '', /^data:image\/jpeg/);
  assert.match(await row.innerText(), /Camera/);
  await screenshot(page, 'live-results-desktop');
  // While the face stays in view it stays one row (one track), however many frames are answered.
  const frames = Number(await page.getByTestId('live-stats').getAttribute('data-frames'));
  assert.ok(frames >= 3, `${frames} frames answered`);
  const tracks = await rows.count();
  assert.ok(tracks < frames, `${tracks} rows for ${frames} frames`);

  // Each row shows its track's verdict, which is what the track's event stores (a name needs agreeing
  // recognitions, identity-vote.ts): what the rows say when the camera stops is what History gets.
  await waitForLiveFrames(page, frames + 2);
  await page.getByTestId('live-stop').click();
  const shown = await rows
    .locator('img.result-thumb')
    .evaluateAll((imgs) => imgs.map((img) => (img as unknown as { alt: string }).alt));
  await page.getByTestId('live-history').waitFor();
  let events: EventPage = { items: [], total: 0 };
  await waitUntil(
    'the tracks stored as events',
    async () => {
      events = (await pageApi<EventPage>(page, 'GET', `/events?source=${encodeURIComponent(SOURCE)}`)).json;
      return events.total > 0;
    },
    30_000,
  );
  assert.ok(
    events.items.some((e) => e.name === NAME && e.hasSnapshot),
    JSON.stringify(events.items),
  );
  assert.ok(events.total <= tracks, `${events.total} events for ${tracks} tracks: one per track`);
  const stored = events.items.map((e) => e.name ?? 'Unknown').sort();
  assert.deepEqual(stored, [...shown].sort(), 'each row named as its track is stored');

  // History lists them.
  await page.goto('/#/manage/events');
  await page.locator('main').getByText(NAME).first().waitFor({ timeout: 30_000 });
  assert.ok(
    (await page.locator('option', { hasText: SOURCE }).count()) > 0,
    'the camera is a source to filter by',
  );
  await screenshot(page, 'live-results-history');
  assert.deepEqual(
    open.errors.map((e) => e.message),
    [],
  );
});
