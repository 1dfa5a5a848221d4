// Calibrates the unknown-face clustering threshold (src/service/unknowns/clustering.ts) on
// ../shared/faces/dev: every photo's largest face, embedded exactly as recognition does (the default
// embedder with flip TTA, through the product's FaceService), then, for each candidate threshold in z
// units (decision.ts's normalisation, the Recognizer's calibration), the product's own incremental
// clustering is run on the faces of every pair of different people together: a pair is "merged" when
// any cluster holds faces of both. Prints, per threshold, that merge rate and how many clusters each
// person splits into alone, and ends with one line of JSON (`npm run bench:unknowns`). Vectors are
// cached in test-output/unknowns/.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { largestFace } from '../src/engine/face.js';
import { FaceService } from '../src/service/faces/face-service.js';
import { Recognizer } from '../src/service/recognize/recognizer.js';
import { Gallery } from '../src/gallery/gallery.js';
import { clusterAll, zSimilarity, type ClusterRule } from '../src/service/unknowns/clustering.js';
import { facePath } from './dataset.js';

const OUT = path.resolve(import.meta.dirname, '../test-output/unknowns');
const CACHE = path.join(OUT, 'dev-embeddings.json');

interface DevFace {
  person: string;
  vector: number[];
}

async function devFaces(): Promise<{ faces: DevFace[]; recognizer: Recognizer; close: () => Promise<void> }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'visage-unknowns-bench-'));
  const models = path.join(os.tmpdir(), 'visage-test-models');
  fs.mkdirSync(models, { recursive: true });
  fs.symlinkSync(models, path.join(dataDir, 'models'));
  const faces = new FaceService({ dataDir });
  const gallery = Gallery.open(dataDir);
  const recognizer = new Recognizer(gallery, faces.embeddingModel, { flip: faces.embeddingFlip });
  const close = async (): Promise<void> => {
    gallery.close();
    await faces.close();
  };
  if (fs.existsSync(CACHE))
    return { faces: JSON.parse(fs.readFileSync(CACHE, 'utf8')) as DevFace[], recognizer, close };
  const dev = facePath('dev');
  const out: DevFace[] = [];
  for (const person of fs.readdirSync(dev).sort()) {
    for (const f of fs.readdirSync(path.join(dev, person)).sort()) {
      const image = await faces.loadImage(fs.readFileSync(path.join(dev, person, f)), f);
      const face = largestFace(await faces.analyzer.analyze(image));
      if (face?.embedding) out.push({ person, vector: [...face.embedding] });
    }
    console.error(`${person}: ${out.length} faces so far`);
  }
  fs.mkdirSync(OUT, { recursive: true });
  fs.writeFileSync(CACHE, JSON.stringify(out));
  return { faces: out, recognizer, close };
}

const { faces, recognizer, close } = await devFaces();
const norm = recognizer.calibration.models[recognizer.modelId]!;
const vectors = faces.map((f) => Float32Array.from(f.vector));
const z = zSimilarity(norm);
const people = [...new Set(faces.map((f) => f.person))];
const byPerson = new Map(people.map((p) => [p, faces.flatMap((f, i) => (f.person === p ? [i] : []))]));

// Pair statistics: what share of different-person face pairs reach each z.
const impostor: number[] = [];
const genuine: number[] = [];
for (let i = 0; i < faces.length; i++)
  for (let j = i + 1; j < faces.length; j++)
    (faces[i]!.person === faces[j]!.person ? genuine : impostor).push(z(vectors[i]!, vectors[j]!));
impostor.sort((a, b) => b - a);
const quantile = (q: number): number => impostor[Math.floor(q * impostor.length)]!;
console.error(
  `${faces.length} faces, ${people.length} people; impostor pair z at 1 % / 0.1 % / 0.01 %: ` +
    `${quantile(0.01).toFixed(2)} / ${quantile(0.001).toFixed(2)} / ${quantile(0.0001).toFixed(2)}`,
);

const rows: { threshold: number; mergedPairs: number; clustersPerPerson: number; singletonShare: number }[] =
  [];
for (const threshold of [2, 2.1, 2.2, 2.3, 2.4, 2.5, 2.6, 2.7, 2.8, 3]) {
  const rule: ClusterRule = { joinZ: threshold };
  let merged = 0;
  let pairs = 0;
  for (let a = 0; a < people.length; a++)
    for (let b = a + 1; b < people.length; b++) {
      const idx = [...byPerson.get(people[a]!)!, ...byPerson.get(people[b]!)!];
      const labels = clusterAll(
        idx.map((i) => vectors[i]!),
        z,
        rule,
      );
      const owners = new Map<number, Set<string>>();
      idx.forEach((i, k) => {
        const set = owners.get(labels[k]!) ?? new Set();
        set.add(faces[i]!.person);
        owners.set(labels[k]!, set);
      });
      pairs++;
      if ([...owners.values()].some((s) => s.size > 1)) merged++;
    }
  let clusters = 0;
  let singletons = 0;
  for (const p of people) {
    const idx = byPerson.get(p)!;
    const labels = clusterAll(
      idx.map((i) => vectors[i]!),
      z,
      rule,
    );
    const sizes = new Map<number, number>();
    for (const l of labels) sizes.set(l, (sizes.get(l) ?? 0) + 1);
    clusters += sizes.size;
    singletons += [...sizes.values()].filter((s) => s === 1).length;
  }
  const row = {
    threshold,
    mergedPairs: Number(((100 * merged) / pairs).toFixed(2)),
    clustersPerPerson: Number((clusters / people.length).toFixed(2)),
    singletonShare: Number(((100 * singletons) / faces.length).toFixed(1)),
  };
  rows.push(row);
  console.error(
    `join z ${threshold}: ${row.mergedPairs} % of person pairs merged, ${row.clustersPerPerson} clusters per person, ${row.singletonShare} % of faces alone`,
  );
}
await close();
console.log(JSON.stringify({ faces: faces.length, people: people.length, rows }));
