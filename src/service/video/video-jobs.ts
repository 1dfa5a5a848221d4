// Video uploads processed in the background: recognise the faces (one event per track) and write an
// annotated copy. Each upload is a job in the store's queue (jobs/job-queue.ts), run by whichever runner
// claims it — this node's, another node's or a `visage worker` — and read from any node. A runner runs
// several video jobs at once — their ffmpeg decoding in parallel, their model work interleaved frame by
// frame in its scheduler, each job its own lane — so a second user's video starts while the first is
// still running; beyond `maxQueued` waiting jobs an upload is refused with `busy`. Each job runs within
// limits (duration, frames, wall time) that fail it with a clear code while keeping the tracks found.
// Its events are stored with the job's commit, so a job run again after its runner died stores them once.
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomUUID } from 'node:crypto';
import { isVisageError, VisageError } from '../../errors.js';
import { DEFAULT_SECURITY_LEVEL, type SecurityLevel } from '../recognize/decision.js';
import type { JobQueue, JobRecord } from '../jobs/job-queue.js';
import type { JobContext, JobOutcome } from '../jobs/job-runner.js';
import { VideoLimitError, type VideoLimits, type VideoResult, type VideoService } from './video.js';

export type JobState = 'queued' | 'running' | 'done' | 'failed';

export interface JobView {
  id: string;
  file: string;
  /** The security level every recognition of this job is judged at. */
  level: SecurityLevel;
  state: JobState;
  progress: { phase: 'recognize' | 'annotate'; frames: number; totalFrames: number | null; fps: number };
  result?: Omit<VideoResult, 'annotated' | 'file'> & { file: string; annotatedUrl: string | null };
  error?: { code: string; message: string };
}

/** What a video job keeps in the queue. */
interface VideoParams {
  file: string;
  level: SecurityLevel;
  /** The upload's extension (`.mp4`), so ffmpeg sees the same name kind as the client sent. */
  ext: string;
}
/** `file` is the upload's name (the job's events carry it too). */
type StoredResult = Omit<VideoResult, 'annotated'> & { annotated: boolean };
type Progress = JobView['progress'];

const INPUT = 'input';
const ANNOTATED = 'annotated.mp4';
/** How often a subscriber's job is read again: the store is the one place every node's jobs are. */
const WATCH_MS = 250;

/**
 * Limits of one video job, so one upload cannot hold a share of the models for hours:
 * - 10 minutes of video: the upload limit (1 GB) holds a few minutes of phone video, and at the measured
 *   73–104 analysed frames/s (MODELS.md) ten minutes at 30 fps take 3–4 minutes alone;
 * - 36 000 analysed frames: ten minutes at 60 fps, so the duration limit normally comes first; this one
 *   stops high-frame-rate files (240 fps slow motion), whose every frame would be analysed;
 * - 30 minutes of wall time: several times what a ten-minute video needs even while sharing the models
 *   with the other jobs; a job still running then (crowds in every frame) gives the models back.
 */
export const DEFAULT_VIDEO_LIMITS: VideoLimits = { maxDurationS: 600, maxFrames: 36_000, maxWallS: 1800 };
/** Jobs a runner runs at once: each holds an ffmpeg decoder and a few decoded frames (~3 MB each at 720p). */
export const DEFAULT_VIDEO_CONCURRENCY = 4;
/** Jobs waiting to start before uploads are refused with `busy`. */
export const DEFAULT_VIDEO_QUEUE = 16;

export interface JobOptions {
  /** Security level of the job's recognitions (default balanced, as for photos). */
  level?: SecurityLevel;
}

/** How a node runs and accepts video jobs (`visage serve`; tests set small limits). */
export interface VideoJobsOptions {
  limits?: Partial<VideoLimits>;
  /** Jobs run at once by this node's runner. */
  concurrency?: number;
  maxQueued?: number;
}

