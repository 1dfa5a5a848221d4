// Reading an archive's manifest as untrusted input: every field is checked for type and range, every
// reference for a target, every vector for its model's dimension and unit length, every crop and
// snapshot for being a real JPEG within the size limits, and nothing may appear twice. Only a manifest
// that passes all of it reaches the database (archive.ts writes it in one transaction), so a rejected
// archive changes nothing; the error names the first offending entry (`details.entry`, e.g.
// `people[3].samples[1].box`).
import sharp from 'sharp';
import { VisageError } from '../../errors.js';
import type { Box } from '../../engine/types.js';
import { listModels } from '../../engine/models/catalog.js';
import { MAX_NOTE_LENGTH } from '../../gallery/people-repository.js';
import { nameKey } from '../../gallery/names.js';
import type { AuditEntry } from '../../gallery/audit-log.js';
import type { RecognitionEvent } from '../../gallery/events-repository.js';
import { blobToVector } from '../../gallery/vectors.js';
import { invalidArchive, type TarReader } from './tar.js';

export const ARCHIVE_FORMAT = 'visage-archive';
export const ARCHIVE_VERSION = 1;
export const MANIFEST = 'manifest.json';

/**
 * Largest manifest read. V8 cannot hold a string much above 512 MB; 256 MB is the metadata of about a
 * million samples, beyond any gallery Visage's 1:N search is measured for (bench/gallery.ts).
 */
const MAX_MANIFEST_BYTES = 256 * 1024 * 1024;
/**
 * Largest crop or snapshot. The engine stores 192×192 JPEGs of 10–30 KB; 2 MB leaves room for larger
 * crops a later version might make while refusing a photo-sized payload hidden in each sample.
 */
export const MAX_JPEG_BYTES = 2 * 1024 * 1024;
/** …and its largest side: crops are 192 px, so 4096 px is room to spare, not a photo. */
export const MAX_JPEG_SIDE = 4096;
/**
 * How far a vector's length may be from 1. Visage stores L2-normalised float32 vectors, whose length is
 * 1 within ~1e-6 after float32 rounding; 1e-3 accepts any vector a model normalised and refuses
 * unnormalised ones (raw dlib descriptors have length ≈ 0.6–0.9) and absurd ones (1e30).
 */
export const UNIT_NORM_TOLERANCE = 1e-3;
/**
 * Times are ms since the epoch; beyond year 2286 (1e13 ms) is no time Visage wrote, and would not fit
 * the UI's date formatting.
 */
const MAX_TIME_MS = 1e13;
/** Box coordinates: images are at most 65535 px a side (PNG/JPEG headers); 1e6 is generous. */
const MAX_COORDINATE = 1e6;
/** Free-text fields other than names and notes (source names, content hashes, event sources). */
const MAX_TEXT = 4096;
/** Quality figures are a handful of named numbers (size, sharpness, yaw, pitch, roll). */
const MAX_QUALITY_KEYS = 32;

export interface VectorRef {
  model: number;
  row: number;
}

export interface ManifestModel {
  id: string;
  dim: number;
  file: string;
  rows: number;
}

export interface ManifestSample {
  id: number;
  sourceName: string;
  contentHash: string;
  box: Box | null;
  quality: Record<string, unknown> | null;
  createdAt: number;
  crop: string | null;
  embeddings: VectorRef[];
}

export interface ManifestNegative {
  vector: VectorRef;
  eventId: number | null;
  createdAt: number;
}

export interface ManifestPerson {
  id: number;
  name: string;
  note: string;
  createdAt: number;
  updatedAt: number;
  samples: ManifestSample[];
  negatives: ManifestNegative[];
}

/** An event as the archive lists it: the stored record's fields, with its files named instead of held. */
export interface ManifestEvent extends Pick<
  RecognitionEvent,
  'id' | 'time' | 'source' | 'offsetS' | 'frame' | 'box' | 'personId' | 'score' | 'distance'
> {
  snapshot: string | null;
  embedding: VectorRef | null;
}

export interface Manifest {
  format: typeof ARCHIVE_FORMAT;
  version: number;
  exportedAt: number;
  models: ManifestModel[];
  people: ManifestPerson[];
  events: ManifestEvent[];
  /** One person's export: the audit entries about them, for people to read; not imported. */
  audit?: AuditEntry[];
}

/** A manifest that passed every check, with its vectors loaded. */
export interface ValidArchive {
  manifest: Manifest;
  /** Per model (manifest.models order): all rows, packed. */
  vectors: Float32Array[];
}

