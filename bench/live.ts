// npm run bench:live — the live-camera WebSocket of the real server (`visage serve`), as a browser uses
// it: 640×480 JPEG frames sent at 30 frames/s for 10 s; measures answered frames per second and the time
// from sending a frame to receiving its answer (what the page draws), for a one-face and a five-face
// picture. Ends with one line of JSON.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import WebSocket from 'ws';
import { facePath, galleryImages } from './dataset.js';
import { startServeProcess } from './load.js';
import { ApiClient, sessionCookie } from '../test/support/server.js';

const SEND_FPS = 30;
const SECONDS = 10;

interface LiveFigures {
  scene: string;
  faces: number;
  sent: number;
  answered: number;
  answeredPerSecond: number;
  latencyMs: { p50: number; p95: number; max: number };
  serverMs: { p50: number };
}

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

async function measure(url: string, apiKey: string, scene: string): Promise<LiveFigures> {
  const frame = await sharp(facePath(scene))
    .resize(640, 480, { fit: 'cover' })
    .jpeg({ quality: 80 })
    .toBuffer();
  const ws = new WebSocket(`${url.replace('http', 'ws')}/api/v1/live?key=${apiKey}`);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const sentAt: number[] = [];
  const latency: number[] = [];
  const server: number[] = [];
  let faces = 0;
  ws.on('message', (m) => {
    const answer = JSON.parse(String(m)) as { frame: number; ms: number; faces: unknown[] };
    latency.push(performance.now() - sentAt[answer.frame - 1]!);
    server.push(answer.ms);
    faces = answer.faces.length;
  });
  const start = performance.now();
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      sentAt.push(performance.now());
      ws.send(frame);
      if (sentAt.length >= SEND_FPS * SECONDS) {
        clearInterval(timer);
        resolve();
      }
    }, 1000 / SEND_FPS);
  });
  await new Promise((r) => setTimeout(r, 500));
  const seconds = (performance.now() - start) / 1000;
  ws.close();
  latency.sort((a, b) => a - b);
  server.sort((a, b) => a - b);
  return {
    scene,
    faces,
    sent: sentAt.length,
    answered: latency.length,
    answeredPerSecond: Number((latency.length / seconds).toFixed(1)),
    latencyMs: {
      p50: Math.round(percentile(latency, 0.5)),
      p95: Math.round(percentile(latency, 0.95)),
      max: Math.round(latency.at(-1)!),
    },
    serverMs: { p50: Math.round(percentile(server, 0.5)) },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const password = 'live-bench-password';
  const { child, url } = await startServeProcess({ VISAGE_ADMIN_PASSWORD: password });
  try {
    const login = await new ApiClient(url).post('/session', { username: 'admin', password });
    const session = new ApiClient(url, {
      cookie: sessionCookie(login.headers),
      csrfToken: login.body.csrfToken,
    });
    const apiKey = (await session.post('/api-keys', { name: 'live', role: 'viewer' })).body.key as string;
    for (const [name, files] of galleryImages('people')) {
      await session.upload('/enroll', {
        name,
        file: files.map((f) => ({ name: path.basename(f), bytes: fs.readFileSync(f) })),
      });
    }
    await session.upload('/enroll', {
      name: 'obama',
      file: { name: 'obama.jpg', bytes: fs.readFileSync(facePath('knn/train/obama/obama.jpg')) },
    });
    const results = [];
    for (const scene of ['scenes/obama-480p.jpg', 'scenes/bbt3.jpg'])
      results.push(await measure(url, apiKey, scene));
    console.table(
      results.map((r) => ({
        scene: r.scene,
        faces: r.faces,
        sent: r.sent,
        answered: r.answered,
        'answers/s': r.answeredPerSecond,
        'latency p50': r.latencyMs.p50,
        'latency p95': r.latencyMs.p95,
        'server p50': r.serverMs.p50,
      })),
    );
    console.log(
      JSON.stringify({
        benchmark: 'live',
        sendFps: SEND_FPS,
        seconds: SECONDS,
        frame: '640x480 JPEG q80',
        results,
      }),
    );
  } finally {
    child.kill('SIGTERM');
  }
}
