// Shared vocabulary of the engine (see ../shared/CONVENTIONS.md): every stage speaks in these types.

/** Pixels of the original image (after EXIF rotation). */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export type Point = [x: number, y: number];

/** Packed 8-bit RGB, row-major, 3 bytes per pixel. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** A 2×3 affine matrix [a, b, tx, c, d, ty]: x' = a·x + b·y + tx, y' = c·x + d·y + ty. */
export type Affine = [number, number, number, number, number, number];
