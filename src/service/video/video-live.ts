// Live sources — RTSP/HTTP/MJPEG streams and V4L2 cameras — watched until stopped. Frames are taken as
// they come (the reader drops what recognition cannot keep up with), names are announced once a track's
// verdict stands, and each track is stored as an event when it ends. A lost stream is reopened with
// exponential backoff; every state change is reported, so a caller (CLI, HTTP API) can show it. Each
// model stage of an analysed frame is one unit of the scheduler in the source's lane (`camera:<name>`
// unless told), shared with the other live sources that want the same stage at the same time
// (frame-stages.ts), at ordinary priority: a camera is watched unattended and drops the frames it cannot
// keep up with, so it takes its turn like any other owner instead of going ahead of photo requests.
import { VisageError, isVisageError } from '../../errors.js';
import { FrameReader } from '../../media/frame-reader.js';
import { openSource, type VideoSource } from '../../media/source.js';
import type { Track } from './tracker.js';
import type { FrameBatcher } from './frame-stages.js';
import { recognizerDeps, VideoRecognizer, type TrackingOptions, type VideoDeps } from './video-recognizer.js';
import { snapshotJpeg, trackEvent, trackJson, type TrackJson } from './video-results.js';

export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'stopped' | 'failed';

export interface LiveStateChange {
  state: LiveState;
  camera: string;
  /** Reconnection attempt (1 for the first retry), when reconnecting. */
  attempt?: number;
  /** Wait before the attempt, ms. */
  retryInMs?: number;
  /** Why the stream was lost, or why watching failed. */
  reason?: string;
  /** Frame size, once live. */
  width?: number;
  height?: number;
}

export type LiveEvent =
  /** A track's name was decided (or changed): someone is being seen now. */
  | { type: 'recognition'; camera: string; time: string; track: TrackJson }
  /** A track ended (the face left, or the stream was lost) and was stored. */
  | { type: 'track_end'; camera: string; time: string; track: TrackJson };

export interface LiveSourceOptions extends TrackingOptions {
  /** Camera name, shown and stored as the events' source; default: the URL or device. */
  name?: string;
  /** Frames analysed per second at most; default: as the source sends them. */
  fps?: number;
  maxSide?: number;
  /** No frame for this long counts as a lost stream (an unreachable one, before the first frame), ms. */
  stallTimeoutMs?: number;
  retry?: { initialDelayMs?: number; maxDelayMs?: number; maxAttempts?: number };
  /**
   * Give up when the very first connection fails (default): a mistyped URL should fail now, not retry
   * forever. A stream lost after it was live is always retried.
   */
  failFast?: boolean;
  /** Store each track as an event (default true). */
  storeEvents?: boolean;
  /** The scheduler lane of this source's frames; default `camera:<name>`. */
  lane?: string;
  /**
   * Share model runs with the other live sources watched at the same time (frame-stages.ts; default
   * true). Off, each frame's stages run alone, as a video file's do.
   */
  batching?: boolean;
}

/** What a live source uses: the video features' dependencies, and the batcher its frames may share. */
export interface LiveDeps extends VideoDeps {
  batcher?: FrameBatcher;
}

export interface LiveHandlers {
  onEvent?: (event: LiveEvent) => void;
  onState?: (change: LiveStateChange) => void;
}

/**
 * An unknown face is announced after this many looks (a named one as soon as its name has the evidence,
 * identity-vote.ts), and not while a name is pending: one poor view is not a verdict.
 */
const UNKNOWN_AFTER_VOTES = 2;
const LIVE_QUEUE_SIZE = 2;
const DEFAULT_RETRY = { initialDelayMs: 1000, maxDelayMs: 30_000, maxAttempts: Infinity };
/**
 * Failures no reconnection can mend, so watching stops at once, in state `failed` with the reason (also
 * for a camera that keeps retrying otherwise): the camera address policy refused the URL or a connection
 * it led to (only an admin changing the allowlist, then starting it again, changes that), the URL or the
 * allowlist is malformed, ffmpeg cannot run. Anything else — unreachable, refused, stalled, ended, not a
 * stream (a camera answers 404 or 503 while it boots) — is retried with backoff.
 */
const PERMANENT_FAILURES: ReadonlySet<string> = new Set([
  'camera_address_refused',
  'invalid_source',
  'invalid_option',
  'ffmpeg_missing',
]);

/**
 * Stores an ended track of a live source as its event, dated when the face was first seen (`startedAt`:
 * when watching began, ms since the epoch). The event's id.
 */
export async function storeLiveTrack(
  deps: VideoDeps,
  track: Track,
  row: TrackJson,
  source: string,
  startedAt: number,
): Promise<number> {
  const firstSeen = startedAt + track.firstS * 1000;
  const id = deps.events.add(
    trackEvent(row, track, await snapshotJpeg(track), source, deps.recognizer.modelId, firstSeen),
  ).id;
  return id;
}

export class LiveSource {
  readonly camera: string;
  state: LiveState = 'stopped';
  /** Frames recognised over all connections (and `framesDropped`, those recognition could not take). */
  framesAnalysed = 0;
  private droppedBefore = 0;
  private readonly source: VideoSource;
  private readonly retry: typeof DEFAULT_RETRY;
  private reader: FrameReader | null = null;
  private stopRequested = false;
  private wakeSleep: (() => void) | null = null;
  private startedAt = 0;
  private readonly announced = new Map<Track, number | null>();
  /** One for all connections, so track ids stay unique while watching (tracks end with a connection). */
  private readonly recognizer: VideoRecognizer;
  private readonly batcher: FrameBatcher | null;

