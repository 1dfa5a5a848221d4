// npm run bench:video — speed of video recognition (decode → track → recognise, events not stored) on
// ../shared/faces/video/hamilton_clip.mp4 at its native 640×360 and scaled to 1280×720, as a file and as a
// live HTTP stream served by ffmpeg at real-time pace; frames/s, × real time, peak RSS. Then (issue 14)
// track recall of detecting every few frames against every frame on the clips (video-recall.ts), and
// how many live 720p 25 fps streams one node keeps up with (< 1 % dropped) with 1 and 2 ONNX Runtime
// threads (video-streams.ts), with the live sources' batched model runs and without. Ends with one line of JSON. Targets: issue 4, ≥ 2× real time on the clip,
// ≥ 25 frames/s at 720p; issue 14, ≥ 4 streams with recall within 1 % of every frame.
// VIDEO_STREAMS_MAX caps the streams tried (default 8).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ffmpegPath } from '../src/media/ffmpeg.js';
import { round } from '../src/service/json.js';
import type { Visage } from '../src/service/visage.js';
import { facePath } from './dataset.js';
import { freshVisage } from './recognition.js';
import { enrollHamiltonPeople, serveLiveStream } from './video-fixtures.js';
import { trackRecall } from './video-recall.js';
import { streamsPerNode } from './video-streams.js';
import { DEFAULT_DETECT_EVERY } from '../src/service/video/face-follower.js';

const CLIP = facePath('video/hamilton_clip.mp4');
const LIVE_SECONDS = 10;
const RECALL_CLIPS = ['video/hamilton_clip.mp4', 'video/faceapi_test.mp4'];
const STREAMS_MAX = Number(process.env.VIDEO_STREAMS_MAX ?? 8);

interface FileRun {
  frames: number;
  seconds: number;
  fps: number;
  /** Frames per second of this process's CPU time (ffmpeg's decoding not included): what one free core gives. */
  cpuFps: number;
  realTime: number;
  tracks: number;
  named: string[];
}

/** Folders of the scaled copies, removed at the end. */
const scratch: string[] = [];

/** The clip at 1280×720 (at its own rate, or at `fps`). */
function scaleTo720p(fps?: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'visage-bench-video-'));
  scratch.push(dir);
  const out = path.join(dir, `hamilton_720p${fps ? `_${fps}` : ''}.mp4`);
  const r = spawnSync(
    ffmpegPath(),
    [
      '-v',
      'error',
      '-y',
      '-i',
      CLIP,
      '-vf',
      'scale=1280:720',
      ...(fps ? ['-r', String(fps)] : []),
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-crf',
      '20',
      '-c:a',
      'copy',
      out,
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`ffmpeg could not scale the clip: ${r.stderr}`);
  return out;
}

async function runFile(visage: Visage, file: string): Promise<FileRun> {
  const start = performance.now();
  const cpu = process.cpuUsage();
  const r = await visage.video.process(file, { storeEvents: false });
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  const span = r.frames / r.analysisFps;
  return {
    frames: r.frames,
    seconds: round(seconds, 2),
    fps: round(r.frames / seconds, 1),
    cpuFps: round(r.frames / ((used.user + used.system) / 1e6), 1),
    realTime: round(span / seconds, 2),
    tracks: r.tracks.length,
    named: r.tracks.filter((t) => t.name).map((t) => `#${t.id} ${t.name}`),
  };
}

/** Serves `file` in a loop over HTTP at real-time pace and watches it for LIVE_SECONDS. */
async function runLive(
  visage: Visage,
  file: string,
): Promise<{ seconds: number; delivered: number; analysed: number; dropped: number; fps: number }> {
  const stream = await serveLiveStream(file);
  let firstFrameAt = 0;
  const live = visage.video.watch(
    stream.url,
    // Retries until the server listens.
    { storeEvents: false, failFast: false, retry: { initialDelayMs: 200 } },
    {
      onState: (s) => {
        if (s.state === 'live') {
          firstFrameAt = performance.now();
          setTimeout(() => live.stop(), LIVE_SECONDS * 1000);
        }
      },
    },
  );
  try {
    await live.run();
  } finally {
    stream.ffmpeg.kill('SIGKILL');
  }
  const seconds = (performance.now() - firstFrameAt) / 1000;
  return {
    seconds: round(seconds, 2),
    // ffmpeg sends the ~2 s it studied before the first frame at once: those are most of the drops.
    delivered: live.framesAnalysed + live.framesDropped,
    analysed: live.framesAnalysed,
    dropped: live.framesDropped,
    fps: round(live.framesAnalysed / seconds, 1),
  };
}

