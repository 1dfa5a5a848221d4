// Faces nobody has named yet, grouped into people to name. Every unknown face a recognition stores
// (photos, video tracks, cameras) joins a cluster as it arrives (clustering.ts: average linkage in the
// Recognizer's z units); a cluster reaching MIN_FACES becomes a persistent "Unknown #N". The review can
// name a cluster (each face through the normal correction path, enroll/corrections.ts, so enrolment's
// quality, duplicate and resemblance checks apply face by face, with their reasons), merge two, split a
// wrong face off into a cluster of its own, or dismiss one ("not a person I care about": it keeps taking
// its look-alikes, so they do not come back as new). Re-clustering rebuilds every cluster from the
// unknown events after a model change or reindex, re-embedding snapshots of other models' faces, and keeps
// numbers and dismissals where most of a cluster's faces went.
//
// The threshold, JOIN_Z = 2.4 z (the Recognizer's scale: cosine similarity normalised by dev's impostor
// mean and spread, decision.ts `normalise`; for dlib-resnet+flip a cosine distance of 0.060 on
// average to a cluster's members; recognition's balanced threshold is 2.809 z): the lowest at which the clustering merges ≤ 1 % of pairs of different
// people. Evidence (`node --import tsx bench/unknowns-threshold.ts`, this rule run on the 666 faces of
// ../shared/faces/dev, 80 people, each pair of people clustered together, 3,160 pairs):
//   join z      2.0    2.2    2.3    2.4    2.5    2.6    2.8    3.0
//   merged %    4.62   2.44   1.58   0.98   0.60   0.44   0.16   0.06
//   clusters/person 1.18 1.26 1.36  1.45   1.50   1.61   2.01   2.66
// (single pairs of faces: 1 % of impostor pairs reach z 2.22, 0.1 % z 2.72). Above 2.4 a person splits
// into more clusters for little gain (a split is one merge click; a wrong merge enrols a wrong face).
// On the BBT scenes recognised with an empty gallery (test/unknowns-clustering.test.ts, int8 dlib-resnet,
// the default since it kept parity; the grid above is of float32 vectors): 22 labelled faces of 7 people
// in 12 clusters, 100 % of faces in a cluster of their own person, 1.57 clusters per person (sheldon in
// 3, leonard and raj in 2: bbt1's fake beards split them; float32 gave 11 clusters, 1.43); the 5 clusters
// of 3+ faces ("Unknown #1"–"#5") are one person each.
import type * as api from '../../api/index.js';
import { VisageError, isVisageError } from '../../errors.js';
import type { AuditLog } from '../../gallery/audit-log.js';
import type { ClusterRow, ClustersRepository, ClusterStatus } from '../../gallery/clusters-repository.js';
import type { EventsRepository } from '../../gallery/events-repository.js';
import type { ChangeContext } from '../../gallery/gallery.js';
import type { PeopleRepository } from '../../gallery/people-repository.js';
import type { Correction, CorrectionReport, CorrectOptions } from '../enroll/corrections.js';
import { analyzeStoredCrop } from '../enroll/stored-crops.js';
import type { FaceService } from '../faces/face-service.js';
import type { Recognizer } from '../recognize/recognizer.js';
import type { Scheduler } from '../scheduler.js';
import { clusterAll, MEMBERS_COMPARED, nearestCluster, zSimilarity, type ClusterRule } from './clustering.js';

/** Least mean z-similarity to a cluster's members to join it (see the header for its evidence). */
export const JOIN_Z = 2.4;
/** Faces a cluster needs to be shown as "Unknown #N" (Immich's minimum for a face cluster too). */
export const MIN_FACES = 3;
/** Thumbnails a cluster lists (the review shows a strip; `show` has them all). */
const PREVIEW_FACES = 8;

export type UnknownClusterJson = api.UnknownCluster;
export type UnknownClusterDetails = api.UnknownClusterDetails;
export type NameReport = api.UnknownNameReport;
export type ReclusterReport = api.ReclusterReport;

export interface UnknownsDeps {
  clusters: ClustersRepository;
  events: EventsRepository;
  people: PeopleRepository;
  audit: AuditLog;
  recognizer: Pick<Recognizer, 'modelId' | 'calibration'>;
  faces: FaceService;
  scheduler: Scheduler;
  /** The correction path (Enrollment.correct): "this event's face is NAME". */
  correct: (eventId: number, correction: Correction, options: CorrectOptions) => Promise<CorrectionReport>;
}

