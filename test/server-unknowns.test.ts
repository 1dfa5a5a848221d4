// Issue 10 over HTTP: unknown faces of the BBT scenes (recognised with an empty gallery) become clusters
// to review — list, show, split, merge, dismiss, restore, re-cluster, name through enrolment's checks —
// and History's filters (person, source, date range), its filtered CSV, its sources, and no duplicate
// events when the same image is recognised again.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { facePath, inLabelOrder, loadLabels } from '../bench/dataset.js';
import {
  errorCode,
  keyClient,
  setUpAdmin,
  startServer,
  upload,
  type ApiClient,
  type Json,
  type TestServer,
} from './support/server.js';

const labels = loadLabels();
const BBT = ['bbt1.jpg', 'bbt2.jpg', 'bbt3.jpg', 'bbt4.jpg', 'bbt5.jpg'];
let server: TestServer;
let admin: ApiClient;
let viewer: ApiClient;
/** Event id → who the scene's labels say it shows. */
const truth = new Map<number, string>();
let startedAt: string;

before(async () => {
  server = await startServer(import.meta.filename);
  admin = await setUpAdmin(server);
  viewer = await keyClient(admin, 'viewer');
  startedAt = new Date(Date.now() - 1000).toISOString();
  for (const scene of BBT) {
    const r = await viewer.upload('/recognize', { file: upload(facePath(`scenes/${scene}`), 'image/jpeg') });
    assert.equal(r.status, 200, r.text);
    const listed = labels.scenes[`scenes/${scene}`]!.faces;
    inLabelOrder(r.body.faces as { box: Json; eventId: number }[], listed.length).listed.forEach((f, i) =>
      truth.set(f.eventId, listed[i]!),
    );
  }
});

after(() => server?.close());

test('recognising the same image again adds no events; History lists its sources', async () => {
  const before = (await viewer.get('/events?limit=1')).body.total;
  const again = await viewer.upload('/recognize', {
    file: upload(facePath('scenes/bbt3.jpg'), 'image/jpeg'),
  });
  assert.equal(again.status, 200);
  assert.equal((await viewer.get('/events?limit=1')).body.total, before, 'no duplicate events');
  for (const f of again.body.faces) assert.ok(truth.has(f.eventId) || typeof f.eventId === 'number');
  const sources = await viewer.get('/events/sources');
  assert.equal(sources.status, 200);
  const bbt4 = sources.body.items.find((s: Json) => s.source === 'bbt4.jpg');
  assert.equal(bbt4?.events, 6);
});

test('History filters by source and date range, and the CSV holds what is filtered', async () => {
  const bySource = await viewer.get('/events?source=bbt4.jpg');
  assert.equal(bySource.body.total, 6);
  const future = new Date(Date.now() + 3600_000).toISOString();
  assert.equal((await viewer.get(`/events?from=${encodeURIComponent(future)}`)).body.total, 0);
  const inRange = await viewer.get(
    `/events?source=bbt4.jpg&from=${encodeURIComponent(startedAt)}&to=${encodeURIComponent(future)}`,
  );
  assert.equal(inRange.body.total, 6);
  const csv = await viewer.get('/events.csv?source=bbt4.jpg&unknown=true');
  assert.equal(csv.status, 200);
  assert.equal(csv.text.trim().split(/\r?\n/).length, 1 + 6, 'header + the 6 filtered rows');
});

test('clusters: numbered, one person each, with covers and previews', async () => {
  const list = await viewer.get('/unknowns');
  assert.equal(list.status, 200);
  assert.ok(list.body.items.length >= 3, JSON.stringify(list.body.items.map((c: Json) => c.number)));
  for (const c of list.body.items) {
    assert.ok(c.number >= 1 && c.faces >= 3 && c.status === 'open');
    assert.ok(c.previewEventIds.includes(c.coverEventId));
    const details = await viewer.get(`/unknowns/${c.id}`);
    const people = new Set(details.body.members.map((m: Json) => truth.get(m.eventId)));
    assert.equal(people.size, 1, `Unknown #${c.number}: ${[...people]}`);
  }
  const all = await viewer.get('/unknowns?all=true');
  assert.ok(all.body.items.length > list.body.items.length, 'small clusters are listed with all=true');
  assert.equal(errorCode(await viewer.get('/unknowns/99999')), 'cluster_not_found');
  assert.equal((await viewer.post(`/unknowns/${list.body.items[0].id}/dismiss`)).status, 403);
});

test('split, merge, dismiss, restore and re-cluster', async () => {
  const [a, b] = (await viewer.get('/unknowns')).body.items;
  const face = (await viewer.get(`/unknowns/${a.id}`)).body.members[0].eventId;
  const split = await admin.post(`/unknowns/${a.id}/split`, { eventId: face });
  assert.equal(split.status, 200, split.text);
  assert.equal(split.body.faces, 1);
  const merged = await admin.post(`/unknowns/${split.body.id}/merge`, { intoId: a.id });
  assert.equal(merged.status, 200, merged.text);
  assert.equal(merged.body.faces, a.faces);
  assert.equal(
    errorCode(await admin.post(`/unknowns/${a.id}/split`, { eventId: 99999 })),
    'event_not_in_cluster',
  );
  assert.equal((await admin.post(`/unknowns/${b.id}/dismiss`)).body.status, 'dismissed');
  assert.ok(!(await viewer.get('/unknowns')).body.items.some((c: Json) => c.id === b.id));
  assert.equal((await admin.post(`/unknowns/${b.id}/restore`)).body.status, 'open');
  const re = await admin.post('/unknowns/recluster');
  assert.equal(re.status, 200, re.text);
  assert.ok(re.body.faces >= 20 && re.body.clusters >= 3, re.text);
  const numbers = (await viewer.get('/unknowns')).body.items.map((c: Json) => c.number);
  assert.ok(numbers.includes(a.number) && numbers.includes(b.number), `${numbers}`);
});

test('naming a cluster enrols its faces with per-face reasons and corrects their events', async () => {
  const [c] = (await viewer.get('/unknowns')).body.items;
  const members = (await viewer.get(`/unknowns/${c.id}`)).body.members.map((m: Json) => m.eventId as number);
  const who = truth.get(members[0]!)!;
  assert.equal((await viewer.post(`/unknowns/${c.id}/name`, { name: who })).status, 403);
  const r = await admin.post(`/unknowns/${c.id}/name`, { name: who });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.person.name, who);
  assert.equal(r.body.accepted.length + r.body.rejected.length, members.length);
  assert.ok(r.body.accepted.length >= 1);
  const events = await viewer.get(`/events?personId=${r.body.person.id}`);
  assert.deepEqual(
    events.body.items.map((e: Json) => e.id).sort(),
    r.body.accepted.map((a: Json) => a.eventId).sort(),
  );
  const person = await viewer.get(`/people/${r.body.person.id}`);
  assert.equal(person.body.samples.length, r.body.accepted.length);
  // Filtered by person, the CSV has exactly those rows.
  const csv = await viewer.get(`/events.csv?personId=${r.body.person.id}`);
  assert.equal(csv.text.trim().split(/\r?\n/).length, 1 + r.body.accepted.length);
});
