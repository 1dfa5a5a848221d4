// Bulk import throughput: `visage import` (the service behind it) of ../shared/faces/people (8 × 5 tight
// 150×150 crops) and knn/train (9 whole photos), into a fresh data directory with models already loaded,
// then the same folder again (every file skipped by content). Prints a table, then one line of JSON.
//
//   node --import tsx bench/import.ts [--runs 3]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Visage } from '../src/service/visage.js';
import { facePath } from './dataset.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' } } });
const modelCache = path.join(os.tmpdir(), 'visage-bench-models');

interface Row {
  folder: string;
  files: number;
  accepted: number;
  /** Median over runs, each into a fresh gallery. */
  imagesPerSecond: number;
  msPerImage: number;
  /** The same folder imported again: every file is read, hashed and skipped. */
  rerunFilesPerSecond: number;
}

async function measure(folder: 'people' | 'knn/train', runs: number): Promise<Row> {
  const rates: number[] = [];
  const rerunRates: number[] = [];
  let files = 0;
  let accepted = 0;
  for (let run = 0; run < runs; run++) {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'visage-bench-import-'));
    fs.mkdirSync(modelCache, { recursive: true });
    fs.symlinkSync(modelCache, path.join(dataDir, 'models'));
    const visage = new Visage({ dataDir });
    try {
      // Load (and on first use convert) the models outside the timed part.
      await visage.faces.analyzer.analyze(await visage.faces.loadImage(facePath('scenes/obama-240p.jpg')));
      const first = await visage.enrollment.importFolder(facePath(folder));
      const again = await visage.enrollment.importFolder(facePath(folder));
      files = first.totals.files;
      accepted = first.totals.accepted;
      rates.push(first.totals.files / first.seconds);
      rerunRates.push(again.totals.files / again.seconds);
    } finally {
      await visage.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }
  const rate = median(rates);
  return {
    folder,
    files,
    accepted,
    imagesPerSecond: round(rate),
    msPerImage: round(1000 / rate),
    rerunFilesPerSecond: Math.round(median(rerunRates)),
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

const runs = Number(values.runs);
const rows = [await measure('people', runs), await measure('knn/train', runs)];
console.table(Object.fromEntries(rows.map(({ folder, ...r }) => [folder, r])));
console.log(
  JSON.stringify({
    benchmark: 'bulk-import',
    cpus: os.cpus().length,
    node: process.version,
    runs,
    results: rows,
  }),
);