export class UnknownFaces {
  private readonly rule: ClusterRule = { joinZ: JOIN_Z };

  constructor(private readonly deps: UnknownsDeps) {}

  /**
   * Puts newly stored events into clusters: those that name nobody and carry an embedding of the
   * recognition's model; any other is passed over. One transaction for the batch.
   */
  add(eventIds: readonly number[]): void {
    const { clusters, events } = this.deps;
    const modelId = this.deps.recognizer.modelId;
    const fresh = eventIds.flatMap((id) => {
      const e = events.get(id);
      const stored =
        e && e.personId === null && clusters.clusterOf(id) === undefined ? events.embedding(id) : undefined;
      return stored && stored.modelId === modelId ? [{ id, vector: stored.vector }] : [];
    });
    if (fresh.length === 0) return;
    const z = this.similarity();
    clusters.db.transaction(() => {
      const members = clusters.memberVectors(modelId, MEMBERS_COMPARED);
      // Built once for the batch: each entry shares its vector list with `members`, so a face pushed
      // there is seen by the next face's comparison; a new cluster is appended to both.
      const current = [...members].map(([id, vectors]) => ({ id, members: vectors }));
      for (const face of fresh) {
        const hit = nearestCluster(face.vector, current, z, this.rule);
        const clusterId = hit?.id ?? clusters.create(modelId);
        clusters.addFace(clusterId, face.id);
        let list = members.get(clusterId);
        if (!list) {
          list = [];
          members.set(clusterId, list);
          current.push({ id: clusterId, members: list });
        }
        list.push(face.vector);
        if (list.length >= MIN_FACES) clusters.number(clusterId);
      }
    })();
  }

  /** Clusters to review: open ones with a number (`all`: every status and size), by number. */
  list(options: { all?: boolean } = {}): UnknownClusterJson[] {
    const rows = options.all
      ? this.deps.clusters.list({ minFaces: 1 })
      : this.deps.clusters.list({ status: 'open', minFaces: 1 }).filter((c) => c.number !== null);
    return rows.map((c) => this.json(c));
  }

  /** One cluster with every face; `cluster_not_found`. */
  show(id: number): UnknownClusterDetails {
    const c = this.require(id);
    return {
      cluster: this.json(c),
      members: this.deps.clusters.faces(id).map((f) => ({ ...f, time: new Date(f.time).toISOString() })),
    };
  }

  /** The cluster "Unknown #N"; `cluster_not_found`. */
  byNumber(n: number): UnknownClusterJson {
    const c = this.deps.clusters.list({ minFaces: 0 }).find((x) => x.number === n);
    if (!c) throw notFound(`Unknown #${n}`, { number: n });
    return this.json(c);
  }

  /**
   * Names a cluster: each face, largest first, is corrected to NAME (a new person or an existing one)
   * through enrolment's checks; the refused ones stay in the cluster with their reasons (an admin may
   * name again with `force` for those that are overridable). The cluster is 'named' once no face is left.
   */
  async name(id: number, name: string, options: CorrectOptions = {}): Promise<NameReport> {
    const cluster = this.require(id);
    if (cluster.status === 'merged') throw merged(cluster);
    const faces = this.largestFirst(this.deps.clusters.faces(id));
    const accepted: NameReport['accepted'] = [];
    const rejected: NameReport['rejected'] = [];
    let person: { id: number; name: string } | null = null;
    let created = false;
    for (const f of faces) {
      try {
        const r = await this.deps.correct(f.eventId, { is: name }, options);
        person = { id: r.person.id, name: r.person.name };
        created ||= r.created === true;
        accepted.push({ eventId: f.eventId, sampleId: r.sampleId! });
      } catch (e) {
        if (!isVisageError(e)) throw e;
        rejected.push({
          eventId: f.eventId,
          reason: e.code,
          message: e.message,
          overridable: e.details['overridable'] === true,
        });
      }
    }
    const left = this.require(id).faces;
    this.transaction(() => {
      if (person && left === 0) this.deps.clusters.setStatus(id, 'named', { personId: person.id });
      this.deps.audit.append(
        'unknowns.name',
        {
          clusterId: id,
          number: cluster.number,
          personId: person?.id ?? null,
          accepted: accepted.length,
          rejected: rejected.length,
        },
        options.actor ?? null,
      );
    });
    return { cluster: this.json(this.require(id)), person, created, accepted, rejected };
  }

