// `visage doctor`: versions and state of this installation (src/service/doctor.ts). Exit 1 when it found
// something to fix, so scripts can check an installation with it.
import type { Command } from 'commander';
import { resolveDatabase, resolveDataDir } from '../../data-dir.js';
import { doctor } from '../../service/doctor.js';
import { withGlobalOptions, type GlobalOptions } from '../context.js';
import { printJson, printTable } from '../output.js';
import { examples } from './people.js';

export function registerDoctor(program: Command): void {
  withGlobalOptions(
    program
      .command('doctor')
      .description(
        'versions of Node, ONNX Runtime and ffmpeg (system or bundled), the models and the data directory',
      ),
  )
    .addHelpText('after', examples('visage doctor', 'visage doctor --json --data /srv/visage'))
    .action(async (opts: GlobalOptions) => {
      const r = await doctor(resolveDataDir(opts.data), resolveDatabase(opts.db));
      if (r.problems.length > 0) process.exitCode = 1;
      if (opts.json) return printJson(r);
      const db = r.dataDir.database;
      printTable(
        ['component', 'version', 'where'],
        [
          ['node', r.node.version, `${r.node.platform}-${r.node.arch}`],
          ['onnxruntime-node', r.onnxRuntime.version ?? '?', ''],
          ['libvips (sharp)', `${r.libvips.version ?? '?'} (sharp ${r.libvips.sharp ?? '?'})`, ''],
          ...[r.ffmpeg, r.ffprobe].map((t) => [
            t.tool,
            t.version ?? 'does not run',
            `${t.source}: ${t.path}`,
          ]),
        ],
      );
      process.stdout.write('\n');
      printTable(
        ['model', 'task', 'used', 'precision', 'cache'],
        r.models.map((m) => [m.id, m.task, m.used ? 'yes' : '', m.precision, m.cache]),
      );
      process.stdout.write(
        `\ndata directory ${r.dataDir.path}: ${r.dataDir.exists ? (r.dataDir.writable ? 'exists, writable' : 'exists, NOT writable') : 'not created yet'}\n` +
          (db.exists
            ? `database (${db.store}: ${db.location}) ${(db.bytes / 2 ** 20).toFixed(1)} MB, schema v${db.schemaVersion ?? '?'}: ${db.people ?? '?'} people, ${db.samples ?? '?'} samples, ${db.events ?? '?'} events, ${db.users ?? '?'} users\n`
            : db.store === 'sqlite'
              ? 'no database yet (created on first use)\n'
              : `database ${db.location} not reachable\n`),
      );
      for (const p of r.problems) process.stdout.write(`problem: ${p}\n`);
    });
}
