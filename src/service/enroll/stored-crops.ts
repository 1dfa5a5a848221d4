// Re-analysing the face crops the database keeps (samples' crop_jpeg, events' snapshot_jpeg): each is the
// landmark stage's own upright crop of a face (Face.crop), so FaceMesh is run on it as a whole, framed
// exactly as the first time, instead of detecting the face again. On the 40 people/ crops this keeps a
// re-embedded dlib-resnet vector within 0.007 cosine distance of the original (threshold 0.07), where
// re-detecting on the crop moved some by 0.16: enough to turn a known person into a stranger.
import { faceRegion, type FaceAnalyzer } from '../../engine/analyzer.js';
import type { FaceEmbedder } from '../../engine/embed/embedder.js';
import type { Face } from '../../engine/face.js';
import { CROP_ENLARGE } from '../../engine/landmarks/facemesh.js';
import { assessQuality } from '../../engine/quality.js';
import type { Box, RgbImage } from '../../engine/types.js';

/** FaceMesh's own presence score below which a stored crop is taken to show no face (it is bimodal). */
const MESH_CONFIRMS = 0.5;

/**
 * The face of a stored crop with key points, quality and an embedding by `embedder` (default: the
 * analyzer's), or null when FaceMesh sees no face in it. `box` is the face's box in the original photo,
 * when known: quality's size is measured on it (the crop itself is always the same size).
 */
export async function analyzeStoredCrop(
  analyzer: FaceAnalyzer,
  crop: RgbImage,
  box: Box | null,
  embedder: FaceEmbedder = analyzer.embedder,
): Promise<Face | null> {
  // The detection whose FaceMesh crop is this whole image: centred, upright, enlarged back to full size.
  const side = Math.min(crop.width, crop.height) / CROP_ENLARGE;
  const whole: Box = { x: (crop.width - side) / 2, y: (crop.height - side) / 2, width: side, height: side };
  const [mesh] = await analyzer.landmarker.landmarks(crop, [{ box: whole, score: 1, keypoints: [] }]);
  if (!mesh || mesh.confidence < MESH_CONFIRMS) return null;
  const [embedded] = await embedder.embed(crop, [mesh.keypoints]);
  const faceBox = box ?? whole;
  return {
    box: faceBox,
    score: mesh.confidence,
    keypoints: mesh.keypoints,
    landmarks: mesh.landmarks,
    quality: assessQuality(faceBox, mesh.keypoints, faceRegion(mesh.crop)),
    crop,
    embedding: embedded!.embedding,
    embeddingModel: embedder.modelId,
  };
}
