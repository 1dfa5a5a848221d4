// Video jobs over HTTP: upload → 202 and a job id, progress as server-sent events, the result's tracks
// stored as events, the annotated copy; and videos that cannot be read.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ffprobe from '@ffprobe-installer/ffprobe';
import { facePath } from '../bench/dataset.js';
import {
  errorCode,
  keyClient,
  readEvents,
  setUpAdmin,
  startServer,
  upload,
  type ApiClient,
  type Json,
  type TestServer,
} from './support/server.js';

let server: TestServer;
let viewer: ApiClient;

before(async () => {
  server = await startServer(import.meta.filename);
  viewer = await keyClient(await setUpAdmin(server), 'viewer');
});
after(() => server.close());

/** The job's states as its server-sent events report them, until it finishes. */
async function follow(id: string): Promise<Json[]> {
  const events = await readEvents(viewer, `/videos/${id}/progress`);
  assert.ok(events.every((e) => e.event === 'job'));
  return events.map((e) => e.data);
}

test('a video upload becomes a job: progress events, tracks stored as events, an annotated MP4', async () => {
  const accepted = await viewer.upload('/videos', {
    file: upload(facePath('video/faceapi_test.mp4'), 'video/mp4'),
  });
  assert.equal(accepted.status, 202);
  const events = await follow(accepted.body.id);
  const last = events.at(-1);
  assert.equal(last.state, 'done', JSON.stringify(last.error));
  assert.ok(events.length >= 2, 'at least the first state and the final one');
  assert.equal(last.result.file, 'faceapi_test.mp4');
  assert.ok(last.result.frames >= 4);
  assert.ok(last.result.tracks.length >= 1);
  const track = last.result.tracks[0];
  assert.ok(track.eventId > 0 && track.frames >= 1 && track.box.width > 20);

  const polled = await viewer.get(`/videos/${accepted.body.id}`);
  assert.deepEqual(polled.body.result.tracks, last.result.tracks);
  const stored = await viewer.get(`/events?limit=100`);
  assert.ok(
    stored.body.items.some((e: { id: number }) => e.id === track.eventId),
    'the track is an event',
  );

  const video = await viewer.get(`/videos/${accepted.body.id}/annotated.mp4`);
  assert.equal(video.status, 200);
  assert.equal(video.headers.get('content-type'), 'video/mp4');
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'visage-annotated-')), 'annotated.mp4');
  fs.writeFileSync(file, video.bytes);
  const probe = spawnSync(
    ffprobe.path,
    ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=codec_type', '-of', 'csv=p=0', file],
    { encoding: 'utf8' },
  );
  assert.equal(probe.stdout.trim(), 'video');
});

test('a video job is judged at the security level asked for (?level=), balanced by default', async () => {
  const strict = await viewer.upload('/videos?level=strict', {
    file: upload(facePath('video/faceapi_test.mp4'), 'video/mp4'),
  });
  assert.equal(strict.status, 202);
  const done = (await follow(strict.body.id)).at(-1);
  assert.equal(done.state, 'done', JSON.stringify(done.error));
  assert.equal(done.level, 'strict');
  assert.equal((await viewer.get(`/videos/${strict.body.id}`)).body.level, 'strict');

  const plain = await viewer.upload('/videos', {
    file: upload(facePath('video/faceapi_test.mp4'), 'video/mp4'),
  });
  assert.equal((await viewer.get(`/videos/${plain.body.id}`)).body.level, 'balanced');
  await follow(plain.body.id);

  const bad = await viewer.upload('/videos?level=loose', {
    file: upload(facePath('video/faceapi_test.mp4'), 'video/mp4'),
  });
  assert.equal(bad.status, 400);
});

test('unreadable videos fail as jobs with a reason; empty uploads and unknown jobs are refused', async () => {
  const text = await viewer.upload('/videos', {
    file: { name: 'notes.mp4', bytes: Buffer.from('not a video at all\n'.repeat(100)), type: 'video/mp4' },
  });
  assert.equal(text.status, 202);
  const last = (await follow(text.body.id)).at(-1);
  assert.equal(last.state, 'failed');
  assert.match(last.error.code, /^[a-z_]+$/);
  assert.ok(!last.error.message.includes(os.tmpdir()), 'no server path in the message');
  assert.equal(errorCode(await viewer.get(`/videos/${text.body.id}/annotated.mp4`)), 'not_ready');

  const empty = await viewer.upload('/videos', { file: { name: 'empty.mp4', bytes: Buffer.alloc(0) } });
  assert.equal(empty.status, 400);
  assert.equal(errorCode(empty), 'empty_file');
  assert.equal(
    errorCode(await viewer.get('/videos/00000000-0000-4000-8000-000000000000')),
    'video_not_found',
  );
  assert.equal(
    errorCode(await viewer.upload('/videos', { photo: upload(facePath('video/faceapi_test.mp4')) })),
    'missing_file',
  );
});
