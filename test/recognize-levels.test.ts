// Issue 9: the product decides with the calibrated open-set rule (src/service/recognize/decision.ts) at
// the security level asked for, and every answer explains itself. On the real engine and ../shared/faces:
// people/ enrolled (40 crops) and the BBT scenes, knn/train enrolled and the knn scenes, each face
// analysed once and judged at every level. The scene criterion of issue 9: 0 wrong names, 0 strangers
// named (unknown counts recorded in the test names, as measured when the rule was wired in).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { facePath, loadLabels } from '../bench/dataset.js';
import { enrollGallery, freshVisage, scoreScene } from '../bench/recognition.js';
import type { RecognizedFace } from '../src/service/recognize/photos.js';
import { SECURITY_LEVELS, type SecurityLevel } from '../src/service/recognize/decision.js';
import type { Visage } from '../src/service/visage.js';

const labels = loadLabels();
type Judged = Map<string, Record<SecurityLevel, RecognizedFace[]>>;
const galleries: Record<'people' | 'knn', { visage: Visage; scenes: Judged }> = {} as never;

async function judgeScenes(visage: Visage, gallery: 'people' | 'knn'): Promise<Judged> {
  const out: Judged = new Map();
  for (const [scene, label] of Object.entries(labels.scenes)) {
    if (label.gallery !== gallery) continue;
    const image = await visage.faces.loadImage(facePath(scene));
    const faces = await visage.faces.analyzer.analyze(image);
    const per = {} as Record<SecurityLevel, RecognizedFace[]>;
    for (const level of SECURITY_LEVELS) per[level] = faces.map((f) => visage.photos.identify(f, level));
    out.set(scene, per);
  }
  return out;
}

before(async () => {
  for (const [gallery, folder] of [
    ['people', 'people'],
    ['knn', 'knn/train'],
  ] as const) {
    const visage = freshVisage('nearest');
    const enrolled = await enrollGallery(visage, folder);
    assert.equal(enrolled.accepted, enrolled.total, enrolled.rejected.join(', '));
    galleries[gallery] = { visage, scenes: await judgeScenes(visage, gallery) };
  }
});
after(async () => {
  for (const g of Object.values(galleries)) await g.visage.close();
});

function totals(gallery: 'people' | 'knn', level: SecurityLevel) {
  const t = { right: 0, wrong: 0, unknown: 0, strangersNamed: 0, details: [] as string[] };
  for (const [scene, per] of galleries[gallery].scenes) {
    const label = labels.scenes[scene]!;
    const s = scoreScene(per[level], label.faces, label.optional);
    t.right += s.right;
    t.wrong += s.wrong;
    t.unknown += s.unknown;
    t.strangersNamed += s.strangersNamed;
    t.details.push(`${scene}: ${s.details.join(' ')}`);
  }
  return t;
}

const EXPECTED = {
  people: { balanced: { right: 20, unknown: 2 }, lenient: { right: 21, unknown: 1 } },
  knn: { balanced: { right: 19, unknown: 1 }, lenient: { right: 20, unknown: 0 } },
} as const;

for (const gallery of ['people', 'knn'] as const) {
  const e = EXPECTED[gallery];
  test(`${gallery === 'people' ? 'people/ enrolled, BBT scenes' : 'knn/train enrolled, knn/test + scenes'}: 0 wrong names at every level, 0 strangers named at strict and balanced (balanced ${e.balanced.right} right / ${e.balanced.unknown} unknown, lenient ${e.lenient.right} / ${e.lenient.unknown})`, () => {
    const counts: string[] = [];
    for (const level of SECURITY_LEVELS) {
      const t = totals(gallery, level);
      const detail = `${level}: ${t.details.join(' | ')}`;
      assert.equal(t.wrong, 0, detail);
      // bbt2's third face (at the left edge, behind leonard; labelled as an optional unknown) looks like
      // raj and is named raj at lenient only: the one "stranger" named, at lenient, on these scenes.
      const bbt2Extra = level === 'lenient' && gallery === 'people' ? 1 : 0;
      assert.equal(t.strangersNamed, bbt2Extra, detail);
      if (bbt2Extra) {
        const edge = galleries.people.scenes.get('scenes/bbt2.jpg')!.lenient.find((f) => f.box.x < 10);
        assert.equal(edge?.name, 'raj', detail);
      }
      counts.push(`${level} ${t.right}/${t.wrong}/${t.unknown}`);
      if (level !== 'strict') {
        assert.ok(t.right >= e[level].right, `${detail}: fewer named than measured (${e[level].right})`);
      }
    }
    console.log(`# ${gallery} right/wrong/unknown: ${counts.join(', ')}`);
  });
}

test('strict names a subset of what balanced names, and balanced of what lenient names (knn and BBT scenes)', () => {
  for (const gallery of ['people', 'knn'] as const) {
    for (const [scene, per] of galleries[gallery].scenes) {
      per.strict.forEach((face, i) => {
        const [s, b, l] = [face, per.balanced[i]!, per.lenient[i]!];
        if (s.name !== null)
          assert.equal(b.name, s.name, `${scene} face ${i}: strict ${s.name}, balanced ${b.name}`);
        if (b.name !== null)
          assert.equal(l.name, b.name, `${scene} face ${i}: balanced ${b.name}, lenient ${l.name}`);
        // The same face, the same evidence: only the threshold moves with the level.
        assert.equal(s.evidence, l.evidence);
        assert.ok(s.evidenceThreshold >= b.evidenceThreshold && b.evidenceThreshold >= l.evidenceThreshold);
        assert.deepEqual([s.level, b.level, l.level], ['strict', 'balanced', 'lenient']);
      });
    }
  }
});

test('a large frontal face of an enrolled person is named at balanced, and the answer explains itself', () => {
  const [face] = galleries.knn.scenes.get('scenes/obama-1080p.jpg')!.balanced;
  assert.ok(face, 'a face was found');
  assert.equal(face.name, 'obama');
  assert.equal(face.decision, 'match');
  assert.equal(face.level, 'balanced');
  assert.equal(face.penalty, 0, 'no quality penalty for a large face');
  assert.ok(face.evidence! >= face.evidenceThreshold, JSON.stringify(face));
  assert.ok(face.margin === null || face.margin >= face.requiredMargin, JSON.stringify(face));
  assert.ok(face.distance! <= face.threshold, 'distance and threshold keep their cosine-distance meaning');
  assert.ok(face.score > 0.5);
  assert.equal(face.candidates[0]!.personId, face.personId);
  assert.equal(face.candidates[0]!.sampleId, face.sampleId);
});

test('an unknown face reports who was nearest and how far, and why it was not named', () => {
  const [lin] = galleries.knn.scenes.get('scenes/lin-manuel-miranda.png')!.balanced;
  assert.ok(lin);
  assert.equal(lin.name, null);
  assert.equal(lin.personId, null);
  assert.ok(['above_threshold', 'ambiguous', 'low_quality'].includes(lin.decision), lin.decision);
  const nearest = lin.candidates[0]!;
  assert.ok(nearest.name.length > 0);
  assert.equal(lin.distance, nearest.distance);
  assert.equal(lin.evidence, nearest.evidence);
  if (lin.decision === 'above_threshold') {
    assert.ok(lin.evidence! < lin.evidenceThreshold);
    assert.ok(lin.distance! > lin.threshold);
  }
  // Candidates are ranked by evidence, best first.
  for (let i = 1; i < lin.candidates.length; i++)
    assert.ok(lin.candidates[i - 1]!.evidence >= lin.candidates[i]!.evidence);
});
