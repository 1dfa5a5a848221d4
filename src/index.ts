// Visage as a library: the same few domain verbs the CLI and the HTTP API use.
//
//   const faces = new FaceService({ dataDir });           // detect / embed / compare image files
//   const r = await faces.compareFiles('a.jpg', 'b.jpg');  // { distance, score, same, threshold, … }
//   const visage = new Visage({ dataDir });               // + the face database
//   await visage.enrollment.enroll('Ada', [{ source: 'ada.jpg' }]);
//   await visage.photos.recognizeFile('party.jpg');        // every face: name or unknown, and why
export { FaceAnalyzer, DEFAULT_DETECTOR, DEFAULT_EMBEDDER, type AnalyzerOptions } from './engine/analyzer.js';
export { compareEmbeddings, cosineDistance, type Comparison } from './engine/compare.js';
export type { Face, FaceQuality } from './engine/face.js';
export { decodeImage, MAX_PIXELS } from './engine/image/decode.js';
export { listModels, getModelSpec, type ModelSpec } from './engine/models/catalog.js';
export type { Box, Point, RgbImage } from './engine/types.js';
export { FaceService, type ImageResult, type CompareResult } from './service/faces/face-service.js';
export { Visage } from './service/visage.js';
export type { RecognizeResult, RecognizedFace } from './service/recognize/photos.js';
export type { EnrollReport } from './service/enroll/enrollment.js';
export { VisageError, isVisageError } from './errors.js';
