// npm run bench:speed — Visage against @vladmandic/face-api (TF.js wasm) in one run, each library in its
// own process: median ms per image (full pipeline from the file: decode, detect, landmarks, embed) over
// RUNS runs after warm-up, the speed ratio, and peak RSS. Ends with one line of JSON.
import { execFileSync } from 'node:child_process';
import { facePath } from './dataset.js';

const RUNS = Number(process.env.RUNS ?? 15);
const IMAGES = ['scenes/obama-480p.jpg', 'scenes/obama-1080p.jpg', 'scenes/bbt1.jpg'].map((f) => facePath(f));

interface WorkerResult {
  lib: string;
  perImage: Record<string, { medianMs: number; faces: number }>;
  peakRssMiB: number;
}

function measure(lib: string): WorkerResult {
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', 'bench/speed-worker.ts', lib, String(RUNS), ...IMAGES],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return JSON.parse(out.trim().split('\n').at(-1)!) as WorkerResult;
}

const faceApi = measure('face-api');
const visage = measure('visage');
const rows = Object.keys(visage.perImage).map((image) => {
  const v = visage.perImage[image]!;
  const f = faceApi.perImage[image]!;
  return {
    image,
    faces: `${v.faces} / ${f.faces}`,
    visageMs: +v.medianMs.toFixed(1),
    faceApiMs: +f.medianMs.toFixed(1),
    speedup: +(f.medianMs / v.medianMs).toFixed(1),
  };
});
console.log(`Median ms per image over ${RUNS} runs (faces: Visage / face-api)`);
console.table(rows);
console.table({
  'peak RSS MiB': { visage: Math.round(visage.peakRssMiB), 'face-api': Math.round(faceApi.peakRssMiB) },
});
console.log(
  JSON.stringify({
    benchmark: 'speed',
    runs: RUNS,
    images: rows,
    peakRssMiB: { visage: visage.peakRssMiB, faceApi: faceApi.peakRssMiB },
  }),
);
