// Video files through the face engine: probe, decode, track and recognise, store one event per track,
// and optionally write an annotated copy. Shared by the CLI (`visage video`) and the HTTP API (video jobs,
// video-jobs.ts); live cameras and streams are in video-live.ts. `VideoService` is the feature's entrance
// (`visage.video`). Every analysed frame is one unit of the scheduler in the video's lane, so a long video
// shares the models with photo requests and other videos frame by frame; limits (duration, frames, wall
// time) stop a run with a clear code and keep the tracks found so far.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Box } from '../../engine/types.js';
import { VisageError } from '../../errors.js';
import { KNOWN_COLOR, UNKNOWN_COLOR } from '../../media/annotate.js';
import { FrameAnnotator } from '../../media/frame-annotator.js';
import { FrameReader } from '../../media/frame-reader.js';
import { probeMedia, unreadable, type MediaInfo } from '../../media/probe.js';
import { openSource, type VideoSource } from '../../media/source.js';
import type { Track } from './tracker.js';
import { checkOutputPath, VideoWriter } from '../../media/video-writer.js';
import { round } from '../json.js';
import { recognizerDeps, VideoRecognizer, type TrackingOptions, type VideoDeps } from './video-recognizer.js';
import { scaledBox, snapshotJpeg, trackEvent, trackJson, type TrackJson } from './video-results.js';
import { LiveSource, type LiveHandlers, type LiveSourceOptions } from './video-live.js';
import { LiveView, type LiveViewDeps, type LiveViewOptions } from './live-view.js';
import type { LiveMessage } from '../../api/index.js';
import type { WorkOptions } from '../scheduler.js';
import { FrameBatcher } from './frame-stages.js';

export {
  LiveSource,
  type LiveEvent,
  type LiveSourceOptions,
  type LiveState,
  type LiveStateChange,
} from './video-live.js';
export type { TrackJson } from './video-results.js';
/** Media limits the CLI shows in its help: how long a stream may stall, which files can be annotated. */
export { DEFAULT_STALL_TIMEOUT_MS } from '../../media/frame-reader.js';
export { ANNOTATED_EXTENSIONS } from '../../media/video-writer.js';
export type { VideoDeps } from './video-recognizer.js';

/** The video feature's verbs, bound to their dependencies once (Visage builds it as `visage.video`). */
export class VideoService {
  /** The live sources' shared model runs (frame-stages.ts); `batcher.stats` counts them. */
  readonly batcher: FrameBatcher;

  constructor(private readonly deps: VideoDeps & Partial<Pick<LiveViewDeps, 'photos'>>) {
    this.batcher = new FrameBatcher(deps.faces.analyzer, deps.scheduler);
  }

  /** A video file (or image sequence, or URL serving a file): see processVideo. */
  process(
    source: string,
    options: VideoOptions = {},
    onProgress?: (p: VideoProgress) => void,
    signal?: AbortSignal,
  ): Promise<VideoResult> {
    return processVideo(this.deps, source, options, onProgress, signal);
  }

  /** The browser's camera: frames in, answers out, one event per track (live-view.ts). */
  liveView(answer: (message: LiveMessage) => void, work: WorkOptions, options: LiveViewOptions): LiveView {
    const { photos } = this.deps;
    if (!photos) throw new Error('VideoService needs photos for a live view');
    return new LiveView({ ...this.deps, photos }, answer, work, options);
  }

  /** A live source to watch until stopped (`run()`): see LiveSource. */
  watch(source: string, options: LiveSourceOptions = {}, handlers: LiveHandlers = {}): LiveSource {
    return new LiveSource({ ...this.deps, batcher: this.batcher }, source, options, handlers);
  }
}

/**
 * Limits of one run. Each stops it with its own code — `video_too_long`, `video_too_many_frames`,
 * `job_time_limit` — after storing the tracks found so far (VideoLimitError carries that partial result).
 * None apply unless given (the CLI processes what it is asked to); the server's video jobs set defaults.
 */
