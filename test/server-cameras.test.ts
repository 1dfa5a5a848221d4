// Cameras over HTTP: add a stream (served here over HTTP from the Hamilton clip), watch its events as
// server-sent events while it is recognised, stop and remove it; refused URLs and roles; the camera address
// policy (loopback, link-local, metadata and multicast hosts refused unless the admin allows them), which is
// why the clip served here on 127.0.0.1 is allowed explicitly.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { facePath } from '../bench/dataset.js';
import {
  errorCode,
  keyClient,
  readEvents,
  sendWithRanges,
  setUpAdmin,
  startServer,
  upload,
  type ApiClient,
  type TestServer,
} from './support/server.js';

let server: TestServer;
let admin: ApiClient;
let viewer: ApiClient;
let clipServer: http.Server;
let clipUrl: string;

/** Serves one file with byte ranges, as a web server or an IP camera's HTTP endpoint would. */
function serveFile(file: string): http.Server {
  const bytes = fs.readFileSync(file);
  return http.createServer((req, res) => sendWithRanges(req, res, bytes));
}

// The admin's allowlist, as `visage serve` reads it (checked at each add, start and connection).
const ALLOW_LOCAL = '127.0.0.1';

before(async () => {
  process.env.VISAGE_CAMERA_ALLOW = ALLOW_LOCAL;
  server = await startServer(import.meta.filename);
  admin = await setUpAdmin(server);
  viewer = await keyClient(admin, 'viewer');
  const enrolled = await admin.upload('/enroll', {
    name: 'Lin-Manuel Miranda',
    file: upload(facePath('scenes/lin-manuel-miranda.png')),
  });
  assert.equal(enrolled.body.accepted.length, 1, enrolled.text);
  clipServer = serveFile(facePath('video/hamilton_clip.mp4'));
  await new Promise<void>((resolve) => clipServer.listen(0, '127.0.0.1', resolve));
  clipUrl = `http://127.0.0.1:${(clipServer.address() as AddressInfo).port}/hamilton.mp4`;
});
after(async () => {
  await server.close();
  clipServer.close();
});

test('a camera is added, watched (events name the person), stopped and removed', async () => {
  const added = await admin.post('/cameras', { name: 'stage', url: clipUrl });
  assert.equal(added.status, 201);
  assert.equal(added.body.state, 'stopped');
  const id = added.body.id as number;

  const watching = readEvents(
    viewer,
    `/cameras/${id}/events`,
    (e) => e.event === 'recognition' && e.data.track.name !== null,
    90_000,
  );
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(errorCode(await viewer.post(`/cameras/${id}/start`)), 'forbidden');
  const started = await admin.post(`/cameras/${id}/start`);
  assert.equal(started.status, 200);
  assert.notEqual(started.body.state, 'stopped');

  const events = await watching;
  assert.equal(events[0]!.event, 'camera');
  assert.ok(
    events.some((e) => e.event === 'state' && e.data.state === 'live'),
    JSON.stringify(events.slice(0, 5)),
  );
  const named = events.at(-1)!;
  assert.equal(named.event, 'recognition', JSON.stringify(events.slice(-3)));
  assert.equal(named.data.track.name, 'Lin-Manuel Miranda');
  assert.equal(named.data.camera, 'stage');

  const stopped = await admin.post(`/cameras/${id}/stop`);
  assert.equal(stopped.body.state, 'stopped');
  assert.ok(stopped.body.framesAnalysed === 0 || stopped.body.framesAnalysed > 0);
  const stored = await viewer.get('/events?source=stage');
  assert.ok(stored.body.total >= 1, 'the tracks seen were stored as events when the camera stopped');
  assert.equal((await viewer.get('/cameras')).body.items[0].state, 'stopped');

  assert.equal((await admin.delete(`/cameras/${id}`)).status, 204);
  assert.deepEqual((await viewer.get('/cameras')).body.items, []);
  assert.equal(errorCode(await admin.post(`/cameras/${id}/start`)), 'camera_not_found');
});

test('camera URLs: only streams and capture devices; passwords are never shown; names are unique', async () => {
  for (const url of [
    '/etc/passwd',
    'file:///etc/passwd',
    '../shared/faces/video/hamilton_clip.mp4',
    'javascript:alert(1)',
  ]) {
    const res = await admin.post('/cameras', { name: 'bad', url });
    assert.equal(res.status, 400, url);
    assert.equal(errorCode(res), 'invalid_camera');
  }
  const door = await admin.post('/cameras', {
    name: 'Door',
    url: 'rtsp://admin:s3cret@192.0.2.10:554/stream1',
  });
  assert.equal(door.status, 201);
  assert.equal(door.body.url, 'rtsp://admin:***@192.0.2.10:554/stream1');
  const listed = await viewer.get('/cameras');
  assert.ok(!listed.text.includes('s3cret'));
  assert.equal(errorCode(await admin.post('/cameras', { name: 'door', url: clipUrl })), 'camera_name_taken');
  assert.equal(errorCode(await viewer.post('/cameras', { name: 'mine', url: clipUrl })), 'forbidden');
  assert.equal(errorCode(await viewer.delete(`/cameras/${door.body.id}`)), 'forbidden');
  assert.equal((await admin.delete(`/cameras/${door.body.id}`)).status, 204);
});

