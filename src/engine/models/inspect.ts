// What an ONNX file declares, as ONNX Runtime reads it: its inputs and outputs with element types and
// shapes (a dimension is a number, or a name / -1 when the graph leaves it free). Used to check a model
// a user registers (`visage models add`) before anything runs it.
import ort from 'onnxruntime-node';

export interface OnnxValue {
  name: string;
  /** Element type ('float32', …), or null for a non-tensor value. */
  type: string | null;
  /** null when the file states no shape. */
  shape: (number | string)[] | null;
}

export interface OnnxInterface {
  inputs: OnnxValue[];
  outputs: OnnxValue[];
}

/** Opens the bytes with ONNX Runtime (throws its message when it cannot) and lists inputs and outputs. */
export async function inspectOnnx(bytes: Uint8Array): Promise<OnnxInterface> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  try {
    const value = (m: ort.InferenceSession.ValueMetadata): OnnxValue =>
      m.isTensor
        ? { name: m.name, type: m.type, shape: m.shape ? [...m.shape] : null }
        : { name: m.name, type: null, shape: null };
    return { inputs: session.inputMetadata.map(value), outputs: session.outputMetadata.map(value) };
  } finally {
    await session.release();
  }
}
