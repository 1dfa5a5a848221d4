// The clustering rule for unknown faces, pure (no database): a face joins the cluster it is most like on
// average — the mean, over the cluster's members, of the pair's z-normalised similarity (the Recognizer's
// own scale, decision.ts `normalise`) — when that mean reaches `joinZ`; otherwise it starts a cluster of
// its own. Incremental: one face at a time, against the clusters as they stand, as Immich does for its
// unnamed people, so a new photo never reshuffles what the user already reviewed. Average linkage rather
// than nearest member: one blurry face that resembles two people does not chain them together.
//
// The threshold and its evidence are in unknowns.ts's header (JOIN_Z); bench/unknowns-threshold.ts runs
// these very functions on ../shared/faces/dev.
import { cosineDistance } from '../../engine/compare.js';
import { normalise, type ModelNorm } from '../recognize/decision.js';

export interface ClusterRule {
  /** The least mean z-similarity to a cluster's members for a face to join it. */
  joinZ: number;
}

/** A cluster as the rule sees it: its members' vectors (at most MEMBERS_COMPARED of them). */
export interface ClusterVectors<Id> {
  id: Id;
  members: readonly Float32Array[];
}

/** Members a face is compared with per cluster (the newest): bounds the cost for a cluster of a long video. */
export const MEMBERS_COMPARED = 64;

/** Similarity of two L2-normalised embeddings on the Recognizer's z scale for the model's impostor statistics. */
export function zSimilarity(norm: ModelNorm): (a: Float32Array, b: Float32Array) => number {
  return (a, b) => normalise(1 - cosineDistance(a, b), norm);
}

/** The cluster a face joins (with its mean z), or null: it starts a new one. */
export function nearestCluster<Id>(
  face: Float32Array,
  clusters: readonly ClusterVectors<Id>[],
  z: (a: Float32Array, b: Float32Array) => number,
  rule: ClusterRule,
): { id: Id; z: number } | null {
  let best: { id: Id; z: number } | null = null;
  for (const c of clusters) {
    const members = c.members.slice(-MEMBERS_COMPARED);
    if (members.length === 0) continue;
    let sum = 0;
    for (const m of members) sum += z(face, m);
    const mean = sum / members.length;
    if (mean >= rule.joinZ && (!best || mean > best.z)) best = { id: c.id, z: mean };
  }
  return best;
}

/** Clusters faces in the order given, as the incremental rule would have: one label per face. */
export function clusterAll(
  faces: readonly Float32Array[],
  z: (a: Float32Array, b: Float32Array) => number,
  rule: ClusterRule,
): number[] {
  const clusters: { id: number; members: Float32Array[] }[] = [];
  return faces.map((f) => {
    const hit = nearestCluster(f, clusters, z, rule);
    if (hit) {
      clusters[hit.id]!.members.push(f);
      return hit.id;
    }
    clusters.push({ id: clusters.length, members: [f] });
    return clusters.length - 1;
  });
}
