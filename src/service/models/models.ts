// The model catalog as Visage shows it (`visage models`, GET /models): what each model is, where its
// weights come from and under which terms, what it expects, and for embedders the calibrated threshold.
import { DEFAULT_DETECTOR, DEFAULT_EMBEDDER } from '../../engine/analyzer.js';
import { listModels, type EmbeddingSpec, type ModelTask } from '../../engine/models/catalog.js';

export interface ModelView {
  id: string;
  task: ModelTask;
  default: boolean;
  description: string;
  input: { width: number; height: number; layout: 'NHWC'; scaling: { mean: number; std: number } };
  output: string;
  source: { package: string; file: string; licence: string; provenance: string };
  embedding: EmbeddingSpec | null;
}

export function modelCatalog(): ModelView[] {
  return listModels().map((m) => ({
    id: m.id,
    task: m.task,
    default: m.id === DEFAULT_DETECTOR || m.id === DEFAULT_EMBEDDER,
    description: m.description,
    input: { width: m.inputSize[0], height: m.inputSize[1], layout: 'NHWC', scaling: m.scaling },
    output: m.output,
    source: {
      package: m.source.package,
      file: m.source.file,
      licence: m.source.licence,
      provenance: m.source.provenance,
    },
    embedding: m.embedding ?? null,
  }));
}
