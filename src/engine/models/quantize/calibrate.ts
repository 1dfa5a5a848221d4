// Calibration: runs the float model with the activations to be quantized exposed as extra outputs, over
// real inputs, and records each one's range. Only these numbers are kept (assets/int8/), never the inputs.
import ort from 'onnxruntime-node';
import { exposeOutput, openModel, saveModel } from './model.js';
import { activationsToRange, type QuantizeOptions, type Range } from './qdq.js';

export interface CalibrationInput {
  data: Float32Array;
  dims: readonly number[];
}

/**
 * `percentile` (e.g. 99.99) clips each tensor's range per input to that percentile of its values, and
 * averages the clipped bounds over the inputs; without it the range is the plain min/max over all inputs.
 */
export async function calibrateRanges(
  fp32: Uint8Array,
  inputs: Iterable<CalibrationInput>,
  options: QuantizeOptions & { percentile?: number } = {},
): Promise<Record<string, Range>> {
  const model = openModel(fp32);
  const names = activationsToRange(model, options);
  for (const name of names) exposeOutput(model, name);
  // No graph optimisation: every exposed value is computed as the float graph states it.
  const session = await ort.InferenceSession.create(saveModel(model), {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'disabled',
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
  const lo = new Map<string, number[]>();
  const hi = new Map<string, number[]>();
  try {
    for (const input of inputs) {
      const out = await session.run({
        [session.inputNames[0]!]: new ort.Tensor('float32', input.data, input.dims),
      });
      for (const name of names) {
        const [min, max] = bounds(out[name]!.data as Float32Array, options.percentile);
        lo.set(name, [...(lo.get(name) ?? []), min]);
        hi.set(name, [...(hi.get(name) ?? []), max]);
      }
    }
  } finally {
    await session.release();
  }
  const reduce = (v: number[], pick: (...x: number[]) => number): number =>
    options.percentile === undefined ? pick(...v) : v.reduce((a, b) => a + b, 0) / v.length;
  return Object.fromEntries(
    names.map((n) => [n, [reduce(lo.get(n)!, Math.min), reduce(hi.get(n)!, Math.max)] as const]),
  );
}

function bounds(values: Float32Array, percentile: number | undefined): [number, number] {
  if (percentile === undefined) {
    let min = Infinity;
    let max = -Infinity;
    for (const v of values) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    return [min, max];
  }
  const sorted = Float32Array.from(values).sort();
  const at = (p: number): number =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.round((p / 100) * (sorted.length - 1))))]!;
  return [at(100 - percentile), at(percentile)];
}
