// Where the five key points (left eye, right eye, nose tip, left mouth corner, right mouth corner, as seen
// in the image) must land in an aligned face crop. Each embedding model was trained on crops made one way;
// feeding it crops made another way costs accuracy, so each model names its template.
import type { Point, RgbImage } from '../types.js';
import { warpAffine, type Border } from '../image/pixels.js';
import { estimateSimilarity } from './similarity.js';

export interface AlignTemplate {
  name: string;
  /** Side of the square crop the points are given for. */
  size: number;
  /** Five points in continuous crop coordinates (pixel i spans [i, i+1)), in the 5-point order. */
  points: readonly Point[];
}

// The published templates are in index coordinates (pixel i centred at i, as OpenCV and dlib sample);
// Visage coordinates put that centre at i + 0.5.
const fromIndexCoords = (points: readonly Point[]): Point[] => points.map(([x, y]) => [x + 0.5, y + 0.5]);

/**
 * InsightFace's `arcface_dst` for 112×112 crops: the template of ArcFace-family recognisers
 * (MobileFaceNet and other InsightFace-trained nets).
 */
export const ARCFACE_112: AlignTemplate = {
  name: 'arcface-112',
  size: 112,
  points: fromIndexCoords([
    [38.2946, 51.6963],
    [73.5318, 51.5014],
    [56.0252, 71.7366],
    [41.5493, 92.3655],
    [70.7299, 92.2041],
  ]),
};

/**
 * The 150×150 chip of dlib's face recogniser (face-api's 128-D ResNet), as dlib's
 * get_face_chip_details(shape, 150, 0.25) lays out its mean face shape: a mean-shape point p in [0, 1]²
 * lands at (p + 0.25) / 1.5 · 150. Eyes are the means of 68-point landmarks 36–41 and 42–47
 * (mean shape ≈ (0.2255, 0.2160) and (0.7548, 0.2160)), the nose tip is landmark 30 (0.4901, 0.5156),
 * the mouth corners landmarks 48 and 54 (0.2541, 0.7802) and (0.7261, 0.7802). dlib itself fits 33 of
 * the 68 points (no jaw, eyebrows or lower lip); five well-placed points give nearly the same chip.
 */
export const DLIB_150: AlignTemplate = {
  name: 'dlib-150',
  size: 150,
  points: fromIndexCoords([
    [47.549, 46.599],
    [100.476, 46.599],
    [74.013, 76.563],
    [50.415, 103.023],
    [97.61, 103.023],
  ]),
};

/**
 * FaceRes (Human's 1024-D descriptor) takes no landmark-aligned crop: Human cuts the BlazeFace box,
 * enlarged 1.4× and made square, axis-aligned, and resizes it to 224×224. These points are where that
 * crop puts the five key points on average: measured over the 61 near-frontal faces (|yaw| < 15°,
 * |roll| < 10°, |pitch| < 20°) of ../shared/faces found by this project's BlazeFace and FaceMesh, made
 * symmetric about the crop's centre line. Single faces scatter by 6–9 px around them (so much do Human's
 * box crops vary); aligning gives every face the average crop, upright.
 * The nose tip is FaceMesh landmark 4, which sits where dlib's and ArcFace's nose tip does.
 */
export const FACERES_224: AlignTemplate = {
  name: 'faceres-224',
  size: 224,
  points: [
    [79.43, 73.72],
    [144.57, 73.72],
    [112.0, 108.5],
    [81.42, 141.27],
    [142.58, 141.27],
  ],
};

/**
 * Crops the face so that its five key points fall on the template (a least-squares similarity, so the
 * face keeps its proportions), at `size` × `size` (default: the template's own size). Outside the photo
 * is black, as in the crops both templates' models were trained on.
 */
export function alignFace(
  img: RgbImage,
  points5: readonly Point[],
  template: AlignTemplate,
  size = template.size,
  border: Border = 0,
): RgbImage {
  if (points5.length !== 5) throw new RangeError(`alignFace needs 5 key points, got ${points5.length}`);
  const k = size / template.size;
  const target = template.points.map(([x, y]): Point => [x * k, y * k]);
  return warpAffine(img, estimateSimilarity(points5, target), size, size, border);
}

// Which template each embedding model of the catalog was trained with.
const TEMPLATE_OF_MODEL: Record<string, AlignTemplate> = {
  faceres: FACERES_224,
  // Same author, same Human code path (faceres.ts crops the box the same way): same crop as faceres.
  'faceres-deep': FACERES_224,
  'dlib-resnet': DLIB_150,
  // InsightFace-style nets: 5-point similarity to arcface_dst (not the 3-point affine faceplugin's own
  // code uses, which shears turned faces).
  mobileface: ARCFACE_112,
  'fr-feature': ARCFACE_112,
};

/** The template an embedding model expects its input crops aligned to. */
export function alignmentTemplate(modelId: string): AlignTemplate {
  const template = TEMPLATE_OF_MODEL[modelId];
  if (!template) throw new Error(`no alignment template is known for model '${modelId}'`);
  return template;
}
