// The model-work scheduler on its own: one unit at a time, lanes served round-robin, live frames first
// (within a burst limit), a bounded wait list that refuses requests but never a job's frame, nested verbs
// run inline. The same rules with real models and a real server: server-scheduler.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LIVE_BURST, Scheduler, type WorkOptions } from '../src/service/scheduler.js';

const tick = () => new Promise((r) => setTimeout(r, 2));

function recorder(scheduler: Scheduler) {
  const log: string[] = [];
  let running = 0;
  const unit = (name: string, options: WorkOptions = {}, fail = false): Promise<string> =>
    scheduler.run(async () => {
      running++;
      assert.equal(running, 1, 'never two units at once');
      log.push(name);
      await tick();
      running--;
      if (fail) throw new Error(`${name} failed`);
      return name;
    }, options);
  return { log, unit };
}

test('units run one at a time; live ones first; failures reach only their caller', async () => {
  const scheduler = new Scheduler();
  const { log, unit } = recorder(scheduler);
  const results = [unit('a'), unit('b', {}, true), unit('c'), unit('live', { kind: 'live' })];
  assert.equal(scheduler.size, 4);
  const settled = await Promise.allSettled(results);
  assert.deepEqual(log, ['a', 'live', 'b', 'c'], 'a was already running when live came');
  assert.deepEqual(
    settled.map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as Error).message)),
    ['a', 'b failed', 'c', 'live'],
  );
  await scheduler.idle();
  assert.equal(scheduler.size, 0);
});

test('lanes take turns: a lane with many units waiting cannot hold back another lane', async () => {
  const scheduler = new Scheduler();
  const { log, unit } = recorder(scheduler);
  const all = [
    ...[1, 2, 3, 4].map((n) => unit(`video${n}`, { lane: 'video:1', kind: 'job' })),
    unit('photo', { lane: 'user:ada' }),
    ...[1, 2].map((n) => unit(`other${n}`, { lane: 'video:2', kind: 'job' })),
  ];
  await Promise.all(all);
  // video1 was running when the others came; then one unit per lane per turn.
  assert.deepEqual(log, ['video1', 'video2', 'photo', 'other1', 'video3', 'other2', 'video4']);
});

test(`live frames go first, but at most ${LIVE_BURST} in a row while other work waits`, async () => {
  const scheduler = new Scheduler();
  const { log, unit } = recorder(scheduler);
  const all = [
    unit('first'),
    unit('upload'),
    ...[1, 2, 3, 4, 5].map((n) => unit(`live${n}`, { lane: 'socket', kind: 'live' })),
  ];
  await Promise.all(all);
  assert.deepEqual(log, ['first', 'live1', 'live2', 'live3', 'upload', 'live4', 'live5']);
});

test('beyond the wait limit requests are refused with busy and a retry time; job units still wait', async () => {
  const scheduler = new Scheduler({ maxWaiting: 2 });
  const done: string[] = [];
  const job = (name: string, options: WorkOptions = {}) =>
    scheduler.run(async () => {
      await tick();
      done.push(name);
    }, options);
  const first = job('1');
  const waiting = [job('2'), job('3')];
  await assert.rejects(job('4'), (e: { code?: string; details?: { retryAfterS?: number } }) => {
    assert.equal(e.code, 'busy');
    assert.ok(e.details!.retryAfterS! >= 1 && e.details!.retryAfterS! <= 60);
    return true;
  });
  await assert.rejects(job('live', { kind: 'live' }), (e: { code?: string }) => e.code === 'busy');
  const frame = job('frame', { lane: 'video:1', kind: 'job' });
  await scheduler.idle();
  await Promise.all([first, ...waiting, frame]);
  assert.deepEqual(done, ['1', '2', 'frame', '3'], 'the job lane took its turn between the requests');
});

test('a unit that calls another scheduled verb runs it inline instead of deadlocking', async () => {
  const scheduler = new Scheduler();
  const inner = () => scheduler.run(async () => 'inner');
  const outer = await scheduler.run(async () => `outer+${await inner()}`);
  assert.equal(outer, 'outer+inner');
  await scheduler.idle();
  assert.equal(scheduler.stats.served, 1, 'the nested call was part of the outer unit');
});
