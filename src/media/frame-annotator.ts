// Boxes and labels drawn straight into video frames. annotate.ts composes an SVG per image through sharp,
// which is fine for a photo but costs several milliseconds a frame; here boxes are filled pixel rows and
// each distinct label is rendered once (same font and look as annotate.ts) and then blended from a cache.
import sharp from 'sharp';
import type { RgbImage } from '../engine/types.js';
import { labelImage, labelStyle, type Label } from './annotate.js';

interface Bitmap {
  data: Uint8Array;
  width: number;
  height: number;
}

export class FrameAnnotator {
  private readonly cache = new Map<string, Promise<Bitmap>>();

  /** Draws every label's box and text onto `image`, in place. */
  async draw(image: RgbImage, labels: readonly Label[]): Promise<void> {
    const { stroke, fontPx } = labelStyle(image.width, image.height);
    for (const l of labels) {
      const rgb = parseColor(l.color);
      const x0 = Math.round(l.box.x);
      const y0 = Math.round(l.box.y);
      const x1 = Math.round(l.box.x + l.box.width);
      const y1 = Math.round(l.box.y + l.box.height);
      fillRect(image, x0, y0, x1, y0 + stroke, rgb);
      fillRect(image, x0, y1 - stroke, x1, y1, rgb);
      fillRect(image, x0, y0, x0 + stroke, y1, rgb);
      fillRect(image, x1 - stroke, y0, x1, y1, rgb);
      const tag = await this.label(l.text, l.color, fontPx);
      // Above the box when there is room, else inside its top edge; always inside the image.
      const left = clamp(x0, 0, image.width - tag.width);
      const top = clamp(Math.round(l.box.y - tag.height), 0, image.height - tag.height);
      blend(image, tag, left, top);
    }
  }

  private label(text: string, color: string, fontPx: number): Promise<Bitmap> {
    const key = `${fontPx}\u0000${color}\u0000${text}`;
    let bitmap = this.cache.get(key);
    if (!bitmap) {
      bitmap = labelImage(text, color, fontPx).then(async (png) => {
        const { data, info } = await sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
        return {
          data: new Uint8Array(data.buffer, data.byteOffset, data.length),
          width: info.width,
          height: info.height,
        };
      });
      this.cache.set(key, bitmap);
    }
    return bitmap;
  }
}

function parseColor(css: string): [number, number, number] {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(css);
  if (!m) throw new Error(`expected a #rrggbb colour, got ${css}`);
  return [parseInt(m[1]!, 16), parseInt(m[2]!, 16), parseInt(m[3]!, 16)];
}

function fillRect(
  img: RgbImage,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  [r, g, b]: [number, number, number],
): void {
  const xa = Math.max(0, x0);
  const xb = Math.min(img.width, x1);
  for (let y = Math.max(0, y0); y < Math.min(img.height, y1); y++) {
    for (let x = xa; x < xb; x++) {
      const o = (y * img.width + x) * 3;
      img.data[o] = r;
      img.data[o + 1] = g;
      img.data[o + 2] = b;
    }
  }
}

/** Alpha-blends an RGBA bitmap onto the image at (left, top), clipped to the image. */
function blend(img: RgbImage, bmp: Bitmap, left: number, top: number): void {
  for (let y = 0; y < bmp.height; y++) {
    const iy = top + y;
    if (iy < 0 || iy >= img.height) continue;
    for (let x = 0; x < bmp.width; x++) {
      const ix = left + x;
      if (ix < 0 || ix >= img.width) continue;
      const s = (y * bmp.width + x) * 4;
      const a = bmp.data[s + 3]! / 255;
      if (a === 0) continue;
      const o = (iy * img.width + ix) * 3;
      for (let c = 0; c < 3; c++)
        img.data[o + c] = Math.round(bmp.data[s + c]! * a + img.data[o + c]! * (1 - a));
    }
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(Math.max(v, lo), Math.max(lo, hi));
}
