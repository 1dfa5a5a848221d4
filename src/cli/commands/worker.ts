// `visage worker`: runs queued jobs (video files, imports, reindex, re-clustering) from the store until
// stopped, with no web server. Several workers and `visage serve` nodes may share one store
// (--db postgres://…, or one data directory on SQLite); each job runs on one of them (service/jobs/).
import { Option, type Command } from 'commander';
import { JOB_KINDS, type JobKind } from '../../service/jobs/job-queue.js';
import { openVisage, positiveInt, UsageError, withGlobalOptions, type GlobalOptions } from '../context.js';
import { log, printJson } from '../output.js';

interface WorkerOptions extends GlobalOptions {
  kinds?: JobKind[];
  videoConcurrency?: number;
}

export function registerWorker(program: Command): void {
  withGlobalOptions(
    program
      .command('worker')
      .description('run queued jobs (videos, imports, reindex, re-clustering) from the store until stopped')
      .addOption(
        new Option(
          '--kinds <list>',
          `job kinds to take, comma-separated (default: ${JOB_KINDS.join(',')})`,
        ).argParser(kinds),
      )
      .addOption(
        new Option('--video-concurrency <n>', 'video jobs run at once (default 4)').argParser(positiveInt),
      ),
  )
    .addHelpText(
      'after',
      `
Ctrl-C (or SIGTERM) gives the running jobs back to the queue: another worker or node goes on with them.
With --json, one JSON document when it stops: the jobs that ended here.

Examples:
  $ visage worker --db postgres://visage@db.example/visage
  $ visage worker --kinds video --video-concurrency 2
  $ visage serve --no-jobs & visage worker        # one machine: the server serves, the worker works`,
    )
    .action(async (opts: WorkerOptions) => {
      // Listening before the first claim: a signal in between would end the process with a job held.
      const stopped = new Promise<void>((resolve) => {
        const stop = (signal: string): void => {
          log(`${signal}: giving the running jobs back to the queue`);
          resolve();
        };
        process.once('SIGINT', () => stop('SIGINT')).once('SIGTERM', () => stop('SIGTERM'));
      });
      const visage = openVisage(opts);
      const ended: {
        id: string;
        kind: JobKind;
        state: string;
        error: { code: string; message: string } | null;
      }[] = [];
      const runner = visage.jobs.work({
        kinds: opts.kinds,
        videoConcurrency: opts.videoConcurrency,
        onJob: (job, outcome) => {
          const state = outcome === 'released' ? 'released' : outcome.state;
          const error = outcome === 'released' ? undefined : outcome.error;
          ended.push({ id: job.id, kind: job.kind, state, error: error ?? null });
          log(`${job.kind} job ${job.id}: ${state}${error ? ` (${error.code}: ${error.message})` : ''}`);
        },
        onError: (e) => log(`jobs: a round failed (${e instanceof Error ? e.message : String(e)}); retried`),
      });
      log(`worker ${runner.node} is taking ${runner.served.join(', ')} jobs`);
      await stopped;
      await runner.close();
      await visage.close();
      if (opts.json) printJson({ node: runner.node, jobs: ended });
    });
}

function kinds(value: string): JobKind[] {
  const list = value.split(',').map((k) => k.trim());
  const wrong = list.filter((k) => !(JOB_KINDS as readonly string[]).includes(k));
  if (wrong.length > 0 || list.length === 0)
    throw new UsageError(`unknown job kind '${wrong[0] ?? value}'; expected some of ${JOB_KINDS.join(', ')}`);
  return list as JobKind[];
}
