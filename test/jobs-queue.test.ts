// The job queue on the store (service/jobs/job-queue.ts): files in chunks, one claimant per job, leases
// that run out and are taken over, the commit that stores a job's effects once and never from a runner
// that lost its lease, cancel, give back, retries that end, and forgetting old jobs. Also run on
// PostgreSQL (store-postgres.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase, type Db } from '../src/gallery/database.js';
import { JobQueue, KEEP_FINISHED, MAX_ATTEMPTS } from '../src/service/jobs/job-queue.js';
import { storeOptions } from './support/store.js';

function freshQueue(ttlMs = 5_000): { db: Db; queue: JobQueue; dir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'visage-jobs-'));
  const db = openDatabase(dir, storeOptions(dir));
  return { db, queue: new JobQueue(db, ttlMs), dir };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('files go in and come out byte for byte, in chunks; uploads go when the job ends, other files stay', () => {
  const { db, queue, dir } = freshQueue();
  try {
    const big = crypto.randomBytes(2.5 * 1024 * 1024);
    const source = path.join(dir, 'source.bin');
    fs.writeFileSync(source, big);
    const job = queue.enqueue(
      'video',
      { file: 'a.mp4' },
      {
        files: [
          { name: 'input', path: source },
          { name: 'input/amy/1.jpg', bytes: Buffer.from('amy') },
          { name: 'empty', bytes: Buffer.alloc(0) },
        ],
      },
    );
    assert.equal(job.state, 'queued');
    assert.deepEqual(job.params, { file: 'a.mp4' });
    assert.equal(queue.fileSize(job.id, 'input'), big.length);
    assert.equal(queue.fileSize(job.id, 'missing'), null);
    const out = path.join(dir, 'out.bin');
    assert.equal(queue.readFile(job.id, 'input', out), true);
    assert.ok(fs.readFileSync(out).equals(big));
    assert.equal(queue.readFile(job.id, 'empty', out), true);
    assert.equal(fs.statSync(out).size, 0);
    assert.equal(queue.readFile(job.id, 'missing', out), false);

    assert.ok(queue.claim('a', 'video'));
    queue.storeFile(job.id, { name: 'annotated.mp4', bytes: Buffer.from('first') });
    queue.storeFile(job.id, { name: 'annotated.mp4', bytes: Buffer.from('second') });
    assert.equal(queue.finish(job.id, 'a', { state: 'done', result: { tracks: 2 } }), true);
    assert.deepEqual(queue.fileNames(job.id), ['annotated.mp4', 'empty']);
    const chunks: Buffer[] = [];
    return new Promise<void>((resolve, reject) => {
      queue
        .streamFile(job.id, 'annotated.mp4')
        .on('data', (c: Buffer) => chunks.push(c))
        .on('error', reject)
        .on('end', () => {
          assert.equal(Buffer.concat(chunks).toString(), 'second');
          assert.deepEqual(queue.require(job.id).result, { tracks: 2 });
          resolve();
        });
    }).finally(() => db.close());
  } catch (e) {
    db.close();
    throw e;
  }
});

test('one claimant per job; a lease that runs out is taken over, and the old runner can neither store nor finish', async () => {
  const { db, queue } = freshQueue(150);
  try {
    const job = queue.enqueue('import', { name: 'x' });
    const first = queue.claim('a', 'import');
    assert.equal(first?.id, job.id);
    assert.equal(first?.attempts, 1);
    assert.equal(queue.claim('b', 'import'), undefined, 'a held lease is not taken');
    assert.equal(queue.claim('b', 'video'), undefined, 'only the kind asked for');
    assert.deepEqual(queue.renew(job.id, 'a', { files: 3 }), { held: true, cancel: false });
    assert.deepEqual(queue.require(job.id).progress, { files: 3 });

    await sleep(250);
    const second = queue.claim('b', 'import');
    assert.equal(second?.id, job.id, 'the expired lease is taken over');
    assert.equal(second?.attempts, 2);
    assert.equal(second?.leaseNode, 'b');
    assert.deepEqual(queue.renew(job.id, 'a'), { held: false, cancel: false });

    let stored = 0;
    assert.throws(
      () => queue.commit(job.id, 'a', () => ++stored),
      (e: Error & { code?: string }) => e.code === 'lease_lost',
    );
    assert.equal(stored, 0, 'the old runner stored nothing');
    assert.equal(queue.require(job.id).committed, false);
    assert.equal(queue.require(job.id).committedEffects, null);
    assert.equal(queue.finish(job.id, 'a', { state: 'done' }), false);

    assert.equal(
      queue.commit(job.id, 'b', () => ++stored),
      1,
    );
    assert.equal(queue.require(job.id).committed, true, 'committed with the effects');
    assert.equal(queue.require(job.id).committedEffects, 1, 'and what they returned');
    assert.equal(queue.finish(job.id, 'b', { state: 'done' }), true);
    assert.equal(queue.require(job.id).state, 'done');
    assert.equal(queue.require(job.id).leaseNode, null);
    assert.equal(queue.claim('c', 'import'), undefined, 'a finished job is never claimed');
  } finally {
    db.close();
  }
});

