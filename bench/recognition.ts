// npm run bench:recognition — open-set recognition on ../shared/faces with each per-person rule
// (nearest sample, mean, trimmed mean): enrol a gallery, recognise the labelled scenes, count faces named
// right, named wrong, and left unknown. Ends with one line of JSON.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Aggregation } from '../src/gallery/embedding-index.js';
import { Visage } from '../src/service/visage.js';
import type { RecognizedFace } from '../src/service/recognize/photos.js';
import { facePath, galleryImages, inLabelOrder, loadLabels } from './dataset.js';

export interface SceneScore {
  right: number;
  wrong: number;
  unknown: number;
  /** Faces of people not enrolled (or extra faces) that were named: must stay 0. */
  strangersNamed: number;
  details: string[];
}

const modelCache = path.join(os.tmpdir(), 'visage-bench-models');

/** Opens Visage on a fresh data directory that shares the converted-model cache between runs. */
export function freshVisage(aggregation: Aggregation, options: { threads?: number } = {}): Visage {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'visage-recog-'));
  fs.mkdirSync(modelCache, { recursive: true });
  fs.symlinkSync(modelCache, path.join(dataDir, 'models'));
  return new Visage({ dataDir, aggregation, ...options });
}

export async function enrollGallery(
  visage: Visage,
  folder: 'people' | 'knn/train',
): Promise<{ accepted: number; total: number; rejected: string[] }> {
  let accepted = 0;
  let total = 0;
  const rejected: string[] = [];
  for (const [name, files] of galleryImages(folder)) {
    const report = await visage.enrollment.enroll(
      name,
      files.map((source) => ({ source })),
    );
    total += files.length;
    accepted += report.accepted.length;
    rejected.push(...report.rejected.map((r) => `${path.basename(r.source)}: ${r.reason}`));
  }
  return { accepted, total, rejected };
}

/**
 * Scores one labelled scene: labels are left to right by face centre; when more faces are found than
 * listed, the extra ones (the smallest) must come back unknown.
 */
export function scoreScene(faces: RecognizedFace[], names: string[], optional: string[] = []): SceneScore {
  const score: SceneScore = { right: 0, wrong: 0, unknown: 0, strangersNamed: 0, details: [] };
  const { listed, extra } = inLabelOrder(faces, names.length);
  const centre = (f: RecognizedFace): number => f.box.x + f.box.width / 2;
  // Faces in two rows can have centres within a few pixels; the labels' boxes may order such a pair the
  // other way, so neighbours closer than half a face width may swap when that matches the labels.
  for (let i = 0; i + 1 < listed.length; i++) {
    const [a, b] = [listed[i]!, listed[i + 1]!];
    const near = centre(b) - centre(a) < (a.box.width + b.box.width) / 4;
    if (near && a.name === names[i + 1] && b.name === names[i]) [listed[i], listed[i + 1]] = [b, a];
  }
  listed.forEach((f, i) => {
    const expected = names[i]!;
    if (expected === 'unknown') {
      if (f.name !== null) score.strangersNamed++;
    } else if (f.name === expected) score.right++;
    else if (f.name === null) score.unknown++;
    else score.wrong++;
    score.details.push(`${expected}→${f.name ?? 'unknown'}(${f.distance?.toFixed(3)})`);
  });
  for (const f of extra) if (f.name !== null) score.strangersNamed++;
  if (listed.length < names.length - optional.length)
    score.details.push(`only ${listed.length} of ${names.length} faces found`);
  return score;
}

async function run(aggregation: Aggregation): Promise<Record<string, unknown>> {
  const labels = loadLabels();
  const out: Record<string, unknown> = {};
  for (const gallery of ['people', 'knn'] as const) {
    const visage = freshVisage(aggregation);
    const enrolled = await enrollGallery(visage, gallery === 'people' ? 'people' : 'knn/train');
    const total: SceneScore = { right: 0, wrong: 0, unknown: 0, strangersNamed: 0, details: [] };
    for (const [scene, label] of Object.entries(labels.scenes)) {
      if (label.gallery !== gallery) continue;
      const r = await visage.photos.recognizeFile(facePath(scene), { storeEvents: false });
      if ('error' in r) throw new Error(r.error.message);
      const s = scoreScene(r.faces, label.faces, label.optional);
      total.right += s.right;
      total.wrong += s.wrong;
      total.unknown += s.unknown;
      total.strangersNamed += s.strangersNamed;
      total.details.push(`${path.basename(scene)}: ${s.details.join(' ')}`);
    }
    out[gallery] = {
      enrolled: `${enrolled.accepted}/${enrolled.total}`,
      rejected: enrolled.rejected,
      ...total,
    };
    await visage.close();
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const results: Record<string, unknown> = {};
  for (const rule of ['nearest', 'mean', 'trimmed-mean'] as Aggregation[]) results[rule] = await run(rule);
  const verbose = process.argv.includes('--verbose');
  console.table(
    Object.fromEntries(
      Object.entries(results).flatMap(([rule, r]) =>
        Object.entries(r as Record<string, SceneScore & { enrolled: string }>).map(([g, s]) => [
          `${rule} / ${g}`,
          {
            enrolled: s.enrolled,
            right: s.right,
            wrong: s.wrong,
            unknown: s.unknown,
            'strangers named': s.strangersNamed,
          },
        ]),
      ),
    ),
  );
  if (verbose) console.dir(results, { depth: 4 });
  console.log(JSON.stringify({ benchmark: 'recognition', results }));
}
