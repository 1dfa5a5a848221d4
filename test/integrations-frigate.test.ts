// The Frigate bridge against a stand-in Frigate on 127.0.0.1: its HTTP API serves snapshots and latest
// frames from ../shared/faces and takes sub-labels; its events go out on a real broker (mosquitto) as
// Frigate sends them. The BBT gallery (people/) is enrolled; a BBT scene's person box is named right and
// published as a camera event linked to the Frigate event; a stranger (a dev/ person) is published as
// unknown; events outside the configured zones are left alone.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { facePath, loadLabels } from '../bench/dataset.js';
import type { StoredEvent } from '../src/service/integrations/event-feed.js';
import { Visage } from '../src/service/visage.js';
import { Listener, startBroker, type Broker } from './integrations-support.js';
import { visageArgs } from './support/cli.js';
import { freshDataDir } from './support/server.js';

let broker: Broker;
let listener: Listener;
let visage: Visage;
let frigate: http.Server;
let frigateUrl = '';
let dataDir = '';
/** What each Frigate event's snapshot shows. */
const snapshots = new Map<string, string>();
const requests: string[] = [];
const subLabels: { id: string; body: { subLabel: string; subLabelScore: number } }[] = [];
const SCENE = 'scenes/bbt3.jpg';
const STRANGER = fs
  .readdirSync(facePath('dev/A_Bao'))
  .filter((f) => f.endsWith('.jpg'))
  .sort()
  .map((f) => facePath(`dev/A_Bao/${f}`))[0]!;

before(async () => {
  broker = await startBroker();
  listener = await Listener.connect(broker.url);
  frigate = http.createServer((req, res) => {
    const url = req.url ?? '';
    requests.push(`${req.method} ${url}`);
    const event = /^\/api\/events\/([^/]+)\/(snapshot\.jpg|sub_label)$/.exec(url);
    if (event && event[2] === 'sub_label' && req.method === 'POST') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        subLabels.push({
          id: decodeURIComponent(event[1]!),
          body: JSON.parse(Buffer.concat(chunks).toString()),
        });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"success":true}');
      });
      return;
    }
    // The camera's latest frame: what the last event set up shows.
    const latest = /^\/api\/front_door\/latest\.jpg$/.test(url) ? [...snapshots.values()].at(-1) : undefined;
    const file = event ? snapshots.get(decodeURIComponent(event[1]!)) : latest;
    if (!file) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'image/jpeg' }).end(fs.readFileSync(file));
  });
  await new Promise<void>((resolve) => frigate.listen(0, '127.0.0.1', resolve));
  frigateUrl = `http://127.0.0.1:${(frigate.address() as { port: number }).port}`;

  dataDir = freshDataDir('frigate');
  visage = new Visage({ dataDir });
  const report = await visage.enrollment.importFolder(facePath('people'));
  assert.equal(report.totals.people, 8);
  await visage.integrations.start({
    mqtt: { url: broker.url },
    frigate: {
      url: frigateUrl,
      cameras: [{ name: 'front_door', level: 'balanced', zones: ['porch'] }],
      minScore: 0.6,
      attempts: 2,
      subLabel: true,
    },
    longRunning: true,
  });
  await waitFor(() => {
    const f = visage.integrations.status().frigate;
    return 'connected' in f && f.connected === true;
  });
});

after(async () => {
  await visage?.close();
  await listener?.close();
  await new Promise((resolve) => frigate?.close(resolve));
  await broker?.close();
});

/** A Frigate event message as Frigate publishes it on frigate/events. */
async function frigateEvent(
  type: 'new' | 'update' | 'end',
  id: string,
  box: number[],
  extra: Record<string, unknown> = {},
  topic = 'frigate/events',
) {
  const after = {
    id,
    camera: 'front_door',
    label: 'person',
    top_score: 0.82,
    score: 0.8,
    area: (box[2]! - box[0]!) * (box[3]! - box[1]!),
    box,
    current_zones: ['porch'],
    entered_zones: ['porch'],
    has_snapshot: true,
    false_positive: false,
    snapshot: { box },
    ...extra,
  };
  await listener.client.publishAsync(topic, JSON.stringify({ type, before: after, after }));
}

/** The person box around one face of the scene: the face's column, from above the head down. */
async function personBoxOf(scene: string, name: string): Promise<number[]> {
  const faces = (await visage.faces.detectFile(facePath(scene))) as {
    faces: { box: { x: number; y: number; width: number; height: number } }[];
  };
  const order = loadLabels().scenes[scene]!.faces;
  const byX = [...faces.faces].sort((a, b) => a.box.x + a.box.width / 2 - (b.box.x + b.box.width / 2));
  assert.equal(byX.length, order.length, `faces found in ${scene}`);
  const f = byX[order.indexOf(name)]!.box;
  return [f.x - 0.3 * f.width, f.y - 0.3 * f.height, f.x + 1.3 * f.width, f.y + 3 * f.height].map(Math.round);
}

