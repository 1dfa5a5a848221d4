// One library's timing run for bench/speed.ts, in its own process so that its peak RSS is its own.
// Usage: node --import tsx bench/speed-worker.ts visage|face-api RUNS FILE...
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { FaceService } from '../src/service/faces/face-service.js';

type Pipeline = (file: string) => Promise<number>;

const [lib, runsArg, ...files] = process.argv.slice(2);
const runs = Number(runsArg);
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
const perImage: Record<string, { medianMs: number; faces: number }> = {};
for (const file of files) {
  let faces = 0;
  for (let i = 0; i < WARMUP; i++) faces = await run(file);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await run(file);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  perImage[path.basename(file)] = { medianMs: times[Math.floor(times.length / 2)]!, faces };
}
process.stdout.write(
  JSON.stringify({ lib, perImage, peakRssMiB: process.resourceUsage().maxRSS / 1024 }) + '\n',
);
process.exit(0);
