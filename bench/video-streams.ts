// How many live 720p streams one node keeps up with, for bench:video: N copies of a 1280×720 25 fps
// clip, each served in a loop at real-time pace by its own ffmpeg (serveLiveStream, as a network camera
// sends it) and watched at once by this process; N grows until ≥ 1 % of the frames are dropped (the
// reader drops what recognition cannot keep up with) or late: on a loaded machine the readers' ffmpeg
// decoders fall behind real time before the reader drops anything (the pipe backs up), so frames the
// streams sent (N × 25 fps × the window) but that never arrived count as dropped too (beyond the 3 a
// stream may have in flight). Counted over a window after every stream is live
// and has settled, so the backlog ffmpeg sends at connection is not counted. Each step runs with the
// live sources' batched model runs (issue 14, item 4; frame-stages.ts) and without, one after the other,
// so the two are compared under the same load.
import os from 'node:os';
import type { FaceAnalyzer } from '../src/engine/analyzer.js';
import { round } from '../src/service/json.js';
import type { LiveSource } from '../src/service/video/video.js';
import type { Visage } from '../src/service/visage.js';
import { serveLiveStream, type LiveStream } from './video-fixtures.js';

const SETTLE_S = 4;
const WINDOW_S = 10;
const MAX_DROPPED = 0.01;
/** The streams' frame rate (bench:video makes its 720p copy at 25 fps). */
const SOURCE_FPS = 25;
/**
 * Frames a stream that keeps up may still owe at the window's end, not late: one being analysed and the
 * live reader's queue of two.
 */
const IN_FLIGHT = 3;

export interface StreamsRun {
  streams: number;
  analysed: number;
  /** Frames the reader dropped, plus frames sent in the window that never arrived (late). */
  dropped: number;
  droppedShare: number;
  /** Frames analysed per second, all streams together. */
  fps: number;
  /** This process's CPU time per analysed frame, ms (ffmpeg's decoding is in its own processes). */
  cpuMsPerFrame: number;
  /** Each model stage: ms per analysed frame (wall, inside the stage), and on what share of frames it ran. */
  stages: Record<Stage, { msPerFrame: number; share: number }>;
  /** Batched runs: model runs made, the share that served several frames, frames per run (0 when off). */
  batching: { runs: number; batchedShare: number; framesPerRun: number };
  loadAverage: number;
}

type Stage = 'detectorInput' | 'detector' | 'landmarks' | 'embeddings';
type StageTotals = Record<Stage, { calls: number; ms: number }>;

/**
 * Times the analyzer's stages as video recognition calls them, single or batched (the instance's own
 * methods, wrapped once; what they compute is unchanged; describe() and embed() go through their batched
 * forms, which are the ones wrapped; concurrent calls — several sources' detector inputs — each count
 * their own wall time): where a frame's time goes.
 */
function timeStages(analyzer: FaceAnalyzer): () => StageTotals {
  const totals: StageTotals = {
    detectorInput: { calls: 0, ms: 0 },
    detector: { calls: 0, ms: 0 },
    landmarks: { calls: 0, ms: 0 },
    embeddings: { calls: 0, ms: 0 },
  };
  const wrap =
    <A extends unknown[], R>(stage: Stage, f: (...args: A) => Promise<R>, frames: (first: A[0]) => number) =>
    async (...args: A): Promise<R> => {
      const t0 = performance.now();
      try {
        return await f(...args);
      } finally {
        totals[stage].calls += frames(args[0]);
        totals[stage].ms += performance.now() - t0;
      }
    };
  const one = (): number => 1;
  const many = (items: readonly unknown[]): number => items.length;
  analyzer.detectorInput = wrap('detectorInput', analyzer.detectorInput.bind(analyzer), one);
  analyzer.candidates = wrap('detector', analyzer.candidates.bind(analyzer), one);
  analyzer.candidatesOf = wrap('detector', analyzer.candidatesOf.bind(analyzer), many);
  analyzer.describeBatch = wrap('landmarks', analyzer.describeBatch.bind(analyzer), many);
  const embedder = analyzer.embedder;
  embedder.embedBatch = wrap('embeddings', embedder.embedBatch.bind(embedder), many);
  return () => structuredClone(totals);
}

