// npm run bench:int8 — int8 models (src/engine/models/quantize/): recomputes each model's calibration on
// real faces, builds the int8 variant from it exactly as the model cache does, and prints, in the same
// run, parity with the float model on other real faces and the speed of both (interleaved, 1 thread).
//   Faces: ../shared/faces/dev, 80 people; photos 0 and 2 of each person calibrate, photos 1 and 3 are
//   measured (largest face; Visage's own detection and alignment, in float). Embedders see the aligned
//   crop and its mirror image when calibrating; parity is on the embedding the default path computes
//   (with flip TTA where defaultFlip says so) and on the plain one. The detector sees whole photos.
// Usage: npm run bench:int8 [-- --write] [--models dlib-resnet,blazeface-back] [--percentile 99.99]
//          [--float-heads] [--float-first] [--full-range] [--rounds 3]
//   --write: store the calibrations in assets/int8/ (what the cache builds int8 models from); otherwise
//   they go to test-output/int8/ and only this run uses them. --full-range: 8-bit weights (default 7).
//   The committed dlib-resnet calibration is `npm run bench:int8 -- --models dlib-resnet --write`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import ort from 'onnxruntime-node';
import { DEFAULT_DETECT_OPTIONS, defaultFlip, FaceAnalyzer } from '../src/engine/analyzer.js';
import { BlazeFaceDetector } from '../src/engine/detect/blazeface.js';
import { FaceEmbedder, mirror } from '../src/engine/embed/embedder.js';
import { largestFace, type DetectedFace } from '../src/engine/face.js';
import { decodeImage } from '../src/engine/image/decode.js';
import { letterboxForDetection, toTensorNHWC } from '../src/engine/image/pixels.js';
import { loadInt8ModelBytes, loadModelBytes, sha256 } from '../src/engine/models/cache.js';
import { getModelSpec } from '../src/engine/models/catalog.js';
import { calibrateRanges, type CalibrationInput } from '../src/engine/models/quantize/calibrate.js';
import {
  CALIBRATION_DIR,
  calibrationPath,
  type Int8Calibration,
} from '../src/engine/models/quantize/int8.js';
import { openModel } from '../src/engine/models/quantize/model.js';
import type { QuantizeOptions } from '../src/engine/models/quantize/qdq.js';
import { ModelRuntime, sessionOptions } from '../src/engine/runtime/sessions.js';
import type { Box, RgbImage } from '../src/engine/types.js';
import { facePath } from './dataset.js';

const log = (m: string): void => console.error(m);
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const flag = (name: string): boolean => process.argv.includes(`--${name}`);

const MODELS = (arg('models') ?? 'dlib-resnet,blazeface-back').split(',');
const PERCENTILE = arg('percentile') === undefined ? undefined : Number(arg('percentile'));
const OPTIONS: QuantizeOptions = {
  floatHeads: flag('float-heads'),
  floatFirst: flag('float-first'),
  // 7-bit weights unless told: what the committed calibration uses (qdq.ts, QuantizeOptions.reduceRange).
  reduceRange: !flag('full-range'),
};
const ROUNDS = Number(arg('rounds') ?? 3);
const OUT_DIR = path.resolve(import.meta.dirname, '../test-output/int8');
const CALIBRATION_OUT = flag('write') ? CALIBRATION_DIR : path.join(OUT_DIR, 'calibration');
const MODEL_CACHE = path.join(os.tmpdir(), 'visage-bench-models');

interface Photo {
  file: string;
  image: RgbImage;
  face: DetectedFace & { keypoints: [number, number][] };
}

/** dev photos number `indices` of every person, with their largest face (found in float). */
async function loadPhotos(analyzer: FaceAnalyzer, indices: readonly number[]): Promise<Photo[]> {
  const dev = facePath('dev');
  const out: Photo[] = [];
  for (const person of fs.readdirSync(dev).sort()) {
    const files = fs.readdirSync(path.join(dev, person)).sort();
    for (const i of indices) {
      if (!files[i]) continue;
      const file = path.join(dev, person, files[i]!);
      const image = await decodeImage(file);
      const face = largestFace(await analyzer.detect(image));
      if (face) out.push({ file, image, face: face as Photo['face'] });
    }
  }
  return out;
}

