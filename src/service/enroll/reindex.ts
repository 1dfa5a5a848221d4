// Re-embedding the stored sample crops with an embedding model, e.g. after the default model changed:
// no original photo is needed, and the other models' vectors are kept (one per sample and model).
// Each crop is re-analysed as the engine's own crop (stored-crops.ts), not detected again.
//
// Database work is batched: one query lists every sample (it was one per person), then per BATCH samples
// one query reads their crops and one transaction stores their vectors (Gallery.setEmbeddings), where it
// was a read and a commit (with its index update) per sample.
import { DEFAULT_EMBEDDER, defaultFlip } from '../../engine/analyzer.js';
import { FaceEmbedder } from '../../engine/embed/embedder.js';
import { getModelSpec, listModels } from '../../engine/models/catalog.js';
import type { ChangeContext, Gallery } from '../../gallery/gallery.js';
import { isVisageError, VisageError } from '../../errors.js';
import { analyzeStoredCrop } from './stored-crops.js';
import { requireCalibrated, setRecognitionModel } from '../models/registry.js';
import type { FaceService } from '../faces/face-service.js';

/**
 * Samples per batch. Bounds what a batch holds in memory (crops of ~7 KB each, vectors) and how much
 * analysed work waits uncommitted, while a commit still covers enough samples that its fixed cost
 * (transaction, WAL append) is spread thin next to the per-sample analysis (~10–50 ms each).
 */
export const BATCH = 32;

export interface ReindexOptions extends ChangeContext {
  /** Embedding model (catalog id); default: the one recognition uses. */
  model?: string;
  /** Re-embed samples that already have a vector of the model too (default: only those without one). */
  all?: boolean;
  /** Told before the work starts, with how many samples it covers. */
  onStart?: (samples: number) => void;
  /** Told for each sample once its batch is committed (or it failed), in batch order. */
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
  /**
   * Set when the run moved the gallery's recognition to this model (a registered model, every sample
   * embedded; or back to the default embedder). Takes effect the next time the data directory opens.
   */
  recognition?: string;
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
    modelId === analyzer.embedder.modelId
      ? analyzer.embedder
      : new FaceEmbedder(analyzer.runtime, modelId, { flip: defaultFlip(modelId) });
  const all = gallery.samples.list();
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
  for (let start = 0; start < todo.length; start += BATCH) {
    const batch = todo.slice(start, start + BATCH);
    const crops = gallery.samples.crops(batch.map((s) => s.id));
    const vectors: { sampleId: number; vector: Float32Array }[] = [];
    const failed = new Map<number, { reason: string; message: string }>();
    for (const sample of batch) {
      const fail = (reason: string, message: string): void => void failed.set(sample.id, { reason, message });
      try {
        const crop = crops.get(sample.id);
        if (crop === undefined) fail('sample_not_found', `No sample with id ${sample.id}.`);
        else if (crop === null) fail('no_crop', 'the sample has no stored face crop');
        else {
          const face = await analyzeStoredCrop(
            analyzer,
            await deps.faces.loadImage(crop),
            sample.box,
            embedder,
          );
          if (!face) fail('no_face', 'no face was found again in the stored crop');
          else vectors.push({ sampleId: sample.id, vector: face.embedding! });
        }
      } catch (e) {
        // A damaged crop: report it, go on with the rest.
        if (!isVisageError(e)) throw e;
        fail(e.code, e.message);
      }
    }
    // A sample removed meanwhile by another process fails alone (sample_not_found); the rest commit.
    for (const { sampleId, error } of gallery.setEmbeddings(modelId, vectors, options)) {
      failed.set(sampleId, { reason: error.code, message: error.message });
    }
    report.reembedded += vectors.filter((v) => !failed.has(v.sampleId)).length;
    for (const sample of batch) {
      const failure = failed.get(sample.id);
      if (failure) report.failed.push({ sampleId: sample.id, personId: sample.personId, ...failure });
      options.onSample?.(sample.id);
    }
  }
  report.seconds = (performance.now() - started) / 1000;
  // Moving the gallery: once every sample has a vector of a registered model, recognition uses it (the
  // data directory's registry says so); reindexing to the default embedder moves it back.
  if (options.model !== undefined && report.failed.length === 0) {
    if (getModelSpec(modelId).registered) {
      setRecognitionModel(deps.faces.dataDir, modelId);
      report.recognition = modelId;
    } else if (modelId === DEFAULT_EMBEDDER && setRecognitionModel(deps.faces.dataDir, null)) {
      report.recognition = modelId;
    }
  }
  return report;
}

function checkEmbedder(modelId: string): void {
  // Registered models (`visage models add`) are in the catalog once the data directory is open.
  const embedders = listModels()
    .filter((m) => m.embedding)
    .map((m) => m.id);
  if (!embedders.includes(modelId)) {
    throw new VisageError(
      'unknown_model',
      `${modelId} is not an embedding model; choose one of: ${embedders.join(', ')}`,
      { model: modelId },
    );
  }
  requireCalibrated(modelId);
}
