// 1:N search benchmark of the in-memory gallery index: today's exact path (int8 scan of every vector, then
// exact rescoring) against the coarse path (4-bit codes bound every vector's similarity, the int8 scan
// reads only the rows that may reach the 16th person's, then the same exact rescoring), in the same
// process, on the same index.
//
//   node --import tsx bench/gallery.ts [--sizes 10000,30000,100000,1000000] [--dim 128[,512,...]]
//        [--queries 200] [--similarity 0.7] [--rounds 3] [--dlib 1000000] [--db]
//
// Synthetic sets: each (size, dim) runs in a fresh child process so memory figures are not polluted by the
// previous run. Identities are random unit vectors (one sample each); queries are noisy copies with cosine
// `similarity` to their source, like a second photo. The dlib set (--dlib N, 0 to skip): the dlib-resnet
// embeddings (flip TTA, the default model) of every ../shared/faces/dev photo, even-numbered photos
// enrolled as their person's samples, odd-numbered ones as queries, among N distractors drawn from a
// Gaussian with the real embeddings' mean and covariance (each a random mix of 32 real ones).
//
// Every query is the recognizer's call, searchSamples(q, 16, 2). The two paths alternate query by query
// (which goes first alternates too), for `rounds` rounds; p50/p95 are per round and the medians over
// rounds are printed. Answers are compared in the first round: `same16` is the share of queries where the
// coarse path returned exactly what the exact path did (16 people, best two samples each, similarities);
// recall@1 and `top16` compare each path with an exact float32 search done independently by onnxruntime
// (Gemm over all vectors); `same2` compares only the best two people; `int8 read` is the mean share of
// the gallery the coarse path's int8 scan read. With --db the
// vectors are also written to a temporary gallery, which is reopened (quick_check) and loaded into an
// index, timing startup. Prints a table, then one line of JSON with every figure.
import ort from 'onnxruntime-node';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { FaceAnalyzer } from '../src/engine/analyzer.js';
import { FaceEmbedder } from '../src/engine/embed/embedder.js';
import { largestFace } from '../src/engine/face.js';
import { decodeImage } from '../src/engine/image/decode.js';
import { OnnxGraph, attr } from '../src/engine/models/onnx/graph.js';
import { EmbeddingIndex, type PersonSamples } from '../src/gallery/embedding-index.js';
import { Gallery } from '../src/gallery/gallery.js';
import { createRng, noisyCopy, randomUnitVector, type Rng } from '../src/gallery/random.js';
import { facePath } from './dataset.js';

/** What the recognizer asks for (recognizer.ts: DECISION_PEOPLE, SAMPLES_PER_PERSON). */
const PEOPLE = 16;
const SAMPLES = 2;

interface Timing {
  p50Ms: number;
  p95Ms: number;
}

interface Result {
  set: 'synthetic' | 'dlib';
  size: number;
  dim: number;
  queries: number;
  similarity?: number;
  buildMs: number;
  exact: Timing;
  coarse: Timing;
  /** exact p50 / coarse p50 (medians over rounds). */
  speedup: number;
  /** Per round: [exact p50, coarse p50]. */
  rounds: [number, number][];
  recallAt1: { exact: number; coarse: number };
  /** Share of queries whose 16 people (by best sample) equal the float32 reference's, per path. */
  top16: { exact: number; coarse: number };
  same16: number;
  /** Share of queries whose best two people (and their samples) are identical on both paths. */
  same2: number;
  /** Mean share of the gallery the coarse path's int8 scan read. */
  scannedShare: number;
  indexBytes: number;
  bytesPerVector: number;
  /** Of which the coarse pass: its codes, and its per-query scratch (scores, candidate list). */
  coarseCodeBytesPerVector: number;
  rssMiB: number;
  heapMiB: number;
  /** (RSS after building − RSS before) / size: the index's real cost per vector, maps included. */
  rssBytesPerVector: number;
  db?: { insertMs: number; fileMiB: number; openMs: number; loadMs: number };
}

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10000,30000,100000,1000000' },
    dim: { type: 'string', default: '128' },
    queries: { type: 'string', default: '200' },
    similarity: { type: 'string', default: '0.7' },
    rounds: { type: 'string', default: '3' },
    dlib: { type: 'string', default: '1000000' },
    db: { type: 'boolean', default: false },
    single: { type: 'string' },
  },
});

