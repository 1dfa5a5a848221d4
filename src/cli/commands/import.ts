// `visage import PATH`: a folder with one subfolder per person (bulk enrolment, resumable), or an archive
// made by `visage export` (merged into this gallery). `visage import-export FILE` is the archive half alone.
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { VisageError } from '../../errors.js';
import type { ArchiveImportReport } from '../../service/archive/archive.js';
import type { ImportFolderReport } from '../../service/enroll/bulk-import.js';
import { rejectionText } from '../hints.js';
import { openVisage, withGlobalOptions, type GlobalOptions } from '../context.js';
import { log, printJson, printTable, progress, type Progress } from '../output.js';
import { examples } from './people.js';

interface ImportOptions extends GlobalOptions {
  largest?: boolean;
  force?: boolean;
  retryFailed?: boolean;
}

export function registerImport(program: Command): void {
  withGlobalOptions(
    program
      .command('import')
      .description(
        'enrol a folder with one subfolder per person (folder name = name), or restore an archive from `visage export`',
      )
      .argument('<path>', 'a folder of person folders, or a .tar archive made by `visage export`')
      .option('--largest', 'when a photo has several faces, take the largest')
      .option('--force', 'accept photos rejected for size, blur, pose or resemblance to someone else')
      .option('--retry-failed', 'try again the photos an earlier run rejected (they are skipped otherwise)'),
  )
    .addHelpText(
      'after',
      `${examples('visage import photos/            # photos/Ada Lovelace/1.jpg, photos/李雷/a.png, …', 'visage import photos/ --json > report.json', 'visage import backup.tar          # an archive from `visage export`')}

A folder import can be stopped at any time (Ctrl-C, even a crash): each person is stored whole or not
at all, and running the same command again continues where it stopped. Files already imported are
skipped by content, so a rerun never adds a sample twice.`,
    )
    .action(async (target: string, opts: ImportOptions) => {
      const kind = pathKind(target);
      if (kind === 'file') return importArchiveCommand(target, opts);
      await importFolderCommand(target, opts);
    });

  withGlobalOptions(
    program
      .command('import-export')
      .description('restore an archive made by `visage export` (same as `visage import FILE`)')
      .argument('<file>', 'the archive'),
  )
    .addHelpText('after', examples('visage import-export backup.tar --data /srv/visage'))
    .action((file: string, opts: GlobalOptions) => importArchiveCommand(file, opts));
}

function pathKind(target: string): 'folder' | 'file' {
  const st = fs.statSync(target, { throwIfNoEntry: false });
  if (!st)
    throw new VisageError(
      'file_not_found',
      `${target} does not exist; give a folder of person folders or an archive file`,
      { path: target },
    );
  return st.isDirectory() ? 'folder' : 'file';
}

async function importFolderCommand(dir: string, opts: ImportOptions): Promise<void> {
  const visage = openVisage(opts);
  let bar: Progress = { tick: () => {}, stop: () => {} };
  // Ctrl-C once: finish the person being stored, then stop cleanly; twice: quit now (still safe).
  let stopping = false;
  const onInterrupt = (): void => {
    if (stopping) process.exit(130);
    stopping = true;
    bar.stop();
    log('stopping after the current person (Ctrl-C again to quit now; a rerun continues either way)');
  };
  process.on('SIGINT', onInterrupt);
  let report: ImportFolderReport;
  try {
    report = await visage.enrollment.importFolder(dir, {
      largest: opts.largest,
      force: opts.force,
      retryFailed: opts.retryFailed,
      onStart: (files) => (bar = progress(files, 'images')),
      onFile: (file) => bar.tick(path.basename(file)),
      onPerson: (p, done) => {
        // Without a terminal there is no bar: a line per person tells a log (or a test) how far it got.
        if (!process.stderr.isTTY)
          log(
            `import: ${p.name ?? p.folder}: ${p.accepted} accepted, ${p.rejected} rejected, ${p.skipped} skipped (${done.people} people, ${done.files} files so far)`,
          );
      },
      shouldStop: () => stopping,
    });
  } finally {
    bar.stop();
    process.off('SIGINT', onInterrupt);
    await visage.close();
  }
  if (report.interrupted) process.exitCode = 1;
  if (opts.json) return printJson(report);
  const notes = report.files.filter((f) => f.status !== 'accepted');
  if (notes.length > 0) {
    printTable(
      ['file', 'result', 'reason'],
      notes.map((f) => [
        f.file,
        f.status === 'skipped' ? 'skipped' : `rejected: ${f.reason}`,
        rejectionText(f),
      ]),
    );
    process.stdout.write('\n');
  }
  printTable(
    ['person', 'accepted', 'rejected', 'skipped'],
    report.people.map((p) => [
      `${p.name ?? p.folder}${p.created ? ' (new)' : ''}`,
      p.accepted,
      p.rejected,
      p.skipped,
    ]),
  );
  const t = report.totals;
  process.stdout.write(
    `\n${t.people} people, ${t.files} files: ${t.accepted} accepted, ${t.rejected} rejected, ${t.skipped} skipped in ${report.seconds.toFixed(1)} s (${report.imagesPerSecond.toFixed(1)} images/s)\n`,
  );
  if (report.ignored.length > 0)
    process.stdout.write(`ignored (not inside a person folder): ${report.ignored.join(', ')}\n`);
  if (report.interrupted) log('import interrupted: run the same command again to continue');
}

async function importArchiveCommand(file: string, opts: GlobalOptions): Promise<void> {
  const visage = openVisage(opts);
  let report: ArchiveImportReport;
  try {
    report = await visage.archives.import(file);
  } finally {
    await visage.close();
  }
  if (opts.json) return printJson(report);
  const r = report;
  process.stdout.write(
    `imported ${file}: people ${r.people.created} new, ${r.people.merged} merged; samples ${r.samples.added} added, ${r.samples.duplicates} already there; ` +
      `events ${r.events.added} added, ${r.events.duplicates} already there; corrections ${r.negatives.added} added, ${r.negatives.duplicates} already there\n`,
  );
}
