// MQTT out against a real broker (mosquitto, started here): what a photo, a video file and a watched
// source publish (payloads, per-person and per-camera topics), Home Assistant discovery, retained states
// a late subscriber still gets, and the last will when a real `visage serve --mqtt` is killed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { facePath } from '../bench/dataset.js';
import { isVisageError } from '../src/errors.js';
import type { StoredEvent } from '../src/service/integrations/event-feed.js';
import { topicLevel } from '../src/service/integrations/topics.js';
import { Visage } from '../src/service/visage.js';
import { Listener, startBroker, type Broker } from './integrations-support.js';
import { visageArgs } from './support/cli.js';
import { freshDataDir } from './support/server.js';

const ROOT = path.resolve(import.meta.dirname, '..');
let broker: Broker;
let listener: Listener;
let visage: Visage;
const people = ['sheldon', 'leonard'];
const ids = new Map<string, number>();

before(async () => {
  broker = await startBroker();
  listener = await Listener.connect(broker.url);
  visage = new Visage({ dataDir: freshDataDir('mqtt') });
  for (const name of people) {
    const files = [1, 2, 3, 4, 5].map((i) => ({ source: facePath(`people/${name}/${name}${i}.png`) }));
    const report = await visage.enrollment.enroll(name, files);
    ids.set(name, report.person!.id);
  }
  await visage.integrations.start({ mqtt: { url: broker.url } });
});

after(async () => {
  await visage?.close();
  await listener?.close();
  await broker?.close();
});

const events = (): StoredEvent[] =>
  listener.on('visage/events').map((m) => JSON.parse(m.payload) as StoredEvent);

