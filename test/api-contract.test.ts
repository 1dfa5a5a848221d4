// The API contract (src/api) is the one definition of every shape the server and the web app exchange.
// This fails when they disagree:
// - src/api stays a leaf the browser can bundle (no node:, no Visage imports);
// - web/src holds no hand-written copy of a contract shape (no lib/types.ts, no interface or object type
//   with a contract type's name or with the same fields as a contract object), and of src/ imports only
//   src/api;
// - the served OpenAPI document is the contract: every operation is a ROUTES entry and back, every JSON
//   answer is a `$ref` to the contract's named schema, every component equals its contract schema, and
//   bodies and query parameters are the contract's;
// - real answers of a running server — JSON, the live WebSocket's messages and the server-sent events —
//   validate against the contract's schemas, whose objects are closed (additionalProperties: false);
// - and, at compile time (tsc -p .), the service's result types are assignable to the contract's.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import AjvCompiler from '@fastify/ajv-compiler';
import sharp from 'sharp';
import WebSocket from 'ws';
import { facePath } from '../bench/dataset.js';
import * as api from '../src/api/index.js';
import { NAMED_SCHEMAS, ROUTES, type Answer, type RouteKey } from '../src/api/index.js';
import type { EnrollReport as ServiceEnrollReport } from '../src/service/enroll/enrollment.js';
import type {
  CorrectionReport as ServiceCorrection,
  UndoReport as ServiceUndo,
} from '../src/service/enroll/corrections.js';
import type { ImportFolderReport } from '../src/service/enroll/bulk-import.js';
import type { ImportJobView } from '../src/service/enroll/import-jobs.js';
import AdmZip from 'adm-zip';
import type { RecognizedFace as ServiceRecognizedFace } from '../src/service/recognize/photos.js';
import type { Candidate as ServiceCandidate } from '../src/service/recognize/recognizer.js';
import type { FaceJson } from '../src/service/json.js';
import type { CameraView } from '../src/service/video/cameras.js';
import type { JobView } from '../src/service/video/video-jobs.js';
import type { TrackJson } from '../src/service/video/video-results.js';
import type { LiveEvent, LiveStateChange } from '../src/service/video/video-live.js';
import type { EventJson, PersonView, SampleJson } from '../src/service/people/people.js';
import {
  keyClient,
  readEvents,
  sessionCookie,
  startServer,
  upload,
  type ApiClient,
  type Reply,
  type TestServer,
} from './support/server.js';

// ---- compile time: the service returns the contract's shapes ----

type Assignable<From, To> = [From] extends [To] ? true : false;
const serviceReturnsTheContract: true[] = [
  true satisfies Assignable<PersonView, api.Person>,
  true satisfies Assignable<SampleJson, api.Sample>,
  true satisfies Assignable<EventJson, api.Event>,
  true satisfies Assignable<FaceJson, api.DetectedFace>,
  true satisfies Assignable<ServiceCandidate, api.Candidate>,
  true satisfies Assignable<ServiceRecognizedFace, api.RecognizedFace>,
  true satisfies Assignable<ServiceEnrollReport, api.EnrollReport>,
  true satisfies Assignable<ServiceCorrection, api.CorrectionReport>,
  true satisfies Assignable<ServiceUndo, api.UndoReport>,
  true satisfies Assignable<ImportFolderReport, api.ImportReport>,
  true satisfies Assignable<ImportJobView, api.ImportJob>,
  true satisfies Assignable<TrackJson, api.Track>,
  true satisfies Assignable<JobView, api.VideoJob>,
  true satisfies Assignable<CameraView, api.Camera>,
  true satisfies Assignable<LiveStateChange, api.CameraStateChange>,
  true satisfies Assignable<LiveEvent, api.CameraFaceEvent>,
];

const ROOT = path.resolve(import.meta.dirname, '..');
const API_DIR = path.join(ROOT, 'src/api');
const WEB_SRC = path.join(ROOT, 'web/src');

