// Video uploads processed in the background: recognise the faces (one event per track) and write an
// annotated copy. Several jobs run at once — their ffmpeg decoding in parallel, their model work
// interleaved frame by frame in the scheduler, each job its own lane — so a second user's video starts
// while the first is still running; beyond `concurrency` jobs wait to start, and beyond `maxQueued`
// waiting jobs an upload is refused with `busy`. Each job runs within limits (duration, frames, wall time)
// that fail it with a clear code while keeping the tracks found. Jobs live in memory with their files
// under <dataDir>/videos/<id>/; the oldest finished jobs are forgotten (files removed) beyond a fixed
// number, and the folder is emptied at start, since the jobs of an earlier run are unknown to this one.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isVisageError, VisageError } from '../../errors.js';
import { DEFAULT_SECURITY_LEVEL, type SecurityLevel } from '../recognize/decision.js';
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

interface Job {
  view: JobView;
  dir: string;
  input: string;
  annotated: string;
  listeners: Set<(view: JobView) => void>;
}

/** Finished jobs kept (with their annotated video) before the oldest is removed. */
const KEEP_FINISHED = 20;

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
/** Jobs running at once: each holds an ffmpeg decoder and a few decoded frames (~3 MB each at 720p). */
export const DEFAULT_VIDEO_CONCURRENCY = 4;
/** Jobs waiting to start before uploads are refused with `busy`. */
export const DEFAULT_VIDEO_QUEUE = 16;

export interface JobOptions {
  /** Security level of the job's recognitions (default balanced, as for photos). */
  level?: SecurityLevel;
}

export interface VideoJobsOptions {
  limits?: Partial<VideoLimits>;
  concurrency?: number;
  maxQueued?: number;
}

export class VideoJobs {
  private readonly jobs = new Map<string, Job>();
  private readonly waiting: Job[] = [];
  private readonly running = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private readonly limits: VideoLimits;
  private readonly concurrency: number;
  private readonly maxQueued: number;

  constructor(
    private readonly video: VideoService,
    private readonly root: string,
    private readonly urlOf: (id: string) => string,
    options: VideoJobsOptions = {},
  ) {
    this.limits = { ...DEFAULT_VIDEO_LIMITS, ...options.limits };
    this.concurrency = Math.max(1, options.concurrency ?? DEFAULT_VIDEO_CONCURRENCY);
    this.maxQueued = options.maxQueued ?? DEFAULT_VIDEO_QUEUE;
    fs.rmSync(root, { recursive: true, force: true });
  }

  /**
   * A folder for a new job's upload; the caller writes `input` there, then calls `start`. `busy` when
   * too many jobs wait already (before the upload is stored).
   */
  prepare(filename: string): { id: string; input: string } {
    if (this.waiting.length >= this.maxQueued) {
      throw new VisageError(
        'busy',
        `${this.waiting.length} videos are waiting to be processed already; try again in a minute.`,
        { queued: this.waiting.length, retryAfterS: 60 },
      );
    }
    const id = randomUUID();
    const dir = path.join(this.root, id);
    fs.mkdirSync(dir, { recursive: true });
    // The client's name is kept for display only; on disk the file is `input` plus its extension.
    const ext = (path
      .extname(filename)
      .toLowerCase()
      .match(/^\.[a-z0-9]{1,5}$/) ?? [''])[0];
    return { id, input: path.join(dir, `input${ext}`) };
  }

  start(id: string, input: string, filename: string, options: JobOptions = {}): JobView {
    const dir = path.dirname(input);
    const job: Job = {
      view: {
        id,
        file: filename,
        level: options.level ?? DEFAULT_SECURITY_LEVEL,
        state: 'queued',
        progress: { phase: 'recognize', frames: 0, totalFrames: null, fps: 0 },
      },
      dir,
      input,
      annotated: path.join(dir, 'annotated.mp4'),
      listeners: new Set(),
    };
    this.jobs.set(id, job);
    this.waiting.push(job);
    this.pump();
    return job.view;
  }

  discard(id: string): void {
    fs.rmSync(path.join(this.root, id), { recursive: true, force: true });
  }

