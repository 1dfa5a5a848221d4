// Webhooks and the integrations API through the real server: a receiver on 127.0.0.1 checks every
// delivery's HMAC-SHA256 signature; a delivery answered 500 is retried and then delivered; one that
// always fails becomes a dead letter after its last retry; filters decide who gets what; the address
// policy refuses loopback until allowed. Also the MQTT and Frigate settings routes (a real broker).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { facePath } from '../bench/dataset.js';
import { verifySignature, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../src/service/integrations/webhooks.js';
import { startBroker, type Broker } from './integrations-support.js';
import {
  errorCode,
  keyClient,
  setUpAdmin,
  startServer,
  upload,
  type ApiClient,
  type TestServer,
} from './support/server.js';

interface Received {
  path: string;
  body: string;
  timestamp: string;
  signature: string;
}

let server: TestServer;
let admin: ApiClient;
let broker: Broker;
let receiver: http.Server;
let receiverUrl = '';
const received: Received[] = [];
/** Status answered per path, in turn; the last one repeats. */
const script: Record<string, number[]> = { '/flaky': [500, 200], '/down': [500], '/picky': [200] };
const allowBefore = process.env.VISAGE_CAMERA_ALLOW;

before(async () => {
  broker = await startBroker();
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '';
      received.push({
        path,
        body: Buffer.concat(chunks).toString('utf8'),
        timestamp: String(req.headers[TIMESTAMP_HEADER]),
        signature: String(req.headers[SIGNATURE_HEADER]),
      });
      const statuses = script[path] ?? [404];
      const status = statuses.length > 1 ? statuses.shift()! : statuses[0]!;
      res.writeHead(status).end(status === 500 ? 'internal detail the log must not keep' : 'ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;
  server = await startServer(import.meta.filename, {
    integrations: { webhookRetry: { initialDelayMs: 100, maxDelayMs: 400, maxAttempts: 3, pollMs: 50 } },
  });
  admin = await setUpAdmin(server);
});

after(async () => {
  if (allowBefore === undefined) delete process.env.VISAGE_CAMERA_ALLOW;
  else process.env.VISAGE_CAMERA_ALLOW = allowBefore;
  await server?.close();
  await new Promise((resolve) => receiver?.close(resolve));
  await broker?.close();
});

const secrets = new Map<string, string>();
const hookIds = new Map<string, number>();

test('a loopback webhook is refused by the address policy until the allowlist names it', async () => {
  delete process.env.VISAGE_CAMERA_ALLOW;
  const refused = await admin.post('/webhooks', { url: `${receiverUrl}/flaky` });
  assert.equal(refused.status, 400);
  assert.equal(errorCode(refused), 'camera_address_refused');
  assert.equal(errorCode(await admin.post('/webhooks', { url: 'file:///etc/passwd' })), 'invalid_webhook');
  process.env.VISAGE_CAMERA_ALLOW = '127.0.0.1';
  for (const [path, filters] of [
    ['/flaky', {}],
    ['/down', { named: false }],
    ['/picky', { people: ['somebody else'], unknown: false }],
  ] as const) {
    const created = await admin.post('/webhooks', { url: `${receiverUrl}${path}`, ...filters });
    assert.equal(created.status, 201, created.text);
    assert.match(created.body.secret, /^[0-9a-f]{64}$/);
    secrets.set(path, created.body.secret);
    hookIds.set(path, created.body.webhook.id);
  }
  const list = await admin.get('/webhooks');
  assert.equal(list.body.items.length, 3);
  assert.ok(list.body.items.every((w: Record<string, unknown>) => !('secret' in w)));
  const viewer = await keyClient(admin, 'viewer');
  assert.equal((await viewer.get('/webhooks')).status, 403);
  assert.equal((await viewer.get('/integrations')).status, 403);
});

test('signed deliveries: retried after a 500, dead letter after the last retry, filters respected', async () => {
  const recognized = await admin.upload('/recognize', { file: upload(facePath('scenes/obama.jpg')) });
  assert.equal(recognized.status, 200, recognized.text);
  const eventIds: number[] = recognized.body.faces.map((f: { eventId: number }) => f.eventId);
  assert.ok(eventIds.length >= 1);
  const faces = eventIds.length;

  // /flaky: one 500 then 200 per delivery; /down: 500 three times (maxAttempts 3), then dead.
  await waitFor(async () => {
    const dead = await admin.get('/webhooks/dead-letters');
    const flaky = await admin.get(`/webhooks/${hookIds.get('/flaky')}/deliveries`);
    return (
      dead.body.items.length === faces &&
      flaky.body.items.filter((d: { state: string }) => d.state === 'delivered').length === faces
    );
  });
  for (const r of received) {
    const secret = secrets.get(r.path)!;
    assert.ok(verifySignature(secret, r.timestamp, r.body, r.signature), `bad signature on ${r.path}`);
    assert.ok(!verifySignature('another secret', r.timestamp, r.body, r.signature));
    assert.ok(!verifySignature(secret, r.timestamp, `${r.body} `, r.signature), 'a changed body must fail');
    const body = JSON.parse(r.body) as { type: string; event: { eventId: number; name: string | null } };
    assert.equal(body.type, 'event');
    assert.ok(eventIds.includes(body.event.eventId));
  }
  assert.equal(received.filter((r) => r.path === '/flaky').length, 2 * faces);
  assert.equal(received.filter((r) => r.path === '/down').length, 3 * faces);
  // /picky wants someone else only: nothing sent.
  assert.equal(received.filter((r) => r.path === '/picky').length, 0);

  const flaky = await admin.get(`/webhooks/${hookIds.get('/flaky')}/deliveries`);
  for (const d of flaky.body.items)
    assert.deepEqual([d.state, d.attempts, d.lastStatus], ['delivered', 2, 200]);
  const dead = await admin.get('/webhooks/dead-letters');
  for (const d of dead.body.items) {
    assert.deepEqual([d.state, d.attempts, d.lastStatus, d.lastError], ['dead', 3, 500, 'HTTP 500']);
    assert.equal(d.webhookId, hookIds.get('/down'));
  }
  const status = await admin.get('/integrations');
  assert.equal(status.status, 200);
  assert.equal(status.body.webhooks.dead, faces);
  assert.equal(status.body.mqtt.configured, false);

  // A dead letter sent again by hand gets a fresh round of attempts (and, still failing, dies again).
  const retried = await admin.post(`/webhooks/deliveries/${dead.body.items[0].id}/retry`);
  assert.equal(retried.status, 200, retried.text);
  assert.equal(retried.body.state, 'pending');
  assert.equal(
    errorCode(await admin.post(`/webhooks/deliveries/${dead.body.items[0].id}/retry`)),
    'delivery_not_found',
  );
  await waitFor(async () => (await admin.get('/webhooks/dead-letters')).body.items.length === faces);
  assert.equal(received.filter((r) => r.path === '/down').length, 3 * faces + 3);
});

test('webhooks are changed and removed; unknown ids are 404', async () => {
  const id = hookIds.get('/picky')!;
  const patched = await admin.patch(`/webhooks/${id}`, { enabled: false, cameras: ['door'] });
  assert.equal(patched.status, 200, patched.text);
  assert.deepEqual([patched.body.enabled, patched.body.cameras], [false, ['door']]);
  // A change that leaves the URL alone keeps its credentials (the answers show them masked).
  const withCredentials = `${receiverUrl.replace('http://', 'http://hook:s3cret@')}/auth`;
  const authed = (await admin.post('/webhooks', { url: withCredentials })).body.webhook.id as number;
  assert.equal((await admin.patch(`/webhooks/${authed}`, { enabled: false })).status, 200);
  assert.deepEqual(
    server.context.visage.gallery.db.prepare('SELECT url FROM webhooks WHERE id = ?').get(authed),
    {
      url: withCredentials,
    },
  );
  assert.equal((await admin.delete(`/webhooks/${id}`)).status, 204);
  assert.equal(errorCode(await admin.delete(`/webhooks/${id}`)), 'webhook_not_found');
  assert.equal((await admin.get(`/webhooks/${id}/deliveries`)).status, 404);
});

test('MQTT and Frigate settings: saved, shown without the password, started and stopped', async () => {
  const put = await admin.request('PUT', '/integrations/mqtt', {
    json: { url: broker.url, username: 'visage', password: 'not shown' },
  });
  assert.equal(put.status, 200, put.text);
  assert.equal(put.body.mqtt.configured, true);
  await waitFor(async () => (await admin.get('/integrations')).body.mqtt.connected === true);
  const frigate = await admin.request('PUT', '/integrations/frigate', {
    json: {
      url: 'http://127.0.0.1:9',
      cameras: [{ name: 'door', level: 'strict', zones: ['porch'] }],
      subLabel: true,
    },
  });
  assert.equal(frigate.status, 200, frigate.text);
  assert.equal(frigate.body.frigate.configured, true);
  const settings = await admin.get('/integrations/settings');
  assert.equal(settings.status, 200);
  assert.equal(settings.body.mqtt.hasPassword, true);
  assert.ok(!settings.text.includes('not shown'));
  assert.deepEqual(settings.body.frigate.cameras, [{ name: 'door', level: 'strict', zones: ['porch'] }]);
  assert.equal(
    errorCode(await admin.request('PUT', '/integrations/mqtt', { json: { url: 'http://x' } })),
    'invalid_setting',
  );
  assert.equal((await admin.delete('/integrations/frigate')).body.frigate.configured, false);
  assert.equal((await admin.delete('/integrations/mqtt')).body.mqtt.configured, false);
  assert.deepEqual((await admin.get('/integrations/settings')).body, { mqtt: null, frigate: null });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}