function filesUnder(dir: string, pattern: RegExp): string[] {
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => pattern.test(f))
    .map((f) => path.join(dir, f));
}

/** The (top-level) property names of every object schema in the contract, named or nested. */
function contractObjects(): { name: string; keys: string[] }[] {
  const found: { name: string; keys: string[] }[] = [];
  const seen = new Set<unknown>();
  const walk = (name: string, s: unknown) => {
    if (typeof s !== 'object' || s === null || seen.has(s)) return;
    seen.add(s);
    const schema = s as Record<string, unknown>;
    if (schema.type === 'object' && schema.properties) {
      found.push({ name, keys: Object.keys(schema.properties as object).sort() });
    }
    for (const [k, v] of Object.entries(schema)) walk(`${name}.${k}`, v);
  };
  for (const [name, value] of Object.entries(api)) walk(name, value);
  return found;
}

test('src/api is a leaf the browser can bundle: it imports only itself and TypeBox', () => {
  for (const file of filesUnder(API_DIR, /\.ts$/)) {
    const source = fs.readFileSync(file, 'utf8');
    for (const [, spec] of source.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+'([^']+)'/g)) {
      assert.ok(
        spec!.startsWith('./') || spec === '@sinclair/typebox',
        `${path.relative(ROOT, file)} imports ${spec}: the contract may import only ./… and @sinclair/typebox`,
      );
    }
  }
});

