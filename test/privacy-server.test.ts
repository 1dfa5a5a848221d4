// Privacy over HTTP: a person's data as an archive (an ordinary one: another gallery imports it), forget
// (admins only), the retention settings (read by anyone logged in, changed by admins) and the daily job
// the server starts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { facePath, galleryImages } from '../bench/dataset.js';
import { TarReader } from '../src/service/archive/tar.js';
import type { Manifest } from '../src/service/archive/validate.js';
import { Visage } from '../src/service/visage.js';
import { tempDir } from './support/cli.js';
import {
  errorCode,
  keyClient,
  setUpAdmin,
  startServer,
  upload,
  type ApiClient,
  type TestServer,
} from './support/server.js';

let server: TestServer;
let admin: ApiClient;
let viewer: ApiClient;
const people = galleryImages('people');

before(async () => {
  server = await startServer(import.meta.filename);
  admin = await setUpAdmin(server);
  viewer = await keyClient(admin, 'viewer');
});
after(() => server.close());

async function enrol(name: string, folder: string): Promise<number> {
  const files = people
    .get(folder)!
    .slice(0, 4)
    .map((f) => upload(f));
  const r = await admin.upload('/enroll', { name, file: files });
  assert.equal(r.status, 200, r.text);
  return r.body.person.id;
}

test('the server runs the retention job when it starts; anyone reads the settings, admins change them', async () => {
  let settings = (await viewer.get('/privacy')).body;
  for (let i = 0; i < 50 && settings.retentionRanAt === null; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    settings = (await viewer.get('/privacy')).body;
  }
  assert.equal(settings.eventDays, 90);
  assert.equal(settings.unknownDays, 30);
  assert.equal(settings.forgetAuditNames, false);
  assert.ok(settings.retentionRanAt, 'the job ran at start');

  assert.equal((await viewer.patch('/privacy', { eventDays: 7 })).status, 403);
  const bad = await admin.patch('/privacy', { eventDays: 0 });
  assert.equal(bad.status, 400);
  assert.equal(errorCode(bad), 'invalid_request');
  const changed = await admin.patch('/privacy', { eventDays: 365, unknownDays: null });
  assert.equal(changed.status, 200, changed.text);
  assert.deepEqual([changed.body.eventDays, changed.body.unknownDays], [365, null]);
  const run = await admin.post('/privacy/retention/run');
  assert.equal(run.status, 200, run.text);
  assert.deepEqual([run.body.events, run.body.unknown], [0, 0]);
  assert.equal((await admin.patch('/privacy', { eventDays: 90, unknownDays: 30 })).status, 200);
});

test("export a person's data as an archive another gallery imports; forget them (admins only)", async () => {
  const penny = await enrol('Penny', 'penny');
  const raj = await enrol('Raj', 'raj');
  const seen = await admin.upload('/recognize', { file: upload(people.get('penny')![4]!) });
  assert.equal(seen.body.faces[0].name, 'Penny', seen.text);
  const scene = await admin.upload('/recognize', { file: upload(facePath('scenes/bbt3.jpg')) });
  const rajSeen = scene.body.faces.find((f: { name: string | null }) => f.name === 'Raj');
  assert.ok(rajSeen, scene.text);
  // A correction against her made of Raj's face: hers to know about, not Raj's face to hand out.
  const not = await admin.post(`/events/${rajSeen.eventId}/correct`, { not: 'Penny' });
  assert.equal(not.status, 200, not.text);

  assert.equal((await viewer.get(`/people/${penny}/export`)).status, 403);
  const exported = await admin.get(`/people/${penny}/export`);
  assert.equal(exported.status, 200, exported.text);
  assert.equal(exported.headers.get('content-type'), 'application/x-tar');
  const file = path.join(tempDir('person-export'), 'penny.tar');
  fs.writeFileSync(file, exported.bytes);
  const tar = TarReader.open(file);
  const manifest = JSON.parse(tar.read('manifest.json').toString('utf8')) as Manifest;
  tar.close();
  assert.deepEqual(
    manifest.people.map((p) => [p.name, p.samples.length, p.samples.every((s) => s.crop !== null)]),
    [['Penny', 4, true]],
  );
  assert.ok(manifest.events.length >= 2, 'her photo and her face in the scene');
  assert.ok(manifest.events.every((e) => e.personId === penny && e.snapshot !== null));
  assert.deepEqual(
    [...new Set(manifest.audit!.map((a) => a.action))].sort(),
    ['person.enrol', 'person.negative'],
    "the audit entries about her, and nobody else's",
  );
  assert.ok(manifest.audit!.every((a) => a.details['personId'] === penny));
  assert.deepEqual(manifest.people[0]!.negatives, [], "the correction's vector is Raj's face: left out");

  const elsewhere = new Visage({ dataDir: tempDir('person-import') });
  try {
    const imported = await elsewhere.archives.import(file);
    assert.deepEqual(imported.people, { created: 1, merged: 0 });
    assert.equal(imported.samples.added, 4);
    assert.equal(imported.events.added, manifest.events.length);
  } finally {
    await elsewhere.close();
  }

  assert.equal((await viewer.post(`/people/${penny}/forget`)).status, 403);
  const forgot = await admin.post(`/people/${penny}/forget`);
  assert.equal(forgot.status, 200, forgot.text);
  assert.deepEqual(forgot.body.forgotten, { id: penny, name: 'Penny' });
  assert.equal(forgot.body.samples, 4);
  assert.equal(forgot.body.negatives, 1);
  assert.equal(forgot.body.events, manifest.events.length);
  assert.equal(forgot.body.walTruncated, true);
  assert.equal((await admin.get(`/people/${penny}`)).status, 404);
  assert.equal((await admin.post(`/people/${penny}/forget`)).status, 404);
  assert.equal((await admin.get(`/people/${raj}`)).body.samples.length, 4);
  const history = await admin.get(`/events?personId=${penny}`);
  assert.equal(history.body.total, 0);
  const again = await admin.upload('/recognize', { file: upload(people.get('penny')![4]!) });
  assert.equal(again.body.faces[0].name, null, 'she is a stranger now');
});
