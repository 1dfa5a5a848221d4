// Privacy: `visage forget NAME` (erase a person and every trace of them) and `visage retention` (what is
// kept and for how long; `--run` removes what is older, for cron). Both over src/service/privacy/.
import { Option, type Command } from 'commander';
import type { PrivacySettingsChange } from '../../service/privacy/privacy.js';
import { resolveDatabase } from '../../data-dir.js';
import { openVisage, positiveInt, withGlobalOptions, type GlobalOptions } from '../context.js';
import { printJson } from '../output.js';
import { examples } from './people.js';

interface RetentionOptions extends GlobalOptions {
  run?: boolean;
  events?: number | 'keep';
  unknown?: number | 'keep';
  auditNames?: boolean;
}

export function registerForget(program: Command): void {
  withGlobalOptions(
    program
      .command('forget')
      .description(
        'erase a person and everything about them (asks nothing): samples, crops, vectors, their sightings with snapshots, corrections; the audit log keeps only that someone was forgotten',
      )
      .argument('<name>', "the person's name"),
  )
    .addHelpText(
      'after',
      `${examples('visage export ada.tar --person "Ada Lovelace"   # first, their data for them', 'visage forget "Ada Lovelace"')}

Unlike \`visage delete\`, which keeps their sightings as unknown faces, nothing of them remains, not in
the database file's free pages nor in its write-ahead log. \`visage retention --audit-names\` keeps the
name of whoever is forgotten in the audit log instead.`,
    )
    .action(async (name: string, opts: GlobalOptions) => {
      const visage = openVisage(opts);
      try {
        const r = visage.privacy.forget(name);
        if (opts.json) return printJson(r);
        say(
          `forgot ${r.forgotten.name}: ${r.samples} samples, ${r.events} sightings, ${r.negatives} corrections, ${r.imports} import records; ${r.audit.removed} audit entries removed, ${r.audit.scrubbed} scrubbed`,
        );
        if (resolveDatabase(opts.db))
          say(
            "on PostgreSQL the rows' old bytes stay in the server's files until VACUUM reuses them (README, Privacy)",
          );
        else if (!r.walTruncated)
          say('another process is reading the gallery: its write-ahead log is emptied when that ends');
      } finally {
        await visage.close();
      }
    });

  withGlobalOptions(
    program
      .command('retention')
      .description(
        'show or change how long events and unknown faces are kept; --run removes what is older now (for cron)',
      )
      .option('--run', 'remove events and unknown faces older than the settings allow, now')
      .addOption(
        new Option(
          '--events <days>',
          'keep events (and their snapshots) this many days; "keep": forever',
        ).argParser(days),
      )
      .addOption(
        new Option('--unknown <days>', 'keep unknown faces this many days; "keep": forever').argParser(days),
      )
      .option('--audit-names', 'forgetting a person keeps their name in the audit log')
      .option(
        '--no-audit-names',
        'forgetting a person leaves only that it happened in the audit log (default)',
      ),
  )
    .addHelpText(
      'after',
      examples(
        'visage retention',
        'visage retention --events 30 --unknown 7',
        'visage retention --events keep',
        'visage retention --run --json      # e.g. daily from cron; `visage serve` runs it daily itself',
      ),
    )
    .action(async (opts: RetentionOptions) => {
      const visage = openVisage(opts);
      try {
        const change: PrivacySettingsChange = {};
        if (opts.events !== undefined) change.eventDays = opts.events === 'keep' ? null : opts.events;
        if (opts.unknown !== undefined) change.unknownDays = opts.unknown === 'keep' ? null : opts.unknown;
        if (opts.auditNames !== undefined) change.forgetAuditNames = opts.auditNames;
        const settings =
          Object.keys(change).length > 0 ? visage.privacy.updateSettings(change) : visage.privacy.settings();
        const run = opts.run ? visage.privacy.runRetention() : undefined;
        if (opts.json) return printJson({ settings, ...(run ? { run } : {}) });
        const kept = (d: number | null) => (d === null ? 'kept until deleted' : `kept ${d} days`);
        say(`events and snapshots: ${kept(settings.eventDays)}`);
        say(`unknown faces: ${kept(settings.unknownDays)}`);
        say(`forgotten people's names in the audit log: ${settings.forgetAuditNames ? 'kept' : 'not kept'}`);
        if (run) say(`removed ${run.events} events and ${run.unknown} unknown faces`);
        else say(`last run: ${settings.retentionRanAt ?? 'never'}`);
      } finally {
        await visage.close();
      }
    });
}

function days(value: string): number | 'keep' {
  return value === 'keep' ? 'keep' : positiveInt(value);
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}