test('web/src keeps no copy of a contract shape and imports of src/ only the contract', () => {
  assert.ok(
    !fs.existsSync(path.join(WEB_SRC, 'lib/types.ts')),
    'web/src/lib/types.ts is back: import src/api',
  );
  const contractNames = new Set(
    filesUnder(API_DIR, /\.ts$/).flatMap((f) =>
      [...fs.readFileSync(f, 'utf8').matchAll(/export (?:const|type|interface) (\w+)/g)].map((m) => m[1]!),
    ),
  );
  const objects = contractObjects().filter((o) => o.keys.length >= 2);
  const problems: string[] = [];
  for (const file of filesUnder(WEB_SRC, /\.tsx?$/)) {
    const rel = path.relative(ROOT, file);
    const source = fs.readFileSync(file, 'utf8');
    for (const [, spec] of source.matchAll(/from\s+'([^']+)'/g)) {
      const target = path.resolve(path.dirname(file), spec!);
      if (spec!.startsWith('.') && target.startsWith(path.join(ROOT, 'src') + path.sep)) {
        if (!target.startsWith(API_DIR + path.sep) && target !== API_DIR)
          problems.push(`${rel} imports ${spec} (only src/api is shared with the browser)`);
      }
    }
    // interface X { … } and type X = { … }: a name of the contract, or the same fields as a contract object.
    for (const m of source.matchAll(
      /(?:interface\s+(\w+)(?:<[^>]*>)?(?:\s+extends[^{]*)?|type\s+(\w+)(?:<[^>]*>)?\s*=)\s*\{/g,
    )) {
      const name = (m[1] ?? m[2])!;
      if (contractNames.has(name))
        problems.push(`${rel} declares ${name}, a contract type: import it from src/api`);
      const keys = topLevelKeys(source, m.index + m[0].length);
      const twin = objects.find(
        (o) => o.keys.length === keys.length && o.keys.every((k, i) => k === keys[i]),
      );
      if (twin && keys.length >= 2)
        problems.push(
          `${rel} declares ${name} with the fields of the contract's ${twin.name}: import it from src/api`,
        );
    }
  }
  assert.deepEqual(problems, []);
});

/** The property names at the top level of the `{ … }` body starting at `from` (just after the brace). */
function topLevelKeys(source: string, from: number): string[] {
  const keys: string[] = [];
  let depth = 0;
  let token = '';
  for (let i = from; i < source.length; i++) {
    const c = source[i]!;
    if (c === '{' || c === '(' || c === '[' || c === '<') depth++;
    else if (c === '}' || c === ')' || c === ']' || c === '>') {
      if (depth === 0) break;
      depth--;
    } else if (depth === 0 && (c === ':' || c === '?')) {
      const key = /(\w+)\s*$/.exec(token)?.[1];
      if (key && !/\/\//.test(token.split('\n').at(-1) ?? '')) keys.push(key);
      token = '';
      // skip the type up to the end of this member
      while (i + 1 < source.length && source[i + 1] !== ';' && source[i + 1] !== '\n') {
        const d = source[i + 1]!;
        if ('{([<'.includes(d)) break;
        i++;
      }
      continue;
    } else if (depth === 0 && (c === ';' || c === '\n' || c === ',')) token = '';
    if (depth === 0 && c !== ':' && c !== '?') token += c;
  }
  return [...new Set(keys)].sort();
}

// ---- the served document and real answers ----

let server: TestServer;
let admin: ApiClient;
let viewer: ApiClient;
let apiKey: string;
let document: {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
};
interface Operation {
  parameters?: { in: string; name: string; required: boolean; schema: unknown; description?: string }[];
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
}

/**
 * Fastify's own validator (Ajv 8 with its formats and its reading of `nullable`), with the named schemas
 * for `$ref`; but strict: nothing removed, coerced or defaulted, so a field too many or missing fails.
 */
const compile = AjvCompiler()(Object.fromEntries(NAMED_SCHEMAS.map((s) => [s.$id, json(s)])), {
  customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: true },
});
type Validate = ReturnType<typeof compile>;
const validators = new Map<unknown, Validate>();

/** The schema as JSON (TypeBox's symbol keys gone). */
function json(schema: unknown): Record<string, unknown> {
  return JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
}

/** The schema with `$ref: 'X#'` written the way the OpenAPI document does: '#/components/schemas/X'. */
function asDocumented(schema: unknown): unknown {
  return JSON.parse(JSON.stringify(schema), (key, value: unknown) =>
    key === '$ref' && typeof value === 'string' ? `#/components/schemas/${value.replace(/#$/, '')}` : value,
  );
}

function validate(schema: api.TSchema, value: unknown, what: string): void {
  const v = validators.get(schema) ?? compile({ schema: json(schema) });
  validators.set(schema, v);
  assert.ok(
    v(value),
    `${what} does not match the contract: ${JSON.stringify(v.errors)}\n${JSON.stringify(value).slice(0, 600)}`,
  );
}

const checked = new Set<string>();

/** Checks a reply against the contract entry of `route`: its status is listed and its body matches. */
function check<T>(route: RouteKey, reply: Reply<T>): Reply<T> {
  const answers = ROUTES[route].response as Partial<Record<number, Answer>>;
  if (reply.status >= 400) {
    validate(api.ErrorBody, reply.body, `${route} → ${reply.status}`);
    return reply;
  }
  const answer = answers[reply.status];
  assert.ok(
    answer,
    `${route} answered ${reply.status}, which the contract does not list: ${reply.text.slice(0, 300)}`,
  );
  if (!('kind' in answer)) validate(answer, reply.body, `${route} → ${reply.status}`);
  checked.add(route);
  return reply;
}

before(async () => {
  server = await startServer(import.meta.filename);
  const res = await fetch(`${server.url}/api/v1/openapi.json`);
  document = (await res.json()) as typeof document;
  const setup = check(
    'POST /setup',
    await server.anonymous.post('/setup', { password: 'first-admin-password' }),
  );
  admin = server.anonymous.with({ cookie: sessionCookie(setup.headers), csrfToken: setup.body.csrfToken });
  viewer = await keyClient(admin, 'viewer');
  apiKey = viewer.credentials.apiKey!;
});
after(() => server?.close());

const routeKey = (method: string, p: string) =>
  `${method.toUpperCase()} ${p.replace(/^\/api\/v1/, '').replace(/\{(\w+)\}/g, ':$1')}` as RouteKey;

test('the OpenAPI document lists exactly the contract routes', () => {
  const documented = Object.entries(document.paths).flatMap(([p, ops]) =>
    Object.keys(ops)
      .filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
      .map((m) => routeKey(m, p)),
  );
  assert.deepEqual([...documented].sort(), Object.keys(ROUTES).sort());
});

test("every component of the document is the contract's named schema, and every JSON answer refers to one", () => {
  const named = new Map(NAMED_SCHEMAS.map((s) => [s.$id, s]));
  assert.deepEqual(Object.keys(document.components.schemas).sort(), [...named.keys()].sort());
  for (const [id, component] of Object.entries(document.components.schemas)) {
    const schema = json(named.get(id));
    delete schema.$id;
    assert.deepEqual(component, asDocumented(schema), `component ${id}`);
  }
  for (const [p, ops] of Object.entries(document.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const route = routeKey(method, p);
      const contract = ROUTES[route] as {
        response: Partial<Record<string, Answer>>;
        body?: unknown;
        querystring?: { properties: Record<string, unknown>; required?: string[] };
        params?: { properties: Record<string, unknown> };
      };
      for (const [status, response] of Object.entries(op.responses)) {
        const documented = response.content?.['application/json']?.schema;
        if (/^[45]XX$/.test(status)) {
          assert.deepEqual(documented, { $ref: '#/components/schemas/Error' }, `${route} ${status}`);
          continue;
        }
        const answer = contract.response[status];
        assert.ok(answer, `${route} documents ${status}, the contract does not`);
        if (!('kind' in answer))
          assert.deepEqual(documented, { $ref: `#/components/schemas/${answer.$id}` }, `${route} ${status}`);
        else assert.notEqual(answer.kind, undefined);
      }
      const body = op.requestBody?.content['application/json']?.schema;
      if (contract.body) assert.deepEqual(body, asDocumented(contract.body), `${route} body`);
      for (const param of op.parameters ?? []) {
        const source =
          param.in === 'query' ? contract.querystring : param.in === 'path' ? contract.params : undefined;
        const expected = source?.properties[param.name] as { description?: string } | undefined;
        assert.ok(expected, `${route} documents ${param.in} parameter ${param.name}, the contract does not`);
        const schema = json(expected);
        assert.equal(param.description, schema.description, `${route} ${param.name} description`);
        delete schema.description;
        assert.deepEqual(param.schema, asDocumented(schema), `${route} ${param.name}`);
      }
    }
  }
});

test('real answers of the server match the contract (closed objects, nullable fields, enums)', async () => {
  const anonymous = server.anonymous;
  check('GET /setup', await anonymous.get('/setup'));
  check('GET /session', await admin.get('/session'));
  check('GET /session', await viewer.get('/session'));
  check(
    'POST /session',
    await anonymous.post('/session', { username: 'admin', password: 'first-admin-password' }),
  );
  check(
    'POST /users',
    await admin.post('/users', { username: 'olga', password: 'olga-password-1', role: 'viewer' }),
  );
  check('GET /users', await admin.get('/users'));
  check('POST /api-keys', await admin.post('/api-keys', { name: 'contract', role: 'admin' }));
  check('GET /api-keys', await admin.get('/api-keys'));

  const obama = upload(facePath('knn/train/obama/obama.jpg'), 'image/jpeg');
  const obama2 = upload(facePath('scenes/obama2.jpg'), 'image/jpeg');
  const enrolled = check(
    'POST /enroll',
    await admin.upload('/enroll', { name: 'Barack Obama', file: obama }),
  );
  const personId: number = enrolled.body.person.id;
  check('POST /people', await admin.post('/people', { name: 'Someone Else', note: 'to merge' }));
  const other = check('POST /people', await admin.post('/people', { name: 'Third Person' }));
  check('GET /people', await viewer.get('/people?search=o'));
  check('GET /people/:id', await viewer.get(`/people/${personId}`));
  check('PATCH /people/:id', await admin.patch(`/people/${personId}`, { note: 'president' }));
  check('GET /people/:id', await viewer.get('/people/999999')); // the error envelope

  check('POST /detect', await viewer.upload('/detect', { file: upload(facePath('scenes/two_people.jpg')) }));
  const recognized = check('POST /recognize', await viewer.upload('/recognize', { file: obama2 }));
  check('POST /recognize', await viewer.upload('/recognize?events=false', { file: obama2 }));
  check('POST /compare', await viewer.upload('/compare', { a: obama, b: obama2 }));
  check('POST /faces/crops', await viewer.upload('/faces/crops', { file: obama2 }));

  check('GET /events', await viewer.get('/events?limit=5'));
  const eventId: number = recognized.body.faces[0].eventId;
  check('POST /events/:id/correct', await admin.post(`/events/${eventId}/correct`, { not: 'Barack Obama' }));
  check('DELETE /events/:id/corrections', await admin.delete(`/events/${eventId}/corrections`));
  check(
    'POST /events/:id/correct',
    await admin.post(`/events/${eventId}/correct`, { is: 'Barack Obama', force: true }),
  );

  check('POST /people/:id/samples', await admin.upload(`/people/${personId}/samples`, { file: obama2 }));
  const detail = check('GET /people/:id', await viewer.get(`/people/${personId}`));
  const sampleId: number = detail.body.samples[0].id;
  check('POST /samples/:id/move', await admin.post(`/samples/${sampleId}/move`, { personId: other.body.id }));
  check('POST /people/:id/merge', await admin.post(`/people/${other.body.id}/merge`, { intoId: personId }));
  // The same photo under another name (forced): a look-alike warning, and a pair in the list.
  const twin = check('POST /enroll', await admin.upload('/enroll?force=true', { name: 'Twin', file: obama }));
  assert.equal(twin.body.lookalikes[0]?.personId, personId, JSON.stringify(twin.body));
  const lookalikes = check('GET /people/lookalikes', await viewer.get('/people/lookalikes'));
  assert.equal(lookalikes.body.items.length, 1, JSON.stringify(lookalikes.body));

  // A bulk import of one person folder, as a zip: followed to the end, then cancelled (a no-op by then).
  const zip = new AdmZip();
  zip.addLocalFolder(facePath('people/amy'), 'people/amy');
  const zipFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'visage-contract-')), 'people.zip');
  zip.writeZip(zipFile);
  const started = check('POST /imports', await admin.upload('/imports', { file: upload(zipFile) }));
  let job = started;
  for (let i = 0; i < 200 && ['queued', 'running'].includes(job.body.state); i++) {
    await new Promise((r) => setTimeout(r, 100));
    job = check('GET /imports/:id', await admin.get(`/imports/${started.body.id}`));
  }
  assert.equal(job.body.state, 'done', JSON.stringify(job.body));
  check('GET /imports/:id', job);
  check('POST /imports/:id/cancel', await admin.post(`/imports/${started.body.id}/cancel`, {}));
  fs.rmSync(path.dirname(zipFile), { recursive: true, force: true });

  const camera = check(
    'POST /cameras',
    await admin.post('/cameras', { name: 'door', url: 'rtsp://192.0.2.10:9/none' }),
  );
  check('GET /cameras', await viewer.get('/cameras'));
  const strict = check(
    'PATCH /cameras/:id',
    await admin.patch(`/cameras/${camera.body.id}`, { level: 'strict' }),
  );
  assert.equal(strict.body.level, 'strict');
  check('POST /cameras/:id/start', await admin.post(`/cameras/${camera.body.id}/start`));
  check('POST /cameras/:id/stop', await admin.post(`/cameras/${camera.body.id}/stop`));
  const [first] = await readEvents(viewer, `/cameras/${camera.body.id}/events`, () => true, 10_000);
  assert.equal(first?.event, 'camera');
  validate(api.CameraStreamEvents.camera, first.data, 'the camera stream’s first event');
  checked.add('GET /cameras/:id/events');

  const accepted = check(
    'POST /videos',
    await viewer.upload('/videos', { file: upload(facePath('video/faceapi_test.mp4'), 'video/mp4') }),
  );
  const jobEvents = await readEvents(viewer, `/videos/${accepted.body.id}/progress`);
  assert.ok(jobEvents.length >= 1);
  for (const e of jobEvents) {
    assert.equal(e.event, 'job');
    validate(api.VideoStreamEvents.job, e.data, 'a video progress event');
  }
  assert.equal(jobEvents.at(-1)!.data.state, 'done', JSON.stringify(jobEvents.at(-1)!.data.error));
  checked.add('GET /videos/:id/progress');
  check('GET /videos/:id', await viewer.get(`/videos/${accepted.body.id}`));

  // The queue: the video job among all jobs; a re-clustering run by this node; a reindex left for a
  // worker (serve nodes do not take reindex), cancelled.
  check('GET /jobs', await admin.get('/jobs'));
  check('GET /jobs/:id', await admin.get(`/jobs/${accepted.body.id}`));
  const recluster = check('POST /jobs/recluster', await admin.post('/jobs/recluster', {}));
  const reindex = check('POST /jobs/reindex', await admin.post('/jobs/reindex', { all: true }));
  assert.equal(
    check('POST /jobs/:id/cancel', await admin.post(`/jobs/${reindex.body.id}/cancel`, {})).body.state,
    'cancelled',
  );
  let reclustered = recluster;
  for (let i = 0; i < 200 && ['queued', 'running'].includes(reclustered.body.state); i++) {
    await new Promise((r) => setTimeout(r, 100));
    reclustered = check('GET /jobs/:id', await admin.get(`/jobs/${recluster.body.id}`));
  }
  assert.equal(reclustered.body.state, 'done', JSON.stringify(reclustered.body));
});

