// Pixel operations, similarity estimation, face alignment and NMS: checked against sharp, against
// geometry that must hold exactly, on real photos and on hand-made boxes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { decodeImage } from '../src/engine/image/decode.js';
import {
  clampBox,
  crop,
  downscaleForDetection,
  letterbox,
  letterboxBoxToOriginal,
  letterboxToOriginal,
  padImage,
  resizeBilinear,
  toTensorNHWC,
  warpAffine,
} from '../src/engine/image/pixels.js';
import { applyAffine, estimateSimilarity, invertAffine } from '../src/engine/align/similarity.js';
import {
  alignFace,
  alignmentTemplate,
  ARCFACE_112,
  DLIB_150,
  FACERES_224,
  type AlignTemplate,
} from '../src/engine/align/templates.js';
import { iou, nms, weightedNms } from '../src/engine/detect/nms.js';
import type { Affine, Box, Point, RgbImage } from '../src/engine/types.js';
import { dlibFivePoints } from '../bench/dataset.js';

const FACES = path.resolve(import.meta.dirname, '../../shared/faces');
const photo = await decodeImage(path.join(FACES, 'scenes/bbt1.jpg')); // 1366×768

function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  assert.equal(a.length, b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

function maxAbsDiff(a: Uint8Array, b: Uint8Array): number {
  assert.equal(a.length, b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

async function sharpRaw(pipeline: Sharp): Promise<RgbImage> {
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height };
}

const fromRaw = (img: RgbImage): Sharp =>
  sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } });

/** A black image with one white rectangle; its brightness centroid is a sub-pixel landmark. */
function blockImage(width: number, height: number, block: Box): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = block.y; y < block.y + block.height; y++)
    data.fill(255, (y * width + block.x) * 3, (y * width + block.x + block.width) * 3);
  return { data, width, height };
}

function centroid(img: RgbImage, region?: Box): Point {
  const r = region ?? { x: 0, y: 0, width: img.width, height: img.height };
  let sx = 0;
  let sy = 0;
  let s = 0;
  for (let y = r.y; y < r.y + r.height; y++) {
    for (let x = r.x; x < r.x + r.width; x++) {
      const v = img.data[(y * img.width + x) * 3];
      sx += v * (x + 0.5);
      sy += v * (y + 0.5);
      s += v;
    }
  }
  return [sx / s, sy / s];
}

function mirror(img: RgbImage): RgbImage {
  const data = new Uint8Array(img.data.length);
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      const s = (y * img.width + x) * 3;
      data.set(img.data.subarray(s, s + 3), (y * img.width + img.width - 1 - x) * 3);
    }
  }
  return { data, width: img.width, height: img.height };
}

/** Mirrors five points across a width and swaps left/right so they stay in key-point order. */
function mirrorPoints(points: readonly Point[], width: number): Point[] {
  const m = points.map(([x, y]): Point => [width - x, y]);
  return [m[1], m[0], m[2], m[4], m[3]];
}

// ---------------------------------------------------------------- resize, crop, pad, letterbox

test('resizeBilinear: same size is a copy, constants stay constant, shrinking matches sharp', async () => {
  assert.deepEqual(resizeBilinear(photo, photo.width, photo.height).data, photo.data);
  const grey: RgbImage = { data: new Uint8Array(300 * 200 * 3).fill(77), width: 300, height: 200 };
  assert.ok(resizeBilinear(grey, 97, 131).data.every((v) => v === 77));
  const ours = resizeBilinear(photo, 256, 256);
  const theirs = await sharpRaw(fromRaw(photo).resize(256, 256, { fit: 'fill', kernel: 'linear' }));
  assert.ok(meanAbsDiff(ours.data, theirs.data) < 1, `vs sharp ${meanAbsDiff(ours.data, theirs.data)}`);
});

test('resizeBilinear keeps pixel centres when shrinking and enlarging', () => {
  const img = blockImage(1366, 768, { x: 500, y: 300, width: 60, height: 40 });
  const [cx, cy] = centroid(img);
  for (const [w, h] of [
    [256, 256],
    [2000, 900],
  ]) {
    const [x, y] = centroid(resizeBilinear(img, w, h));
    assert.ok(
      Math.abs(x - (cx * w) / 1366) < 0.01 && Math.abs(y - (cy * h) / 768) < 0.01,
      `${w}×${h}: ${x}, ${y}`,
    );
  }
});