export class VideoJobs {
  private readonly watchers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly queue: JobQueue,
    /** Where an upload is streamed before it goes into the store (never whole in memory). */
    private readonly uploadDir: string,
    private readonly urlOf: (id: string) => string,
    private readonly maxQueued = DEFAULT_VIDEO_QUEUE,
  ) {}

  /**
   * An uploaded video, streamed to a file here, then queued with it. `file` is the upload's stream; it is
   * `truncated` when it went over the upload limit. Errors: `busy`, `file_too_large`, `empty_file`.
   */
  async submit(
    file: Readable & { truncated?: boolean },
    filename: string,
    limitBytes: number,
    options: JobOptions = {},
  ): Promise<JobView> {
    const queued = this.queue.queued('video');
    if (queued >= this.maxQueued) {
      file.resume();
      throw new VisageError(
        'busy',
        `${queued} videos are waiting to be processed already; try again in a minute.`,
        { queued, retryAfterS: 60 },
      );
    }
    // The client's name is kept for display only; the file is `input` plus its extension.
    const ext = (path
      .extname(filename)
      .toLowerCase()
      .match(/^\.[a-z0-9]{1,5}$/) ?? [''])[0];
    fs.mkdirSync(this.uploadDir, { recursive: true });
    const upload = path.join(this.uploadDir, `${randomUUID()}${ext}`);
    try {
      await pipeline(file, fs.createWriteStream(upload));
      if (file.truncated) {
        throw new VisageError(
          'file_too_large',
          `${filename} is larger than the ${limitBytes / (1024 * 1024)} MB limit for videos.`,
          { file: filename, limitBytes },
        );
      }
      if (fs.statSync(upload).size === 0)
        throw new VisageError('empty_file', `${filename} is empty (0 bytes).`, { file: filename });
      const params: VideoParams = { file: filename, level: options.level ?? DEFAULT_SECURITY_LEVEL, ext };
      return this.view(this.queue.enqueue('video', params, { files: [{ name: INPUT, path: upload }] }));
    } finally {
      fs.rmSync(upload, { force: true });
    }
  }

  get(id: string): JobView | undefined {
    const job = this.queue.get(id);
    return job?.kind === 'video' ? this.view(job) : undefined;
  }

  /** A job's view; `video_not_found` when unknown (or forgotten). */
  require(id: string): JobView {
    const view = this.get(id);
    if (!view)
      throw new VisageError(
        'video_not_found',
        `No video job ${id} (finished jobs are kept for a while only).`,
        { id },
      );
    return view;
  }

  /** The annotated copy of a job to download; `video_not_found`, or `not_ready` until it exists. */
  annotated(id: string): { stream: Readable; size: number; downloadName: string } {
    const view = this.require(id);
    const size = view.result?.annotatedUrl ? this.queue.fileSize(id, ANNOTATED) : null;
    if (size === null)
      throw new VisageError(
        'not_ready',
        `Video job ${view.id} is ${view.state}; the annotated copy exists once it is done.`,
        { state: view.state },
      );
    const base = view.file.replace(/\.[^.]*$/, '').replace(/[^\p{L}\p{N}._-]+/gu, '_') || 'video';
    return { stream: this.queue.streamFile(id, ANNOTATED), size, downloadName: `${base}-annotated.mp4` };
  }

  /**
   * Calls `listener` on every change until the job finishes, wherever it runs (the job is read from the
   * store every WATCH_MS); returns the unsubscribe function.
   */
  subscribe(id: string, listener: (view: JobView) => void): () => void {
    let last = this.queue.get(id)?.updatedAt;
    const timer = setInterval(() => {
      const job = this.queue.get(id);
      if (!job || job.updatedAt === last) return;
      last = job.updatedAt;
      const view = this.view(job);
      listener(view);
      if (view.state === 'done' || view.state === 'failed') unsubscribe();
    }, WATCH_MS);
    this.watchers.add(timer);
    const unsubscribe = (): void => {
      clearInterval(timer);
      this.watchers.delete(timer);
    };
    return unsubscribe;
  }

  /** Stops every subscription (server shutdown); the jobs themselves belong to their runners. */
  close(): void {
    for (const timer of this.watchers) clearInterval(timer);
    this.watchers.clear();
  }

  private view(job: JobRecord): JobView {
    const params = job.params as VideoParams;
    const stored = job.result as StoredResult | null;
    const view: JobView = {
      id: job.id,
      file: params.file,
      level: params.level,
      // A video job's states are those of the first API; a cancelled one is failed, with job_cancelled.
      state: job.state === 'cancelled' ? 'failed' : job.state,
      progress: (job.progress as Progress | null) ?? {
        phase: 'recognize',
        frames: 0,
        totalFrames: null,
        fps: 0,
      },
    };
    if (stored) {
      const { annotated, ...rest } = stored;
      view.result = { ...rest, annotatedUrl: annotated ? this.urlOf(job.id) : null };
    }
    if (job.error) view.error = job.error;
    return view;
  }
}

