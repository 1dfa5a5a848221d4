// Draws boxes and names onto an image (recognize --annotate, annotated video). Names may be in any
// script, so labels are rendered with the bundled WenQuanYi Micro Hei font (CJK, Latin, Cyrillic…)
// through sharp's Pango text renderer rather than with whatever fonts the system happens to have.
import path from 'node:path';
import sharp, { type OverlayOptions } from 'sharp';
import { rawInput } from '../engine/image/encode.js';
import type { Box, RgbImage } from '../engine/types.js';

export const FONT_FILE = path.resolve(import.meta.dirname, '../../assets/fonts/wqy-microhei.ttc');
const FONT_FAMILY = 'WenQuanYi Micro Hei';

export interface Label {
  box: Box;
  text: string;
  /** CSS colour of the box and the label background; known faces and unknown ones differ. */
  color: string;
}

export const KNOWN_COLOR = '#22c55e';
export const UNKNOWN_COLOR = '#ef4444';

/** Box line width and label font size for an image of this size, px (shared by stills and video). */
export function labelStyle(width: number, height: number): { stroke: number; fontPx: number } {
  return {
    stroke: Math.max(2, Math.round(Math.min(width, height) / 300)),
    fontPx: Math.max(12, Math.round(Math.min(width, height) / 40)),
  };
}

/** Returns a copy of `image` with every label's box and text drawn on it. */
export async function annotate(image: RgbImage, labels: readonly Label[]): Promise<RgbImage> {
  const { stroke, fontPx } = labelStyle(image.width, image.height);
  const rects = labels
    .map(
      (l) =>
        `<rect x="${l.box.x}" y="${l.box.y}" width="${l.box.width}" height="${l.box.height}" fill="none" stroke="${l.color}" stroke-width="${stroke}"/>`,
    )
    .join('');
  const overlays: OverlayOptions[] = [
    {
      input: Buffer.from(
        `<svg xmlns="http://www.w3.org/2000/svg" width="${image.width}" height="${image.height}">${rects}</svg>`,
      ),
      left: 0,
      top: 0,
    },
  ];
  for (const l of labels) {
    const tag = await labelImage(l.text, l.color, fontPx);
    const meta = await sharp(tag).metadata();
    const w = Math.min(meta.width ?? 0, image.width);
    const h = meta.height ?? 0;
    // Above the box when there is room, else inside its top edge; always inside the image.
    const left = clamp(Math.round(l.box.x), 0, image.width - w);
    const top = clamp(Math.round(l.box.y - h), 0, Math.max(0, image.height - h));
    overlays.push({
      input:
        w < (meta.width ?? 0)
          ? await sharp(tag).extract({ left: 0, top: 0, width: w, height: h }).toBuffer()
          : tag,
      left,
      top,
    });
  }
  const { data, info } = await rawInput(image)
    .composite(overlays)
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return {
    data: new Uint8Array(data.buffer, data.byteOffset, data.length),
    width: info.width,
    height: info.height,
  };
}

/** White text on a coloured plate, as a PNG. */
export async function labelImage(text: string, color: string, fontPx: number): Promise<Buffer> {
  const pad = Math.round(fontPx / 4);
  const glyphs = await sharp({
    text: {
      text: `<span foreground="white">${escapeMarkup(text)}</span>`,
      font: `${FONT_FAMILY} ${fontPx}px`,
      fontfile: FONT_FILE,
      rgba: true,
    },
  })
    .png()
    .toBuffer();
  const meta = await sharp(glyphs).metadata();
  return sharp({
    create: {
      width: (meta.width ?? 1) + 2 * pad,
      height: (meta.height ?? 1) + 2 * pad,
      channels: 4,
      background: color,
    },
  })
    .composite([{ input: glyphs, left: pad, top: pad }])
    .png()
    .toBuffer();
}

/** Pango markup: a name is text, never markup (names may hold <, & and quotes). */
export function escapeMarkup(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(Math.max(v, lo), Math.max(lo, hi));
}
