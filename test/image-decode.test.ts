// decodeImage on every container a user may hand us, built from a real photo, and on the broken inputs
// that must fail with a stable code rather than a crash or a grey image.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { decodeImage } from '../src/engine/image/decode.js';
import { isVisageError } from '../src/errors.js';
import type { RgbImage } from '../src/engine/types.js';
import { bombPng } from './support/images.js';

const FACES = path.resolve(import.meta.dirname, '../../shared/faces');
const PHOTO = path.join(FACES, 'scenes/obama-480p.jpg'); // 853×480 colour JPEG

let dir: string;
let original: RgbImage;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'visage-decode-'));
  original = await decodeImage(PHOTO);
});
after(() => rm(dir, { recursive: true, force: true }));

async function fixture(name: string, bytes: Buffer | string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, bytes);
  return file;
}

function rawInput(img: RgbImage): Sharp {
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } });
}

function meanAbsDiff(a: RgbImage, b: RgbImage): number {
  assert.equal(a.width, b.width);
  assert.equal(a.height, b.height);
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) sum += Math.abs(a.data[i] - b.data[i]);
  return sum / a.data.length;
}

function assertRgb(img: RgbImage, width: number, height: number): void {
  assert.equal(img.width, width);
  assert.equal(img.height, height);
  assert.equal(img.data.length, width * height * 3);
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(isVisageError(e), `expected a VisageError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.ok(!e.message.includes('\n'), 'one-line message');
    return true;
  });
}

test('plain JPEG decodes to packed RGB with real content', () => {
  assertRgb(original, 853, 480);
  let sum = 0;
  for (const v of original.data) sum += v;
  const mean = sum / original.data.length;
  assert.ok(mean > 30 && mean < 225, `mean ${mean}`);
  assert.ok(
    original.data.some((v, i) => v !== original.data[i % 3]),
    'not a flat image',
  );
});

test('CMYK JPEG is converted to sRGB close to the original', async () => {
  const cmyk = await sharp(PHOTO).toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer();
  assert.equal((await sharp(cmyk).metadata()).space, 'cmyk');
  const img = await decodeImage(cmyk);
  assertRgb(img, 853, 480);
  // sRGB → CMYK → sRGB through the generic CMYK profile alone costs ~9 levels (gamut); misread CMYK
  // (channels taken as RGB, or ink inverted) is off by 50 or more.
  assert.ok(meanAbsDiff(img, original) < 12, `diff ${meanAbsDiff(img, original)}`);
});

test('16-bit PNG becomes 8-bit with the same pixels', async () => {
  const png16 = await rawInput(original).toColourspace('rgb16').png().toBuffer();
  assert.equal((await sharp(png16).metadata()).depth, 'ushort');
  const img = await decodeImage(await fixture('deep.png', png16));
  assertRgb(img, 853, 480);
  assert.ok(meanAbsDiff(img, original) < 0.01, `diff ${meanAbsDiff(img, original)}`);
});

test('grayscale PNG becomes three equal channels', async () => {
  const gray = await rawInput(original).toColourspace('b-w').png().toBuffer();
  assert.equal((await sharp(gray).metadata()).channels, 1);
  const img = await decodeImage(gray);
  assertRgb(img, 853, 480);
  for (let i = 0; i < img.data.length; i += 3) {
    assert.ok(
      img.data[i] === img.data[i + 1] && img.data[i] === img.data[i + 2],
      `pixel ${i / 3} is not grey`,
    );
  }
  // Its brightness follows the photo's luma.
  let err = 0;
  for (let i = 0; i < img.data.length; i += 3) {
    const luma = 0.299 * original.data[i] + 0.587 * original.data[i + 1] + 0.114 * original.data[i + 2];
    err += Math.abs(img.data[i] - luma);
  }
  assert.ok(err / (img.data.length / 3) < 6, `luma error ${err / (img.data.length / 3)}`);
});

test('transparent pixels of an RGBA PNG become white, opaque ones keep their colour', async () => {
  const { width, height } = original;
  const rgba = Buffer.alloc(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    rgba.set(original.data.subarray(3 * i, 3 * i + 3), 4 * i);
    rgba[4 * i + 3] = i % width < width / 2 ? 0 : 255; // left half fully transparent
  }
  const png = await sharp(rgba, { raw: { width, height, channels: 4 } })
    .png()
    .toBuffer();
  const img = await decodeImage(png);
  assertRgb(img, width, height);
  for (let i = 0; i < width * height; i++) {
    const transparent = i % width < width / 2;
    for (let c = 0; c < 3; c++) {
      const expected = transparent ? 255 : original.data[3 * i + c];
      if (img.data[3 * i + c] !== expected)
        assert.fail(`pixel ${i} channel ${c}: ${img.data[3 * i + c]} ≠ ${expected}`);
    }
  }
});

test('WebP, TIFF and AVIF decode', async () => {
  const webp = await decodeImage(
    await fixture('photo.webp', await sharp(PHOTO).webp({ quality: 90 }).toBuffer()),
  );
  assertRgb(webp, 853, 480);
  assert.ok(meanAbsDiff(webp, original) < 6, `webp diff ${meanAbsDiff(webp, original)}`);

  const tiff = await decodeImage(
    await fixture('photo.tiff', await rawInput(original).tiff({ compression: 'lzw' }).toBuffer()),
  );
  assert.equal(meanAbsDiff(tiff, original), 0);

  const small = await rawInput(original).resize(320, 180).raw().toBuffer();
  const avif = await sharp(small, { raw: { width: 320, height: 180, channels: 3 } })
    .avif({ quality: 80 })
    .toBuffer();
  const img = await decodeImage(avif);
  assertRgb(img, 320, 180);
  const ref: RgbImage = { data: new Uint8Array(small), width: 320, height: 180 };
  assert.ok(meanAbsDiff(img, ref) < 8, `avif diff ${meanAbsDiff(img, ref)}`);
});

test('animated GIF decodes its first frame', async () => {
  const { width, height } = original;
  const frames = Buffer.alloc(width * height * 3 * 2);
  frames.set(original.data);
  for (let i = 0; i < original.data.length; i++) frames[original.data.length + i] = 255 - original.data[i];
  const gif = await sharp(frames, { raw: { width, height: height * 2, channels: 3, pageHeight: height } })
    .gif()
    .toBuffer();
  assert.equal((await sharp(gif).metadata()).pages, 2);
  const img = await decodeImage(await fixture('anim.gif', gif));
  assertRgb(img, width, height);
  assert.ok(meanAbsDiff(img, original) < 15, `first-frame diff ${meanAbsDiff(img, original)}`);
});

test('EXIF orientation 6 is applied: dimensions swap and the content turns clockwise', async () => {
  const jpeg = await rawInput(original).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer();
  assert.equal((await sharp(jpeg).metadata()).orientation, 6);
  const img = await decodeImage(await fixture('rotated.jpg', jpeg));
  const { width: w, height: h } = original;
  assertRgb(img, h, w);
  // Clockwise quarter turn: output (x, y) shows input (y, h − 1 − x); the other way round must not match.
  const turned = (clockwise: boolean): RgbImage => {
    const data = new Uint8Array(w * h * 3);
    for (let y = 0; y < w; y++) {
      for (let x = 0; x < h; x++) {
        const [sx, sy] = clockwise ? [y, h - 1 - x] : [w - 1 - y, x];
        data.set(original.data.subarray((sy * w + sx) * 3, (sy * w + sx) * 3 + 3), (y * h + x) * 3);
      }
    }
    return { data, width: h, height: w };
  };
  assert.ok(meanAbsDiff(img, turned(true)) < 3, `clockwise diff ${meanAbsDiff(img, turned(true))}`);
  assert.ok(meanAbsDiff(img, turned(false)) > 20, 'counter-clockwise must differ');
});

test('truncated JPEG fails as corrupt_image instead of returning grey', async () => {
  const bytes = await readFile(PHOTO);
  await rejectsWith(
    decodeImage(await fixture('half.jpg', bytes.subarray(0, bytes.length >> 1))),
    'corrupt_image',
  );
});

test('empty, missing, directory, text and SVG inputs fail with their codes', async () => {
  await rejectsWith(decodeImage(await fixture('empty.jpg', Buffer.alloc(0))), 'empty_file');
  await rejectsWith(decodeImage(Buffer.alloc(0)), 'empty_file');
  await rejectsWith(decodeImage(path.join(dir, 'no-such-photo.jpg')), 'file_not_found');
  await rejectsWith(decodeImage(dir), 'file_not_found');
  await rejectsWith(
    decodeImage(await fixture('notes.jpg', 'these are my holiday notes, not a photo\n')),
    'unsupported_format',
  );
  const svg =
    '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><circle cx="32" cy="32" r="20"/></svg>';
  await rejectsWith(decodeImage(await fixture('face.svg', svg)), 'unsupported_format');
});

test('a 20000×20000 PNG is refused from its header, fast', async () => {
  const bomb = bombPng(20000, 20000);
  const meta = await sharp(bomb, { limitInputPixels: false }).metadata();
  assert.deepEqual([meta.width, meta.height], [20000, 20000], 'the crafted header is valid');
  const t0 = performance.now();
  await rejectsWith(decodeImage(await fixture('bomb.png', bomb)), 'image_too_large');
  const ms = performance.now() - t0;
  assert.ok(ms < 1000, `took ${ms} ms`);
});

test('maxPixels lowers the limit', async () => {
  await rejectsWith(decodeImage(PHOTO, { maxPixels: 853 * 480 - 1 }), 'image_too_large');
  assertRgb(await decodeImage(PHOTO, { maxPixels: 853 * 480 }), 853, 480);
});
