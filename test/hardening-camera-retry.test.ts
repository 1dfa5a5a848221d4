// Issue 11, item 6 (left open): a server camera whose reconnection is refused by the camera address policy
// kept retrying forever (state `reconnecting`, backoff growing to 30 s). Now a failure no retry can mend
// — the policy's refusal, a malformed URL, no ffmpeg — stops the camera in state `failed` with the reason
// (src/service/video/video-live.ts, PERMANENT_FAILURES), while a transient one keeps the backoff.
// Real server in-process, real ffmpeg, a real HTTP camera on 127.0.0.1 (allowed by VISAGE_CAMERA_ALLOW).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { facePath } from '../bench/dataset.js';
import {
  readEvents,
  sendWithRanges,
  setUpAdmin,
  startServer,
  type ApiClient,
  type TestServer,
} from './support/server.js';

let server: TestServer;
let admin: ApiClient;
const savedAllow = process.env.VISAGE_CAMERA_ALLOW;

before(async () => {
  process.env.VISAGE_CAMERA_ALLOW = '127.0.0.1';
  server = await startServer(import.meta.filename);
  admin = await setUpAdmin(server);
});
after(async () => {
  await server.close();
  process.env.VISAGE_CAMERA_ALLOW = savedAllow;
});

/** A camera as listed (there is no route for one camera alone). */
async function cameraView(id: number): Promise<{ state: string; reason: string | null }> {
  const items = (await admin.get('/cameras')).body.items as {
    id: number;
    state: string;
    reason: string | null;
  }[];
  return items.find((c) => c.id === id)!;
}

interface StateEvent {
  event: string;
  data: { state?: string; reason?: string; attempt?: number };
}

for (const [how, turn, refusal] of [
  [
    'its server now redirects to the metadata address',
    (): void => {},
    /refused by the camera address policy.*metadata address \(169\.254\.169\.254\/32\)/,
  ],
  [
    'the admin took its address off the allowlist',
    (): void => void (process.env.VISAGE_CAMERA_ALLOW = ''),
    /refused by the camera address policy: 127\.0\.0\.1 is a loopback address/,
  ],
] as const) {
  test(`a camera whose reconnection the policy refuses (${how}) stops as failed, with the reason, and stays stopped`, async () => {
    const clip = fs.readFileSync(facePath('video/hamilton_clip.mp4'));
    // The camera plays until it has been seen live; from then on (first case) it sends every request elsewhere.
    let turned = false;
    const requests: string[] = [];
    const camera = http.createServer((req, res) => {
      requests.push(req.url ?? '');
      if (turned && how.includes('redirect'))
        return void res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
      sendWithRanges(req, res, clip);
    });
    await new Promise<void>((resolve) => camera.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(camera.address() as AddressInfo).port}/cam.mp4`;
      const added = await admin.post('/cameras', { name: `turncoat ${how}`, url });
      assert.equal(added.status, 201, added.text);
      const id = added.body.id as number;
      const watching = readEvents(
        admin,
        `/cameras/${id}/events`,
        (e: StateEvent) => {
          if (e.event === 'state' && e.data.state === 'live' && !turned) {
            turned = true;
            turn();
          }
          return e.event === 'state' && e.data.state === 'failed';
        },
        60_000,
      );
      await sleep(200);
      assert.equal((await admin.post(`/cameras/${id}/start`)).status, 200);
      const states = (await watching)
        .filter((e) => e.event === 'state')
        .map((e) => e.data as StateEvent['data']);
      assert.ok(
        states.some((s) => s.state === 'live'),
        JSON.stringify(states),
      );
      const failed = states.at(-1)!;
      assert.equal(failed.state, 'failed');
      assert.match(failed.reason ?? '', refusal);
      assert.doesNotMatch(failed.reason ?? '', /meta-data/, 'the redirect target is not repeated');

      // No more attempts: the state stays failed past the first backoff delays (1 s, 2 s), and the camera's
      // server hears nothing more.
      const heard = requests.length;
      await sleep(3500);
      const view = await cameraView(id);
      assert.equal(view.state, 'failed', JSON.stringify(view));
      assert.match(view.reason ?? '', /camera address policy/);
      assert.equal(requests.length, heard, 'no reconnection after the refusal');
      assert.equal((await admin.delete(`/cameras/${id}`)).status, 204);
    } finally {
      camera.close();
      process.env.VISAGE_CAMERA_ALLOW = '127.0.0.1';
    }
  });
}

test('a camera that is only unreachable (nothing listens) keeps retrying with growing delays', async () => {
  const closed = net.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const added = await admin.post('/cameras', { name: 'unplugged', url: `http://127.0.0.1:${port}/cam` });
  assert.equal(added.status, 201, added.text);
  const id = added.body.id as number;
  const watching = readEvents(
    admin,
    `/cameras/${id}/events`,
    (e: StateEvent) => e.event === 'state' && (e.data.state === 'failed' || (e.data.attempt ?? 0) >= 2),
    30_000,
  );
  await sleep(200);
  await admin.post(`/cameras/${id}/start`);
  const states = (await watching).filter((e) => e.event === 'state').map((e) => e.data as StateEvent['data']);
  const retries = states.filter((s) => s.state === 'reconnecting');
  assert.ok(retries.length >= 2, JSON.stringify(states));
  assert.match(retries[0]!.reason ?? '', /refused/);
  assert.ok(!states.some((s) => s.state === 'failed'), JSON.stringify(states));
  assert.equal((await cameraView(id)).state !== 'failed', true);
  await admin.post(`/cameras/${id}/stop`);
  assert.equal((await cameraView(id)).state, 'stopped');
  assert.equal((await admin.delete(`/cameras/${id}`)).status, 204);
});
