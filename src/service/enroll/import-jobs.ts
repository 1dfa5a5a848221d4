// Bulk import from the web app: a zip, or a dropped folder's files, laid out as people/<name>/<photo>,
// queued in the store (jobs/job-queue.ts) with its photos and run by whichever runner claims it, through
// the same resumable folder import as `visage import` (bulk-import.ts), with progress any node reads.
// Cancelling stops between people, as Ctrl-C does for the CLI: everyone already committed stays, and
// importing the same files again skips them (the import progress table). That same table makes a job run
// again after its runner died go on where it stopped, with nothing added twice. A runner runs one import
// at a time: each is one person per scheduler unit anyway, and a second would only split the same models.
import fs from 'node:fs';
import path from 'node:path';
import AdmZip from 'adm-zip';
import { VisageError } from '../../errors.js';
import type { JobFile, JobQueue, JobRecord } from '../jobs/job-queue.js';
import type { JobContext, JobOutcome } from '../jobs/job-runner.js';
import type { ImportFolderOptions, ImportFolderReport } from './bulk-import.js';

export type ImportJobState = 'queued' | 'running' | 'done' | 'cancelled' | 'failed';

export interface ImportJobView {
  id: string;
  /** What was uploaded: the zip's name, or the dropped folder's. */
  name: string;
  state: ImportJobState;
  progress: { files: number; totalFiles: number; people: number; totalPeople: number };
  /** Paths inside the upload (person/photo.jpg), as the user knows them. */
  report?: ImportFolderReport;
  error?: { code: string; message: string };
}

/** A file of a dropped folder: its path inside the folder (`amy/1.jpg` or `people/amy/1.jpg`). */
export interface ImportUpload {
  path: string;
  bytes: Buffer;
}

export type ImportFolderFn = (dir: string, options: ImportFolderOptions) => Promise<ImportFolderReport>;

/** The options of the import that a job keeps (the callbacks are the runner's). */
type ImportParams = { name: string } & Pick<
  ImportFolderOptions,
  'largest' | 'force' | 'retryFailed' | 'actor'
>;
type Progress = ImportJobView['progress'];

/** Job files of the photos are `input/<person>/<file>`: uploads, which go when the job ends. */
const PREFIX = 'input/';
const MB = 1024 * 1024;
/** Unpacked size of one zip at most: 2 000 photos of 2.5 MB; a zip bomb is refused before writing. */
export const MAX_UNPACKED_BYTES = 5000 * MB;
const MAX_ENTRIES = 20_000;

export class ImportJobs {
  constructor(private readonly queue: JobQueue) {}

  /** A zip of person folders (maybe inside one top folder). Errors: `invalid_archive`, `archive_too_large`. */
  startZip(name: string, zip: Buffer, options: ImportFolderOptions = {}): ImportJobView {
    let entries: AdmZip.IZipEntry[];
    try {
      entries = new AdmZip(zip).getEntries();
    } catch (e) {
      throw new VisageError('invalid_archive', `${name} is not a zip file (${(e as Error).message})`, {
        file: name,
      });
    }
    if (entries.length > MAX_ENTRIES)
      throw new VisageError('archive_too_large', `${name} has more than ${MAX_ENTRIES} entries`, {
        file: name,
      });
    const unpacked = entries.reduce((n, e) => n + (e.header.size || 0), 0);
    if (unpacked > MAX_UNPACKED_BYTES)
      throw new VisageError(
        'archive_too_large',
        `${name} unpacks to ${Math.round(unpacked / MB)} MB, more than the ${MAX_UNPACKED_BYTES / MB} MB limit`,
        { file: name, limitBytes: MAX_UNPACKED_BYTES },
      );
    return this.start(
      name,
      entries.filter((e) => !e.isDirectory).map((e) => ({ path: e.entryName, read: () => e.getData() })),
      options,
    );
  }

  /** The files of a dropped folder, each named by its path inside it. */
  startFiles(name: string, files: readonly ImportUpload[], options: ImportFolderOptions = {}): ImportJobView {
    return this.start(
      name,
      files.map((f) => ({ path: f.path, read: () => f.bytes })),
      options,
    );
  }

  get(id: string): ImportJobView | undefined {
    const job = this.queue.get(id);
    return job?.kind === 'import' ? view(job) : undefined;
  }

  require(id: string): ImportJobView {
    const found = this.get(id);
    if (!found) throw new VisageError('not_found', `No import ${id} (finished imports are kept a while).`);
    return found;
  }

