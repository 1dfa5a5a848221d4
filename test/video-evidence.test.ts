// Issue 9, item 6: a video track is named from evidence, not from one frame. hamilton_clip.mp4 with the
// eight people/ identities enrolled next to the clip's own people (Lin-Manuel Miranda, Alex Lacamoire,
// Obama): Lin-Manuel Miranda is named, and no track carries a wrong name — in particular the small,
// distant Lin-Manuel Miranda of the first second is not named stuart (or anyone else of people/). The
// same for a live source watching the clip (the live camera and cameras share the vote).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { facePath, loadLabels } from '../bench/dataset.js';
import { enrollHamiltonPeople } from '../bench/video-fixtures.js';
import { isVisageError } from '../src/errors.js';
import type { LiveEvent, TrackJson } from '../src/service/video/video.js';
import { Visage } from '../src/service/visage.js';
import { freshDataDir } from './support/server.js';

const CLIP = facePath('video/hamilton_clip.mp4');
const visage = new Visage({ dataDir: freshDataDir('video-evidence') });

/** Who can be seen in the clip (labels.json, `video`), besides faces nobody enrolled. */
const inClip = Object.keys(
  (loadLabels() as unknown as { video: Record<string, { people: Record<string, string> }> }).video[
    'video/hamilton_clip.mp4'
  ]!.people,
).filter((name) => name !== 'unknown');

/**
 * The shots (hard cuts at 1.50, 3.57 and 7.87 s, test/video-tracking.test.ts) and who may be named in
 * each, after labels.json: Lin-Manuel Miranda alone on stage (small and distant in the first shot, large
 * in the third), Alex Lacamoire from behind at the piano, the audience with Barack and Michelle Obama.
 */
const SHOTS = [
  { from: 0, to: 1.5, allowed: ['lin-manuel-miranda'] },
  { from: 1.5, to: 3.57, allowed: ['alex_lacamoire'] },
  { from: 3.57, to: 7.87, allowed: ['lin-manuel-miranda'] },
  { from: 7.87, to: 11, allowed: ['obama'] },
];

before(async () => {
  for (const name of fs.readdirSync(facePath('people'))) {
    const dir = facePath('people', name);
    await visage.enrollment.enroll(
      name,
      fs.readdirSync(dir).map((f) => ({ source: path.join(dir, f) })),
    );
  }
  await enrollHamiltonPeople(visage);
});

after(() => visage.close());

function describe(tracks: readonly TrackJson[]): string {
  return tracks.map((t) => `#${t.id} ${t.firstS}-${t.lastS} ${t.name} (${t.recognitions})`).join(', ');
}

test('hamilton_clip.mp4 with people/, Lin-Manuel Miranda, Alex Lacamoire and Obama enrolled: Lin-Manuel Miranda named, no track named wrongly', async () => {
  assert.deepEqual(inClip.sort(), ['alex_lacamoire', 'lin-manuel-miranda', 'obama']);
  assert.equal(visage.people.list().length, 11);
  const result = await visage.video.process(CLIP, { storeEvents: false });
  const summary = describe(result.tracks);
  assert.ok(result.frames >= 270 && !result.stopped, summary);

  assert.ok(
    result.tracks.some((t) => t.name === 'lin-manuel-miranda'),
    `Lin-Manuel Miranda not named: ${summary}`,
  );
  for (const t of result.tracks) {
    if (t.name === null) continue;
    assert.ok(inClip.includes(t.name), `track named someone not in the clip: ${summary}`);
    // A named track reports the recognitions behind its name: when, how many, how good.
    assert.ok(t.recognitions >= 1 && t.firstS <= t.lastS && t.score > 0.5 && t.score <= 1, summary);
    const mid = (t.firstS + t.lastS) / 2;
    const shot = SHOTS.find((s) => mid >= s.from && mid < s.to)!;
    assert.ok(shot.allowed.includes(t.name), `track named wrongly for its shot: ${summary}`);
  }
  // The large, frontal Lin-Manuel Miranda of the third shot is named by agreeing recognitions.
  const stage = result.tracks.filter((t) => t.name === 'lin-manuel-miranda' && t.firstS >= 3.57);
  assert.ok(stage.length >= 1 && stage.every((t) => t.recognitions >= 3), summary);
  // The first shot's distant face (38–45 px) is never named someone else.
  const distant = result.tracks.filter((t) => (t.firstS + t.lastS) / 2 < 1.5);
  assert.ok(distant.length >= 1, `no track in the first shot: ${summary}`);
  assert.ok(
    distant.every((t) => t.name === null || t.name === 'lin-manuel-miranda'),
    `the distant Lin-Manuel Miranda named wrongly: ${summary}`,
  );
  assert.ok(result.tracks.filter((t) => t.name === 'obama').length <= 1, summary);
});

test('hamilton_clip.mp4 watched as a live source: the same rule, Lin-Manuel Miranda announced, no wrong name', async () => {
  const events: LiveEvent[] = [];
  const source = visage.video.watch(
    CLIP,
    { name: 'evidence', storeEvents: false, retry: { maxAttempts: 0 } },
    { onEvent: (e) => events.push(e) },
  );
  // The clip ends once: with no reconnection allowed, watching gives up then.
  await source.run().catch((e: unknown) => {
    if (!isVisageError(e) || e.code !== 'source_lost') throw e;
  });
  const announced = events.filter((e) => e.type === 'recognition').map((e) => e.track);
  const ended = events.filter((e) => e.type === 'track_end').map((e) => e.track);
  const summary = `announced ${describe(announced)}; ended ${describe(ended)}`;
  assert.ok(ended.length >= 3, summary);
  assert.ok(
    ended.some((t) => t.name === 'lin-manuel-miranda'),
    `Lin-Manuel Miranda not named: ${summary}`,
  );
  for (const t of [...announced, ...ended])
    assert.ok(t.name === null || inClip.includes(t.name), `named someone not in the clip: ${summary}`);
  // A name is announced only with its evidence: never from a single recognition of a small face.
  for (const t of announced.filter((t) => t.name !== null))
    assert.ok(t.recognitions >= 3 || t.box.width >= 64, summary);
  assert.ok(ended.filter((t) => t.name === 'obama').length <= 1, summary);
});
