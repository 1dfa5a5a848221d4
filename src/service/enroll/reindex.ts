// Re-embedding the stored sample crops with an embedding model, e.g. after the default model changed:
// no original photo is needed, and the other models' vectors are kept (one per sample and model).
// Each crop is re-analysed as the engine's own crop (stored-crops.ts), not detected again.
import { FaceEmbedder } from '../../engine/embed/embedder.js';
import { listModels } from '../../engine/models/catalog.js';
import type { ChangeContext, Gallery } from '../../gallery/gallery.js';
import { isVisageError, VisageError } from '../../errors.js';
import { analyzeStoredCrop } from './stored-crops.js';
import type { FaceService } from '../faces/face-service.js';

export interface ReindexOptions extends ChangeContext {
  /** Embedding model (catalog id); default: the one recognition uses. */
  model?: string;
  /** Re-embed samples that already have a vector of the model too (default: only those without one). */
  all?: boolean;
  /** Told before the work starts, with how many samples it covers. */
  onStart?: (samples: number) => void;
  /** Told after each sample. */
  onSample?: (sampleId: number) => void;
}

export interface ReindexReport {
  model: string;
  /** Samples in the gallery. */
  samples: number;
  reembedded: number;
  /** Samples that already had a vector of the model (left as they were; see `all`). */
  unchanged: number;
  failed: { sampleId: number; personId: number; reason: string; message: string }[];
  seconds: number;
}

export async function reindex(
  deps: { gallery: Gallery; faces: FaceService },
  options: ReindexOptions = {},
): Promise<ReindexReport> {
  const started = performance.now();
  const modelId = options.model ?? deps.faces.embeddingModel;
  checkEmbedder(modelId);
  const gallery = deps.gallery;
  const analyzer = deps.faces.analyzer;
  // A second embedder shares the analyzer's runtime: same model cache, threads and FaceMesh.
  const embedder =
    modelId === analyzer.embedder.modelId ? analyzer.embedder : new FaceEmbedder(analyzer.runtime, modelId);
  const all = gallery.people.list().flatMap((p) => gallery.samples.listByPerson(p.id));
  const todo = options.all ? all : all.filter((s) => !s.modelIds.includes(modelId));
  options.onStart?.(todo.length);
  const report: ReindexReport = {
    model: modelId,
    samples: all.length,
    reembedded: 0,
    unchanged: all.length - todo.length,
    failed: [],
    seconds: 0,
  };
  for (const sample of todo) {
    const fail = (reason: string, message: string): void => {
      report.failed.push({ sampleId: sample.id, personId: sample.personId, reason, message });
    };
    try {
      const crop = gallery.samples.crop(sample.id);
      if (!crop) fail('no_crop', 'the sample has no stored face crop');
      else {
        const face = await analyzeStoredCrop(
          analyzer,
          await deps.faces.loadImage(crop),
          sample.box,
          embedder,
        );
        if (!face) fail('no_face', 'no face was found again in the stored crop');
        else {
          gallery.setEmbedding(sample.id, modelId, face.embedding!, options);
          report.reembedded++;
        }
      }
    } catch (e) {
      // A damaged crop, or a sample removed meanwhile by another process: report it, go on with the rest.
      if (!isVisageError(e)) throw e;
      fail(e.code, e.message);
    }
    options.onSample?.(sample.id);
  }
  report.seconds = (performance.now() - started) / 1000;
  return report;
}

function checkEmbedder(modelId: string): void {
  const embedders = listModels()
    .filter((m) => m.embedding)
    .map((m) => m.id);
  if (!embedders.includes(modelId)) {
    throw new VisageError(
      'unknown_model',
      `${modelId} is not an embedding model; choose one of: ${embedders.join(', ')} (see \`visage models\`)`,
      { model: modelId },
    );
  }
}
