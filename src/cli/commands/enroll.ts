import type { Command } from 'commander';
import type { EnrollReport } from '../../service/enroll/enrollment.js';
import { rejectionText } from '../hints.js';
import { openVisage, withGlobalOptions, type GlobalOptions } from '../context.js';
import { printJson, printTable, progress } from '../output.js';
import { expandImagePaths } from './recognize.js';

interface EnrollOptions extends GlobalOptions {
  name: string;
  largest?: boolean;
  force?: boolean;
}

export function registerEnroll(program: Command): void {
  withGlobalOptions(
    program
      .command('enroll')
      .description(
        'add a person (created if new) with one sample per photo; bad photos are rejected with a reason',
      )
      .requiredOption('--name <name>', "the person's name (any language)")
      .argument('<paths...>', 'photos of this one person, or folders of them')
      .option('--largest', 'when a photo has several faces, take the largest')
      .option('--force', 'accept photos rejected for size, blur, pose or resemblance to someone else'),
  )
    .addHelpText(
      'after',
      `
Examples:
  $ visage enroll --name "Ada Lovelace" ada1.jpg ada2.jpg
  $ visage enroll --name 李雷 photos/lilei/ --json`,
    )
    .action(async (paths: string[], opts: EnrollOptions) => {
      const files = await expandImagePaths(paths);
      const visage = openVisage(opts);
      const bar = progress(files.length, 'images');
      let report: EnrollReport;
      try {
        report = await visage.enrollment.enroll(
          opts.name,
          files.map((source) => ({ source })),
          {
            largest: opts.largest,
            force: opts.force,
            onImage: (source) => bar.tick(source),
          },
        );
      } finally {
        bar.stop();
        await visage.close();
      }
      if (opts.json) return printJson(report);
      printEnrollReport(report);
    });
}

export function printEnrollReport(report: EnrollReport): void {
  printTable(
    ['file', 'result', 'detail'],
    [
      ...report.accepted.map((a) => [
        a.source,
        a.lowQuality ? 'accepted: low quality' : 'accepted',
        a.lowQuality
          ? `sample ${a.sampleId}; the face is ${Math.round(a.quality.size)} px, so it counts less (a larger photo, 40 px or more, is better)`
          : `sample ${a.sampleId}`,
      ]),
      ...report.rejected.map((r) => [r.source, `rejected: ${r.reason}`, rejectionText(r)]),
    ],
  );
  const who = report.person ? `${report.person.name}${report.created ? ' (new)' : ''}` : 'nobody';
  process.stdout.write(`\n${who}: ${report.accepted.length} accepted, ${report.rejected.length} rejected\n`);
  for (const l of report.lookalikes) process.stdout.write(`${lookalikeWarning(report.person!.name, l)}\n`);
}

/** One line per look-alike: who, how close, and what it means. */
export function lookalikeWarning(
  name: string,
  l: { name: string; evidence: number; threshold: number },
): string {
  return `warning: ${name} looks like ${l.name} (closest samples ${l.evidence.toFixed(2)} z, within the balanced threshold ${l.threshold.toFixed(2)}): check both are right; telling them apart needs clear photos`;
}
