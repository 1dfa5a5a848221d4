// Options every command shares, and the one place a command gets its FaceService from.
import { Command, Option } from 'commander';
import { resolveDatabase, resolveDataDir } from '../data-dir.js';
import { FaceService, type ServiceOptions } from '../service/faces/face-service.js';
import { Visage } from '../service/visage.js';
import { log } from './output.js';

export interface GlobalOptions {
  data?: string;
  db?: string;
  json?: boolean;
  threads?: number;
  fp32?: boolean;
  debug?: boolean;
}

/** Adds the shared options to a command (commander does not inherit them into subcommands' help). */
export function withGlobalOptions(cmd: Command): Command {
  return cmd
    .option('--data <dir>', 'data directory (default: $VISAGE_DATA or ~/.visage)')
    .option(
      '--db <url>',
      'PostgreSQL store shared by several nodes, postgres://user@host/db (default: $VISAGE_DB, else SQLite in the data directory)',
    )
    .option('--json', 'print one JSON document on stdout')
    .addOption(new Option('--threads <n>', 'ONNX Runtime threads per model').argParser(positiveInt))
    .option('--fp32', 'run every model in float32 (default: dlib-resnet runs its int8 variant, MODELS.md)')
    .option('--debug', 'print stack traces of errors');
}

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`expected a positive whole number, got '${value}'`);
  return n;
}

/** Wrong use of the command line: exit code 2. */
export class UsageError extends Error {}

/** What every service needs from the command line: where the data lives, threads, and where to log. */
function serviceOptions(opts: GlobalOptions): ServiceOptions {
  return {
    dataDir: resolveDataDir(opts.data),
    threads: opts.threads,
    fp32: opts.fp32,
    onConvert: (message) => log(message),
  };
}

export function openFaceService(opts: GlobalOptions): FaceService {
  return new FaceService(serviceOptions(opts));
}

/** The service over the data directory's gallery (opens or creates its database). */
export function openVisage(opts: GlobalOptions): Visage {
  return new Visage({ ...serviceOptions(opts), database: resolveDatabase(opts.db) });
}
