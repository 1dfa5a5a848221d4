// Recognising photos: every face of an image with the Recognizer's answer (rounded for output), stored as
// an event with its snapshot unless the caller says not to, and optionally a copy with boxes and names.
// The same image recognised again (same decoded pixels, whatever its file name or encoding's metadata)
// adds no events: each face is answered afresh and given the event stored for it the first time. Unknown
// faces' new events go to the clustering of unknown faces (service/unknowns/).
// Each verb is one unit of the scheduler, decoding included (`work`: whose turn, and `kind: 'live'` for a
// live frame, which is served first).
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Face } from '../../engine/face.js';
import { encodeJpeg, rawInput } from '../../engine/image/encode.js';
import type { RgbImage } from '../../engine/types.js';
import { contentHash } from '../../gallery/content-hash.js';
import type { EventsRepository } from '../../gallery/events-repository.js';
import { annotate, KNOWN_COLOR, UNKNOWN_COLOR } from '../../media/annotate.js';
import type { FaceService, PerImage } from '../faces/face-service.js';
import { round, roundBox, type Box } from '../json.js';
import type { Scheduler, WorkOptions } from '../scheduler.js';
import type { Identification, Recognizer, SecurityLevel } from './recognizer.js';

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
  /** Security level of the decision (default balanced). */
  level?: SecurityLevel;
}

export interface PhotoDeps {
  faces: FaceService;
  recognizer: Recognizer;
  events: EventsRepository;
  scheduler: Scheduler;
}

export class PhotoRecognition {
  constructor(private readonly deps: PhotoDeps) {}

  /** Every face of an image file with its identity; a bad file gives an error entry, never a throw. */
  async recognizeFile(
    file: string,
    options: RecognizeOptions = {},
    work: WorkOptions = {},
  ): Promise<RecognizeResult> {
    return this.deps.scheduler.run(
      () =>
        this.deps.faces.perImage(file, async (image) => {
          const faces = await this.recognizeImage(image, file, options);
          const annotated = options.annotateDir
            ? await writeAnnotated(image, faces, file, options.annotateDir)
            : undefined;
          return { faces, ...(annotated ? { annotated } : {}) };
        }),
      work,
    );
  }

  /** An upload: its bytes decoded (named `name` in errors), then recognised as `recognizeImage` does. */
  async recognizeBytes(
    bytes: Buffer,
    name: string,
    options: RecognizeOptions = {},
    work: WorkOptions = {},
  ): Promise<{ width: number; height: number; faces: RecognizedFace[] }> {
    return this.deps.scheduler.run(async () => {
      const image = await this.deps.faces.loadImage(bytes, name);
      return {
        width: image.width,
        height: image.height,
        faces: await this.recognizeImage(image, name, options),
      };
    }, work);
  }

  /** A decoded image's faces with their identities (events named `source`). */
  async recognizeImage(
    image: RgbImage,
    source: string,
    options: RecognizeOptions = {},
    work: WorkOptions = {},
  ): Promise<RecognizedFace[]> {
    return this.deps.scheduler.run(async () => {
      const faces = await this.deps.faces.analyzer.analyze(image);
      const store = options.storeEvents ?? true;
      const hash = store ? imageHash(image) : null;
      const earlier = hash ? this.deps.events.findByContentHash(hash) : [];
      const out: RecognizedFace[] = [];
      for (const face of faces) {
        const recognized = this.identify(face, options.level);
        if (hash) {
          const again = earlier.find((e) => sameBox(e.box, recognized.box));
          recognized.eventId = again?.id ?? (await this.storeEvent(face, recognized, source, hash));
        }
        out.push(recognized);
      }
      return out;
    }, work);
  }

  /** One embedded face's answer, rounded as every API and CLI result shows it. */
  identify(face: Face, level?: SecurityLevel): RecognizedFace {
    const id = this.deps.recognizer.identify(face.embedding!, { quality: face.quality, level });
    const z = (v: number): number => round(v, 3);
    return {
      box: roundBox(face.box),
      detectionScore: round(face.score, 4),
      name: id.name,
      personId: id.personId,
      score: round(id.score, 4),
      distance: id.distance === null ? null : round(id.distance, 5),
      threshold: round(id.threshold, 5),
      sampleId: id.sampleId,
      decision: id.decision,
      candidates: id.candidates.map((c) => ({
        ...c,
        distance: round(c.distance, 5),
        score: round(c.score, 4),
        evidence: z(c.evidence),
      })),
      level: id.level,
      evidence: id.evidence === null ? null : z(id.evidence),
      evidenceThreshold: z(id.evidenceThreshold),
      penalty: z(id.penalty),
      margin: id.margin === null ? null : z(id.margin),
      requiredMargin: z(id.requiredMargin),
    };
  }

  private async storeEvent(face: Face, r: RecognizedFace, source: string, hash: string): Promise<number> {
    return this.deps.events.add({
      source,
      offsetS: null,
      frame: null,
      box: r.box,
      personId: r.personId,
      score: r.score,
      distance: r.distance,
      snapshotJpeg: face.crop ? await encodeJpeg(face.crop, 85) : null,
      modelId: face.embeddingModel ?? null,
      embedding: face.embedding ?? null,
      contentHash: hash,
    }).id;
  }
}

/** The identity of an image's content: its decoded pixels and size (not its file's bytes or name). */
function imageHash(image: RgbImage): string {
  return `${contentHash(image.data)}:${image.width}x${image.height}`;
}

/** The same face found again in the same pixels (detection is deterministic; 1 px allows for rounding). */
function sameBox(a: Box, b: Box): boolean {
  return (
    Math.abs(a.x - b.x) <= 1 &&
    Math.abs(a.y - b.y) <= 1 &&
    Math.abs(a.width - b.width) <= 1 &&
    Math.abs(a.height - b.height) <= 1
  );
}

async function writeAnnotated(
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
