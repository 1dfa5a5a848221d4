// The JSON shapes shared by the CLI and the HTTP API (../shared/CONVENTIONS.md): rounded for people,
// identical wherever a face or a person is shown.
import type { Face, FaceQuality } from '../engine/face.js';
import type { Box, Point } from '../engine/types.js';

export type { Box };
export type FaceQualityJson = FaceQuality;

export interface FaceJson {
  box: Box;
  score: number;
  keypoints: Point[];
  quality: FaceQualityJson;
  embedding?: number[];
}

export const round = (v: number, digits = 1): number => Math.round(v * 10 ** digits) / 10 ** digits;

export function roundBox(b: Box): Box {
  return { x: round(b.x), y: round(b.y), width: round(b.width), height: round(b.height) };
}

export function qualityJson(q: FaceQuality): FaceQualityJson {
  return {
    size: round(q.size),
    sharpness: round(q.sharpness),
    yaw: round(q.yaw),
    pitch: round(q.pitch),
    roll: round(q.roll),
  };
}

export function faceJson(f: Face, withEmbedding: boolean): FaceJson {
  return {
    box: roundBox(f.box),
    score: round(f.score, 4),
    keypoints: f.keypoints.map(([x, y]) => [round(x), round(y)]),
    quality: qualityJson(f.quality!),
    ...(withEmbedding && f.embedding ? { embedding: Array.from(f.embedding, (v) => round(v, 6)) } : {}),
  };
}
