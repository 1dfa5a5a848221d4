// Look-alikes over HTTP (issue 9, item 5): enrolling someone who looks like an enrolled person is
// accepted with a warning naming both, and GET /people/lookalikes lists such pairs, for viewers too.
// The pair: Sato_Amina and Takahashi_Minami, two AKB48 members of ../shared/faces/dev whose closest
// samples score 3.06 z (balanced threshold 2.809, see test/enroll-evidence.test.ts); Ben_Affleck is
// clearly different from both (below 0 z).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { facePath } from '../bench/dataset.js';
import type { EnrollReport, LookalikeList } from '../src/api/index.js';
import { CALIBRATIONS, DEFAULT_CALIBRATION } from '../src/service/recognize/decision.js';
import {
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
const balanced = CALIBRATIONS[DEFAULT_CALIBRATION]!.thresholds.balanced;

const PHOTOS = {
  Sato_Amina: ['30000_11.jpg', '30000_26.jpg'],
  Takahashi_Minami: ['30006_22.jpg', '30006_3.jpg'],
  Ben_Affleck: [
    'ben.jpg',
    'httpimagesfandangocomrImageRendererredesignstaticimgnoxportraitjpgpcpcpcimagesma.jpg',
  ],
};

before(async () => {
  server = await startServer(import.meta.filename);
  admin = await setUpAdmin(server);
  viewer = await keyClient(admin, 'viewer');
});
after(() => server.close());

async function enroll(name: keyof typeof PHOTOS): Promise<EnrollReport> {
  const res = await admin.upload('/enroll', {
    name,
    file: PHOTOS[name].map((f) => upload(facePath('dev', name, f), 'image/jpeg')),
  });
  assert.equal(res.status, 200, res.text);
  const report = res.body as EnrollReport;
  assert.equal(report.accepted.length, 2, JSON.stringify(report.rejected));
  assert.ok(report.accepted.every((a) => a.lowQuality === false));
  return report;
}

test('an empty gallery has no look-alikes; the list says which model and threshold', async () => {
  const res = await viewer.get('/people/lookalikes');
  assert.equal(res.status, 200);
  const list = res.body as LookalikeList;
  assert.deepEqual(list.items, []);
  assert.equal(list.calibration, DEFAULT_CALIBRATION);
  assert.equal(list.threshold, balanced);
  assert.equal((await server.anonymous.get('/people/lookalikes')).status, 401);
});

test('enrolling a look-alike warns naming both; the pair is listed, a clearly different person is not', async () => {
  assert.deepEqual((await enroll('Ben_Affleck')).lookalikes, []);
  const sato = await enroll('Sato_Amina');
  assert.deepEqual(sato.lookalikes, [], 'Ben_Affleck looks like neither');
  const takahashi = await enroll('Takahashi_Minami');
  assert.equal(takahashi.lookalikes.length, 1, JSON.stringify(takahashi.lookalikes));
  const warning = takahashi.lookalikes[0]!;
  assert.deepEqual(
    [takahashi.person!.name, warning.personId, warning.name],
    ['Takahashi_Minami', sato.person!.id, 'Sato_Amina'],
  );
  assert.ok(warning.evidence >= balanced && warning.evidence < balanced + 1, String(warning.evidence));
  assert.equal(warning.threshold, balanced);
  assert.ok(takahashi.accepted.some((a) => a.sampleId === warning.sampleId));
  assert.ok(sato.accepted.some((a) => a.sampleId === warning.lookalikeSampleId));

  const res = await viewer.get('/people/lookalikes');
  assert.equal(res.status, 200);
  const list = res.body as LookalikeList;
  assert.deepEqual(
    list.items.map((p) => [p.a.name, p.b.name]),
    [['Sato_Amina', 'Takahashi_Minami']],
  );
  assert.equal(list.items[0]!.evidence, warning.evidence);
  assert.deepEqual(
    [list.items[0]!.aSampleId, list.items[0]!.bSampleId],
    [warning.lookalikeSampleId, warning.sampleId],
  );
});
