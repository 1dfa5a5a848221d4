// The JSON shapes shared by the CLI and the HTTP API (../shared/CONVENTIONS.md): rounded for people,
// identical wherever a face or a person is shown.
import type { Face, FaceQuality } from '../engine/face.js';
import type { Box } from '../engine/types.js';
import type { DetectedFace, Quality } from '../api/index.js';

export type { Box };
export type FaceQualityJson = Quality;

/** A detected face: the API contract's DetectedFace, plus its embedding when the CLI asks for it. */
export type FaceJson = DetectedFace & { embedding?: number[] };

export const round = (v: number, digits = 1): number => Math.round(v * 10 ** digits) / 10 ** digits;

/** A time (ms since the epoch) as every result shows it: ISO 8601, UTC. */
export const iso = (ms: number): string => new Date(ms).toISOString();

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