async function main(): Promise<void> {
  if (values.single) {
    const result =
      values.single === 'dlib'
        ? await runDlib(Number(values.sizes), Number(values.rounds))
        : await runSynthetic(
            Number(values.sizes),
            Number(values.dim),
            Number(values.queries),
            Number(values.similarity),
            Number(values.rounds),
            values.db,
          );
    process.stdout.write(JSON.stringify(result) + '\n');
    return;
  }
  const runs: { set: string; size: number; dim: number }[] = [];
  for (const dim of values.dim.split(',').map(Number))
    for (const size of values.sizes.split(',').map(Number)) runs.push({ set: 'synthetic', size, dim });
  if (Number(values.dlib) > 0) runs.push({ set: 'dlib', size: Number(values.dlib), dim: 128 });
  const results: Result[] = [];
  for (const run of runs) {
    const args = ['--import', 'tsx', import.meta.filename, '--single', run.set, '--sizes', String(run.size)];
    args.push('--dim', String(run.dim), '--queries', values.queries, '--similarity', values.similarity);
    args.push('--rounds', values.rounds, ...(values.db && run.set === 'synthetic' ? ['--db'] : []));
    const child = spawnSync(process.execPath, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 1 << 20,
    });
    if (child.status !== 0) throw new Error(`benchmark of ${run.set} ${run.size}×${run.dim} failed`);
    const result = JSON.parse(child.stdout.trim().split('\n').pop()!) as Result;
    results.push(result);
    printRow(result, results.length === 1);
  }
  console.log(
    JSON.stringify({
      benchmark: 'gallery-index',
      cpus: os.cpus().length,
      node: process.version,
      results,
    }),
  );
}

async function runSynthetic(
  size: number,
  dim: number,
  queryCount: number,
  similarity: number,
  rounds: number,
  withDb: boolean,
): Promise<Result> {
  // Vector i is drawn from its own seed, so the query sources can be made first and the gallery streamed
  // chunk by chunk into both the index and the exact reference: no second copy of the gallery is held.
  const vectorAt = (i: number): Float32Array => randomUnitVector(createRng(i + 1), dim);
  const rng = createRng(size ^ (dim << 20));
  const queries = Array.from({ length: queryCount }, () =>
    noisyCopy(rng, vectorAt(rng.int(size)), similarity),
  );
  const built = await buildIndex(queries, dim, size, (start, rows, chunk, add) => {
    for (let r = 0; r < rows; r++) chunk.set(vectorAt(start + r), r * dim);
    for (let r = 0; r < rows; r++) add(start + r + 1, start + r + 1, chunk.subarray(r * dim, (r + 1) * dim));
  });
  const result = compare('synthetic', built, queries, rounds, (row) => row + 1);
  result.similarity = similarity;
  if (withDb) result.db = dbStartup(size, vectorAt);
  return result;
}

/** The dlib set: real dev embeddings among `distractors` Gaussian ones (see the header). */
async function runDlib(distractors: number, rounds: number): Promise<Result> {
  const faces = await devEmbeddings();
  const dim = faces[0]!.vector.length;
  const people = [...new Set(faces.map((f) => f.person))];
  const enrolled: { personId: number; vector: Float32Array }[] = [];
  const queries: Float32Array[] = [];
  const seen = new Map<string, number>();
  for (const f of faces) {
    const n = seen.get(f.person) ?? 0;
    seen.set(f.person, n + 1);
    if (n % 2 === 0) enrolled.push({ personId: people.indexOf(f.person) + 1, vector: f.vector });
    else queries.push(f.vector);
  }
  const mean = new Float32Array(dim);
  for (const f of faces) for (let j = 0; j < dim; j++) mean[j] += f.vector[j]! / faces.length;
  const distractorAt = (i: number): Float32Array => gaussianLike(createRng(i + 1), faces, mean);
  const size = enrolled.length + distractors;
  // Rows: the enrolled samples first (their people), then one distractor per person.
  const personOf = (row: number): number =>
    row < enrolled.length ? enrolled[row]!.personId : people.length + 1 + row - enrolled.length;
  const built = await buildIndex(queries, dim, size, (start, rows, chunk, add) => {
    for (let r = 0; r < rows; r++) {
      const row = start + r;
      chunk.set(row < enrolled.length ? enrolled[row]!.vector : distractorAt(row), r * dim);
    }
    for (let r = 0; r < rows; r++)
      add(start + r + 1, personOf(start + r), chunk.subarray(r * dim, (r + 1) * dim));
  });
  return compare('dlib', built, queries, rounds, personOf);
}

