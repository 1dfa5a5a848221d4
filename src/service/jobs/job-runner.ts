// A job runner: claims queued jobs of the kinds it serves from the queue (job-queue.ts), runs each with its
// kind's handler, and keeps the lease while it works. `visage worker` is one runner; each `visage serve`
// node runs one too unless told not to (--no-jobs), so a single node works as it always did.
//
// Every POLL_MS a runner with a free slot of a kind claims one job of it, and at once when a job is queued
// in its own process. While a job runs, every RENEW_MS its lease is renewed with the latest progress (so
// progress is visible from any node within a second), and the answer says whether the job was cancelled
// or taken over: either aborts the handler's signal. A handler ends with an outcome; one that throws fails
// the job with the error's code (an unexpected error as `internal_error`). A runner that stops (close)
// aborts its jobs and gives them back to the queue, for another runner, or itself after a restart, to go
// on with; a runner that dies gives them back by letting the lease run out (JOB_LEASE_TTL_MS).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { isVisageError } from '../../errors.js';
import { isFinished, type JobError, type JobKind, type JobQueue, type JobRecord } from './job-queue.js';

/** How often an idle slot looks for a job: the wait a job queued by another process sees before it starts. */
export const POLL_MS = 500;
/** How often a running job's lease is renewed and its progress stored. */
export const RENEW_MS = 1_000;

/** Why a job's signal was aborted. */
export type StopReason = 'cancelled' | 'lease_lost' | 'shutdown';

export interface JobContext<P = unknown, G = unknown> {
  job: JobRecord<P, G>;
  /** A folder of this attempt's own, on this machine, removed when the attempt ends. */
  dir: string;
  /** Aborted when the job is cancelled, taken over by another runner, or this runner stops (see `stopped`). */
  signal: AbortSignal;
  /** Why `signal` was aborted, or null. */
  stopped(): StopReason | null;
  /** The latest progress; stored with the next lease renewal. */
  progress(progress: G): void;
  /** Stores the job's effects exactly once (JobQueue.commit). */
  commit<T>(effects: () => T): T;
  /** The names of the job's files. */
  fileNames(): string[];
  /** Writes one of the job's files to `dest`; false when it has none of that name. */
  readFile(name: string, dest: string): boolean;
  /** Stores a file with the job (the annotated copy). */
  storeFile(name: string, file: string): void;
}

export interface JobOutcome {
  state: 'done' | 'failed' | 'cancelled';
  result?: unknown;
  error?: JobError;
}

export type JobHandler = (context: JobContext<never, never>) => Promise<JobOutcome>;

export interface KindOptions {
  handler: JobHandler;
  /** Jobs of this kind run at once by this runner. */
  concurrency: number;
}

export interface JobRunnerOptions {
  /** This runner's name in the leases. Default host:pid:random. */
  node?: string;
  /** Where attempts get their folders (one per job, removed after it). */
  scratchDir: string;
  pollMs?: number;
  renewMs?: number;
  /** Told of every job that ends here, and of failed rounds (logged by the server and the worker). */
  onJob?: (job: JobRecord, outcome: JobOutcome | 'released') => void;
  onError?: (e: unknown) => void;
}

interface Running {
  kind: JobKind;
  done: Promise<void>;
  stop: (reason: StopReason) => void;
}

export class JobRunner {
  readonly node: string;
  private readonly running = new Map<string, Running>();
  private readonly timer: NodeJS.Timeout;
  private readonly unsubscribe: () => void;
  private closing = false;

  constructor(
    private readonly queue: JobQueue,
    private readonly kinds: Partial<Record<JobKind, KindOptions>>,
    private readonly options: JobRunnerOptions,
  ) {
    this.node = options.node ?? `${os.hostname()}:${process.pid}:${crypto.randomBytes(3).toString('hex')}`;
    this.removeStaleFolders();
    // Not unref'd: the runner is what keeps `visage worker` alive; close() stops it.
    this.timer = setInterval(() => this.round(), options.pollMs ?? POLL_MS);
    // A job queued in this process starts now, after the caller's own work (setImmediate), not at the next poll.
    this.unsubscribe = queue.onEnqueued((kind) => {
      if (this.kinds[kind]) setImmediate(() => this.round());
    });
    this.round();
  }

  /** The kinds this runner serves. */
  get served(): JobKind[] {
    return Object.keys(this.kinds) as JobKind[];
  }

  /** Jobs running here now. */
  get busy(): number {
    return this.running.size;
  }

