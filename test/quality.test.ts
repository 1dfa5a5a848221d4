// Face quality on real photos: sharpness must fall with blur but not with face size, and the pose from
// five points must respect the symmetries of a face (mirror → opposite yaw, rotation → roll).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { decodeImage } from '../src/engine/image/decode.js';
import { resizeBilinear } from '../src/engine/image/pixels.js';
import { ARCFACE_112, alignFace } from '../src/engine/align/templates.js';
import {
  assessQuality,
  faceSize,
  poseFromFivePoints,
  sharpness,
  SHARPNESS_SIZE,
} from '../src/engine/quality.js';
import type { Point, RgbImage } from '../src/engine/types.js';
import { dlibFivePoints } from '../bench/dataset.js';

const FACES = path.resolve(import.meta.dirname, '../../shared/faces');

async function blurred(img: RgbImage, sigma: number): Promise<RgbImage> {
  const data = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .blur(sigma)
    .raw()
    .toBuffer();
  return { data: new Uint8Array(data), width: img.width, height: img.height };
}

const faces = dlibFivePoints('testing_with_face_landmarks.xml');

test('each face crop of people/ is sharper than itself blurred', async () => {
  const dir = path.join(FACES, 'people');
  let n = 0;
  for (const person of readdirSync(dir)) {
    for (const file of readdirSync(path.join(dir, person))) {
      const crop = await decodeImage(path.join(dir, person, file));
      const sharpScore = sharpness(crop);
      const blurScore = sharpness(await blurred(crop, 1.5));
      assert.ok(blurScore < sharpScore * 0.7, `${person}/${file}: ${sharpScore} vs blurred ${blurScore}`);
      n++;
    }
  }
  assert.equal(n, 40);
});

/** A fixed-framing face crop, as assessQuality expects (edges replicated: a black border reads as detail). */
function faceCrop(img: RgbImage, points: readonly Point[]): RgbImage {
  return alignFace(img, points, ARCFACE_112, 2 * SHARPNESS_SIZE, 'replicate');
}

test('assessQuality: blurring the photo lowers every annotated face’s sharpness', async () => {
  const files = [...new Set(faces.map((f) => f.file))];
  for (const file of files) {
    const img = await decodeImage(path.join(FACES, 'detection', file));
    const soft = await blurred(img, 1.5);
    for (const face of faces.filter((f) => f.file === file)) {
      const box = { x: 0, y: 0, width: 40, height: 52 };
      const q = assessQuality(box, face.points, faceCrop(img, face.points));
      const qs = assessQuality(box, face.points, faceCrop(soft, face.points));
      assert.equal(q.size, 40);
      assert.ok(qs.sharpness < q.sharpness, `${file}: ${q.sharpness} vs blurred ${qs.sharpness}`);
      assert.deepEqual([qs.yaw, qs.pitch, qs.roll], [q.yaw, q.pitch, q.roll]);
    }
  }
});

test('sharpness does not depend on face size until the face gets small', async () => {
  const img = await decodeImage(path.join(FACES, 'scenes/obama-1080p.jpg'));
  // Eyes, nose tip and mouth corners of the face in this photo, placed by hand (about 110 px between eyes).
  const points: Point[] = [
    [945, 210],
    [1055, 210],
    [1000, 258],
    [955, 325],
    [1045, 325],
  ];
  const at = (scale: number): number => {
    const im =
      scale === 1 ? img : resizeBilinear(img, Math.round(img.width * scale), Math.round(img.height * scale));
    const scaled = points.map(([x, y]): Point => [x * scale, y * scale]);
    return assessQuality({ x: 0, y: 0, width: 1, height: 1 }, scaled, faceCrop(im, scaled)).sharpness;
  };
  const full = at(1);
  for (const scale of [0.7, 0.5, 0.35]) {
    const s = at(scale);
    assert.ok(Math.abs(s / full - 1) < 0.15, `scale ${scale}: ${s} vs ${full}`);
  }
  assert.ok(at(0.18) < full / 2, 'a face 20 px between the eyes is soft');
});