test('crop copies the clamped whole-pixel box; padImage shifts content by pad', () => {
  const box = { x: 1300.4, y: -20, width: 100, height: 50.2 };
  assert.deepEqual(clampBox(box, photo.width, photo.height), { x: 1300, y: 0, width: 66, height: 31 });
  const c = crop(photo, box);
  assert.deepEqual([c.width, c.height], [66, 31]);
  for (const [x, y] of [
    [0, 0],
    [65, 30],
    [10, 20],
  ]) {
    const s = ((y * photo.width + 1300 + x) * 3) as number;
    assert.deepEqual(
      [...c.data.subarray((y * 66 + x) * 3, (y * 66 + x) * 3 + 3)],
      [...photo.data.subarray(s, s + 3)],
    );
  }
  assert.throws(() => crop(photo, { x: 2000, y: 0, width: 10, height: 10 }), RangeError);

  const padded = padImage(c, 7, 200);
  assert.deepEqual([padded.width, padded.height], [80, 45]);
  assert.deepEqual(crop(padded, { x: 7, y: 7, width: 66, height: 31 }).data, c.data);
  assert.ok(padded.data.subarray(0, 80 * 7 * 3).every((v) => v === 200));
});

test('letterbox centres the photo and maps points back to original pixels', () => {
  const img = blockImage(1366, 768, { x: 900, y: 500, width: 80, height: 60 });
  const lb = letterbox(img, 256, 0);
  const h = Math.round(768 * (256 / 1366));
  assert.deepEqual(
    [lb.image.width, lb.image.height, lb.padX, lb.padY],
    [256, 256, 0, Math.floor((256 - h) / 2)],
  );
  assert.ok(
    lb.image.data.subarray(0, lb.padY * 256 * 3).every((v) => v === 0),
    'padding rows are the fill',
  );
  const [x, y] = letterboxToOriginal(lb, centroid(lb.image));
  const [cx, cy] = centroid(img);
  assert.ok(
    Math.abs(x - cx) < 0.5 && Math.abs(y - cy) < 0.5,
    `mapped back to ${x}, ${y}; expected ${cx}, ${cy}`,
  );
  const back = letterboxBoxToOriginal(lb, {
    x: 10 * lb.scale,
    y: lb.padY + 20 * lb.scale,
    width: 30 * lb.scale,
    height: 40 * lb.scale,
  });
  for (const [k, v] of Object.entries({ x: 10, y: 20, width: 30, height: 40 })) {
    assert.ok(Math.abs(back[k as keyof Box] - v) < 1e-9, `${k}: ${back[k as keyof Box]}`);
  }
});

test('downscaleForDetection shrinks like resizeBilinear and leaves small images alone', async () => {
  const { image, scale } = await downscaleForDetection(photo, 512);
  assert.deepEqual([image.width, image.height], [512, Math.round(768 * (512 / 1366))]);
  assert.equal(scale, 512 / 1366);
  const ours = resizeBilinear(photo, image.width, image.height);
  assert.ok(
    meanAbsDiff(ours.data, image.data) < 1,
    `vs resizeBilinear ${meanAbsDiff(ours.data, image.data)}`,
  );
  const same = await downscaleForDetection(photo, 1366);
  assert.equal(same.image, photo);
  assert.equal(same.scale, 1);
});

// ---------------------------------------------------------------- warpAffine

test('warpAffine: a quarter turn equals sharp.rotate(90) pixel for pixel', async () => {
  const small = crop(photo, { x: 400, y: 100, width: 301, height: 203 });
  // Clockwise: output (u, v) = (H − y, x) for input (x, y).
  const turned = warpAffine(small, [0, -1, small.height, 1, 0, 0], small.height, small.width);
  const reference = await sharpRaw(fromRaw(small).rotate(90));
  assert.deepEqual([turned.width, turned.height], [reference.width, reference.height]);
  assert.equal(maxAbsDiff(turned.data, reference.data), 0);
});

