// 1:1 verification of every pair listed in a CSV (columns a,b of image paths relative to the CSV's folder):
// each image is analysed once however many pairs name it, and a bad row becomes an error row while the
// others still run.
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseCsv } from '../../api/csv.js';
import type { Face } from '../../engine/face.js';
import { isVisageError, VisageError } from '../../errors.js';
import type { CompareResult, FaceService } from './face-service.js';

export type PairResult =
  | ({ a: string; b: string } & Omit<CompareResult, 'a' | 'b' | 'model'> & {
        boxA: CompareResult['a']['box'];
        boxB: CompareResult['b']['box'];
      })
  | { a: string; b: string; error: { code: string; message: string } };

export interface PairsReport {
  model: string;
  results: PairResult[];
}

export async function comparePairs(
  service: FaceService,
  csvPath: string,
  progress: { onStart?: (pairs: number) => void; onPair?: () => void } = {},
): Promise<PairsReport> {
  const rows = parseCsv(await readText(csvPath));
  const header = rows.shift()?.map((h) => h.trim().toLowerCase()) ?? [];
  const [ia, ib] = [header.indexOf('a'), header.indexOf('b')];
  if (ia < 0 || ib < 0)
    throw new VisageError('invalid_csv', `${csvPath} needs a header row with columns a,b`);
  const base = path.dirname(csvPath);
  const faces = new Map<string, Promise<Face>>();
  const face = (file: string): Promise<Face> => {
    const resolved = path.resolve(base, file);
    let f = faces.get(resolved);
    if (!f) faces.set(resolved, (f = service.largestFace(resolved)));
    return f;
  };
  const pairs = rows.filter((r) => r.some((c) => c.trim() !== ''));
  progress.onStart?.(pairs.length);
  const results: PairResult[] = [];
  for (const row of pairs) {
    const [a, b] = [row[ia]?.trim() ?? '', row[ib]?.trim() ?? ''];
    try {
      const [fa, fb] = await Promise.all([face(a), face(b)]);
      const c = service.comparison(fa, fb, a, b);
      results.push({
        a,
        b,
        distance: c.distance,
        score: c.score,
        threshold: c.threshold,
        same: c.same,
        boxA: c.a.box,
        boxB: c.b.box,
      });
    } catch (e) {
      if (!isVisageError(e)) throw e;
      results.push({ a, b, error: { code: e.code, message: e.message } });
    }
    progress.onPair?.();
  }
  return { model: service.embeddingModel, results };
}

async function readText(file: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch {
    throw new VisageError('file_not_found', `cannot read ${file}: check the path`, { file });
  }
}
