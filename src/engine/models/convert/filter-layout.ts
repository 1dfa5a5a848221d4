// TF stores convolution filters as [kh, kw, in, out] (depthwise: [kh, kw, channels, multiplier]); ONNX
// wants [out, in/group, kh, kw]. Both converters (TF.js graphs, face-api weights) reorder through here.
import { VisageError } from '../../../errors.js';

export interface TfFilter {
  data: ArrayLike<number>;
  shape: readonly number[];
}

export interface OnnxFilter {
  data: Float32Array;
  dims: number[];
}

/** A regular convolution filter [kh, kw, in, out] → [out, in, kh, kw]. */
export function convFilter(w: TfFilter): OnnxFilter {
  const [kh, kw, cin, cout] = rank4(w);
  return { data: permute4(w, [3, 2, 0, 1]), dims: [cout, cin, kh, kw] };
}

/**
 * A depthwise filter [kh, kw, channels, multiplier] → a grouped-conv filter [channels·multiplier, 1, kh, kw]
 * (group = channels). Output channel c·multiplier + m is the same in both layouts.
 */
export function depthwiseFilter(w: TfFilter): OnnxFilter {
  const [kh, kw, c, m] = rank4(w);
  return { data: permute4(w, [2, 3, 0, 1]), dims: [c * m, 1, kh, kw] };
}

/** Reorders a 4-D tensor's axes: output axis k is input axis perm[k]. */
function permute4(t: TfFilter, perm: readonly number[]): Float32Array {
  const shape = t.shape;
  const inStrides = [shape[1]! * shape[2]! * shape[3]!, shape[2]! * shape[3]!, shape[3]!, 1];
  const outShape = perm.map((p) => shape[p]!);
  const s = perm.map((p) => inStrides[p]!);
  const out = new Float32Array(t.data.length);
  let o = 0;
  for (let a = 0; a < outShape[0]!; a++)
    for (let b = 0; b < outShape[1]!; b++)
      for (let c = 0; c < outShape[2]!; c++)
        for (let d = 0; d < outShape[3]!; d++)
          out[o++] = t.data[a * s[0]! + b * s[1]! + c * s[2]! + d * s[3]!]!;
  return out;
}

function rank4(w: TfFilter): [number, number, number, number] {
  if (w.shape.length !== 4) {
    throw new VisageError('model_corrupt', `expected a 4-D filter, got shape [${w.shape.join(',')}]`);
  }
  return w.shape as [number, number, number, number];
}
