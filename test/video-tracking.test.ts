// The parts of video recognition that need no face model: splitting ffmpeg's frame stream, backpressure
// and frame dropping, shot-change detection on a real clip, track association, following faces between
// detector runs, and the vote that names a track.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { facePath } from '../bench/dataset.js';
import { ffmpegPath } from '../src/media/ffmpeg.js';
import { FrameReader, PpmSplitter } from '../src/media/frame-reader.js';
import {
  CONFIDENT_LEAD,
  CONFIDENT_SIZE,
  IdentityVotes,
  MIN_AGREEING,
  MIN_EVIDENCE_SIZE,
  namingEvidence,
  voteWeight,
  type Vote,
} from '../src/service/video/identity-vote.js';
import { probeMedia } from '../src/media/probe.js';
import { SceneCutDetector } from '../src/service/video/scene-cut.js';
import { openSource } from '../src/media/source.js';
import { FaceTracker } from '../src/service/video/tracker.js';
import { FaceFollower } from '../src/service/video/face-follower.js';
import type { RgbImage } from '../src/engine/types.js';

const TINY = facePath('video/faceapi_test.mp4');
const CLIP = facePath('video/hamilton_clip.mp4');

function ffmpeg(args: string[]): Buffer {
  const r = spawnSync(ffmpegPath(), ['-v', 'error', ...args], { maxBuffer: 1 << 28 });
  assert.equal(r.status, 0, r.stderr?.toString());
  return r.stdout;
}

