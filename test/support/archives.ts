// Hand-made Visage archives for the archive-hardening and malformed-input tests: a valid one (real JPEG
// crops, unit 128-D vectors of the default model), and the same with any part of its manifest or entries
// changed. Nothing here runs a model, so hundreds of archives cost seconds.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import sharp from 'sharp';
import { TarWriter } from '../../src/service/archive/tar.js';
import { Gallery } from '../../src/gallery/gallery.js';
import { truncateWal } from '../../src/gallery/database.js';

export const MODEL = 'dlib-resnet';
export const DIM = 128;

/** A deterministic unit vector (different for each seed). */
export function unitVector(seed: number, dim = DIM): Float32Array {
  const v = new Float32Array(dim);
  let s = seed * 7919 + 1;
  for (let i = 0; i < dim; i++) {
    s = (s * 48271) % 2147483647;
    v[i] = s / 2147483647 - 0.5;
  }
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

let cropCache: Buffer | undefined;
/** A real 192×192 JPEG, as the engine's crops are. */
export async function cropJpeg(): Promise<Buffer> {
  cropCache ??= await sharp({ create: { width: 192, height: 192, channels: 3, background: '#a07050' } })
    .jpeg({ quality: 90 })
    .toBuffer();
  return cropCache;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyManifest = any;

export interface ArchiveParts {
  manifest: AnyManifest;
  /** Entry name → bytes (crops, snapshots, vectors). */
  entries: Map<string, Buffer>;
}

/** A valid archive's parts: `people` people with 5 samples each, one event per person, one negative. */
export async function validParts(people = 8): Promise<ArchiveParts> {
  const crop = await cropJpeg();
  const entries = new Map<string, Buffer>();
  const rows: Float32Array[] = [];
  const ref = (): { model: number; row: number } => {
    rows.push(unitVector(rows.length + 1));
    return { model: 0, row: rows.length - 1 };
  };
  const now = 1_700_000_000_000;
  const manifestPeople = Array.from({ length: people }, (_, p) => ({
    id: p + 1,
    name: `Person ${p + 1}`,
    note: '',
    createdAt: now,
    updatedAt: now,
    samples: Array.from({ length: 5 }, (_, k) => {
      const id = p * 5 + k + 1;
      entries.set(`crops/${id}.jpg`, crop);
      return {
        id,
        sourceName: `p${p}-${k}.jpg`,
        contentHash: `${p}-${k}`.padStart(64, '0'),
        box: { x: 10, y: 20, width: 100, height: 120 },
        quality: { size: 100, sharpness: 300, yaw: 1, pitch: 2, roll: 3 },
        createdAt: now,
        crop: `crops/${id}.jpg`,
        embeddings: [ref()],
      };
    }),
    negatives: [] as unknown[],
  }));
  const events = manifestPeople.map((p, n) => {
    entries.set(`snapshots/${n + 1}.jpg`, crop);
    return {
      id: n + 1,
      time: now + n,
      source: 'party.jpg',
      offsetS: null,
      frame: null,
      box: { x: n * 10, y: 0, width: 50, height: 60 },
      personId: p.id,
      score: 0.9,
      distance: 0.03,
      snapshot: `snapshots/${n + 1}.jpg`,
      embedding: ref(),
    };
  });
  manifestPeople[0]!.negatives.push({ vector: ref(), eventId: 2, createdAt: now });
  const packed = new Float32Array(rows.length * DIM);
  rows.forEach((v, i) => packed.set(v, i * DIM));
  entries.set('vectors/0.f32', Buffer.from(packed.buffer));
  const manifest = {
    format: 'visage-archive',
    version: 1,
    exportedAt: now,
    models: [{ id: MODEL, dim: DIM, file: 'vectors/0.f32', rows: rows.length }],
    people: manifestPeople,
    events,
  };
  return { manifest, entries };
}

/** Writes the parts as a tar file (manifest first, as `visage export` does; none when it is undefined). */
export function writeArchive(file: string, parts: ArchiveParts, manifestBytes?: Buffer): string {
  const tar = TarWriter.create(file);
  if (manifestBytes || parts.manifest !== undefined)
    tar.add('manifest.json', manifestBytes ?? Buffer.from(JSON.stringify(parts.manifest)));
  for (const [name, bytes] of parts.entries) tar.add(name, bytes);
  tar.close();
  return file;
}

/**
 * The database's whole content, every table and row in a fixed order (sqlite_sequence included, so a
 * rolled-back insert that consumed an id would show): equal dumps are the same database.
 */
export function dumpDatabase(dataDir: string): string {
  const g = Gallery.open(dataDir);
  try {
    const tables = g.db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .pluck()
      .all() as string[];
    const out: Record<string, unknown[]> = {};
    for (const t of tables) {
      out[t] = (g.db.prepare(`SELECT * FROM "${t}"`).raw(true).all() as unknown[][])
        .map((row) => row.map((v) => (Buffer.isBuffer(v) ? v.toString('base64') : v)))
        .map((row) => JSON.stringify(row))
        .sort();
    }
    return JSON.stringify(out);
  } finally {
    g.close();
  }
}

/** The database file's bytes after a checkpoint (WAL folded in), for a byte-for-byte comparison. */
export function databaseBytes(dataDir: string): Buffer {
  const g = Gallery.open(dataDir);
  try {
    truncateWal(g.db);
  } finally {
    g.close();
  }
  return fs.readFileSync(path.join(dataDir, 'visage.db'));
}

/**
 * A zip (stored, no compression) with entry names exactly as given — `../x`, `/abs/x` — which zip
 * libraries clean up when they write, so that hostile uploads can be made as an attacker would.
 */
export function rawZip(entries: readonly [string, Buffer][]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const n = Buffer.from(name, 'utf8');
    const crc = zlib.crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(n.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(n.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, n, data);
    centrals.push(central, n);
    offset += local.length + n.length + data.length;
  }
  const dir = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dir, end]);
}