test('a BBT scene: the person box is named, stored, linked to the Frigate event, published and sub-labelled', async () => {
  snapshots.set('1701.123-sheldon', facePath(SCENE));
  await frigateEvent('new', '1701.123-sheldon', await personBoxOf(SCENE, 'sheldon'));
  const heard = await listener.next('visage/cameras/front_door/sheldon');
  const event = JSON.parse(heard.payload) as StoredEvent;
  assert.deepEqual(
    [event.kind, event.camera, event.name, event.frigateEventId, event.source],
    ['camera', 'front_door', 'sheldon', '1701.123-sheldon', 'front_door'],
  );
  await listener.next(
    'visage/matches/sheldon',
    (m) => JSON.parse(m.payload).frigateEventId === '1701.123-sheldon',
  );
  // Nobody else in the scene was published for this Frigate event.
  const others = listener
    .on('visage/events')
    .map((m) => JSON.parse(m.payload) as StoredEvent)
    .filter((e) => e.frigateEventId === '1701.123-sheldon' && e.name !== 'sheldon');
  assert.deepEqual(others, []);
  // Retained states: the camera saw sheldon; sheldon was seen by the camera.
  const cameraState = JSON.parse((await listener.next('visage/state/cameras/front_door')).payload);
  assert.equal(cameraState.person, 'sheldon');
  const personState = JSON.parse((await listener.next('visage/state/people/sheldon')).payload);
  assert.deepEqual([personState.camera, personState.eventId], ['front_door', event.eventId]);
  // Stored, and linked to the Frigate event.
  const link = visage.gallery.db
    .prepare('SELECT frigate_id, camera FROM frigate_events WHERE event_id = ?')
    .get(event.eventId) as { frigate_id: string; camera: string };
  assert.deepEqual(link, { frigate_id: '1701.123-sheldon', camera: 'front_door' });
  assert.equal(visage.gallery.events.get(event.eventId)?.personId, event.personId);
  await waitFor(() => subLabels.length === 1);
  assert.equal(subLabels[0]!.id, '1701.123-sheldon');
  assert.equal(subLabels[0]!.body.subLabel, 'sheldon');
  assert.ok(subLabels[0]!.body.subLabelScore > 0.5 && subLabels[0]!.body.subLabelScore <= 1);
  // Later updates of a decided event fetch nothing more.
  const fetched = requests.length;
  await frigateEvent('update', '1701.123-sheldon', await personBoxOf(SCENE, 'sheldon'));
  await frigateEvent('end', '1701.123-sheldon', await personBoxOf(SCENE, 'sheldon'));
  await new Promise((r) => setTimeout(r, 300));
  await visage.integrations.frigateIdle();
  assert.equal(requests.length, fetched);
  const status = visage.integrations.status().frigate;
  assert.ok('lastEvents' in status);
  const view = status.lastEvents!.find((v) => v.frigateId === '1701.123-sheldon')!;
  assert.deepEqual([view.outcome, view.name, view.eventIds], ['matched', 'sheldon', [event.eventId]]);
  // Home Assistant learns of the camera.
  await listener.next('homeassistant/sensor/visage/camera_front_door/config');
});

test('a stranger: the snapshot, then the latest frame, then published as unknown, no sub-label', async () => {
  snapshots.set('1701.456-stranger', STRANGER);
  const box = [0, 0, 4000, 4000];
  // One message at a time, each handled before the next (an update during an attempt is skipped).
  for (const type of ['new', 'update', 'end'] as const) {
    const seen = requests.length;
    await frigateEvent(type, '1701.456-stranger', box);
    if (type !== 'end') await waitFor(() => requests.length > seen);
    await visage.integrations.frigateIdle();
  }
  const heard = await listener.next('visage/cameras/front_door/unknown');
  const event = JSON.parse(heard.payload) as StoredEvent;
  assert.deepEqual([event.name, event.personId, event.frigateEventId], [null, null, '1701.456-stranger']);
  await visage.integrations.frigateIdle();
  assert.equal(subLabels.length, 1, 'no sub-label for a stranger');
  // Two attempts (the minimum of this bridge): the snapshot, then the latest frame; the end adds none.
  const tried = requests.slice(requests.indexOf('GET /api/events/1701.456-stranger/snapshot.jpg'));
  assert.deepEqual(tried, [
    'GET /api/events/1701.456-stranger/snapshot.jpg',
    'GET /api/front_door/latest.jpg',
  ]);
  const status = visage.integrations.status().frigate;
  assert.ok('lastEvents' in status);
  assert.equal(status.lastEvents!.find((v) => v.frigateId === '1701.456-stranger')!.outcome, 'unknown');
});

