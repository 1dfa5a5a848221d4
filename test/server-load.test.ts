// The real `visage serve` process under concurrent load (bench/load.ts): 50 recognitions and 20 enrolments
// into one person at once, twice. Every request is answered, no sample is lost or stored twice, memory
// levels off instead of growing with each round, and SIGTERM stops the server cleanly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runLoad } from '../bench/load.js';

test('50 concurrent recognitions and 20 concurrent enrolments into one person, twice', async () => {
  // The fuzz mix (malformed uploads, image bombs) is bench:load's; corpus tests cover its error codes, and
  // its decoded bombs would blur the memory figures asserted here.
  const report = await runLoad({ recognitions: 50, enrolments: 20, rounds: 2, fuzz: 0, quietS: 1 });
  for (const round of report.rounds) {
    assert.deepEqual(round.otherStatuses, {}, 'every request answered 200');
    assert.equal(round.recognitions.ok, 50);
    assert.equal(round.recognitions.allNamed, 50, 'each recognition names the five people of bbt3.jpg');
    assert.equal(round.enrolments.ok, 20);
    // Each image was sent twice: stored once, reported once as accepted and once as a duplicate.
    assert.equal(round.enrolments.accepted, 20);
    assert.equal(round.enrolments.duplicates, 20);
    assert.equal(round.enrolments.stored, 20);
    assert.equal(round.enrolments.distinctStored, 20);
  }
  const [first, second] = report.rounds;
  // One model job at a time: the load adds little over the warmed-up process, and a second identical
  // round adds (almost) nothing: memory levels off rather than leaking.
  assert.ok(
    first!.rssMiB.peak - report.startRssMiB < 150,
    `peak ${first!.rssMiB.peak} MiB vs ${report.startRssMiB} MiB at start`,
  );
  assert.ok(
    second!.rssMiB.end - first!.rssMiB.end < 32,
    `RSS after round 1: ${first!.rssMiB.end} MiB, after round 2: ${second!.rssMiB.end} MiB`,
  );
  assert.equal(report.shutdown.exitCode, 0, 'SIGTERM shuts down cleanly');
  assert.ok(report.shutdown.ms < 5000);
});
