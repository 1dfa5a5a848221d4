// Converted models are cached as .onnx files in the data directory, converted once on first use.
// The cache key covers the source files (size + mtime) and the converter version, so an upgraded npm
// package or converter re-converts; a sidecar checksum catches a damaged or half-written file.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ModelSpec } from './catalog.js';
import { convertModel } from './convert/index.js';
import { buildInt8, QUANTIZER_VERSION, readCalibration } from './quantize/int8.js';

/** Bump when any converter's output changes, to invalidate every cached model. */
export const CONVERTER_VERSION = 1;

interface CacheEntry {
  key: string;
  sha256: string;
  convertedAt: string;
}

export async function loadModelBytes(
  spec: ModelSpec,
  cacheDir: string,
  onConvert?: (message: string) => void,
): Promise<Uint8Array> {
  if (spec.source.sha256) return readRegistered(spec);
  const key = await sourceKey(spec);
  const onnxPath = path.join(cacheDir, `${spec.id}.onnx`);
  const cached = await readCached(onnxPath, `${onnxPath}.json`, key);
  if (cached) return cached;

  onConvert?.(`converting model ${spec.id} from ${spec.source.package} (first use; cached in ${cacheDir})`);
  const bytes = await convertModel(spec);
  await writeCached(cacheDir, onnxPath, key, bytes);
  return bytes;
}

/**
 * The int8 variant (quantize/int8.ts), built from the cached float model and the model's committed
 * calibration on first use and cached next to it; the key covers both, and the quantizer's version.
 */
export async function loadInt8ModelBytes(
  spec: ModelSpec,
  cacheDir: string,
  onConvert?: (message: string) => void,
  calibrationDir?: string,
): Promise<Uint8Array> {
  const fp32 = await loadModelBytes(spec, cacheDir, onConvert);
  const { calibration, sha256: calibrationSha } = readCalibration(spec.id, calibrationDir);
  const key = `${sha256(fp32)}:${calibrationSha}:${QUANTIZER_VERSION}`;
  const onnxPath = path.join(cacheDir, `${spec.id}.int8.onnx`);
  const cached = await readCached(onnxPath, `${onnxPath}.json`, key);
  if (cached) return cached;
  onConvert?.(`quantizing model ${spec.id} to int8 (first use; cached in ${cacheDir})`);
  const bytes = buildInt8(fp32, calibration);
  await writeCached(cacheDir, onnxPath, key, bytes);
  return bytes;
}

async function writeCached(
  cacheDir: string,
  onnxPath: string,
  key: string,
  bytes: Uint8Array,
): Promise<void> {
  const metaPath = `${onnxPath}.json`;
  await fs.mkdir(cacheDir, { recursive: true });
  // Write to temporary names and rename, so a crash never leaves a truncated model under the real name.
  const entry: CacheEntry = { key, sha256: sha256(bytes), convertedAt: new Date().toISOString() };
  const tmp = `${onnxPath}.${process.pid}.tmp`;
  await fs.writeFile(tmp, bytes);
  await fs.rename(tmp, onnxPath);
  await fs.writeFile(`${metaPath}.${process.pid}.tmp`, JSON.stringify(entry, null, 2));
  await fs.rename(`${metaPath}.${process.pid}.tmp`, metaPath);
}

/** A registered model's file, read where it is: refused when its checksum is not the registered one. */
async function readRegistered(spec: ModelSpec): Promise<Uint8Array> {
  const file = spec.source.file;
  const bytes = new Uint8Array(await fs.readFile(file));
  if (sha256(bytes) !== spec.source.sha256) {
    throw new Error(
      `model ${spec.id}: ${file} is damaged or was replaced (its SHA-256 is not the one recorded when it was registered); add the model again`,
    );
  }
  return bytes;
}

async function readCached(onnxPath: string, metaPath: string, key: string): Promise<Uint8Array | null> {
  try {
    const entry = JSON.parse(await fs.readFile(metaPath, 'utf8')) as CacheEntry;
    if (entry.key !== key) return null;
    const bytes = new Uint8Array(await fs.readFile(onnxPath));
    return sha256(bytes) === entry.sha256 ? bytes : null;
  } catch {
    return null; // missing or unreadable cache: convert again
  }
}

/**
 * What the cache holds for a model, without converting anything (`visage doctor`): `ready` (converted
 * from today's package files, checksum right), `stale` (from other package files or converter version:
 * converted again on next use), `damaged` (checksum wrong), `missing` (not converted yet).
 */
export async function cacheState(
  spec: ModelSpec,
  cacheDir: string,
): Promise<'ready' | 'stale' | 'damaged' | 'missing'> {
  if (spec.source.sha256) {
    try {
      return sha256(new Uint8Array(await fs.readFile(spec.source.file))) === spec.source.sha256
        ? 'ready'
        : 'damaged';
    } catch {
      return 'missing';
    }
  }
  const onnxPath = path.join(cacheDir, `${spec.id}.onnx`);
  let entry: CacheEntry;
  try {
    entry = JSON.parse(await fs.readFile(`${onnxPath}.json`, 'utf8')) as CacheEntry;
  } catch {
    return 'missing';
  }
  let key: string;
  try {
    key = await sourceKey(spec);
  } catch {
    return 'stale'; // the package's files are gone: cannot be rebuilt, and not known to match
  }
  if (entry.key !== key) return 'stale';
  try {
    return sha256(new Uint8Array(await fs.readFile(onnxPath))) === entry.sha256 ? 'ready' : 'damaged';
  } catch {
    return 'missing';
  }
}

async function sourceKey(spec: ModelSpec): Promise<string> {
  const h = createHash('sha256').update(`${spec.id}:${CONVERTER_VERSION}`);
  for (const file of spec.source.files()) {
    const st = await fs.stat(file);
    h.update(`${path.basename(file)}:${st.size}:${st.mtimeMs}`);
  }
  return h.digest('hex');
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
