// A track's name, decided over all its recognitions rather than frame by frame: each recognition votes
// for a person (or for "unknown") with a weight that says how usable the face was, so a frontal, sharp,
// large view outweighs a blurred profile, and one odd frame cannot rename a track. A name also needs
// evidence, not just a majority: enough agreeing recognitions of a face large enough to count, or one
// very confident recognition of a large face (see `namingEvidence`). A tiny distant face never names a
// track by itself, however it voted. The live camera, network cameras and files all decide here.
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
  /** Face size (shorter box side, frame px) of this recognition. */
  size: number;
  /** When the face was recognised, s (of the video, or since a live source was opened), and on which frame. */
  timeS: number;
  frame: number;
  /**
   * How far this face's evidence passed (> 0) or missed (< 0) the threshold that applied to it, in the
   * decision rule's z units (decision.ts); null when the recognizer did not say.
   */
  lead: number | null;
}

export interface Verdict {
  personId: number | null;
  name: string | null;
  /** Best score among the votes behind the verdict (for unknown: the closest anyone came). */
  score: number;
  distance: number | null;
  sampleId: number | null;
  /** The verdict's share of all vote weight, in [0, 1]. */
  support: number;
  /** All recognitions of the track. */
  votes: number;
  /** The recognitions behind the verdict: the named person's (for unknown: all of them). */
  evidence: number;
  /** First and last of those recognitions, s, and the frame of the first. */
  firstS: number;
  lastS: number;
  firstFrame: number;
  /**
   * Unknown for now only for want of evidence: one person leads the vote but has not yet enough agreeing
   * recognitions (a live source waits before announcing "unknown").
   */
  pending: boolean;
}

/**
 * A miss counts this much of a match. At the calibrated threshold a wrong match is rare, while a miss is
 * usually a poor view of the right person (turned head, motion blur): on hamilton_clip.mp4 Lin-Manuel
 * Miranda's 25°–40° profiles miss and his frontal views match.
 */
export const UNKNOWN_VOTE_FACTOR = 0.5;
/** The leading person must have at least this many times the weight of the runner-up. */
export const LEAD_FACTOR = 2;

/**
 * Agreeing recognitions that name a track: three, as the issue asks. They are spread in time, not three
 * looks at one frame: a track is recognised every 0.5 s, every 0.25 s while a name is pending
 * (video-recognizer.ts), so three usually span ≥ 0.5 s of one tracked face. On hamilton_clip.mp4 (eight people/
 * identities + the clip's three enrolled) the close-up Lin-Manuel Miranda (77–94 px) gets 8 matches in 11
 * recognitions, while the distant one of the first shot (38–45 px, 0.64 s) gets 0–1 in 2–3, the face
 * the plain per-frame rule used to name stuart.
 */
export const MIN_AGREEING = 3;
/**
 * Faces smaller than this (px) are evidence for no name: their matches neither count as agreeing
 * recognitions nor name a track alone (they still vote, with their small weight, so they can hold a
 * track at unknown). Evidence, MODELS.md "Small faces" (dev probes shrunk, balanced, with the size
 * penalty): at 40 / 32 px 74.1 / 65.9 % of enrolled people's photos are still named right, at 24 px only
 * 22.9 % — below 32 px a match is the exception among one face's looks, not a view of it to agree with.
 */
export const MIN_EVIDENCE_SIZE = 32;
/**
 * One recognition names a track alone only on a face at least this large (px): the decision rule's
 * reference size (`refSize` 64 in decision.ts), from which the rule adds no size penalty (+0.25 z per
 * halving below it); dev's median face is 85 px.
 */
export const CONFIDENT_SIZE = 64;
/**
 * … and only when it passed its own threshold by at least this much, z units (decision.ts: z = impostor
 * standard deviations, 1 z ≈ 0.041 of dlib-resnet's cosine similarity). The levels' thresholds lie less
 * than 1 z apart (default: strict 2.983, balanced 2.809, lenient 2.243; margin credit alike at every
 * level), so a lead of 1 z at any level clears strict, which names 0 of dev's 666 stranger probes (in
 * sample and held out, MODELS.md "Shipped calibrations"). On hamilton_clip.mp4 no recognition reaches it
 * (best: Lin-Manuel Miranda, 89 px, 0.72 z): the clip is named by agreement; a camera's close frontal face
 * is named at once.
 */
export const CONFIDENT_LEAD = 1;

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

/**
 * Whether these recognitions (all of one person) are enough to name a track: MIN_AGREEING of faces of
 * at least MIN_EVIDENCE_SIZE px, or one of a face of at least CONFIDENT_SIZE px that passed its threshold
 * by CONFIDENT_LEAD z. Pure; the rule the tests pin down.
 */
export function namingEvidence(votes: readonly Vote[]): 'agreement' | 'confident' | null {
  const usable = votes.filter((v) => v.personId !== null && v.size >= MIN_EVIDENCE_SIZE);
  if (usable.length >= MIN_AGREEING) return 'agreement';
  if (usable.some((v) => v.size >= CONFIDENT_SIZE && v.lead !== null && v.lead >= CONFIDENT_LEAD))
    return 'confident';
  return null;
}

export class IdentityVotes {
  private readonly votes: Vote[] = [];

  get count(): number {
    return this.votes.length;
  }

  get all(): readonly Vote[] {
    return this.votes;
  }

  /** Votes come in time order. */
  add(vote: Vote): void {
    this.votes.push(vote);
  }

  /**
   * The person with the most weight, when they lead every other person by LEAD_FACTOR, outweigh the
   * unknown votes (each counted at UNKNOWN_VOTE_FACTOR) and have the evidence to be named
   * (namingEvidence); otherwise unknown. Null before any vote.
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
    const leads =
      best !== undefined &&
      best[1] > UNKNOWN_VOTE_FACTOR * unknownWeight &&
      best[1] >= LEAD_FACTOR * (second?.[1] ?? 0);
    const theirs = leads ? this.votes.filter((v) => v.personId === best[0]) : [];
    const named = leads && namingEvidence(theirs) !== null;
    const personId = named ? best[0] : null;
    // Unknown: reported with the closest of the unknown votes (of any, when there are none), over the
    // whole span of recognitions.
    const used = named ? theirs : this.votes;
    const misses = this.votes.filter((v) => v.personId === null);
    const top = (named || misses.length === 0 ? used : misses).reduce((a, b) => (b.score > a.score ? b : a));
    return {
      personId,
      name: named ? top.name : null,
      score: top.score,
      distance: top.distance,
      sampleId: named ? top.sampleId : null,
      support: (weights.get(personId) ?? 0) / total,
      votes: this.votes.length,
      evidence: used.length,
      firstS: used[0]!.timeS,
      lastS: used[used.length - 1]!.timeS,
      firstFrame: used[0]!.frame,
      pending: leads && !named,
    };
  }
}

function radians(deg: number): number {
  return (deg * Math.PI) / 180;
}
