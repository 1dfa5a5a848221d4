// The faces bench/openset.ts measures: every photo of ../shared/faces/dev (largest face), people/ and
// knn/train (largest face, as enrolment takes it) and the labelled scenes (every face, in label order),
// each found by Visage's own detector and landmarks and embedded by every embedder, plain and mirrored.
// Vectors are cached on disk (test-output/openset/cache/, gitignored) keyed by model + variant + the
// photo's SHA-256, so a rerun only embeds what is new. Nothing here is committed: it is derived per photo.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FaceAnalyzer } from '../src/engine/analyzer.js';
import { FaceEmbedder } from '../src/engine/embed/embedder.js';
import { largestFace, type FaceQuality } from '../src/engine/face.js';
import { decodeImage } from '../src/engine/image/decode.js';
import { resizeBilinear } from '../src/engine/image/pixels.js';
import { hasInt8Calibration } from '../src/engine/models/quantize/int8.js';
import type { Box, Point, RgbImage } from '../src/engine/types.js';
import { facePath, galleryImages, inLabelOrder, loadLabels } from './dataset.js';

export const OUT_DIR = path.resolve(import.meta.dirname, '../test-output/openset');
const CACHE_DIR = path.join(OUT_DIR, 'cache');
/** Bump when detection or alignment changes, to re-embed everything. */
const CACHE_VERSION = 1;

export const EMBEDDERS = ['dlib-resnet', 'faceres', 'faceres-deep', 'mobileface', 'fr-feature'] as const;
export type EmbedderId = (typeof EMBEDDERS)[number];

/** Face sizes (shorter box side, px) dev photos are shrunk to for the small-face study. */
export const SMALL_SIZES = [24, 32, 40] as const;

export interface FaceRecord {
  /** 'dev' | 'people' | 'knn-train' | 'scene'. */
  set: string;
  person: string;
  file: string;
  /** 'full' or 'small-<px>'. */
  variant: string;
  box: Box;
  keypoints: Point[];
  quality: FaceQuality;
  /** Per model: the embedding of the aligned crop and of its mirror image (both L2-normalised). */
  vectors: Record<string, { plain: Float32Array; mirrored: Float32Array }>;
}

interface Photo {
  set: string;
  file: string;
  /** One label per face to keep (largest face only: one label). Scenes: label order. */
  labels: string[];
  allFaces: boolean;
}

export function photos(): Photo[] {
  const out: Photo[] = [];
  const dev = facePath('dev');
  for (const person of fs.readdirSync(dev).sort()) {
    for (const f of fs.readdirSync(path.join(dev, person)).sort()) {
      out.push({ set: 'dev', file: path.join(dev, person, f), labels: [person], allFaces: false });
    }
  }
  for (const [folder, set] of [
    ['people', 'people'],
    ['knn/train', 'knn-train'],
  ] as const) {
    for (const [name, files] of galleryImages(folder)) {
      for (const file of files) out.push({ set, file, labels: [name], allFaces: false });
    }
  }
  for (const [scene, label] of Object.entries(loadLabels().scenes)) {
    out.push({ set: `scene-${label.gallery}`, file: facePath(scene), labels: label.faces, allFaces: true });
  }
  return out;
}

