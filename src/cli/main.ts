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
import { registerReindex } from './commands/reindex.js';
import { registerServe } from './commands/serve.js';
import { UsageError } from './context.js';

const program = new Command('visage')
  .description('Face recognition and face database, offline. Every command takes --json and --data DIR.')
  .showHelpAfterError()
  .exitOverride();

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
registerReindex(program);
registerServe(program);

const debug = process.argv.includes('--debug');

try {
  await program.parseAsync(process.argv);
} catch (e) {
  process.exitCode = exitCodeFor(e);
}

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
    process.stderr.write(`visage: ${e.message}\n`);
    if (debug) process.stderr.write(`${e.stack}\n`);
    return 1;
  }
  process.stderr.write(`visage: unexpected error: ${e instanceof Error ? e.message : String(e)}\n`);
  if (debug && e instanceof Error) process.stderr.write(`${e.stack}\n`);
  else process.stderr.write('visage: run again with --debug for details\n');
  return 1;
}
