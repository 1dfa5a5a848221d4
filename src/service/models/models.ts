// The model catalog as Visage shows it (`visage models`, GET /models): what each model is, where its
// weights come from and under which terms, what it expects, and for embedders the calibrated threshold
// and, per open-set calibration, the three security levels with their thresholds and what each gave on
// the dev set (or, for a registered model, on the folder it was calibrated on). Given a data directory,
// its registered models (`visage models add`) are listed too, with the licence and provenance the user
// stated for them.
import { DEFAULT_DETECTOR, DEFAULT_EMBEDDER } from '../../engine/analyzer.js';
import { listModels, type EmbeddingSpec, type ModelTask } from '../../engine/models/catalog.js';
import {
  CALIBRATIONS,
  DEFAULT_CALIBRATION,
  DEFAULT_SECURITY_LEVEL,
  MEASURED_RATES,
  SECURITY_LEVELS,
  type LevelRates,
  type SecurityLevel,
} from '../recognize/decision.js';
import { openRegistry, type RegisteredModel } from './registry.js';

export interface LevelView {
  level: SecurityLevel;
  /** The level applied unless a request, camera or setting says otherwise. */
  default: boolean;
  /** Threshold on the person's evidence (z units, for a large, sharp, frontal face). */
  threshold: number;
  /** The same as a cosine distance (1 − (impostor mean + threshold · std)), single-model calibrations. */
  distance: number | null;
  /** What it gave where it was measured (null when not measured). */
  measured: LevelRates | null;
}

export interface CalibrationView {
  key: string;
  /** The product's default calibration. */
  default: boolean;
  flip: boolean;
  /** Where the rates were measured: the dev set, or the registered model's calibration folder. */
  measuredOn: string;
  levels: LevelView[];
}

export interface ModelView {
  id: string;
  task: ModelTask;
  default: boolean;
  description: string;
  input: {
    width: number;
    height: number;
    layout: 'NHWC' | 'NCHW';
    scaling: { mean: number; std: number };
  };
  output: string;
  source: { package: string; file: string; licence: string; provenance: string };
  embedding: EmbeddingSpec | null;
  /** Open-set calibrations of this embedder alone (plain and with flip TTA), with their levels. */
  calibrations: CalibrationView[];
  /** A model the user registered: file, checksum and whether it may recognise yet. */
  registered: {
    sha256: string;
    addedAt: string;
    addedFrom: string;
    template: string;
    calibrated: boolean;
    /** The gallery recognises with it (moved by `visage reindex --model ID`). */
    recognition: boolean;
  } | null;
}

const DEV = '../shared/faces/dev (MODELS.md, "Open-set identification")';

/** The catalog, with the data directory's registered models when `dataDir` is given. */
export function modelCatalog(dataDir?: string): ModelView[] {
  const registry = dataDir ? openRegistry(dataDir) : { recognition: null, models: [] };
  const byId = new Map<string, RegisteredModel>(registry.models.map((m) => [m.id, m]));
  return listModels().map((m) => {
    const r = byId.get(m.id);
    return {
      id: m.id,
      task: m.task,
      default: m.id === DEFAULT_DETECTOR || m.id === DEFAULT_EMBEDDER,
      description: m.description,
      input: {
        width: m.inputSize[0],
        height: m.inputSize[1],
        layout: m.layout ?? 'NHWC',
        scaling: m.scaling,
      },
      output: m.output,
      source: {
        package: m.source.package,
        file: m.source.file,
        licence: m.source.licence,
        provenance: m.source.provenance,
      },
      embedding: m.embedding ?? null,
      calibrations: m.embedding ? calibrationsOf(m.id, r) : [],
      registered: r
        ? {
            sha256: r.sha256,
            addedAt: r.addedAt,
            addedFrom: r.addedFrom,
            template: r.template,
            calibrated: r.calibration !== undefined,
            recognition: registry.recognition === r.id,
          }
        : null,
    };
  });
}

/** The calibrations whose only model is `id`, each with its three levels. */
function calibrationsOf(id: string, registered: RegisteredModel | undefined): CalibrationView[] {
  return Object.entries(CALIBRATIONS)
    .filter(([, c]) => Object.keys(c.models).length === 1 && c.models[id] !== undefined)
    .map(([key, c]) => {
      const norm = c.models[id]!;
      const measured = MEASURED_RATES[key];
      return {
        key,
        default: key === DEFAULT_CALIBRATION,
        flip: c.flip,
        measuredOn: registered?.calibration ? registered.calibration.folder : DEV,
        levels: SECURITY_LEVELS.map((level) => ({
          level,
          default: level === DEFAULT_SECURITY_LEVEL,
          threshold: c.thresholds[level],
          distance: Number((1 - (norm.mean + c.thresholds[level] * norm.std)).toFixed(5)),
          measured: measured?.[level] ?? null,
        })),
      };
    });
}
