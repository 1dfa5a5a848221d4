// Bad input through the API: each gets the right 4xx with the error envelope, the server keeps serving,
// and nothing is stored.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { facePath, galleryImages } from '../bench/dataset.js';
import { bombPng } from './support/images.js';
import {
  ApiClient,
  errorCode,
  keyClient,
  setUpAdmin,
  startServer,
  upload,
  type Reply,
  type TestServer,
} from './support/server.js';

let server: TestServer;
let admin: ApiClient;
let personId: number;

before(async () => {
  server = await startServer(import.meta.filename);
  admin = await setUpAdmin(server);
  const report = await admin.upload('/enroll', {
    name: 'raj',
    file: galleryImages('people')
      .get('raj')!
      .slice(0, 2)
      .map((f) => upload(f)),
  });
  personId = report.body.person.id;
});
after(() => server.close());

/** The gallery as counts: people, raj's samples, events. */
async function stored(): Promise<{ people: number; samples: number; events: number }> {
  const [people, person, events] = await Promise.all([
    admin.get('/people'),
    admin.get(`/people/${personId}`),
    admin.get('/events'),
  ]);
  return { people: people.body.total, samples: person.body.samples.length, events: events.body.total };
}

async function assertRefused(res: Reply, status: number, code: string): Promise<void> {
  assert.equal(res.status, status, res.text.slice(0, 300));
  assert.equal(errorCode(res), code);
  assert.match(res.headers.get('content-type')!, /^application\/json/);
  assert.ok(res.headers.get('x-request-id'));
  assert.equal((await server.anonymous.get('/setup')).status, 200, 'the server is still up');
}

const image = (name: string, bytes: Buffer, type = 'image/jpeg') => ({ name, bytes, type });

test('uploads that are empty, too large, not images, or pixel bombs', async () => {
  const before = await stored();
  const cases: [string, Buffer, number, string][] = [
    ['empty.jpg', Buffer.alloc(0), 400, 'empty_file'],
    ['huge.jpg', Buffer.alloc(50 * 1024 * 1024, 0xff), 413, 'file_too_large'],
    ['notes.jpg', Buffer.from('This is a text file, not a photo.\n'.repeat(20)), 415, 'unsupported_format'],
    ['bomb.png', bombPng(20000, 20000), 413, 'image_too_large'],
    ['truncated.jpg', fs.readFileSync(facePath('scenes/bbt3.jpg')).subarray(0, 20_000), 400, 'corrupt_image'],
  ];
  for (const [name, bytes, status, code] of cases) {
    for (const route of ['/recognize', '/detect', '/faces/crops']) {
      await assertRefused(await admin.upload(route, { file: image(name, bytes) }), status, code);
    }
  }
  const huge = cases[1]![1];
  await assertRefused(
    await admin.upload('/enroll', { name: 'Nobody', file: image('huge.jpg', huge) }),
    413,
    'file_too_large',
  );
  await assertRefused(
    await admin.upload(`/people/${personId}/samples`, { file: image('huge.jpg', huge) }),
    413,
    'file_too_large',
  );

  // Enrolment reports each bad photo with its reason and stores none of them.
  const report = await admin.upload('/enroll', {
    name: 'Nobody',
    file: cases.filter(([n]) => n !== 'huge.jpg').map(([name, bytes]) => image(name, bytes)),
  });
  assert.equal(report.status, 200);
  assert.deepEqual(report.body.accepted, []);
  assert.equal(report.body.person, null, 'no person was created');
  assert.deepEqual(
    report.body.rejected.map((r: { reason: string }) => r.reason),
    ['empty_file', 'unsupported_format', 'image_too_large', 'corrupt_image'],
  );
  const compare = await admin.upload('/compare', {
    a: image('empty.jpg', Buffer.alloc(0)),
    b: upload(facePath('scenes/obama.jpg')),
  });
  await assertRefused(compare, 400, 'empty_file');
  assert.deepEqual(await stored(), before);
});

