// Jobs on workers (issue 12): a server started with --no-jobs queues an uploaded video and runs nothing;
// `visage worker` processes on the same store take it. A worker stopped with SIGTERM gives the job back; one
// killed with SIGKILL mid-job leaves its lease to run out, and the next worker takes the job over and
// finishes it, with every track stored once and the annotated copy served by the server from the store.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { facePath } from '../bench/dataset.js';
import { runCliJson, visageArgs } from './support/cli.js';
import { storeEnv } from './support/store.js';
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

let server: TestServer;
let admin: ApiClient;
const workers: ChildProcess[] = [];

before(async () => {
  server = await startServer(import.meta.filename, { runJobs: false });
  admin = await keyClient(await setUpAdmin(server), 'admin');
});
after(async () => {
  for (const w of workers) w.kill('SIGKILL');
  await server.close();
});

function startWorker(): ChildProcess {
  const child = spawn(
    process.execPath,
    visageArgs(['worker', '--data', server.dataDir, '--kinds', 'video']),
    {
      env: { ...process.env, ...storeEnv(server.dataDir) },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  workers.push(child);
  return child;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls the job through the server until `done` says so (or fails the test after `ms`). */
async function waitFor(id: string, done: (job: Json) => boolean, ms: number): Promise<Json> {
  const until = Date.now() + ms;
  for (;;) {
    const job = (await admin.get(`/videos/${id}`)).body;
    if (done(job)) return job;
    if (Date.now() > until) assert.fail(`job ${id} stayed ${JSON.stringify(job.state)}`);
    await sleep(50);
  }
}

/** The CLI run without blocking this process (whose own runner may be doing the work it waits for). */
function cliAsync(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, visageArgs(args), { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) =>
    child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code)),
  );

test(
  'a video queued by a --no-jobs server runs on a worker; SIGTERM gives it back, SIGKILL is taken over, tracks stored once',
  { timeout: 180_000 },
  async () => {
    const accepted = await admin.upload('/videos', {
      file: upload(facePath('video/faceapi_test.mp4'), 'video/mp4'),
    });
    assert.equal(accepted.status, 202);
    const id: string = accepted.body.id;
    await sleep(1500);
    assert.equal((await admin.get(`/videos/${id}`)).body.state, 'queued', 'the server runs no jobs');

    // SIGTERM: the worker gives the running job back to the queue, unfinished, without using up an attempt.
    const polite = startWorker();
    await waitFor(id, (j) => j.state === 'running', 60_000);
    polite.kill('SIGTERM');
    assert.equal(await exited(polite), 0);
    const givenBack = server.context.visage.jobs.get(id);
    assert.equal(givenBack.state, 'queued');
    assert.equal(givenBack.attempts, 0);

    // SIGKILL mid-job: nothing is given back; the lease runs out and the next worker takes the job over.
    const doomed = startWorker();
    await waitFor(id, (j) => j.state === 'running', 60_000);
    doomed.kill('SIGKILL');
    await exited(doomed);
    assert.equal(server.context.visage.jobs.get(id).committed, false, 'killed before its tracks were stored');
    startWorker();
    const done = await waitFor(id, (j) => j.state === 'done' || j.state === 'failed', 120_000);
    assert.equal(done.state, 'done', JSON.stringify(done.error));
    const record = server.context.visage.jobs.get(id);
    assert.equal(record.attempts, 2, 'claimed by the killed worker, then by the last one');
    assert.equal(record.committed, true);
    assert.ok(done.result.tracks.length >= 1);

    // Every track is one stored event, and no event of this video is stored twice.
    const events = (await admin.get('/events?limit=100')).body.items.filter(
      (e: { source: string }) => e.source === 'faceapi_test.mp4',
    );
    assert.equal(events.length, done.result.tracks.length);
    assert.deepEqual(
      events.map((e: { id: number }) => e.id).sort(),
      done.result.tracks.map((t: { eventId: number }) => t.eventId).sort(),
    );

    // The annotated copy came from the worker through the store.
    const video = await admin.get(`/videos/${id}/annotated.mp4`);
    assert.equal(video.status, 200);
    assert.equal(video.headers.get('content-type'), 'video/mp4');
    assert.ok(Number(video.headers.get('content-length')) > 1000);
  },
);

test('a video job run again after its events were stored (its runner died before finishing) stores none and gives its tracks the stored ids', async () => {
  const bytes = fs.readFileSync(facePath('video/faceapi_test.mp4'));
  const accepted = await admin.upload('/videos', { file: { name: 'rerun.mp4', bytes } });
  assert.equal(accepted.status, 202);
  const id: string = accepted.body.id;
  const { visage } = server.context;
  const queue = visage.jobs.queue;
  // A runner that stores the video's events (the job's own commit, as its handler makes it) and dies:
  // given back here rather than left to its lease, which ends the same way for what is stored.
  assert.equal(queue.claim('dying', 'video')?.id, id);
  const first = await visage.video.process(facePath('video/faceapi_test.mp4'), {
    name: 'rerun.mp4',
    commit: (store) => queue.commit(id, 'dying', store),
  });
  const storedIds = first.tracks.map((t) => t.eventId);
  assert.ok(storedIds.length >= 1 && storedIds.every((e) => Number.isInteger(e)));
  queue.release(id, 'dying');
  assert.equal(visage.jobs.get(id).committed, true);

  const runner = visage.jobs.work({ kinds: ['video'] });
  try {
    const done = await waitFor(id, (j) => j.state === 'done' || j.state === 'failed', 60_000);
    assert.equal(done.state, 'done', JSON.stringify(done.error));
    assert.deepEqual(
      done.result.tracks.map((t: { eventId?: number }) => t.eventId),
      storedIds,
      'the tracks carry the ids stored by the first run',
    );
    const events = (await admin.get('/events?limit=100')).body.items.filter(
      (e: { source: string }) => e.source === 'rerun.mp4',
    );
    assert.deepEqual(events.map((e: { id: number }) => e.id).sort(), [...storedIds].sort(), 'stored once');
  } finally {
    await runner.close();
  }
});

test('the queue over HTTP and the CLI: list, show, queue a reindex and a re-clustering, cancel', async () => {
  const recluster = await admin.post('/jobs/recluster');
  assert.equal(recluster.status, 202);
  assert.equal(recluster.body.kind, 'recluster');
  assert.equal(recluster.body.state, 'queued');
  const reindex = await admin.post('/jobs/reindex', { all: true });
  assert.equal(reindex.status, 202);
  assert.equal(reindex.body.kind, 'reindex');

  const listed = (await admin.get('/jobs')).body.items;
  assert.deepEqual(
    listed.slice(0, 2).map((j: { id: string }) => j.id),
    [reindex.body.id, recluster.body.id],
    'newest first',
  );
  assert.ok(listed.some((j: { kind: string; state: string }) => j.kind === 'video' && j.state === 'done'));
  assert.deepEqual(
    (await admin.get('/jobs?kind=reindex')).body.items.map((j: { id: string }) => j.id),
    [reindex.body.id],
  );
  assert.deepEqual((await admin.get(`/jobs/${recluster.body.id}`)).body, recluster.body);

  // The CLI reads the same queue from the store.
  const cli = runCliJson<{ items: { id: string; state: string }[] }>(['jobs', '--data', server.dataDir]);
  assert.equal(cli.status, 0, cli.stderr);
  assert.ok(cli.json.items.some((j) => j.id === reindex.body.id && j.state === 'queued'));

  for (const job of [recluster.body, reindex.body]) {
    const cancelled = await admin.post(`/jobs/${job.id}/cancel`);
    assert.equal(cancelled.status, 200);
    assert.equal(cancelled.body.state, 'cancelled');
  }
  // --wait follows a job to its end: a cancelled one at once, exit 1; one a runner takes, to done, exit 0.
  const waited = await cliAsync([
    'jobs',
    'show',
    reindex.body.id,
    '--wait',
    '--json',
    '--data',
    server.dataDir,
  ]);
  assert.equal(waited.code, 1, waited.stderr);
  assert.equal(JSON.parse(waited.stdout).state, 'cancelled');
  const runner = server.context.visage.jobs.work({ kinds: ['recluster'] });
  try {
    const ran = await cliAsync(['jobs', 'recluster', '--wait', '--json', '--data', server.dataDir]);
    assert.equal(ran.code, 0, ran.stderr);
    const job = JSON.parse(ran.stdout);
    assert.equal(job.state, 'done');
    assert.equal(job.runner, null, 'ended, so no runner holds it');
    assert.ok(job.result && typeof job.result === 'object', JSON.stringify(job));
  } finally {
    await runner.close();
  }

  const missing = await admin.get('/jobs/00000000-0000-4000-8000-000000000000');
  assert.equal(missing.status, 404);
  assert.equal(errorCode(missing), 'job_not_found');
});