/** What the model sees for a photo: the aligned crop and its mirror (embedders), the letterbox (detectors). */
async function modelInputs(
  id: string,
  photos: readonly Photo[],
  runtime: ModelRuntime,
): Promise<CalibrationInput[]> {
  const spec = getModelSpec(id);
  const [w, h] = spec.inputSize;
  if (spec.task === 'detect') {
    return Promise.all(
      photos.map(async (p) => ({
        data: toTensorNHWC(
          [(await letterboxForDetection(p.image, w)).image],
          spec.scaling.mean,
          spec.scaling.std,
        ),
        dims: [1, h, w, 3],
      })),
    );
  }
  const embedder = new FaceEmbedder(runtime, id);
  return photos.flatMap((p) => {
    const [crop] = embedder.align(p.image, [p.face.keypoints]);
    return [crop!, mirror(crop!)].map((c) => {
      const nhwc = toTensorNHWC([c], spec.scaling.mean, spec.scaling.std);
      return spec.layout === 'NCHW'
        ? { data: toNchw(nhwc, h, w), dims: [1, 3, h, w] }
        : { data: nhwc, dims: [1, h, w, 3] };
    });
  });
}

function toNchw(src: Float32Array, h: number, w: number): Float32Array {
  const out = new Float32Array(src.length);
  for (let p = 0; p < h * w; p++) for (let c = 0; c < 3; c++) out[c * h * w + p] = src[p * 3 + c]!;
  return out;
}

