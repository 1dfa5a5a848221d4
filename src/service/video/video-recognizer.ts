// Recognition over a sequence of frames (a file or a live stream): the detector runs every few frames,
// and between its runs the faces are followed from frame to frame (face-follower.ts decides which frames
// run it); landmarks, quality and embeddings — several times the detector's cost — run only on frames
// where some track needs recognising: when it starts, every `recognizeEveryS`, when its face grew, and
// after a shot change. Each recognition is a weighted vote for the track's name (identity-vote.ts).
// Each model stage of a frame (detector; landmarks; embeddings) is one unit of the scheduler, in the lane
// of whoever runs the video: a photo request waits for at most one stage of a frame (~20 ms, at most
// ~100 ms with several new faces), not a whole frame's work. Live sources share a stage's unit with the
// other live sources that want it at the same time (frame-stages.ts).
import { cosineDistance } from '../../engine/compare.js';
import { iou } from '../../engine/detect/nms.js';
import type { FaceAnalyzer } from '../../engine/analyzer.js';
import type { Face, FaceQuality } from '../../engine/face.js';
import { faceSize } from '../../engine/quality.js';
import type { Box, RgbImage } from '../../engine/types.js';
import { voteWeight, type Vote } from './identity-vote.js';
import { FaceFollower } from './face-follower.js';
import { SceneCutDetector } from './scene-cut.js';
import { FaceTracker, type Track, type TrackerOptions } from './tracker.js';
import type { EventsRepository } from '../../gallery/events-repository.js';
import type { FaceService } from '../faces/face-service.js';
import { CALIBRATIONS, normalise, qualityPenalty, type SecurityLevel } from '../recognize/decision.js';
import type { Identification, Recognizer } from '../recognize/recognizer.js';
import type { Scheduler, WorkOptions } from '../scheduler.js';
import { scheduledStages, type FrameStages } from './frame-stages.js';

export interface TrackingOptions extends Partial<TrackerOptions> {
  /** Recognise every track again after this long, s. */
  recognizeEveryS?: number;
  /** Security level of every recognition (decision.ts); default: the recognizer's. */
  level?: SecurityLevel;
  /** Run the detector at least every this many frames, following faces between (face-follower.ts). */
  detectEvery?: number;
}

export const DEFAULT_RECOGNIZE_EVERY_S = 0.5;

export interface VideoRecognizerDeps {
  analyzer: FaceAnalyzer;
  recognizer: Recognizer;
  scheduler: Scheduler;
  /** How the model stages run (a live source's batched ones); default: each its own scheduler unit. */
  stages?: FrameStages;
}

/** What the video features (files, streams, jobs, cameras) use of the rest of the service. */
export interface VideoDeps {
  faces: FaceService;
  recognizer: Recognizer;
  events: EventsRepository;
  scheduler: Scheduler;
}

export function recognizerDeps(deps: VideoDeps): VideoRecognizerDeps {
  return { analyzer: deps.faces.analyzer, recognizer: deps.recognizer, scheduler: deps.scheduler };
}

/** A face whose box side grew by this factor since its last recognition is recognised again. */
const GROWTH_FOR_RECOGNITION = 1.25;
/** On a frame analysed anyway, a face this much better than its track's best view is recognised again. */
const BETTER_VIEW_FACTOR = 1.25;
/**
 * Within a shot, a recognised face farther than this many thresholds from its track's best view is
 * another person (the boxes followed the wrong face): it starts a new track. Generous, because one
 * person's profile and frontal views differ by more than the threshold (up to 0.08 for Lin-Manuel Miranda
 * in hamilton_clip.mp4 against dlib-resnet's 0.07). Across a shot change a track continues only when the
 * face is within the threshold itself: there, box overlap is no evidence at all.
 */
const SWITCH_FACTOR = 2;
/** A due track not found on an analysed frame is tried again after this long, s. */
const RETRY_AFTER_S = 0.2;
/** Detections the landmark stage rejected (not faces) are not re-examined for this long, s. */
const REJECT_MEMORY_S = 1;

/** An identification, with the calibrated rule's fields when the recognizer reports them. */
type Identified = Identification & { evidence?: number | null; evidenceThreshold?: number | null };

export interface FrameOutcome {
  /** The faces of this frame (boxes in frame pixels) with their tracks. */
  faces: { track: Track; box: Box }[];
  /** Tracks that ended on this frame (gone too long, or split off at an identity change). */
  ended: Track[];
}

export class VideoRecognizer {
  readonly tracker: FaceTracker;
  private readonly cuts = new SceneCutDetector();
  private readonly follower: FaceFollower;
  private readonly recognizeEveryS: number;
  private readonly level: SecurityLevel | undefined;
  private rejected: { box: Box; untilS: number }[] = [];
  private readonly stages: FrameStages;