/** Watches `streams` live copies of `file` at once; the figures of the window. */
async function watchStreams(
  visage: Visage,
  file: string,
  streams: number,
  detectEvery: number,
  stages: () => StageTotals,
  batching: boolean,
): Promise<StreamsRun> {
  const served: LiveStream[] = [];
  const sources: LiveSource[] = [];
  const running: Promise<void>[] = [];
  let live = 0;
  let allLive: () => void = () => {};
  const ready = new Promise<void>((resolve) => (allLive = resolve));
  try {
    for (let i = 0; i < streams; i++) {
      const stream = await serveLiveStream(file);
      served.push(stream);
      const source = visage.video.watch(
        stream.url,
        {
          name: `stream ${i + 1}`,
          storeEvents: false,
          failFast: false,
          retry: { initialDelayMs: 200 },
          detectEvery,
          batching,
        },
        { onState: (s) => s.state === 'live' && ++live === streams && allLive() },
      );
      sources.push(source);
      running.push(source.run());
    }
    await ready;
    await sleep(SETTLE_S * 1000);
    const at = (): { analysed: number; dropped: number } => ({
      analysed: sum(sources.map((s) => s.framesAnalysed)),
      dropped: sum(sources.map((s) => s.framesDropped)),
    });
    const start = at();
    const stagesBefore = stages();
    const batchBefore = { ...visage.video.batcher.stats };
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    await sleep(WINDOW_S * 1000);
    const end = at();
    const stagesAfter = stages();
    const batch = visage.video.batcher.stats;
    const runs = batch.runs - batchBefore.runs;
    const used = process.cpuUsage(cpu);
    const seconds = (performance.now() - t0) / 1000;
    const analysed = end.analysed - start.analysed;
    const sent = streams * SOURCE_FPS * seconds;
    const dropped = Math.round(Math.max(end.dropped - start.dropped, sent - analysed - streams * IN_FLIGHT));
    return {
      streams,
      analysed,
      dropped,
      droppedShare: round(dropped / Math.max(1, sent), 4),
      fps: round(analysed / seconds, 1),
      cpuMsPerFrame: round((used.user + used.system) / 1000 / Math.max(1, analysed), 2),
      stages: Object.fromEntries(
        (Object.keys(stagesAfter) as Stage[]).map((k) => [
          k,
          {
            msPerFrame: round((stagesAfter[k].ms - stagesBefore[k].ms) / Math.max(1, analysed), 2),
            share: round((stagesAfter[k].calls - stagesBefore[k].calls) / Math.max(1, analysed), 3),
          },
        ]),
      ) as StreamsRun['stages'],
      batching: {
        runs,
        batchedShare: round((batch.batchedRuns - batchBefore.batchedRuns) / Math.max(1, runs), 3),
        framesPerRun: round((batch.frames - batchBefore.frames) / Math.max(1, runs), 2),
      },
      loadAverage: round(os.loadavg()[0]!, 2),
    };
  } finally {
    for (const s of sources) s.stop();
    await Promise.allSettled(running);
    for (const s of served) s.ffmpeg.kill('SIGKILL');
  }
}

export interface StreamsPerNode {
  /** Streams kept up with (< 1 % dropped), and every step's figures. */
  keptUp: number;
  runs: StreamsRun[];
}

/**
 * Adds streams one at a time until ≥ 1 % of frames are dropped (or `max`), with batching and without
 * (each step both ways, alternating which goes first, until that way drops); every step's figures. At
 * least `minSteps` steps are run either way, so that the two ways' frames/s can be compared with several
 * streams even when neither keeps up with one.
 */
export async function streamsPerNode(
  visage: Visage,
  file: string,
  detectEvery: number,
  max = 8,
  minSteps = 3,
): Promise<{ batched: StreamsPerNode; unbatched: StreamsPerNode }> {
  const stages = timeStages(visage.faces.analyzer);
  const out = { batched: { keptUp: 0, runs: [] }, unbatched: { keptUp: 0, runs: [] } } as {
    batched: StreamsPerNode;
    unbatched: StreamsPerNode;
  };
  const going = new Set<keyof typeof out>(['batched', 'unbatched']);
  const dropping = new Set<keyof typeof out>();
  for (let n = 1; n <= max && going.size > 0; n++) {
    const order = [...going];
    if (n % 2 === 0) order.reverse();
    for (const way of order) {
      const r = await watchStreams(visage, file, n, detectEvery, stages, way === 'batched');
      out[way].runs.push(r);
      if (r.droppedShare >= MAX_DROPPED) dropping.add(way);
      else if (!dropping.has(way)) out[way].keptUp = n;
      if (dropping.has(way) && n >= minSteps) going.delete(way);
    }
  }
  return out;
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
