// The face engine's verbs on images — detect, embed, compare, face crops — shared by the CLI and the HTTP
// API, as files or as uploaded bytes. Results follow ../shared/CONVENTIONS.md: one result per input, an
// unreadable input carries an error instead of faces and never stops the others; numbers are rounded
// here, once, for every caller. Each verb is one unit of the scheduler (decoding included, so waiting
// work holds only compressed bytes); `work` says whose turn it is.
import path from 'node:path';
import { FaceAnalyzer, type AnalyzerOptions } from '../../engine/analyzer.js';
import { compareEmbeddings, type Comparison } from '../../engine/compare.js';
import { largestFace, type Face } from '../../engine/face.js';
import { decodeImage, MAX_PIXELS } from '../../engine/image/decode.js';

/** What a folder of photos is read for (the decoder's list). */
export { PHOTO_EXTENSIONS } from '../../engine/image/decode.js';
import { encodeJpeg } from '../../engine/image/encode.js';
import type { Box, RgbImage } from '../../engine/types.js';
import { faceJson, qualityJson, round, roundBox, type FaceJson, type FaceQualityJson } from '../json.js';
import { isVisageError, VisageError } from '../../errors.js';
import { Scheduler, type WorkOptions } from '../scheduler.js';
import { resolveEmbedder } from '../models/registry.js';

export interface ServiceOptions {
  dataDir: string;
  threads?: number;
  maxPixels?: number;
  detector?: string;
  embedder?: string;
  /** Flip TTA for the embedder (default: the engine's defaultFlip: on for dlib-resnet). */
  flip?: boolean;
  /** Every model in float32; by default a model whose int8 variant kept parity runs that (MODELS.md). */
  fp32?: boolean;
  onConvert?: (message: string) => void;
}

export interface ImageErrorJson {
  code: string;
  message: string;
}

/** One input's result: its size plus `T`, or the error that made it unreadable (the others still run). */
export type PerImage<T> =
  ({ file: string; width: number; height: number } & T) | { file: string; error: ImageErrorJson };

export type ImageResult = PerImage<{ faces: FaceJson[] }>;

/** An uploaded image: its bytes and the client's file name (for messages and reports only). */
export interface ImageBytes {
  bytes: Buffer;
  name: string;
}

/** 1:1 verification, rounded (distance to 5 decimals, score to 4) like every other result. */
export interface CompareResult extends Comparison {
  model: string;
  a: { file: string; box: Box };
  b: { file: string; box: Box };
}

export interface FaceCrop {
  box: Box;
  quality: FaceQualityJson;
  /** `data:image/jpeg;base64,…`: the upright crop the embedder would see. */
  crop: string;
}

export type Sized<T> = { width: number; height: number } & T;

export class FaceService {
  /** The engine itself, for callers that are already inside a scheduled unit (recognition, enrolment). */
  readonly analyzer: FaceAnalyzer;
  private readonly maxPixels: number;
  /** The data directory it was opened on (where registered models and their registry live). */
  readonly dataDir: string;

  constructor(
    options: ServiceOptions,
    readonly scheduler: Scheduler = new Scheduler(),
  ) {
    const analyzerOptions: AnalyzerOptions = {
      cacheDir: path.join(options.dataDir, 'models'),
      threads: options.threads,
      onConvert: options.onConvert,
      detector: options.detector,
      // The data directory's registered embedders join the catalog here (service/models/registry.ts).
      embedder: resolveEmbedder(options.dataDir, options.embedder),
      flip: options.flip,
      ...(options.fp32 ? { int8: [] } : {}),
    };
    this.analyzer = new FaceAnalyzer(analyzerOptions);
    this.dataDir = options.dataDir;
    this.maxPixels = options.maxPixels ?? MAX_PIXELS;
  }

  get embeddingModel(): string {
    return this.analyzer.embedder.modelId;
  }

  /** The embedder averages each face with its mirror image (flip TTA): the Recognizer's calibration needs it. */
  get embeddingFlip(): boolean {
    return this.analyzer.embedder.flip;
  }

  /** Decodes a file, or bytes named `name` in error messages (an upload's file name). */
  loadImage(file: string | Buffer, name?: string): Promise<RgbImage> {
    return decodeImage(file, { maxPixels: this.maxPixels, name });
  }

  async detectFile(file: string, withEmbeddings = false, work: WorkOptions = {}): Promise<ImageResult> {
    return this.scheduler.run(
      () => this.perImage(file, async (image) => ({ faces: await this.detectImage(image, withEmbeddings) })),
      work,
    );
  }

