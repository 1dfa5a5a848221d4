// Shot changes. At a cut, a face in the new shot can sit where a face of the old shot was, and box overlap
// alone would carry the old track (and its name) over to a different person; so across a cut, tracks
// continue only when the face itself is recognised as the same (see video-recognizer.ts). A false alarm
// only costs one extra recognition, so the test errs on the side of seeing cuts.
import type { RgbImage } from '../../engine/types.js';

/** The frame is compared as a GRID_W × GRID_H grid of mean brightness: layout, not colour. */
const GRID_W = 16;
const GRID_H = 9;
/**
 * Every STEP-th pixel in each direction is sampled, on a frame SAMPLE_WIDTH px wide; a wider frame is
 * sampled as sparsely as that one (a 1280×720 frame every 8th pixel), for the same cost per frame.
 */
const STEP = 4;
const SAMPLE_WIDTH = 640;
/**
 * Mean absolute change of the grid cells (0–255 luma) above which the frame starts a new shot. On
 * hamilton_clip.mp4 at its native 29.97 fps the three cuts measure 24–28 and frames within a shot at most
 * 11. (Colour histograms do not separate them: the shots share one dark, warm stage light.) At a few
 * frames per second, motion within a shot reaches the same values and some false alarms are expected.
 */
export const CUT_THRESHOLD = 16;

export class SceneCutDetector {
  private previous: Float32Array | null = null;

  /** True when `image` starts a new shot (never for the first frame). */
  isCut(image: RgbImage): boolean {
    const grid = brightnessGrid(image);
    const prev = this.previous;
    this.previous = grid;
    return prev !== null && meanAbsoluteDifference(prev, grid) > CUT_THRESHOLD;
  }
}

export function brightnessGrid(image: RgbImage): Float32Array {
  const sum = new Float32Array(GRID_W * GRID_H);
  const count = new Uint32Array(GRID_W * GRID_H);
  const { data, width, height } = image;
  const step = Math.max(STEP, Math.round((STEP * width) / SAMPLE_WIDTH));
  for (let y = step >> 1; y < height; y += step) {
    const row = Math.floor((y * GRID_H) / height) * GRID_W;
    for (let x = step >> 1; x < width; x += step) {
      const o = (y * width + x) * 3;
      const cell = row + Math.floor((x * GRID_W) / width);
      sum[cell]! += 0.299 * data[o]! + 0.587 * data[o + 1]! + 0.114 * data[o + 2]!;
      count[cell]!++;
    }
  }
  for (let i = 0; i < sum.length; i++) sum[i] = count[i]! ? sum[i]! / count[i]! : 0;
  return sum;
}

export function meanAbsoluteDifference(a: Float32Array, b: Float32Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d += Math.abs(a[i]! - b[i]!);
  return d / a.length;
}