/** The first problem found, at `entry` (a path into the manifest such as `people[2].name`). */
class Invalid extends Error {
  constructor(
    readonly entry: string,
    readonly problem: string,
  ) {
    super(`${entry}: ${problem}`);
  }
}

const fail = (entry: string, problem: string): never => {
  throw new Invalid(entry, problem);
};

/**
 * Reads and checks the whole archive without writing anything. Errors: `invalid_archive` (details.entry
 * names the offending entry), `unsupported_archive_version`, `dimension_mismatch` (the catalog's or this
 * gallery's dimension differs from the archive's: importing it would break every later search).
 */
export async function validateArchive(
  tar: TarReader,
  file: string,
  galleryDims: ReadonlyMap<string, number>,
): Promise<ValidArchive> {
  const raw = readManifestJson(tar, file);
  try {
    const manifest = checkManifest(raw, file, tar);
    for (const m of manifest.models) {
      const dim = galleryDims.get(m.id);
      if (dim !== undefined && dim !== m.dim) {
        throw new VisageError(
          'dimension_mismatch',
          `${file} has ${m.dim}-D vectors for model ${m.id}, this gallery ${dim}-D; nothing was imported`,
          { file, modelId: m.id, expected: dim, actual: m.dim },
        );
      }
    }
    const vectors = manifest.models.map((m, n) => readVectors(tar, m, n));
    checkVectorRefs(manifest);
    await checkImages(manifest, tar);
    return { manifest, vectors };
  } catch (e) {
    if (e instanceof Invalid) {
      throw new VisageError(
        'invalid_archive',
        `${file} is not a valid Visage archive: ${e.entry} ${e.problem}; nothing was imported.`,
        { file, entry: e.entry },
      );
    }
    throw e;
  }
}

function readManifestJson(tar: TarReader, file: string): unknown {
  if (!tar.has(MANIFEST))
    throw invalidArchive(file, `it has no ${MANIFEST} (a tar file, but not a Visage export)`);
  if (tar.size(MANIFEST) > MAX_MANIFEST_BYTES)
    throw invalidArchive(file, `its ${MANIFEST} is larger than ${MAX_MANIFEST_BYTES / 2 ** 20} MB`);
  try {
    return JSON.parse(tar.read(MANIFEST).toString('utf8')) as unknown;
  } catch {
    throw invalidArchive(file, `its ${MANIFEST} is not valid JSON`);
  }
}

// ---- the manifest's shape ----------------------------------------------------------------------------

type Obj = Record<string, unknown>;

function object(v: unknown, at: string): Obj {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(at, 'is not an object');
  return v as Obj;
}

function array(v: unknown, at: string): unknown[] {
  if (!Array.isArray(v)) fail(at, 'is not a list');
  return v as unknown[];
}

function text(v: unknown, at: string, { max = MAX_TEXT, empty = true } = {}): string {
  if (typeof v !== 'string') fail(at, 'is not a string');
  const s = v as string;
  if (!empty && s.length === 0) fail(at, 'is empty');
  if (s.length > max) fail(at, `is longer than ${max} characters`);
  return s;
}

function finite(v: unknown, at: string, min = -Infinity, max = Infinity): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(at, 'is not a finite number');
  const n = v as number;
  if (n < min || n > max) fail(at, `is ${n}, outside ${min}…${max}`);
  return n;
}

function integer(v: unknown, at: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const n = finite(v, at, min, max);
  if (!Number.isInteger(n)) fail(at, `is ${n}, not a whole number`);
  return n;
}

const time = (v: unknown, at: string): number => finite(v, at, 0, MAX_TIME_MS);

function nullable<T>(v: unknown, at: string, read: (v: unknown, at: string) => T): T | null {
  return v === null || v === undefined ? null : read(v, at);
}

function box(v: unknown, at: string): Box {
  const o = object(v, at);
  return {
    x: finite(o['x'], `${at}.x`, -MAX_COORDINATE, MAX_COORDINATE),
    y: finite(o['y'], `${at}.y`, -MAX_COORDINATE, MAX_COORDINATE),
    width: finite(o['width'], `${at}.width`, 0, MAX_COORDINATE),
    height: finite(o['height'], `${at}.height`, 0, MAX_COORDINATE),
  };
}

