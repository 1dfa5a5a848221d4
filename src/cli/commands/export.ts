// `visage export FILE`: the whole gallery as one archive (see src/service/archive.ts for the layout);
// `--csv` writes the original tool's feature CSV instead.
import type { Command } from 'commander';
import { openVisage, withGlobalOptions, type GlobalOptions } from '../context.js';
import { printJson } from '../output.js';
import { examples } from './people.js';

interface ExportOptions extends GlobalOptions {
  csv?: boolean;
  model?: string;
  events?: boolean;
  person?: string;
}

export function registerExport(program: Command): void {
  withGlobalOptions(
    program
      .command('export')
      .description(
        'write the gallery to one archive file (people, crops, embeddings, sightings), or with --csv the original CSV',
      )
      .argument('<file>', 'where to write (replaced only once complete)')
      .option(
        '--csv',
        "write the original tool's CSV instead: one row per person, name then the mean embedding",
      )
      .option(
        '--model <id>',
        'with --csv: the embedding model (default: the one recognition uses, dlib-resnet)',
      )
      .option('--no-events', 'leave the recognition events (sightings) out of the archive')
      .option(
        '--person <name>',
        "only this person's data: samples with crops and embeddings, sightings with snapshots, audit entries (corrections among them)",
      ),
  )
    .addHelpText(
      'after',
      `${examples('visage export backup.tar', 'visage import backup.tar --data /new/place     # restore or merge elsewhere', 'visage export --csv features_all.csv', 'visage export ada.tar --person "Ada Lovelace"   # everything held about one person')}

The archive is a plain tar file: manifest.json (people, samples, events), crops/*.jpg,
snapshots/*.jpg and vectors/*.f32 (float32 embeddings, model ids in the manifest).`,
    )
    .action(async (file: string, opts: ExportOptions) => {
      const visage = openVisage(opts);
      try {
        if (opts.csv) {
          const report = visage.archives.exportCsv(file, opts.model);
          if (opts.json) return printJson(report);
          process.stdout.write(
            `wrote ${report.people} people (${report.model}) to ${file}${report.skipped.length ? `; left out (no ${report.model} embedding): ${report.skipped.join(', ')}` : ''}\n`,
          );
          return;
        }
        const report = opts.person
          ? visage.privacy.exportPerson(opts.person, file)
          : visage.archives.export(file, { events: opts.events });
        if (opts.json) return printJson(report);
        const models =
          Object.entries(report.embeddings)
            .map(([m, n]) => `${n} ${m}`)
            .join(', ') || 'none';
        process.stdout.write(
          `wrote ${file} (${(report.bytes / 2 ** 20).toFixed(1)} MiB): ${report.people} people, ${report.samples} samples, embeddings ${models}, ${report.events} events, ${report.negatives} corrections${report.audit === undefined ? '' : `, ${report.audit} audit entries`}\n`,
        );
      } finally {
        await visage.close();
      }
    });
}
