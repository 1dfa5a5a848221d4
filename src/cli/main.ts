// The `visage` command line: a thin shell over the service layer.
import { Command, CommanderError } from 'commander';
import { isVisageError } from '../errors.js';
import { registerCompare } from './commands/compare.js';
import { registerDetect, registerEmbed } from './commands/detect.js';
import { registerEnroll } from './commands/enroll.js';
import { registerModels } from './commands/models.js';
import { registerRecognize } from './commands/recognize.js';
import { registerVideo } from './commands/video.js';
import { registerWatch } from './commands/watch.js';
import { registerPeople } from './commands/people.js';
import { registerImport } from './commands/import.js';
import { registerExport } from './commands/export.js';
import { registerCorrect } from './commands/correct.js';
import { registerUnknowns } from './commands/unknowns.js';
import { registerReindex } from './commands/reindex.js';
import { registerServe } from './commands/serve.js';
import { registerWorker } from './commands/worker.js';
import { registerJobs } from './commands/jobs.js';
import { registerDoctor } from './commands/doctor.js';
import { registerForget } from './commands/forget.js';
import { registerFrigate } from './commands/frigate.js';
import { UsageError } from './context.js';
import { cliHint } from './hints.js';
import { printedJson, printJson } from './output.js';
import { VISAGE_VERSION } from '../version.js';

const program = new Command('visage')
  .description('Face recognition and face database, offline. Every command takes --json and --data DIR.')
  .version(VISAGE_VERSION, '-V, --version', 'print the version of visage')
  .showHelpAfterError()
  .exitOverride()
  .addHelpText(
    'after',
    `
Examples:
  $ visage enroll --name "Ada Lovelace" ada1.jpg ada2.jpg   add photos of a person
  $ visage import people/                                   one folder per person, resumable
  $ visage recognize party.jpg                              name every face, numbered left to right
  $ visage video clip.mp4 --annotate named.mp4              people in a video, and an annotated copy
  $ visage serve                                            the web app and the HTTP API (docs at /docs)
  $ visage <command> --help                                 a command's options and examples`,
  );

registerDetect(program);
registerEmbed(program);
registerCompare(program);
registerModels(program);
registerEnroll(program);
registerRecognize(program);
registerVideo(program);
registerWatch(program);
registerPeople(program);
registerImport(program);
registerExport(program);
registerCorrect(program);
registerUnknowns(program);
registerReindex(program);
registerServe(program);
registerWorker(program);
registerJobs(program);
registerDoctor(program);
registerForget(program);
registerFrigate(program);

const debug = process.argv.includes('--debug');
const json = process.argv.includes('--json');

try {
  await program.parseAsync(process.argv);
} catch (e) {
  process.exitCode = exitCodeFor(e);
  // --json promises one document on stdout whatever happens: a failed command's is its error (unless the
  // command got as far as printing its own, e.g. `watch` after some events).
  if (json && process.exitCode !== 0 && !printedJson()) printJson({ error: errorJson(e) });
}

/** `{ code, message }` of a failure, in the API's vocabulary (usage errors: `usage`). */
function errorJson(e: unknown): { code: string; message: string } {
  if (isVisageError(e)) return { code: e.code, message: e.message };
  if (e instanceof UsageError) return { code: 'usage', message: e.message };
  if (e instanceof CommanderError) return { code: 'usage', message: e.message.replace(/^error: /, '') };
  return { code: 'internal_error', message: e instanceof Error ? e.message : String(e) };
}

/**
 * What to do next, in this command's words, for a service error whose message says only what happened
 * (the service is shared with the HTTP API, which has no `visage people` or `--merge`).
 */
/** Exit codes (CONVENTIONS.md): 1 an error the user can fix, 2 bad usage. */
function exitCodeFor(e: unknown): number {
  if (e instanceof CommanderError) {
    // Help and version output are not errors.
    if (e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return 0;
    return 2;
  }
  if (e instanceof UsageError) {
    process.stderr.write(`visage: ${e.message} (see --help)\n`);
    return 2;
  }
  if (isVisageError(e)) {
    const hint = cliHint(e);
    process.stderr.write(`visage: ${e.message}${hint ? `; ${hint}` : ''}\n`);
    if (debug) process.stderr.write(`${e.stack}\n`);
    return 1;
  }
  process.stderr.write(`visage: unexpected error: ${e instanceof Error ? e.message : String(e)}\n`);
  if (debug && e instanceof Error) process.stderr.write(`${e.stack}\n`);
  else process.stderr.write('visage: run again with --debug for details\n');
  return 1;
}