function quality(v: unknown, at: string): Record<string, number> {
  const o = object(v, at);
  const entries = Object.entries(o);
  if (entries.length > MAX_QUALITY_KEYS) fail(at, `has more than ${MAX_QUALITY_KEYS} figures`);
  return Object.fromEntries(
    entries.map(([k, x]) => [text(k, `${at} key`, { max: 64 }), finite(x, `${at}.${k}`)]),
  );
}

function vectorRef(v: unknown, at: string, models: readonly ManifestModel[]): VectorRef {
  const o = object(v, at);
  const model = integer(o['model'], `${at}.model`);
  const m = models[model] ?? fail(`${at}.model`, `is ${model}, but the archive has ${models.length} models`);
  const row = integer(o['row'], `${at}.row`);
  if (row >= m.rows) fail(`${at}.row`, `is ${row}, but ${m.file} has ${m.rows} rows`);
  return { model, row };
}

/** A crop or snapshot name: must be the archive entry the exporter writes for it, and present. */
function imageEntry(v: unknown, at: string, folder: 'crops' | 'snapshots', tar: TarReader): string {
  const name = text(v, at, { max: 100 });
  if (!new RegExp(`^${folder}/[0-9]+\\.jpg$`).test(name)) fail(at, `is "${name}", not ${folder}/<id>.jpg`);
  if (!tar.has(name)) fail(at, `refers to ${name}, which the archive does not hold`);
  if (tar.size(name) > MAX_JPEG_BYTES) fail(at, `${name} is larger than ${MAX_JPEG_BYTES / 2 ** 20} MB`);
  return name;
}

