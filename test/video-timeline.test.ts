// Issue 10, item 7: track times are on the source's timeline and the annotated copy keeps it. The stage
// clip's video starts at 0.85 s (its audio first): the tracks' times count from the file's start, and the
// copy's frames are the source's 275 frames at the source's own times (not 300, re-based at 0 and padded
// with copies of the first frame), so a time in the table is the same picture in the copy. A photo given
// as a video is refused: it would be read as a video of one frame.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { facePath } from '../bench/dataset.js';
import { probeMedia } from '../src/media/probe.js';
import { openSource } from '../src/media/source.js';
import { Visage } from '../src/service/visage.js';
import { tempDir } from './support/cli.js';
import { freshDataDir } from './support/server.js';

const CLIP = facePath('video/hamilton_clip.mp4');

test('hamilton_clip: tracks from 0.83 s on, the annotated copy starts there with the source frames', async () => {
  const source = await probeMedia(openSource(CLIP));
  assert.ok(source.startS > 0.84 && source.startS < 0.86, `source starts at ${source.startS} s`);
  const visage = new Visage({ dataDir: freshDataDir('video-timeline') });
  try {
    const annotated = path.join(tempDir('video-timeline'), 'named.mp4');
    const result = await visage.video.process(CLIP, { annotate: annotated, storeEvents: false });
    const first = Math.min(...result.tracks.map((t) => t.firstS));
    // The first analysed frame is at the source's start, rounded down to the analysis rate.
    assert.ok(Math.abs(first - source.startS) < 1.5 / source.fps, `first track at ${first} s`);
    const copy = await probeMedia(openSource(annotated));
    assert.ok(
      Math.abs(copy.startS - first) < 1 / source.fps,
      `the copy starts at ${copy.startS} s, the first track at ${first} s`,
    );
    assert.equal(
      copy.frames,
      source.frames,
      `the copy has ${copy.frames} frames, the source ${source.frames}`,
    );
    assert.equal(result.frames, source.frames);
  } finally {
    await visage.close();
  }
});

test('a photo given as a video is refused as not_a_video', async () => {
  const visage = new Visage({ dataDir: freshDataDir('video-timeline-photo') });
  try {
    await assert.rejects(
      visage.video.process(facePath('scenes/bbt1.jpg')),
      (e: Error & { code?: string }) => {
        assert.equal(e.code, 'not_a_video');
        assert.match(e.message, /picture/);
        return true;
      },
    );
  } finally {
    await visage.close();
  }
});
