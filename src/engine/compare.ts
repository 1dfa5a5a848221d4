// 1:1 comparison of two L2-normalised embeddings of the same model.
import { getModelSpec } from './models/catalog.js';

export interface Comparison {
  /** Cosine distance, 1 − cos: the model's raw metric (smaller is closer), in [0, 2]. */
  distance: number;
  /** Similarity in [0, 1], calibrated so that every model's threshold maps to 0.5. */
  score: number;
  threshold: number;
  same: boolean;
}

export function cosineDistance(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`embedding sizes differ: ${a.length} vs ${b.length}`);
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
  return 1 - dot;
}

/**
 * Maps a distance to a score comparable across models: 1 at distance 0, 0.5 at the model's threshold,
 * 0 at twice the threshold and beyond. Piecewise-linear so a user can read it back to a distance.
 */
export function distanceToScore(distance: number, threshold: number): number {
  return Math.min(1, Math.max(0, 1 - distance / (2 * threshold)));
}

export function compareEmbeddings(a: Float32Array, b: Float32Array, modelId: string): Comparison {
  const spec = getModelSpec(modelId).embedding;
  if (!spec) throw new Error(`model ${modelId} is not an embedder`);
  const distance = cosineDistance(a, b);
  return {
    distance,
    score: distanceToScore(distance, spec.threshold),
    threshold: spec.threshold,
    same: distance <= spec.threshold,
  };
}