/** Runs video jobs claimed by a runner (job-runner.ts): recognise, annotate, store the annotated copy. */
export function videoJobHandler(video: VideoService, limits: Partial<VideoLimits> = {}) {
  const jobLimits = { ...DEFAULT_VIDEO_LIMITS, ...limits };
  return async (context: JobContext<VideoParams, Progress>): Promise<JobOutcome> => {
    const { job } = context;
    const input = path.join(context.dir, `${INPUT}${job.params.ext}`);
    if (!context.readFile(INPUT, input))
      throw new VisageError('upload_missing', `The upload of video job ${job.id} is no longer stored.`);
    const annotatedFile = path.join(context.dir, ANNOTATED);
    const t0 = performance.now();
    const stored = (result: VideoResult): StoredResult => {
      const { annotated, ...rest } = result;
      if (annotated) context.storeFile(ANNOTATED, annotated);
      return { ...rest, annotated: Boolean(annotated) };
    };
    try {
      const result = await video.process(
        input,
        {
          annotate: annotatedFile,
          // Events name the upload, not the runner's temporary copy of it.
          name: job.params.file,
          lane: `video:${job.id}`,
          limits: jobLimits,
          level: job.params.level,
          // Run again after the events were stored (the runner died before it finished): not again, and
          // the tracks get the ids stored then.
          ...(job.committed ? { storedEventIds: storedIds(job.committedEffects) } : {}),
          commit: context.commit,
        },
        (p) => {
          context.progress({
            phase: p.phase,
            frames: p.frame,
            totalFrames: p.totalFrames,
            fps: Number(((p.frame * 1000) / Math.max(1, performance.now() - t0)).toFixed(1)),
          });
        },
        context.signal,
      );
      // Cancelled part-way, recognition stops as for Ctrl-C and returns what it found: kept, but the job
      // did not see its whole video, so it is not done.
      if (context.stopped() === 'cancelled') {
        return {
          state: 'cancelled',
          error: { code: 'job_cancelled', message: `Cancelled after ${result.frames} analysed frames.` },
          result: stored(result),
        };
      }
      return { state: 'done', result: stored(result) };
    } catch (e) {
      // A limit keeps what was found: the tracks so far (stored as events) and their annotated copy.
      if (!(e instanceof VideoLimitError) || context.stopped()) throw rename(e, input, job.params.file);
      return {
        state: 'failed',
        error: { code: e.code, message: e.message.replaceAll(input, job.params.file) },
        ...(e.partial ? { result: stored(e.partial) } : {}),
      };
    }
  };
}

/** The event ids a video job's commit returned; none for one committed before they were kept. */
function storedIds(effects: unknown): number[] {
  return Array.isArray(effects) && effects.every((id) => Number.isInteger(id)) ? effects : [];
}

/** The error with the runner's copy's path replaced by the upload's name. */
function rename(e: unknown, input: string, file: string): unknown {
  return isVisageError(e) ? new VisageError(e.code, e.message.replaceAll(input, file), e.details) : e;
}
