// Visage's service layer: one object per data directory that owns the face engine and the gallery, and
// offers the product's verbs. The CLI and the HTTP API are thin shells over it.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Face } from '../engine/face.js';
import { encodeJpeg, rawInput } from '../engine/image/encode.js';
import type { RgbImage } from '../engine/types.js';
import { Gallery } from '../gallery/gallery.js';
import type { Aggregation } from '../gallery/embedding-index.js';
import type { Person } from '../gallery/people-repository.js';
import type { Sample } from '../gallery/samples-repository.js';
import { annotate, KNOWN_COLOR, UNKNOWN_COLOR } from '../media/annotate.js';
import { enroll, type EnrollInput, type EnrollOptions, type EnrollReport } from './enrollment.js';
import { FaceService, type PerImage, type ServiceOptions } from './face-service.js';
import { round, roundBox, type Box } from './json.js';
import { Recognizer, type Identification } from './recognition.js';
import { People } from './people.js';
import { importPeopleFolder, type ImportFolderOptions, type ImportFolderReport } from './bulk-import.js';
import {
  exportArchive,
  exportCsv,
  importArchive,
  type ArchiveImportReport,
  type CsvExportReport,
  type ExportOptions,
  type ExportReport,
} from './archive.js';
import {
  correct,
  uncorrect,
  type Correction,
  type CorrectionReport,
  type CorrectOptions,
  type UndoReport,
} from './corrections.js';
import { reindex, type ReindexOptions, type ReindexReport } from './reindex.js';
import type { ChangeContext } from '../gallery/gallery.js';

export interface VisageOptions extends ServiceOptions {
  aggregation?: Aggregation;
}

/** A face found in an image with the Recognizer's answer (rounded for output) and its stored event. */
export interface RecognizedFace extends Identification {
  box: Box;
  detectionScore: number;
  eventId?: number;
}

export type RecognizeResult = PerImage<{ faces: RecognizedFace[]; annotated?: string }>;

export interface RecognizeOptions {
  /** Store every face as an event (default true). */
  storeEvents?: boolean;
  /** Write a copy with boxes and names drawn into this folder. */
  annotateDir?: string;
}

export class Visage {
  readonly faces: FaceService;
  readonly gallery: Gallery;
  readonly recognizer: Recognizer;
  /** Management by name: list, show, rename, merge, delete, samples (people.ts). */
  readonly people: People;

  constructor(options: VisageOptions) {
    this.faces = new FaceService(options);
    this.gallery = Gallery.open(options.dataDir, { aggregation: options.aggregation });
    this.recognizer = new Recognizer(this.gallery, this.faces.embeddingModel, {
      aggregation: options.aggregation,
    });
    this.people = new People(this.gallery);
  }

  async close(): Promise<void> {
    this.gallery.close();
    await this.faces.close();
  }

  // ---- enrolment -----------------------------------------------------------------------------------

  enroll(name: string, inputs: readonly EnrollInput[], options: EnrollOptions = {}): Promise<EnrollReport> {
    return enroll(this, name, inputs, options);
  }

  // ---- recognition ---------------------------------------------------------------------------------

  /** Every face of an image file with its identity; a bad file gives an error entry, never a throw. */
  async recognizeFile(file: string, options: RecognizeOptions = {}): Promise<RecognizeResult> {
    return this.faces.perImage(file, async (image) => {
      const faces = await this.recognizeImage(image, file, options);
      const annotated = options.annotateDir
        ? await this.writeAnnotated(image, faces, file, options.annotateDir)
        : undefined;
      return { faces, ...(annotated ? { annotated } : {}) };
    });
  }

  async recognizeImage(
    image: RgbImage,
    source: string,
    options: RecognizeOptions = {},
  ): Promise<RecognizedFace[]> {
    const faces = await this.faces.analyzer.analyze(image);
    const out: RecognizedFace[] = [];
    for (const face of faces) {
      const id = this.recognizer.identify(face.embedding!);
      const recognized: RecognizedFace = {
        box: roundBox(face.box),
        detectionScore: round(face.score, 4),
        name: id.name,
        personId: id.personId,
        score: round(id.score, 4),
        distance: id.distance === null ? null : round(id.distance, 5),
        threshold: id.threshold,
        sampleId: id.sampleId,
        decision: id.decision,
        candidates: id.candidates.map((c) => ({
          ...c,
          distance: round(c.distance, 5),
          score: round(c.score, 4),
        })),
      };
      if (options.storeEvents ?? true) recognized.eventId = await this.storeEvent(face, recognized, source);
      out.push(recognized);
    }
    return out;
  }

