// Video uploads processed in the background, one at a time: recognise the faces (one event per track) and
// write an annotated copy. Jobs live in memory with their files under <dataDir>/videos/<id>/; the oldest
// finished jobs are forgotten (files removed) beyond a fixed number, and the folder is emptied at start,
// since the jobs of an earlier run are unknown to this one.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { isVisageError } from '../../errors.js';
import { processVideo, type VideoResult } from './video.js';
import type { Visage } from '../visage.js';

export type JobState = 'queued' | 'running' | 'done' | 'failed';

export interface JobView {
  id: string;
  file: string;
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

export class VideoJobs {
  private readonly jobs = new Map<string, Job>();
  private chain: Promise<void> = Promise.resolve();
  private readonly abort = new AbortController();

  constructor(
    private readonly visage: Visage,
    private readonly root: string,
    private readonly urlOf: (id: string) => string,
  ) {
    fs.rmSync(root, { recursive: true, force: true });
  }

  /** A folder for a new job's upload; the caller writes `input` there, then calls `start`. */
  prepare(filename: string): { id: string; input: string } {
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

  start(id: string, input: string, filename: string): JobView {
    const dir = path.dirname(input);
    const job: Job = {
      view: {
        id,
        file: filename,
        state: 'queued',
        progress: { phase: 'recognize', frames: 0, totalFrames: null, fps: 0 },
      },
      dir,
      input,
      annotated: path.join(dir, 'annotated.mp4'),
      listeners: new Set(),
    };
    this.jobs.set(id, job);
    this.chain = this.chain.then(() => this.run(job));
    return job.view;
  }

  discard(id: string): void {
    fs.rmSync(path.join(this.root, id), { recursive: true, force: true });
  }

  get(id: string): JobView | undefined {
    return this.jobs.get(id)?.view;
  }

  annotatedFile(id: string): string | undefined {
    const job = this.jobs.get(id);
    return job?.view.result?.annotatedUrl ? job.annotated : undefined;
  }

  /** Calls `listener` on every change until the job finishes; returns the unsubscribe function. */
  subscribe(id: string, listener: (view: JobView) => void): () => void {
    const job = this.jobs.get(id);
    if (!job) return () => {};
    job.listeners.add(listener);
    return () => job.listeners.delete(listener);
  }

  /** Stops the running job at its next frame and waits for the queue to settle (shutdown). */
  async close(): Promise<void> {
    this.abort.abort();
    await this.chain;
  }

  private async run(job: Job): Promise<void> {
    if (this.abort.signal.aborted)
      return this.finish(job, {
        state: 'failed',
        error: { code: 'shutting_down', message: 'The server stopped before this video was processed.' },
      });
    job.view.state = 'running';
    this.notify(job);
    const t0 = performance.now();
    let lastNotice = 0;
    try {
      const result = await processVideo(
        this.visage,
        job.input,
        // Events name the upload, not this server's temporary copy of it.
        { annotate: job.annotated, name: job.view.file },
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
      // `file` and `annotated` are paths on this server: the client sees its file name and a URL instead.
      const { annotated, ...rest } = result;
      this.finish(job, {
        state: 'done',
        result: { ...rest, file: job.view.file, annotatedUrl: annotated ? this.urlOf(job.view.id) : null },
      });
    } catch (e) {
      if (!isVisageError(e)) throw e;
      this.finish(job, {
        state: 'failed',
        error: { code: e.code, message: e.message.replaceAll(job.input, job.view.file) },
      });
    } finally {
      fs.rmSync(job.input, { force: true });
    }
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