test('warpAffine: an integer shift is a crop; borders are constant or replicated', () => {
  const shifted = warpAffine(photo, [1, 0, -600, 0, 1, -200], 120, 90);
  assert.deepEqual(shifted.data, crop(photo, { x: 600, y: 200, width: 120, height: 90 }).data);

  // Output column u shows input column u − 10: the first 10 columns fall left of the photo.
  const constant = warpAffine(photo, [1, 0, 10, 0, 1, 0], 40, 30, 123);
  const replicate = warpAffine(photo, [1, 0, 10, 0, 1, 0], 40, 30, 'replicate');
  for (let v = 0; v < 30; v++) {
    for (let u = 0; u < 10; u++) {
      const o = (v * 40 + u) * 3;
      assert.deepEqual([...constant.data.subarray(o, o + 3)], [123, 123, 123]);
      const edge = v * photo.width * 3;
      assert.deepEqual([...replicate.data.subarray(o, o + 3)], [...photo.data.subarray(edge, edge + 3)]);
    }
    const o = (v * 40 + 20) * 3;
    const src = (v * photo.width + 10) * 3;
    assert.deepEqual([...constant.data.subarray(o, o + 3)], [...photo.data.subarray(src, src + 3)]);
  }
});

test('warpAffine: shrinking 4× is antialiased like an area resize, and centred', async () => {
  const src = crop(photo, { x: 0, y: 0, width: 1364, height: 768 });
  const quarter = warpAffine(src, [0.25, 0, 0, 0, 0.25, 0], 341, 192);
  const reference = await sharpRaw(fromRaw(src).resize(341, 192, { fit: 'fill', kernel: 'linear' }));
  assert.ok(
    meanAbsDiff(quarter.data, reference.data) < 2,
    `vs sharp ${meanAbsDiff(quarter.data, reference.data)}`,
  );
  const img = blockImage(1364, 768, { x: 500, y: 300, width: 60, height: 40 });
  const [cx, cy] = centroid(img);
  const [x, y] = centroid(warpAffine(img, [0.25, 0, 0, 0, 0.25, 0], 341, 192));
  assert.ok(Math.abs(x - cx / 4) < 0.05 && Math.abs(y - cy / 4) < 0.05, `${x}, ${y}`);
});

test('toTensorNHWC packs a batch as (pixel − mean) / std', () => {
  const a = crop(photo, { x: 0, y: 0, width: 4, height: 3 });
  const b = crop(photo, { x: 100, y: 50, width: 4, height: 3 });
  const t = toTensorNHWC([a, b], 127.5, 127.5);
  assert.equal(t.length, 2 * 4 * 3 * 3);
  for (const i of [0, 5, 35]) {
    assert.ok(Math.abs(t[i] - (a.data[i] - 127.5) / 127.5) < 1e-6);
    assert.ok(Math.abs(t[36 + i] - (b.data[i] - 127.5) / 127.5) < 1e-6);
  }
  assert.throws(() => toTensorNHWC([a, crop(photo, { x: 0, y: 0, width: 5, height: 3 })], 0, 1), RangeError);
});

// ---------------------------------------------------------------- similarity

const SRC: Point[] = [
  [30.2, 51.7],
  [71.5, 49.5],
  [52.0, 73.1],
  [38.9, 90.0],
  [69.4, 91.2],
];

test('estimateSimilarity recovers an exact similarity', () => {
  const s = 2.7;
  const t = 0.4;
  const m: Affine = [s * Math.cos(t), -s * Math.sin(t), 13, s * Math.sin(t), s * Math.cos(t), -7];
  const est = estimateSimilarity(
    SRC,
    SRC.map((p) => applyAffine(m, p)),
  );
  est.forEach((v, i) => assert.ok(Math.abs(v - m[i]) < 1e-9, `element ${i}: ${v} vs ${m[i]}`));
  const round = applyAffine(invertAffine(est), applyAffine(est, [5, 9]));
  assert.ok(Math.abs(round[0] - 5) < 1e-9 && Math.abs(round[1] - 9) < 1e-9);
  assert.throws(() => invertAffine([1, 2, 0, 2, 4, 0]), RangeError);
  assert.throws(
    () =>
      estimateSimilarity(
        [
          [1, 1],
          [1, 1],
        ],
        [
          [0, 0],
          [1, 1],
        ],
      ),
    RangeError,
  );
});

