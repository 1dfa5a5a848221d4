// The model zoo: every model Visage can run, where its weights come from (npm packages only), what it
// expects and what it returns. Accuracy figures are measured by `npm run bench:accuracy` (see MODELS.md
// in this repository); thresholds below are the calibrated ones from that benchmark.
import { createRequire } from 'node:module';
import path from 'node:path';
import { packageDir } from './packages.js';

export type ModelTask = 'detect' | 'landmarks' | 'embed';

/** Which converter turns the package's files into ONNX. */
export type Converter = 'tfjs-graph' | 'faceapi-recognition' | 'faceapi-ssd';

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
  /** Input: NHWC float32, [batch, height, width, 3]. */
  inputSize: [width: number, height: number];
  /** How pixels 0..255 are scaled before the net: value = (pixel − mean) / std. */
  scaling: { mean: number; std: number };
  output: string;
  source: ModelSource;
  embedding?: EmbeddingSpec;
}

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

const HUMAN = '@vladmandic/human';

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

export function listModels(): readonly ModelSpec[] {
  return specs;
}

export function getModelSpec(id: ModelId): ModelSpec {
  const spec = specs.find((s) => s.id === id);
  if (!spec) throw new Error(`unknown model '${id}' (known: ${specs.map((s) => s.id).join(', ')})`);
  return spec;
}
