// Routes a catalog entry to the converter that turns its npm files into ONNX bytes.
import fs from 'node:fs/promises';
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
    case 'onnx-file':
      return readOnnxFile(first);
  }
}

/** ONNX's protobuf starts with field 1 (ir_version, varint): byte 0x08. Anything else is not a model. */
export async function readOnnxFile(file: string): Promise<Uint8Array> {
  const bytes = new Uint8Array(await fs.readFile(file));
  if (bytes.length < 16 || bytes[0] !== 0x08) throw new Error(`${file}: not an ONNX model file`);
  return bytes;
}