test('estimateSimilarity never reflects and is the least-squares optimum', () => {
  const dst = SRC.map(([x, y]): Point => [200 - x, y + 5]); // a mirror image: no similarity fits exactly
  const m = estimateSimilarity(SRC, dst);
  assert.ok(m[0] * m[4] - m[1] * m[3] > 0, 'proper rotation');
  const cost = (a: Affine): number =>
    SRC.reduce((s, p, i) => {
      const [x, y] = applyAffine(a, p);
      return s + (x - dst[i][0]) ** 2 + (y - dst[i][1]) ** 2;
    }, 0);
  // Perturb scale·cos, scale·sin and the translation: every step away costs more.
  const best = cost(m);
  for (const [dp, dq, dx, dy] of [
    [1e-3, 0, 0, 0],
    [-1e-3, 0, 0, 0],
    [0, 1e-3, 0, 0],
    [0, -1e-3, 0, 0],
    [0, 0, 0.05, 0],
    [0, 0, 0, -0.05],
  ]) {
    const p = m[0] + dp;
    const q = m[3] + dq;
    assert.ok(cost([p, -q, m[2] + dx, q, p, m[5] + dy]) > best);
  }
});

// ---------------------------------------------------------------- templates and alignFace

test('templates: five points in order, sized, and known per model', () => {
  for (const t of [ARCFACE_112, DLIB_150, FACERES_224]) {
    const [le, re, nose, lm, rm] = t.points;
    assert.ok(le[0] < nose[0] && nose[0] < re[0] && lm[0] < rm[0], `${t.name} left/right order`);
    assert.ok(le[1] < nose[1] && nose[1] < lm[1], `${t.name} eyes above nose above mouth`);
    assert.ok(t.points.every(([x, y]) => x > 0 && y > 0 && x < t.size && y < t.size));
  }
  assert.equal(alignmentTemplate('dlib-resnet'), DLIB_150);
  assert.equal(alignmentTemplate('faceres'), FACERES_224);
  assert.throws(() => alignmentTemplate('no-such-model'));
});

const faces = dlibFivePoints('testing_with_face_landmarks.xml');
const largest = faces
  .map((f) => ({ ...f, eyes: Math.hypot(f.points[1][0] - f.points[0][0], f.points[1][1] - f.points[0][1]) }))
  .sort((a, b) => b.eyes - a.eyes)[0];

test('alignFace puts a real face on the template', async () => {
  const img = await decodeImage(path.join(FACES, 'detection', largest.file));
  for (const template of [ARCFACE_112, DLIB_150]) {
    const aligned = alignFace(img, largest.points, template);
    assert.deepEqual([aligned.width, aligned.height], [template.size, template.size]);
    // Eyes are darker than the cheeks below them in any face: a crude check that a face landed upright.
    const [le] = template.points;
    const eye = centroidLuma(aligned, le, 3);
    const cheek = centroidLuma(aligned, [le[0], le[1] + template.size * 0.14], 3);
    assert.ok(eye < cheek, `${template.name}: eye ${eye} vs cheek ${cheek}`);
  }
});

function centroidLuma(img: RgbImage, [x, y]: Point, r: number): number {
  let sum = 0;
  let n = 0;
  for (let j = Math.floor(y - r); j <= y + r; j++) {
    for (let i = Math.floor(x - r); i <= x + r; i++) {
      const o = (j * img.width + i) * 3;
      sum += 0.299 * img.data[o] + 0.587 * img.data[o + 1] + 0.114 * img.data[o + 2];
      n++;
    }
  }
  return sum / n;
}

test('alignFace commutes with mirroring the photo (pixel-centre convention)', async () => {
  const img = await decodeImage(path.join(FACES, 'detection', largest.file));
  const template: AlignTemplate = ARCFACE_112;
  const mirroredTemplate: AlignTemplate = {
    ...template,
    points: mirrorPoints(template.points, template.size),
  };
  const direct = alignFace(img, largest.points, template);
  const viaMirror = alignFace(mirror(img), mirrorPoints(largest.points, img.width), mirroredTemplate);
  assert.ok(
    maxAbsDiff(mirror(viaMirror).data, direct.data) <= 1,
    `max diff ${maxAbsDiff(mirror(viaMirror).data, direct.data)}`,
  );
});