  /** Stops the job after the person being imported now (wherever it runs); what was committed stays. */
  cancel(id: string): ImportJobView {
    this.require(id);
    return view(this.queue.cancel(id));
  }

  private start(
    name: string,
    files: { path: string; read: () => Buffer }[],
    options: ImportFolderOptions,
  ): ImportJobView {
    const relative = personPaths(files.map((f) => f.path));
    if (relative.every((r) => r === null))
      throw new VisageError(
        'no_person_folders',
        `${name} has no person folders: put each person's photos in a folder named after them (people/<name>/photo.jpg)`,
        { file: name },
      );
    const persons = new Set<string>();
    const stored: JobFile[] = [];
    files.forEach((f, i) => {
      const r = relative[i];
      if (!r) return;
      stored.push({ name: `${PREFIX}${r[0]}/${r[1]}`, bytes: f.read() });
      persons.add(r[0]);
    });
    const params: ImportParams = {
      name,
      largest: options.largest,
      force: options.force,
      retryFailed: options.retryFailed,
      actor: options.actor,
    };
    const progress: Progress = { files: 0, totalFiles: 0, people: 0, totalPeople: persons.size };
    return view(this.queue.enqueue('import', params, { files: stored, progress }));
  }
}

/** Runs import jobs claimed by a runner (job-runner.ts): the photos are written out, then imported. */
export function importJobHandler(importFolder: ImportFolderFn) {
  return async (context: JobContext<ImportParams, Progress>): Promise<JobOutcome> => {
    const { job } = context;
    const { largest, force, retryFailed, actor } = job.params;
    const people = path.join(context.dir, 'people');
    for (const file of context.fileNames().filter((f) => f.startsWith(PREFIX))) {
      const out = path.join(people, ...file.slice(PREFIX.length).split('/'));
      fs.mkdirSync(path.dirname(out), { recursive: true });
      context.readFile(file, out);
    }
    const progress = { ...(job.progress ?? { files: 0, totalFiles: 0, people: 0, totalPeople: 0 }) };
    const report = await importFolder(people, {
      largest,
      force,
      retryFailed,
      actor,
      onStart: (files) => {
        progress.totalFiles = files;
        context.progress({ ...progress });
      },
      onFile: () => {
        progress.files++;
        context.progress({ ...progress });
      },
      onPerson: (_person, done) => {
        progress.people = done.people;
        progress.files = Math.max(progress.files, done.files);
        context.progress({ ...progress });
      },
      shouldStop: () => context.signal.aborted,
    });
    return { state: report.interrupted ? 'cancelled' : 'done', result: insideUpload(report, people) };
  };
}

function view(job: JobRecord): ImportJobView {
  const params = job.params as ImportParams;
  return {
    id: job.id,
    name: params.name,
    state: job.state,
    progress: (job.progress as Progress | null) ?? { files: 0, totalFiles: 0, people: 0, totalPeople: 0 },
    ...(job.result ? { report: job.result as ImportFolderReport } : {}),
    ...(job.error ? { error: job.error } : {}),
  };
}

/**
 * Each upload path as [person, file] inside the person folders, or null for what belongs to no person.
 * A zip of the folder `people/` holds `people/amy/1.jpg`: a first folder shared by every path and
 * deeper than the person level is that wrapper, and is dropped. Unsafe parts (`..`, absolute paths,
 * hidden files such as __MACOSX/ and .DS_Store) are never written.
 */
export function personPaths(paths: readonly string[]): ([string, string] | null)[] {
  const parts = paths.map((p) =>
    p
      .replace(/\\/g, '/')
      .split('/')
      .filter((s) => s !== '' && s !== '.'),
  );
  const unsafe = (p: string[]): boolean => p.some((s) => s === '..' || s.startsWith('.') || s === '__MACOSX');
  const kept = parts.filter((p) => !unsafe(p));
  const first = kept[0]?.[0];
  const wrapped = first !== undefined && kept.every((p) => p.length === 3 && p[0] === first);
  return parts.map((p) => {
    const inner = wrapped ? p.slice(1) : p;
    return unsafe(p) || inner.length !== 2 ? null : [inner[0]!, inner[1]!];
  });
}

/** The report with paths inside the upload instead of the job's folder on the server. */
function insideUpload(report: ImportFolderReport, dir: string): ImportFolderReport {
  const strip = (p: string): string => path.relative(dir, p).split(path.sep).join('/');
  return {
    ...report,
    folder: '',
    files: report.files.map((f) => ({ ...f, file: strip(f.file) })),
    ignored: report.ignored.map(strip),
  };
}
