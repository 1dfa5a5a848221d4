// Faces linked across frames. A detection continues the track whose last box it overlaps most (greedy,
// best overlap first); a track ends once its face has been gone for a while. Identity (votes, the best
// view, the reference embedding) is kept per track; deciding when to recognise is the caller's job.
import { iou } from '../../engine/detect/nms.js';
import type { FaceQuality } from '../../engine/face.js';
import type { Box, RgbImage } from '../../engine/types.js';
import { IdentityVotes } from './identity-vote.js';

export interface TrackerOptions {
  /** Overlap (IoU) with a track's last box from which a detection may continue it. */
  minIou: number;
  /** A track ends when its face has not been seen for this long, s. */
  endAfterS: number;
}

export const DEFAULT_TRACKER_OPTIONS: TrackerOptions = { minIou: 0.3, endAfterS: 1 };

export interface Sighting {
  box: Box;
  timeS: number;
  frame: number;
}

/** The best view of a track's face among its recognitions: snapshot, reported box, stored embedding. */
export interface BestView {
  weight: number;
  box: Box;
  timeS: number;
  frame: number;
  quality: FaceQuality;
  /** The face upright (the landmark stage's crop), until it is encoded as `snapshot`. */
  crop: RgbImage | undefined;
  /** The crop as a JPEG, once encoded (then `crop` is dropped: an ended track keeps only this). */
  snapshot?: Buffer;
  embedding: Float32Array;
}

export class Track {
  readonly firstS: number;
  readonly firstFrame: number;
  lastS: number;
  lastFrame: number;
  /** Where the face was last seen. */
  box: Box;
  /** Frames in which the face was seen. */
  frames = 1;
  readonly votes = new IdentityVotes();
  best: BestView | null = null;
  /** When the face was last recognised (embedded and identified), s; -Infinity before the first time. */
  lastRecognitionS = -Infinity;
  /** Face size at the last recognition: a face that grows a lot deserves another look. */
  sizeAtRecognition = 0;
  /** No recognition is attempted before this time, s (set after a failed attempt). */
  retryAfterS = -Infinity;
  /** Set when the track may have jumped to another person (a shot change): verify at the next frame. */
  needsCheck = false;

  constructor(
    readonly id: number,
    first: Sighting,
  ) {
    this.firstS = this.lastS = first.timeS;
    this.firstFrame = this.lastFrame = first.frame;
    this.box = first.box;
  }

  see(s: Sighting): void {
    this.lastS = s.timeS;
    this.lastFrame = s.frame;
    this.box = s.box;
    this.frames++;
  }

  /** Keeps `view` when it is the best so far. */
  offer(view: BestView): void {
    if (!this.best || view.weight > this.best.weight) this.best = view;
  }
}

export class FaceTracker {
  private nextId = 1;
  private readonly live: Track[] = [];
  readonly options: TrackerOptions;

  constructor(options: Partial<TrackerOptions> = {}) {
    this.options = { ...DEFAULT_TRACKER_OPTIONS, ...options };
  }

  get active(): readonly Track[] {
    return this.live;
  }

  /** For each box, the live track it continues (null: none), each track used at most once. */
  associate(boxes: readonly Box[]): (Track | null)[] {
    const pairs: { box: number; track: Track; overlap: number }[] = [];
    boxes.forEach((b, i) => {
      for (const t of this.live) {
        const overlap = iou(b, t.box);
        if (overlap >= this.options.minIou) pairs.push({ box: i, track: t, overlap });
      }
    });
    pairs.sort((a, b) => b.overlap - a.overlap);
    const out: (Track | null)[] = boxes.map(() => null);
    const taken = new Set<Track>();
    for (const p of pairs) {
      if (out[p.box] || taken.has(p.track)) continue;
      out[p.box] = p.track;
      taken.add(p.track);
    }
    return out;
  }

  start(first: Sighting): Track {
    const track = new Track(this.nextId++, first);
    this.live.push(track);
    return track;
  }

  /** Ends `track` now (it turned out to be someone else from here on) and returns it. */
  end(track: Track): Track {
    const i = this.live.indexOf(track);
    if (i >= 0) this.live.splice(i, 1);
    return track;
  }

  /** Ends and returns the tracks whose face has been gone for longer than endAfterS at `timeS`. */
  expire(timeS: number): Track[] {
    const gone = this.live.filter((t) => timeS - t.lastS > this.options.endAfterS);
    for (const t of gone) this.end(t);
    return gone;
  }

  /** Ends every track (end of the video, or stopped). */
  endAll(): Track[] {
    return this.live.splice(0, this.live.length);
  }
}
