// npm run bench:accuracy — detection and identification accuracy of every detector and embedder on
// ../shared/faces, from which the defaults and the calibrated thresholds are chosen.
// Prints one table per part and ends with one line of JSON holding all figures.
import path from 'node:path';
import os from 'node:os';
import { FaceAnalyzer } from '../src/engine/analyzer.js';
import { cosineDistance } from '../src/engine/compare.js';
import { iou } from '../src/engine/detect/nms.js';
import { largestFace, type Face } from '../src/engine/face.js';
import { decodeImage } from '../src/engine/image/decode.js';
import type { Box } from '../src/engine/types.js';
import { dlibBoxes, facePath, galleryImages, inLabelOrder, loadLabels } from './dataset.js';

const DETECTORS = ['blazeface-back', 'ssd-mobilenetv1'];
const EMBEDDERS = process.argv.includes('--embedders')
  ? process.argv[process.argv.indexOf('--embedders') + 1]!.split(',')
  : ['dlib-resnet', 'faceres'];
const cacheDir = process.env.VISAGE_DATA
  ? path.join(process.env.VISAGE_DATA, 'models')
  : path.join(os.homedir(), '.visage', 'models');

const figures: Record<string, unknown> = {};

// ---- detection -------------------------------------------------------------------------------------
interface DetectionFigures {
  found30: number;
  found50: number;
  total: number;
  meanIou: number;
  falsePositives: number;
  dogs: number;
}

async function detection(detector: string): Promise<DetectionFigures> {
  const analyzer = new FaceAnalyzer({ cacheDir, detector });
  const figuresOf = { found30: 0, found50: 0, total: 0, meanIou: 0, falsePositives: 0, dogs: 0 };
  const ious: number[] = [];
  for (const [file, truth] of dlibBoxes()) {
    const faces = await analyzer.detect(await decodeImage(file));
    const matched = matchBoxes(
      truth,
      faces.map((f) => f.box),
    );
    figuresOf.total += truth.length;
    for (const m of matched) {
      if (m >= 0.3) figuresOf.found30++;
      if (m >= 0.5) figuresOf.found50++;
      if (m >= 0.3) ious.push(m);
    }
    figuresOf.falsePositives += faces.length - matched.filter((m) => m >= 0.3).length;
  }
  figuresOf.meanIou = round(ious.reduce((a, b) => a + b, 0) / ious.length, 3);
  figuresOf.dogs = (await analyzer.detect(await decodeImage(facePath('detection/dogs.jpg')))).length;
  await analyzer.close();
  return figuresOf;
}

/** Greedy one-to-one matching by IoU: for each true box, the IoU of the detection it got (0 if none). */
function matchBoxes(truth: Box[], found: Box[]): number[] {
  const pairs = truth
    .flatMap((t, ti) => found.map((f, fi) => ({ ti, fi, v: iou(t, f) })))
    .sort((a, b) => b.v - a.v);
  const out = truth.map(() => 0);
  const usedT = new Set<number>();
  const usedF = new Set<number>();
  for (const p of pairs) {
    if (p.v <= 0 || usedT.has(p.ti) || usedF.has(p.fi)) continue;
    usedT.add(p.ti);
    usedF.add(p.fi);
    out[p.ti] = p.v;
  }
  return out;
}

// ---- identification --------------------------------------------------------------------------------
interface Labelled {
  name: string;
  embedding: Float32Array;
}

async function largestIn(analyzer: FaceAnalyzer, file: string): Promise<Face | undefined> {
  return largestFace(await analyzer.analyze(await decodeImage(file)));
}

async function embedGallery(
  analyzer: FaceAnalyzer,
  folder: 'people' | 'knn/train',
): Promise<{ embedded: Labelled[]; total: number }> {
  const embedded: Labelled[] = [];
  let total = 0;
  for (const [name, files] of galleryImages(folder)) {
    for (const file of files) {
      total++;
      const face = await largestIn(analyzer, file);
      if (face?.embedding) embedded.push({ name, embedding: face.embedding });
    }
  }
  return { embedded, total };
}

function nearest(
  query: Float32Array,
  gallery: Labelled[],
  skip?: Labelled,
): { name: string; distance: number } {
  let best = { name: '', distance: Infinity };
  for (const g of gallery) {
    if (g === skip) continue;
    const d = cosineDistance(query, g.embedding);
    if (d < best.distance) best = { name: g.name, distance: d };
  }
  return best;
}

/** Faces of a labelled scene matched to its left-to-right labels (the listed count of largest faces). */
function labelFaces(faces: Face[], names: string[]): { name: string; face: Face }[] {
  return inLabelOrder(faces, names.length).listed.map((face, i) => ({ name: names[i]!, face }));
}

interface EmbedderFigures {
  peopleEmbedded: number;
  peopleTotal: number;
  leaveOneOut: number;
  knn: { right: number; wrong: number; unknown: number; strangerNamed: number };
  sameMean: number;
  sameMax: number;
  differentMin: number;
  differentMean: number;
  threshold: number;
  pairErrorsAtThreshold: number;
  msPerImage: number;
}