test('malformed requests: wrong content type, bad JSON, too many files, unknown fields and routes', async () => {
  const before = await stored();
  await assertRefused(
    await admin.post('/recognize', { file: 'not multipart' }),
    415,
    'unsupported_media_type',
  );
  const badJson = await admin.request('POST', '/people', {
    headers: { 'content-type': 'application/json' },
    form: undefined,
    json: undefined,
  });
  assert.equal(badJson.status, 400);
  const truncated = await fetch(`${server.url}/api/v1/people`, {
    method: 'POST',
    headers: {
      cookie: admin.credentials.cookie!,
      'x-csrf-token': admin.credentials.csrfToken!,
      'content-type': 'application/json',
    },
    body: '{"name": "Half',
  });
  assert.equal(truncated.status, 400);
  assert.equal(((await truncated.json()) as { error: { code: string } }).error.code, 'invalid_json');
  await assertRefused(
    await admin.post('/people', { name: 'x'.repeat(2 * 1024 * 1024) }),
    413,
    'request_too_large',
  );
  await assertRefused(await admin.post('/people', { name: 'a'.repeat(101) }), 400, 'invalid_name');
  await assertRefused(await admin.post('/people', { note: 'no name' }), 400, 'invalid_request');
  const tiny = upload(galleryImages('people').get('raj')![0]!);
  await assertRefused(
    await admin.upload('/enroll', { name: 'Many', file: Array.from({ length: 51 }, () => tiny) }),
    413,
    'too_many_files',
  );
  await assertRefused(await admin.upload('/recognize', { photo: tiny }), 400, 'unexpected_field');
  await assertRefused(await admin.get('/no-such-route'), 404, 'not_found');
  await assertRefused(await admin.get('/people/0'), 400, 'invalid_request');
  assert.deepEqual(await stored(), before);
});

test('a name with HTML is stored verbatim and returned JSON-escaped', async () => {
  const name = '<script>alert(document.cookie)</script>';
  const res = await admin.upload('/enroll', {
    name,
    file: upload(galleryImages('people').get('penny')![0]!),
  });
  assert.equal(res.status, 200);
  assert.equal(res.body.person.name, name);
  assert.ok(!res.text.includes('<script>'));
  const listed = await admin.get(`/people/${res.body.person.id}`);
  assert.equal(listed.body.name, name);
  assert.ok(!listed.text.includes('<'));
  await admin.delete(`/people/${res.body.person.id}`);
});

test('missing or wrong API key, and a viewer key on write routes', async () => {
  const before = await stored();
  const photo = upload(galleryImages('people').get('raj')![2]!);
  const anonymous = server.anonymous;
  await assertRefused(await anonymous.upload('/recognize', { file: photo }), 401, 'unauthenticated');
  await assertRefused(await anonymous.post('/people', { name: 'Intruder' }), 401, 'unauthenticated');
  const wrong = new ApiClient(server.url, { apiKey: 'vsk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' });
  await assertRefused(await wrong.upload('/recognize', { file: photo }), 401, 'bad_api_key');
  await assertRefused(await wrong.post('/people', { name: 'Intruder' }), 401, 'bad_api_key');

  const viewer = await keyClient(admin, 'viewer');
  await assertRefused(await viewer.post('/people', { name: 'Intruder' }), 403, 'forbidden');
  await assertRefused(await viewer.upload(`/people/${personId}/samples`, { file: photo }), 403, 'forbidden');
  await assertRefused(await viewer.upload('/enroll', { name: 'Intruder', file: photo }), 403, 'forbidden');
  await assertRefused(await viewer.patch(`/people/${personId}`, { name: 'Renamed' }), 403, 'forbidden');
  await assertRefused(await viewer.delete(`/people/${personId}`), 403, 'forbidden');
  await assertRefused(await viewer.post('/api-keys', { name: 'escalate', role: 'admin' }), 403, 'forbidden');
  assert.deepEqual(await stored(), before);
  assert.equal((await admin.get(`/people/${personId}`)).body.name, 'raj');
});
