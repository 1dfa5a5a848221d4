// `visage correct EVENT_ID --is NAME | --not NAME | --undo`: fix a recognition so it stays fixed.
import type { Command } from 'commander';
import type { Correction } from '../../service/enroll/corrections.js';
import { openVisage, positiveInt, UsageError, withGlobalOptions, type GlobalOptions } from '../context.js';
import { printJson } from '../output.js';
import { examples } from './people.js';

interface CorrectOptions extends GlobalOptions {
  is?: string;
  not?: string;
  undo?: boolean;
  force?: boolean;
}

export function registerCorrect(program: Command): void {
  withGlobalOptions(
    program
      .command('correct')
      .description(
        'fix a recognition: the face of event ID is NAME (becomes a sample) or is not NAME (never named NAME again)',
      )
      .argument('<event>', 'event id (from `visage recognize --json`, or `visage show NAME`)', positiveInt)
      .option(
        '--is <name>',
        'this face is NAME: add it as a sample (same checks as enrol; NAME is created if new)',
      )
      .option('--not <name>', 'this face is not NAME: it and faces very close to it are no longer named NAME')
      .option(
        '--undo',
        "undo the event's corrections: remove the sample and negatives it made, restore its answer",
      )
      .option(
        '--force',
        'with --is: accept a face rejected for size, blur, pose or resemblance to someone else',
      ),
  )
    .addHelpText(
      'after',
      `${examples('visage correct 17 --not obama', 'visage correct 17 --is "Joe Biden"', 'visage correct 17 --undo')}

A face the recogniser named X resembles X more than NAME, so \`--is NAME\` refuses it unless you first
say \`--not X\` (or add --force).`,
    )
    .action(async (eventId: number, opts: CorrectOptions) => {
      const chosen = [opts.is !== undefined, opts.not !== undefined, opts.undo === true].filter(
        Boolean,
      ).length;
      if (chosen !== 1) throw new UsageError('give exactly one of --is NAME, --not NAME or --undo');
      const visage = openVisage(opts);
      try {
        if (opts.undo) {
          const report = visage.enrollment.uncorrect(eventId);
          if (opts.json) return printJson(report);
          process.stdout.write(
            `undid event ${eventId}'s corrections: ${report.removedSampleIds.length} samples and ${report.removedNegativeIds.length} negatives removed` +
              `${report.removedPeople.length ? `, ${report.removedPeople.map((p) => p.name).join(', ')} removed again` : ''}; it shows ${report.event.name ?? 'unknown'} again\n`,
          );
          return;
        }
        const correction: Correction = opts.is !== undefined ? { is: opts.is } : { not: opts.not! };
        const report = await visage.enrollment.correct(eventId, correction, { force: opts.force });
        if (opts.json) return printJson(report);
        if (report.action === 'is') {
          process.stdout.write(
            `event ${eventId}'s face is now sample ${report.sampleId} of ${report.person.name}${report.created ? ' (new person)' : ''}\n`,
          );
        } else {
          process.stdout.write(
            `event ${eventId}'s face, and faces very close to it, will not be named ${report.person.name} again\n`,
          );
        }
      } finally {
        await visage.close();
      }
    });
}