interface Built {
  index: EmbeddingIndex;
  exact: ExactSearch;
  size: number;
  dim: number;
  buildMs: number;
  rssBefore: number;
  memory: NodeJS.MemoryUsage;
}

type Fill = (
  start: number,
  rows: number,
  chunk: Float32Array,
  add: (sampleId: number, personId: number, v: Float32Array) => void,
) => void;

/** Streams `size` rows, chunk by chunk, into an index and into the float32 reference. */
async function buildIndex(queries: Float32Array[], dim: number, size: number, fill: Fill): Promise<Built> {
  const exact = await ExactSearch.create(queries, dim);
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  const index = new EmbeddingIndex('bench');
  index.reserve(size);
  const chunkRows = 16384;
  let buildMs = 0;
  for (let start = 0; start < size; start += chunkRows) {
    const rows = Math.min(chunkRows, size - start);
    const chunk = new Float32Array(rows * dim);
    const pending: [number, number, Float32Array][] = [];
    fill(start, rows, chunk, (s, p, v) => pending.push([s, p, v]));
    const t = performance.now();
    for (const [s, p, v] of pending) index.add(s, p, v);
    buildMs += performance.now() - t;
    await exact.scan(chunk, start);
  }
  global.gc?.();
  return { index, exact, size, dim, buildMs, rssBefore, memory: process.memoryUsage() };
}

/** Times both paths interleaved and compares their answers (see the header). */
function compare(
  set: Result['set'],
  built: Built,
  queries: Float32Array[],
  rounds: number,
  personOfRow: (row: number) => number,
): Result {
  const { index, exact, size, dim } = built;
  let scanned = 0;
  const run = (coarse: boolean, q: Float32Array): PersonSamples[] => {
    index.coarseFrom = coarse ? 0 : Infinity;
    const found = index.searchSamples(q, PEOPLE, SAMPLES);
    if (coarse) scanned += index.lastScanned;
    return found;
  };
  for (let i = 0; i < Math.min(20, queries.length); i++) for (const c of [false, true]) run(c, queries[i]!);
  const perRound: { exact: number[]; coarse: number[] }[] = [];
  const answers: { exact: PersonSamples[]; coarse: PersonSamples[] }[] = [];
  for (let r = 0; r < rounds; r++) {
    const times = { exact: [] as number[], coarse: [] as number[] };
    queries.forEach((q, i) => {
      const got: Partial<Record<'exact' | 'coarse', PersonSamples[]>> = {};
      for (const path of (i + r) % 2 === 0
        ? (['exact', 'coarse'] as const)
        : (['coarse', 'exact'] as const)) {
        const t = performance.now();
        got[path] = run(path === 'coarse', q);
        times[path].push(performance.now() - t);
      }
      if (r === 0) answers.push({ exact: got.exact!, coarse: got.coarse! });
    });
    perRound.push(times);
  }
  const timing = (path: 'exact' | 'coarse'): Timing => ({
    p50Ms: round(median(perRound.map((t) => percentile(t[path], 0.5)))),
    p95Ms: round(median(perRound.map((t) => percentile(t[path], 0.95)))),
  });
  const same = (a: PersonSamples[], b: PersonSamples[]): boolean => JSON.stringify(a) === JSON.stringify(b);
  const share = (f: (i: number) => boolean): number => queries.filter((_, i) => f(i)).length / queries.length;
  const truth = exact.top.map((rows) => [...new Set(rows.map((r) => personOfRow(r.row)))].slice(0, PEOPLE));
  const people = (a: PersonSamples[]): number[] => a.map((p) => p.personId);
  const scannedShare = scanned / ((rounds * queries.length + Math.min(20, queries.length)) * size);
  const stats = index.stats();
  const exactTiming = timing('exact');
  const coarseTiming = timing('coarse');
  // One nibble per dimension and six for the row's error bound (coarse-codes.ts), padded to even.
  const groups = 2 * Math.ceil((dim + 6) / 2);
  return {
    set,
    size,
    dim,
    queries: queries.length,
    buildMs: round(built.buildMs),
    exact: exactTiming,
    coarse: coarseTiming,
    speedup: round(exactTiming.p50Ms / coarseTiming.p50Ms),
    rounds: perRound.map((t) => [round(percentile(t.exact, 0.5)), round(percentile(t.coarse, 0.5))]),
    recallAt1: {
      exact: share((i) => answers[i]!.exact[0]?.personId === truth[i]![0]),
      coarse: share((i) => answers[i]!.coarse[0]?.personId === truth[i]![0]),
    },
    top16: {
      exact: share((i) => same16People(people(answers[i]!.exact), truth[i]!)),
      coarse: share((i) => same16People(people(answers[i]!.coarse), truth[i]!)),
    },
    same16: share((i) => same(answers[i]!.exact, answers[i]!.coarse)),
    same2: share((i) => same(answers[i]!.exact.slice(0, 2), answers[i]!.coarse.slice(0, 2))),
    scannedShare: round(scannedShare * 1000) / 1000,
    indexBytes: stats.bytes,
    bytesPerVector: Math.round(stats.bytes / size),
    coarseCodeBytesPerVector: groups / 2 + 6,
    rssMiB: Math.round(built.memory.rss / 2 ** 20),
    heapMiB: Math.round(built.memory.heapUsed / 2 ** 20),
    rssBytesPerVector: Math.round((built.memory.rss - built.rssBefore) / size),
  };
}