function checkManifest(raw: unknown, file: string, tar: TarReader): Manifest {
  const m = object(raw, MANIFEST);
  if (m['format'] !== ARCHIVE_FORMAT) throw invalidArchive(file, `its ${MANIFEST} is not a Visage export`);
  if (m['version'] !== ARCHIVE_VERSION) {
    const version = typeof m['version'] === 'number' ? m['version'] : String(m['version']).slice(0, 20);
    throw new VisageError(
      'unsupported_archive_version',
      `${file} is a version ${version} archive; this Visage reads version ${ARCHIVE_VERSION}. Use a matching Visage.`,
      { file, version },
    );
  }
  const exportedAt = time(m['exportedAt'], 'exportedAt');

  const catalog = new Map(
    listModels().flatMap((s) => (s.embedding ? [[s.id, s.embedding.dim] as const] : [])),
  );
  const modelIds = new Set<string>();
  const modelFiles = new Set<string>();
  const models = array(m['models'], 'models').map((v, n): ManifestModel => {
    const at = `models[${n}]`;
    const o = object(v, at);
    const id = text(o['id'], `${at}.id`, { max: 200, empty: false });
    const expected = catalog.get(id);
    if (expected === undefined)
      fail(
        `${at}.id`,
        `is "${id}", not an embedding model of this Visage (${[...catalog.keys()].join(', ')})`,
      );
    const dim = integer(o['dim'], `${at}.dim`, 1);
    if (dim !== expected) {
      throw new VisageError(
        'dimension_mismatch',
        `${file}: ${at}.dim declares ${dim}-D vectors for model ${id}, which makes ${expected}-D ones; nothing was imported`,
        { file, modelId: id, expected, actual: dim, entry: `${at}.dim` },
      );
    }
    const fileName = text(o['file'], `${at}.file`, { max: 100, empty: false });
    if (!/^vectors\/[0-9]+\.f32$/.test(fileName)) fail(`${at}.file`, `is "${fileName}", not vectors/<n>.f32`);
    if (modelIds.has(id)) fail(`${at}.id`, `repeats model ${id}`);
    if (modelFiles.has(fileName)) fail(`${at}.file`, `repeats ${fileName}`);
    modelIds.add(id);
    modelFiles.add(fileName);
    if (!tar.has(fileName)) fail(`${at}.file`, `refers to ${fileName}, which the archive does not hold`);
    const rows = integer(o['rows'], `${at}.rows`);
    if (tar.size(fileName) !== rows * dim * 4)
      fail(`${at}.file`, `${fileName} does not hold ${rows} vectors of ${dim} float32 values`);
    return { id, dim, file: fileName, rows };
  });

  // Ids only link entries inside the archive; each must be unique where it is defined.
  const personIds = new Set<number>();
  const names = new Map<string, string>();
  const sampleIds = new Set<number>();
  const people = array(m['people'], 'people').map((v, n): ManifestPerson => {
    const at = `people[${n}]`;
    const o = object(v, at);
    const id = integer(o['id'], `${at}.id`);
    if (personIds.has(id)) fail(`${at}.id`, `repeats person id ${id}`);
    personIds.add(id);
    const name = text(o['name'], `${at}.name`, { empty: false });
    let key: string;
    try {
      key = nameKey(name);
    } catch (e) {
      return fail(
        `${at}.name`,
        e instanceof VisageError ? `is not a valid name (${e.message})` : 'is not a valid name',
      );
    }
    const twin = names.get(key);
    if (twin !== undefined) fail(`${at}.name`, `"${name}" is the same name as ${twin}`);
    names.set(key, `${at}.name`);
    const hashes = new Set<string>();
    const samples = array(o['samples'], `${at}.samples`).map((sv, k): ManifestSample => {
      const sat = `${at}.samples[${k}]`;
      const s = object(sv, sat);
      const sid = integer(s['id'], `${sat}.id`);
      if (sampleIds.has(sid)) fail(`${sat}.id`, `repeats sample id ${sid}`);
      sampleIds.add(sid);
      const contentHash = text(s['contentHash'], `${sat}.contentHash`, { max: 200, empty: false });
      if (hashes.has(contentHash)) fail(`${sat}.contentHash`, `repeats another sample of this person`);
      hashes.add(contentHash);
      const embeddings = array(s['embeddings'], `${sat}.embeddings`).map((e, j) =>
        vectorRef(e, `${sat}.embeddings[${j}]`, models),
      );
      // A sample without an embedding cannot be searched, and the gallery would count it as enrolled.
      if (embeddings.length === 0) fail(`${sat}.embeddings`, 'is empty (a sample needs an embedding)');
      const perModel = new Set(embeddings.map((e) => e.model));
      if (perModel.size !== embeddings.length) fail(`${sat}.embeddings`, 'has two vectors of one model');
      return {
        id: sid,
        sourceName: text(s['sourceName'] ?? '', `${sat}.sourceName`),
        contentHash,
        box: nullable(s['box'], `${sat}.box`, box),
        quality: nullable(s['quality'], `${sat}.quality`, quality),
        createdAt: time(s['createdAt'], `${sat}.createdAt`),
        crop: nullable(s['crop'], `${sat}.crop`, (c, cat) => imageEntry(c, cat, 'crops', tar)),
        embeddings,
      };
    });
    return {
      id,
      name,
      note: text(o['note'] ?? '', `${at}.note`, { max: MAX_NOTE_LENGTH }),
      createdAt: time(o['createdAt'], `${at}.createdAt`),
      updatedAt: time(o['updatedAt'], `${at}.updatedAt`),
      samples,
      // Negatives refer to events, which are read below: their eventIds are checked there.
      negatives: array(o['negatives'] ?? [], `${at}.negatives`).map((nv, k): ManifestNegative => {
        const nat = `${at}.negatives[${k}]`;
        const x = object(nv, nat);
        return {
          vector: vectorRef(x['vector'], `${nat}.vector`, models),
          eventId: nullable(x['eventId'], `${nat}.eventId`, (e, eat) => integer(e, eat)),
          createdAt: time(x['createdAt'], `${nat}.createdAt`),
        };
      }),
    };
  });

  const eventIds = new Set<number>();
  const eventKeys = new Set<string>();
  const events = array(m['events'], 'events').map((v, n): ManifestEvent => {
    const at = `events[${n}]`;
    const o = object(v, at);
    const id = integer(o['id'], `${at}.id`);
    if (eventIds.has(id)) fail(`${at}.id`, `repeats event id ${id}`);
    eventIds.add(id);
    const personId = nullable(o['personId'], `${at}.personId`, (p, pat) => integer(p, pat));
    if (personId !== null && !personIds.has(personId))
      fail(`${at}.personId`, `is ${personId}, a person the archive does not hold`);
    const event: ManifestEvent = {
      id,
      time: time(o['time'], `${at}.time`),
      source: text(o['source'], `${at}.source`, { empty: false }),
      offsetS: nullable(o['offsetS'], `${at}.offsetS`, (x, xat) => finite(x, xat, 0)),
      frame: nullable(o['frame'], `${at}.frame`, (x, xat) => integer(x, xat)),
      box: box(o['box'], `${at}.box`),
      personId,
      // Scores are similarities in [0, 1]; distances are cosine distances of unit vectors, in [0, 2].
      score: nullable(o['score'], `${at}.score`, (x, xat) => finite(x, xat, 0, 1)),
      distance: nullable(o['distance'], `${at}.distance`, (x, xat) => finite(x, xat, 0, 2)),
      snapshot: nullable(o['snapshot'], `${at}.snapshot`, (c, cat) => imageEntry(c, cat, 'snapshots', tar)),
      embedding: nullable(o['embedding'], `${at}.embedding`, (e, eat) => vectorRef(e, eat, models)),
    };
    // The identity import uses to skip an event already present: two in one archive would be one.
    const key = `${event.time} ${event.source} ${event.frame} ${JSON.stringify(event.box)}`;
    if (eventKeys.has(key)) fail(at, 'repeats another event (same time, source, frame and box)');
    eventKeys.add(key);
    return event;
  });
  people.forEach((p, n) =>
    p.negatives.forEach((x, k) => {
      if (x.eventId !== null && !eventIds.has(x.eventId))
        fail(`people[${n}].negatives[${k}].eventId`, `is ${x.eventId}, an event the archive does not hold`);
    }),
  );
  return { format: ARCHIVE_FORMAT, version: ARCHIVE_VERSION, exportedAt, models, people, events };
}

