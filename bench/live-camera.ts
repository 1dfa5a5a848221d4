// npm run bench:live-camera — the browser's live camera end to end: headless Chromium with a fake 640×480 camera
// (a video made from one photo of an enrolled person) sends JPEG frames over the /api/v1/live WebSocket
// to the real server; measured on the page: recognized frames/s, and frame sent → result drawn latency.
// Targets: ≥ 10 frames/s, ≤ 150 ms. Ends with one line of JSON.
import fs from 'node:fs';
import path from 'node:path';
import {
  facePath,
  launchBrowser,
  login,
  makeFakeCameraVideo,
  newPage,
  startServer,
  waitForLiveFrames,
} from '../test/support/browser.js';

const SECONDS = Number(process.env.LIVE_SECONDS ?? 10);
const WARMUP_FRAMES = 20;
const TARGET_FPS = 10;
const TARGET_LATENCY_MS = 150;
const NAME = 'Barack Obama';
const PASSWORD = 'live camera bench';

const video = makeFakeCameraVideo(facePath('knn/train/obama/obama.jpg'), 4, 30);
const server = await startServer(import.meta.filename, { adminPassword: PASSWORD });
const browser = await launchBrowser({ fakeCamera: video });
try {
  await server.context.visage.enrollment.enroll(NAME, [{ source: facePath('knn/train/obama/obama2.jpg') }]);
  const { page, errors } = await newPage(browser, server);
  await page.goto('/');
  await login(page, 'admin', PASSWORD);
  await page.goto('/#/recognize/camera');
  await page.getByTestId('live-start').click();

  const stats = page.getByTestId('live-stats');
  const frames = async () => Number(await stats.getAttribute('data-frames'));
  await waitForLiveFrames(page, WARMUP_FRAMES, 60_000);

  const f0 = await frames();
  const t0 = performance.now();
  await page.waitForTimeout(SECONDS * 1000);
  const f1 = await frames();
  const elapsed = (performance.now() - t0) / 1000;
  // The page's figures are over its last 100 answers, i.e. the end of the measured window.
  const latencyP50 = Number(await stats.getAttribute('data-latency-p50'));
  const latencyP95 = Number(await stats.getAttribute('data-latency-p95'));
  const serverP50 = Number(await stats.getAttribute('data-server-p50'));
  const named = (await page.getByTestId('live-names').innerText()).includes(NAME);
  if (errors.length) throw errors[0];

  const fps = (f1 - f0) / elapsed;
  const pass = fps >= TARGET_FPS && latencyP50 <= TARGET_LATENCY_MS && named;
  console.log(
    `Live camera, 640×480 JPEG frames over WebSocket, ${elapsed.toFixed(1)} s after ${WARMUP_FRAMES} warm-up frames`,
  );
  console.log(`  recognized frames/s       ${fps.toFixed(1)}  (target ≥ ${TARGET_FPS})`);
  console.log(
    `  sent → drawn latency p50  ${latencyP50.toFixed(0)} ms  (target ≤ ${TARGET_LATENCY_MS} ms), p95 ${latencyP95.toFixed(0)} ms`,
  );
  console.log(`  server time per frame p50 ${serverP50.toFixed(0)} ms`);
  console.log(`  ${NAME} named on the page: ${named ? 'yes' : 'NO'}`);
  console.log(
    JSON.stringify({
      bench: 'live-camera',
      width: 640,
      height: 480,
      seconds: Number(elapsed.toFixed(2)),
      frames: f1 - f0,
      fps: Number(fps.toFixed(2)),
      latencyP50Ms: latencyP50,
      latencyP95Ms: latencyP95,
      serverP50Ms: serverP50,
      named,
      targetFps: TARGET_FPS,
      targetLatencyMs: TARGET_LATENCY_MS,
      pass,
    }),
  );
  process.exitCode = pass ? 0 : 1;
} finally {
  await browser.close();
  await server.close();
  fs.rmSync(path.dirname(video), { recursive: true, force: true });
}