async function identification(embedder: string): Promise<EmbedderFigures> {
  const analyzer = new FaceAnalyzer({ cacheDir, embedder });
  const start = performance.now();
  const people = await embedGallery(analyzer, 'people');
  const knnTrain = await embedGallery(analyzer, 'knn/train');
  const msPerImage = (performance.now() - start) / (people.total + knnTrain.total);

  const leaveOneOut = people.embedded.filter(
    (p) => nearest(p.embedding, people.embedded, p).name === p.name,
  ).length;

  // Same-vs-different distances over every labelled embedding (both galleries) choose the threshold.
  const labelled = [...people.embedded, ...knnTrain.embedded.map((k) => ({ ...k, name: `knn:${k.name}` }))];
  const knnTest: Labelled[] = [];
  const strangers: Float32Array[] = [];
  const labels = loadLabels();
  for (const [scene, label] of Object.entries(labels.scenes)) {
    if (label.gallery !== 'knn') continue;
    const faces = await analyzer.analyze(await decodeImage(facePath(scene)));
    for (const { name, face } of labelFaces(faces, label.faces)) {
      if (name === 'unknown') strangers.push(face.embedding!);
      else if (scene.startsWith('knn/test/')) knnTest.push({ name, embedding: face.embedding! });
    }
  }
  const same: number[] = [];
  const different: number[] = [];
  const all = [...labelled, ...knnTest.map((k) => ({ ...k, name: `knn:${k.name}` }))];
  for (let i = 0; i < all.length; i++) {
    for (let j = i + 1; j < all.length; j++) {
      (all[i]!.name === all[j]!.name ? same : different).push(
        cosineDistance(all[i]!.embedding, all[j]!.embedding),
      );
    }
  }
  const { threshold, errors } = chooseThreshold(same, different);

  const knn = { right: 0, wrong: 0, unknown: 0, strangerNamed: 0 };
  for (const t of knnTest) {
    const m = nearest(t.embedding, knnTrain.embedded);
    if (m.distance > threshold) knn.unknown++;
    else if (m.name === t.name) knn.right++;
    else knn.wrong++;
  }
  for (const s of strangers) if (nearest(s, knnTrain.embedded).distance <= threshold) knn.strangerNamed++;
  await analyzer.close();
  return {
    peopleEmbedded: people.embedded.length,
    peopleTotal: people.total,
    leaveOneOut,
    knn,
    sameMean: round(mean(same), 3),
    sameMax: round(Math.max(...same), 3),
    differentMin: round(Math.min(...different), 3),
    differentMean: round(mean(different), 3),
    threshold: round(threshold, 3),
    pairErrorsAtThreshold: errors,
    msPerImage: round(msPerImage, 1),
  };
}

/**
 * The threshold with the fewest pair errors, counting a false match as 10 false non-matches: in an
 * open-set gallery naming a stranger is far worse than saying "unknown". Ties go to the stricter value.
 */
function chooseThreshold(same: number[], different: number[]): { threshold: number; errors: number } {
  const candidates = [...same, ...different].sort((a, b) => a - b);
  let best = { threshold: 0, errors: Infinity, cost: Infinity };
  for (let i = 0; i < candidates.length; i++) {
    const t = i + 1 < candidates.length ? (candidates[i]! + candidates[i + 1]!) / 2 : candidates[i]!;
    const falseReject = same.filter((d) => d > t).length;
    const falseAccept = different.filter((d) => d <= t).length;
    const cost = falseReject + 10 * falseAccept;
    if (cost < best.cost) best = { threshold: t, errors: falseReject + falseAccept, cost };
  }
  return { threshold: best.threshold, errors: best.errors };
}

const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
const round = (v: number, d: number): number => Math.round(v * 10 ** d) / 10 ** d;

// ---- run ---------------------------------------------------------------------------------------------
const detectionRows: Record<string, DetectionFigures> = {};
for (const d of DETECTORS) detectionRows[d] = await detection(d);
console.log('\nDetection on the 43 dlib boxes (detection/training.xml + testing.xml), and faces on dogs.jpg');
console.table(
  Object.fromEntries(
    Object.entries(detectionRows).map(([id, f]) => [
      id,
      {
        'found IoU≥0.3': `${f.found30}/${f.total}`,
        'found IoU≥0.5': `${f.found50}/${f.total}`,
        'mean IoU': f.meanIou,
        'false faces': f.falsePositives,
        'faces on dogs.jpg': f.dogs,
      },
    ]),
  ),
);
figures.detection = detectionRows;

const embedderRows: Record<string, EmbedderFigures> = {};
for (const e of EMBEDDERS) embedderRows[e] = await identification(e);
console.log(
  '\nIdentification (people/: 8×5 crops; knn/: train gallery, test faces; threshold chosen from same/different distances)',
);
console.table(
  Object.fromEntries(
    Object.entries(embedderRows).map(([id, f]) => [
      id,
      {
        'people embedded': `${f.peopleEmbedded}/${f.peopleTotal}`,
        'leave-one-out': `${f.leaveOneOut}/${f.peopleEmbedded}`,
        'knn right/wrong/unknown': `${f.knn.right}/${f.knn.wrong}/${f.knn.unknown}`,
        'strangers named': f.knn.strangerNamed,
        'same mean/max': `${f.sameMean}/${f.sameMax}`,
        'different min/mean': `${f.differentMin}/${f.differentMean}`,
        threshold: f.threshold,
        'pair errors': f.pairErrorsAtThreshold,
        'ms/image': f.msPerImage,
      },
    ]),
  ),
);
figures.identification = embedderRows;
console.log(JSON.stringify({ benchmark: 'accuracy', ...figures }));
