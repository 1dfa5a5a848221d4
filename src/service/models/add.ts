// `visage models add FILE.onnx --name ID …`: register a user's own ONNX embedder. The file is checked
// before it is kept — ONNX Runtime must open it, its one input must be an image batch of the template's
// size, it must give one vector per face, and those vectors must be finite and not constant — then copied
// into <data>/models/custom/ with its SHA-256 (registry.ts). `--calibrate DIR` (one subfolder per person)
// embeds every photo's largest face, measures the model's impostor statistics and fits a threshold per
// security level exactly as `npm run bench:openset` does (openset-fit.ts); without it the model is kept
// but refused for recognition until `visage models calibrate ID DIR`. Nothing is downloaded.
import fs from 'node:fs';
import path from 'node:path';
import { FaceAnalyzer } from '../../engine/analyzer.js';
import { FaceEmbedder } from '../../engine/embed/embedder.js';
import { largestFace } from '../../engine/face.js';
import { decodeImage } from '../../engine/image/decode.js';
import { sha256 } from '../../engine/models/cache.js';
import { isShippedModel, unregisterModel, type TemplateName } from '../../engine/models/catalog.js';
import { readOnnxFile } from '../../engine/models/convert/index.js';
import { inspectOnnx, type OnnxInterface } from '../../engine/models/inspect.js';
import type { RgbImage } from '../../engine/types.js';
import { isVisageError, VisageError } from '../../errors.js';
import {
  calibrationWithRule,
  DEFAULT_SECURITY_LEVEL,
  SECURITY_LEVELS,
  type LevelRates,
  type SecurityLevel,
} from '../recognize/decision.js';
import {
  add,
  byPerson,
  count,
  fitThresholds,
  halfScenario,
  measureNorm,
  runScenario,
  verification,
  zero,
  ZERO_T,
  type LabelledFace,
  type Scored,
} from './openset-fit.js';
import {
  activate,
  registeredModels,
  registryDir,
  saveModel,
  type ModelCalibration,
  type RegisteredModel,
} from './registry.js';
import { PHOTO_EXTENSIONS } from '../../engine/image/decode.js';

export const TEMPLATE_SIZES: Record<TemplateName, number> = { 'arcface-112': 112, 'dlib-150': 150 };
/** Pixel scaling when none is given: InsightFace's (p − 127.5) / 128 for ArcFace crops, dlib's 0..255. */
const DEFAULT_SCALING: Record<TemplateName, { mean: number; std: number }> = {
  'arcface-112': { mean: 127.5, std: 128 },
  'dlib-150': { mean: 0, std: 1 },
};
const ID_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;
/** The calibration folder must have at least this many people (half enrolled, half strangers). */
export const MIN_CALIBRATION_PEOPLE = 4;
/** Stranger probes below which balanced (0.75 %) cannot differ from strict (no stranger named). */
const BALANCED_RESOLUTION = Math.ceil(1 / 0.0075);

export interface AddModelOptions {
  name: string;
  template?: TemplateName;
  inputScale?: { mean: number; std: number };
  layout?: 'NHWC' | 'NCHW';
  licence?: string;
  provenance?: string;
  /** A folder with one subfolder of photos per person. */
  calibrate?: string;
  threads?: number;
  log?: (message: string) => void;
}

export interface CalibrationReport extends ModelCalibration {
  strangerProbes: number;
  enrolledProbes: number;
  /** Photos without a face (or unreadable), left out. */
  skipped: number;
  notes: string[];
}

export interface AddModelReport {
  model: RegisteredModel;
  /** How the file's outputs were checked: on real faces of the calibration folder, or synthetic crops. */
  check: { on: 'faces' | 'synthetic'; inputs: number; message: string };
  calibration: CalibrationReport | null;
  /** What to do next. */
  next: string;
}

const bad = (message: string, details: Record<string, unknown> = {}): VisageError =>
  new VisageError('bad_model', message, details);