  constructor(
    private readonly deps: VideoRecognizerDeps,
    options: TrackingOptions = {},
    /** The scheduler lane of this video's frames (`kind: 'job'`). */
    work: WorkOptions = {},
  ) {
    this.tracker = new FaceTracker(options);
    this.follower = new FaceFollower(options.detectEvery);
    this.recognizeEveryS = options.recognizeEveryS ?? DEFAULT_RECOGNIZE_EVERY_S;
    this.level = options.level;
    this.stages = deps.stages ?? scheduledStages(deps.analyzer, deps.scheduler, work);
  }

  /** One frame: detects, tracks and recognises, each model stage in its turn in the scheduler. */
  async push(image: RgbImage, timeS: number, frame: number): Promise<FrameOutcome> {
    const ended = this.tracker.expire(timeS);
    this.follower.forget(ended);
    this.rejected = this.rejected.filter((r) => r.untilS > timeS);
    const cut = this.cuts.isCut(image);
    if (cut) for (const t of this.tracker.active) t.needsCheck = true;
    const due = this.tracker.active.filter((t) => this.due(t, timeS));

    const followed = this.follower.follow(image, timeS, cut || due.length > 0);
    if (followed) {
      for (const { track, box } of followed) track.see({ box, timeS, frame });
      return { faces: followed, ended };
    }
    const out = await this.detect(image, timeS, frame, due, ended);
    this.follower.forget(out.ended);
    for (const missed of this.follower.detected(image, timeS, out.faces)) {
      missed.track.see({ box: missed.box, timeS, frame });
      out.faces.push(missed);
    }
    return out;
  }

  /** A frame that runs the detector (and the landmark stage and embeddings when needed). */
  private async detect(
    image: RgbImage,
    timeS: number,
    frame: number,
    due: readonly Track[],
    ended: Track[],
  ): Promise<FrameOutcome> {
    // The landmark stage only on frames that need it.
    const candidates = await this.stages.candidates(image);
    const analyse = (): Promise<Face[]> => this.stages.describe(image, candidates);
    let faces: Face[] | null = due.length > 0 ? await analyse() : null;
    let boxes = faces ? faces.map((f) => f.box) : candidates.map((d) => d.box);
    let owners = this.tracker.associate(boxes);
    if (!faces) {
      const newcomers = boxes.filter(
        (b, i) => !owners[i] && !this.rejected.some((r) => iou(r.box, b) >= 0.5),
      );
      if (newcomers.length > 0) {
        // Someone new (or a false detection): the landmark stage decides, and a new face is recognised now.
        faces = await analyse();
        for (const c of newcomers) {
          if (!faces.some((f) => iou(f.box, c) >= 0.3))
            this.rejected.push({ box: c, untilS: timeS + REJECT_MEMORY_S });
        }
        boxes = faces.map((f) => f.box);
        owners = this.tracker.associate(boxes);
      }
    }

    const toRecognize: number[] = [];
    const out: FrameOutcome = { faces: [], ended };
    boxes.forEach((box, i) => {
      const owner = owners[i];
      if (faces && (!owner || this.worthRecognizing(owner, faces[i]!, timeS))) toRecognize.push(i);
      else if (owner) {
        owner.see({ box, timeS, frame });
        out.faces.push({ track: owner, box });
      }
    });
    if (faces && toRecognize.length > 0)
      await this.recognize(image, faces, owners, toRecognize, { timeS, frame }, out);
    // A due track whose face the landmark stage did not confirm (turned away, occluded) waits a little
    // before the next try, rather than having every frame analysed until it is recognised or ends.
    for (const t of due) if (t.lastRecognitionS !== timeS) t.retryAfterS = timeS + RETRY_AFTER_S;
    return out;
  }

  /** Ends every track (end of input). */
  finish(): Track[] {
    return this.tracker.endAll();
  }

  /** Whether a track needs a recognition on this frame, judged before the frame is analysed. */
  private due(t: Track, timeS: number): boolean {
    if (timeS < t.retryAfterS) return false;
    return (
      t.needsCheck ||
      timeS - t.lastRecognitionS >= this.interval(t) ||
      faceSize(t.box) >= GROWTH_FOR_RECOGNITION * t.sizeAtRecognition
    );
  }

  /**
   * How often a track is recognised: every `recognizeEveryS`, twice as often while a name is pending (one
   * person leads its vote without the agreeing recognitions to be named, identity-vote.ts), so a face
   * that is on screen for a short shot gathers them: Lin-Manuel Miranda's first shot in hamilton_clip.mp4
   * lasts 0.64 s, two recognitions at 0.5 s, three at 0.25 s.
   */
  private interval(t: Track): number {
    return t.votes.verdict()?.pending ? this.recognizeEveryS / 2 : this.recognizeEveryS;
  }

  /** On a frame that is analysed anyway, recognition costs only the embedding: take more views. */
  private worthRecognizing(t: Track, face: Face, timeS: number): boolean {
    if (this.due(t, timeS) || timeS - t.lastRecognitionS >= this.recognizeEveryS / 2) return true;
    return !!t.best && voteWeight(face.quality!) >= BETTER_VIEW_FACTOR * t.best.weight;
  }

