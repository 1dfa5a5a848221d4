// Bulk import over HTTP (POST /imports): a zip of person folders runs the resumable folder import as a
// job — progress, a per-file report and a summary; a second upload of the same zip adds nothing; a
// hostile zip writes nothing outside the people it names; a non-zip is refused; viewers may not import.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import AdmZip from 'adm-zip';
import { facePath } from '../bench/dataset.js';
import {
  errorCode,
  keyClient,
  setUpAdmin,
  startServer,
  type ApiClient,
  type Json,
  type TestServer,
} from './support/server.js';
import { rawZip } from './support/archives.js';

let server: TestServer;
let admin: ApiClient;
let viewer: ApiClient;

before(async () => {
  server = await startServer(import.meta.filename);
  admin = await setUpAdmin(server);
  viewer = await keyClient(admin, 'viewer');
});
after(() => server.close());

function zipOf(entries: [string, Buffer][]): Buffer {
  const zip = new AdmZip();
  for (const [name, bytes] of entries) zip.addFile(name, bytes);
  return zip.toBuffer();
}

const photo = (p: string): Buffer => fs.readFileSync(facePath(p));

/** Uploads a zip and follows the job until it ends. */
async function importZip(name: string, bytes: Buffer): Promise<Json> {
  const started = await admin.upload('/imports', { file: { name, bytes, type: 'application/zip' } });
  assert.equal(started.status, 202, JSON.stringify(started.body));
  let job = started.body;
  for (let i = 0; i < 600 && ['queued', 'running'].includes(job.state); i++) {
    await new Promise((r) => setTimeout(r, 100));
    job = (await admin.get(`/imports/${started.body.id}`)).body;
  }
  return job;
}

test('a zip of person folders is imported as a job with a per-file report; the same zip again adds nothing', async () => {
  const files: [string, Buffer][] = ['amy', 'penny'].flatMap((p) =>
    [1, 2, 3].map((i): [string, Buffer] => [`people/${p}/${p}${i}.png`, photo(`people/${p}/${p}${i}.png`)]),
  );
  const job = await importZip('two.zip', zipOf(files));
  assert.equal(job.state, 'done', JSON.stringify(job));
  assert.deepEqual(
    [job.progress.files, job.progress.totalFiles, job.progress.people, job.progress.totalPeople],
    [6, 6, 2, 2],
  );
  assert.deepEqual(job.report.people.map((p: Json) => [p.name, p.accepted]).sort(), [
    ['amy', 3],
    ['penny', 3],
  ]);
  assert.ok(job.report.files.every((f: Json) => f.status === 'accepted' && f.sampleId > 0));
  const people = (await viewer.get('/people')).body.items.map((p: Json) => [p.name, p.samples]);
  assert.deepEqual(people.sort(), [
    ['amy', 3],
    ['penny', 3],
  ]);

  const again = await importZip('two.zip', zipOf(files));
  assert.equal(again.state, 'done');
  assert.ok(
    again.report.files.every((f: Json) => f.status === 'skipped'),
    JSON.stringify(again.report),
  );
  assert.equal((await viewer.get('/people')).body.total, 2);
});

test('a hostile zip: traversal, absolute and hidden entries are never written; a non-zip is refused', async () => {
  const job = await importZip(
    'hostile.zip',
    rawZip([
      ['../../evil/evil1.png', photo('people/raj/raj1.png')],
      ['/tmp/abs/abs1.png', photo('people/raj/raj2.png')],
      ['__MACOSX/raj/._raj3.png', Buffer.from('junk')],
      ['raj/raj3.png', photo('people/raj/raj3.png')],
    ]),
  );
  assert.equal(job.state, 'done', JSON.stringify(job));
  const names = (await viewer.get('/people')).body.items.map((p: Json) => p.name);
  assert.ok(names.includes('raj') && !names.includes('evil') && !names.includes('abs'), names.join());
  const raj = (await viewer.get('/people')).body.items.find((p: Json) => p.name === 'raj');
  assert.equal(raj.samples, 1);

  const text = await admin.upload('/imports', {
    file: { name: 'notes.zip', bytes: Buffer.from('not a zip at all'), type: 'application/zip' },
  });
  assert.equal(text.status, 400);
  assert.equal(errorCode(text), 'invalid_archive');
});

test('viewers may not import; cancelling a finished job keeps what it imported; unknown jobs are 404', async () => {
  const refused = await viewer.upload('/imports', {
    file: { name: 'x.zip', bytes: zipOf([['bob/a.png', photo('people/howard/howard1.png')]]) },
  });
  assert.equal(refused.status, 403);

  const job = await importZip(
    'howard.zip',
    zipOf([['howard/howard1.png', photo('people/howard/howard1.png')]]),
  );
  assert.equal(job.state, 'done');
  const cancelled = await admin.post(`/imports/${job.id}/cancel`, {});
  assert.equal(cancelled.status, 200);
  assert.equal(
    (await viewer.get('/people')).body.items.some((p: Json) => p.name === 'howard'),
    true,
  );
  assert.equal((await admin.get('/imports/00000000-0000-4000-8000-000000000000')).status, 404);
});
