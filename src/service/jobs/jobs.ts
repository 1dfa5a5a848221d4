// Background jobs as a feature: the queue in the store (job-queue.ts), the video and import jobs the API
// submits to it, reindex and re-clustering queued from the CLI, and `work`, which runs them in this
// process (job-runner.ts): `visage worker` does only that, and `visage serve` does it beside serving
// unless started with --no-jobs.
//
// Which kinds a runner takes (DEFAULT_SERVE_KINDS): a serve node takes video, import and recluster jobs,
// whose model work goes through the scheduler a unit at a time, interleaved with requests; not reindex,
// which holds the models for its whole run (Enrollment.reindex is one unit), so that a node serving
// photos does not go silent for minutes. A worker takes every kind.
import path from 'node:path';
import type * as api from '../../api/index.js';
import { iso } from '../json.js';
import type { ChangeContext } from '../../gallery/gallery.js';
import type { Enrollment } from '../enroll/index.js';
import { importJobHandler, ImportJobs } from '../enroll/import-jobs.js';
import type { ReindexReport } from '../enroll/reindex.js';
import type { UnknownFaces } from '../unknowns/unknowns.js';
import type { VideoLimits, VideoService } from '../video/video.js';
import {
  DEFAULT_VIDEO_CONCURRENCY,
  DEFAULT_VIDEO_QUEUE,
  videoJobHandler,
  VideoJobs,
} from '../video/video-jobs.js';
import { isFinished, JOB_KINDS, type JobKind, type JobQueue, type JobRecord } from './job-queue.js';
import { JobRunner, type JobContext, type JobOutcome, type JobRunnerOptions } from './job-runner.js';

export const DEFAULT_SERVE_KINDS: readonly JobKind[] = ['video', 'import', 'recluster'];
/** A waiting caller reads the job this often: its runner stores progress every second (job-runner.ts). */
const WAIT_POLL_MS = 250;

export interface JobsDeps {
  queue: JobQueue;
  /** This machine's data directory: uploads pass through it, attempts get folders under it. */
  dataDir: string;
  video: VideoService;
  enrollment: Enrollment;
  unknowns: UnknownFaces;
}

export interface WorkOptions extends Pick<
  JobRunnerOptions,
  'node' | 'onJob' | 'onError' | 'pollMs' | 'renewMs'
> {
  /** The kinds this runner takes; default all of them. */
  kinds?: readonly JobKind[];
  /** Each video job's limits (video-jobs.ts DEFAULT_VIDEO_LIMITS). */
  videoLimits?: Partial<VideoLimits>;
  /** Video jobs run at once here. */
  videoConcurrency?: number;
}

/** Progress of a reindex job. */
interface ReindexProgress {
  samples: number;
  totalSamples: number;
}

export interface ReindexJobParams extends ChangeContext {
  model?: string;
  all?: boolean;
}

export class Jobs {
  readonly queue: JobQueue;

  constructor(private readonly deps: JobsDeps) {
    this.queue = deps.queue;
  }

  /** Video uploads as jobs; `urlOf` is where a job's annotated copy is downloaded (the API's path). */
  videos(urlOf: (id: string) => string, maxQueued = DEFAULT_VIDEO_QUEUE): VideoJobs {
    return new VideoJobs(this.queue, path.join(this.deps.dataDir, 'uploads'), urlOf, maxQueued);
  }

  imports(): ImportJobs {
    return new ImportJobs(this.queue);
  }

  /** Newest first. */
  list(options: { kind?: JobKind; limit?: number } = {}): JobRecord[] {
    return this.queue.list(options);
  }

  /** `job_not_found` when unknown. */
  get(id: string): JobRecord {
    return this.queue.require(id);
  }

  cancel(id: string): JobRecord {
    return this.queue.cancel(id);
  }

  /**
   * Waits until the job ends (on whichever runner), telling `onUpdate` of each change of its state or
   * progress; returns it ended. Reads the store every `pollMs`, as any node shows a job.
   */
  async wait(
    id: string,
    onUpdate: (job: JobRecord) => void = () => {},
    pollMs = WAIT_POLL_MS,
  ): Promise<JobRecord> {
    let seen = '';
    for (;;) {
      const job = this.queue.require(id);
      const now = JSON.stringify([job.state, job.progress]);
      if (now !== seen) onUpdate(job);
      seen = now;
      if (isFinished(job.state)) return job;
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }

  /** Queues a reindex (Enrollment.reindex's options) for a worker. */
  queueReindex(params: ReindexJobParams = {}): JobRecord {
    return this.queue.enqueue('reindex', params);
  }

  /** Queues rebuilding every unknown-face cluster (UnknownFaces.recluster). */
  queueRecluster(context: ChangeContext = {}): JobRecord {
    return this.queue.enqueue('recluster', context);
  }

  /** Runs queued jobs in this process until the runner is closed. */
  work(options: WorkOptions = {}): JobRunner {
    const { enrollment, unknowns } = this.deps;
    const kinds = new Set(options.kinds ?? JOB_KINDS);
    const reindex = async (context: JobContext<ReindexJobParams, ReindexProgress>): Promise<JobOutcome> => {
      const progress: ReindexProgress = { samples: 0, totalSamples: 0 };
      // Only the samples still without a vector of the model are done, so a reindex run again after its
      // runner died goes on where it stopped (with --all it re-embeds everything again, the same vectors).
      const report: ReindexReport = await enrollment.reindex({
        ...context.job.params,
        onStart: (n) => {
          progress.totalSamples = n;
          context.progress({ ...progress });
        },
        onSample: () => {
          progress.samples++;
          context.progress({ ...progress });
        },
      });
      return { state: 'done', result: report };
    };
    const handlers = {
      video: {
        handler: videoJobHandler(this.deps.video, options.videoLimits),
        concurrency: options.videoConcurrency ?? DEFAULT_VIDEO_CONCURRENCY,
      },
      import: { handler: importJobHandler((dir, o) => enrollment.importFolder(dir, o)), concurrency: 1 },
      reindex: { handler: reindex, concurrency: 1 },
      // Rebuilding replaces every cluster in one transaction: run again, it gives the same clusters.
      recluster: {
        handler: async (context: JobContext<ChangeContext>): Promise<JobOutcome> => ({
          state: 'done',
          result: await unknowns.recluster(context.job.params),
        }),
        concurrency: 1,
      },
    };
    const served = Object.fromEntries(
      Object.entries(handlers).filter(([kind]) => kinds.has(kind as JobKind)),
    ) as ConstructorParameters<typeof JobRunner>[1];
    return new JobRunner(this.queue, served, {
      ...options,
      scratchDir: path.join(this.deps.dataDir, 'jobs'),
    });
  }
}

/** A job as the API and `--json` show it. */
export function jobJson(job: JobRecord): api.Job {
  return {
    id: job.id,
    kind: job.kind,
    state: job.state,
    attempts: job.attempts,
    runner: job.leaseNode,
    progress: job.progress as Record<string, unknown> | null,
    result: job.result as Record<string, unknown> | null,
    error: job.error,
    createdAt: iso(job.createdAt),
    updatedAt: iso(job.updatedAt),
  };
}
