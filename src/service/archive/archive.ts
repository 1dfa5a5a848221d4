// Moving a gallery between data directories, and out to the original tool's CSV.
//
// A Visage archive (`visage export FILE`) is a POSIX tar file, readable by any tar tool:
//   manifest.json        what everything is: { format: "visage-archive", version: 1, exportedAt, models,
//                        people: [{ name, note, createdAt, updatedAt, samples: [...], negatives: [...] }],
//                        events: [...] }, with times in ms since the epoch and vectors referred to by row
//   crops/<id>.jpg       each sample's face crop (the 192×192 upright crop the engine made)
//   snapshots/<id>.jpg   each event's face snapshot
//   vectors/<n>.f32      one file per model (its id is in manifest.models[n], ids being free text):
//                        float32 little-endian rows of `dim` values, for samples, events and negatives
// One person's export (`visage export FILE --person NAME`) is the same archive holding only them, their
// events, and manifest.audit: the audit entries about them (import ignores it).
// Ids inside the archive only link its entries; importing (`visage import FILE`) merges people by name
// (case-insensitively, as names are unique), skips samples a person already has (same content hash),
// events already present (same time, source, frame and box) and identical negatives, so importing the
// same archive twice changes nothing. People and samples get new ids and creation times; events keep theirs.
import fs from 'node:fs';
import path from 'node:path';
import type { Box } from '../../engine/types.js';
import type { AuditEntry } from '../../gallery/audit-log.js';
import type { ChangeContext, Gallery } from '../../gallery/gallery.js';
import type { NewEvent } from '../../gallery/events-repository.js';
import { vectorToBlob } from '../../gallery/vectors.js';
import { csvRow } from '../../api/csv.js';
import { VisageError } from '../../errors.js';
import { TarReader, TarWriter } from './tar.js';
import {
  ARCHIVE_FORMAT,
  ARCHIVE_VERSION,
  MANIFEST,
  validateArchive,
  type Manifest,
  type ManifestEvent,
  type ManifestPerson,
  type VectorRef,
} from './validate.js';

export { ARCHIVE_FORMAT, ARCHIVE_VERSION } from './validate.js';

export interface ExportOptions {
  /** Include recognition events (default true). */
  events?: boolean;
  /**
   * Only this person: their samples, corrections and events (a subject access export,
   * privacy/person-export.ts). A negative recorded from an event left out keeps no link to it.
   */
  personId?: number;
  /** Include the "not this person" corrections with their vectors (default true). */
  negatives?: boolean;
  /** Audit entries to include as manifest.audit (read by people, not imported). */
  audit?: readonly AuditEntry[];
}

export interface ExportReport {
  file: string;
  bytes: number;
  people: number;
  samples: number;
  embeddings: Record<string, number>;
  events: number;
  negatives: number;
  /** Audit entries written, when asked for (ExportOptions.audit). */
  audit?: number;
}

export interface ArchiveImportReport {
  file: string;
  people: { created: number; merged: number };
  samples: { added: number; duplicates: number };
  events: { added: number; duplicates: number };
  negatives: { added: number; duplicates: number };
}

/** Collects the vectors of one model as archive rows. */
class VectorTable {
  readonly rows: Float32Array[] = [];
  constructor(readonly dim: number) {}
}

/**
 * Writes the whole gallery to `file` (replaced only once complete: a failed export never leaves a
 * half-written archive under that name). Reads one consistent snapshot of the database.
 */
