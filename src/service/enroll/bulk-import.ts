// Bulk enrolment from a folder per person (`people/<name>/*.jpg`; the folder name is the person's name,
// any script). Built to be interrupted: each person's folder is enrolled as one transaction (never half a
// person), and only after that commit is each file's outcome written to the import progress table, keyed
// by the file's path inside the folder and its content hash. A rerun skips what is recorded; a crash in the
// gap between the two commits only means the rerun meets those files as duplicates of the same person's
// samples, so it adds nothing twice. The result equals an uninterrupted run.
import fs from 'node:fs/promises';
import path from 'node:path';
import { contentHash } from '../../gallery/content-hash.js';
import type { ImportStatus } from '../../gallery/import-progress.js';
import { normalizePersonName } from '../../gallery/names.js';
import { isVisageError, VisageError } from '../../errors.js';
import type { EnrollInput, EnrollOptions, EnrollReport } from './enrollment.js';
import type { Gallery } from '../../gallery/gallery.js';

export interface ImportFolderOptions {
  /** With several faces in a photo, take the largest (else the photo is rejected as multiple_faces). */
  largest?: boolean;
  /** Accept photos rejected for size, blur, pose or resemblance to someone else. */
  force?: boolean;
  /** Try again the files a previous run rejected (by default they are skipped like imported ones). */
  retryFailed?: boolean;
  actor?: string | null;
  /** Told once the folder is scanned, with the number of files to handle. */
  onStart?: (files: number) => void;
  /** Told after each file is handled (analysed or skipped). */
  onFile?: (file: string) => void;
  /** Told after each person's folder is committed. */
  onPerson?: (person: PersonImport, done: { people: number; files: number }) => void;
  /** Checked between people: true stops the import there (Ctrl-C); the report then says `interrupted`. */
  shouldStop?: () => boolean;
}

export type FileStatus = 'accepted' | 'rejected' | 'skipped';

export interface FileOutcome {
  /** Path of the file as given (the folder joined with its path inside). */
  file: string;
  person: string;
  status: FileStatus;
  /** Why it was rejected or skipped: a rejection reason (no_face, …), or `already_imported`. */
  reason?: string;
  message?: string;
  sampleId?: number;
  /** Skipped because an earlier run rejected it (retryFailed tries it again). */
  retryable?: boolean;
}

export interface PersonImport {
  /** The folder name, and the name it was stored under (null when the name is invalid). */
  folder: string;
  name: string | null;
  created: boolean;
  accepted: number;
  rejected: number;
  skipped: number;
}

export interface ImportFolderReport {
  folder: string;
  people: PersonImport[];
  files: FileOutcome[];
  /** Files directly in the folder, and nested folders, which belong to no person. */
  ignored: string[];
  totals: { people: number; files: number; accepted: number; rejected: number; skipped: number };
  /** True when stopped before the end (rerun to continue). */
  interrupted: boolean;
  seconds: number;
  /** Analysed images per second (skipped files not counted). */
  imagesPerSecond: number;
}

interface PersonFolder {
  folder: string;
  files: { relative: string; file: string }[];
}

/** The person folders of `dir` and their image files, sorted, without reading any image. */
export async function scanPeopleFolder(dir: string): Promise<{ people: PersonFolder[]; ignored: string[] }> {
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch((e: NodeJS.ErrnoException) => {
    throw new VisageError(
      e.code === 'ENOTDIR' ? 'not_a_folder' : 'folder_not_found',
      `cannot read the folder ${dir} (${e.code}); give a folder with one subfolder per person`,
      { path: dir },
    );
  });
  const people: PersonFolder[] = [];
  const ignored: string[] = [];
  for (const entry of entries.sort((a, b) => compare(a.name, b.name))) {
    if (entry.name.startsWith('.')) continue; // .DS_Store, .git and the like
    if (!entry.isDirectory()) {
      ignored.push(path.join(dir, entry.name));
      continue;
    }
    const files: PersonFolder['files'] = [];
    for (const inner of (await fs.readdir(path.join(dir, entry.name), { withFileTypes: true })).sort((a, b) =>
      compare(a.name, b.name),
    )) {
      const relative = `${entry.name}/${inner.name}`;
      if (inner.name.startsWith('.')) continue;
      // Any file may be a photo whatever its extension (decoding goes by content); one that is not is
      // reported as rejected (unsupported_format) rather than silently passed over.
      if (inner.isFile()) {
        files.push({ relative, file: path.join(dir, entry.name, inner.name) });
      } else ignored.push(path.join(dir, entry.name, inner.name));
    }
    people.push({ folder: entry.name, files });
  }
  return { people, ignored };
}

/** What a folder import needs: the gallery's import progress, and enrolment itself. */
export interface ImportDeps {
  gallery: Gallery;
  enroll: EnrollFn;
}

export type EnrollFn = (
  name: string,
  inputs: readonly EnrollInput[],
  options: EnrollOptions,
) => Promise<EnrollReport>;

