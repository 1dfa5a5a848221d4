// 1:N search benchmark of the in-memory gallery index on synthetic identities.
//
//   node --import tsx bench/gallery.ts [--sizes 10000,100000,1000000] [--dim 128[,512,...]] [--queries 200]
//        [--similarity 0.7] [--db]
//
// Each (size, dim) runs in a fresh child process so memory figures are not polluted by the previous run.
// Identities are random unit vectors (one sample each); queries are noisy copies with cosine `similarity`
// to their source, like a second photo. recall@1 compares the index's best person (search k = 5) with an
// exact float32 search done independently by onnxruntime (Gemm over all vectors). Latency is per query,
// after 20 warm-up queries. With --db the vectors are also
// written to a temporary gallery, which is reopened (quick_check) and loaded into an index, timing startup.
// Prints a table, then one line of JSON with every figure.
import ort from 'onnxruntime-node';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { OnnxGraph, attr } from '../src/engine/models/onnx/graph.js';
import { EmbeddingIndex } from '../src/gallery/embedding-index.js';
import { Gallery } from '../src/gallery/gallery.js';
import { createRng, noisyCopy, randomUnitVector } from '../src/gallery/random.js';

interface Result {
  size: number;
  dim: number;
  queries: number;
  similarity: number;
  buildMs: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  recallAt1: number;
  /** Largest |index similarity − exact similarity| of the returned best person. */
  maxSimilarityError: number;
  indexBytes: number;
  bytesPerVector: number;
  rssMiB: number;
  heapMiB: number;
  /** (RSS after building − RSS before) / size: the index's real cost per vector, maps included. */
  rssBytesPerVector: number;
  db?: { insertMs: number; fileMiB: number; openMs: number; loadMs: number };
}

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10000,100000,1000000' },
    dim: { type: 'string', default: '128' },
    queries: { type: 'string', default: '200' },
    similarity: { type: 'string', default: '0.7' },
    db: { type: 'boolean', default: false },
    single: { type: 'boolean', default: false },
  },
});

async function main(): Promise<void> {
  if (values.single) {
    const result = await runOne(
      Number(values.sizes),
      Number(values.dim),
      Number(values.queries),
      Number(values.similarity),
      values.db,
    );
    process.stdout.write(JSON.stringify(result) + '\n');
  } else {
    const results: Result[] = [];
    for (const dim of values.dim.split(',').map(Number)) {
      for (const size of values.sizes.split(',').map(Number)) {
        const args = [
          '--import',
          'tsx',
          import.meta.filename,
          '--single',
          '--sizes',
          String(size),
          '--dim',
          String(dim),
        ];
        args.push(
          '--queries',
          values.queries,
          '--similarity',
          values.similarity,
          ...(values.db ? ['--db'] : []),
        );
        const child = spawnSync(process.execPath, args, {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'inherit'],
          maxBuffer: 1 << 20,
        });
        if (child.status !== 0) throw new Error(`benchmark of ${size}×${dim} failed (exit ${child.status})`);
        const result = JSON.parse(child.stdout.trim().split('\n').pop()!) as Result;
        results.push(result);
        printRow(result, results.length === 1);
      }
    }
    console.log(
      JSON.stringify({ benchmark: 'gallery-index', cpus: os.cpus().length, node: process.version, results }),
    );
  }
}

async function runOne(
  size: number,
  dim: number,
  queryCount: number,
  similarity: number,
  withDb: boolean,
): Promise<Result> {
  // Vector i is drawn from its own seed, so the query sources can be made first and the gallery streamed
  // chunk by chunk into both the index and the exact reference: no second copy of the gallery is held.
  const vectorAt = (i: number): Float32Array => randomUnitVector(createRng(i + 1), dim);
  const rng = createRng(size ^ (dim << 20));
  const queries = Array.from({ length: queryCount }, () =>
    noisyCopy(rng, vectorAt(rng.int(size)), similarity),
  );
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
    for (let r = 0; r < rows; r++) chunk.set(vectorAt(start + r), r * dim);
    const t = performance.now();
    for (let r = 0; r < rows; r++)
      index.add(start + r + 1, start + r + 1, chunk.subarray(r * dim, (r + 1) * dim));
    buildMs += performance.now() - t;
    await exact.scan(chunk, start);
  }
  global.gc?.();
  const memory = process.memoryUsage();

  for (let i = 0; i < Math.min(20, queryCount); i++) index.search(queries[i], 5);
  const times: number[] = [];
  let agree = 0;
  let maxSimilarityError = 0;
  queries.forEach((q, i) => {
    const t = performance.now();
    const best = index.search(q, 5)[0];
    times.push(performance.now() - t);
    if (best.personId === exact.best[i].id) {
      agree++;
      maxSimilarityError = Math.max(maxSimilarityError, Math.abs(best.similarity - exact.best[i].similarity));
    }
  });
  times.sort((a, b) => a - b);
  const stats = index.stats();
  const result: Result = {
    size,
    dim,
    queries: queryCount,
    similarity,
    buildMs: round(buildMs),
    p50Ms: round(percentile(times, 0.5)),
    p99Ms: round(percentile(times, 0.99)),
    meanMs: round(times.reduce((a, b) => a + b, 0) / times.length),
    recallAt1: agree / queryCount,
    maxSimilarityError: Number(maxSimilarityError.toExponential(2)),
    indexBytes: stats.bytes,
    bytesPerVector: Math.round(stats.bytes / size),
    rssMiB: Math.round(memory.rss / 2 ** 20),
    heapMiB: Math.round(memory.heapUsed / 2 ** 20),
    rssBytesPerVector: Math.round((memory.rss - rssBefore) / size),
  };
  if (withDb) result.db = dbStartup(size, vectorAt);
  return result;
}

/** Exact best source per query: float32 Gemm in onnxruntime over each chunk, argmax in JS. */
class ExactSearch {
  readonly best: { id: number; similarity: number }[];

  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly queries: ort.Tensor,
    private readonly dim: number,
  ) {
    this.best = Array.from({ length: queries.dims[0] }, () => ({ id: 0, similarity: -Infinity }));
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

  /** Folds in the rows of `chunk`, whose first row has id `offset + 1`. */
  async scan(chunk: Float32Array, offset: number): Promise<void> {
    const rows = chunk.length / this.dim;
    const out = await this.session.run({
      q: this.queries,
      x: new ort.Tensor('float32', chunk, [rows, this.dim]),
    });
    const similarity = out['similarity']!.data as Float32Array;
    this.best.forEach((best, i) => {
      for (let r = 0; r < rows; r++) {
        const s = similarity[i * rows + r];
        if (s > best.similarity) Object.assign(best, { id: offset + r + 1, similarity: s });
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
    ['size', String(r.size)],
    ['dim', String(r.dim)],
    ['build s', (r.buildMs / 1000).toFixed(2)],
    ['p50 ms', r.p50Ms.toFixed(2)],
    ['p99 ms', r.p99Ms.toFixed(2)],
    ['recall@1', r.recallAt1.toFixed(3)],
    ['max sim err', r.maxSimilarityError.toExponential(1)],
    ['index B/vec', String(r.bytesPerVector)],
    ['RSS MiB', String(r.rssMiB)],
    ['heap MiB', String(r.heapMiB)],
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

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

await main();
