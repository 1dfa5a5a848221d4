// When a video's frames run the detector, and where the faces are on the frames that do not. The
// detector runs on every `detectEvery`-th frame, and at once on a shot change (scene-cut.ts), when a
// track is due for recognition (the landmark stage needs the detector's candidates), or when following
// a face lost confidence. Between detector runs each face found by the last run is followed: its box moves
// on at the velocity it had between its last two detections, and the follow is trusted while the pixels
// under the moved box still look like the face did when it was detected (normalised cross-correlation of
// a small grey patch: ~150 samples a face, nothing next to the detector's resize and inference). One
// rule for files and live sources alike: video-recognizer.ts asks it on every frame.
import type { Box, RgbImage } from '../../engine/types.js';
import type { Track } from './tracker.js';

/**
 * The detector runs at least every this many frames. `npm run bench:video`, track recall against
 * detecting every frame (IoU ≥ 0.5 per frame): hamilton_clip.mp4 375 of 375 tracked faces at 5 (374 at
 * 3), the same track named; faceapi_test.mp4 5 of 5. On that stage clip the detector still runs on about
 * 70 % of a live 720p stream's frames: mostly the patch check below failing on moving performers, then
 * shot changes, recognitions due and lost faces.
 */
export const DEFAULT_DETECT_EVERY = 5;
/**
 * A followed face whose patch correlates less than this with its look at the last detection is lost:
 * the detector runs now. A face that turns or is passed by someone drops below it; one that only moves
 * as predicted stays above it. On hamilton_clip.mp4 at 5, 0.65 and 0.5 let the detector rest more but
 * lose recall (98.4 %, 98.1 %); 0.8 keeps it at 100 %.
 */
const MIN_FOLLOW_CORRELATION = 0.8;
/**
 * A face the detector missed on its run (it flickers on small, turned or blurred faces) is still followed
 * while its patch holds, for at most this long after it was last detected, s.
 */
const MAX_UNDETECTED_S = 0.5;
/** Velocities are taken from two detections at most this far apart, s; older ones say nothing now. */
const MAX_VELOCITY_SPAN_S = 0.5;
/** The patch is PATCH × PATCH samples of the box. */
const PATCH = 12;

interface Follow {
  /** The box and time of the track's last detection, and the patch there. */
  box: Box;
  timeS: number;
  patch: Float32Array;
  /** Change of the box per second: centre (px/s) and side (px/s). */
  vx: number;
  vy: number;
  vSide: number;
}

export class FaceFollower {
  private readonly follows = new Map<Track, Follow>();
  /**
   * Tracks the detector missed and following could not hold, with when they were last detected: until
   * they are found again (or MAX_UNDETECTED_S has passed) the detector runs on every frame, as it would
   * without following, so a face it finds only now and then is picked up where it is, not frames later.
   */
  private readonly lost = new Map<Track, number>();
  private framesSinceDetection = Infinity;

  constructor(private readonly detectEvery: number = DEFAULT_DETECT_EVERY) {
    if (!(detectEvery >= 1)) throw new RangeError(`detectEvery must be ≥ 1, got ${detectEvery}`);
  }

  /**
   * The faces of this frame without the detector: each followed track with its moved box, or null
   * when the detector must run (its turn, a shot change, a recognition due, a face lost).
   */
  follow(image: RgbImage, timeS: number, mustDetect: boolean): { track: Track; box: Box }[] | null {
    for (const [track, lastS] of this.lost) if (timeS - lastS > MAX_UNDETECTED_S) this.lost.delete(track);
    if (mustDetect || this.lost.size > 0 || this.framesSinceDetection + 1 >= this.detectEvery) return null;
    const out: { track: Track; box: Box }[] = [];
    for (const [track, f] of this.follows) {
      if (timeS - f.timeS > MAX_UNDETECTED_S) {
        this.follows.delete(track);
        continue;
      }
      const box = stillThere(f, timeS, image);
      if (!box) return null;
      out.push({ track, box });
    }
    this.framesSinceDetection++;
    return out;
  }