export async function importPeopleFolder(
  deps: ImportDeps,
  dir: string,
  options: ImportFolderOptions = {},
): Promise<ImportFolderReport> {
  const started = performance.now();
  const { people: folders, ignored } = await scanPeopleFolder(dir);
  const report: ImportFolderReport = {
    folder: dir,
    people: [],
    files: [],
    ignored,
    totals: { people: 0, files: 0, accepted: 0, rejected: 0, skipped: 0 },
    interrupted: false,
    seconds: 0,
    imagesPerSecond: 0,
  };
  options.onStart?.(folders.reduce((n, f) => n + f.files.length, 0));
  let analysed = 0;
  for (const folder of folders) {
    if (options.shouldStop?.()) {
      report.interrupted = true;
      break;
    }
    const outcomes = await importPerson(deps, folder, options);
    analysed += outcomes.analysed;
    report.people.push(outcomes.person);
    report.files.push(...outcomes.files);
    options.onPerson?.(outcomes.person, { people: report.people.length, files: report.files.length });
  }
  for (const f of report.files) report.totals[f.status]++;
  report.totals.people = report.people.length;
  report.totals.files = report.files.length;
  report.seconds = (performance.now() - started) / 1000;
  report.imagesPerSecond = analysed / Math.max(report.seconds, 1e-3);
  return report;
}

async function importPerson(
  { gallery, enroll }: ImportDeps,
  { folder, files }: PersonFolder,
  options: ImportFolderOptions,
): Promise<{ person: PersonImport; files: FileOutcome[]; analysed: number }> {
  const person: PersonImport = { folder, name: null, created: false, accepted: 0, rejected: 0, skipped: 0 };
  const outcomes: FileOutcome[] = [];
  const done = (outcome: FileOutcome): void => {
    outcomes.push(outcome);
    person[outcome.status]++;
    options.onFile?.(outcome.file);
  };
  let name: string;
  try {
    name = normalizePersonName(folder);
  } catch (e) {
    if (!isVisageError(e)) throw e;
    for (const f of files)
      done({
        file: f.file,
        person: folder,
        status: 'rejected',
        reason: e.code,
        message: `the folder name is not a valid person name: ${e.message}`,
      });
    return { person, files: outcomes, analysed: 0 };
  }
  person.name = name;

  // Read and hash everything first: what the progress table already has is skipped without analysis.
  const pending: { relative: string; file: string; bytes: Buffer; hash: string }[] = [];
  for (const f of files) {
    let bytes: Buffer;
    try {
      bytes = await fs.readFile(f.file);
    } catch (e) {
      done({
        file: f.file,
        person: name,
        status: 'rejected',
        reason: 'unreadable_file',
        message: `cannot read the file (${(e as NodeJS.ErrnoException).code})`,
      });
      continue;
    }
    const hash = contentHash(bytes);
    const previous = gallery.imports.get(f.relative, hash);
    if (previous && !(previous.status === 'failed' && options.retryFailed)) {
      const failed = previous.status === 'failed';
      done({
        file: f.file,
        person: name,
        status: 'skipped',
        reason: 'already_imported',
        message: failed ? `rejected before: ${previous.message ?? ''}` : 'imported before',
        ...(failed ? { retryable: true } : {}),
      });
      continue;
    }
    pending.push({ ...f, bytes, hash });
  }
  if (pending.length === 0) return { person, files: outcomes, analysed: 0 };

  const enrolled: EnrollReport = await enroll(
    name,
    pending.map((p) => ({ source: p.file, bytes: p.bytes })),
    {
      largest: options.largest,
      force: options.force,
      actor: options.actor,
      onImage: (source) => options.onFile?.(source),
    },
  );
  person.name = enrolled.person?.name ?? name;
  person.created = enrolled.created;
  const byFile = new Map(pending.map((p) => [p.file, p]));
  const progress: [string, string, ImportStatus, string | null][] = [];
  for (const a of enrolled.accepted) {
    const p = byFile.get(a.source)!;
    outcomes.push({ file: a.source, person: person.name, status: 'accepted', sampleId: a.sampleId });
    person.accepted++;
    progress.push([p.relative, p.hash, 'done', null]);
  }
  for (const r of enrolled.rejected) {
    const p = byFile.get(r.source)!;
    // A duplicate is already enrolled (e.g. by a run that crashed before recording its progress), or is
    // the same picture as another file of this folder.
    const duplicate = r.reason === 'duplicate_sample' || r.reason === 'repeated_image';
    outcomes.push({
      file: r.source,
      person: person.name,
      status: duplicate ? 'skipped' : 'rejected',
      reason: r.reason,
      message: r.message,
    });
    person[duplicate ? 'skipped' : 'rejected']++;
    progress.push([p.relative, p.hash, duplicate ? 'skipped' : 'failed', `${r.reason}: ${r.message}`]);
  }
  const imports = gallery.imports;
  gallery.db.transaction(() => {
    for (const [relative, hash, status, message] of progress) imports.record(relative, hash, status, message);
  })();
  outcomes.sort((a, b) => compare(a.file, b.file));
  return { person, files: outcomes, analysed: pending.length };
}

/** Code-point order: the same on every machine, whatever its locale. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
