// Video in the browser: a file uploaded, followed by server-sent events to the end, its people per track in
// the results table and the annotated copy; and a network camera (an HTTP stream of the same clip, played
// in real time by ffmpeg) added, watched with its faces arriving live, stopped and deleted.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { realTimeLoopArgs } from '../bench/video-fixtures.js';
import { ffmpegPath } from '../src/media/ffmpeg.js';
import type { Browser } from 'playwright-core';
import {
  DESKTOP,
  facePath,
  launchBrowser,
  PHONE,
  screenshot,
  signedInPage,
  startServer,
  type OpenPage,
  type RunningServer,
} from './support/browser.js';

const PASSWORD = 'video test password';
const NAME = 'Lin-Manuel Miranda';

let server: RunningServer;
let browser: Browser;
let open: OpenPage;

before(async () => {
  // The stand-in camera is served on 127.0.0.1, which the camera address policy refuses unless the admin
  // allows it (src/media/url-policy.ts).
  process.env.VISAGE_CAMERA_ALLOW = '127.0.0.1';
  server = await startServer(import.meta.filename, { adminPassword: PASSWORD });
  await server.context.visage.enrollment.enroll(NAME, [
    { source: facePath('scenes/lin-manuel-miranda.png') },
  ]);
  browser = await launchBrowser();
  open = await signedInPage(browser, server, 'admin', PASSWORD);
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('a video is uploaded, followed to the end, and its people listed with the annotated copy', async () => {
  const { page } = open;
  await page.goto('/#/recognize/video');
  await page.getByTestId('video-input').setInputFiles(facePath('video/hamilton_clip.mp4'));
  await page.getByTestId('video-state').getByText('Processing').waitFor({ timeout: 30_000 });
  await screenshot(page, 'video-progress-desktop');
  await page.getByTestId('video-state').getByText('Done').waitFor({ timeout: 120_000 });

  // Columns: number, picture, source, time, name, …
  const names = await page.getByTestId('results-table').locator('tbody tr td:nth-child(5)').allInnerTexts();
  assert.ok(names.includes(NAME), `${NAME} among the tracks: ${names.join(', ')}`);
  const href = await page.getByTestId('annotated-download').getAttribute('href');
  const annotated = await page.request.get(href!);
  assert.equal(annotated.status(), 200);
  assert.equal(annotated.headers()['content-type'], 'video/mp4');
  assert.ok((await annotated.body()).length > 10_000, 'the annotated video has content');
  // The page's player can read it: metadata loads with the clip's size.
  const size = await page.getByTestId('annotated-video').evaluate(async (v) => {
    const video = v as unknown as {
      readyState: number;
      videoWidth: number;
      videoHeight: number;
      addEventListener: (e: string, f: () => void) => void;
    };
    if (video.readyState < 1) await new Promise<void>((r) => video.addEventListener('loadedmetadata', r));
    return [video.videoWidth, video.videoHeight];
  });
  assert.deepEqual(size, [640, 360]);
  await screenshot(page, 'video-desktop');
  await page.setViewportSize(PHONE);
  await screenshot(page, 'video-phone');
  assert.deepEqual(
    open.errors.map((e) => e.message),
    [],
  );
});

/** An HTTP server that streams the clip, looped, in real time as MPEG-TS: a stand-in for a network camera. */
async function streamingCamera(clip: string): Promise<{ url: string; close: () => Promise<void> }> {
  const players = new Set<ChildProcess>();
  const server = http.createServer((_req, res) => {
    const ffmpeg = spawn(ffmpegPath(), [...realTimeLoopArgs(clip), 'pipe:1'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    players.add(ffmpeg);
    res.writeHead(200, { 'content-type': 'video/mp2t' });
    ffmpeg.stdout.pipe(res);
    res.on('close', () => ffmpeg.kill());
    ffmpeg.on('exit', () => players.delete(ffmpeg));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/stage.ts`,
    close: async () => {
      for (const p of players) p.kill();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

test('a network camera is added, watched live with its faces named, stopped and deleted', async () => {
  const { page } = open;
  const camera = await streamingCamera(facePath('video/hamilton_clip.mp4'));
  try {
    await page.setViewportSize(DESKTOP);
    await page.goto('/#/recognize/cameras');
    await page.getByTestId('camera-name').fill('Stage');
    await page.getByTestId('camera-url').fill(camera.url);
    await page.getByTestId('camera-add').click();
    const row = page.getByTestId('camera').filter({ hasText: 'Stage' });
    await row.getByTestId('camera-state').getByText('Stopped').waitFor();
    await row.getByTestId('camera-start').click();
    await page.getByTestId('camera-feed').getByText(NAME).first().waitFor({ timeout: 60_000 });
    assert.equal(await row.getByTestId('camera-state').innerText(), 'Live');
    // Its faces fill a results table too, one row per track (issue 10, item 5).
    await page.getByTestId('results-table').getByText(NAME).first().waitFor({ timeout: 30_000 });
    await screenshot(page, 'cameras-desktop');
    await row.getByTestId('camera-stop').click();
    await row.getByTestId('camera-state').getByText('Stopped').waitFor({ timeout: 30_000 });
    await row.getByTestId('camera-delete').click();
    await page.getByTestId('confirm').click();
    await page.getByText('No cameras yet.').waitFor();
    assert.deepEqual(
      open.errors.map((e) => e.message),
      [],
    );
  } finally {
    await camera.close();
  }
});