  private async storeEvent(
    face: Face,
    r: RecognizedFace,
    source: string,
    at: { offsetS?: number; frame?: number } = {},
  ): Promise<number> {
    return this.gallery.events.add({
      source,
      offsetS: at.offsetS ?? null,
      frame: at.frame ?? null,
      box: r.box,
      personId: r.personId,
      score: r.score,
      distance: r.distance,
      snapshotJpeg: face.crop ? await encodeJpeg(face.crop, 85) : null,
      modelId: face.embeddingModel ?? null,
      embedding: face.embedding ?? null,
    }).id;
  }

  private async writeAnnotated(
    image: RgbImage,
    faces: RecognizedFace[],
    file: string,
    dir: string,
  ): Promise<string> {
    const drawn = await annotate(
      image,
      faces.map((f) => ({
        box: f.box,
        text: f.name ? `${f.name} ${f.score.toFixed(2)}` : 'unknown',
        color: f.name ? KNOWN_COLOR : UNKNOWN_COLOR,
      })),
    );
    await fs.mkdir(dir, { recursive: true });
    const ext = path.extname(file).toLowerCase();
    const out = await freePath(
      path.join(dir, `${path.basename(file, path.extname(file))}${ext === '.png' ? '.png' : '.jpg'}`),
    );
    const encoder = rawInput(drawn);
    await (ext === '.png' ? encoder.png() : encoder.jpeg({ quality: 90 })).toFile(out);
    return out;
  }

  // ---- people and samples --------------------------------------------------------------------------

  /** The person with this name (case-insensitive), or a `person_not_found` error that says what to do. */
  person(name: string): Person {
    return this.people.find(name);
  }

  sample(id: number): Sample {
    return this.people.sample(id);
  }

  // ---- bulk import, archives, corrections, reindex -------------------------------------------------

  /** Enrols a folder with one subfolder per person; resumable (bulk-import.ts). */
  importFolder(dir: string, options: ImportFolderOptions = {}): Promise<ImportFolderReport> {
    return importPeopleFolder(this, dir, options);
  }

  exportArchive(file: string, options: ExportOptions = {}): ExportReport {
    return exportArchive(this.gallery, file, options);
  }

  /** Merges an archive made by exportArchive into this gallery (archive.ts). */
  importArchive(file: string, context: ChangeContext = {}): ArchiveImportReport {
    return importArchive(this.gallery, file, context);
  }

  /** The original tool's CSV: one row per person, name then mean embedding (default model: recognition's). */
  exportCsv(file: string, modelId = this.recognizer.modelId): CsvExportReport {
    return exportCsv(this.gallery, file, modelId);
  }

  /** "This event's face is NAME" or "is not NAME" (corrections.ts). */
  correct(eventId: number, correction: Correction, options: CorrectOptions = {}): Promise<CorrectionReport> {
    return correct(this, eventId, correction, options);
  }

  uncorrect(eventId: number, context: ChangeContext = {}): UndoReport {
    return uncorrect(this, eventId, context);
  }

  /** Re-embeds stored crops with a model (reindex.ts). */
  reindex(options: ReindexOptions = {}): Promise<ReindexReport> {
    return reindex(this, options);
  }
}

/** `file`, or `file-2`, `file-3`… when it exists, so annotating two inputs of one name keeps both. */
async function freePath(file: string): Promise<string> {
  const ext = path.extname(file);
  for (let i = 1; ; i++) {
    const candidate = i === 1 ? file : `${file.slice(0, -ext.length)}-${i}${ext}`;
    try {
      await fs.access(candidate);
    } catch {
      return candidate;
    }
  }
}
