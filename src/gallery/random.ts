// Seeded randomness for synthetic embeddings: benchmarks and tests draw reproducible identities and
// noisy "second photos" from it.

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Standard normal. */
  gaussian(): number;
}

/** mulberry32: tiny, fast, and good enough for sampling (not for anything secret). */
export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    gaussian: () => {
      // Box–Muller; 1 - u keeps the logarithm away from 0.
      const u = 1 - next();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
    },
  };
}

/** A direction drawn uniformly on the unit sphere: synthetic identities for benchmarks and tests. */
export function randomUnitVector(rng: Rng, dim: number): Float32Array {
  const v = new Float32Array(dim);
  let norm = 0;
  for (let i = 0; i < dim; i++) {
    v[i] = rng.gaussian();
    norm += v[i] * v[i];
  }
  const scale = 1 / Math.sqrt(norm);
  for (let i = 0; i < dim; i++) v[i] *= scale;
  return v;
}

/**
 * A unit vector whose cosine similarity to the unit vector `v` is about `similarity`: `v` plus isotropic
 * noise, like a second photo of the same face. With noise n of norm ≈ ε (independent of v),
 * cos = 1/√(1+ε²), so ε = √(1/similarity² − 1).
 */
export function noisyCopy(rng: Rng, v: Float32Array, similarity: number): Float32Array {
  const dim = v.length;
  const epsilon = Math.sqrt(1 / (similarity * similarity) - 1);
  const perComponent = epsilon / Math.sqrt(dim);
  const out = new Float32Array(dim);
  let norm = 0;
  for (let i = 0; i < dim; i++) {
    out[i] = v[i] + perComponent * rng.gaussian();
    norm += out[i] * out[i];
  }
  const scale = 1 / Math.sqrt(norm);
  for (let i = 0; i < dim; i++) out[i] *= scale;
  return out;
}