export async function addModel(dataDir: string, file: string, o: AddModelOptions): Promise<AddModelReport> {
  const id = o.name;
  if (!ID_PATTERN.test(id)) {
    throw new VisageError(
      'bad_input',
      `--name '${id}': use lower-case letters, digits, '.', '_' or '-' (at most 63, starting with a letter or digit)`,
    );
  }
  if (isShippedModel(id))
    throw new VisageError('bad_input', `--name ${id} is a shipped model's id: choose another`);
  if (registeredModels(dataDir).some((m) => m.id === id)) {
    throw new VisageError(
      'model_exists',
      `a model named ${id} is already registered in ${registryDir(dataDir)}`,
    );
  }
  let bytes: Uint8Array;
  try {
    bytes = await readOnnxFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      throw new VisageError('bad_input', `${file}: no such file`);
    throw bad(`${file} is not an ONNX model file (an ONNX model starts with its IR version, byte 0x08)`);
  }
  let iface: OnnxInterface;
  try {
    iface = await inspectOnnx(bytes);
  } catch (e) {
    throw bad(`ONNX Runtime cannot open ${file}: ${(e as Error).message.split('\n')[0]}`);
  }
  const shape = checkInput(iface, o);

  const dir = registryDir(dataDir);
  fs.mkdirSync(dir, { recursive: true });
  const stored = path.join(dir, `${id}.onnx`);
  const tmp = `${stored}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, bytes);
  fs.renameSync(tmp, stored);
  const model: RegisteredModel = {
    id,
    file: `${id}.onnx`,
    sha256: sha256(bytes),
    bytes: bytes.length,
    addedFrom: file,
    addedAt: new Date().toISOString(),
    template: shape.template,
    size: shape.size,
    layout: shape.layout,
    ...(shape.fixedBatch ? { fixedBatch: shape.fixedBatch } : {}),
    scaling: o.inputScale ?? DEFAULT_SCALING[shape.template],
    dim: 0,
    output: '',
    licence: o.licence ?? 'not stated',
    provenance: o.provenance ?? 'not stated',
  };
  const analyzer = new FaceAnalyzer({ cacheDir: path.join(dataDir, 'models'), threads: o.threads });
  try {
    const out = await probeOutput(analyzer, model, dataDir);
    model.dim = out.dim;
    model.output = out.name;
    activate(model, dataDir);
    const embedder = new FaceEmbedder(analyzer.runtime, id);
    const synthetic = await embedder.embedCrops(syntheticCrops(model.size));
    checkVectors(id, synthetic, 'synthetic crops');
    let check: AddModelReport['check'] = {
      on: 'synthetic',
      inputs: synthetic.length,
      message: `checked on ${synthetic.length} synthetic crops only (finite, not constant): no real face was given; calibrate it with a folder of people's photos to check it on real faces`,
    };
    let calibration: CalibrationReport | null = null;
    if (o.calibrate) {
      calibration = await calibrateWith(analyzer, embedder, o.calibrate, o.log);
      model.calibration = stripReport(calibration);
      check = {
        on: 'faces',
        inputs: calibration.faces,
        message: `checked on ${calibration.faces} real faces of ${o.calibrate} (finite, not constant, same person closer than different people)`,
      };
    }
    saveModel(dataDir, model);
    return {
      model,
      check,
      calibration,
      next: calibration
        ? `\`visage reindex --model ${id}\` moves the gallery to it`
        : `not calibrated: it cannot be used for recognition until \`visage models calibrate ${id} DIR\``,
    };
  } catch (e) {
    fs.rmSync(stored, { force: true });
    unregisterModel(id);
    throw e;
  } finally {
    await analyzer.close();
  }
}

/** `visage models calibrate ID DIR`: (re)calibrates a registered model on a folder of people. */
export async function calibrateModel(
  dataDir: string,
  id: string,
  folder: string,
  o: { threads?: number; log?: (message: string) => void } = {},
): Promise<{ model: RegisteredModel; calibration: CalibrationReport }> {
  const model = registeredModels(dataDir).find((m) => m.id === id);
  if (!model) {
    throw new VisageError('unknown_model', `${id} is not a registered model (see \`visage models\`)`, {
      model: id,
    });
  }
  activate(model, dataDir);
  const analyzer = new FaceAnalyzer({ cacheDir: path.join(dataDir, 'models'), threads: o.threads });
  try {
    const calibration = await calibrateWith(analyzer, new FaceEmbedder(analyzer.runtime, id), folder, o.log);
    const updated = { ...model, calibration: stripReport(calibration) };
    saveModel(dataDir, updated);
    return { model: updated, calibration };
  } finally {
    await analyzer.close();
  }
}

