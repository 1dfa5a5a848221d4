// ms per face of each embedder (align + net, one face, and per face in a batch of 4), minimum and median of
// 40 runs after warm-up: the minimum is the figure least disturbed by other work on a shared machine.
// Usage: node --import tsx bench/openset-cost.ts
import os from 'node:os';
import path from 'node:path';
import { FaceAnalyzer } from '../src/engine/analyzer.js';
import { FaceEmbedder } from '../src/engine/embed/embedder.js';
import { largestFace } from '../src/engine/face.js';
import { decodeImage } from '../src/engine/image/decode.js';
import { EMBEDDERS } from './openset-data.js';
import { facePath } from './dataset.js';

const RUNS = 40;
const analyzer = new FaceAnalyzer({ cacheDir: path.join(os.tmpdir(), 'visage-bench-models') });
const image = await decodeImage(facePath('scenes/obama-480p.jpg'));
const face = largestFace(await analyzer.detect(image))!;
const rows: Record<string, unknown>[] = [];
for (const id of EMBEDDERS) {
  for (const flip of [false, true]) {
    const e = new FaceEmbedder(analyzer.runtime, id, { flip });
    const time = async (n: number): Promise<number[]> => {
      const kps = Array.from({ length: n }, () => face.keypoints);
      await e.embed(image, kps);
      const t: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const t0 = performance.now();
        await e.embed(image, kps);
        t.push((performance.now() - t0) / n);
      }
      return t.sort((a, b) => a - b);
    };
    const one = await time(1);
    const four = await time(4);
    rows.push({
      embedder: id + (flip ? ' +flip' : ''),
      'min ms/face (1 face)': one[0]!.toFixed(2),
      'median (1 face)': one[RUNS >> 1]!.toFixed(2),
      'min ms/face (4 faces)': four[0]!.toFixed(2),
      'median (4 faces)': four[RUNS >> 1]!.toFixed(2),
    });
  }
}
await analyzer.close();
console.table(rows);
console.log(JSON.stringify({ benchmark: 'openset-cost', load: os.loadavg(), rows }));
