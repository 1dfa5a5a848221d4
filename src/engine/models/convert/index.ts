// Routes a catalog entry to the converter that turns its npm files into ONNX bytes.
import path from 'node:path';
import type { ModelSpec } from '../catalog.js';
import { convertTfjsGraph } from './tfjs-graph.js';
import { buildFaceApiRecognition } from './faceapi-recognition.js';
import { buildFaceApiSsd } from './faceapi-ssd.js';

export async function convertModel(spec: ModelSpec): Promise<Uint8Array> {
  const [first] = spec.source.files();
  if (!first) throw new Error(`model ${spec.id} lists no source files`);
  switch (spec.source.converter) {
    case 'tfjs-graph':
      return (await convertTfjsGraph(first)).bytes;
    case 'faceapi-recognition':
      return (await buildFaceApiRecognition(path.dirname(first))).bytes;
    case 'faceapi-ssd':
      return (await buildFaceApiSsd(path.dirname(first))).bytes;
  }
}
