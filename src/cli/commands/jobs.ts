// `visage jobs [show ID | cancel ID | reindex | recluster]`: the store's job queue (service/jobs/) — every
// node's video and import jobs, and reindex or re-clustering queued for a `visage worker`.
import type { Command } from 'commander';
import type { JobKind, JobRecord } from '../../service/jobs/job-queue.js';
import { DEFAULT_SERVE_KINDS, jobJson, type Jobs } from '../../service/jobs/jobs.js';
import { openVisage, UsageError, withGlobalOptions, type GlobalOptions } from '../context.js';
import { gauge, log, printJson, printTable } from '../output.js';
import { examples } from './people.js';

interface JobsOptions extends GlobalOptions {
  model?: string;
  all?: boolean;
  wait?: boolean;
}

/** A job still queued this long after --wait began has no runner yet: say what would run it. */
const UNCLAIMED_HINT_MS = 3000;

/** What each kind's progress counts (its fields `x` and `totalX`), for the bar of --wait. */
const COUNTED: Partial<Record<JobKind, { done: string; total: string; unit: string }>> = {
  video: { done: 'frames', total: 'totalFrames', unit: 'frames' },
  import: { done: 'files', total: 'totalFiles', unit: 'photos' },
  reindex: { done: 'samples', total: 'totalSamples', unit: 'samples' },
};

const ACTIONS: Record<string, number> = { show: 1, cancel: 1, reindex: 0, recluster: 0 };

export function registerJobs(program: Command): void {
  withGlobalOptions(
    program
      .command('jobs')
      .description(
        'the job queue: list, show or cancel jobs; queue a reindex or a re-clustering for a worker',
      )
      .argument('[action]', `one of ${Object.keys(ACTIONS).join(', ')} (none: list the jobs, newest first)`)
      .argument('[id]', 'the job id (show, cancel)')
      .option('--model <id>', 'reindex: embedding model (default: the one recognition uses)')
      .option('--all', 'reindex: also redo samples that already have an embedding of this model')
      .option(
        '--wait',
        'show, cancel, reindex, recluster: wait until the job ends, with a progress bar; exit 1 unless done',
      ),
  )
    .addHelpText(
      'after',
      `${examples('visage jobs', 'visage jobs reindex --model faceres --wait', 'visage jobs show 3f0c… --wait', 'visage jobs cancel 3f0c…')}

A queued reindex or re-clustering runs on a \`visage worker\` (re-clustering also on \`visage serve\` nodes).`,
    )
    .action(async (action: string | undefined, id: string | undefined, opts: JobsOptions) => {
      if (action !== undefined && !(action in ACTIONS))
        throw new UsageError(
          `unknown action '${action}'; expected one of ${Object.keys(ACTIONS).join(', ')}`,
        );
      if (action && ACTIONS[action] === 1 && !id) throw new UsageError(`jobs ${action} needs the job id`);
      const visage = openVisage(opts);
      try {
        const jobs = visage.jobs;
        const job =
          action === 'show'
            ? jobs.get(id!)
            : action === 'cancel'
              ? jobs.cancel(id!)
              : action === 'reindex'
                ? jobs.queueReindex({ model: opts.model, all: opts.all })
                : action === 'recluster'
                  ? jobs.queueRecluster()
                  : null;
        if (job) {
          const ended = opts.wait ? await waitWithBar(visage.jobs, job) : job;
          if (opts.wait && ended.state !== 'done') process.exitCode = 1;
          return opts.json ? printJson(jobJson(ended)) : printJob(ended);
        }
        if (opts.wait)
          throw new UsageError('--wait needs a job: jobs show ID --wait, or reindex / recluster --wait');
        const list = jobs.list();
        if (opts.json) return printJson({ items: list.map(jobJson) });
        if (list.length === 0) return void process.stdout.write('No jobs.\n');
        printTable(
          ['id', 'kind', 'state', 'attempts', 'created', 'runner'],
          list.map((j) => [
            j.id,
            j.kind,
            j.state,
            j.attempts,
            new Date(j.createdAt).toISOString(),
            j.leaseNode ?? '',
          ]),
        );
      } finally {
        await visage.close();
      }
    });
}

async function waitWithBar(jobs: Jobs, job: JobRecord): Promise<JobRecord> {
  const counted = COUNTED[job.kind];
  const bar = gauge(counted?.unit ?? 'steps');
  let state = job.state;
  // No runner here: a queued job waits for one elsewhere, which may not be running.
  const hint = setTimeout(() => {
    const runners = DEFAULT_SERVE_KINDS.includes(job.kind)
      ? '`visage serve` or `visage worker`'
      : '`visage worker`';
    if (state === 'queued') log(`job ${job.id} is queued: it starts when ${runners} runs`);
  }, UNCLAIMED_HINT_MS);
  try {
    return await jobs.wait(job.id, (now) => {
      state = now.state;
      const p = now.progress as Record<string, unknown> | null;
      const [done, total] = counted && p ? [p[counted.done], p[counted.total]] : [];
      if (typeof done === 'number' && typeof total === 'number') bar.set(done, total);
    });
  } finally {
    clearTimeout(hint);
    bar.stop();
  }
}

function printJob(job: JobRecord): void {
  const lines = [
    `${job.kind} job ${job.id}: ${job.state}${job.attempts > 1 ? ` (attempt ${job.attempts})` : ''}`,
    job.progress ? `progress: ${JSON.stringify(job.progress)}` : null,
    job.error ? `error: ${job.error.code}: ${job.error.message}` : null,
    job.result ? `result: ${JSON.stringify(job.result)}` : null,
  ];
  process.stdout.write(`${lines.filter(Boolean).join('\n')}\n`);
}