// Other work on the machine slows every figure: the load average is reported with them.
const loadAverage = round(os.loadavg()[0]!, 2);
const visage = freshVisage('nearest');
try {
  await enrollHamiltonPeople(visage);
  await visage.video.process(facePath('video/faceapi_test.mp4'), { storeEvents: false }); // loads the models
  const hd = scaleTo720p();
  const native = await runFile(visage, CLIP);
  const file720p = await runFile(visage, hd);
  const live720p = await runLive(visage, hd);
  const recall: Record<string, Awaited<ReturnType<typeof trackRecall>>> = {};
  for (const clip of RECALL_CLIPS)
    recall[clip] = await trackRecall(visage, facePath(clip), [3, DEFAULT_DETECT_EVERY]);
  const hd25 = scaleTo720p(25);
  const streams: Record<string, Awaited<ReturnType<typeof streamsPerNode>>> = {
    '1 thread': await streamsPerNode(visage, hd25, DEFAULT_DETECT_EVERY, STREAMS_MAX),
  };
  const twoThreads = freshVisage('nearest', { threads: 2 });
  try {
    await enrollHamiltonPeople(twoThreads);
    await twoThreads.video.process(facePath('video/faceapi_test.mp4'), { storeEvents: false });
    streams['2 threads'] = await streamsPerNode(twoThreads, hd25, DEFAULT_DETECT_EVERY, STREAMS_MAX);
  } finally {
    await twoThreads.close();
  }
  const peakRssMiB = round(process.resourceUsage().maxRSS / 1024, 0);
  console.table({
    'hamilton 640×360 file': {
      'frames/s': native.fps,
      'frames/CPU-s': native.cpuFps,
      '× real time': native.realTime,
      frames: native.frames,
      tracks: native.tracks,
    },
    'hamilton 1280×720 file': {
      'frames/s': file720p.fps,
      'frames/CPU-s': file720p.cpuFps,
      '× real time': file720p.realTime,
      frames: file720p.frames,
      tracks: file720p.tracks,
    },
    'hamilton 1280×720 live': {
      'frames/s': live720p.fps,
      'frames/CPU-s': '',
      '× real time': '',
      frames: live720p.analysed,
      tracks: `${live720p.dropped} dropped`,
    },
  });
  console.table(
    Object.entries(recall).flatMap(([clip, runs]) =>
      runs.map((r) => ({
        clip,
        'detect every': r.detectEvery,
        'frames/s': r.fps,
        faces: r.faces,
        'track recall': r.recall,
        named: r.named.join(', '),
      })),
    ),
  );
  console.table(
    Object.entries(streams)
      .flatMap(([threads, both]) =>
        Object.entries(both).flatMap(([way, s]) => s.runs.map((r) => ({ threads, way, r }))),
      )
      .map(({ threads, way, r }) => ({
        threads,
        batching: way === 'batched' ? `on (${r.batching.framesPerRun} frames/run)` : 'off',
        streams: r.streams,
        'frames/s': r.fps,
        dropped: `${r.dropped} (${round(r.droppedShare * 100, 2)} %)`,
        'CPU ms/frame': r.cpuMsPerFrame,
        'detector input ms/frame': r.stages.detectorInput.msPerFrame,
        'detector ms/frame (share)': `${r.stages.detector.msPerFrame} (${r.stages.detector.share})`,
        'landmarks ms/frame': r.stages.landmarks.msPerFrame,
        'embeddings ms/frame': r.stages.embeddings.msPerFrame,
        load: r.loadAverage,
      })),
  );
  console.log(
    JSON.stringify({
      benchmark: 'video',
      detectEvery: DEFAULT_DETECT_EVERY,
      recall,
      streamsPerNode: Object.fromEntries(
        Object.entries(streams).map(([k, s]) => [
          k,
          { batched: s.batched.keptUp, unbatched: s.unbatched.keptUp },
        ]),
      ),
      streams,
      cpus: os.cpus().length,
      loadAverage,
      native,
      file720p,
      live720p,
      peakRssMiB,
    }),
  );
} finally {
  await visage.close();
  for (const dir of scratch) fs.rmSync(dir, { recursive: true, force: true });
}
