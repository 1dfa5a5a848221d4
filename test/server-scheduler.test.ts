// The scheduler with real models on the real server: a photo request is answered while a long video job
// runs (not after it), a second user's video job makes progress before the first one finishes, a full
// queue answers 503 busy with Retry-After, and a job over its limits fails with a clear code while
// keeping the tracks it found. The rules on their own: server-work-queue.test.ts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { facePath } from '../bench/dataset.js';
import { ffmpegPath } from '../src/media/ffmpeg.js';
import { tempDir } from './support/cli.js';
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

const CLIP = facePath('video/hamilton_clip.mp4'); // 10 s
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** hamilton_clip.mp4 played `times` times in a row (stream copy: instant). */
function looped(times: number): string {
  const out = path.join(tempDir('sched-video'), `loop${times}.mp4`);
  const r = spawnSync(
    ffmpegPath(),
    ['-v', 'error', '-y', '-stream_loop', String(times - 1), '-i', CLIP, '-c', 'copy', out],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  return out;
}

async function startJob(client: ApiClient, file: string): Promise<string> {
  const r = await client.upload('/videos', { file: upload(file, 'video/mp4') });
  assert.equal(r.status, 202, r.text);
  return r.body.id;
}

const poll = async (client: ApiClient, id: string): Promise<Json> => (await client.get(`/videos/${id}`)).body;
const finished = (job: Json): boolean => job.state === 'done' || job.state === 'failed';

async function until(client: ApiClient, id: string, ok: (job: Json) => boolean): Promise<Json> {
  for (;;) {
    const job = await poll(client, id);
    if (ok(job) || finished(job)) return job;
    await sleep(50);
  }
}

let server: TestServer;
let admin: ApiClient;
let alice: ApiClient;
let bob: ApiClient;
let limited: TestServer;
let limitedViewer: ApiClient;

before(async () => {
  server = await startServer(import.meta.filename);
  admin = await setUpAdmin(server);
  [alice, bob] = [await keyClient(admin, 'viewer', 'alice'), await keyClient(admin, 'viewer', 'bob')];
  // One request may wait; video jobs stop at 20 analysed frames or 15 s of video.
  limited = await startServer(import.meta.filename, {
    maxQueued: 1,
    videoJobs: { limits: { maxFrames: 20, maxDurationS: 15 } },
  });
  limitedViewer = await keyClient(await setUpAdmin(limited), 'viewer');
});
after(async () => {
  await server.close();
  await limited.close();
});

test('while a long video job runs, a photo is answered at once and a second job ends before the first', async () => {
  // The first job is three times the second's length: with their frames interleaved, the second ends first.
  const first = await startJob(alice, looped(3));
  const running = await until(alice, first, (j) => j.progress.frames > 0);
  assert.equal(running.state, 'running');

  const t0 = Date.now();
  const photo = await bob.upload('/recognize?events=false', { file: upload(facePath('scenes/bbt1.jpg')) });
  const photoMs = Date.now() - t0;
  assert.equal(photo.status, 200);
  assert.equal(photo.body.faces.length, 4, 'the four faces of bbt1.jpg');
  const afterPhoto = await poll(alice, first);
  assert.equal(afterPhoto.state, 'running', `the photo (${photoMs} ms) did not wait for the video`);

  const second = await startJob(bob, CLIP);
  const b = await until(bob, second, finished);
  const firstThen = await poll(alice, first);
  assert.equal(b.state, 'done', JSON.stringify(b.error));
  assert.equal(b.result.frames, b.progress.totalFrames, 'the second job saw every frame');
  assert.ok(b.result.tracks.length >= 1);
  assert.equal(firstThen.state, 'running', 'the second job ended while the first was still running');
  assert.ok(
    firstThen.progress.frames > running.progress.frames &&
      firstThen.progress.frames < firstThen.progress.totalFrames,
    `the first job moved on meanwhile: ${running.progress.frames} → ${firstThen.progress.frames} of ${firstThen.progress.totalFrames} frames`,
  );
  // The rest of the first job adds nothing to what this test shows: stop it, so it does not slow the next.
  assert.equal((await admin.post(`/jobs/${first}/cancel`)).status, 200);
  const cancelled = await until(alice, first, finished);
  assert.equal(cancelled.state, 'failed');
  assert.equal(cancelled.error.code, 'job_cancelled', JSON.stringify(cancelled.error));
  assert.ok(
    cancelled.result.frames >= firstThen.progress.frames &&
      cancelled.result.frames < firstThen.progress.totalFrames,
    `it stopped part-way, at ${cancelled.result.frames} of ${firstThen.progress.totalFrames} frames`,
  );
});

test('a full queue answers 503 busy with Retry-After; the requests it took are all answered', async () => {
  const photo = upload(facePath('scenes/bbt1.jpg'));
  const replies = await Promise.all(
    Array.from({ length: 8 }, () => limitedViewer.upload('/recognize?events=false', { file: photo })),
  );
  const busy = replies.filter((r) => r.status === 503);
  assert.ok(busy.length >= 1, `statuses ${replies.map((r) => r.status).join(' ')}`);
  assert.ok(replies.every((r) => r.status === 200 || r.status === 503));
  for (const r of busy) {
    assert.equal(errorCode(r), 'busy');
    const retryAfter = Number(r.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After: ${r.headers.get('retry-after')}`);
    assert.equal(r.body.error.details.retryAfterS, retryAfter);
  }
});

test('a job over its frame limit fails with video_too_many_frames and keeps the tracks found', async () => {
  // hamilton_clip.mp4: 10 s, within the duration limit; 300 frames, over the frame limit.
  const id = await startJob(limitedViewer, CLIP);
  const job = await until(limitedViewer, id, finished);
  assert.equal(job.state, 'failed');
  assert.equal(job.error.code, 'video_too_many_frames', job.error.message);
  assert.match(job.error.message, /limit of 20 analysed frames/);
  assert.equal(job.result.frames, 20);
  assert.equal(job.result.stopped, true);
  assert.ok(job.result.tracks.length >= 1, 'the tracks found so far are kept');
  assert.ok(
    job.result.tracks.every((t: Json) => t.eventId > 0),
    'and stored as events',
  );
  const annotated = await limitedViewer.get(`/videos/${id}/annotated.mp4`);
  assert.equal(annotated.status, 200, 'with the annotated copy of what was analysed');
});

test('a video longer than the duration limit is refused with video_too_long before any work', async () => {
  const id = await startJob(limitedViewer, looped(2));
  const job = await until(limitedViewer, id, finished);
  assert.equal(job.state, 'failed');
  assert.equal(job.error.code, 'video_too_long');
  assert.match(job.error.message, /^loop2\.mp4 is (19|20)(\.\d)? s long; the limit is 15 s\.$/);
  assert.equal(job.progress.frames, 0);
});
