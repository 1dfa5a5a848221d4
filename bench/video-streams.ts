// How many live 720p streams one node keeps up with, for bench:video: N copies of a 1280×720 25 fps
// clip, each served in a loop at real-time pace by its own ffmpeg (serveLiveStream, as a network camera
// sends it) and watched at once by this process; N grows until ≥ 1 % of the frames are dropped (the
// reader drops what recognition cannot keep up with). Counted over a window after every stream is live
// and has settled, so the backlog ffmpeg sends at connection is not counted.
import os from 'node:os';
import type { FaceAnalyzer } from '../src/engine/analyzer.js';
import { round } from '../src/service/json.js';
import type { LiveSource } from '../src/service/video/video.js';
import type { Visage } from '../src/service/visage.js';
import { serveLiveStream, type LiveStream } from './video-fixtures.js';

const SETTLE_S = 4;
const WINDOW_S = 10;
const MAX_DROPPED = 0.01;

export interface StreamsRun {
  streams: number;
  analysed: number;
  dropped: number;
  droppedShare: number;
  /** Frames analysed per second, all streams together. */
  fps: number;
  /** This process's CPU time per analysed frame, ms (ffmpeg's decoding is in its own processes). */
  cpuMsPerFrame: number;
  /** Each model stage: ms per analysed frame (wall, inside the stage), and on what share of frames it ran. */
  stages: Record<Stage, { msPerFrame: number; share: number }>;
  loadAverage: number;
}

type Stage = 'detector' | 'landmarks' | 'embeddings';
type StageTotals = Record<Stage, { calls: number; ms: number }>;

/**
 * Times the analyzer's three stages as video recognition calls them (the instance's own methods,
 * wrapped once; what they compute is unchanged): where a frame's time goes.
 */
function timeStages(analyzer: FaceAnalyzer): () => StageTotals {
  const totals: StageTotals = {
    detector: { calls: 0, ms: 0 },
    landmarks: { calls: 0, ms: 0 },
    embeddings: { calls: 0, ms: 0 },
  };
  const wrap =
    <A extends unknown[], R>(stage: Stage, f: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const t0 = performance.now();
      try {
        return await f(...args);
      } finally {
        totals[stage].calls++;
        totals[stage].ms += performance.now() - t0;
      }
    };
  analyzer.candidates = wrap('detector', analyzer.candidates.bind(analyzer));
  analyzer.describe = wrap('landmarks', analyzer.describe.bind(analyzer));
  analyzer.embedder.embed = wrap('embeddings', analyzer.embedder.embed.bind(analyzer.embedder));
  return () => structuredClone(totals);
}

/** Watches `streams` live copies of `file` at once; the figures of the window. */
async function watchStreams(
  visage: Visage,
  file: string,
  streams: number,
  detectEvery: number,
  stages: () => StageTotals,
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
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    await sleep(WINDOW_S * 1000);
    const end = at();
    const stagesAfter = stages();
    const used = process.cpuUsage(cpu);
    const seconds = (performance.now() - t0) / 1000;
    const analysed = end.analysed - start.analysed;
    const dropped = end.dropped - start.dropped;
    return {
      streams,
      analysed,
      dropped,
      droppedShare: round(dropped / Math.max(1, analysed + dropped), 4),
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
      loadAverage: round(os.loadavg()[0]!, 2),
    };
  } finally {
    for (const s of sources) s.stop();
    await Promise.allSettled(running);
    for (const s of served) s.ffmpeg.kill('SIGKILL');
  }
}

/** Adds streams one at a time until ≥ 1 % of frames are dropped (or `max`); every step's figures. */
export async function streamsPerNode(
  visage: Visage,
  file: string,
  detectEvery: number,
  max = 8,
): Promise<{ keptUp: number; runs: StreamsRun[] }> {
  const runs: StreamsRun[] = [];
  const stages = timeStages(visage.faces.analyzer);
  let keptUp = 0;
  for (let n = 1; n <= max; n++) {
    const r = await watchStreams(visage, file, n, detectEvery, stages);
    runs.push(r);
    if (r.droppedShare >= MAX_DROPPED) break;
    keptUp = n;
  }
  return { keptUp, runs };
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