  private async recognize(
    image: RgbImage,
    faces: Face[],
    owners: (Track | null)[],
    which: number[],
    at: { timeS: number; frame: number },
    out: FrameOutcome,
  ): Promise<void> {
    const embedded = await this.stages.embed(
      image,
      which.map((i) => faces[i]!.keypoints),
    );
    const threshold = this.deps.recognizer.threshold;
    // Tracks with a face on this frame (or started on it) cannot take another face.
    const owned = new Set(owners.filter((t) => t !== null));
    which.forEach((i, k) => {
      const face = faces[i]!;
      const embedding = embedded[k]!.embedding;
      const sighting = { box: face.box, ...at };
      let track = owners[i] ?? this.relink(embedding, owned);
      const limit = track?.needsCheck ? threshold : SWITCH_FACTOR * threshold;
      if (track?.best && cosineDistance(embedding, track.best.embedding) > limit) {
        out.ended.push(this.tracker.end(track));
        track = null;
      }
      if (track) track.see(sighting);
      else track = this.tracker.start(sighting);
      owned.add(track);
      const id = this.identify(embedding, face.quality!);
      recordLook(track, face, embedding, { ...id, lead: this.lead(id, face.quality!) }, at);
      track.lastRecognitionS = at.timeS;
      track.sizeAtRecognition = faceSize(face.box);
      track.needsCheck = false;
      out.faces.push({ track, box: face.box });
    });
  }

  /** The recognizer's answer for this face, judged with its quality and the requested level. */
  private identify(embedding: Float32Array, quality: FaceQuality): Identified {
    const recognizer = this.deps.recognizer;
    // The recognizer takes the face's context once it applies the calibrated rule (decision.ts); until
    // then the extra argument is ignored.
    const identify = recognizer.identify.bind(recognizer) as (
      embedding: Float32Array,
      context?: { quality?: FaceQuality; level?: SecurityLevel },
    ) => Identified;
    return identify(embedding, { quality, ...(this.level ? { level: this.level } : {}) });
  }

  /**
   * How far a recognition passed (> 0) or missed its threshold, in z units: the recognizer's own evidence
   * and threshold when it reports them; otherwise its distance on the model's z scale (decision.ts'
   * impostor statistics), less the size penalty the calibrated rule would add for this face. Null for
   * an unknown answer or a model without a calibration.
   */
  private lead(id: Identified, quality: FaceQuality): number | null {
    if (id.personId === null) return null;
    if (typeof id.evidence === 'number' && typeof id.evidenceThreshold === 'number')
      return id.evidence - id.evidenceThreshold;
    const modelId = this.deps.recognizer.modelId;
    const calibration = CALIBRATIONS[modelId];
    const norm = calibration?.models[modelId];
    if (!calibration || !norm || id.distance === null) return null;
    const z = (distance: number): number => normalise(1 - distance, norm);
    return z(id.distance) - z(id.threshold) - qualityPenalty(quality, calibration.quality);
  }

  /**
   * A live track without a face on this frame whose best view is the same person as this new face (within the
   * recognizer's threshold): the face came back after a miss, a cut or a jump the boxes could not follow.
   */
  private relink(embedding: Float32Array, owned: ReadonlySet<Track>): Track | null {
    return sameFaceTrack(this.tracker.active, embedding, owned, this.deps.recognizer.threshold);
  }
}

/**
 * One recognised look of a track's face: its vote for the track's name (identity-vote.ts) and its offer
 * as the track's best view. Files, live sources and the browser's camera (live-view.ts) record looks alike.
 */
export function recordLook(
  track: Track,
  face: Face,
  embedding: Float32Array,
  id: Pick<Vote, 'personId' | 'name' | 'score' | 'distance' | 'sampleId' | 'lead'>,
  at: { timeS: number; frame: number },
): void {
  const quality = face.quality!;
  const weight = voteWeight(quality);
  track.votes.add({
    personId: id.personId,
    name: id.name,
    score: id.score,
    distance: id.distance,
    sampleId: id.sampleId,
    weight,
    size: quality.size,
    timeS: at.timeS,
    frame: at.frame,
    lead: id.lead,
  });
  track.offer({
    weight,
    box: face.box,
    timeS: at.timeS,
    frame: at.frame,
    quality,
    crop: face.crop,
    embedding,
  });
}

/**
 * Of the tracks not `owned` (by a face of this frame), the one whose best view is nearest `embedding`,
 * within `threshold`: the same person come back after a miss, a cut or a jump the boxes could not follow.
 */
export function sameFaceTrack(
  tracks: readonly Track[],
  embedding: Float32Array,
  owned: ReadonlySet<Track>,
  threshold: number,
): Track | null {
  let best: { track: Track; distance: number } | null = null;
  for (const t of tracks) {
    if (owned.has(t) || !t.best) continue;
    const distance = cosineDistance(embedding, t.best.embedding);
    if (distance <= threshold && (!best || distance < best.distance)) best = { track: t, distance };
  }
  return best?.track ?? null;
}