  /** Stops claiming, aborts the jobs running here and gives them back to the queue; waits for them. */
  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.timer);
    this.unsubscribe();
    for (const r of this.running.values()) r.stop('shutdown');
    await Promise.all([...this.running.values()].map((r) => r.done));
  }

  private round(): void {
    if (this.closing) return;
    for (const [kind, options] of Object.entries(this.kinds) as [JobKind, KindOptions][]) {
      let free = options.concurrency - [...this.running.values()].filter((r) => r.kind === kind).length;
      while (free-- > 0) {
        let job: JobRecord | undefined;
        try {
          job = this.queue.claim(this.node, kind);
        } catch (e) {
          this.options.onError?.(e);
          return;
        }
        if (!job) break;
        this.start(job, options.handler);
      }
    }
  }

  private start(job: JobRecord, handler: JobHandler): void {
    const abort = new AbortController();
    let reason: StopReason | null = null;
    const stop = (why: StopReason): void => {
      reason ??= why;
      abort.abort();
    };
    // Stopped for a shutdown or a takeover, the job goes on elsewhere: nothing of it is stored from here,
    // and unless it finished, it is given back (shutdown) or left to its new runner (takeover).
    const movedOn = (): boolean => reason === 'shutdown' || reason === 'lease_lost';
    let latest: unknown;
    const renew = setInterval(() => {
      try {
        const { held, cancel } = this.queue.renew(job.id, this.node, latest);
        if (!held) stop('lease_lost');
        else if (cancel) stop('cancelled');
      } catch (e) {
        // A failed renewal (the store briefly away) is retried next round; the TTL covers several.
        this.options.onError?.(e);
      }
    }, this.options.renewMs ?? RENEW_MS);
    const dir = path.join(this.options.scratchDir, job.id);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    const context: JobContext = {
      job,
      dir,
      signal: abort.signal,
      stopped: () => reason,
      progress: (p) => (latest = p),
      commit: (effects) => {
        if (movedOn()) throw new JobStoppedError(reason!);
        return this.queue.commit(job.id, this.node, effects);
      },
      fileNames: () => this.queue.fileNames(job.id),
      readFile: (name, dest) => this.queue.readFile(job.id, name, dest),
      storeFile: (name, file) => this.queue.storeFile(job.id, { name, path: file }),
    };
    if (job.cancelRequested) stop('cancelled');
    const done = (async () => {
      let outcome: JobOutcome | 'released';
      try {
        outcome = await handler(context as JobContext<never, never>);
      } catch (e) {
        outcome = movedOn() ? 'released' : failure(e);
      } finally {
        clearInterval(renew);
        fs.rmSync(dir, { recursive: true, force: true });
      }
      if (movedOn() && outcome !== 'released' && outcome.state !== 'done') outcome = 'released';
      try {
        if (outcome === 'released') {
          if (reason === 'shutdown') this.queue.release(job.id, this.node);
        } else {
          if (latest !== undefined) this.queue.renew(job.id, this.node, latest);
          this.queue.finish(job.id, this.node, outcome);
        }
      } catch (e) {
        this.options.onError?.(e);
      }
      this.options.onJob?.(job, outcome);
    })().finally(() => {
      this.running.delete(job.id);
      // A slot came free: the next job starts now rather than at the next poll.
      this.round();
    });
    this.running.set(job.id, { kind: job.kind, done, stop });
  }

  /** Folders of attempts that ended with their process (a crash); a running job's folder stays. */
  private removeStaleFolders(): void {
    let entries: string[];
    try {
      entries = fs.readdirSync(this.options.scratchDir);
    } catch {
      return;
    }
    for (const id of entries) {
      const job = this.queue.get(id);
      if (!job || isFinished(job.state) || job.state === 'queued')
        fs.rmSync(path.join(this.options.scratchDir, id), { recursive: true, force: true });
    }
  }
}

/** Thrown by `commit` once the job is to run elsewhere: the handler unwinds, nothing is stored. */
class JobStoppedError extends Error {
  constructor(readonly reason: StopReason) {
    super(`the job stopped here (${reason})`);
  }
}

function failure(e: unknown): JobOutcome {
  if (isVisageError(e)) return { state: 'failed', error: { code: e.code, message: e.message } };
  process.emitWarning(e instanceof Error ? e : String(e));
  return {
    state: 'failed',
    error: {
      code: 'internal_error',
      message: 'This job failed unexpectedly; see the log of the node that ran it.',
    },
  };
}