const dot = (a: Float32Array, b: Float32Array): number => a.reduce((s, v, i) => s + v * b[i]!, 0);
const quantile = (v: readonly number[], q: number): number => {
  if (v.length === 0) return NaN;
  const s = [...v].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.floor(q * (s.length - 1))))]!;
};
const mean = (v: readonly number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
const f = (x: number, d = 4): string => x.toFixed(d);

async function embedderParity(
  id: string,
  photos: readonly Photo[],
  gallery: readonly Photo[],
  fp32: ModelRuntime,
  int8: ModelRuntime,
) {
  const report: Record<string, string> = {};
  for (const flip of [...new Set([defaultFlip(id), false])]) {
    const a = new FaceEmbedder(fp32, id, { flip });
    const b = new FaceEmbedder(int8, id, { flip });
    const embedAll = async (e: FaceEmbedder, list: readonly Photo[]): Promise<Float32Array[]> => {
      const out: Float32Array[] = [];
      for (const p of list) out.push(...(await e.embedCrops(a.align(p.image, [p.face.keypoints]))));
      return out;
    };
    const [pa, pb] = [await embedAll(a, photos), await embedAll(b, photos)];
    const cos = pa.map((v, i) => dot(v, pb[i]!));
    const label = flip ? 'flip TTA' : 'plain';
    report[`cosine (${label})`] =
      `min ${f(Math.min(...cos))} p1 ${f(quantile(cos, 0.01))} mean ${f(mean(cos))} (n ${cos.length})`;
    report[flip ? 'minCosFlip' : 'minCosPlain'] = f(Math.min(...cos), 5);
    if (flip !== defaultFlip(id)) continue;
    // Closed-set nearest sample, gallery = the calibration photos: does int8 change any answer?
    const [ga, gb] = [await embedAll(a, gallery), await embedAll(b, gallery)];
    const person = (p: Photo): string => path.basename(path.dirname(p.file));
    const nearest = (probe: Float32Array, g: Float32Array[]): string =>
      person(gallery[g.reduce((best, v, i) => (dot(probe, v) > dot(probe, g[best]!) ? i : best), 0)]!);
    const answers = (probes: Float32Array[], g: Float32Array[]): string[] => probes.map((v) => nearest(v, g));
    const [af, ai, am] = [answers(pa, ga), answers(pb, gb), answers(pb, ga)];
    const right = (ans: string[]): number => ans.filter((x, i) => x === person(photos[i]!)).length;
    report[`nearest-sample rank-1 (${label}; gallery: dev photos 0, 2)`] =
      `float ${right(af)}/${photos.length}, int8 ${right(ai)}, int8 probes on a float gallery ${right(am)}; answers changed ${ai.filter((x, i) => x !== af[i]).length} / ${am.filter((x, i) => x !== af[i]).length}`;
  }
  return report;
}

/** Largest deviation of any box edge, in photo px and in detector-input px, between matched detections. */
async function detectorParity(id: string, photos: readonly Photo[], fp32: ModelRuntime, int8: ModelRuntime) {
  const a = new BlazeFaceDetector(fp32, id);
  const b = new BlazeFaceDetector(int8, id);
  const inputSize = getModelSpec(id).inputSize[0];
  const photoPx: number[] = [];
  const inputPx: number[] = [];
  let unmatched = 0;
  let scoreDiff = 0;
  for (const p of photos) {
    const [da, db] = [
      await a.detect(p.image, DEFAULT_DETECT_OPTIONS),
      await b.detect(p.image, DEFAULT_DETECT_OPTIONS),
    ];
    const toInput = inputSize / Math.max(p.image.width, p.image.height);
    for (const d of da) {
      const m = db.map((e) => ({ e, dev: edgeDeviation(d.box, e.box) })).sort((x, y) => x.dev - y.dev)[0];
      if (!m || m.dev > Math.max(d.box.width, d.box.height) / 4) {
        unmatched++;
        continue;
      }
      photoPx.push(m.dev);
      inputPx.push(m.dev * Math.min(1, toInput));
      scoreDiff = Math.max(scoreDiff, Math.abs(d.score - m.e.score));
    }
    unmatched += Math.max(0, db.length - da.length);
  }
  return {
    'box edge deviation, photo px': `max ${f(Math.max(...photoPx), 2)} p99 ${f(quantile(photoPx, 0.99), 2)} mean ${f(mean(photoPx), 3)} (n ${photoPx.length})`,
    'box edge deviation, detector-input px': `max ${f(Math.max(...inputPx), 2)} p99 ${f(quantile(inputPx, 0.99), 2)} mean ${f(mean(inputPx), 3)}`,
    'detections without a match': String(unmatched),
    'max score difference': f(scoreDiff),
    maxDevPhotoPx: f(Math.max(...photoPx), 3),
    maxDevInputPx: f(Math.max(...inputPx), 3),
  };
}

function edgeDeviation(a: Box, b: Box): number {
  return Math.max(
    Math.abs(a.x - b.x),
    Math.abs(a.y - b.y),
    Math.abs(a.x + a.width - b.x - b.width),
    Math.abs(a.y + a.height - b.y - b.height),
  );
}

/** Median ms per run of each variant, taking turns input by input (the order swapped every other one). */
async function speed(
  id: string,
  inputs: readonly CalibrationInput[],
  fp32: ModelRuntime,
  int8: ModelRuntime,
) {
  const sessions = [await fp32.session(id), await int8.session(id)];
  const times: number[][] = [[], []];
  const run = async (k: number, input: CalibrationInput): Promise<void> => {
    const s = sessions[k]!;
    const t = performance.now();
    await s.run({ [s.inputNames[0]!]: new ort.Tensor('float32', input.data, input.dims) });
    times[k]!.push(performance.now() - t);
  };
  for (const input of inputs.slice(0, 4)) for (const k of [0, 1]) await run(k, input); // warm-up
  times[0] = [];
  times[1] = [];
  for (let r = 0; r < ROUNDS; r++) {
    for (const [i, input] of inputs.entries()) {
      for (const k of i % 2 === 0 ? [0, 1] : [1, 0]) await run(k, input);
    }
  }
  const [m32, m8] = [quantile(times[0]!, 0.5), quantile(times[1]!, 0.5)];
  return {
    'ms fp32 / int8 (median, 1 thread)': `${f(m32, 2)} / ${f(m8, 2)} (×${f(m32 / m8, 2)}, n ${times[0]!.length})`,
  };
}

/** The int8 graph's op counts after ONNX Runtime's optimiser: shows whether the QDQ groups were fused. */
async function fusedOps(bytes: Uint8Array): Promise<string> {
  const file = path.join(OUT_DIR, 'optimized.onnx');
  const s = await ort.InferenceSession.create(bytes, { ...sessionOptions(1), optimizedModelFilePath: file });
  await s.release();
  const counts: Record<string, number> = {};
  for (const n of openModel(new Uint8Array(fs.readFileSync(file))).nodes)
    counts[n.op] = (counts[n.op] ?? 0) + 1;
  fs.rmSync(file);
  return Object.entries(counts)
    .sort((x, y) => y[1] - x[1])
    .map(([op, n]) => `${op} ${n}`)
    .join(', ');
}

fs.mkdirSync(CALIBRATION_OUT, { recursive: true });
const analyzer = new FaceAnalyzer({ cacheDir: MODEL_CACHE, onConvert: log, int8: [] });
log('int8: finding faces (dev photos 0, 2 calibrate; 1, 3 measure)');
const calibrationPhotos = await loadPhotos(analyzer, [0, 2]);
const evalPhotos = await loadPhotos(analyzer, [1, 3]);
log(`int8: ${calibrationPhotos.length} calibration photos, ${evalPhotos.length} measured`);

const summary: Record<string, Record<string, string>> = {};
for (const id of MODELS) {
  const spec = getModelSpec(id);
  const fp32Bytes = await loadModelBytes(spec, MODEL_CACHE, log);
  const calibrationInputs = await modelInputs(id, calibrationPhotos, analyzer.runtime);
  const t0 = performance.now();
  const ranges = await calibrateRanges(fp32Bytes, calibrationInputs, { ...OPTIONS, percentile: PERCENTILE });
  const method = `${PERCENTILE === undefined ? 'min/max' : `mean of per-input ${PERCENTILE} % percentiles`} over ${calibrationInputs.length} inputs from ${calibrationPhotos.length} dev photos (bench/int8-parity.ts)`;
  const calibration: Int8Calibration = {
    model: id,
    fp32Sha256: sha256(fp32Bytes),
    method,
    options: OPTIONS,
    ranges,
  };
  fs.writeFileSync(calibrationPath(id, CALIBRATION_OUT), `${JSON.stringify(calibration, null, 1)}\n`);
  log(
    `int8: ${id} calibrated (${Object.keys(ranges).length} ranges, ${f((performance.now() - t0) / 1000, 1)} s)`,
  );

  const fp32 = new ModelRuntime({ cacheDir: MODEL_CACHE, int8: [] });
  const int8 = new ModelRuntime({
    cacheDir: MODEL_CACHE,
    int8: [id],
    calibrationDir: CALIBRATION_OUT,
    onConvert: log,
  });
  const parity =
    spec.task === 'detect'
      ? await detectorParity(id, evalPhotos, fp32, int8)
      : await embedderParity(id, evalPhotos, calibrationPhotos, fp32, int8);
  const evalInputs = (await modelInputs(id, evalPhotos.slice(0, 40), analyzer.runtime)).filter(
    (_, i) => spec.task === 'detect' || i % 2 === 0,
  );
  const timing = await speed(id, evalInputs, fp32, int8);
  const ops = await fusedOps(await loadInt8ModelBytes(spec, MODEL_CACHE, undefined, CALIBRATION_OUT));
  summary[id] = { ...parity, ...timing, 'int8 ops after ORT optimisation': ops };
  console.log(`\n${id} (${JSON.stringify(OPTIONS)}, ${method})`);
  for (const [k, v] of Object.entries(summary[id]!))
    if (!/^(min|max)[A-Z]/.test(k)) console.log(`  ${k}: ${v}`);
  await Promise.all([fp32.release(), int8.release()]);
}
await analyzer.close();
console.log(
  JSON.stringify({ options: OPTIONS, percentile: PERCENTILE ?? null, write: flag('write'), summary }),
);
