import fs from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { compareEmbeddings } from '../../engine/compare.js';
import type { Face } from '../../engine/face.js';
import { isVisageError, VisageError } from '../../errors.js';
import type { FaceService } from '../../service/faces/face-service.js';
import { roundBox } from '../../service/json.js';
import { openFaceService, UsageError, withGlobalOptions, type GlobalOptions } from '../context.js';
import { parseCsv } from '../../api/csv.js';
import { printJson, printTable, progress } from '../output.js';

interface CompareOptions extends GlobalOptions {
  pairs?: string;
}

export function registerCompare(program: Command): void {
  withGlobalOptions(
    program
      .command('compare')
      .description('1:1 verification of the largest face in each image: distance, score, same person or not')
      .argument('[a]', 'first image')
      .argument('[b]', 'second image')
      .option(
        '--pairs <csv>',
        "a CSV with columns a,b of image paths (relative to the CSV's folder): every pair in one run",
      ),
  )
    .addHelpText(
      'after',
      `
Examples:
  $ visage compare ../shared/faces/knn/train/obama/obama.jpg ../shared/faces/scenes/obama-480p.jpg
  $ visage compare --pairs pairs.csv --json > verdicts.json

pairs.csv:
  a,b
  alice/1.jpg,alice/2.jpg
  alice/1.jpg,bob/1.jpg`,
    )
    .action(async (a: string | undefined, b: string | undefined, opts: CompareOptions) => {
      if (opts.pairs ? a || b : !(a && b))
        throw new UsageError('give two images, or --pairs FILE.csv (not both)');
      const service = openFaceService(opts);
      try {
        if (opts.pairs) await comparePairs(service, opts.pairs, opts);
        else await compareOne(service, a!, b!, opts);
      } finally {
        await service.close();
      }
    });
}

async function compareOne(service: FaceService, a: string, b: string, opts: GlobalOptions): Promise<void> {
  const r = await service.compareFiles(a, b);
  if (opts.json) return printJson(r);
  printTable(
    ['a', 'b', 'distance', 'score', 'threshold', 'verdict'],
    [
      [
        a,
        b,
        r.distance.toFixed(4),
        r.score.toFixed(3),
        r.threshold,
        r.same ? 'same person' : 'different people',
      ],
    ],
  );
}

async function comparePairs(service: FaceService, csvPath: string, opts: GlobalOptions): Promise<void> {
  const rows = parseCsv(await readText(csvPath));
  const header = rows.shift()?.map((h) => h.trim().toLowerCase()) ?? [];
  const [ia, ib] = [header.indexOf('a'), header.indexOf('b')];
  if (ia < 0 || ib < 0)
    throw new VisageError('invalid_csv', `${csvPath} needs a header row with columns a,b`);
  const base = path.dirname(csvPath);
  // Each image is analysed once, however many pairs it appears in.
  const faces = new Map<string, Promise<Face>>();
  const face = (file: string): Promise<Face> => {
    const resolved = path.resolve(base, file);
    let f = faces.get(resolved);
    if (!f) faces.set(resolved, (f = service.largestFace(resolved)));
    return f;
  };
  const bar = progress(rows.length, 'pairs');
  const results = [];
  for (const row of rows.filter((r) => r.some((c) => c.trim() !== ''))) {
    const [a, b] = [row[ia]?.trim() ?? '', row[ib]?.trim() ?? ''];
    try {
      const [fa, fb] = await Promise.all([face(a), face(b)]);
      results.push({
        a,
        b,
        ...compareEmbeddings(fa.embedding!, fb.embedding!, service.embeddingModel),
        boxA: roundBox(fa.box),
        boxB: roundBox(fb.box),
      });
    } catch (e) {
      if (!isVisageError(e)) throw e;
      results.push({ a, b, error: { code: e.code, message: e.message } });
    }
    bar.tick();
  }
  bar.stop();
  if (opts.json) return printJson({ model: service.embeddingModel, results });
  printTable(
    ['a', 'b', 'distance', 'score', 'verdict'],
    results.map((r) =>
      'error' in r
        ? [r.a, r.b, '-', '-', `error: ${r.error!.message}`]
        : [r.a, r.b, r.distance.toFixed(4), r.score.toFixed(3), r.same ? 'same' : 'different'],
    ),
  );
}

async function readText(file: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch {
    throw new VisageError('file_not_found', `cannot read ${file}: check the path`, { file });
  }
}