  /** Moves every face of `id` into `intoId` (same model); `id` stays, empty, as 'merged'. */
  merge(id: number, intoId: number, context: ChangeContext = {}): UnknownClusterJson {
    const from = this.require(id);
    const into = this.require(intoId);
    if (id === intoId) throw new VisageError('invalid_request', 'A cluster cannot be merged into itself.');
    if (from.modelId !== into.modelId || into.status === 'merged') {
      throw new VisageError(
        'invalid_request',
        'These clusters cannot be merged (another model, or already merged).',
        { id, intoId },
      );
    }
    this.transaction(() => {
      const moved = this.deps.clusters.moveFaces(id, intoId);
      this.deps.clusters.setStatus(id, 'merged', { mergedInto: intoId });
      if (this.require(intoId).faces >= MIN_FACES) this.deps.clusters.number(intoId);
      this.deps.audit.append('unknowns.merge', { clusterId: id, intoId, moved }, context.actor ?? null);
    });
    return this.json(this.require(intoId));
  }

  /** Takes a wrong face out of a cluster into one of its own (new faces like it may join it there). */
  split(id: number, eventId: number, context: ChangeContext = {}): UnknownClusterJson {
    const cluster = this.require(id);
    if (!this.deps.clusters.faces(id).some((f) => f.eventId === eventId)) {
      throw new VisageError('event_not_in_cluster', `Event ${eventId} is not a face of this cluster.`, {
        id,
        eventId,
      });
    }
    const alone = this.transaction(() => {
      const created = this.deps.clusters.create(cluster.modelId);
      this.deps.clusters.addFace(created, eventId);
      this.deps.audit.append(
        'unknowns.split',
        { clusterId: id, eventId, into: created },
        context.actor ?? null,
      );
      return created;
    });
    return this.json(this.require(alone));
  }

  /** "Not a person I care about": hidden from the review, and keeps taking faces like its own. */
  dismiss(id: number, context: ChangeContext = {}): UnknownClusterJson {
    return this.setStatus(id, 'dismissed', 'unknowns.dismiss', context);
  }

  /** Brings a dismissed cluster back to the review. */
  restore(id: number, context: ChangeContext = {}): UnknownClusterJson {
    return this.setStatus(id, 'open', 'unknowns.restore', context);
  }

  /**
   * Rebuilds every cluster from the unknown events, in the order they were seen, with the current model
   * (faces of another model are embedded again from their snapshots, and keep that embedding). A new
   * cluster takes the number and status of the old numbered cluster most of its faces came from.
   */
  async recluster(context: ChangeContext = {}): Promise<ReclusterReport> {
    const { clusters, events } = this.deps;
    const modelId = this.deps.recognizer.modelId;
    let reembedded = 0;
    let skipped = 0;
    const faces: { id: number; vector: Float32Array }[] = [];
    for (const e of clusters.unknownEvents()) {
      const stored = events.embedding(e.eventId);
      if (stored?.modelId === modelId) {
        faces.push({ id: e.eventId, vector: stored.vector });
        continue;
      }
      const vector = e.hasSnapshot ? await this.embedSnapshot(e.eventId) : null;
      if (!vector) {
        skipped++;
        continue;
      }
      events.setEmbedding(e.eventId, modelId, vector);
      faces.push({ id: e.eventId, vector });
      reembedded++;
    }
    const labels = clusterAll(
      faces.map((f) => f.vector),
      this.similarity(),
      this.rule,
    );
    const groups = new Map<number, number[]>();
    labels.forEach((l, i) => {
      const group = groups.get(l) ?? [];
      group.push(faces[i]!.id);
      groups.set(l, group);
    });
    this.transaction(() => {
      const before = clusters.memberships();
      const numbered = new Map(
        clusters
          .list({ minFaces: 0 })
          .filter((c) => c.number !== null)
          .map((c) => [c.id, c]),
      );
      clusters.clearMemberships();
      const claimed = new Set<number>();
      for (const members of [...groups.values()].sort((a, b) => b.length - a.length)) {
        const votes = new Map<number, number>();
        for (const e of members) {
          const old = before.get(e);
          if (old !== undefined && numbered.has(old) && !claimed.has(old))
            votes.set(old, (votes.get(old) ?? 0) + 1);
        }
        const heir = [...votes].sort((a, b) => b[1] - a[1])[0]?.[0];
        let id: number;
        if (heir !== undefined) {
          id = heir;
          claimed.add(heir);
          clusters.setModel(heir, modelId);
          const status = numbered.get(heir)!.status;
          if (status !== 'open' && status !== 'dismissed') clusters.setStatus(heir, 'open');
        } else id = clusters.create(modelId);
        for (const e of members) clusters.addFace(id, e);
        if (members.length >= MIN_FACES) clusters.number(id);
      }
      this.deps.audit.append(
        'unknowns.recluster',
        { modelId, faces: faces.length, reembedded },
        context.actor ?? null,
      );
    });
    return {
      faces: faces.length,
      reembedded,
      skipped,
      clusters: clusters
        .list({ minFaces: MIN_FACES })
        .filter((c) => c.status === 'open' || c.status === 'dismissed').length,
    };
  }