test("PPM splitting: frames cut from arbitrary chunk boundaries equal ffmpeg's raw RGB frames", () => {
  const ppm = ffmpeg(['-i', TINY, '-f', 'image2pipe', '-c:v', 'ppm', '-pix_fmt', 'rgb24', 'pipe:1']);
  const raw = ffmpeg(['-i', TINY, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1']);
  const splitter = new PpmSplitter();
  const frames = [];
  // Chunk sizes that cut headers and pixel rows at every kind of place, as a pipe may.
  const sizes = [1, 2, 7, 15, 4096, 65536, 333_333];
  for (let at = 0, i = 0; at < ppm.length; i++) {
    const n = sizes[i % sizes.length]!;
    frames.push(...splitter.push(ppm.subarray(at, at + n)));
    at += n;
  }
  assert.equal(frames.length, 5);
  const size = 820 * 460 * 3;
  assert.equal(raw.length, 5 * size);
  frames.forEach((f, i) => {
    assert.deepEqual([f.width, f.height], [820, 460]);
    assert.ok(Buffer.from(f.data).equals(raw.subarray(i * size, (i + 1) * size)), `frame ${i} differs`);
  });
  assert.throws(
    () => new PpmSplitter().push(Buffer.from('GIF89a and the rest of some other format')),
    /other than RGB frames/,
  );
});

test('probe: size, rate, first frame time and audio of the clips', async () => {
  const clip = await probeMedia(openSource(CLIP));
  assert.deepEqual([clip.width, clip.height, clip.audioCodec], [640, 360, 'aac']);
  assert.ok(
    Math.abs(clip.fps - 29.97) < 0.01 && Math.abs(clip.durationS! - 10.02) < 0.05 && clip.startS > 0.8,
    JSON.stringify(clip),
  );
  const tiny = await probeMedia(openSource(TINY));
  assert.deepEqual([tiny.width, tiny.height, tiny.audioCodec, tiny.frames], [820, 460, null, 5]);
});

test("backpressure: a slow consumer pauses a file's decoder; a live source drops old frames instead", async () => {
  const file = openSource(CLIP);
  const paused = new FrameReader(file, { fps: 10, queueSize: 3 });
  let consumed = 0;
  let maxAhead = 0;
  for await (const frame of paused) {
    assert.equal(frame.image.width, 640);
    maxAhead = Math.max(maxAhead, paused.received - consumed);
    consumed++;
    await sleep(15);
  }
  assert.equal(paused.dropped, 0);
  assert.ok(consumed >= 90, `${consumed} frames`);
  // At most the queue plus the frame being parsed when the pipe was paused.
  assert.ok(maxAhead <= 3 + 1, `decoder ran ${maxAhead} frames ahead`);

  const dropping = new FrameReader({ ...file, live: true }, { queueSize: 2 });
  let kept = 0;
  for await (const frame of dropping) {
    assert.equal(frame.image.data.length, 640 * 360 * 3);
    kept++;
    await sleep(30);
  }
  assert.ok(dropping.dropped > 0, 'a live source behind the consumer must drop frames');
  assert.equal(kept + dropping.dropped, dropping.received);
});

test('shot changes: the three hard cuts of hamilton_clip.mp4 and nothing else at its native rate', async () => {
  // Cuts seen in the clip: stage → piano at 1.50 s, piano → stage at 3.57 s, stage → audience at 7.87 s.
  const expected = [1.5, 3.57, 7.87];
  const info = await probeMedia(openSource(CLIP));
  const detector = new SceneCutDetector();
  const cuts: number[] = [];
  for await (const f of new FrameReader(openSource(CLIP), { fps: info.fps })) {
    if (detector.isCut(f.image))
      cuts.push(Math.floor(info.startS * info.fps) / info.fps + f.index / info.fps);
  }
  assert.equal(cuts.length, expected.length, `cuts at ${cuts.map((c) => c.toFixed(2))}`);
  cuts.forEach((c, i) =>
    assert.ok(Math.abs(c - expected[i]!) < 0.05, `cut at ${c.toFixed(2)} s, expected ${expected[i]} s`),
  );
});

test('tracking: each box continues the track it overlaps most, once; tracks end after the configured absence', () => {
  const tracker = new FaceTracker({ minIou: 0.3, endAfterS: 1 });
  const a = tracker.start({ box: { x: 0, y: 0, width: 100, height: 100 }, timeS: 0, frame: 0 });
  const b = tracker.start({ box: { x: 80, y: 0, width: 100, height: 100 }, timeS: 0, frame: 0 });
  // Both boxes overlap b more than a (IoU 0.82 and 0.54; the second overlaps a by 0.33): b goes to the
  // better overlap, and the second box falls back to a.
  const owners = tracker.associate([
    { x: 70, y: 0, width: 100, height: 100 },
    { x: 50, y: 0, width: 100, height: 100 },
    { x: 500, y: 500, width: 50, height: 50 },
  ]);
  assert.equal(owners[0], b);
  assert.equal(owners[1], a);
  assert.equal(owners[2], null);
  a.see({ box: { x: 50, y: 0, width: 100, height: 100 }, timeS: 0.5, frame: 15 });
  assert.deepEqual(tracker.expire(1.2), [b]);
  assert.deepEqual(tracker.active, [a]);
  assert.deepEqual(tracker.expire(1.4), []);
  assert.deepEqual(tracker.expire(1.6), [a]);
});

/** A 160×80 frame: dark, with a smooth 40-px pattern (the "face") whose left edge is at `x` (or none). */
function frameWith(x: number | null): RgbImage {
  const width = 160;
  const height = 80;
  const data = new Uint8Array(width * height * 3).fill(20);
  if (x !== null)
    for (let y = 20; y < 60; y++)
      for (let i = x; i < x + 40; i++) {
        const v = 128 + 90 * Math.sin((2 * Math.PI * (i - x)) / 40) * Math.cos((Math.PI * (y - 20)) / 40);
        data.fill(Math.round(v), (y * width + i) * 3, (y * width + i) * 3 + 3);
      }
  return { data, width, height };
}

test('following: between detector runs a face moves on at its velocity; the detector runs every N frames, when asked, when the face looks different, and every frame while one is lost', () => {
  const box = (x: number) => ({ x, y: 20, width: 40, height: 40 });
  const track = new FaceTracker().start({ box: box(20), timeS: 0, frame: 0 });
  const follower = new FaceFollower(3);
  assert.equal(follower.follow(frameWith(20), 0, false), null, 'nothing detected yet');
  assert.deepEqual(follower.detected(frameWith(20), 0, [{ track, box: box(20) }]), []);
  assert.deepEqual(follower.follow(frameWith(20), 0.04, false), [{ track, box: box(20) }]);
  assert.deepEqual(follower.follow(frameWith(20), 0.08, false), [{ track, box: box(20) }]);
  assert.equal(follower.follow(frameWith(20), 0.12, false), null, "every 3rd frame is the detector's");
  // Detected 12 px further on after 0.12 s: 100 px/s, at which the box moves on.
  follower.detected(frameWith(32), 0.12, [{ track, box: box(32) }]);
  const moved = follower.follow(frameWith(36), 0.16, false)!;
  assert.equal(moved.length, 1);
  assert.ok(Math.abs(moved[0]!.box.x - 36) < 1e-6, JSON.stringify(moved));
  assert.equal(follower.follow(frameWith(40), 0.2, true), null, 'a shot change or a due recognition');
  follower.detected(frameWith(40), 0.2, [{ track, box: box(40) }]);
  assert.equal(follower.follow(frameWith(null), 0.24, false), null, 'the face no longer looks the same');
  // The detector misses the face that still looks the same: it is followed on, as a face of the frame.
  const kept = follower.detected(frameWith(44), 0.24, []);
  assert.equal(kept.length, 1);
  assert.ok(Math.abs(kept[0]!.box.x - 44) < 1e-6, JSON.stringify(kept));
  // Missed again, and gone from where it was: lost, so the detector runs on every frame for a while.
  assert.deepEqual(follower.detected(frameWith(null), 0.28, []), []);
  assert.equal(follower.follow(frameWith(null), 0.32, false), null);
  follower.detected(frameWith(null), 0.32, []);
  assert.equal(follower.follow(frameWith(null), 0.36, false), null);
  // Detecting every frame (the reference) follows nothing.
  const every = new FaceFollower(1);
  every.detected(frameWith(20), 0, [{ track, box: box(20) }]);
  assert.deepEqual(every.detected(frameWith(20), 0.04, []), []);
  assert.equal(every.follow(frameWith(20), 0.08, false), null);
});

/**
 * One recognition of a 90-px face. The lead over the threshold is read back from the score as the
 * calibrated rule makes it (logistic in z units: 0.5 at the threshold, 0.8 ≈ 1.4 z above it).
 */
const vote = (personId: number | null, weight: number, score = 0.6, more: Partial<Vote> = {}): Vote => ({
  personId,
  name: personId === null ? null : `p${personId}`,
  score,
  distance: 0.05,
  sampleId: personId,
  weight,
  size: 90,
  timeS: 0,
  frame: 0,
  lead: personId === null ? null : Math.log(score / (1 - score)),
  ...more,
});

test('votes: good views outweigh poor ones, a single stray match does not name a track, rivals leave it unknown', () => {
  const frontal = voteWeight({ size: 90, sharpness: 300, yaw: 5, pitch: 0, roll: 0 });
  const profile = voteWeight({ size: 90, sharpness: 300, yaw: 60, pitch: 0, roll: 0 });
  const blurred = voteWeight({ size: 90, sharpness: 20, yaw: 5, pitch: 0, roll: 0 });
  const small = voteWeight({ size: 20, sharpness: 300, yaw: 5, pitch: 0, roll: 0 });
  assert.ok(frontal > 3 * profile && frontal > 3 * blurred && frontal > 2 * small);

  const named = new IdentityVotes();
  for (const v of [
    vote(1, frontal, 0.7),
    vote(null, profile, 0.3),
    vote(null, profile, 0.35),
    vote(1, frontal, 0.8),
  ])
    named.add(v);
  assert.deepEqual(
    [named.verdict()?.personId, named.verdict()?.name, named.verdict()?.score],
    [1, 'p1', 0.8],
  );

  const stray = new IdentityVotes();
  for (const v of [vote(null, frontal, 0.3), vote(2, frontal * 0.4), vote(null, frontal, 0.2)]) stray.add(v);
  assert.equal(stray.verdict()?.personId, null);
  assert.equal(stray.verdict()?.name, null);

  const rivals = new IdentityVotes();
  for (const v of [vote(1, frontal), vote(2, frontal * 0.9)]) rivals.add(v);
  assert.equal(rivals.verdict()?.personId, null);
  assert.equal(new IdentityVotes().verdict(), null);
});

test('votes need evidence: one small-face recognition never names a track, three agreeing ones or one confident large face do', () => {
  const q = (size: number) => ({ size, sharpness: 300, yaw: 0, pitch: 0, roll: 0 });
  const at = (i: number): Partial<Vote> => ({ timeS: 0.8 + i * 0.25, frame: 24 + i * 7 });
  // The constants as documented: three agreeing recognitions; one alone only ≥ 64 px and 1 z past its threshold.
  assert.deepEqual([MIN_AGREEING, MIN_EVIDENCE_SIZE, CONFIDENT_SIZE, CONFIDENT_LEAD], [3, 32, 64, 1]);

  // One recognition of a small face, however confident, and however alone (nothing votes against it).
  for (const size of [12, 20, 31, 40, 63]) {
    for (const score of [0.55, 0.8, 0.99]) {
      const one = new IdentityVotes();
      one.add(vote(7, voteWeight(q(size)), score, { size }));
      const v = one.verdict()!;
      assert.equal(v.personId, null, `one ${size}-px recognition at ${score} named the track`);
      assert.equal(v.name, null);
      assert.equal(v.pending, true);
      assert.equal(namingEvidence(one.all), null);
    }
  }
  // Tiny faces (< 32 px) are no evidence at all, however many agree.
  const tiny = new IdentityVotes();
  for (let i = 0; i < 6; i++) tiny.add(vote(7, voteWeight(q(24)), 0.9, { size: 24, ...at(i) }));
  assert.equal(tiny.verdict()!.personId, null);
  // Two agreeing recognitions of a 45-px face (the distant Lin-Manuel Miranda of hamilton_clip.mp4's first
  // shot) are not enough; a third is.
  const distant = new IdentityVotes();
  distant.add(vote(7, voteWeight(q(45)), 0.6, { size: 45, ...at(0) }));
  distant.add(vote(7, voteWeight(q(42)), 0.58, { size: 42, ...at(1) }));
  assert.equal(distant.verdict()!.personId, null);
  distant.add(vote(7, voteWeight(q(40)), 0.56, { size: 40, ...at(2) }));
  assert.equal(distant.verdict()!.name, 'p7');
  // Two tiny matches do not make up for the missing third of a usable size.
  const mixed = new IdentityVotes();
  mixed.add(vote(7, voteWeight(q(45)), 0.6, { size: 45, ...at(0) }));
  mixed.add(vote(7, voteWeight(q(24)), 0.6, { size: 24, ...at(1) }));
  mixed.add(vote(7, voteWeight(q(24)), 0.6, { size: 24, ...at(2) }));
  mixed.add(vote(7, voteWeight(q(42)), 0.6, { size: 42, ...at(3) }));
  assert.equal(mixed.verdict()!.personId, null);

  // One very confident recognition of a large face names a track at once; a barely passing one does not.
  const confident = new IdentityVotes();
  confident.add(vote(3, voteWeight(q(120)), 0.85, { size: 120 }));
  assert.equal(confident.verdict()!.name, 'p3');
  assert.equal(namingEvidence(confident.all), 'confident');
  const barely = new IdentityVotes();
  barely.add(vote(3, voteWeight(q(120)), 0.6, { size: 120 }));
  assert.equal(barely.verdict()!.personId, null);
  // A recognizer that reports no lead never gives a confident recognition.
  const silent = new IdentityVotes();
  silent.add(vote(3, voteWeight(q(120)), 0.99, { size: 120, lead: null }));
  assert.equal(silent.verdict()!.personId, null);

  // The verdict is reported from the evidence behind it: score, first and last seen, how many.
  const late = new IdentityVotes();
  late.add(vote(null, voteWeight(q(40)), 0.3, { size: 40, ...at(0) }));
  [0.56, 0.58, 0.57].forEach((score, i) =>
    late.add(vote(5, voteWeight(q(80)), score, { size: 80, ...at(i + 1) })),
  );
  late.add(vote(null, voteWeight(q(80)) / 4, 0.45, { size: 80, ...at(4) }));
  const v = late.verdict()!;
  assert.deepEqual(
    [v.name, v.score, v.evidence, v.votes, v.firstS, v.lastS, v.firstFrame, v.pending],
    ['p5', 0.58, 3, 5, 1.05, 1.55, 31, false],
  );
  // Unknown: the whole span, the closest miss.
  const unknown = new IdentityVotes();
  unknown.add(vote(null, 0.5, 0.3, at(0)));
  unknown.add(vote(null, 0.5, 0.4, at(1)));
  assert.deepEqual(
    (({ name, score, firstS, lastS, pending }) => ({ name, score, firstS, lastS, pending }))(
      unknown.verdict()!,
    ),
    { name: null, score: 0.4, firstS: 0.8, lastS: 1.05, pending: false },
  );
});
