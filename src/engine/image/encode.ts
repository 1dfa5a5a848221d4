// RGB pixels back to files: JPEG for crops and snapshots stored in the database.
import sharp, { type Sharp } from 'sharp';
import type { RgbImage } from '../types.js';

export function rawInput(image: RgbImage): Sharp {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } });
}

export async function encodeJpeg(image: RgbImage, quality = 90): Promise<Buffer> {
  return rawInput(image).jpeg({ quality }).toBuffer();
}