  constructor(
    private readonly deps: LiveDeps,
    source: string,
    private readonly options: LiveSourceOptions = {},
    private readonly handlers: LiveHandlers = {},
  ) {
    this.source = openSource(source);
    this.camera = options.name ?? source;
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    const lane = options.lane ?? `camera:${this.camera}`;
    this.batcher = (options.batching ?? true) ? (deps.batcher ?? null) : null;
    this.recognizer = new VideoRecognizer(
      { ...recognizerDeps(deps), ...(this.batcher ? { stages: this.batcher.stagesFor(lane) } : {}) },
      options,
      { lane },
    );
  }

  /** Watches until stop() (resolves) or until the source is given up on (rejects with a VisageError). */
  async run(): Promise<void> {
    this.startedAt = Date.now();
    let attempt = 0;
    let everLive = false;
    while (!this.stopRequested) {
      this.setState({ state: 'connecting', camera: this.camera, ...(attempt > 0 ? { attempt } : {}) });
      const { wasLive, error } = await this.watchOnce();
      everLive ||= wasLive;
      if (this.stopRequested) break;
      if (wasLive) attempt = 0;
      attempt++;
      const permanent = PERMANENT_FAILURES.has(error.code);
      if (permanent || (!everLive && (this.options.failFast ?? true)) || attempt > this.retry.maxAttempts) {
        this.setState({ state: 'failed', camera: this.camera, reason: error.message });
        throw everLive && !permanent
          ? new VisageError(
              'source_lost',
              `${this.camera}: gave up after ${attempt - 1} reconnection attempts (${error.message})`,
              { source: this.source.name },
            )
          : error;
      }
      const retryInMs = Math.min(this.retry.maxDelayMs, this.retry.initialDelayMs * 2 ** (attempt - 1));
      this.setState({
        state: 'reconnecting',
        camera: this.camera,
        attempt,
        retryInMs,
        reason: error.message,
      });
      await this.sleep(retryInMs);
    }
    this.setState({ state: 'stopped', camera: this.camera });
  }

  /** Frames dropped so far because recognition was busy, over all connections (this one included). */
  get framesDropped(): number {
    return this.droppedBefore + (this.reader?.dropped ?? 0);
  }

  stop(): void {
    this.stopRequested = true;
    this.reader?.close();
    this.wakeSleep?.();
  }

  /** One connection: frames until the stream ends, fails or is stopped; its tracks end with it. */
  private async watchOnce(): Promise<{ wasLive: boolean; error: VisageError }> {
    const recognizer = this.recognizer;
    this.reader = new FrameReader(this.source, {
      fps: this.options.fps,
      maxSide: this.options.maxSide,
      queueSize: LIVE_QUEUE_SIZE,
      stallTimeoutMs: this.options.stallTimeoutMs,
    });
    let wasLive = false;
    let error = new VisageError('source_ended', `${this.camera}: the stream ended`, {
      source: this.source.name,
    });
    // Counted among the batcher's sources while frames come, so the others wait for its requests.
    let leave = (): void => {};
    try {
      for await (const frame of this.reader) {
        if (!wasLive) {
          wasLive = true;
          if (this.batcher) leave = this.batcher.join();
          this.setState({
            state: 'live',
            camera: this.camera,
            width: frame.image.width,
            height: frame.image.height,
          });
        }
        const outcome = await recognizer.push(
          frame.image,
          (frame.receivedAt - this.startedAt) / 1000,
          frame.index,
        );
        // Recognition keeps copies (crops, patches) only: the frame's buffer takes a next frame.
        this.reader.recycle(frame.image);
        this.framesAnalysed++;
        await this.endTracks(outcome.ended);
        for (const { track } of outcome.faces) this.announce(track);
      }
    } catch (e) {
      if (!isVisageError(e)) throw e;
      error = e;
    } finally {
      leave();
      this.droppedBefore += this.reader.dropped;
      this.reader = null;
      await this.endTracks(recognizer.finish());
    }
    return { wasLive, error };
  }

  /** Announces a track when its verdict first stands, and again if it changes. */
  private announce(track: Track): void {
    const verdict = track.votes.verdict();
    if (!verdict) return;
    if (verdict.personId === null && (verdict.votes < UNKNOWN_AFTER_VOTES || verdict.pending)) return;
    if (this.announced.has(track) && this.announced.get(track) === verdict.personId) return;
    this.announced.set(track, verdict.personId);
    this.handlers.onEvent?.({
      type: 'recognition',
      camera: this.camera,
      time: new Date().toISOString(),
      track: trackJson(track, 1),
    });
  }

  private async endTracks(tracks: Track[]): Promise<void> {
    for (const track of tracks) {
      this.announced.delete(track);
      const row = trackJson(track, 1);
      if (this.options.storeEvents ?? true)
        row.eventId = await storeLiveTrack(this.deps, track, row, this.camera, this.startedAt);
      this.handlers.onEvent?.({
        type: 'track_end',
        camera: this.camera,
        time: new Date().toISOString(),
        track: row,
      });
    }
  }

  private setState(change: LiveStateChange): void {
    this.state = change.state;
    this.handlers.onState?.(change);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeSleep = done;
    });
  }
}