test('camera address policy: loopback, metadata, multicast and names resolving to loopback are refused unless allowed', async () => {
  process.env.VISAGE_CAMERA_ALLOW = '';
  try {
    const cases: [string, string, RegExp][] = [
      ['rtsp://127.0.0.1:1/x', 'loopback', /127\.0\.0\.1 is a loopback address \(127\.0\.0\.0\/8\)/],
      ['http://127.0.0.1:9/other-service', 'loopback', /loopback/],
      [
        'http://169.254.169.254/latest/meta-data/',
        'metadata',
        /a metadata address \(169\.254\.169\.254\/32\)/,
      ],
      ['rtsp://224.0.0.1:554/x', 'multicast', /a multicast address \(224\.0\.0\.0\/4\)/],
      ['http://localhost:9/live', 'loopback', /localhost resolves to (127\.0\.0\.1|::1), a loopback address/],
      ['http://[::1]:9/live', 'loopback', /loopback/],
    ];
    for (const [url, category, message] of cases) {
      const res = await admin.post('/cameras', { name: `cam ${category}`, url });
      assert.equal(res.status, 400, `${url}: ${res.text}`);
      assert.equal(errorCode(res), 'camera_address_refused', url);
      assert.match(res.body.error.message, message, url);
      assert.match(res.body.error.message, /VISAGE_CAMERA_ALLOW/, 'says how to allow it');
      assert.equal(res.body.error.details.category, category, url);
      assert.doesNotMatch(res.text, /Server returned|404 Not Found/, 'nothing of the remote side');
    }
    assert.deepEqual((await admin.get('/cameras')).body.items, [], 'nothing was stored');
    // A private LAN address is where cameras live: allowed without any list.
    const lan = await admin.post('/cameras', { name: 'lan', url: 'rtsp://192.168.1.20:554/stream1' });
    assert.equal(lan.status, 201, lan.text);
    assert.equal((await admin.delete(`/cameras/${lan.body.id}`)).status, 204);

    // Listed by the admin: allowed. Taken off the list again: refused at start too, before any connection.
    process.env.VISAGE_CAMERA_ALLOW = '127.0.0.0/8, 169.254.169.254, localhost, 224.0.0.1';
    const ids: number[] = [];
    for (const [url, category] of cases.filter(([u]) => !u.includes('[::1]'))) {
      const res = await admin.post('/cameras', { name: `allowed ${category} ${ids.length}`, url });
      assert.equal(res.status, 201, `${url}: ${res.text}`);
      ids.push(res.body.id as number);
    }
    process.env.VISAGE_CAMERA_ALLOW = '';
    const start = await admin.post(`/cameras/${ids[0]}/start`);
    assert.equal(start.status, 400, start.text);
    assert.equal(errorCode(start), 'camera_address_refused');
    assert.equal(
      (await admin.get(`/cameras`)).body.items.find((c: { id: number }) => c.id === ids[0]).state,
      'stopped',
    );
    for (const id of ids) assert.equal((await admin.delete(`/cameras/${id}`)).status, 204);
  } finally {
    process.env.VISAGE_CAMERA_ALLOW = ALLOW_LOCAL;
  }
});

test('a camera has a security level: balanced unless given, changed with PATCH (admin), validated', async () => {
  const plain = await admin.post('/cameras', { name: 'lobby', url: 'rtsp://192.0.2.11:554/stream1' });
  assert.equal(plain.status, 201);
  assert.equal(plain.body.level, 'balanced');
  const door = await admin.post('/cameras', {
    name: 'front door',
    url: 'rtsp://192.0.2.12:554/stream1',
    level: 'strict',
  });
  assert.equal(door.body.level, 'strict');
  const bad = await admin.post('/cameras', { name: 'x', url: 'rtsp://192.0.2.13:554/s', level: 'paranoid' });
  assert.equal(bad.status, 400);
  assert.equal(errorCode(await viewer.patch(`/cameras/${plain.body.id}`, { level: 'lenient' })), 'forbidden');
  const changed = await admin.patch(`/cameras/${plain.body.id}`, { level: 'lenient' });
  assert.equal(changed.status, 200, changed.text);
  assert.equal(changed.body.level, 'lenient');
  const listed = (await viewer.get('/cameras')).body.items as { id: number; level: string }[];
  assert.deepEqual(
    listed
      .filter((c) => c.id === plain.body.id || c.id === door.body.id)
      .map((c) => c.level)
      .sort(),
    ['lenient', 'strict'],
  );
  assert.equal((await admin.patch(`/cameras/${plain.body.id}`, { level: 'loose' })).status, 400);
  assert.equal(errorCode(await admin.patch('/cameras/99999', { level: 'strict' })), 'camera_not_found');
  for (const c of [plain, door]) assert.equal((await admin.delete(`/cameras/${c.body.id}`)).status, 204);
});