test('the live WebSocket answers with LiveMessage: frames with `dropped`, errors without faces', async () => {
  const frame = await sharp(facePath('scenes/obama2.jpg'))
    .resize(640, 480, { fit: 'cover' })
    .jpeg()
    .toBuffer();
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/api/v1/live?key=${apiKey}`);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const messages: unknown[] = [];
  ws.on('message', (m) => messages.push(JSON.parse(String(m))));
  ws.send(frame);
  ws.send('not a frame');
  for (let i = 0; i < 800 && messages.length < 2; i++) await new Promise((r) => setTimeout(r, 25));
  ws.close();
  assert.equal(messages.length, 2, JSON.stringify(messages));
  for (const m of messages) validate(api.LiveMessage, m, 'a live message');
  const answer = messages.find((m) => (m as { faces?: unknown }).faces) as api.LiveFrame;
  assert.ok(answer && answer.dropped === 0 && answer.faces.length >= 1);
  checked.add('GET /live');
});

test('the checks above would catch drift: a field the contract does not have fails', () => {
  const answer = { frame: 1, faces: [], ms: 3, dropped: 0, level: 'balanced' };
  validate(api.LiveMessage, answer, 'a live frame');
  // What the web app used to expect: width and height, which the server never sends.
  const v = compile({ schema: json(api.LiveFrame) });
  assert.equal(v({ ...answer, width: 640, height: 480 }), false);
  assert.equal(v({ frame: 1, faces: [], ms: 3 }), false, 'dropped is required');
  assert.equal(serviceReturnsTheContract.length, 16);
});

test('integrations answers match the contract: status, settings, webhooks, deliveries', async () => {
  // No broker listens on port 9 and nothing is sent to the webhook (disabled): answers only.
  check('GET /integrations', await admin.get('/integrations'));
  check(
    'PUT /integrations/mqtt',
    await admin.request('PUT', '/integrations/mqtt', { json: { url: 'mqtt://127.0.0.1:9' } }),
  );
  check(
    'PUT /integrations/frigate',
    await admin.request('PUT', '/integrations/frigate', { json: { url: 'http://127.0.0.1:9' } }),
  );
  check('GET /integrations', await admin.get('/integrations'));
  check('GET /integrations/settings', await admin.get('/integrations/settings'));
  check('DELETE /integrations/frigate', await admin.delete('/integrations/frigate'));
  check('DELETE /integrations/mqtt', await admin.delete('/integrations/mqtt'));
  const allow = process.env.VISAGE_CAMERA_ALLOW;
  process.env.VISAGE_CAMERA_ALLOW = '127.0.0.1';
  try {
    const created = check(
      'POST /webhooks',
      await admin.post('/webhooks', { url: 'http://127.0.0.1:9/hook', enabled: false }),
    );
    const id = created.body.webhook.id;
    check('PATCH /webhooks/:id', await admin.patch(`/webhooks/${id}`, { people: ['ada'] }));
    check('GET /webhooks', await admin.get('/webhooks'));
    // A dead letter as the sender leaves one, for the answers that list and resend it.
    const eventId = server.context.visage.gallery.events.list({ limit: 1 })[0]!.id;
    const delivery = server.context.visage.gallery.db
      .prepare(
        `INSERT INTO webhook_deliveries (webhook_id, event_id, payload, state, attempts, last_status, last_error, created_at, finished_at)
           VALUES (?, ?, '{}', 'dead', 6, 500, 'HTTP 500', ?, ?)`,
      )
      .run(id, eventId, Date.now(), Date.now()).lastInsertRowid;
    check('GET /webhooks/:id/deliveries', await admin.get(`/webhooks/${id}/deliveries`));
    check('GET /webhooks/dead-letters', await admin.get('/webhooks/dead-letters'));
    check('POST /webhooks/deliveries/:id/retry', await admin.post(`/webhooks/deliveries/${delivery}/retry`));
    check('DELETE /webhooks/:id', await admin.delete(`/webhooks/${id}`));
  } finally {
    if (allow === undefined) delete process.env.VISAGE_CAMERA_ALLOW;
    else process.env.VISAGE_CAMERA_ALLOW = allow;
  }
});

test('privacy answers match the contract: settings, a retention run, a forget', async () => {
  check('GET /privacy', await viewer.get('/privacy'));
  check('PATCH /privacy', await admin.patch('/privacy', { unknownDays: null }));
  check('POST /privacy/retention/run', await admin.post('/privacy/retention/run'));
  const person = await admin.post('/people', { name: 'Forget Me' });
  check('POST /people/:id/forget', await admin.post(`/people/${person.body.id}/forget`));
});

test('unknown-face clusters and event sources match the contract', async () => {
  for (const scene of ['bbt3.jpg', 'bbt4.jpg', 'bbt5.jpg'])
    await viewer.upload('/recognize', { file: upload(facePath(`scenes/${scene}`), 'image/jpeg') });
  check('GET /events/sources', await viewer.get('/events/sources'));
  check('GET /unknowns', await viewer.get('/unknowns'));
  const [a, b] = check('GET /unknowns', await viewer.get('/unknowns?all=true')).body.items;
  const face = check('GET /unknowns/:id', await viewer.get(`/unknowns/${a.id}`)).body.members[0].eventId;
  const alone = check(
    'POST /unknowns/:id/split',
    await admin.post(`/unknowns/${a.id}/split`, { eventId: face }),
  );
  check('POST /unknowns/:id/merge', await admin.post(`/unknowns/${alone.body.id}/merge`, { intoId: a.id }));
  check('POST /unknowns/:id/dismiss', await admin.post(`/unknowns/${b.id}/dismiss`));
  check('POST /unknowns/:id/restore', await admin.post(`/unknowns/${b.id}/restore`));
  check('POST /unknowns/recluster', await admin.post('/unknowns/recluster'));
  const [c] = (await viewer.get('/unknowns?all=true')).body.items;
  check('POST /unknowns/:id/name', await admin.post(`/unknowns/${c.id}/name`, { name: 'Contract Unknown' }));
});

test('every contract route with a JSON answer or a stream was checked against a real answer', () => {
  const untested = (Object.keys(ROUTES) as RouteKey[]).filter((route) => {
    const answers = Object.values(ROUTES[route].response) as Answer[];
    const json = answers.some((a) => !('kind' in a) || a.kind === 'events' || a.kind === 'socket');
    return json && !checked.has(route);
  });
  assert.deepEqual(untested, []);
});
