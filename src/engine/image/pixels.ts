// Pixel operations on packed RGB images, in plain TypeScript: they run on the small images the models take
// (≤ 512 px a side), where they cost a few milliseconds and stay synchronous and exact. Only shrinking a
// whole photo (downscaleForDetection) is left to sharp, which is ~10× faster at it.
//
// Coordinates are continuous: pixel (i, j) covers [i, i+1) × [j, j+1), so its centre is (i + 0.5, j + 0.5).
// Boxes and key points (types.ts) use this convention, and every function here maps centres to centres.
import sharp from 'sharp';
import type { Affine, Box, Point, RgbImage } from '../types.js';
import { applyAffine, invertAffine } from '../align/similarity.js';

export function createImage(width: number, height: number, fill = 0): RgbImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(`invalid image size ${width}×${height}`);
  }
  const data = new Uint8Array(width * height * 3);
  if (fill !== 0) data.fill(fill);
  return { data, width, height };
}

/**
 * Resamples to width × height with a triangle (bilinear) filter. When shrinking, the filter widens to the
 * source footprint of each output pixel, so a 4000-px photo shrunk to 256 px averages every source pixel
 * instead of aliasing (as PIL's antialiased bilinear); when enlarging it is ordinary bilinear interpolation.
 */
export function resizeBilinear(img: RgbImage, width: number, height: number): RgbImage {
  const out = createImage(width, height);
  const xs = axisWeights(img.width, width);
  const ys = axisWeights(img.height, height);

  // Horizontal pass into floats (img.height × width), then vertical pass into bytes.
  const tmp = new Float32Array(img.height * width * 3);
  const src = img.data;
  for (let y = 0; y < img.height; y++) {
    const row = y * img.width * 3;
    const trow = y * width * 3;
    for (let ox = 0; ox < width; ox++) {
      const start = xs.start[ox];
      const base = ox * xs.taps;
      let r = 0;
      let g = 0;
      let b = 0;
      for (let k = 0; k < xs.count[ox]; k++) {
        const w = xs.weights[base + k];
        const s = row + (start + k) * 3;
        r += src[s] * w;
        g += src[s + 1] * w;
        b += src[s + 2] * w;
      }
      const t = trow + ox * 3;
      tmp[t] = r;
      tmp[t + 1] = g;
      tmp[t + 2] = b;
    }
  }
  const stride = width * 3;
  const dst = out.data;
  for (let oy = 0; oy < height; oy++) {
    const start = ys.start[oy];
    const base = oy * ys.taps;
    const count = ys.count[oy];
    const orow = oy * stride;
    for (let x = 0; x < stride; x++) {
      let v = 0;
      for (let k = 0; k < count; k++) v += tmp[(start + k) * stride + x] * ys.weights[base + k];
      dst[orow + x] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
    }
  }
  return out;
}

interface AxisWeights {
  /** First source index of each output sample. */
  start: Int32Array;
  count: Int32Array;
  /** Normalised weights, `taps` slots per output sample. */
  weights: Float32Array;
  taps: number;
}

function axisWeights(inSize: number, outSize: number): AxisWeights {
  const scale = inSize / outSize;
  const support = Math.max(1, scale); // half-width of the triangle, in source pixels
  const taps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float32Array(outSize * taps);
  for (let o = 0; o < outSize; o++) {
    const centre = (o + 0.5) * scale - 0.5; // in source index space
    // Taps outside the image are dropped and the rest renormalised, which replicates the edge.
    const lo = Math.max(0, Math.floor(centre - support) + 1);
    const hi = Math.min(inSize - 1, Math.ceil(centre + support) - 1);
    let sum = 0;
    for (let i = lo; i <= hi; i++) sum += Math.max(0, 1 - Math.abs(i - centre) / support);
    start[o] = lo;
    count[o] = hi - lo + 1;
    for (let i = lo; i <= hi; i++) {
      weights[o * taps + (i - lo)] = Math.max(0, 1 - Math.abs(i - centre) / support) / sum;
    }
  }
  return { start, count, weights, taps };
}

/** The whole-pixel rectangle `crop` copies: [floor(x), ceil(x + width)) × [floor(y), ceil(y + height)), clamped to the image. */
export function clampBox(box: Box, width: number, height: number): Box {
  const x0 = Math.max(0, Math.floor(box.x));
  const y0 = Math.max(0, Math.floor(box.y));
  const x1 = Math.min(width, Math.ceil(box.x + box.width));
  const y1 = Math.min(height, Math.ceil(box.y + box.height));
  return { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) };
}

