// The domain verbs on image files — detect, embed, compare — shared by the CLI and the HTTP API.
// Results follow ../shared/CONVENTIONS.md: one result per input, an unreadable input carries an error
// instead of faces and never stops the others.
import path from 'node:path';
import { FaceAnalyzer, type AnalyzerOptions } from '../../engine/analyzer.js';
import { compareEmbeddings, type Comparison } from '../../engine/compare.js';
import { largestFace, type Face } from '../../engine/face.js';
import { decodeImage, MAX_PIXELS } from '../../engine/image/decode.js';
import type { Box, RgbImage } from '../../engine/types.js';
import { faceJson, roundBox, type FaceJson } from '../json.js';
import { isVisageError, VisageError } from '../../errors.js';

export interface ServiceOptions {
  dataDir: string;
  threads?: number;
  maxPixels?: number;
  detector?: string;
  embedder?: string;
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

export interface CompareResult extends Comparison {
  model: string;
  a: { file: string; box: Box };
  b: { file: string; box: Box };
}

export class FaceService {
  readonly analyzer: FaceAnalyzer;
  private readonly maxPixels: number;

  constructor(options: ServiceOptions) {
    const analyzerOptions: AnalyzerOptions = {
      cacheDir: path.join(options.dataDir, 'models'),
      threads: options.threads,
      onConvert: options.onConvert,
      detector: options.detector,
      embedder: options.embedder,
    };
    this.analyzer = new FaceAnalyzer(analyzerOptions);
    this.maxPixels = options.maxPixels ?? MAX_PIXELS;
  }

  get embeddingModel(): string {
    return this.analyzer.embedder.modelId;
  }

  /** Decodes a file, or bytes named `name` in error messages (an upload's file name). */
  loadImage(file: string | Buffer, name?: string): Promise<RgbImage> {
    return decodeImage(file, { maxPixels: this.maxPixels, name });
  }

  async detectFile(file: string, withEmbeddings = false): Promise<ImageResult> {
    return this.perImage(file, async (image) => {
      const faces = withEmbeddings ? await this.analyzer.analyze(image) : await this.analyzer.detect(image);
      return { faces: faces.map((f) => faceJson(f, withEmbeddings)) };
    });
  }

  /** 1:1 verification on the largest face of each image. */
  async compareFiles(a: string, b: string): Promise<CompareResult> {
    const [fa, fb] = [await this.largestFace(a), await this.largestFace(b)];
    return {
      model: this.embeddingModel,
      ...compareEmbeddings(fa.embedding!, fb.embedding!, this.embeddingModel),
      a: { file: a, box: roundBox(fa.box) },
      b: { file: b, box: roundBox(fb.box) },
    };
  }

  /** The largest face of an image (file, or bytes named `name`), embedded; `no_face` when there is none. */
  async largestFace(
    input: string | Buffer,
    name = typeof input === 'string' ? input : 'the image',
  ): Promise<Face> {
    const face = largestFace(await this.analyzer.analyze(await this.loadImage(input, name)));
    if (!face) throw new VisageError('no_face', `no face found in ${name}`, { file: name });
    return face;
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
}