export interface VideoLimits {
  /** Longest video, s: refused at once when its probed duration is longer, else stopped there. */
  maxDurationS: number;
  /** Most frames analysed. */
  maxFrames: number;
  /** Longest a run may take, s (recognition and annotation). */
  maxWallS: number;
}

/** A run stopped by one of its limits: `partial` has the tracks found (and stored) before it stopped. */
export class VideoLimitError extends VisageError {
  constructor(
    code: 'video_too_long' | 'video_too_many_frames' | 'job_time_limit',
    message: string,
    details: Record<string, unknown>,
    readonly partial: VideoResult | null,
  ) {
    super(code, message, details);
  }
}

/** Frames are decoded no larger than this (longer side): the detector sees 256 px, landmarks 192 px. */
export const DEFAULT_MAX_SIDE = 1280;

export interface VideoOptions extends TrackingOptions {
  /** Frames analysed per second (at most the video's own rate); default: every frame. */
  fps?: number;
  maxSide?: number;
  /** Frame rate of an image sequence. */
  sequenceFps?: number;
  /** Store each track as a recognition event (default true). */
  storeEvents?: boolean;
  /** Write a copy with boxes, track ids and names to this file (.mp4, .mov, .mkv). */
  annotate?: string;
  /** Write each track's best view as a JPEG into this folder. */
  snapshotsDir?: string;
  /** Include every frame's faces in the result. */
  perFrame?: boolean;
  /**
   * The video's name in the result and in stored events (default: `source` as given); e.g. an upload's
   * original file name when `source` is a temporary copy.
   */
  name?: string;
  /** The scheduler lane of this video's frames (e.g. `video:<job id>`); default: the shared one. */
  lane?: string;
  limits?: Partial<VideoLimits>;
  /**
   * Wraps the storing of the events, e.g. a job's, which stores them in one transaction with its own
   * record so that they are stored once however often the job is run (jobs/job-queue.ts).
   */
  commit?: <T>(store: () => T) => T;
  /**
   * The event ids an earlier run of the same job stored (what its commit returned): the tracks get them,
   * in order, and nothing is stored again. The same video gives the same tracks; should their number
   * differ, the tracks go without ids rather than with another track's.
   */
  storedEventIds?: readonly number[];
}

export interface FrameFaces {
  index: number;
  timeS: number;
  faces: { track: number; box: Box }[];
}

export interface VideoResult {
  file: string;
  durationS: number | null;
  /** The video's own frame rate. */
  fps: number;
  /** Frames per second that were analysed. */
  analysisFps: number;
  width: number;
  height: number;
  /** Frames analysed. */
  frames: number;
  tracks: TrackJson[];
  /** True when the run was stopped before the end (the tracks found so far are kept). */
  stopped: boolean;
  annotated?: string;
  perFrame?: FrameFaces[];
}

export interface VideoProgress {
  phase: 'recognize' | 'annotate';
  frame: number;
  /** Frames expected in all, when the duration is known. */
  totalFrames: number | null;
  timeS: number;
  tracks: number;
}

/** Decoded-frame coverage below which a file counts as truncated (ffmpeg decodes what it can and exits 0). */
const MIN_COVERAGE = 0.9;

/**
 * Recognises the faces of a video file (or image sequence, or a URL serving a file). Throws a
 * VisageError for unreadable input, before anything is stored. Aborting `signal` stops at the next frame
 * and returns what was found, marked `stopped`.
 */
