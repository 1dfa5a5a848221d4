// Cameras over HTTP: add a stream (served here over HTTP from the Hamilton clip), watch its events as
// server-sent events while it is recognised, stop and remove it; refused URLs and roles.
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
  return http.createServer((req, res) => {
    const range = /bytes=(\d+)-(\d*)/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    const end = range && range[2] ? Number(range[2]) : bytes.length - 1;
    res.writeHead(range ? 206 : 200, {
      'content-type': 'video/mp4',
      'accept-ranges': 'bytes',
      'content-length': end - start + 1,
      ...(range ? { 'content-range': `bytes ${start}-${end}/${bytes.length}` } : {}),
    });
    res.end(bytes.subarray(start, end + 1));
  });
}

before(async () => {
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