  /**
   * The detector ran on this frame and these are its faces: they are followed from here, with the faces
   * it missed that still look as they did (returned with their moved boxes, as faces of this frame).
   */
  detected(
    image: RgbImage,
    timeS: number,
    faces: readonly { track: Track; box: Box }[],
  ): { track: Track; box: Box }[] {
    // Detecting every frame follows nothing: the pipeline as it was before following (the reference).
    if (this.detectEvery === 1) return [];
    const before = new Map(this.follows);
    this.follows.clear();
    this.framesSinceDetection = 0;
    const found = new Set(faces.map((f) => f.track));
    for (const track of found) this.lost.delete(track);
    const missed: { track: Track; box: Box }[] = [];
    for (const [track, f] of before) {
      if (found.has(track) || timeS - f.timeS > MAX_UNDETECTED_S) continue;
      const box = stillThere(f, timeS, image);
      if (!box) {
        this.lost.set(track, f.timeS);
        continue;
      }
      this.follows.set(track, f);
      missed.push({ track, box });
    }
    for (const { track, box } of faces) {
      const last = before.get(track);
      const span = last ? timeS - last.timeS : 0;
      const v = last && span > 0 && span <= MAX_VELOCITY_SPAN_S ? velocity(last.box, box, span) : null;
      this.follows.set(track, {
        box,
        timeS,
        patch: patch(image, box),
        vx: v?.vx ?? 0,
        vy: v?.vy ?? 0,
        vSide: v?.vSide ?? 0,
      });
    }
    return missed;
  }

  /** A track ended (or split off): it is no longer followed. */
  forget(tracks: readonly Track[]): void {
    for (const t of tracks) {
      this.follows.delete(t);
      this.lost.delete(t);
    }
  }
}

function velocity(a: Box, b: Box, span: number): { vx: number; vy: number; vSide: number } {
  return {
    vx: (b.x + b.width / 2 - (a.x + a.width / 2)) / span,
    vy: (b.y + b.height / 2 - (a.y + a.height / 2)) / span,
    vSide: (b.width - a.width) / span,
  };
}

/** The patch under a moved box is only compared, then dropped: one buffer serves every check. */
const scratch = new Float32Array(PATCH * PATCH);

/**
 * The followed face's box on this frame: moved on to `timeS`, and its pixels still looking as they did at
 * the detection. Null when it left the frame, shrank to nothing or no longer looks like it (lost).
 */
function stillThere(f: Follow, timeS: number, image: RgbImage): Box | null {
  const box = moved(f, timeS, image);
  if (!box || correlation(f.patch, patch(image, box, scratch)) < MIN_FOLLOW_CORRELATION) return null;
  return box;
}

/** The detected box moved on to `timeS`; null once it has left the frame or shrunk to nothing. */
function moved(f: Follow, timeS: number, image: RgbImage): Box | null {
  const dt = timeS - f.timeS;
  const width = f.box.width + f.vSide * dt;
  const height = width * (f.box.height / f.box.width);
  if (width < 4) return null;
  const cx = f.box.x + f.box.width / 2 + f.vx * dt;
  const cy = f.box.y + f.box.height / 2 + f.vy * dt;
  if (cx < 0 || cy < 0 || cx >= image.width || cy >= image.height) return null;
  return { x: cx - width / 2, y: cy - height / 2, width, height };
}

/** PATCH × PATCH grey samples (nearest pixel) of `box`, clamped to the image (into `out`). */
function patch(image: RgbImage, box: Box, out = new Float32Array(PATCH * PATCH)): Float32Array {
  const { data, width, height } = image;
  for (let j = 0; j < PATCH; j++) {
    const y = Math.min(height - 1, Math.max(0, Math.floor(box.y + ((j + 0.5) * box.height) / PATCH)));
    for (let i = 0; i < PATCH; i++) {
      const x = Math.min(width - 1, Math.max(0, Math.floor(box.x + ((i + 0.5) * box.width) / PATCH)));
      const o = (y * width + x) * 3;
      out[j * PATCH + i] = 0.299 * data[o]! + 0.587 * data[o + 1]! + 0.114 * data[o + 2]!;
    }
  }
  return out;
}

/** Normalised cross-correlation of two patches, in [-1, 1]; 1 when both are flat (nothing to tell). */
function correlation(a: Float32Array, b: Float32Array): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= n;
  mb /= n;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i]! - ma;
    const db = b[i]! - mb;
    ab += da * db;
    aa += da * da;
    bb += db * db;
  }
  const flat = 1e-6 * n;
  if (aa < flat && bb < flat) return 1;
  if (aa < flat || bb < flat) return 0;
  return ab / Math.sqrt(aa * bb);
}