export async function processVideo(
  deps: VideoDeps,
  source: string,
  options: VideoOptions = {},
  onProgress?: (p: VideoProgress) => void,
  signal?: AbortSignal,
): Promise<VideoResult> {
  if (options.fps !== undefined && !(options.fps > 0))
    throw new VisageError('invalid_option', `fps must be positive, got ${options.fps}`);
  if (options.annotate) checkOutputPath(options.annotate);
  const opened = openSource(source, { sequenceFps: options.sequenceFps });
  if (opened.kind === 'device')
    throw new VisageError('live_source', `${source} is a camera: watch it as a live source`, { source });
  // A URL given here is read like a file: paused while recognition is busy, never dropping frames.
  const src: VideoSource = { ...opened, live: false };
  const info = await probe(src);
  if (src.kind === 'file' && isPicture(info))
    throw new VisageError(
      'not_a_video',
      `${options.name ?? source} is a picture (${info.videoCodec}), not a video: recognise photos as photos`,
      { file: options.name ?? source, codec: info.videoCodec },
    );
  const analysisFps = Math.min(options.fps ?? info.fps, info.fps);
  const firstS = Math.floor(info.startS * analysisFps + 1e-6) / analysisFps;
  const span = info.videoDurationS ?? (info.durationS === null ? null : info.durationS - info.startS);
  const totalFrames = span === null ? null : Math.max(1, Math.round(span * analysisFps));
  const decode = { fps: analysisFps, maxSide: options.maxSide ?? DEFAULT_MAX_SIDE };
  const limits: VideoLimits = {
    maxDurationS: Infinity,
    maxFrames: Infinity,
    maxWallS: Infinity,
    ...options.limits,
  };
  const name = options.name ?? source;
  if (span !== null && span > limits.maxDurationS) throw tooLong(name, span, limits.maxDurationS, null);

  // Two stops: `stopReading` ends recognition (the caller's signal, or any limit); `stopAll` also ends
  // the annotation pass (the caller's signal, or the wall-time limit): the frames analysed before a frame
  // or duration limit are still drawn. A limit then fails the run, after the tracks are kept.
  const stopReading = new AbortController();
  const stopAll = new AbortController();
  stopAll.signal.addEventListener('abort', () => stopReading.abort(), { once: true });
  let limitHit: ((partial: VideoResult) => VideoLimitError) | null = null;
  const limit = (hit: (partial: VideoResult) => VideoLimitError, all = false): void => {
    limitHit ??= hit;
    (all ? stopAll : stopReading).abort();
  };
  const wallTimer = Number.isFinite(limits.maxWallS)
    ? setTimeout(
        () =>
          limit(
            (partial) =>
              new VideoLimitError(
                'job_time_limit',
                `${name}: stopped after the time limit of ${limits.maxWallS} s; the tracks found in the first ${partial.frames} frames are kept.`,
                { file: name, maxWallS: limits.maxWallS, frames: partial.frames },
                partial,
              ),
            true,
          ),
        limits.maxWallS * 1000,
      )
    : null;
  const onAbort = (): void => stopAll.abort();
  if (signal?.aborted) stopAll.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await run();
  } finally {
    if (wallTimer) clearTimeout(wallTimer);
    signal?.removeEventListener('abort', onAbort);
  }

  async function run(): Promise<VideoResult> {
    const runSignal = stopReading.signal;
    const recognizer = new VideoRecognizer(recognizerDeps(deps), options, { lane: options.lane });
    const reader = new FrameReader(src, decode);
    const stop = (): void => reader.close();
    runSignal.addEventListener('abort', stop, { once: true });
    const ended: Track[] = [];
    const log: FrameFaces[] = [];
    let frames = 0;
    let frameWidth = 0;
    try {
      for await (const frame of reader) {
        const timeS = firstS + frame.index / analysisFps;
        if (frames >= limits.maxFrames) {
          limit(
            (partial) =>
              new VideoLimitError(
                'video_too_many_frames',
                `${name}: stopped at the limit of ${limits.maxFrames} analysed frames; the tracks found so far are kept.`,
                { file: name, maxFrames: limits.maxFrames, frames: partial.frames },
                partial,
              ),
          );
          break;
        }
        if (timeS - firstS >= limits.maxDurationS) {
          limit((partial) => tooLong(name, null, limits.maxDurationS, partial));
          break;
        }
        frameWidth = frame.image.width;
        const outcome = await recognizer.push(frame.image, timeS, frame.index);
        for (const t of outcome.ended) await snapshotJpeg(t);
        ended.push(...outcome.ended);
        if (options.annotate || options.perFrame)
          log.push({
            index: frame.index,
            timeS,
            faces: outcome.faces.map((f) => ({ track: f.track.id, box: f.box })),
          });
        frames++;
        onProgress?.({
          phase: 'recognize',
          frame: frames,
          totalFrames,
          timeS,
          tracks: recognizer.tracker.active.length + ended.length,
        });
        if (runSignal.aborted) break;
      }
    } finally {
      runSignal.removeEventListener('abort', stop);
    }
    const stopped = runSignal.aborted;
    if (frames === 0 && !stopped) throw unreadable(source, reader.complaints ?? 'no frame could be decoded');
    if (
      !stopped &&
      totalFrames !== null &&
      frames < MIN_COVERAGE * totalFrames &&
      totalFrames - frames > analysisFps
    ) {
      const reached = round(firstS + frames / analysisFps, 2);
      throw unreadable(
        source,
        `decoding stopped at ${reached} s of ${round(info.startS + (span ?? 0), 2)} s${reader.complaints ? `: ${reader.complaints}` : ''}`,
      );
    }
    ended.push(...recognizer.finish());
    ended.sort((a, b) => a.id - b.id);

    const scale = frameWidth ? info.width / frameWidth : 1;
    const tracks = ended.map((t) => trackJson(t, scale));
    // The annotated copy comes before storing: if it cannot be written, the run fails as a whole.
    const annotated = options.annotate && log.length > 0 ? options.annotate : undefined;
    if (annotated) {
      const names = new Map(tracks.map((t) => [t.id, t]));
      await writeAnnotated(
        src,
        info,
        decode,
        firstS,
        log,
        names,
        annotated,
        stopped,
        onProgress,
        stopAll.signal,
      );
    }
    await keepTracks(deps, name, ended, tracks, options);
    const result: VideoResult = {
      file: name,
      durationS: info.durationS === null ? null : round(info.durationS, 3),
      fps: round(info.fps, 3),
      analysisFps: round(analysisFps, 3),
      width: info.width,
      height: info.height,
      frames,
      tracks,
      stopped: runSignal.aborted,
      ...(annotated ? { annotated } : {}),
    };
    if (options.perFrame)
      result.perFrame = log.map((f) => ({
        index: f.index,
        timeS: round(f.timeS, 3),
        faces: f.faces.map((x) => ({ track: x.track, box: scaledBox(x.box, scale) })),
      }));
    if (limitHit) throw (limitHit as (partial: VideoResult) => VideoLimitError)(result);
    return result;
  }
}

