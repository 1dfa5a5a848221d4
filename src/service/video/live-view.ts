// The browser's camera (JPEG frames over the live WebSocket): each frame is answered as a photo is — every
// face with its name and why (PhotoRecognition.identify) — and its faces are also followed from frame to
// frame as tracks. Each track votes for its name over all its looks (identity-vote.ts, the rule every
// live source and video follows) and is stored as one event when it ends: when the face has left, or
// when the view is closed. So the camera's results are in History like those of photos and videos, one
// event per person seen rather than one per frame. Which frames are recognised and which are dropped
// (the newest wins) stays live-frames.ts's. Each answer carries, besides every face's own answer, its
// track's verdict as it stands — what History will store — so the page's results row never names a face
// that is then stored as unknown (a name needs agreeing recognitions).
import type { LiveMessage, LiveVerdict } from '../../api/index.js';
import { LiveFrames } from '../recognize/live-frames.js';
import type { PhotoRecognition, RecognizedFace } from '../recognize/photos.js';
import type { SecurityLevel } from '../recognize/decision.js';
import type { WorkOptions } from '../scheduler.js';
import { FaceTracker, type Track } from './tracker.js';
import { recordLook, sameFaceTrack, type VideoDeps } from './video-recognizer.js';
import { storeLiveTrack } from './video-live.js';
import { round } from '../json.js';
import { trackJson } from './video-results.js';

export interface LiveViewOptions {
  /** Stored as the events' source, e.g. "browser camera (ada)". */
  source: string;
  level?: SecurityLevel;
  /** Store each track as an event (default true). */
  storeEvents?: boolean;
}

export interface LiveViewDeps extends VideoDeps {
  photos: Pick<PhotoRecognition, 'identify'>;
}

export class LiveView {
  private readonly frames: LiveFrames;
  private readonly tracker = new FaceTracker();
  private readonly startedAt = Date.now();
  private frame = 0;
  /** Frames are recognised one at a time (LiveFrames); closing waits for the one in work. */
  private working: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly deps: LiveViewDeps,
    answer: (message: LiveMessage) => void,
    work: WorkOptions,
    private readonly options: LiveViewOptions,
  ) {
    this.frames = new LiveFrames(
      (jpeg, frameWork) => {
        const done = this.recognize(jpeg, frameWork);
        this.working = done;
        return done;
      },
      answer,
      work,
      options.level,
    );
  }

  push(jpeg: Buffer): Promise<void> {
    return this.frames.push(jpeg);
  }

  /** The view was closed: nothing more is answered, and the faces still in view are stored. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.frames.close();
    await this.working.catch(() => {});
    await this.store(this.tracker.endAll());
  }

  private async recognize(
    jpeg: Buffer,
    work: WorkOptions,
  ): Promise<{ faces: RecognizedFace[]; tracks: number[]; verdicts: LiveVerdict[] }> {
    const { faces: engine, scheduler } = this.deps;
    const seen = await scheduler.run(async () => {
      const faces = await engine.analyzer.analyze(await engine.loadImage(jpeg, 'live frame'));
      return faces.map((face) => ({ face, answer: this.deps.photos.identify(face, this.options.level) }));
    }, work);
    const timeS = (Date.now() - this.startedAt) / 1000;
    const frame = ++this.frame;
    const ended = this.tracker.expire(timeS);
    const owners = this.tracker.associate(seen.map((s) => s.face.box));
    // A face the boxes lost (a camera answered a few times a second jumps farther than they follow)
    // continues the track whose best view is the same person.
    const owned = new Set(owners.filter((t) => t !== null));
    const tracks = seen.map(({ face, answer }, i) => {
      const sighting = { box: face.box, timeS, frame };
      const known =
        owners[i] ??
        sameFaceTrack(this.tracker.active, face.embedding!, owned, this.deps.recognizer.threshold);
      const track = known ?? this.tracker.start(sighting);
      if (known) track.see(sighting);
      owned.add(track);
      const lead = answer.evidence === null ? null : answer.evidence - answer.evidenceThreshold;
      recordLook(track, face, face.embedding!, { ...answer, lead }, { timeS, frame });
      return track;
    });
    await this.store(ended);
    return {
      faces: seen.map((s) => s.answer),
      tracks: tracks.map((t) => t.id),
      verdicts: tracks.map(liveVerdict),
    };
  }

  private async store(tracks: Track[]): Promise<void> {
    if (!(this.options.storeEvents ?? true)) return;
    for (const track of tracks)
      await storeLiveTrack(this.deps, track, trackJson(track, 1), this.options.source, this.startedAt);
  }
}

/** A track's verdict as the live answer gives it (a track has a vote from the frame that answers it). */
function liveVerdict(track: Track): LiveVerdict {
  const v = track.votes.verdict()!;
  return { name: v.name, personId: v.personId, score: round(v.score, 4), pending: v.pending };
}