export function exportArchive(gallery: Gallery, file: string, options: ExportOptions = {}): ExportReport {
  const tables = new Map<string, VectorTable>();
  const modelIds: string[] = [];
  const ref = (modelId: string, vector: Float32Array): VectorRef => {
    let table = tables.get(modelId);
    if (!table) {
      tables.set(modelId, (table = new VectorTable(vector.length)));
      modelIds.push(modelId);
    }
    table.rows.push(vector);
    return { model: modelIds.indexOf(modelId), row: table.rows.length - 1 };
  };
  const tmp = `${file}.${process.pid}.tmp`;
  const tar = writable(file, () => TarWriter.create(tmp));
  try {
    const counts = gallery.db.transaction(() => {
      const chosen =
        options.personId === undefined ? gallery.people.list() : [gallery.people.require(options.personId)];
      const people: ManifestPerson[] = chosen.map((p) => ({
        id: p.id,
        name: p.name,
        note: p.note,
        createdAt: p.createdAt,
        updatedAt: p.updatedAt,
        samples: gallery.samples.listByPerson(p.id).map((s) => ({
          id: s.id,
          sourceName: s.sourceName,
          contentHash: s.contentHash,
          box: s.box,
          quality: s.quality,
          createdAt: s.createdAt,
          crop: gallery.samples.crop(s.id) ? `crops/${s.id}.jpg` : null,
          embeddings: s.modelIds.map((m) => ref(m, gallery.samples.embedding(s.id, m)!)),
        })),
        negatives: (options.negatives === false ? [] : gallery.negatives.listByPerson(p.id)).map((n) => ({
          vector: ref(n.modelId, n.vector),
          eventId: n.eventId,
          createdAt: n.createdAt,
        })),
      }));
      const events: ManifestEvent[] = [];
      if (options.events ?? true) {
        const pageSize = 10_000;
        for (let offset = 0; ; offset += pageSize) {
          const page = gallery.events.list({
            personId: options.personId,
            order: 'asc',
            limit: pageSize,
            offset,
          });
          for (const e of page) {
            const embedding = gallery.events.embedding(e.id);
            events.push({
              id: e.id,
              time: e.time,
              source: e.source,
              offsetS: e.offsetS,
              frame: e.frame,
              box: e.box,
              personId: e.personId,
              score: e.score,
              distance: e.distance,
              snapshot: e.hasSnapshot ? `snapshots/${e.id}.jpg` : null,
              embedding: embedding ? ref(embedding.modelId, embedding.vector) : null,
            });
          }
          if (page.length < pageSize) break;
        }
      }
      const exported = new Set(events.map((e) => e.id));
      for (const p of people)
        for (const n of p.negatives) if (n.eventId !== null && !exported.has(n.eventId)) n.eventId = null;
      const manifest: Manifest = {
        format: ARCHIVE_FORMAT,
        version: ARCHIVE_VERSION,
        exportedAt: Date.now(),
        models: modelIds.map((id, n) => ({
          id,
          dim: tables.get(id)!.dim,
          file: `vectors/${n}.f32`,
          rows: tables.get(id)!.rows.length,
        })),
        people,
        events,
        ...(options.audit ? { audit: [...options.audit] } : {}),
      };
      tar.add(MANIFEST, Buffer.from(JSON.stringify(manifest)));
      for (const p of people)
        for (const s of p.samples) if (s.crop) tar.add(s.crop, gallery.samples.crop(s.id)!);
      for (const e of events) if (e.snapshot) tar.add(e.snapshot, gallery.events.snapshot(e.id)!);
      for (const m of manifest.models) {
        const table = tables.get(m.id)!;
        const packed = new Float32Array(table.rows.length * table.dim);
        table.rows.forEach((v, i) => packed.set(v, i * table.dim));
        tar.add(m.file, vectorToBlob(packed));
      }
      const embeddings: Record<string, number> = {};
      for (const p of people)
        for (const s of p.samples)
          for (const r of s.embeddings)
            embeddings[modelIds[r.model]!] = (embeddings[modelIds[r.model]!] ?? 0) + 1;
      return {
        people: people.length,
        samples: people.reduce((n, p) => n + p.samples.length, 0),
        embeddings,
        negatives: people.reduce((n, p) => n + p.negatives.length, 0),
        events: events.length,
        ...(options.audit ? { audit: options.audit.length } : {}),
      };
    })();
    tar.close();
    fs.renameSync(tmp, file);
    return { file, bytes: fs.statSync(file).size, ...counts };
  } catch (e) {
    tar.abort();
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * Merges an archive into the gallery, all or nothing: the whole archive is read and checked first
 * (validate.ts: every field, reference, vector and image), then written in one transaction, so a
 * rejected or failing archive leaves the database exactly as it was. Errors: `invalid_archive`
 * (details.entry names the first offending entry), `unsupported_archive_version`, `dimension_mismatch`.
 */
export async function importArchive(
  gallery: Gallery,
  file: string,
  context: ChangeContext = {},
): Promise<ArchiveImportReport> {
  const tar = openArchive(file);
  try {
    const galleryDims = new Map(gallery.samples.models().map((m) => [m.modelId, m.dim]));
    const { manifest, vectors } = await validateArchive(tar, file, galleryDims);
    const vector = (r: VectorRef): { modelId: string; vector: Float32Array } => {
      const m = manifest.models[r.model]!;
      return { modelId: m.id, vector: vectors[r.model]!.slice(r.row * m.dim, (r.row + 1) * m.dim) };
    };
    const report: ArchiveImportReport = {
      file,
      people: { created: 0, merged: 0 },
      samples: { added: 0, duplicates: 0 },
      events: { added: 0, duplicates: 0 },
      negatives: { added: 0, duplicates: 0 },
    };
    const actor = context.actor ?? null;
    // One write transaction through the repositories: the Gallery's own change methods each commit on
    // their own (and refuse to run inside a transaction), which is what made a rejected archive leave
    // earlier people behind. The loaded indexes are reloaded after the commit (gallery.refresh below).
    gallery.db
      .transaction(() => {
        const personIds = new Map<number, number>();
        for (const p of manifest.people) {
          const existing = gallery.people.findByName(p.name);
          const person = existing ?? gallery.people.create(p.name, p.note);
          personIds.set(p.id, person.id);
          report.people[existing ? 'merged' : 'created']++;
          const added: number[] = [];
          let duplicates = 0;
          for (const s of p.samples) {
            try {
              const sample = gallery.samples.add(person.id, {
                sourceName: s.sourceName,
                contentHash: s.contentHash,
                cropJpeg: s.crop ? tar.read(s.crop) : null,
                box: s.box,
                quality: s.quality,
                embeddings: s.embeddings.map(vector),
              });
              added.push(sample.id);
            } catch (e) {
              // Already there (same content for this person): importing twice changes nothing.
              if (!(e instanceof VisageError && e.code === 'duplicate_sample')) throw e;
              duplicates++;
            }
          }
          report.samples.added += added.length;
          report.samples.duplicates += duplicates;
          gallery.audit.append(
            'person.enrol',
            { personId: person.id, name: person.name, created: !existing, sampleIds: added, duplicates },
            actor,
          );
        }

        const eventIds = new Map<number, number>();
        const fresh: { archiveId: number; event: NewEvent }[] = [];
        for (const e of manifest.events) {
          const present = gallery.events
            .list({ source: e.source, from: e.time, to: e.time + 1, limit: 1000 })
            .find((x) => x.frame === e.frame && sameBox(x.box, e.box));
          if (present) {
            eventIds.set(e.id, present.id);
            report.events.duplicates++;
            continue;
          }
          const embedding = e.embedding ? vector(e.embedding) : null;
          fresh.push({
            archiveId: e.id,
            event: {
              time: e.time,
              source: e.source,
              offsetS: e.offsetS,
              frame: e.frame,
              box: e.box,
              personId: e.personId === null ? null : personIds.get(e.personId)!,
              score: e.score,
              distance: e.distance,
              snapshotJpeg: e.snapshot ? tar.read(e.snapshot) : null,
              modelId: embedding?.modelId ?? null,
              embedding: embedding?.vector ?? null,
            },
          });
        }
        gallery.events
          .addMany(fresh.map((f) => f.event))
          .forEach((id, i) => eventIds.set(fresh[i]!.archiveId, id));
        report.events.added = fresh.length;

        for (const p of manifest.people) {
          const personId = personIds.get(p.id)!;
          const have = gallery.negatives.listByPerson(personId);
          for (const n of p.negatives) {
            const { modelId, vector: v } = vector(n.vector);
            if (have.some((h) => h.modelId === modelId && sameVector(h.vector, v))) {
              report.negatives.duplicates++;
              continue;
            }
            const eventId = n.eventId === null ? null : eventIds.get(n.eventId)!;
            const added = gallery.negatives.add(personId, modelId, v, eventId);
            gallery.audit.append(
              'person.negative',
              { personId, modelId, eventId, negativeId: added.id },
              actor,
            );
            report.negatives.added++;
          }
        }
        gallery.audit.append('archive.import', { ...report, file: path.basename(file) }, actor);
      })
      .immediate();
    gallery.refresh();
    return report;
  } finally {
    tar.close();
  }
}

export interface CsvExportReport {
  file: string;
  model: string;
  /** People written (one row each). */
  people: number;
  /** People left out: no sample has an embedding of the model. */
  skipped: string[];
}

/**
 * The original tool's feature file: one row per person, the name then the mean of the person's
 * embeddings of `modelId` (the dlib-compatible 128-D model by default), UTF-8 without a header, names
 * quoted when they hold commas, quotes or line breaks. Visage's vectors are L2-normalised before the
 * mean (the original averaged raw dlib descriptors, whose length is close to but not exactly 1).
 */
export function exportCsv(gallery: Gallery, file: string, modelId: string): CsvExportReport {
  const lines: string[] = [];
  const skipped: string[] = [];
  for (const p of gallery.people.list()) {
    const vectors = gallery.samples
      .listByPerson(p.id)
      .flatMap((s) => gallery.samples.embedding(s.id, modelId) ?? []);
    if (vectors.length === 0) {
      skipped.push(p.name);
      continue;
    }
    const mean = new Float64Array(vectors[0]!.length);
    for (const v of vectors) v.forEach((x, i) => (mean[i] += x / vectors.length));
    // Nine significant digits keep every float32 exact; fewer would not round-trip.
    lines.push(csvRow([p.name, ...Array.from(mean, (x) => Number(x.toPrecision(9)))]));
  }
  const tmp = `${file}.${process.pid}.tmp`;
  writable(file, () => fs.writeFileSync(tmp, lines.map((l) => `${l}\r\n`).join(''), 'utf8'));
  fs.renameSync(tmp, file);
  return { file, model: modelId, people: lines.length, skipped };
}

/** Runs the first write to `file`'s folder, turning a missing folder or permission into a clear error. */
function writable<T>(file: string, open: () => T): T {
  try {
    return open();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      throw new VisageError(
        'file_unwritable',
        `cannot write ${file} (${code}); check that its folder exists and is writable`,
        { file },
      );
    }
    throw e;
  }
}

function openArchive(file: string): TarReader {
  try {
    return TarReader.open(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new VisageError('file_not_found', `${file} does not exist; check the path.`, { file });
    if (code === 'EISDIR')
      throw new VisageError('invalid_archive', `${file} is a folder, not an archive`, { file, folder: true });
    throw e;
  }
}

function sameBox(a: Box, b: Box): boolean {
  return a.x === b.x && a.y === b.y && a.width === b.width && a.height === b.height;
}

function sameVector(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