  /** Faces of an upload: box, score, key points, quality (and embeddings when asked). */
  async detectBytes(
    input: ImageBytes,
    withEmbeddings = false,
    work: WorkOptions = {},
  ): Promise<Sized<{ faces: FaceJson[] }>> {
    return this.scheduler.run(async () => {
      const image = await this.loadImage(input.bytes, input.name);
      return {
        width: image.width,
        height: image.height,
        faces: await this.detectImage(image, withEmbeddings),
      };
    }, work);
  }

  /** Each face of an upload as an upright JPEG crop with its quality: what a UI offers to enrol. */
  async cropsBytes(input: ImageBytes, work: WorkOptions = {}): Promise<Sized<{ faces: FaceCrop[] }>> {
    return this.scheduler.run(async () => {
      const image = await this.loadImage(input.bytes, input.name);
      const faces = await this.analyzer.detect(image);
      return {
        width: image.width,
        height: image.height,
        faces: await Promise.all(
          faces.map(async (f) => ({
            box: roundBox(f.box),
            quality: qualityJson(f.quality!),
            crop: `data:image/jpeg;base64,${(await encodeJpeg(f.crop!, 92)).toString('base64')}`,
          })),
        ),
      };
    }, work);
  }

  /**
   * 1:1 verification on the largest face of each image (files, or uploads). `no_face` names the image
   * without a face in `details.image` ('a' or 'b').
   */
  async compare(
    a: string | ImageBytes,
    b: string | ImageBytes,
    work: WorkOptions = {},
  ): Promise<CompareResult> {
    return this.scheduler.run(async () => {
      const fa = await this.largestOf(a, 'a');
      const fb = await this.largestOf(b, 'b');
      return this.comparison(fa, fb, nameOf(a), nameOf(b));
    }, work);
  }

  /** `compare` on two files. */
  compareFiles(a: string, b: string, work: WorkOptions = {}): Promise<CompareResult> {
    return this.compare(a, b, work);
  }

  /** Two already embedded faces compared, rounded as `compare` returns it. */
  comparison(fa: Face, fb: Face, fileA: string, fileB: string): CompareResult {
    const c = compareEmbeddings(fa.embedding!, fb.embedding!, this.embeddingModel);
    return {
      model: this.embeddingModel,
      distance: round(c.distance, 5),
      score: round(c.score, 4),
      threshold: c.threshold,
      same: c.same,
      a: { file: fileA, box: roundBox(fa.box) },
      b: { file: fileB, box: roundBox(fb.box) },
    };
  }

  /** The largest face of an image (file, or bytes named `name`), embedded; `no_face` when there is none. */
  async largestFace(
    input: string | Buffer,
    name = typeof input === 'string' ? input : 'the image',
    work: WorkOptions = {},
  ): Promise<Face> {
    return this.scheduler.run(async () => {
      const face = largestFace(await this.analyzer.analyze(await this.loadImage(input, name)));
      if (!face) throw new VisageError('no_face', `no face found in ${name}`, { file: name });
      return face;
    }, work);
  }

  async close(): Promise<void> {
    await this.analyzer.close();
  }

  /** Decodes `file` and runs `run` on it; a VisageError becomes the file's error entry instead of a throw. */
  async perImage<T extends object>(file: string, run: (image: RgbImage) => Promise<T>): Promise<PerImage<T>> {
    try {
      const image = await this.loadImage(file);
      return { file, width: image.width, height: image.height, ...(await run(image)) };
    } catch (e) {
      if (!isVisageError(e)) throw e;
      return { file, error: { code: e.code, message: e.message } };
    }
  }

  private async detectImage(image: RgbImage, withEmbeddings: boolean): Promise<FaceJson[]> {
    const faces = withEmbeddings ? await this.analyzer.analyze(image) : await this.analyzer.detect(image);
    return faces.map((f) => faceJson(f, withEmbeddings));
  }

  private largestOf(input: string | ImageBytes, which: 'a' | 'b'): Promise<Face> {
    const promise =
      typeof input === 'string' ? this.largestFace(input) : this.largestFace(input.bytes, input.name);
    return promise.catch((e: unknown) => {
      if (isVisageError(e) && e.code === 'no_face') e.details.image = which;
      throw e;
    });
  }
}

const nameOf = (input: string | ImageBytes): string => (typeof input === 'string' ? input : input.name);