/** Copies the part of `box` inside the image (see clampBox). Throws RangeError when nothing is left. */
export function crop(img: RgbImage, box: Box): RgbImage {
  const r = clampBox(box, img.width, img.height);
  if (r.width === 0 || r.height === 0) {
    throw new RangeError(`crop box ${JSON.stringify(box)} lies outside the ${img.width}×${img.height} image`);
  }
  const out = createImage(r.width, r.height);
  const rowBytes = r.width * 3;
  for (let y = 0; y < r.height; y++) {
    const s = ((r.y + y) * img.width + r.x) * 3;
    out.data.set(img.data.subarray(s, s + rowBytes), y * rowBytes);
  }
  return out;
}

/** Adds `pad` pixels of the fill grey on every side: point (x, y) moves to (x + pad, y + pad). */
export function padImage(img: RgbImage, pad: number, fill = 0): RgbImage {
  if (!Number.isInteger(pad) || pad < 0)
    throw new RangeError(`padImage: pad must be a whole number ≥ 0, got ${pad}`);
  const out = createImage(img.width + 2 * pad, img.height + 2 * pad, fill);
  const rowBytes = img.width * 3;
  for (let y = 0; y < img.height; y++) {
    out.data.set(img.data.subarray(y * rowBytes, (y + 1) * rowBytes), ((y + pad) * out.width + pad) * 3);
  }
  return out;
}

export interface Letterbox {
  /** size × size: the image scaled to fit, centred, padded with the fill grey. */
  image: RgbImage;
  /** Letterbox pixels per original pixel. */
  scale: number;
  /** Offset of the scaled image inside the square. */
  padX: number;
  padY: number;
}

/**
 * Fits the image into a size × size square keeping its aspect ratio (what square-input detectors need).
 * The content is round(w·scale) × round(h·scale), so mapping back is exact to half a letterbox pixel.
 * Synchronous and in TypeScript: ~9 ms for 1366×768 → 256; shrink big photos with
 * downscaleForDetection first (sharp), which makes this step cheap.
 */
export function letterbox(img: RgbImage, size: number, fill = 0): Letterbox {
  const scale = Math.min(size / img.width, size / img.height);
  const w = Math.max(1, Math.round(img.width * scale));
  const h = Math.max(1, Math.round(img.height * scale));
  const padX = Math.floor((size - w) / 2);
  const padY = Math.floor((size - h) / 2);
  // At scale 1 the triangle filter is the identity (one tap of weight 1): an image shrunk to fit already
  // (letterboxForDetection) is copied as it is, without a ~4 ms resampling pass of a 720p frame's 256×144.
  const scaled = w === img.width && h === img.height ? img : resizeBilinear(img, w, h);
  const image = createImage(size, size, fill);
  for (let y = 0; y < h; y++) {
    image.data.set(scaled.data.subarray(y * w * 3, (y + 1) * w * 3), ((y + padY) * size + padX) * 3);
  }
  return { image, scale, padX, padY };
}

/**
 * Shrinks so the longer side is at most `maxSide` (returns the image itself if it already fits).
 * `scale` is small-image pixels per original pixel (exact to half a small pixel, as in letterbox).
 * Uses sharp: 1.2 ms instead of 10 ms for 1366×768 → 256, 4 instead of 70 ms for 1434×2333 → 787×1280,
 * with the same triangle filter and pixel centres as resizeBilinear (sharp is only used to shrink: its
 * enlarging is offset by half a pixel).
 */