function tooLong(
  name: string,
  durationS: number | null,
  maxDurationS: number,
  partial: VideoResult | null,
): VideoLimitError {
  return new VideoLimitError(
    'video_too_long',
    durationS !== null
      ? `${name} is ${round(durationS, 1)} s long; the limit is ${maxDurationS} s.`
      : `${name}: stopped at the limit of ${maxDurationS} s of video; the tracks found so far are kept.`,
    { file: name, maxDurationS, ...(durationS !== null ? { durationS: round(durationS, 3) } : {}) },
    partial,
  );
}

/** Still-image codecs: a file of one such frame is a photo, which ffmpeg would read as a 1-frame video. */
const PICTURE_CODECS = new Set(['mjpeg', 'png', 'webp', 'bmp', 'tiff', 'ppm', 'pgm', 'jpeg2000', 'jpegls']);

/** A single picture: a still-image codec with no frame count and at most one frame's duration. */
function isPicture(info: MediaInfo): boolean {
  const oneFrame = (info.durationS ?? 0) <= 1.5 / info.fps;
  return PICTURE_CODECS.has(info.videoCodec) && (info.frames ?? 1) <= 1 && oneFrame;
}

async function probe(src: VideoSource): Promise<MediaInfo> {
  try {
    return await probeMedia(src);
  } catch (e) {
    if (src.kind === 'stream' && e instanceof VisageError && e.code === 'unreadable_video') {
      throw new VisageError(
        'source_unreachable',
        `${src.name} cannot be opened (${String(e.details.reason)}).`,
        { source: src.name },
      );
    }
    throw e;
  }
}

