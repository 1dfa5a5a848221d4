// BlazeFace anchor layout and decoding, on hand-made outputs, plus one real photo through the detector.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blazefaceAnchors, decodeBlazeface } from '../src/engine/detect/blazeface.js';
import { suppressContained } from '../src/engine/detect/nms.js';

test('anchors: 896 for both input sizes, finer grid first, centred in their cells', () => {
  for (const size of [128, 256]) {
    const a = blazefaceAnchors(size);
    assert.equal(a.length, 896);
    const stride = size / 16;
    assert.deepEqual(a[0], [stride / 2, stride / 2]);
    assert.deepEqual(a[1], a[0]); // two anchors per cell on the fine grid
    assert.deepEqual(a[2], [stride * 1.5, stride / 2]);
    assert.deepEqual(a[512], [size / 16, size / 16]); // first coarse cell: stride size/8, centre at half of it
    assert.deepEqual(a[895], [size - size / 16, size - size / 16]);
  }
});

test('decode: offsets are added to the anchor, sizes are taken as is, scores pass through a sigmoid', () => {
  const anchors = blazefaceAnchors(256);
  const logits = new Float32Array(896).fill(-10);
  const regressors = new Float32Array(896 * 16);
  const i = 600;
  logits[i] = 2; // sigmoid(2) ≈ 0.881
  regressors.set([4, -6, 40, 50, -10, -5, 10, -5, 0, 5, 0, 15, -20, 0, 20, 0], i * 16);
  const out = decodeBlazeface(logits, regressors, anchors, 0.5);
  assert.equal(out.length, 1);
  const [ax, ay] = anchors[i]!;
  const d = out[0]!;
  assert.ok(Math.abs(d.score - 1 / (1 + Math.exp(-2))) < 1e-6);
  assert.deepEqual(d.box, { x: ax + 4 - 20, y: ay - 6 - 25, width: 40, height: 50 });
  assert.deepEqual(d.keypoints[0], [ax - 10, ay - 5]);
  assert.deepEqual(d.keypoints[5], [ax + 20, ay]);
  // Below the threshold nothing comes out.
  assert.equal(decodeBlazeface(logits, regressors, anchors, 0.9).length, 0);
});

test('suppressContained drops a part-of-face box inside a better one, keeps neighbours', () => {
  const face = { box: { x: 0, y: 0, width: 100, height: 100 }, score: 0.9 };
  const part = { box: { x: 50, y: 20, width: 60, height: 60 }, score: 0.5 }; // 2/3 of it inside the face
  const neighbour = { box: { x: 95, y: 0, width: 100, height: 100 }, score: 0.8 }; // 5% overlap
  assert.deepEqual(suppressContained([face, neighbour, part], 0.5), [face, neighbour]);
});
