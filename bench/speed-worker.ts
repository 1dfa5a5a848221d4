// One library's pipeline for bench/speed.ts, in its own process so that its peak RSS is its own. It
// loads its models once, says `ready`, then answers each stdin line `FILE RUNS` with one JSON line of that
// many timed runs (the first request for a file warms it up first), `stages FILE RUNS` (Visage only) with
// the median ms of each stage of its pipeline, and `rss` with its peak RSS.
// Usage: node --import tsx bench/speed-worker.ts visage|face-api|human
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import sharp from 'sharp';
import { FaceService } from '../src/service/faces/face-service.js';

type Pipeline = (file: string) => Promise<number>;
/** ms per stage of one run through the pipeline, stage by stage, as FaceAnalyzer.analyze runs them. */
type Stages = (file: string) => Promise<Record<string, number>>;

const lib = process.argv[2];
const WARMUP = 2;

let stages: Stages | undefined;

async function visage(): Promise<Pipeline> {
  const dataDir = process.env.VISAGE_DATA ?? path.join(os.homedir(), '.visage');
  const service = new FaceService({ dataDir });
  const { analyzer } = service;
  stages = async (file) => {
    const ms: Record<string, number> = {};
    let t = performance.now();
    const lap = (stage: string) => {
      const now = performance.now();
      ms[stage] = now - t;
      t = now;
    };
    const image = await service.loadImage(file);
    lap('decode');
    const candidates = await analyzer.candidates(image);
    lap('detect');
    const faces = await analyzer.describe(image, candidates);
    lap('landmarks');
    await analyzer.embedder.embed(
      image,
      faces.map((f) => f.keypoints),
    );
    lap(analyzer.embedder.flip ? 'embed (+flip)' : 'embed');
    return ms;
  };
  return async (file) => {
    const result = await service.detectFile(file, true);
    if ('error' in result) throw new Error(result.error.message);
    return result.faces.length;
  };
}

/** face-api as its authors ship it for Node without tfjs-node: TF.js wasm backend, SSD + 68 landmarks + ResNet. */
/** The peers' input: the file decoded by libvips to RGB, upright, as their Node examples do. */
function decodeRgb(file: string) {
  return sharp(file).rotate().removeAlpha().raw().toBuffer({ resolveWithObject: true });
}

async function faceApi(): Promise<Pipeline> {
  const require = createRequire(import.meta.url);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as any;
  require('@tensorflow/tfjs-backend-wasm').setThreadsCount(1);
  await faceapi.tf.setBackend('wasm');
  await faceapi.tf.ready();
  const modelDir = path.join(
    path.dirname(require.resolve('@vladmandic/face-api/dist/face-api.node-wasm.js')),
    '../model',
  );
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(modelDir);
  await faceapi.nets.faceLandmark68Net.loadFromDisk(modelDir);
  await faceapi.nets.faceRecognitionNet.loadFromDisk(modelDir);
  return async (file) => {
    const { data, info } = await decodeRgb(file);
    const tensor = faceapi.tf.tensor3d(data, [info.height, info.width, 3], 'int32');
    const faces = await faceapi
      .detectAllFaces(tensor, new faceapi.SsdMobilenetv1Options({ minConfidence: 0.5 }))
      .withFaceLandmarks()
      .withFaceDescriptors();
    tensor.dispose();
    return faces.length;
  };
}

/**
 * Human as its author ships it for Node without tfjs-node: TF.js wasm backend (one thread, as face-api),
 * its default face pipeline — BlazeFace, FaceMesh, FaceRes description — and nothing else.
 */
async function human(): Promise<Pipeline> {
  const require = createRequire(import.meta.url);
  // The package's "exports" map names its builds (and package.json) without "./", so the package is found
  // by its main build and the wasm build loaded by path.
  const dist = path.dirname(require.resolve('@vladmandic/human'));
  // Its wasm build loads models with fetch, and Node's fetch has no file: scheme: serve those from disk.
  const fetchUrl = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    return url.startsWith('file:') ? new Response(fs.readFileSync(new URL(url))) : fetchUrl(input, init);
  };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const { Human } = require(path.join(dist, 'human.node-wasm.js')) as any;
  const wasm = require('@tensorflow/tfjs-backend-wasm');
  wasm.setThreadsCount(1);
  const off = { enabled: false };
  const h = new Human({
    backend: 'wasm',
    wasmPath: `${path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`,
    modelBasePath: `file://${path.join(dist, '../models')}/`,
    debug: false,
    warmup: 'none',
    // Every run is a new photo: no reuse of the previous frame's results.
    cacheSensitivity: 0,
    face: {
      enabled: true,
      detector: { rotation: false, maxDetected: 20 },
      mesh: { enabled: true },
      description: { enabled: true },
      iris: off,
      emotion: off,
      antispoof: off,
      liveness: off,
    },
    body: off,
    hand: off,
    object: off,
    gesture: off,
    segmentation: off,
  });
  await h.load();
  return async (file) => {
    const { data, info } = await decodeRgb(file);
    const tensor = h.tf.tensor3d(data, [info.height, info.width, 3], 'int32');
    const result = await h.detect(tensor);
    tensor.dispose();
    return result.face.length;
  };
}

const run = lib === 'visage' ? await visage() : lib === 'human' ? await human() : await faceApi();
const warm = new Set<string>();
process.stdout.write('ready\n');
for await (const line of readline.createInterface({ input: process.stdin })) {
  if (line === 'rss') {
    process.stdout.write(JSON.stringify({ peakRssMiB: process.resourceUsage().maxRSS / 1024 }) + '\n');
    continue;
  }
  const staged = line.startsWith('stages ') && stages;
  const request = staged ? line.slice('stages '.length) : line;
  const [file, runs] = [
    request.slice(0, request.lastIndexOf(' ')),
    Number(request.slice(request.lastIndexOf(' ') + 1)),
  ];
  if (staged) {
    const laps: Record<string, number[]> = {};
    for (let i = 0; i < runs; i++) {
      for (const [stage, ms] of Object.entries(await staged(file))) (laps[stage] ??= []).push(ms);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const medians = Object.fromEntries(Object.entries(laps).map(([s, xs]) => [s, median(xs)]));
    process.stdout.write(JSON.stringify(medians) + '\n');
    continue;
  }
  let faces = 0;
  if (!warm.has(file)) {
    for (let i = 0; i < WARMUP; i++) faces = await run(file);
    warm.add(file);
  }
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    faces = await run(file);
    times.push(performance.now() - t0);
  }
  process.stdout.write(JSON.stringify({ faces, times }) + '\n');
}