function same16People(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((p, i) => p === b[i]);
}

/** A unit vector with the real embeddings' mean and covariance: mean + a random mix of 32 of them. */
function gaussianLike(rng: Rng, faces: { vector: Float32Array }[], mean: Float32Array): Float32Array {
  const mix = 32;
  const v = Float32Array.from(mean);
  for (let k = 0; k < mix; k++) {
    const f = faces[rng.int(faces.length)]!.vector;
    const g = rng.gaussian() / Math.sqrt(mix);
    for (let j = 0; j < v.length; j++) v[j] += g * (f[j]! - mean[j]!);
  }
  let norm = 0;
  for (let j = 0; j < v.length; j++) norm += v[j]! * v[j]!;
  const scale = 1 / Math.sqrt(norm);
  for (let j = 0; j < v.length; j++) v[j] *= scale;
  return v;
}

/**
 * dlib-resnet (flip TTA) embeddings of the largest face of every dev photo, in file order; cached in
 * test-output/gallery-bench/ (gitignored) keyed by the photos' SHA-256.
 */
async function devEmbeddings(): Promise<{ person: string; vector: Float32Array }[]> {
  const dev = facePath('dev');
  const files = fs
    .readdirSync(dev)
    .sort()
    .flatMap((person) =>
      fs
        .readdirSync(path.join(dev, person))
        .sort()
        .map((f) => ({ person, file: path.join(dev, person, f) })),
    );
  const hash = createHash('sha256');
  for (const f of files) hash.update(fs.readFileSync(f.file));
  const cache = path.resolve(
    import.meta.dirname,
    '../test-output/gallery-bench',
    `dev-dlib-${hash.digest('hex').slice(0, 16)}.json`,
  );
  if (!fs.existsSync(cache)) {
    process.stderr.write(`gallery bench: embedding ${files.length} dev photos with dlib-resnet\n`);
    const analyzer = new FaceAnalyzer({ cacheDir: path.join(os.tmpdir(), 'visage-bench-models') });
    const embedder = new FaceEmbedder(analyzer.runtime, 'dlib-resnet', { flip: true });
    const out: { person: string; vector: number[] }[] = [];
    for (const f of files) {
      const image = await decodeImage(f.file);
      const face = largestFace(await analyzer.detect(image));
      if (!face) continue;
      const [embedded] = await embedder.embed(image, [face.keypoints]);
      out.push({ person: f.person, vector: Array.from(embedded!.embedding) });
    }
    await analyzer.close();
    fs.mkdirSync(path.dirname(cache), { recursive: true });
    fs.writeFileSync(cache, JSON.stringify(out));
  }
  const stored = JSON.parse(fs.readFileSync(cache, 'utf8')) as { person: string; vector: number[] }[];
  return stored.map((f) => ({ person: f.person, vector: Float32Array.from(f.vector) }));
}

