// Issue 14, item 4: live sources that want a model stage at the same time share one run
// (src/service/video/frame-stages.ts). Batched results equal the unbatched calls' (within float noise),
// the batcher really batches, and two streams watched at once use it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { facePath } from '../bench/dataset.js';
import { serveLiveStream } from '../bench/video-fixtures.js';
import type { Face } from '../src/engine/face.js';
import { decodeImage } from '../src/engine/image/decode.js';
import type { Box } from '../src/engine/types.js';
import { PpmSplitter } from '../src/media/frame-reader.js';
import { FrameBatcher } from '../src/service/video/frame-stages.js';
import { Visage } from '../src/service/visage.js';
import { freshDataDir } from './support/server.js';

const visage = new Visage({ dataDir: freshDataDir('batching') });
after(() => visage.close());
const analyzer = visage.faces.analyzer;

const images = await Promise.all(
  ['scenes/bbt1.jpg', 'scenes/lin-manuel-miranda.png', 'scenes/biden.jpg'].map((f) =>
    decodeImage(facePath(f)),
  ),
);

function assertSameBoxes(batched: { box: Box }[], single: { box: Box }[], what: string): void {
  assert.equal(batched.length, single.length, `${what}: as many faces`);
  batched.forEach((f, i) => {
    for (const k of ['x', 'y', 'width', 'height'] as const)
      assert.ok(
        Math.abs(f.box[k] - single[i]!.box[k]) < 0.01,
        `${what} face ${i} ${k}: ${f.box[k]} vs ${single[i]!.box[k]}`,
      );
  });
}

const cosine = (a: Float32Array, b: Float32Array): number => a.reduce((s, v, i) => s + v * b[i]!, 0);

test('batched detector, landmarks and embeddings give each image what the single calls give', async () => {
  const single = await Promise.all(images.map((im) => analyzer.candidates(im)));
  const batched = await analyzer.candidatesOf(
    await Promise.all(images.map((im) => analyzer.detectorInput(im))),
  );
  assert.ok(
    single.every((c) => c.length > 0),
    'every image has faces',
  );
  batched.forEach((b, i) => assertSameBoxes(b, single[i]!, `detector, image ${i}`));

  const items = images.map((image, i) => ({ image, candidates: single[i]! }));
  const described = await analyzer.describeBatch(items);
  for (const [i, it] of items.entries()) {
    const one = await analyzer.describe(it.image, it.candidates);
    assertSameBoxes(described[i]!, one, `landmarks, image ${i}`);
    described[i]!.forEach((f, j) => {
      f.keypoints.forEach((p, k) => {
        const q = one[j]!.keypoints[k]!;
        assert.ok(Math.hypot(p[0] - q[0], p[1] - q[1]) < 0.05, `image ${i} face ${j} key point ${k}`);
      });
    });
  }

  const faces = described as Face[][];
  const embedded = await analyzer.embedder.embedBatch(
    images.map((image, i) => ({ image, keypoints: faces[i]!.map((f) => f.keypoints) })),
  );
  for (const [i, image] of images.entries()) {
    const one = await analyzer.embedder.embed(
      image,
      faces[i]!.map((f) => f.keypoints),
    );
    assert.equal(embedded[i]!.length, one.length);
    embedded[i]!.forEach((e, j) =>
      assert.ok(cosine(e.embedding, one[j]!.embedding) > 0.9999, `image ${i} face ${j} embedding`),
    );
  }
});

test('the batcher runs the requests of sources waiting together as one run, and a lone source alone', async () => {
  const batcher = new FrameBatcher(analyzer, visage.scheduler);
  const leaveA = batcher.join();
  const leaveB = batcher.join();
  const a = batcher.stagesFor('camera:a');
  const b = batcher.stagesFor('camera:b');
  const [fromA, fromB] = await Promise.all([a.candidates(images[0]!), b.candidates(images[1]!)]);
  assert.deepEqual(batcher.stats, { runs: 1, batchedRuns: 1, frames: 2 });
  assertSameBoxes(fromA, await analyzer.candidates(images[0]!), 'source a');
  assertSameBoxes(fromB, await analyzer.candidates(images[1]!), 'source b');
  // One source's request waits at most the linger time for the other, then runs alone.
  const started = performance.now();
  const [face] = await analyzer.describe(images[0]!, fromA);
  await a.embed(images[0]!, [face!.keypoints]);
  assert.ok(performance.now() - started >= batcher.lingerMs - 1);
  assert.deepEqual(batcher.stats, { runs: 2, batchedRuns: 1, frames: 3 });
  leaveB();
  leaveB(); // leaving twice counts once
  assert.equal(batcher.sources, 1);
  await b.describe(images[1]!, fromB);
  assert.deepEqual(batcher.stats, { runs: 3, batchedRuns: 1, frames: 4 });
  leaveA();
  assert.equal(batcher.sources, 0);
});

test('live streams watched at once share model runs, except one with batching off', async () => {
  const stats = visage.video.batcher.stats;
  const before = { ...stats };
  const streams = await Promise.all(
    [0, 1, 2].map(() => serveLiveStream(facePath('video/hamilton_clip.mp4'))),
  );
  let live = 0;
  const sources = streams.map((s, i) =>
    visage.video.watch(
      s.url,
      {
        name: `cam ${i}`,
        storeEvents: false,
        failFast: false,
        retry: { initialDelayMs: 100 },
        batching: i < 2,
      },
      { onState: (c) => void (c.state === 'live' && live++) },
    ),
  );
  const running = sources.map((s) => s.run());
  let members: number;
  try {
    for (const end = Date.now() + 20_000; live < 3 && Date.now() < end;) await sleep(50);
    assert.equal(live, 3, 'every stream went live');
    await sleep(2000);
    members = visage.video.batcher.sources;
  } finally {
    for (const s of sources) s.stop();
    await Promise.all(running);
    for (const s of streams) s.ffmpeg.kill('SIGKILL');
  }
  for (const s of sources) assert.ok(s.framesAnalysed > 5, `${s.camera} analysed ${s.framesAnalysed} frames`);
  assert.equal(members, 2, "the two batching sources, not the third, were the batcher's");
  assert.ok(stats.batchedRuns > before.batchedRuns, `batched runs: ${stats.batchedRuns}`);
  assert.ok(
    stats.frames - before.frames > stats.runs - before.runs,
    'runs served more than one frame on average',
  );
  assert.equal(visage.video.batcher.sources, 0, 'stopped sources left the batcher');
});

test('a recycled frame buffer is filled with the next frame of its size, and only then', () => {
  const ppm = (w: number, h: number, value: number): Buffer =>
    Buffer.concat([Buffer.from(`P6\n${w} ${h}\n255\n`), Buffer.alloc(w * h * 3, value)]);
  const splitter = new PpmSplitter();
  const [first] = splitter.push(ppm(4, 2, 1));
  splitter.recycle(first!.data);
  const [other, second] = splitter.push(Buffer.concat([ppm(3, 3, 9), ppm(4, 2, 2)]));
  assert.notEqual(other!.data, first!.data, 'another size gets its own buffer');
  assert.equal(second!.data, first!.data, 'the same size reuses the recycled buffer');
  assert.ok(
    second!.data.every((v) => v === 2),
    "it holds the new frame's pixels",
  );
  assert.ok(other!.data.every((v) => v === 9));
  const [third] = splitter.push(ppm(4, 2, 3));
  assert.notEqual(third!.data, second!.data, 'a buffer still in use is not reused');
});