function stripReport(c: CalibrationReport): ModelCalibration {
  const { norm, genuine, thresholds, levels, folder, people, photos, faces, calibratedAt } = c;
  return { norm, genuine, thresholds, levels, folder, people, photos, faces, calibratedAt };
}

interface InputShape {
  template: TemplateName;
  size: number;
  layout: 'NHWC' | 'NCHW';
  fixedBatch?: number;
}

/** The one input must be a float image batch [batch, 3, S, S] or [batch, S, S, 3] of the template's size. */
function checkInput(iface: OnnxInterface, o: AddModelOptions): InputShape {
  const describe = (v: { name: string; shape: (number | string)[] | null }): string =>
    `${v.name} [${v.shape?.join(', ') ?? '?'}]`;
  if (iface.inputs.length !== 1) {
    throw bad(
      `the model has ${iface.inputs.length} inputs (${iface.inputs.map(describe).join('; ')}): an embedder takes one, the aligned face crop`,
    );
  }
  const input = iface.inputs[0]!;
  if (input.type !== 'float32')
    throw bad(`its input ${input.name} is ${input.type ?? 'not a tensor'}; an embedder takes float32 pixels`);
  const s = input.shape ?? [];
  if (s.length !== 4)
    throw bad(
      `its input is ${describe(input)}: expected 4 dimensions, [batch, 3, S, S] (NCHW) or [batch, S, S, 3] (NHWC)`,
    );
  const fixed = (d: number | string | undefined): d is number => typeof d === 'number' && d > 0;
  const layout = o.layout ?? (s[1] === 3 ? 'NCHW' : s[3] === 3 ? 'NHWC' : undefined);
  if (!layout)
    throw bad(`its input is ${describe(input)}: no dimension of 3 colour channels where NCHW or NHWC has it`);
  const [c, h, w] = layout === 'NCHW' ? [s[1], s[2], s[3]] : [s[3], s[1], s[2]];
  if (fixed(c) && c !== 3)
    throw bad(
      `its input is ${describe(input)}: with --layout ${layout.toLowerCase()} that is ${c} channels, not 3`,
    );
  const sizes = [h, w].filter(fixed);
  if (sizes.length === 2 && h !== w)
    throw bad(
      `its input is ${describe(input)}: ${w}×${h} is not square; the templates are 112×112 (arcface-112) and 150×150 (dlib-150)`,
    );
  const size = sizes[0];
  const template = o.template ?? (size === 112 ? 'arcface-112' : size === 150 ? 'dlib-150' : undefined);
  if (!template) {
    throw bad(
      size === undefined
        ? `its input ${describe(input)} leaves the crop size free: say which with --template arcface-112 or dlib-150`
        : `its input is ${describe(input)}: a ${size}×${size} crop fits no template (arcface-112 takes 112×112, dlib-150 150×150)`,
    );
  }
  const want = TEMPLATE_SIZES[template];
  if (size !== undefined && size !== want) {
    throw bad(
      `its input is ${describe(input)}: ${size}×${size}, but --template ${template} makes ${want}×${want} crops`,
    );
  }
  const batch = s[0];
  if (fixed(batch) && batch !== 1)
    throw bad(
      `its input is ${describe(input)}: a fixed batch of ${batch} is not supported (export it with batch 1 or a free batch dimension)`,
    );
  return { template, size: want, layout, ...(batch === 1 ? { fixedBatch: 1 } : {}) };
}

/** Runs the graph once on a batch and finds the output that is one vector per face: [batch, D]. */
async function probeOutput(
  analyzer: FaceAnalyzer,
  model: RegisteredModel,
  dataDir: string,
): Promise<{ name: string; dim: number }> {
  activate({ ...model, dim: 1 }, dataDir);
  const n = model.fixedBatch ?? 2;
  const s = model.size;
  const data = new Float32Array(n * s * s * 3);
  for (let i = 0; i < data.length; i++) data[i] = ((i * 7919) % 255) / 255 - 0.5;
  const dims = model.layout === 'NCHW' ? [n, 3, s, s] : [n, s, s, 3];
  let outputs: Awaited<ReturnType<typeof analyzer.runtime.run>>;
  try {
    outputs = await analyzer.runtime.run(model.id, data, dims);
  } catch (e) {
    throw bad(
      `running the model on a [${dims.join(', ')}] batch failed: ${(e as Error).message.split('\n')[0]}`,
    );
  }
  const list = Object.entries(outputs).map(([name, t]) => ({ name, dims: [...t.dims] }));
  const vector = list.find((o) => o.dims.length === 2 && o.dims[0] === n && o.dims[1]! >= 2);
  if (!vector) {
    throw bad(
      `the model gives no vector per face: for ${n} faces its outputs are ${list.map((o) => `${o.name} [${o.dims.join(', ')}]`).join('; ')}; an embedder's is [${n}, D]`,
    );
  }
  return { name: vector.name, dim: vector.dims[1]! };
}

