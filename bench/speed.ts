// npm run bench:speed — Visage against @vladmandic/face-api and @vladmandic/human (both TF.js wasm, one
// thread) in one run, each library in its own process (so that its peak RSS is its own): median ms per
// image (full pipeline from the file: decode, detect, landmarks, embed), the speed ratios, and peak RSS.
// Ends with one line of JSON.
// The machine is shared and its load drifts by tens of percent within a minute, so the libraries are
// not timed one after the other: both workers stay up and take turns, a few runs each per image and
// round, in alternating order, and each median is over all rounds. A load change then hits both alike.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { facePath } from './dataset.js';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const RUNS_PER_ROUND = Number(process.env.RUNS ?? 3);
const IMAGES = ['scenes/obama-480p.jpg', 'scenes/obama-1080p.jpg', 'scenes/bbt1.jpg'].map((f) => facePath(f));
const LIBS = ['face-api', 'human', 'visage'] as const;
type Lib = (typeof LIBS)[number];

/** A worker process (bench/speed-worker.ts) answering one JSON line per request line. */
class Worker {
  private readonly child: ChildProcessByStdio<Writable, Readable, null>;
  private readonly lines: AsyncIterator<string>;

  constructor(lib: Lib) {
    this.child = spawn(process.execPath, ['--import', 'tsx', 'bench/speed-worker.ts', lib], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    this.lines = readline.createInterface({ input: this.child.stdout })[Symbol.asyncIterator]();
  }

  async next(): Promise<string> {
    const { value, done } = await this.lines.next();
    if (done) throw new Error('a speed worker exited early');
    return value;
  }

  async request<T>(line: string): Promise<T> {
    this.child.stdin.write(`${line}\n`);
    return JSON.parse(await this.next()) as T;
  }

  close(): void {
    this.child.stdin.end();
  }
}

const workers = Object.fromEntries(LIBS.map((lib) => [lib, new Worker(lib)])) as Record<Lib, Worker>;
for (const lib of LIBS) await workers[lib].next(); // 'ready': models loaded

const times: Record<Lib, Record<string, number[]>> = { 'face-api': {}, human: {}, visage: {} };
const faces: Record<Lib, Record<string, number>> = { 'face-api': {}, human: {}, visage: {} };
for (let round = 0; round < ROUNDS; round++) {
  for (const file of IMAGES) {
    const order = round % 2 === 0 ? LIBS : [...LIBS].reverse();
    for (const lib of order) {
      const r = await workers[lib].request<{ faces: number; times: number[] }>(`${file} ${RUNS_PER_ROUND}`);
      (times[lib][file] ??= []).push(...r.times);
      faces[lib][file] = r.faces;
    }
  }
}
// Where Visage's time goes, stage by stage (the same run; sums to about the pipeline's median).
const stageRows = Object.fromEntries(
  await (async () => {
    const out: [string, Record<string, number>][] = [];
    for (const file of IMAGES) {
      const ms = await workers.visage.request<Record<string, number>>(
        `stages ${file} ${ROUNDS * RUNS_PER_ROUND}`,
      );
      out.push([
        path.basename(file),
        Object.fromEntries(Object.entries(ms).map(([s, v]) => [s, +v.toFixed(1)])),
      ]);
    }
    return out;
  })(),
);
const rss = Object.fromEntries(
  await Promise.all(
    LIBS.map(async (lib) => [lib, (await workers[lib].request<{ peakRssMiB: number }>('rss')).peakRssMiB]),
  ),
) as Record<Lib, number>;
for (const lib of LIBS) workers[lib].close();

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rows = IMAGES.map((file) => {
  const v = median(times.visage[file]!);
  const f = median(times['face-api'][file]!);
  const h = median(times.human[file]!);
  return {
    image: path.basename(file),
    faces: `${faces.visage[file]} / ${faces['face-api'][file]} / ${faces.human[file]}`,
    visageMs: +v.toFixed(1),
    faceApiMs: +f.toFixed(1),
    humanMs: +h.toFixed(1),
    speedup: +(f / v).toFixed(1),
    vsHuman: +(h / v).toFixed(1),
  };
});
const runs = ROUNDS * RUNS_PER_ROUND;
console.log(
  `Median ms per image over ${runs} runs in ${ROUNDS} interleaved rounds (faces: Visage / face-api / Human; speedup: face-api's time / Visage's, vsHuman: Human's / Visage's)`,
);
console.table(rows);
console.log("Visage's median ms per stage");
console.table(stageRows);
console.table({
  'peak RSS MiB': {
    visage: Math.round(rss.visage),
    'face-api': Math.round(rss['face-api']),
    human: Math.round(rss.human),
  },
});
console.log(
  JSON.stringify({
    benchmark: 'speed',
    runs,
    rounds: ROUNDS,
    images: rows,
    stages: stageRows,
    peakRssMiB: { visage: rss.visage, faceApi: rss['face-api'], human: rss.human },
  }),
);