const b64 = (v: Float32Array): string => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
const unb64 = (s: string): Float32Array => {
  const b = Buffer.from(s, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};

interface CachedFace {
  person: string;
  box: Box;
  keypoints: Point[];
  quality: FaceQuality;
  vectors: Record<string, [string, string]>;
}
type Cache = Record<string, CachedFace[]>;

/** Models that run in int8 by default (sessions.ts) embed differently: their vectors get a cache of their own. */
const INT8 = EMBEDDERS.filter((id) => hasInt8Calibration(id));
const PRECISION = INT8.length > 0 ? `-int8-${INT8.join('+')}` : '';

function cachePath(variant: string): string {
  return path.join(CACHE_DIR, `faces-v${CACHE_VERSION}-${variant}${PRECISION}.json`);
}
function readCache(variant: string): Cache {
  try {
    return JSON.parse(fs.readFileSync(cachePath(variant), 'utf8')) as Cache;
  } catch {
    return {};
  }
}
function writeCache(variant: string, cache: Cache): void {
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  const tmp = `${cachePath(variant)}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(cache));
  fs.renameSync(tmp, cachePath(variant));
}

export interface Timing {
  /** Median ms per face for one aligned crop (align + one net run), per model. */
  msPerFace: Record<string, number>;
}

/**
 * Loads (embedding what is missing) every face of the variant: 'full' covers all photos; 'small-N'
 * covers dev photos shrunk so that their largest face is N px (photos whose face is already smaller are
 * left out, as are those where no face is found after shrinking: that is what enrolment would meet).
 */
export async function loadFaces(variant: string, log: (m: string) => void = () => {}): Promise<FaceRecord[]> {
  const cache = readCache(variant);
  const full = variant === 'full' ? cache : readCache('full');
  const list = variant === 'full' ? photos() : photos().filter((p) => p.set === 'dev');
  const key = (file: string): string =>
    createHash('sha256').update(fs.readFileSync(file)).digest('hex').slice(0, 32);
  const keys = list.map((p) => key(p.file));
  const missing = list.filter((_, i) => !cache[keys[i]!] || !hasAll(cache[keys[i]!]!));
  if (missing.length > 0) {
    log(`openset: embedding ${missing.length} photos (${variant})`);
    const modelCache = path.join(os.tmpdir(), 'visage-bench-models');
    const analyzer = new FaceAnalyzer({ cacheDir: modelCache, onConvert: log });
    const embedders = EMBEDDERS.map((id) => new FaceEmbedder(analyzer.runtime, id));
    let done = 0;
    for (const p of missing) {
      const k = key(p.file);
      let image = await decodeImage(p.file);
      if (variant !== 'full') {
        const target = Number(variant.slice('small-'.length));
        const big = full[k]?.[0];
        if (!big || big.quality.size <= target) {
          cache[k] = [];
          continue;
        }
        const f = target / big.quality.size;
        image = resizeBilinear(image, Math.max(1, Math.round(image.width * f)), Math.round(image.height * f));
      }
      const faces = await analyzer.detect(image);
      const kept = p.allFaces
        ? inLabelOrder(faces, p.labels.length).listed.map((f, i) => ({ f, person: p.labels[i]! }))
        : faces.length > 0
          ? [{ f: largestFace(faces)!, person: p.labels[0]! }]
          : [];
      const out: CachedFace[] = [];
      for (const { f, person } of kept) {
        const vectors: Record<string, [string, string]> = {};
        for (const e of embedders) {
          const [crop] = e.align(image, [f.keypoints]);
          const [plain, mirrored] = await embedPair(e, crop!);
          vectors[e.modelId] = [b64(plain), b64(mirrored)];
        }
        out.push({ person, box: f.box, keypoints: f.keypoints, quality: f.quality!, vectors });
      }
      cache[k] = out;
      if (++done % 50 === 0) {
        log(`openset: ${done}/${missing.length}`);
        writeCache(variant, cache);
      }
    }
    writeCache(variant, cache);
    await analyzer.close();
  }
  return list.flatMap((p, i) =>
    (cache[keys[i]!] ?? []).map((c): FaceRecord => ({
      set: p.set,
      person: c.person,
      file: p.file,
      variant,
      box: c.box,
      keypoints: c.keypoints,
      quality: c.quality,
      vectors: Object.fromEntries(
        Object.entries(c.vectors).map(([m, [a, b]]) => [m, { plain: unb64(a), mirrored: unb64(b) }]),
      ),
    })),
  );
}

function hasAll(faces: CachedFace[]): boolean {
  return faces.every((f) => EMBEDDERS.every((m) => f.vectors[m]));
}

async function embedPair(e: FaceEmbedder, crop: RgbImage): Promise<[Float32Array, Float32Array]> {
  const { mirror } = await import('../src/engine/embed/embedder.js');
  const [a] = await e.embedCrops([crop]);
  const [b] = await e.embedCrops([mirror(crop)]);
  return [a!, b!];
}

/** Median ms per face of each embedder (align + net) on a few dev faces, after a warm-up. */
export async function measureCost(faces: readonly FaceRecord[], runs = 30): Promise<Record<string, number>> {
  const modelCache = path.join(os.tmpdir(), 'visage-bench-models');
  const analyzer = new FaceAnalyzer({ cacheDir: modelCache });
  const sample = faces.filter((f) => f.set === 'dev').slice(0, runs);
  const images = await Promise.all(sample.map((f) => decodeImage(f.file)));
  const out: Record<string, number> = {};
  for (const id of EMBEDDERS) {
    const e = new FaceEmbedder(analyzer.runtime, id);
    await e.embed(images[0]!, [sample[0]!.keypoints]);
    const times: number[] = [];
    for (let i = 0; i < sample.length; i++) {
      const t = performance.now();
      await e.embed(images[i]!, [sample[i]!.keypoints]);
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    out[id] = Number(times[times.length >> 1]!.toFixed(2));
  }
  await analyzer.close();
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const v of process.argv.slice(2).length ? process.argv.slice(2) : ['full']) {
    const faces = await loadFaces(v, (m) => console.error(m));
    console.error(`${v}: ${faces.length} faces`);
  }
}