/** A few different crops (noise, gradients, grey) for the check without faces. */
function syntheticCrops(size: number): RgbImage[] {
  const out: RgbImage[] = [];
  for (let k = 0; k < 4; k++) {
    const data = new Uint8Array(size * size * 3);
    let seed = 12345 + k * 977;
    for (let i = 0; i < data.length; i++) {
      const p = Math.floor(i / 3);
      const x = p % size;
      const y = Math.floor(p / size);
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      data[i] =
        k === 0
          ? 128
          : k === 1
            ? Math.round((255 * x) / size)
            : k === 2
              ? Math.round((255 * y) / size)
              : seed % 256;
    }
    out.push({ width: size, height: size, data });
  }
  return out;
}

/** Refuses NaN / Infinity and vectors that do not change with the face. */
function checkVectors(id: string, vectors: readonly Float32Array[], what: string): void {
  const broken = vectors.filter((v) => v.some((x) => !Number.isFinite(x))).length;
  if (broken > 0) {
    throw bad(
      `model ${id} gives non-finite values (NaN or Infinity) for ${broken} of ${vectors.length} ${what}: check --input-scale and the file`,
    );
  }
  const zeroNorm = vectors.filter((v) => v.every((x) => x === 0)).length;
  if (zeroNorm > 0)
    throw bad(`model ${id} gives an all-zero vector for ${zeroNorm} of ${vectors.length} ${what}`);
  const first = vectors[0]!;
  const differs = vectors.some((v) => v.some((x, i) => Math.abs(x - first[i]!) > 1e-5));
  if (vectors.length > 1 && !differs) {
    throw bad(
      `model ${id} gives the same vector for every one of ${vectors.length} different ${what}: its output does not depend on the face`,
    );
  }
}

interface EmbeddedFace extends LabelledFace {
  vector: Float32Array;
}