test('alignFace gives the same crop from a photo at half size', async () => {
  const img = await decodeImage(path.join(FACES, 'scenes/obama-1080p.jpg'));
  const half = resizeBilinear(img, img.width / 2, img.height / 2);
  // Points of a synthetic face placement (the template mapped into the photo): any five points work.
  const place: Affine = [6, 0.5, 700, -0.5, 6, 150];
  const points = ARCFACE_112.points.map((p) => applyAffine(place, p));
  const full = alignFace(img, points, ARCFACE_112);
  const small = alignFace(
    half,
    points.map(([x, y]): Point => [x / 2, y / 2]),
    ARCFACE_112,
  );
  assert.ok(meanAbsDiff(full.data, small.data) < 2.2, `diff ${meanAbsDiff(full.data, small.data)}`);
  // A crop one pixel off differs clearly more: the check above is sensitive to misplacement.
  const shifted = alignFace(
    half,
    points.map(([x, y]): Point => [x / 2 + 3, y / 2]),
    ARCFACE_112,
  );
  assert.ok(meanAbsDiff(full.data, shifted.data) > 2 * meanAbsDiff(full.data, small.data));
});

// ---------------------------------------------------------------- NMS

const box = (x: number, y: number, width: number, height = width): Box => ({ x, y, width, height });

test('iou on hand-made boxes', () => {
  assert.equal(iou(box(0, 0, 10), box(0, 0, 10)), 1);
  assert.equal(iou(box(0, 0, 10), box(10, 0, 10)), 0);
  assert.equal(iou(box(0, 0, 10), box(5, 0, 10)), 50 / 150);
  assert.equal(iou(box(0, 0, 10), box(2, 2, 5)), 25 / 100);
  assert.equal(iou(box(0, 0, 0), box(0, 0, 10)), 0);
});

test('nms keeps the best of each overlapping group, by descending score', () => {
  const boxes = [box(100, 100, 10), box(0, 0, 10), box(1, 1, 10), box(50, 50, 10), box(4, 1, 10)];
  const scores = [0.6, 0.8, 0.9, 0.7, 0.85];
  // 2 wins; 4 overlaps it by IoU 70/130 ≈ .54, 1 by 81/119 ≈ .68 (and 4 by .37); 3 and 0 stand alone.
  assert.deepEqual(nms(boxes, scores, 0.5), [2, 3, 0]);
  assert.deepEqual(nms(boxes, scores, 0.6), [2, 4, 3, 0]);
  assert.deepEqual(nms(boxes, scores, 0.5, 2), [2, 3]);
  assert.deepEqual(nms([box(0, 0, 10), box(0, 0, 10)], [0.5, 0.5], 0.3), [0], 'ties keep input order');
  assert.throws(() => nms(boxes, [1], 0.5), RangeError);
});

test('weightedNms blends boxes and key points by score', () => {
  const boxes = [box(0, 0, 10), box(40, 40, 10), box(2, 2, 10)];
  const scores = [0.6, 0.5, 0.9];
  const keypoints: Point[][] = [
    [
      [3, 3],
      [7, 3],
    ],
    [
      [43, 43],
      [47, 43],
    ],
    [
      [5, 5],
      [9, 5],
    ],
  ];
  const merged = weightedNms(boxes, scores, 0.3, keypoints);
  assert.equal(merged.length, 2);
  const [first, second] = merged;
  assert.equal(first.score, 0.9);
  const w = (a: number, b: number): number => (a * 0.6 + b * 0.9) / 1.5; // boxes 0 and 2
  assert.ok(
    Math.abs(first.box.x - w(0, 2)) < 1e-12 && Math.abs(first.box.width - (w(10, 12) - w(0, 2))) < 1e-12,
  );
  assert.ok(
    Math.abs(first.keypoints![1][0] - w(7, 9)) < 1e-12 && Math.abs(first.keypoints![0][1] - w(3, 5)) < 1e-12,
  );
  assert.deepEqual(second, { box: boxes[1], score: 0.5, keypoints: keypoints[1] });
  assert.deepEqual(
    weightedNms(boxes, scores, 0.3).map((m) => m.score),
    [0.9, 0.5],
  );
  assert.equal(weightedNms(boxes, scores, 0.3, undefined, 1).length, 1);
  assert.throws(() => weightedNms(boxes, scores, 0.3, keypoints.slice(1)), RangeError);
});
