// The shared test photos (../shared/faces): paths, labels and the dlib face boxes, for benchmarks and tests.
import fs from 'node:fs';
import path from 'node:path';
import type { Box } from '../src/engine/types.js';

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
      const boxes = [...image[2]!.matchAll(/<box top='(-?\d+)' left='(-?\d+)' width='(\d+)' height='(\d+)'/g)].map((m) => ({
        x: Number(m[2]),
        y: Number(m[1]),
        width: Number(m[3]),
        height: Number(m[4]),
      }));
      out.set(facePath('detection', image[1]!), [...(out.get(facePath('detection', image[1]!)) ?? []), ...boxes]);
    }
  }
  return out;
}
