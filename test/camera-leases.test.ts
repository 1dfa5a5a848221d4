// Issue 12, item 3: cameras are assigned to nodes with a lease in the store, so each wanted camera is
// watched by exactly one node and taken over when that node stops, closes or goes silent. Two (and three)
// "nodes" here are Visage objects on one data directory, each with its own connection and Cameras, as two
// `visage serve` processes would be, with short lease intervals. Real SQLite (or PostgreSQL under
// VISAGE_TEST_STORE), real ffmpeg: the camera is an address where nothing listens, so a watch stays
// `connecting`/`reconnecting` (with backoff) and needs no models.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net, { type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Visage } from '../src/service/visage.js';
import { Cameras, type CameraMessage } from '../src/service/video/cameras.js';
import { tempDir } from './support/cli.js';
import { storeOptions } from './support/store.js';

const RENEW_MS = 50;
const TTL_MS = 200;
const savedAllow = process.env.VISAGE_CAMERA_ALLOW;

let dataDir: string;
let url: string;
const visages: Visage[] = [];
const nodes: Cameras[] = [];

/** A node on the shared data directory; its lease loop runs unless `loop` is false. */
function node(name: string, loop = true): Cameras {
  const visage = new Visage({ dataDir, ...storeOptions(dataDir) });
  visages.push(visage);
  const cameras = new Cameras(visage.gallery.db, visage.video, {
    node: name,
    renewMs: RENEW_MS,
    ttlMs: TTL_MS,
  });
  nodes.push(cameras);
  if (loop) cameras.startLeaseLoop((e) => assert.fail(`a lease round of ${name} failed: ${String(e)}`));
  return cameras;
}

/** Waits until `check` holds (polling every 5 ms); how long it took. */
async function until(what: string, check: () => boolean, timeoutMs = 3000): Promise<number> {
  const start = performance.now();
  while (!check()) {
    if (performance.now() - start > timeoutMs) assert.fail(`${what}: not within ${timeoutMs} ms`);
    await sleep(5);
  }
  return performance.now() - start;
}

const watching = (cameras: Cameras, id: number) => cameras.get(id).state !== 'stopped';

before(async () => {
  process.env.VISAGE_CAMERA_ALLOW = '127.0.0.1';
  dataDir = tempDir('camera-leases');
  const closed = net.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/cam`;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
});
after(async () => {
  for (const cameras of nodes) await cameras.close();
  for (const visage of visages) await visage.close();
  process.env.VISAGE_CAMERA_ALLOW = savedAllow;
});

test('a started camera is watched by exactly one node; closing that node hands it over at once', async (t) => {
  const a = node('A');
  const b = node('B');
  const { id } = await a.add('door', url);
  assert.equal(a.get(id).watchedBy, null);

  const started = await a.start(id);
  assert.equal(started.watchedBy, 'A');
  assert.notEqual(started.state, 'stopped');
  // Starting it through B too leaves it where it is: B's conditional take finds A's live lease.
  const fromB = await b.start(id);
  assert.equal(fromB.watchedBy, 'A');
  assert.equal(fromB.state, 'stopped');
  // Over several rounds of both loops it stays on A alone.
  await sleep(TTL_MS * 2);
  assert.ok(watching(a, id));
  assert.ok(!watching(b, id));
  assert.equal(b.get(id).watchedBy, 'A');

  await a.close();
  const tookMs = await until('B takes the camera over', () => watching(b, id));
  assert.equal(b.get(id).watchedBy, 'B');
  assert.ok(tookMs < TTL_MS, `released on close, so taken at B's next round (${tookMs.toFixed(0)} ms)`);
  t.diagnostic(`takeover after the holder closed: ${tookMs.toFixed(0)} ms (renew every ${RENEW_MS} ms)`);

  // Stopping it through a node that does not hold it: the holder stops at its next renew, nobody takes it.
  const c = node('C');
  const stopped = await c.stop(id);
  assert.equal(stopped.watchedBy, null);
  await until('B stops', () => !watching(b, id), TTL_MS);
  await sleep(RENEW_MS * 3);
  assert.ok(!watching(b, id) && !watching(c, id));
  assert.equal(b.get(id).watchedBy, null);
  await c.remove(id);
  await b.close();
  await c.close();
});

test("a silent holder's lease runs out and another node takes over; the stale holder's renew fails and it stops", async (t) => {
  // `stale` watches but never renews: a node whose process froze, or died without closing.
  const stale = node('stale', false);
  const survivor = node('survivor');
  const { id } = await stale.add('yard', url);
  const startedAt = performance.now();
  assert.equal((await stale.start(id)).watchedBy, 'stale');
  await until('survivor takes the expired lease', () => watching(survivor, id), TTL_MS * 5);
  const tookMs = performance.now() - startedAt;
  assert.ok(tookMs >= TTL_MS - 10, `not before the lease ran out (${tookMs.toFixed(0)} ms)`);
  t.diagnostic(`takeover after the holder went silent: ${tookMs.toFixed(0)} ms (TTL ${TTL_MS} ms)`);
  assert.equal(survivor.get(id).watchedBy, 'survivor');
  assert.ok(watching(stale, id), 'the stale node does not know yet');

  // The stale node comes back: its first renew finds the lease taken, and its watch stops.
  stale.startLeaseLoop();
  await until('the stale holder stops', () => !watching(stale, id), RENEW_MS * 4);
  assert.equal(stale.get(id).watchedBy, 'survivor');
  assert.ok(watching(survivor, id));

  // A level changed through another node restarts the watch where it runs, at its next renew.
  const messages: CameraMessage[] = [];
  survivor.subscribe(id, (m) => messages.push(m));
  assert.equal((await stale.setLevel(id, 'strict')).level, 'strict');
  await until('the holder restarts with the new level', () =>
    messages.some((m) => m.event === 'state' && m.data.state === 'stopped'),
  );
  await until('and watches again', () => watching(survivor, id));
  assert.equal(survivor.get(id).watchedBy, 'survivor');

  // Wanted cameras survive every node: a node started later finds them and watches them at its first round.
  await survivor.close();
  await stale.close();
  const later = node('later');
  await until('a new node resumes the wanted camera', () => watching(later, id), RENEW_MS * 4);
  await later.remove(id);
  assert.deepEqual(later.list(), []);
  await later.close();
});

test('a watch that fails for good releases its lease: another node may try, the failed one only when started again', async () => {
  const a = node('A');
  const { id } = await a.add('gate', url);
  await a.start(id);
  // Taken off this process's allowlist, its next reconnection is refused: a failure no retry mends.
  process.env.VISAGE_CAMERA_ALLOW = '';
  try {
    await until('the watch fails', () => a.get(id).state === 'failed', 5000);
    assert.match(a.get(id).reason ?? '', /camera address policy/);
    await until('A lets the lease go', () => a.get(id).watchedBy === null, TTL_MS);
    const b = node('B');
    await until('B tries it and fails too', () => b.get(id).state === 'failed', 2000);
    await sleep(RENEW_MS * 4);
    assert.equal(a.get(id).watchedBy, null, 'A did not take it back, nor B');
    assert.equal(a.get(id).state, 'failed');
  } finally {
    process.env.VISAGE_CAMERA_ALLOW = '127.0.0.1';
  }
  const again = await a.start(id);
  assert.equal(again.watchedBy, 'A');
  assert.notEqual(again.state, 'failed');
  await a.remove(id);
});
