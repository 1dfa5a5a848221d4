// One library's pipeline for bench/speed.ts, in its own process so that its peak RSS is its own. It
// loads its models once, says `ready`, then answers each stdin line `FILE RUNS` with one JSON line of that
// many timed runs (the first request for a file warms it up first), and `rss` with its peak RSS.
// Usage: node --import tsx bench/speed-worker.ts visage|face-api
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import sharp from 'sharp';
import { FaceService } from '../src/service/faces/face-service.js';

type Pipeline = (file: string) => Promise<number>;

const lib = process.argv[2];
const WARMUP = 2;

async function visage(): Promise<Pipeline> {
  const dataDir = process.env.VISAGE_DATA ?? path.join(os.homedir(), '.visage');
  const service = new FaceService({ dataDir });
  return async (file) => {
    const result = await service.detectFile(file, true);
    if ('error' in result) throw new Error(result.error.message);
    return result.faces.length;
  };
}

/** face-api as its authors ship it for Node without tfjs-node: TF.js wasm backend, SSD + 68 landmarks + ResNet. */
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
    const { data, info } = await sharp(file)
      .rotate()
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const tensor = faceapi.tf.tensor3d(data, [info.height, info.width, 3], 'int32');
    const faces = await faceapi
      .detectAllFaces(tensor, new faceapi.SsdMobilenetv1Options({ minConfidence: 0.5 }))
      .withFaceLandmarks()
      .withFaceDescriptors();
    tensor.dispose();
    return faces.length;
  };
}

const run = lib === 'visage' ? await visage() : await faceApi();
const warm = new Set<string>();
process.stdout.write('ready\n');
for await (const line of readline.createInterface({ input: process.stdin })) {
  if (line === 'rss') {
    process.stdout.write(JSON.stringify({ peakRssMiB: process.resourceUsage().maxRSS / 1024 }) + '\n');
    continue;
  }
  const [file, runs] = [line.slice(0, line.lastIndexOf(' ')), Number(line.slice(line.lastIndexOf(' ') + 1))];
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