test('a failed commit stores nothing: the job stays uncommitted and its effects roll back', () => {
  const { db, queue } = freshQueue();
  try {
    const job = queue.enqueue('video', {});
    queue.claim('a', 'video');
    assert.throws(() =>
      queue.commit(job.id, 'a', () => {
        queue.storeFile(job.id, { name: 'partial', bytes: Buffer.from('x') });
        throw new Error('disk full');
      }),
    );
    assert.equal(queue.require(job.id).committed, false);
    assert.deepEqual(queue.fileNames(job.id), []);
  } finally {
    db.close();
  }
});

test('cancel: a queued job at once (its upload goes), a running one at its next renewal', () => {
  const { db, queue } = freshQueue();
  try {
    const queued = queue.enqueue(
      'import',
      {},
      { files: [{ name: 'input/a/1.jpg', bytes: Buffer.from('1') }] },
    );
    assert.equal(queue.cancel(queued.id).state, 'cancelled');
    assert.deepEqual(queue.fileNames(queued.id), []);
    assert.equal(queue.claim('a', 'import'), undefined);

    const running = queue.enqueue('import', {});
    queue.claim('a', 'import');
    assert.equal(queue.cancel(running.id).state, 'running');
    assert.deepEqual(queue.renew(running.id, 'a'), { held: true, cancel: true });
    assert.throws(
      () => queue.cancel('nope'),
      (e: Error & { code?: string }) => e.code === 'job_not_found',
    );
  } finally {
    db.close();
  }
});

test('give back: a stopping runner returns the job to the queue without using up an attempt', () => {
  const { db, queue } = freshQueue();
  try {
    const job = queue.enqueue('video', {});
    queue.claim('a', 'video');
    queue.release(job.id, 'a');
    assert.equal(queue.require(job.id).state, 'queued');
    assert.equal(queue.require(job.id).attempts, 0);
    assert.equal(queue.claim('b', 'video')?.attempts, 1);
  } finally {
    db.close();
  }
});

test(`a job whose runner died ${MAX_ATTEMPTS} times is failed, not claimed again`, async () => {
  const { db, queue } = freshQueue(20);
  try {
    const job = queue.enqueue('video', {});
    for (let i = 1; i <= MAX_ATTEMPTS; i++) {
      assert.equal(queue.claim(`n${i}`, 'video')?.attempts, i);
      await sleep(40);
    }
    assert.equal(queue.claim('last', 'video'), undefined);
    const failed = queue.require(job.id);
    assert.equal(failed.state, 'failed');
    assert.equal(failed.error?.code, 'job_abandoned');
  } finally {
    db.close();
  }
});

test(`finished jobs beyond ${KEEP_FINISHED} per kind are forgotten with their files, oldest first`, async () => {
  const { db, queue } = freshQueue();
  try {
    const ids: string[] = [];
    for (let i = 0; i < KEEP_FINISHED + 2; i++) {
      const job = queue.enqueue('recluster', { i });
      queue.claim('a', 'recluster');
      queue.storeFile(job.id, { name: 'out', bytes: Buffer.from(String(i)) });
      queue.finish(job.id, 'a', { state: 'done' });
      ids.push(job.id);
      await sleep(2); // finished in distinct milliseconds, so "oldest" is defined
    }
    const other = queue.enqueue('video', {});
    assert.equal(queue.get(ids[0]!), undefined);
    assert.equal(queue.get(ids[1]!), undefined);
    assert.ok(queue.get(ids[2]!));
    assert.equal(queue.list({ kind: 'recluster' }).length, KEEP_FINISHED);
    assert.equal(queue.list()[0]?.id, other.id, 'newest first');
    const orphans = db
      .prepare('SELECT COUNT(*) FROM job_files WHERE job_id NOT IN (SELECT id FROM jobs)')
      .pluck()
      .get();
    assert.equal(orphans, 0);
  } finally {
    db.close();
  }
});