test('topic levels never hold MQTT wildcards or separators', () => {
  for (const name of ['a/b', 'x+y', '#all', ' Ada  Lovelace ', '张伟', '', '+/#']) {
    const level = topicLevel(name);
    assert.ok(level.length > 0 && !/[/+#\s\u0000]/u.test(level), `${JSON.stringify(name)} → ${level}`);
  }
  assert.equal(topicLevel('张伟'), '张伟');
  assert.equal(topicLevel('Ada Lovelace'), 'ada_lovelace');
});

test('on connect: availability online, Home Assistant discovery for every person', async () => {
  await listener.next('visage/availability', (m) => m.payload === 'online');
  for (const name of people) {
    const id = ids.get(name)!;
    const camera = JSON.parse(
      (await listener.next(`homeassistant/sensor/visage/person_${id}_camera/config`)).payload,
    ) as Record<string, unknown>;
    assert.equal(camera.state_topic, `visage/state/people/${name}`);
    assert.equal(camera.value_template, '{{ value_json.camera }}');
    assert.equal(camera.availability_topic, 'visage/availability');
    assert.equal(camera.unique_id, `visage_person_${id}_camera`);
    const seen = JSON.parse(
      (await listener.next(`homeassistant/sensor/visage/person_${id}_last_seen/config`)).payload,
    ) as Record<string, unknown>;
    assert.equal(seen.device_class, 'timestamp');
    assert.equal(seen.value_template, '{{ value_json.lastSeen }}');
  }
});

test('a recognised photo: every face on visage/events, the named ones on visage/matches/<person>', async () => {
  const result = await visage.photos.recognizeFile(facePath('scenes/bbt2.jpg'));
  assert.ok('faces' in result);
  const stored = result.faces.map((f) => f.eventId!);
  const sheldon = await listener.next('visage/matches/sheldon');
  const payload = JSON.parse(sheldon.payload) as StoredEvent;
  assert.equal(payload.name, 'sheldon');
  assert.equal(payload.personId, ids.get('sheldon'));
  assert.equal(payload.kind, 'photo');
  assert.equal(payload.camera, null);
  assert.equal(payload.source, facePath('scenes/bbt2.jpg'));
  assert.ok(stored.includes(payload.eventId));
  assert.ok(payload.score! > 0.5 && payload.box.width > 0);
  await listener.next('visage/matches/leonard');
  // Every stored face (unknown ones too) is on the feed once.
  await waitFor(() => stored.every((id) => events().some((e) => e.eventId === id)));
  assert.equal(events().filter((e) => stored.includes(e.eventId)).length, stored.length);
  // Photos are not cameras: no camera topic, no camera state.
  assert.ok(!listener.topics().some((t) => t.startsWith('visage/cameras/')));
});

test('a video file: each stored track on visage/events as kind "video"', async () => {
  const result = await visage.video.process(facePath('video/faceapi_test.mp4'));
  const stored = result.tracks.map((t) => t.eventId!);
  assert.ok(stored.length >= 1);
  await waitFor(() => stored.every((id) => events().some((e) => e.eventId === id)));
  for (const e of events().filter((e) => stored.includes(e.eventId))) {
    assert.equal(e.kind, 'video');
    assert.equal(e.offsetS !== null, true);
  }
});

test('a watched source: camera topic, camera discovery, retained camera state for a late subscriber', async () => {
  const source = visage.video.watch(facePath('video/faceapi_test.mp4'), {
    name: 'front door',
    retry: { maxAttempts: 0 },
  });
  await source.run().catch((e: unknown) => {
    if (!isVisageError(e) || e.code !== 'source_lost') throw e;
  });
  const heard = await listener.next('visage/cameras/front_door/unknown');
  const payload = JSON.parse(heard.payload) as StoredEvent;
  assert.deepEqual([payload.kind, payload.camera, payload.name], ['camera', 'front door', null]);
  const discovery = JSON.parse(
    (await listener.next('homeassistant/sensor/visage/camera_front_door/config')).payload,
  ) as Record<string, unknown>;
  assert.equal(discovery.state_topic, 'visage/state/cameras/front_door');
  assert.equal(discovery.value_template, '{{ value_json.person }}');
  // A subscriber that comes later gets the retained state and discovery (retain flag set).
  await waitFor(() => visage.integrations.status().mqtt.configured && queued() === 0);
  const late = await Listener.connect(broker.url, ['visage/state/#', 'homeassistant/#']);
  try {
    const state = await late.next('visage/state/cameras/front_door', undefined, 5000);
    assert.equal(state.retain, true);
    const last = JSON.parse(state.payload) as { person: string; eventId: number };
    assert.equal(last.person, 'unknown');
    assert.equal(last.eventId, payload.eventId);
    const config = await late.next('homeassistant/sensor/visage/camera_front_door/config', undefined, 5000);
    assert.equal(config.retain, true);
  } finally {
    await late.close();
  }
});

test('last will: killing `visage serve --mqtt` makes the broker say offline', async () => {
  const dataDir = freshDataDir('mqtt-serve');
  const watcher = await Listener.connect(broker.url, ['visage/availability']);
  const child = spawn(
    process.execPath,
    visageArgs(['serve', '--port', '0', '--data', dataDir, '--mqtt', broker.url]),
    { cwd: ROOT, stdio: 'ignore', env: { ...process.env, VISAGE_ADMIN_PASSWORD: 'a long test password 1' } },
  );
  try {
    // The retained "online" of this file's own publisher comes first (retain set); the child's is live.
    await waitFor(() => watcher.messages.some((m) => m.payload === 'online' && !m.retain), 60_000);
    const before = watcher.messages.length;
    child.kill('SIGKILL');
    const offline = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 20_000);
      const poll = setInterval(() => {
        if (watcher.messages.slice(before).some((m) => m.payload === 'offline')) {
          clearTimeout(timer);
          clearInterval(poll);
          resolve(true);
        }
      }, 50);
    });
    assert.ok(offline, `heard ${JSON.stringify(watcher.messages)}`);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await watcher.close();
  }
});

function queued(): number {
  const mqtt = visage.integrations.status().mqtt;
  return 'queued' in mqtt ? (mqtt.queued ?? 0) : 0;
}

async function waitFor(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}