// ---- vectors and images ------------------------------------------------------------------------------

function readVectors(tar: TarReader, m: ManifestModel, n: number): Float32Array {
  const vectors = blobToVector(tar.read(m.file));
  for (let row = 0; row < m.rows; row++) {
    let norm = 0;
    for (let i = row * m.dim; i < (row + 1) * m.dim; i++) norm += vectors[i]! * vectors[i]!;
    if (!Number.isFinite(norm)) fail(`models[${n}] ${m.file} row ${row}`, 'holds NaN or Infinity');
    if (Math.abs(Math.sqrt(norm) - 1) > UNIT_NORM_TOLERANCE)
      fail(
        `models[${n}] ${m.file} row ${row}`,
        `has length ${Math.sqrt(norm).toPrecision(4)}, not 1 (not normalised)`,
      );
  }
  return vectors;
}

/** Every vector is referred to by at most one sample, negative or event: an export writes each once. */
function checkVectorRefs(manifest: Manifest): void {
  const used = new Set<string>();
  const use = (r: VectorRef, at: string): void => {
    const key = `${r.model}:${r.row}`;
    if (used.has(key))
      fail(at, `uses vector row ${r.row} of ${manifest.models[r.model]!.file} a second time`);
    used.add(key);
  };
  manifest.people.forEach((p, n) => {
    p.samples.forEach((s, k) =>
      s.embeddings.forEach((e, j) => use(e, `people[${n}].samples[${k}].embeddings[${j}]`)),
    );
    p.negatives.forEach((x, k) => use(x.vector, `people[${n}].negatives[${k}].vector`));
  });
  manifest.events.forEach((e, n) => e.embedding && use(e.embedding, `events[${n}].embedding`));
}

async function checkImages(manifest: Manifest, tar: TarReader): Promise<void> {
  for (const [n, p] of manifest.people.entries())
    for (const [k, s] of p.samples.entries())
      if (s.crop) await checkJpeg(tar.read(s.crop), `people[${n}].samples[${k}].crop`);
  for (const [n, e] of manifest.events.entries())
    if (e.snapshot) await checkJpeg(tar.read(e.snapshot), `events[${n}].snapshot`);
}

/** A real JPEG: the header says so, the size is within limits, and it decodes to the end without error. */
export async function checkJpeg(bytes: Buffer, at: string): Promise<void> {
  // SOI marker: anything else (HTML, PNG, text) is refused before a decoder sees it.
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8 || bytes[2] !== 0xff)
    fail(at, 'is not a JPEG image');
  try {
    const meta = await sharp(bytes, { limitInputPixels: false }).metadata();
    if (meta.format !== 'jpeg') fail(at, `is ${meta.format}, not a JPEG image`);
    if (!meta.width || !meta.height || meta.width > MAX_JPEG_SIDE || meta.height > MAX_JPEG_SIDE)
      fail(at, `is ${meta.width}×${meta.height}, outside 1…${MAX_JPEG_SIDE} px a side`);
    await sharp(bytes, { failOn: 'error' }).raw().toBuffer();
  } catch (e) {
    if (e instanceof Invalid) throw e;
    fail(at, `is a damaged JPEG (${(e as Error).message.trim()})`);
  }
}
