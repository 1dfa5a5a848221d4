// 2-D similarity transforms (rotation, uniform scale, translation): what maps detected key points onto an
// alignment template without distorting the face.
import type { Affine, Point } from '../types.js';

/**
 * The similarity that best maps `src` onto `dst` in least squares (Umeyama's estimate restricted to proper
 * rotations: a face is never aligned onto its mirror image). Returns an Affine mapping src → dst.
 */
export function estimateSimilarity(src: readonly Point[], dst: readonly Point[]): Affine {
  if (src.length !== dst.length || src.length < 2) {
    throw new RangeError(`estimateSimilarity needs ≥ 2 point pairs, got ${src.length} and ${dst.length}`);
  }
  const n = src.length;
  let sx = 0;
  let sy = 0;
  let dx = 0;
  let dy = 0;
  for (let i = 0; i < n; i++) {
    sx += src[i][0];
    sy += src[i][1];
    dx += dst[i][0];
    dy += dst[i][1];
  }
  sx /= n;
  sy /= n;
  dx /= n;
  dy /= n;
  // With centred points, the best [[p, −q], [q, p]] (p = s·cosθ, q = s·sinθ) has the closed form
  // p = Σ(x·x' + y·y') / Σ|x|², q = Σ(x·y' − y·x') / Σ|x|²: the 2-D case of Umeyama's SVD solution,
  // and this form cannot produce a reflection.
  let dot = 0;
  let cross = 0;
  let norm = 0;
  for (let i = 0; i < n; i++) {
    const x = src[i][0] - sx;
    const y = src[i][1] - sy;
    const u = dst[i][0] - dx;
    const v = dst[i][1] - dy;
    dot += x * u + y * v;
    cross += x * v - y * u;
    norm += x * x + y * y;
  }
  if (norm < 1e-12) throw new RangeError('estimateSimilarity: the source points all coincide');
  const p = dot / norm;
  const q = cross / norm;
  return [p, -q, dx - (p * sx - q * sy), q, p, dy - (q * sx + p * sy)];
}

export function applyAffine(m: Affine, [x, y]: Point): Point {
  return [m[0] * x + m[1] * y + m[2], m[3] * x + m[4] * y + m[5]];
}

export function invertAffine(m: Affine): Affine {
  const [a, b, tx, c, d, ty] = m;
  const det = a * d - b * c;
  if (Math.abs(det) < 1e-12) throw new RangeError('invertAffine: the matrix is singular');
  const ia = d / det;
  const ib = -b / det;
  const ic = -c / det;
  const id = a / det;
  return [ia, ib, -(ia * tx + ib * ty), ic, id, -(ic * tx + id * ty)];
}
