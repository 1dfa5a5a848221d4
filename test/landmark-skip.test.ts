// FaceMesh only where it changes the answer (issue 14): a sure, large, near-frontal BlazeFace detection is
// aligned on BlazeFace's own key points (blazeFivePoints) without running FaceMesh, keeping the Face
// record's contracts (upright crop, quality, five points), for the embedders measured to allow it
// (analyzer.ts BLAZE_ALIGNS: not the default dlib-resnet); unsure detections, small faces and tight crops
// still take FaceMesh. Real models, real photos.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { FaceAnalyzer } from '../src/engine/analyzer.js';
import { decodeImage } from '../src/engine/image/decode.js';
import { resizeBilinear } from '../src/engine/image/pixels.js';
import { blazeFivePoints } from '../src/engine/landmarks/blaze-points.js';
import { poseFromFivePoints } from '../src/engine/quality.js';
import type { Point } from '../src/engine/types.js';

const FACES = path.resolve(import.meta.dirname, '../../shared/faces');
const MODEL_CACHE = path.join(os.tmpdir(), 'visage-test-models');
const cos = (a: Float32Array, b: Float32Array): number => a.reduce((s, x, i) => s + x * b[i]!, 0);

test('blazeFivePoints: in face order, and it turns and scales with the face', () => {
  const kp: Point[] = [
    [100, 100],
    [140, 100],
    [120, 122],
    [120, 140],
    [80, 105],
    [160, 105],
  ];
  const five = blazeFivePoints(kp);
  assert.equal(five.length, 5);
  assert.ok(Math.abs(poseFromFivePoints(five).roll) < 1, 'upright eyes give no roll');
  assert.ok(five[3]![0] < 120 && five[4]![0] > 120, 'mouth corners either side of the mouth centre');
  // A quarter turn and a doubling about the origin moves every derived point the same way.
  const turn = ([x, y]: Point): Point => [-2 * y, 2 * x];
  const turned = blazeFivePoints(kp.map(turn));
  five.map(turn).forEach((p, i) => {
    assert.ok(Math.hypot(p[0] - turned[i]![0], p[1] - turned[i]![1]) < 1e-9, `point ${i}`);
  });
});

test('bbt1 with faceres: large frontal faces skip FaceMesh with the same crop and close embeddings; the default embedder, dogs, tight crops and small faces still take it', async () => {
  const analyzer = new FaceAnalyzer({ cacheDir: MODEL_CACHE, embedder: 'faceres' });
  const byDefault = new FaceAnalyzer({ cacheDir: MODEL_CACHE });
  try {
    const image = await decodeImage(path.join(FACES, 'scenes/bbt1.jpg'));
    const candidates = await analyzer.candidates(image);
    const faces = await analyzer.describe(image, candidates);
    assert.equal(faces.length, 4);
    const meshes = await analyzer.landmarker.landmarks(image, candidates);
    const skipped = faces.filter((f) => !f.landmarks);
    assert.ok(skipped.length >= 2, `${skipped.length} of bbt1's 4 faces aligned without FaceMesh`);
    for (const f of skipped) {
      const i = candidates.findIndex((d) => d.box === f.box);
      assert.ok(i >= 0);
      assert.ok(candidates[i]!.score >= 0.6, 'only sure detections skip FaceMesh');
      assert.deepEqual(f.keypoints, blazeFivePoints(candidates[i]!.keypoints));
      // The crop FaceMesh would have seen, pixel for pixel: quality and snapshots do not change.
      assert.deepEqual(f.crop!.data, meshes[i]!.crop.data);
      assert.ok(f.quality!.sharpness > 0);
      const [own, viaMesh] = await analyzer.embedder.embed(image, [f.keypoints, meshes[i]!.keypoints]);
      const c = cos(own!.embedding, viaMesh!.embedding);
      assert.ok(c > 0.9, `embedding aligned on BlazeFace vs FaceMesh points: cosine ${c.toFixed(4)}`);
    }
    // dlib-resnet (the default) always takes FaceMesh's points: its open-set calibration moved without them.
    const defaultFaces = await byDefault.describe(image, await byDefault.candidates(image));
    assert.equal(defaultFaces.length, 4);
    assert.ok(defaultFaces.every((f) => f.landmarks?.length === 468));

    // Unsure detections (the dogs score ≤ 0.54) still need FaceMesh to confirm them.
    const dogs = await decodeImage(path.join(FACES, 'detection/dogs.jpg'));
    assert.equal((await analyzer.detect(dogs)).length, 0);

    // A tight crop (the face fills the frame): BlazeFace's points are near a mean face there.
    const tight = await decodeImage(path.join(FACES, 'people/stuart/stuart5.png'));
    const [tightFace] = await analyzer.detect(tight);
    assert.equal(tightFace?.landmarks?.length, 468);

    // Shrunk so every face is below 64 px: FaceMesh for all.
    const small = resizeBilinear(image, Math.round(image.width / 3), Math.round(image.height / 3));
    const smallFaces = await analyzer.detect(small);
    assert.ok(smallFaces.length >= 3);
    for (const f of smallFaces) assert.equal(f.landmarks?.length, 468);
  } finally {
    await analyzer.close();
    await byDefault.close();
  }
});
