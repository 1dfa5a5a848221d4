// A track's name, decided over all its recognitions rather than frame by frame: each recognition votes
// for a person (or for "unknown") with a weight that says how usable the face was, so a frontal, sharp,
// large view outweighs a blurred profile, and one odd frame cannot rename a track.
import type { FaceQuality } from '../../engine/face.js';

export interface Vote {
  /** null: the recognizer answered unknown. */
  personId: number | null;
  name: string | null;
  /** The recognizer's score for its best candidate, in [0, 1]. */
  score: number;
  distance: number | null;
  sampleId: number | null;
  /** How much the face is worth, in (0, 1]: see voteWeight. */
  weight: number;
}

export interface Verdict {
  personId: number | null;
  name: string | null;
  /** Best score among the votes for this verdict (for unknown: the closest anyone came). */
  score: number;
  distance: number | null;
  sampleId: number | null;
  /** The verdict's share of all vote weight, in [0, 1]. */
  support: number;
  votes: number;
}

/**
 * A miss counts this much of a match. At the calibrated threshold a wrong match is rare, while a miss is
 * usually a poor view of the right person (turned head, motion blur): on hamilton_clip.mp4 Lin-Manuel
 * Miranda's 25°–40° profiles miss and his frontal views match.
 */
export const UNKNOWN_VOTE_FACTOR = 0.5;
/** The leading person must have at least this many times the weight of the runner-up. */
export const LEAD_FACTOR = 2;

/** Face size (shorter box side, px) from which a face counts fully; smaller ones carry less detail. */
const FULL_WEIGHT_SIZE = 60;
/** Sharpness (see quality.ts) from which a face counts fully; motion blur lowers it. */
const FULL_WEIGHT_SHARPNESS = 100;
const MIN_WEIGHT = 0.01;

/** How much one recognition of a face with this quality counts: size × frontalness² × sharpness, in (0, 1]. */
export function voteWeight(q: FaceQuality): number {
  const size = Math.min(1, q.size / FULL_WEIGHT_SIZE);
  const frontal = Math.max(0, Math.cos(radians(q.yaw)) * Math.cos(radians(q.pitch))) ** 2;
  const sharp = Math.min(1, q.sharpness / FULL_WEIGHT_SHARPNESS);
  return Math.max(MIN_WEIGHT, size * frontal * sharp);
}

export class IdentityVotes {
  private readonly votes: Vote[] = [];

  get count(): number {
    return this.votes.length;
  }

  add(vote: Vote): void {
    this.votes.push(vote);
  }

  /**
   * The person with the most weight, when they lead every other person by LEAD_FACTOR and outweigh the
   * unknown votes (each counted at UNKNOWN_VOTE_FACTOR); otherwise unknown. Null before any vote.
   */
  verdict(): Verdict | null {
    if (this.votes.length === 0) return null;
    const weights = new Map<number | null, number>();
    let total = 0;
    for (const v of this.votes) {
      weights.set(v.personId, (weights.get(v.personId) ?? 0) + v.weight);
      total += v.weight;
    }
    const unknownWeight = weights.get(null) ?? 0;
    const people = [...weights.entries()].filter(([id]) => id !== null).sort((a, b) => b[1] - a[1]);
    const [best, second] = people;
    const named =
      best !== undefined &&
      best[1] > UNKNOWN_VOTE_FACTOR * unknownWeight &&
      best[1] >= LEAD_FACTOR * (second?.[1] ?? 0);
    const personId = named ? best[0] : null;
    // Two people tied without any unknown vote: unknown, reported with the closest match of either.
    const mine = this.votes.filter((v) => v.personId === personId);
    const top = (mine.length ? mine : this.votes).reduce((a, b) => (b.score > a.score ? b : a));
    return {
      personId,
      name: named ? top.name : null,
      score: top.score,
      distance: top.distance,
      sampleId: top.sampleId,
      support: (weights.get(personId) ?? 0) / total,
      votes: this.votes.length,
    };
  }
}

function radians(deg: number): number {
  return (deg * Math.PI) / 180;
}
