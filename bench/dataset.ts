// The shared test photos (../shared/faces): paths, labels and the dlib face boxes, for benchmarks and tests.
import fs from 'node:fs';
import path from 'node:path';
import type { Box, Point } from '../src/engine/types.js';

export const FACES_DIR = path.resolve(import.meta.dirname, '../../shared/faces');

export const facePath = (...parts: string[]): string => path.join(FACES_DIR, ...parts);

export interface SceneLabel {
  gallery: 'people' | 'knn';
  /** Expected identities left to right by box centre; 'unknown' is a real face of someone not enrolled. */
  faces: string[];
  optional?: string[];
  note?: string;
}

export interface Labels {
  scenes: Record<string, SceneLabel>;
  no_faces: string[];
  partial: string[];
}

export function loadLabels(): Labels {
  return JSON.parse(fs.readFileSync(facePath('labels.json'), 'utf8')) as Labels;
}

/** Gallery folders: person name → image paths (people/<name>/* or knn/train/<name>/*). */
export function galleryImages(folder: 'people' | 'knn/train'): Map<string, string[]> {
  const root = facePath(folder);
  const out = new Map<string, string[]>();
  for (const name of fs.readdirSync(root).sort()) {
    const dir = path.join(root, name);
    if (!fs.statSync(dir).isDirectory()) continue;
    out.set(
      name,
      fs
        .readdirSync(dir)
        .sort()
        .map((f) => path.join(dir, f)),
    );
  }
  return out;
}

/** Hand-labelled face boxes from dlib's training.xml and testing.xml, per image file. */
export function dlibBoxes(): Map<string, Box[]> {
  const out = new Map<string, Box[]>();
  for (const xml of ['training.xml', 'testing.xml']) {
    const text = fs.readFileSync(facePath('detection', xml), 'latin1');
    for (const image of text.matchAll(/<image file='([^']+)'[^>]*>([\s\S]*?)<\/image>/g)) {
      const boxes = [
        ...image[2]!.matchAll(/<box top='(-?\d+)' left='(-?\d+)' width='(\d+)' height='(\d+)'/g),
      ].map((m) => ({
        x: Number(m[2]),
        y: Number(m[1]),
        width: Number(m[3]),
        height: Number(m[4]),
      }));
      out.set(facePath('detection', image[1]!), [
        ...(out.get(facePath('detection', image[1]!)) ?? []),
        ...boxes,
      ]);
    }
  }
  return out;
}

/**
 * Five key points (eye centres, nose tip, mouth corners; CONVENTIONS order) of every face in one of dlib's
 * 68-point annotation files (*_with_face_landmarks.xml), in continuous pixel coordinates.
 */
export function dlibFivePoints(xml: string): { file: string; points: Point[] }[] {
  const text = fs.readFileSync(facePath('detection', xml), 'latin1');
  const faces: { file: string; points: Point[] }[] = [];
  for (const image of text.split('<image ').slice(1)) {
    const file = /file='([^']+)'/.exec(image)![1]!;
    for (const box of image.split('<box ').slice(1)) {
      const part = new Map(
        [...box.matchAll(/name='(\d+)' x='(-?\d+)' y='(-?\d+)'/g)].map((m) => [
          Number(m[1]),
          [Number(m[2]) + 0.5, Number(m[3]) + 0.5] as Point,
        ]),
      );
      const mean = (ids: number[]): Point => [
        ids.reduce((s, i) => s + part.get(i)![0], 0) / ids.length,
        ids.reduce((s, i) => s + part.get(i)![1], 0) / ids.length,
      ];
      faces.push({
        file,
        points: [
          mean([36, 37, 38, 39, 40, 41]),
          mean([42, 43, 44, 45, 46, 47]),
          part.get(30)!,
          part.get(48)!,
          part.get(54)!,
        ],
      });
    }
  }
  return faces;
}

/**
 * The faces a scene's labels speak of, in label order: the `count` largest (labels leave out background
 * faces), left to right by box centre; the rest are extra faces. labels.json orders faces this way.
 */
export function inLabelOrder<T extends { box: Box }>(
  faces: readonly T[],
  count: number,
): { listed: T[]; extra: T[] } {
  const bySize = [...faces].sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height);
  const centre = (f: T): number => f.box.x + f.box.width / 2;
  return { listed: bySize.slice(0, count).sort((a, b) => centre(a) - centre(b)), extra: bySize.slice(count) };
}
