// What the conversion parity tests share: an ONNX Runtime session with one thread and no spinning (the
// machine is small and shared), and the measures by which converted outputs are compared with TF.js.
import assert from 'node:assert/strict';
import ort from 'onnxruntime-node';

export function createSession(bytes: Uint8Array): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! ** 2;
    nb += b[i]! ** 2;
  }
  return dot / Math.sqrt(na * nb);
}

/** max |a − ref| / max |ref| (the plain max |a − ref| when ref is all zeros). */
export function relativeDiff(a: ArrayLike<number>, ref: ArrayLike<number>): number {
  assert.equal(a.length, ref.length);
  let diff = 0;
  let peak = 0;
  for (let i = 0; i < ref.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - ref[i]!));
    peak = Math.max(peak, Math.abs(ref[i]!));
  }
  return peak === 0 ? diff : diff / peak;
}