test('events outside the zones, of other labels, below the minimum score or of other cameras are skipped', async () => {
  const fetched = requests.length;
  const skippedBefore = (visage.integrations.status().frigate as { skipped: number }).skipped;
  snapshots.set('x', facePath(SCENE));
  await frigateEvent('new', 'x', [0, 0, 100, 100], { current_zones: ['street'], entered_zones: ['street'] });
  await frigateEvent('new', 'x', [0, 0, 100, 100], { top_score: 0.3 });
  await frigateEvent('new', 'x', [0, 0, 100, 100], { camera: 'garage' });
  await frigateEvent('new', 'x', [0, 0, 100, 100], { label: 'car' });
  await waitFor(
    () => (visage.integrations.status().frigate as { skipped: number }).skipped === skippedBefore + 3,
  );
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(requests.length, fetched);
});

test('`visage frigate` as a process: prints the result, publishes it, says offline when stopped', async () => {
  const root = path.resolve(import.meta.dirname, '..');
  const from = listener.messages.length;
  const child = spawn(
    process.execPath,
    visageArgs([
      'frigate',
      '--url',
      frigateUrl,
      '--mqtt',
      broker.url,
      '--frigate-prefix',
      'cli-frigate',
      '--camera',
      'front_door:balanced:porch',
      '--attempts',
      '1',
      '--json',
      '--data',
      dataDir,
    ]),
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  try {
    await waitFor(
      () =>
        child.exitCode !== null ||
        listener.messages
          .slice(from)
          .some((m) => m.topic === 'visage/availability' && m.payload === 'online'),
    );
    assert.equal(child.exitCode, null, stderr);
    snapshots.set('cli-1', facePath(SCENE));
    // Its bridge subscribes on a connection of its own, maybe a moment after: Frigate repeats updates.
    const heard = listener.next(
      'visage/matches/sheldon',
      (m) => JSON.parse(m.payload).frigateEventId === 'cli-1',
    );
    let answered = false;
    heard.then(
      () => (answered = true),
      () => undefined,
    );
    // A box 2 px lower than the first test's: the same pixels again would be the same stored event
    // (photos.ts), not a new one to publish.
    const box = (await personBoxOf(SCENE, 'sheldon')).map((v, k) => (k % 2 === 1 ? v + 2 : v));
    for (let i = 0; !answered; i++) {
      assert.ok(i < 60, `no answer from visage frigate: ${stderr} ${stdout}`);
      await frigateEvent(i === 0 ? 'new' : 'update', 'cli-1', box, {}, 'cli-frigate/events');
      await new Promise((r) => setTimeout(r, 1000));
    }
    assert.equal((JSON.parse((await heard).payload) as StoredEvent).camera, 'front_door');
    await waitFor(() => stdout.includes('\n'));
    const line = JSON.parse(stdout.split('\n')[0]!) as { frigateId: string; outcome: string; name: string };
    assert.deepEqual([line.frigateId, line.outcome, line.name], ['cli-1', 'matched', 'sheldon']);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const offlineFrom = listener.messages.length;
    child.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
    assert.ok(
      listener.messages
        .slice(offlineFrom)
        .some((m) => m.topic === 'visage/availability' && m.payload === 'offline'),
      'a stopped bridge says offline',
    );
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

test('forgetting a person removes their retained state and Home Assistant sensors from the broker', async () => {
  const sheldon = visage.gallery.people.list().find((p) => p.name === 'sheldon')!;
  const topics = [
    'visage/state/people/sheldon',
    `homeassistant/sensor/visage/person_${sheldon.id}_camera/config`,
    `homeassistant/sensor/visage/person_${sheldon.id}_last_seen/config`,
  ];
  const before = await Listener.connect(broker.url, topics);
  try {
    for (const topic of topics) assert.equal((await before.next(topic, undefined, 5000)).retain, true);
  } finally {
    await before.close();
  }
  // Through the privacy verb users call, which tells the integrations once the forget has committed.
  visage.privacy.forget('sheldon');
  for (const topic of topics) await listener.next(topic, (m) => m.payload === '');
  const after = await Listener.connect(broker.url, topics);
  try {
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(after.messages, []);
  } finally {
    await after.close();
  }
});

async function waitFor(condition: () => boolean, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}
