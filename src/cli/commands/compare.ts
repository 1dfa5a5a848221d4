import type { Command } from 'commander';
import type { FaceService } from '../../service/faces/face-service.js';
import { comparePairs as comparePairsOf } from '../../service/faces/pairs.js';
import { openFaceService, UsageError, withGlobalOptions, type GlobalOptions } from '../context.js';
import { exitOneIfAnyFailed, printJson, printTable, progress, type Progress } from '../output.js';

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
  let bar: Progress | undefined;
  const { model, results } = await comparePairsOf(service, csvPath, {
    onStart: (pairs) => (bar = progress(pairs, 'pairs')),
    onPair: () => bar?.tick(),
  });
  bar?.stop();
  if (opts.json) return printJson({ model, results });
  exitOneIfAnyFailed(results);
  printTable(
    ['a', 'b', 'distance', 'score', 'verdict'],
    results.map((r) =>
      'error' in r
        ? [r.a, r.b, '-', '-', `error: ${r.error!.message}`]
        : [r.a, r.b, r.distance.toFixed(4), r.score.toFixed(3), r.same ? 'same' : 'different'],
    ),
  );
}
