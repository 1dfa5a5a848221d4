// Embedders the user registered (`visage models add`), kept in the data directory: each ONNX file is
// copied to <data>/models/custom/<id>.onnx and described, with its SHA-256, licence, provenance and
// calibration, in <data>/models/custom/registry.json. The engine knows nothing of this folder: opening a
// data directory (openRegistry, called by FaceService) passes every spec to the catalog (registerModel)
// and every calibration to decision.ts (registerCalibration). The registry also says which embedder the
// gallery recognises with when it was moved to a registered one (`visage reindex --model ID`).
import fs from 'node:fs';
import path from 'node:path';
import {
  getModelSpec,
  registerModel,
  registeredFileSource,
  type ModelSpec,
  type TemplateName,
} from '../../engine/models/catalog.js';
import { VisageError } from '../../errors.js';
import {
  calibrationKey,
  calibrationWithRule,
  registerCalibration,
  type LevelRates,
  type ModelNorm,
  type SecurityLevel,
} from '../recognize/decision.js';

export const REGISTRY_VERSION = 1;

export interface ModelCalibration {
  /** Impostor statistics of the model's cosine on the folder (the z-normalisation). */
  norm: ModelNorm;
  /** Same-person statistics, for the record. */
  genuine: ModelNorm;
  /** Fitted threshold per level (z units), the shipped rule otherwise. */
  thresholds: Record<SecurityLevel, number>;
  /** What each level gave on the folder (halves, both ways, in-sample). */
  levels: Record<SecurityLevel, LevelRates>;
  folder: string;
  people: number;
  photos: number;
  faces: number;
  calibratedAt: string;
}

export interface RegisteredModel {
  id: string;
  /** File name inside <data>/models/custom/. */
  file: string;
  sha256: string;
  bytes: number;
  /** The path it was added from, as given. */
  addedFrom: string;
  addedAt: string;
  template: TemplateName;
  size: number;
  layout: 'NHWC' | 'NCHW';
  fixedBatch?: number;
  scaling: { mean: number; std: number };
  dim: number;
  output: string;
  /** As the user stated them (`--licence`, `--provenance`); not checked by Visage. */
  licence: string;
  provenance: string;
  calibration?: ModelCalibration;
}

interface RegistryFile {
  version: number;
  /** The embedder the gallery recognises with, when it was moved to a registered one. */
  recognition?: string;
  models: RegisteredModel[];
}

export function registryDir(dataDir: string): string {
  return path.join(dataDir, 'models', 'custom');
}

function registryPath(dataDir: string): string {
  return path.join(registryDir(dataDir), 'registry.json');
}

function readRegistry(dataDir: string): RegistryFile {
  let text: string;
  try {
    text = fs.readFileSync(registryPath(dataDir), 'utf8');
  } catch {
    return { version: REGISTRY_VERSION, models: [] };
  }
  try {
    const r = JSON.parse(text) as RegistryFile;
    if (!Array.isArray(r.models)) throw new Error('no models list');
    return r;
  } catch (e) {
    throw new VisageError(
      'bad_registry',
      `${registryPath(dataDir)} cannot be read (${(e as Error).message}): fix or remove it`,
    );
  }
}

function writeRegistry(dataDir: string, r: RegistryFile): void {
  fs.mkdirSync(registryDir(dataDir), { recursive: true });
  const file = registryPath(dataDir);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(r, null, 2)}\n`);
  fs.renameSync(tmp, file);
}

/** The catalog spec of a registered model (the threshold of the 1:1 compare: the balanced one). */
export function specOf(m: RegisteredModel, dataDir: string): ModelSpec {
  const c = m.calibration;
  // Cosine distance at the balanced z threshold: 1 − (impostor mean + z · std).
  const threshold = c ? Number((1 - (c.norm.mean + c.thresholds.balanced * c.norm.std)).toFixed(5)) : NaN;
  return {
    id: m.id,
    task: 'embed',
    description: `registered ONNX embedder (${m.dim}-D, ${m.template} aligned ${m.size}×${m.size} crop)`,
    inputSize: [m.size, m.size],
    layout: m.layout,
    ...(m.fixedBatch ? { fixedBatch: m.fixedBatch } : {}),
    scaling: m.scaling,
    output: `${m.output} [batch, ${m.dim}] descriptor`,
    source: registeredFileSource(path.join(registryDir(dataDir), m.file), m.sha256, m.licence, m.provenance),
    embedding: { dim: m.dim, metric: 'cosine', threshold },
    template: m.template,
    registered: { calibrated: c !== undefined },
  };
}

/** Passes a registered model and its calibration (if any) to the catalog and to decision.ts. */
export function activate(m: RegisteredModel, dataDir: string): void {
  registerModel(specOf(m, dataDir));
  const c = m.calibration;
  if (c) {
    registerCalibration(
      calibrationKey([m.id], false),
      calibrationWithRule({ [m.id]: c.norm }, false, c.thresholds),
      c.levels,
    );
  }
}

/** Registers every model of the data directory's registry; returns it. */
export function openRegistry(dataDir: string): { recognition: string | null; models: RegisteredModel[] } {
  const r = readRegistry(dataDir);
  for (const m of r.models) activate(m, dataDir);
  return { recognition: r.recognition ?? null, models: r.models };
}

/** The registered models of a data directory (without registering them). */
export function registeredModels(dataDir: string): RegisteredModel[] {
  return readRegistry(dataDir).models;
}

/** Adds or replaces one model's entry. */
export function saveModel(dataDir: string, m: RegisteredModel): void {
  const r = readRegistry(dataDir);
  r.models = [...r.models.filter((x) => x.id !== m.id), m];
  writeRegistry(dataDir, r);
  activate(m, dataDir);
}

/** Sets (or, with null, clears: back to the default) the embedder the gallery recognises with. */
export function setRecognitionModel(dataDir: string, id: string | null): boolean {
  const r = readRegistry(dataDir);
  if ((r.recognition ?? null) === id) return false;
  if (id === null) delete r.recognition;
  else r.recognition = id;
  writeRegistry(dataDir, r);
  return true;
}

/** Refuses a registered model that has no calibration (it cannot tell a stranger from a match). */
export function requireCalibrated(id: string): void {
  if (getModelSpec(id).registered?.calibrated === false) {
    throw new VisageError(
      'model_not_calibrated',
      `model ${id} is registered but not calibrated, so it cannot be used for recognition yet: run \`visage models calibrate ${id} DIR\` with a folder of one subfolder per person (e.g. ../shared/faces/dev)`,
      { model: id },
    );
  }
}

/**
 * The embedder a data directory recognises with: `requested` if given, else the registered one the
 * gallery was moved to, else undefined (the engine's default). Registers the directory's models first;
 * refuses an uncalibrated registered model.
 */
export function resolveEmbedder(dataDir: string, requested?: string): string | undefined {
  const { recognition } = openRegistry(dataDir);
  const id = requested ?? recognition ?? undefined;
  if (id !== undefined) requireCalibrated(id);
  return id;
}