/** Embeds the folder's faces and fits the model's calibration on them (openset-fit.ts). */
async function calibrateWith(
  analyzer: FaceAnalyzer,
  embedder: FaceEmbedder,
  folder: string,
  log: (message: string) => void = () => {},
): Promise<CalibrationReport> {
  const id = embedder.modelId;
  let people: string[];
  try {
    people = fs
      .readdirSync(folder, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
  } catch {
    throw new VisageError('bad_input', `--calibrate ${folder}: not a readable folder`);
  }
  const photos = people.flatMap((p) =>
    fs
      .readdirSync(path.join(folder, p))
      .filter((f) => PHOTO_EXTENSIONS.has(path.extname(f).toLowerCase()))
      .sort()
      .map((f) => ({ person: p, file: path.join(folder, p, f) })),
  );
  const withPhotos = new Set(photos.map((p) => p.person));
  if (withPhotos.size < MIN_CALIBRATION_PEOPLE) {
    throw new VisageError(
      'bad_input',
      `--calibrate ${folder}: ${withPhotos.size} people with photos; calibration needs at least ${MIN_CALIBRATION_PEOPLE} (one subfolder of photos per person; half are enrolled, half play strangers)`,
    );
  }
  log(`calibrating ${id} on ${photos.length} photos of ${withPhotos.size} people in ${folder}`);
  const faces: EmbeddedFace[] = [];
  let skipped = 0;
  for (const [i, p] of photos.entries()) {
    try {
      const image = await decodeImage(p.file);
      const face = largestFace(await analyzer.detect(image));
      if (!face?.quality) {
        skipped++;
        continue;
      }
      const [e] = await embedder.embed(image, [face.keypoints]);
      faces.push({ person: p.person, quality: face.quality, vector: e!.embedding });
    } catch (e) {
      if (!isVisageError(e)) throw e;
      skipped++;
    }
    if ((i + 1) % 50 === 0) log(`  ${i + 1}/${photos.length} photos`);
  }
  if (faces.length < 2)
    throw new VisageError('bad_input', `--calibrate ${folder}: fewer than 2 faces were found in its photos`);
  checkVectors(
    id,
    faces.map((f) => f.vector),
    'real faces',
  );

  const n = faces.length;
  const sims = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      const a = faces[i]!.vector;
      const b = faces[j]!.vector;
      for (let k = 0; k < a.length; k++) s += a[k]! * b[k]!;
      sims[i * n + j] = s;
      sims[j * n + i] = s;
    }
  }
  const { impostor, genuine } = measureNorm(faces, sims);
  if (!(impostor.std > 1e-6)) {
    throw bad(
      `model ${id}: every pair of different people scores the same (cosine ${impostor.mean}): its output does not depend on the face`,
    );
  }
  if (!(genuine.mean > impostor.mean)) {
    throw bad(
      `model ${id} does not tell people apart on ${folder}: same-person pairs score ${genuine.mean} on average, different people ${impostor.mean}; check --template, --input-scale and --layout`,
    );
  }
  const z = new Float32Array(n * n);
  for (let i = 0; i < z.length; i++) z[i] = (sims[i]! - impostor.mean) / impostor.std;
  const s: Scored<EmbeddedFace> = { faces, cols: n, z };

  // The benchmark's protocol: people in name order, even / odd index enrolled with their first 2 photos,
  // the others strangers, both ways round; thresholds fitted with the shipped rule, as bench:openset does.
  const byName = byPerson(faces);
  const names = [...byName.keys()];
  const personIds = new Map(names.map((p, i) => [p, i]));
  const halfA = new Set(names.filter((_, i) => i % 2 === 0));
  const halfB = new Set(names.filter((_, i) => i % 2 === 1));
  const halves = [halfScenario('A/B', byName, halfA, halfB), halfScenario('B/A', byName, halfB, halfA)];
  const norms = { [id]: impostor };
  const base = calibrationWithRule(norms, false, ZERO_T);
  const fitted = fitThresholds(
    halves.flatMap((sc) => runScenario(s, sc, base, DEFAULT_SECURITY_LEVEL, personIds, names)),
  );
  const thresholds = Object.fromEntries(
    SECURITY_LEVELS.map((l) => [l, Number.isFinite(fitted[l]) ? Math.ceil(fitted[l] * 1000) / 1000 : 0]),
  ) as Record<SecurityLevel, number>;
  const cal = calibrationWithRule(norms, false, thresholds);
  const far = verification(s, cal).farAt;
  const levels = {} as Record<SecurityLevel, LevelRates>;
  let probes = zero();
  for (const level of SECURITY_LEVELS) {
    let h = zero();
    for (const sc of halves) h = add(h, count(runScenario(s, sc, cal, level, personIds, names)));
    probes = h;
    levels[level] = {
      strangersNamed: h.strangersNamed,
      strangerProbes: h.strangerProbes,
      right: h.right,
      wrong: h.wrong,
      enrolledProbes: h.enrolledProbes,
      pairFar: Number(far[level].toPrecision(2)),
    };
  }
  if (probes.enrolledProbes === 0) {
    throw new VisageError(
      'bad_input',
      `--calibrate ${folder}: no enrolled person has a third photo to probe with; give each person at least 3 photos`,
    );
  }
  const notes: string[] = [];
  if (probes.strangerProbes < BALANCED_RESOLUTION) {
    notes.push(
      `${probes.strangerProbes} stranger probes: fewer than ${BALANCED_RESOLUTION}, so balanced (0.75 % of strangers) cannot differ from strict; a larger folder (e.g. ../shared/faces/dev, 80 people) gives finer thresholds`,
    );
  }
  if (skipped > 0) notes.push(`${skipped} photos had no face (or could not be read) and were left out`);
  return {
    norm: impostor,
    genuine,
    thresholds,
    levels,
    folder: path.resolve(folder),
    people: names.length,
    photos: photos.length,
    faces: n,
    calibratedAt: new Date().toISOString(),
    strangerProbes: probes.strangerProbes,
    enrolledProbes: probes.enrolledProbes,
    skipped,
    notes,
  };
}