test('the frontal template has no pose', () => {
  const pose = poseFromFivePoints(ARCFACE_112.points);
  assert.ok(
    Math.abs(pose.yaw) < 1 && Math.abs(pose.pitch) < 1 && Math.abs(pose.roll) < 1,
    JSON.stringify(pose),
  );
});

test('a mirrored face has opposite yaw and roll and the same pitch', () => {
  let turned = 0;
  for (const { points } of faces) {
    const mirrored = points.map(([x, y]): Point => [1000 - x, y]);
    const swapped = [mirrored[1], mirrored[0], mirrored[2], mirrored[4], mirrored[3]];
    const a = poseFromFivePoints(points);
    const b = poseFromFivePoints(swapped);
    assert.ok(Math.abs(a.yaw + b.yaw) < 1e-9, `yaw ${a.yaw} vs ${b.yaw}`);
    assert.ok(Math.abs(a.roll + b.roll) < 1e-9, `roll ${a.roll} vs ${b.roll}`);
    assert.ok(Math.abs(a.pitch - b.pitch) < 1e-9, `pitch ${a.pitch} vs ${b.pitch}`);
    if (Math.abs(a.yaw) > 5) turned++;
  }
  assert.ok(turned > 0, 'some annotated faces are turned, so the check is not 0 = −0');
});

test('rotating the points changes roll by the rotation and nothing else', () => {
  for (const { points } of faces) {
    const base = poseFromFivePoints(points);
    for (const degrees of [-40, 15, 90]) {
      const t = (degrees * Math.PI) / 180;
      const rotated = points.map(([x, y]): Point => [
        Math.cos(t) * x - Math.sin(t) * y + 50,
        Math.sin(t) * x + Math.cos(t) * y - 20,
      ]);
      const pose = poseFromFivePoints(rotated);
      const droll = ((pose.roll - base.roll - degrees + 540) % 360) - 180;
      assert.ok(Math.abs(droll) < 1e-6, `roll ${pose.roll} from ${base.roll} after ${degrees}°`);
      assert.ok(Math.abs(pose.yaw - base.yaw) < 1e-6 && Math.abs(pose.pitch - base.pitch) < 1e-6);
    }
  }
});

test('yaw and pitch of a synthetic head follow its rotation', () => {
  // A 3-D five-point face: the frontal template, nose tip half an eye distance in front of the face plane.
  const [le, re] = ARCFACE_112.points;
  const depth = 0.5 * (re[0] - le[0]);
  const head = ARCFACE_112.points.map(([x, y], i): [number, number, number] => [
    x - 56,
    y - 56,
    i === 2 ? depth : 0,
  ]);
  const view = (yawDeg: number, pitchDeg: number): Point[] => {
    const a = (yawDeg * Math.PI) / 180;
    const b = (pitchDeg * Math.PI) / 180;
    return head.map(([x, y, z]) => {
      const x1 = x * Math.cos(a) + z * Math.sin(a); // turn: a nose in front moves right
      const z1 = -x * Math.sin(a) + z * Math.cos(a);
      return [x1, y * Math.cos(b) - z1 * Math.sin(b)]; // tilt up: a nose in front moves up
    });
  };
  for (const [yaw, pitch] of [
    [25, 0],
    [-25, 0],
    [0, 15],
    [0, -15],
    [20, 10],
  ]) {
    const pose = poseFromFivePoints(view(yaw, pitch));
    assert.ok(Math.abs(pose.yaw - yaw) < 5, `yaw ${pose.yaw} for ${yaw}`);
    assert.ok(Math.abs(pose.pitch - pitch) < 5, `pitch ${pose.pitch} for ${pitch}`);
  }
});

test('faceSize is the shorter box side; points out of face order are refused', () => {
  assert.equal(faceSize({ x: 5, y: 5, width: 80, height: 64 }), 64);
  const [le, re, nose, lm, rm] = ARCFACE_112.points;
  assert.throws(() => poseFromFivePoints([re, le, nose, rm, lm]), RangeError);
  assert.throws(() => poseFromFivePoints([le, re, nose]), RangeError);
});