/** Exact top rows per query: float32 Gemm in onnxruntime over each chunk, selection in JS. */
class ExactSearch {
  /** Per query, the best rows (0-based) with their similarity, best first; enough for 16 people. */
  readonly top: { row: number; similarity: number }[][];
  private static readonly KEEP = 4 * PEOPLE;

  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly queries: ort.Tensor,
    private readonly dim: number,
  ) {
    this.top = Array.from({ length: queries.dims[0] }, () => []);
  }

  static async create(queries: Float32Array[], dim: number): Promise<ExactSearch> {
    const g = new OnnxGraph('exact');
    const q = g.input('q', ['queries', dim]);
    const x = g.input('x', ['rows', dim]);
    g.output(g.node('Gemm', [q, x], { transB: attr.int(1) }, 'similarity'));
    const session = await ort.InferenceSession.create(g.toBytes(), {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    });
    const packed = new Float32Array(queries.length * dim);
    queries.forEach((v, i) => packed.set(v, i * dim));
    return new ExactSearch(session, new ort.Tensor('float32', packed, [queries.length, dim]), dim);
  }

  /** Folds in the rows of `chunk`, whose first row is row `offset`. */
  async scan(chunk: Float32Array, offset: number): Promise<void> {
    const rows = chunk.length / this.dim;
    const out = await this.session.run({
      q: this.queries,
      x: new ort.Tensor('float32', chunk, [rows, this.dim]),
    });
    const similarity = out['similarity']!.data as Float32Array;
    this.top.forEach((top, i) => {
      for (let r = 0; r < rows; r++) {
        const s = similarity[i * rows + r]!;
        if (top.length === ExactSearch.KEEP && s <= top[top.length - 1]!.similarity) continue;
        let at = top.length;
        while (at > 0 && top[at - 1]!.similarity < s) at--;
        top.splice(at, 0, { row: offset + r, similarity: s });
        if (top.length > ExactSearch.KEEP) top.pop();
      }
    });
  }
}

/** Writes `size` one-sample people to a temporary gallery, then times reopening it and loading the index. */
function dbStartup(size: number, vectorAt: (i: number) => Float32Array): Result['db'] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'visage-bench-'));
  try {
    let t = performance.now();
    const gallery = Gallery.open(dir);
    gallery.db.transaction(() => {
      for (let i = 0; i < size; i++) {
        const person = gallery.people.create(`person ${i}`);
        gallery.samples.add(person.id, {
          contentHash: String(i),
          embeddings: [{ modelId: 'bench', vector: vectorAt(i) }],
        });
      }
    })();
    gallery.close();
    const insertMs = performance.now() - t;
    const fileMiB = fs.statSync(path.join(dir, 'visage.db')).size / 2 ** 20;
    t = performance.now();
    const reopened = Gallery.open(dir);
    const openMs = performance.now() - t;
    t = performance.now();
    const loaded = reopened.index('bench').size;
    const loadMs = performance.now() - t;
    if (loaded !== size) throw new Error(`loaded ${loaded} of ${size} vectors`);
    reopened.close();
    return {
      insertMs: round(insertMs),
      fileMiB: round(fileMiB),
      openMs: round(openMs),
      loadMs: round(loadMs),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function printRow(r: Result, header: boolean): void {
  const columns: [string, string][] = [
    ['set', r.set],
    ['size', String(r.size)],
    ['dim', String(r.dim)],
    ['build s', (r.buildMs / 1000).toFixed(2)],
    ['exact p50', r.exact.p50Ms.toFixed(2)],
    ['exact p95', r.exact.p95Ms.toFixed(2)],
    ['coarse p50', r.coarse.p50Ms.toFixed(2)],
    ['coarse p95', r.coarse.p95Ms.toFixed(2)],
    ['speedup', `${r.speedup.toFixed(2)}×`],
    ['recall@1 e/c', `${r.recallAt1.exact.toFixed(3)}/${r.recallAt1.coarse.toFixed(3)}`],
    ['top16 e/c', `${r.top16.exact.toFixed(3)}/${r.top16.coarse.toFixed(3)}`],
    ['same16', r.same16.toFixed(3)],
    ['same2', r.same2.toFixed(3)],
    ['int8 read', `${(100 * r.scannedShare).toFixed(1)}%`],
    ['index B/vec', String(r.bytesPerVector)],
    ['coarse B/vec', String(r.coarseCodeBytesPerVector)],
    ['RSS B/vec', String(r.rssBytesPerVector)],
    ...(r.db
      ? ([
          ['db write s', (r.db.insertMs / 1000).toFixed(1)],
          ['db MiB', r.db.fileMiB.toFixed(0)],
          ['open ms', r.db.openMs.toFixed(0)],
          ['load s', (r.db.loadMs / 1000).toFixed(2)],
        ] as [string, string][])
      : []),
  ];
  const width = (c: [string, string]): number => Math.max(c[0].length, 9);
  if (header) console.log(columns.map((c) => c[0].padStart(width(c))).join(' '));
  console.log(columns.map((c) => c[1].padStart(width(c))).join(' '));
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

function median(values: number[]): number {
  return percentile(values, 0.5);
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

await main();
