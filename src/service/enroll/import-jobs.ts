// Bulk import from the web app: a zip, or a dropped folder's files, laid out as people/<name>/<photo>
// under <dataDir>/imports/<id>/ and run in the background through the same resumable folder import as
// `visage import` (bulk-import.ts), with progress a client can poll. Cancelling stops between people,
// as Ctrl-C does for the CLI: everyone already committed stays, and importing the same files again
// skips them (the import progress table). One job runs at a time: each is one person per scheduler
// unit anyway, and a second would only split the same models. Jobs live in memory; the oldest finished
// are forgotten beyond a fixed number, and their files are removed as soon as they finish.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import AdmZip from 'adm-zip';
import { isVisageError, VisageError } from '../../errors.js';
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

interface Job {
  view: ImportJobView;
  dir: string;
  stop: boolean;
}

const KEEP_FINISHED = 20;
const MB = 1024 * 1024;
/** Unpacked size of one zip at most: 2 000 photos of 2.5 MB; a zip bomb is refused before writing. */
export const MAX_UNPACKED_BYTES = 5000 * MB;
const MAX_ENTRIES = 20_000;

export class ImportJobs {
  private readonly jobs = new Map<string, Job>();
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly importFolder: ImportFolderFn,
    private readonly root: string,
  ) {
    // Jobs of an earlier run are unknown to this one.
    fs.rmSync(root, { recursive: true, force: true });
  }

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
    return this.jobs.get(id)?.view;
  }

  require(id: string): ImportJobView {
    const view = this.get(id);
    if (!view) throw new VisageError('not_found', `No import ${id} (finished imports are kept a while).`);
    return view;
  }

  /** Stops the job after the person being imported now; what was committed stays. */
  cancel(id: string): ImportJobView {
    const job = this.jobs.get(id);
    if (!job) return this.require(id);
    job.stop = true;
    if (job.view.state === 'queued') this.finish(job, 'cancelled');
    return job.view;
  }

  /** Cancels every job and waits for the running one to stop (server shutdown). */
  async close(): Promise<void> {
    for (const job of this.jobs.values()) this.cancel(job.view.id);
    await this.chain;
  }

  private start(
    name: string,
    files: { path: string; read: () => Buffer }[],
    options: ImportFolderOptions,
  ): ImportJobView {
    const id = randomUUID();
    const dir = path.join(this.root, id);
    const people = path.join(dir, 'people');
    const relative = personPaths(files.map((f) => f.path));
    if (relative.every((r) => r === null))
      throw new VisageError(
        'no_person_folders',
        `${name} has no person folders: put each person's photos in a folder named after them (people/<name>/photo.jpg)`,
        { file: name },
      );
    const persons = new Set<string>();
    files.forEach((f, i) => {
      const r = relative[i];
      if (!r) return;
      const out = path.join(people, ...r);
      fs.mkdirSync(path.dirname(out), { recursive: true });
      fs.writeFileSync(out, f.read());
      persons.add(r[0]!);
    });
    const job: Job = {
      dir,
      stop: false,
      view: {
        id,
        name,
        state: 'queued',
        progress: { files: 0, totalFiles: 0, people: 0, totalPeople: persons.size },
      },
    };
    this.jobs.set(id, job);
    this.forgetOld();
    this.chain = this.chain.then(() => this.run(job, people, options));
    return job.view;
  }

  private async run(job: Job, dir: string, options: ImportFolderOptions): Promise<void> {
    if (job.view.state !== 'queued') return;
    job.view.state = 'running';
    try {
      const report = await this.importFolder(dir, {
        ...options,
        onStart: (files) => (job.view.progress.totalFiles = files),
        onFile: () => job.view.progress.files++,
        onPerson: (_person, done) => {
          job.view.progress.people = done.people;
          job.view.progress.files = Math.max(job.view.progress.files, done.files);
        },
        shouldStop: () => job.stop,
      });
      job.view.report = insideUpload(report, dir);
      this.finish(job, report.interrupted ? 'cancelled' : 'done');
    } catch (e) {
      job.view.error = isVisageError(e)
        ? { code: e.code, message: e.message }
        : { code: 'internal_error', message: e instanceof Error ? e.message : String(e) };
      this.finish(job, 'failed');
    }
  }

  private finish(job: Job, state: ImportJobState): void {
    job.view.state = state;
    fs.rmSync(job.dir, { recursive: true, force: true });
  }

  private forgetOld(): void {
    const finished = [...this.jobs.values()].filter((j) => !['queued', 'running'].includes(j.view.state));
    for (const j of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED)))
      this.jobs.delete(j.view.id);
  }
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