  /** A snapshot's face embedded by the current model (one scheduled unit), or null if none is found. */
  private embedSnapshot(eventId: number): Promise<Float32Array | null> {
    return this.deps.scheduler.run(async () => {
      const snapshot = this.deps.events.snapshot(eventId);
      if (!snapshot) return null;
      const face = await analyzeStoredCrop(
        this.deps.faces.analyzer,
        await this.deps.faces.loadImage(snapshot),
        this.deps.events.get(eventId)?.box ?? null,
      );
      return face?.embedding ?? null;
    });
  }

  /** z-normalised similarity of two faces of the recognition's model (the Recognizer's scale). */
  private similarity(): (a: Float32Array, b: Float32Array) => number {
    const norm = this.deps.recognizer.calibration.models[this.deps.recognizer.modelId];
    if (!norm) throw new Error(`no calibration for ${this.deps.recognizer.modelId}`);
    return zSimilarity(norm);
  }

  private setStatus(
    id: number,
    status: ClusterStatus,
    action: string,
    context: ChangeContext,
  ): UnknownClusterJson {
    const c = this.require(id);
    if (c.status === 'merged' || c.status === 'named') throw merged(c);
    this.transaction(() => {
      this.deps.clusters.setStatus(id, status);
      this.deps.audit.append(action, { clusterId: id, number: c.number }, context.actor ?? null);
    });
    return this.json(this.require(id));
  }

  private transaction<T>(fn: () => T): T {
    return this.deps.clusters.db.transaction(fn)();
  }

  private require(id: number): ClusterRow {
    const c = this.deps.clusters.get(id);
    if (!c) throw notFound(`cluster ${id}`, { id });
    return c;
  }

  private largestFirst<T extends { box: { width: number; height: number } }>(faces: T[]): T[] {
    return [...faces].sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height);
  }

  private json(c: ClusterRow): UnknownClusterJson {
    const faces = this.largestFirst(this.deps.clusters.faces(c.id));
    const personId = c.personId;
    const person = personId === null ? undefined : this.deps.people.get(personId);
    return {
      id: c.id,
      number: c.number,
      status: c.status,
      faces: c.faces,
      coverEventId: faces.find((f) => f.hasSnapshot)?.eventId ?? null,
      previewEventIds: faces
        .filter((f) => f.hasSnapshot)
        .slice(0, PREVIEW_FACES)
        .map((f) => f.eventId),
      modelId: c.modelId,
      person: person ? { id: person.id, name: person.name } : null,
      updatedAt: new Date(c.updatedAt).toISOString(),
    };
  }
}

function notFound(what: string, details: Record<string, unknown>): VisageError {
  return new VisageError('cluster_not_found', `No unknown-face cluster ${what}.`, details);
}

function merged(c: ClusterRow): VisageError {
  return new VisageError('cluster_closed', `This cluster was already ${c.status}.`, {
    id: c.id,
    status: c.status,
  });
}
