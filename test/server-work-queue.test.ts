// The model-work queue: one job at a time, live frames before waiting uploads, a bounded wait list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkQueue } from '../src/service/scheduler.js';

const tick = () => new Promise((r) => setTimeout(r, 5));

test('jobs run one at a time, in order, live ones first; failures reach only their caller', async () => {
  const queue = new WorkQueue();
  const log: string[] = [];
  let running = 0;
  const job =
    (name: string, fail = false) =>
    async () => {
      running++;
      assert.equal(running, 1, 'never two jobs at once');
      log.push(`start ${name}`);
      await tick();
      running--;
      if (fail) throw new Error(`${name} failed`);
      return name;
    };
  const results = [
    queue.run(job('a')),
    queue.run(job('b', true)),
    queue.run(job('c')),
    queue.run(job('live'), 'live'),
  ];
  assert.equal(queue.size, 4);
  const settled = await Promise.allSettled(results);
  assert.deepEqual(
    log,
    ['start a', 'start live', 'start b', 'start c'],
    'a was already running when live came',
  );
  assert.deepEqual(
    settled.map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as Error).message)),
    ['a', 'b failed', 'c', 'live'],
  );
  await queue.idle();
  assert.equal(queue.size, 0);
});

test('beyond the wait limit, new work is refused with busy; idle() waits for the rest', async () => {
  const queue = new WorkQueue(2);
  const done: number[] = [];
  const first = queue.run(async () => {
    await tick();
    done.push(1);
  });
  const waiting = [2, 3].map((n) => queue.run(async () => void done.push(n)));
  await assert.rejects(
    queue.run(async () => done.push(4)),
    (e: { code?: string }) => e.code === 'busy',
  );
  await queue.idle();
  await Promise.all([first, ...waiting]);
  assert.deepEqual(done, [1, 2, 3]);
});
