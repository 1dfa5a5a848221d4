// Track recall of detecting every few frames (face-follower.ts) against detecting every frame, for
// bench:video. The every-frame run's tracked faces are the reference: a face of a frame is recalled
// when the run under test has a face on the same frame whose box overlaps it by IoU ≥ 0.5 (each box
// matched once, best overlap first). Events are not stored.
import { iou } from '../src/engine/detect/nms.js';
import { round } from '../src/service/json.js';
import type { FrameFaces, VideoResult } from '../src/service/video/video.js';
import type { Visage } from '../src/service/visage.js';

const MIN_IOU = 0.5;

export interface RecallRun {
  detectEvery: number;
  frames: number;
  seconds: number;
  fps: number;
  /** Faces on the reference's frames, and how many of them this run has. */
  faces: number;
  recalled: number;
  recall: number;
  named: string[];
}

async function run(visage: Visage, file: string, detectEvery: number): Promise<VideoResult> {
  return visage.video.process(file, { storeEvents: false, perFrame: true, detectEvery });
}

/** Recall of `detectEvery` against 1 on `file`; the first entry is the reference itself. */
export async function trackRecall(
  visage: Visage,
  file: string,
  detectEvery: readonly number[],
): Promise<RecallRun[]> {
  let reference: FrameFaces[] | null = null;
  const out: RecallRun[] = [];
  for (const n of [1, ...detectEvery]) {
    const start = performance.now();
    const r = await run(visage, file, n);
    const seconds = (performance.now() - start) / 1000;
    reference ??= r.perFrame!;
    const { faces, recalled } = recall(reference, r.perFrame!);
    out.push({
      detectEvery: n,
      frames: r.frames,
      seconds: round(seconds, 2),
      fps: round(r.frames / seconds, 1),
      faces,
      recalled,
      recall: faces ? round(recalled / faces, 4) : 1,
      named: r.tracks.filter((t) => t.name).map((t) => `#${t.id} ${t.name}`),
    });
  }
  return out;
}

function recall(reference: FrameFaces[], run: FrameFaces[]): { faces: number; recalled: number } {
  const byIndex = new Map(run.map((f) => [f.index, f]));
  let faces = 0;
  let recalled = 0;
  for (const frame of reference) {
    faces += frame.faces.length;
    const theirs = byIndex.get(frame.index)?.faces ?? [];
    const pairs: { a: number; b: number; overlap: number }[] = [];
    frame.faces.forEach((f, a) =>
      theirs.forEach((g, b) => {
        const overlap = iou(f.box, g.box);
        if (overlap >= MIN_IOU) pairs.push({ a, b, overlap });
      }),
    );
    pairs.sort((x, y) => y.overlap - x.overlap);
    const usedA = new Set<number>();
    const usedB = new Set<number>();
    for (const p of pairs) {
      if (usedA.has(p.a) || usedB.has(p.b)) continue;
      usedA.add(p.a);
      usedB.add(p.b);
      recalled++;
    }
  }
  return { faces, recalled };
}
