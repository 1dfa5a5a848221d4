// Image helpers in the browser: face crops cut from a chosen photo, data URLs to uploadable blobs, and
// camera frames encoded as JPEG.
import type { Box } from './api';

export function dataUrlToBlob(dataUrl: string): Blob {
  const [head, b64] = dataUrl.split(',', 2);
  const type = /data:([^;]+)/.exec(head)?.[1] ?? 'application/octet-stream';
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Blob([bytes], { type });
}

export function canvasToJpeg(canvas: HTMLCanvasElement, quality = 0.85): Promise<Blob> {
  return new Promise((resolve, reject) =>
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('JPEG encoding failed'))), 'image/jpeg', quality),
  );
}

/** The current video frame as a JPEG, at the video's own resolution. */
export function grabFrame(
  video: HTMLVideoElement,
  canvas: HTMLCanvasElement = document.createElement('canvas'),
  quality = 0.8,
): Promise<Blob> {
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  canvas.getContext('2d')!.drawImage(video, 0, 0);
  return canvasToJpeg(canvas, quality);
}

/**
 * A face with context around it (the box grown by `margin` of its size on each side), cut from the
 * photo, so that the server can find the face in it again, e.g. to enroll one face of a group photo.
 */
export async function cropFace(source: Blob, box: Box, margin = 0.6): Promise<Blob> {
  const bitmap = await createImageBitmap(source, { imageOrientation: 'from-image' });
  const side = Math.max(box.width, box.height) * (1 + 2 * margin);
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  const x0 = Math.max(0, Math.round(cx - side / 2));
  const y0 = Math.max(0, Math.round(cy - side / 2));
  const x1 = Math.min(bitmap.width, Math.round(cx + side / 2));
  const y1 = Math.min(bitmap.height, Math.round(cy + side / 2));
  const canvas = document.createElement('canvas');
  canvas.width = x1 - x0;
  canvas.height = y1 - y0;
  canvas
    .getContext('2d')!
    .drawImage(bitmap, x0, y0, canvas.width, canvas.height, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  return canvasToJpeg(canvas, 0.92);
}