  get(id: string): JobView | undefined {
    return this.jobs.get(id)?.view;
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

  /**
   * An uploaded video, streamed to the job's folder (never whole in memory), then queued. `file` is the
   * upload's stream; it is `truncated` when it went over the upload limit. Errors: `busy`,
   * `file_too_large`, `empty_file`.
   */
  async submit(
    file: Readable & { truncated?: boolean },
    filename: string,
    limitBytes: number,
    options: JobOptions = {},
  ): Promise<JobView> {
    const { id, input } = this.prepare(filename);
    try {
      await pipeline(file, fs.createWriteStream(input));
      if (file.truncated) {
        throw new VisageError(
          'file_too_large',
          `${filename} is larger than the ${limitBytes / (1024 * 1024)} MB limit for videos.`,
          { file: filename, limitBytes },
        );
      }
      if (fs.statSync(input).size === 0)
        throw new VisageError('empty_file', `${filename} is empty (0 bytes).`, { file: filename });
    } catch (e) {
      this.discard(id);
      throw e;
    }
    return this.start(id, input, filename, options);
  }

  annotatedFile(id: string): string | undefined {
    const job = this.jobs.get(id);
    return job?.view.result?.annotatedUrl ? job.annotated : undefined;
  }

  /** The annotated copy of a job to download; `video_not_found`, or `not_ready` until it exists. */
  annotated(id: string): { file: string; size: number; downloadName: string } {
    const view = this.require(id);
    const file = this.annotatedFile(id);
    if (!file)
      throw new VisageError(
        'not_ready',
        `Video job ${view.id} is ${view.state}; the annotated copy exists once it is done.`,
        { state: view.state },
      );
    const base = view.file.replace(/\.[^.]*$/, '').replace(/[^\p{L}\p{N}._-]+/gu, '_') || 'video';
    return { file, size: fs.statSync(file).size, downloadName: `${base}-annotated.mp4` };
  }

  /** Calls `listener` on every change until the job finishes; returns the unsubscribe function. */
  subscribe(id: string, listener: (view: JobView) => void): () => void {
    const job = this.jobs.get(id);
    if (!job) return () => {};
    job.listeners.add(listener);
    return () => job.listeners.delete(listener);
  }

  /** Stops the running jobs at their next frame, fails the waiting ones, and waits (shutdown). */
  async close(): Promise<void> {
    this.abort.abort();
    for (const job of this.waiting.splice(0)) {
      fs.rmSync(job.input, { force: true });
      this.finish(job, {
        state: 'failed',
        error: { code: 'shutting_down', message: 'The server stopped before this video was processed.' },
      });
    }
    await Promise.all(this.running);
  }

  private pump(): void {
    while (this.running.size < this.concurrency && this.waiting.length > 0) {
      const job = this.waiting.shift()!;
      const run: Promise<void> = this.run(job).finally(() => {
        this.running.delete(run);
        this.pump();
      });
      this.running.add(run);
    }
  }

  private async run(job: Job): Promise<void> {
    job.view.state = 'running';
    this.notify(job);
    const t0 = performance.now();
    let lastNotice = 0;
    try {
      const result = await this.video.process(
        job.input,
        // Events name the upload, not this server's temporary copy of it.
        {
          annotate: job.annotated,
          name: job.view.file,
          lane: `video:${job.view.id}`,
          limits: this.limits,
          level: job.view.level,
        },
        (p) => {
          const now = performance.now();
          job.view.progress = {
            phase: p.phase,
            frames: p.frame,
            totalFrames: p.totalFrames,
            fps: Number(((p.frame * 1000) / Math.max(1, now - t0)).toFixed(1)),
          };
          // A few updates a second are plenty for a progress bar.
          if (now - lastNotice > 250) {
            lastNotice = now;
            this.notify(job);
          }
        },
        this.abort.signal,
      );
      this.finish(job, { state: 'done', result: this.resultView(job, result) });
    } catch (e) {
      const error = isVisageError(e)
        ? { code: e.code, message: e.message.replaceAll(job.input, job.view.file) }
        : {
            code: 'internal_error',
            message: 'Processing this video failed unexpectedly; see the server log.',
          };
      // A limit keeps what was found: the tracks so far (stored as events) and their annotated copy.
      const partial = e instanceof VideoLimitError && e.partial ? this.resultView(job, e.partial) : undefined;
      this.finish(job, { state: 'failed', error, ...(partial ? { result: partial } : {}) });
      if (!isVisageError(e)) process.emitWarning(e instanceof Error ? e : String(e));
    } finally {
      fs.rmSync(job.input, { force: true });
    }
  }

  /** `file` and `annotated` are paths on this server: the client sees its file name and a URL instead. */
  private resultView(job: Job, result: VideoResult): NonNullable<JobView['result']> {
    const { annotated, ...rest } = result;
    return { ...rest, file: job.view.file, annotatedUrl: annotated ? this.urlOf(job.view.id) : null };
  }

  private finish(job: Job, outcome: Partial<JobView>): void {
    Object.assign(job.view, outcome);
    this.notify(job);
    job.listeners.clear();
    const finished = [...this.jobs.values()].filter(
      (j) => j.view.state === 'done' || j.view.state === 'failed',
    );
    for (const old of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) {
      this.jobs.delete(old.view.id);
      fs.rmSync(old.dir, { recursive: true, force: true });
    }
  }

  private notify(job: Job): void {
    for (const listener of job.listeners) listener(job.view);
  }
}
