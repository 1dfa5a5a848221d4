// A finished (or running) track as the product shows it — one row per track in CONVENTIONS.md's "Video
// and stream results" shape — and as it is stored: one recognition event with the best view's snapshot.
import { encodeJpeg } from '../../engine/image/encode.js';
import type { Box } from '../../engine/types.js';
import type { NewEvent } from '../../gallery/events-repository.js';
import type { Track } from './tracker.js';
import { round, roundBox } from '../json.js';

export interface TrackJson {
  id: number;
  name: string | null;
  personId: number | null;
  /** Best recognition score among the recognitions behind the track's verdict, in [0, 1]. */
  score: number;
  distance: number | null;
  /**
   * When the face was seen, s: for a named track, its first and last recognition as that person (the
   * evidence behind the name); for an unknown one, the whole track.
   */
  firstS: number;
  lastS: number;
  /** Frames in which the face was seen. */
  frames: number;
  /** The best view's box, in the source's pixels. */
  box: Box;
  /** Recognitions behind the verdict: for a named track, those that named that person; else all. */
  recognitions: number;
  /** The stored event (absent when events are not stored). */
  eventId?: number;
  /** Where the snapshot was written, when asked for. */
  snapshot?: string;
}

/** `scale` maps frame pixels to source pixels (frames may have been decoded smaller). */
export function trackJson(track: Track, scale: number): TrackJson {
  const verdict = track.votes.verdict();
  // A named track is reported from the recognitions behind its name; an unknown one as it was seen.
  const named = verdict?.personId != null ? verdict : null;
  return {
    id: track.id,
    name: verdict?.name ?? null,
    personId: verdict?.personId ?? null,
    score: round(verdict?.score ?? 0, 4),
    distance: verdict?.distance == null ? null : round(verdict.distance, 5),
    firstS: round(named ? named.firstS : track.firstS, 3),
    lastS: round(named ? named.lastS : track.lastS, 3),
    frames: track.frames,
    box: scaledBox(track.best?.box ?? track.box, scale),
    recognitions: verdict?.evidence ?? 0,
  };
}

export function scaledBox(b: Box, scale: number): Box {
  return roundBox({ x: b.x * scale, y: b.y * scale, width: b.width * scale, height: b.height * scale });
}

/**
 * The track's best view as a JPEG (null when it has none). Encoded once; the raw crop is released then,
 * so a long video's ended tracks hold kilobytes, not the 110 KB of a raw crop each.
 */
export async function snapshotJpeg(track: Track): Promise<Buffer | null> {
  const best = track.best;
  if (best && !best.snapshot && best.crop) {
    best.snapshot = await encodeJpeg(best.crop, 85);
    best.crop = undefined;
  }
  return best?.snapshot ?? null;
}

/** The event that records a track: its verdict, first appearance, best box, snapshot and embedding. */
export function trackEvent(
  row: TrackJson,
  track: Track,
  snapshot: Buffer | null,
  source: string,
  modelId: string,
  time?: number,
): NewEvent {
  return {
    time,
    source,
    offsetS: row.firstS,
    frame: row.personId !== null ? (track.votes.verdict()?.firstFrame ?? track.firstFrame) : track.firstFrame,
    box: row.box,
    personId: row.personId,
    score: row.score,
    distance: row.distance,
    snapshotJpeg: snapshot,
    modelId: track.best ? modelId : null,
    embedding: track.best?.embedding ?? null,
  };
}