export async function downscaleForDetection(
  img: RgbImage,
  maxSide: number,
): Promise<{ image: RgbImage; scale: number }> {
  const scale = maxSide / Math.max(img.width, img.height);
  if (scale >= 1) return { image: img, scale: 1 };
  const width = Math.max(1, Math.round(img.width * scale));
  const height = Math.max(1, Math.round(img.height * scale));
  const data = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize(width, height, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer();
  return { image: { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width, height }, scale };
}

/**
 * Longest side of a padded detection input (padForDetection). Detectors take at most 512 px a side (SSD;
 * BlazeFace 256) and shrink anything larger again, so resolution above this is never seen by a model;
 * it bounds the padded copy at 2048² × 3 B = 12.6 MB whatever the photo's size or aspect ratio (padding a
 * 65535×700 panorama in full resolution would need 26 GB), and leaves inputs up to ~1000 px untouched.
 */
export const MAX_PADDED_SIDE = 2048;

export interface PaddedImage {
  /** The image shrunk by `scale` (never enlarged) with `pad` pixels of black on every side. */
  image: RgbImage;
  /** Padded-image pixels per original pixel (≤ 1). */
  scale: number;
  /** Padding in padded-image pixels. */
  pad: number;
}

/**
 * padImage() for a detector, within a bounded budget: `pad` original pixels on every side, the result
 * shrunk first (sharp) so that its longer side is at most `maxSide`. Point p of the result is
 * ((p − pad) / scale) in the original (paddedToOriginal).
 */
export async function padForDetection(
  img: RgbImage,
  pad: number,
  maxSide = MAX_PADDED_SIDE,
): Promise<PaddedImage> {
  const longer = Math.max(img.width, img.height);
  const fit = Math.min(1, maxSide / (longer + 2 * pad));
  const small = await downscaleForDetection(img, Math.max(1, Math.floor(longer * fit)));
  const scaledPad = Math.round(pad * small.scale);
  return { image: padImage(small.image, scaledPad), scale: small.scale, pad: scaledPad };
}

/** A point of a padForDetection result → original pixels. */
export function paddedToOriginal(p: PaddedImage, [x, y]: Point): Point {
  return [(x - p.pad) / p.scale, (y - p.pad) / p.scale];
}

/**
 * letterbox() for a detector: a large photo is first shrunk by sharp (about 8× faster than resizing in
 * TypeScript), then boxed. The returned scale maps original pixels to letterbox pixels, as letterbox's.
 */
export async function letterboxForDetection(img: RgbImage, size: number): Promise<Letterbox> {
  const small = await downscaleForDetection(img, size);
  const lb = letterbox(small.image, size);
  return { ...lb, scale: lb.scale * small.scale };
}

/** A point in letterbox pixels → original pixels. */
export function letterboxToOriginal(lb: Letterbox, [x, y]: Point): Point {
  return [(x - lb.padX) / lb.scale, (y - lb.padY) / lb.scale];
}

/** A box in letterbox pixels → original pixels. */
export function letterboxBoxToOriginal(lb: Letterbox, box: Box): Box {
  const [x, y] = letterboxToOriginal(lb, [box.x, box.y]);
  return { x, y, width: box.width / lb.scale, height: box.height / lb.scale };
}

/** Outside the source: a constant grey level, or the nearest edge pixel. */
export type Border = number | 'replicate';

// Plain bilinear sampling skips source pixels once the warp shrinks: from 2× down it aliases visibly,
// and already below 2× it leaves more false detail the more it shrinks, so that the same face would look
// sharper or softer depending on its size in the photo. Shrinking by more than this is prefiltered.
const MIN_ZOOM_WITHOUT_PREFILTER = 0.9;

/**
 * Warps with bilinear sampling. `m` maps input (source) coordinates to output coordinates, as
 * OpenCV's warpAffine and as estimateSimilarity(imagePoints, templatePoints) returns.
 * A shrinking warp first reduces the source region to the output scale (the mean scale of `m`) with
 * resizeBilinear's antialiasing filter, so a large face warped to 112×112 does not alias (dlib's chip
 * extraction pre-blurs for the same reason) and a face looks the same whatever its size in the photo.
 */
export function warpAffine(
  img: RgbImage,
  m: Affine,
  outW: number,
  outH: number,
  border: Border = 0,
): RgbImage {
  const zoom = Math.sqrt(Math.abs(m[0] * m[4] - m[1] * m[3])); // output pixels per input pixel
  if (zoom < MIN_ZOOM_WITHOUT_PREFILTER) {
    const reduced = reduceForWarp(img, m, outW, outH, zoom);
    if (reduced) return sample(reduced.image, reduced.m, outW, outH, border);
  }
  return sample(img, m, outW, outH, border);
}

function sample(img: RgbImage, m: Affine, outW: number, outH: number, border: Border): RgbImage {
  const out = createImage(outW, outH);
  const inv = invertAffine(m);
  const [a, b, tx, c, d, ty] = inv;
  const { width: W, height: H, data: src } = img;
  const dst = out.data;
  const replicate = border === 'replicate';
  const fill = replicate ? 0 : border;
  for (let v = 0; v < outH; v++) {
    for (let u = 0; u < outW; u++) {
      // Source position of this output pixel's centre, in index space (centre of pixel i at i).
      const sx = a * (u + 0.5) + b * (v + 0.5) + tx - 0.5;
      const sy = c * (u + 0.5) + d * (v + 0.5) + ty - 0.5;
      const o = (v * outW + u) * 3;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      if (x0 >= 0 && y0 >= 0 && x0 + 1 < W && y0 + 1 < H) {
        // Fast path, all four neighbours inside: the hot loop of every crop, so written out by hand.
        const p00 = (y0 * W + x0) * 3;
        const p01 = p00 + W * 3;
        const w00 = (1 - fx) * (1 - fy);
        const w10 = fx * (1 - fy);
        const w01 = (1 - fx) * fy;
        const w11 = fx * fy;
        dst[o] = w00 * src[p00] + w10 * src[p00 + 3] + w01 * src[p01] + w11 * src[p01 + 3] + 0.5;
        dst[o + 1] = w00 * src[p00 + 1] + w10 * src[p00 + 4] + w01 * src[p01 + 1] + w11 * src[p01 + 4] + 0.5;
        dst[o + 2] = w00 * src[p00 + 2] + w10 * src[p00 + 5] + w01 * src[p01 + 2] + w11 * src[p01 + 5] + 0.5;
        continue;
      }
      if (!replicate && (x0 + 1 < 0 || y0 + 1 < 0 || x0 >= W || y0 >= H)) {
        dst[o] = dst[o + 1] = dst[o + 2] = fill;
        continue;
      }
      // At or beyond the edge: each neighbour is either inside, the nearest edge pixel, or the constant.
      for (let ch = 0; ch < 3; ch++) {
        const at = (x: number, y: number): number => {
          if (x >= 0 && y >= 0 && x < W && y < H) return src[(y * W + x) * 3 + ch];
          return replicate ? src[(clampInt(y, H) * W + clampInt(x, W)) * 3 + ch] : fill;
        };
        const top = at(x0, y0) + (at(x0 + 1, y0) - at(x0, y0)) * fx;
        const bottom = at(x0, y0 + 1) + (at(x0 + 1, y0 + 1) - at(x0, y0 + 1)) * fx;
        dst[o + ch] = Math.round(top + (bottom - top) * fy);
      }
    }
  }
  return out;
}

function clampInt(i: number, size: number): number {
  return i < 0 ? 0 : i >= size ? size - 1 : i;
}

/**
 * Shrinks, by `zoom`, the part of the source the output can see (plus a margin for the filter),
 * and returns it with the matrix adjusted to it. Null when the output sees nothing of the source.
 */
function reduceForWarp(
  img: RgbImage,
  m: Affine,
  outW: number,
  outH: number,
  zoom: number,
): { image: RgbImage; m: Affine } | null {
  const inv = invertAffine(m);
  const corners: Point[] = [
    [0, 0],
    [outW, 0],
    [0, outH],
    [outW, outH],
  ].map((p) => applyAffine(inv, p as Point));
  const margin = Math.ceil(1 / zoom) + 2;
  const minX = Math.min(...corners.map((p) => p[0])) - margin;
  const minY = Math.min(...corners.map((p) => p[1])) - margin;
  const maxX = Math.max(...corners.map((p) => p[0])) + margin;
  const maxY = Math.max(...corners.map((p) => p[1])) + margin;
  const region = clampBox(
    { x: minX, y: minY, width: maxX - minX, height: maxY - minY },
    img.width,
    img.height,
  );
  if (region.width === 0 || region.height === 0) return null;
  const w = Math.max(1, Math.round(region.width * zoom));
  const h = Math.max(1, Math.round(region.height * zoom));
  const sx = w / region.width;
  const sy = h / region.height;
  // Reduced coordinates: x' = (x − region.x)·sx, so x = x'/sx + region.x.
  const [a, b, tx, c, d, ty] = m;
  const adjusted: Affine = [
    a / sx,
    b / sy,
    a * region.x + b * region.y + tx,
    c / sx,
    d / sy,
    c * region.x + d * region.y + ty,
  ];
  return { image: resizeBilinear(crop(img, region), w, h), m: adjusted };
}

/**
 * Packs same-size images into one NHWC float batch: value = (pixel − mean) / std, channels in RGB order.
 */
export function toTensorNHWC(images: readonly RgbImage[], mean: number, std: number): Float32Array {
  if (images.length === 0) throw new RangeError('toTensorNHWC needs at least one image');
  const { width, height } = images[0];
  const per = width * height * 3;
  const out = new Float32Array(per * images.length);
  const inv = 1 / std;
  // A byte has 256 values: looking each up in a plain loop is faster than computing it in a closure (a
  // 256² detector input 2.3–2.4 → 1.1–1.5 ms here), with the same float32 values.
  const table = new Float32Array(256);
  for (let v = 0; v < 256; v++) table[v] = (v - mean) * inv;
  for (let n = 0; n < images.length; n++) {
    const img = images[n];
    if (img.width !== width || img.height !== height) {
      throw new RangeError(`batch images differ in size: ${img.width}×${img.height} vs ${width}×${height}`);
    }
    const src = img.data;
    const dst = out.subarray(n * per, (n + 1) * per);
    for (let i = 0; i < per; i++) dst[i] = table[src[i]];
  }
  return out;
}
