// `visage reindex [--model ID]`: re-embed the stored face crops with an embedding model.
import type { Command } from 'commander';
import type { ReindexReport } from '../../service/enroll/reindex.js';
import { openVisage, withGlobalOptions, type GlobalOptions } from '../context.js';
import { printJson, printTable, progress, type Progress } from '../output.js';
import { examples } from './people.js';

interface ReindexOptions extends GlobalOptions {
  model?: string;
  all?: boolean;
}

export function registerReindex(program: Command): void {
  withGlobalOptions(
    program
      .command('reindex')
      .description(
        "compute every sample's embedding for a model from its stored face crop (no photos needed)",
      )
      .option('--model <id>', 'embedding model (see `visage models`; default: the one recognition uses)')
      .option('--all', 'also redo samples that already have an embedding of this model'),
  )
    .addHelpText(
      'after',
      `${examples('visage reindex --model faceres', 'visage reindex --all --json')}

By default only samples without an embedding of the model are done, so an interrupted reindex
continues where it stopped when run again.`,
    )
    .action(async (opts: ReindexOptions) => {
      const visage = openVisage(opts);
      let bar: Progress = { tick: () => {}, stop: () => {} };
      let report: ReindexReport;
      try {
        report = await visage.enrollment.reindex({
          model: opts.model,
          all: opts.all,
          onStart: (n) => (bar = progress(n, 'samples')),
          onSample: (id) => bar.tick(`sample ${id}`),
        });
      } finally {
        bar.stop();
        await visage.close();
      }
      if (opts.json) return printJson(report);
      if (report.failed.length > 0) {
        printTable(
          ['sample', 'person', 'reason'],
          report.failed.map((f) => [f.sampleId, f.personId, `${f.reason}: ${f.message}`]),
        );
        process.stdout.write('\n');
      }
      process.stdout.write(
        `${report.model}: ${report.reembedded} samples embedded, ${report.unchanged} already had one, ${report.failed.length} failed (of ${report.samples}) in ${report.seconds.toFixed(1)} s\n`,
      );
    });
}