/** Writes the snapshots asked for and stores the events (all of one video in one transaction). */
async function keepTracks(
  deps: VideoDeps,
  source: string,
  tracks: Track[],
  rows: TrackJson[],
  options: VideoOptions,
): Promise<void> {
  const snapshots = await Promise.all(tracks.map((t) => snapshotJpeg(t)));
  if (options.snapshotsDir) {
    await fs.mkdir(options.snapshotsDir, { recursive: true });
    const base =
      path
        .basename(source)
        .replace(/\.[^.]+$/, '')
        .replace(/[^\p{L}\p{N}._-]+/gu, '_') || 'video';
    for (const [i, jpeg] of snapshots.entries()) {
      if (!jpeg) continue;
      const file = path.join(options.snapshotsDir, `${base}-track-${rows[i]!.id}.jpg`);
      await fs.writeFile(file, jpeg);
      rows[i]!.snapshot = file;
    }
  }
  if (options.storedEventIds) {
    const ids = options.storedEventIds;
    if (ids.length === rows.length) ids.forEach((id, i) => (rows[i]!.eventId = id));
  } else if (options.storeEvents ?? true) {
    const modelId = deps.recognizer.modelId;
    const store = (): number[] =>
      deps.events.addMany(rows.map((row, i) => trackEvent(row, tracks[i]!, snapshots[i]!, source, modelId)));
    const ids = options.commit ? options.commit(store) : store();
    ids.forEach((id, i) => (rows[i]!.eventId = id));
  }
}

/**
 * The second pass: the same frames decoded again with each face's box, track id and final name drawn
 * on, so a track carries its decided name from its first frame (no flicker while votes come in).
 */
async function writeAnnotated(
  src: VideoSource,
  info: MediaInfo,
  decode: { fps: number; maxSide: number },
  firstS: number,
  log: FrameFaces[],
  tracks: Map<number, TrackJson>,
  output: string,
  stopped: boolean,
  onProgress?: (p: VideoProgress) => void,
  signal?: AbortSignal,
): Promise<void> {
  const reader = new FrameReader(src, decode);
  const annotator = new FrameAnnotator();
  let writer: VideoWriter | null = null;
  try {
    for await (const frame of reader) {
      const entry = log[frame.index];
      if (!entry) break;
      writer ??= await VideoWriter.open({
        output,
        width: frame.image.width,
        height: frame.image.height,
        fps: decode.fps,
        startS: firstS,
        audioFrom:
          info.audioCodec && src.kind === 'file' ? { file: src.name, codec: info.audioCodec } : undefined,
        endS: stopped ? firstS + log.length / decode.fps : undefined,
      });
      await annotator.draw(
        frame.image,
        entry.faces.map((f) => {
          const t = tracks.get(f.track);
          return {
            box: f.box,
            text: `#${f.track} ${t?.name ?? 'unknown'}`,
            color: t?.name ? KNOWN_COLOR : UNKNOWN_COLOR,
          };
        }),
      );
      await writer.write(frame.image);
      onProgress?.({
        phase: 'annotate',
        frame: frame.index + 1,
        totalFrames: log.length,
        timeS: entry.timeS,
        tracks: tracks.size,
      });
      if (signal?.aborted) break;
    }
  } finally {
    reader.close();
  }
  if (!writer) throw new VisageError('encode_failed', `no frames to write to ${output}`, { file: output });
  await writer.finish();
}
