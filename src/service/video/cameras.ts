// Cameras (RTSP/HTTP streams, V4L2 devices) that the server watches. The list is kept in the database
// (table `cameras`) with whether each camera should be watched and who watches it, so it survives
// restarts and several `visage serve` nodes can share one store: each wanted camera is watched by exactly
// one node, the one holding its lease. Each camera watched here is a LiveSource (video-live.ts), its
// frames one scheduler lane (`camera:<name>`), whose state changes and recognitions are passed to this
// node's subscribers (the SSE route).
//
// Leases. Every RENEW_MS, a node's lease loop (startLeaseLoop) renews the leases it holds with one UPDATE
// … RETURNING: a camera missing from the answer was stopped or removed (through any node), or taken over
// by another node after this one's lease ran out, and its watch here stops. Then it takes the wanted
// cameras whose lease is free or expired, each with one conditional UPDATE whose `changes` says whether
// this node won: the store serialises writes (SQLite's one writer, the PostgreSQL store's write lock), so
// two nodes cannot both see the lease free. A node that dies is replaced within LEASE_TTL_MS + RENEW_MS;
// one that closes releases its leases, and another takes them at its next round. A lease that ran out but
// nobody took is still this node's to renew: taking it would have changed lease_node. Lease times are each
// node's own clock, so nodes' clocks must agree to well within LEASE_TTL_MS - RENEW_MS (NTP does).
// When a camera moves (stopped and started elsewhere, or taken over), the old holder watches until its
// next renew: for up to RENEW_MS two nodes may both see it.
import crypto from 'node:crypto';
import os from 'node:os';
import { statement, type Db } from '../../gallery/database.js';
import { VisageError, isVisageError } from '../../errors.js';
import { checkStreamUrl, isNetworkUrl } from '../../media/url-policy.js';
// For `--camera-allow` of `visage serve` / `visage watch` (shells reach the media layer through here).
export { allowCameras } from '../../media/url-policy.js';
import type { LiveEvent, LiveSource, LiveState, LiveStateChange, VideoService } from './video.js';
import { SECURITY_LEVELS, type SecurityLevel } from '../recognize/decision.js';

/**
 * How often a node renews its leases and looks for cameras to take. Each round is one read, plus one
 * write (the renew; on PostgreSQL under the store's global write lock) when the node watches anything and
 * one per camera taken; 2 s keeps that negligible next to recognition while a takeover waits at most
 * LEASE_TTL_MS + RENEW_MS.
 */
export const RENEW_MS = 2_000;
/**
 * How long a lease holds without renewal: three rounds, so a node held up for one or two (a long write
 * transaction of another process, a slow PostgreSQL round trip) keeps its cameras, while a dead node's
 * cameras are watched again within 8 s.
 */
export const LEASE_TTL_MS = 6_000;

export interface CameraLeaseOptions {
  /** This node's name in the leases. Default host:pid:random, unique to each Cameras object. */
  node?: string;
  /** Default RENEW_MS. */
  renewMs?: number;
  /** Default LEASE_TTL_MS. */
  ttlMs?: number;
}

export interface CameraView {
  id: number;
  name: string;
  /** The URL with any password masked. */
  url: string;
  /** This node's watch of it: `stopped` when it is watched elsewhere (watchedBy) or nowhere. */
  state: LiveState;
  framesAnalysed: number;
  framesDropped: number;
  /** Why the camera failed or is reconnecting, when it is. */
  reason: string | null;
  /** Security level of this camera's recognitions (migration v5; default balanced). */
  level: SecurityLevel;
  /** The node holding its lease, which watches it; null when none does. */
  watchedBy: string | null;
  createdAt: string;
}

export type CameraMessage =
  { event: 'state'; data: LiveStateChange } | { event: LiveEvent['type']; data: LiveEvent };

interface CameraRow {
  id: number;
  name: string;
  url: string;
  level: SecurityLevel;
  created_at: number;
  /** 1: should be watched (start), 0: not (stop). */
  wanted: number;
  lease_node: string | null;
  lease_until: number | null;
}

interface Running {
  source: LiveSource;
  done: Promise<void>;
  reason: string | null;
  /** The level it was started with: a change made through another node restarts it here. */
  level: SecurityLevel;
  /** Until when (this node's clock) its lease was last taken or renewed. */
  leaseUntil: number;
  /** This node asked it to stop: its end leaves the camera's want and lease as they are. */
  stopping: boolean;
}

// Network streams and local capture devices only: a file path or file:// URL would let an API client
// make the server read any file it can.
const CAMERA_URL = /^((rtsps?|rtmps?|https?|srt):\/\/[^\s]+|\/dev\/video\d+)$/i;

export class Cameras {
  /** This node's name in the leases. */
  readonly node: string;
  private readonly renewMs: number;
  private readonly ttlMs: number;
  private readonly running = new Map<number, Running>();
  private readonly failures = new Map<number, string>();
  private readonly listeners = new Map<number, Set<(m: CameraMessage) => void>>();
  private timer: NodeJS.Timeout | null = null;
  private onError: (e: unknown) => void = () => {};

  constructor(
    private readonly db: Db,
    private readonly video: VideoService,
    options: CameraLeaseOptions = {},
  ) {
    this.node = options.node ?? `${os.hostname()}:${process.pid}:${crypto.randomBytes(3).toString('hex')}`;
    this.renewMs = options.renewMs ?? RENEW_MS;
    this.ttlMs = options.ttlMs ?? LEASE_TTL_MS;
  }

  list(): CameraView[] {
    return (statement(this.db, 'SELECT * FROM cameras ORDER BY name').all() as CameraRow[]).map((r) =>
      this.view(r),
    );
  }

  get(id: number): CameraView {
    return this.view(this.row(id));
  }

  /**
   * Errors: `invalid_camera` (name or URL), `camera_address_refused` (the camera address policy,
   * media/url-policy.ts), `source_unreachable` (its host name does not resolve), `camera_name_taken`;
   * `invalid_camera` also for a level that is not strict, balanced or lenient.
   */
  async add(rawName: string, url: string, level: SecurityLevel = 'balanced'): Promise<CameraView> {
    checkLevel(level);
    const name = rawName.normalize('NFC').trim();
    if (!name || [...name].length > 100 || /\p{Cc}/u.test(name)) {
      throw new VisageError(
        'invalid_camera',
        'A camera name has 1 to 100 characters and no control characters.',
      );
    }
    if (!CAMERA_URL.test(url)) {
      throw new VisageError(
        'invalid_camera',
        'The camera URL must be rtsp://, rtsps://, rtmp://, http(s)://, srt:// or a device such as /dev/video0.',
        {
          url: maskUrl(url),
        },
      );
    }
    if (isNetworkUrl(url)) await checkStreamUrl(url);
    if (statement(this.db, 'SELECT 1 FROM cameras WHERE name = ?').get(name)) {
      throw new VisageError('camera_name_taken', `There is already a camera named "${name}".`, { name });
    }
    const { lastInsertRowid } = statement(
      this.db,
      'INSERT INTO cameras (name, url, level, created_at) VALUES (?, ?, ?, ?)',
    ).run(name, url, level, Date.now());
    return this.get(Number(lastInsertRowid));
  }

  /**
   * Changes a camera's security level; a camera being watched is restarted with it (its tracks end), here
   * at once, on another node at its next renew. Errors: `camera_not_found`, `invalid_camera` (level).
   */
  async setLevel(id: number, level: SecurityLevel): Promise<CameraView> {
    checkLevel(level);
    const row = this.row(id);
    if (row.level === level) return this.view(row);
    statement(this.db, 'UPDATE cameras SET level = ? WHERE id = ?').run(level, id);
    await this.restartHere(id);
    return this.get(id);
  }

  async remove(id: number): Promise<void> {
    this.row(id);
    await this.stop(id);
    statement(this.db, 'DELETE FROM cameras WHERE id = ?').run(id);
    this.failures.delete(id);
  }

  /**
   * Marks the camera wanted and watches it here, unless another node holds its lease (it stays there;
   * `watchedBy` says which). The camera address policy is checked again (the allowlist or the name's
   * addresses may have changed since it was added): `camera_address_refused`.
   */
  async start(id: number): Promise<CameraView> {
    const row = this.row(id);
    const current = this.running.get(id);
    if (current && !current.stopping) return this.view(row);
    if (isNetworkUrl(row.url)) await checkStreamUrl(row.url);
    // A watch here that is still ending (a level change, a lease lost) finishes first.
    await current?.done;
    statement(this.db, 'UPDATE cameras SET wanted = 1 WHERE id = ?').run(id);
    if (!this.running.has(id)) {
      const leaseUntil = this.take(id);
      if (leaseUntil !== null) this.watch(this.row(id), leaseUntil);
    }
    return this.get(id);
  }

  /** Marks the camera unwanted and releases its lease: watched here, it stops now; elsewhere, at that node's next renew. */
  async stop(id: number): Promise<CameraView> {
    this.row(id);
    statement(
      this.db,
      'UPDATE cameras SET wanted = 0, lease_node = NULL, lease_until = NULL WHERE id = ?',
    ).run(id);
    await this.stopHere(id);
    return this.get(id);
  }

  subscribe(id: number, listener: (m: CameraMessage) => void): () => void {
    this.row(id);
    let set = this.listeners.get(id);
    if (!set) this.listeners.set(id, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  /**
   * Starts this node's lease loop (the server's; see the header), with a first round at once, so the
   * cameras wanted in the store are watched here or by another node. `onError`: a round or a restart
   * that failed (the store did not answer); the next round tries again.
   */
  startLeaseLoop(onError: (e: unknown) => void = () => {}): void {
    if (this.timer) return;
    this.onError = onError;
    const round = () => {
      try {
        this.renewAndTake();
      } catch (e) {
        onError(e);
      }
    };
    this.timer = setInterval(round, this.renewMs);
    this.timer.unref();
    round();
  }

  /** Stops watching here and releases this node's leases, so other nodes take its cameras over at once. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await Promise.all([...this.running.keys()].map((id) => this.stopHere(id)));
    try {
      statement(this.db, 'UPDATE cameras SET lease_node = NULL, lease_until = NULL WHERE lease_node = ?').run(
        this.node,
      );
    } catch (e) {
      // The leases then run out within the TTL instead: the takeover is only slower.
      this.onError(e);
    }
  }

  /** One round of the lease loop: renew what this node holds, let go of what it lost, take what is free. */
  private renewAndTake(): void {
    const now = Date.now();
    const leaseUntil = now + this.ttlMs;
    let held: CameraRow[] = [];
    try {
      // This node holds a lease only while it watches the camera, or after its watch failed here (until
      // released below): an idle node skips the write, so it never waits for another's write lock.
      if (this.running.size > 0 || this.failures.size > 0) {
        held = statement(
          this.db,
          'UPDATE cameras SET lease_until = ? WHERE lease_node = ? AND wanted <> 0 RETURNING *',
        ).all(leaseUntil, this.node) as CameraRow[];
      }
    } catch (e) {
      // Without an answer this node cannot tell whether its leases hold: each camera stops once its lease
      // has run out, as the node taking it over assumes.
      for (const [id, run] of this.running) if (run.leaseUntil < now) void this.stopHere(id);
      throw e;
    }
    const renewed = new Map(held.map((row) => [row.id, row]));
    for (const [id, run] of this.running) {
      if (run.stopping) continue;
      const row = renewed.get(id);
      if (!row) void this.stopHere(id);
      else if (row.level !== run.level) this.restartHere(id).catch(this.onError);
      else run.leaseUntil = leaseUntil;
    }
    for (const row of held) {
      // Its watch failed here with a failure no retry mends (the address policy, which is each node's; no
      // ffmpeg; a device of another machine): another node may try, this one only when started again.
      if (!this.running.has(row.id) && this.failures.has(row.id)) this.release(row.id);
    }
    const free = statement(
      this.db,
      'SELECT * FROM cameras WHERE wanted <> 0 AND (lease_node IS NULL OR lease_until < ?) ORDER BY id',
    ).all(now) as CameraRow[];
    for (const row of free) {
      if (this.failures.has(row.id) || this.running.has(row.id)) continue;
      const taken = this.take(row.id);
      if (taken !== null) this.watch(row, taken);
    }
  }

  /**
   * Takes a wanted camera's lease if it is free, expired or already this node's: until when it holds it,
   * or null when another node does (or the camera is no longer wanted).
   */
  private take(id: number): number | null {
    const now = Date.now();
    const leaseUntil = now + this.ttlMs;
    const { changes } = statement(
      this.db,
      'UPDATE cameras SET lease_node = ?, lease_until = ? WHERE id = ? AND wanted <> 0 ' +
        'AND (lease_node IS NULL OR lease_node = ? OR lease_until < ?)',
    ).run(this.node, leaseUntil, id, this.node, now);
    return changes === 1 ? leaseUntil : null;
  }

  private release(id: number): void {
    statement(
      this.db,
      'UPDATE cameras SET lease_node = NULL, lease_until = NULL WHERE id = ? AND lease_node = ?',
    ).run(id, this.node);
  }

  /** Watches a camera whose lease this node holds. */
  private watch(row: CameraRow, leaseUntil: number): void {
    const id = row.id;
    const publish = (m: CameraMessage) => {
      for (const listener of this.listeners.get(id) ?? []) listener(m);
    };
    const run: Partial<Running> = { reason: null, level: row.level, leaseUntil, stopping: false };
    const source = this.video.watch(
      row.url,
      // A camera added to the server should come back when it does: keep retrying (with backoff)
      // instead of giving up on the first failure, as `visage watch` does — except after a failure no
      // retry mends (the address policy refused it; video-live.ts), which leaves it `failed` with the reason.
      { name: row.name, failFast: false, level: row.level },
      {
        onState: (change) => {
          run.reason = change.reason ?? null;
          publish({
            event: 'state',
            data: { ...change, ...(change.reason ? { reason: maskUrl(change.reason) } : {}) },
          });
        },
        onEvent: (event) => publish({ event: event.type, data: event }),
      },
    );
    this.failures.delete(id);
    run.source = source;
    // The lease loop releases the lease of a watch that failed (renewAndTake).
    run.done = source.run().then(
      () => this.forget(id, run as Running),
      (e: unknown) => {
        this.forget(id, run as Running);
        this.failures.set(id, maskUrl(isVisageError(e) ? e.message : String(e)));
      },
    );
    this.running.set(id, run as Running);
  }

  /** Ends this node's watch of a camera, leaving its want and lease as they are. */
  private async stopHere(id: number): Promise<void> {
    const run = this.running.get(id);
    if (!run) return;
    run.stopping = true;
    run.source.stop();
    await run.done;
  }

  /** Restarts this node's watch of a camera with its settings as stored now (its level), if it still holds the lease. */
  private async restartHere(id: number): Promise<void> {
    const run = this.running.get(id);
    if (!run || run.stopping) return;
    await this.stopHere(id);
    const row = statement(this.db, 'SELECT * FROM cameras WHERE id = ?').get(id) as CameraRow | undefined;
    if (!row || this.running.has(id)) return;
    const leaseUntil = this.take(id);
    if (leaseUntil !== null) this.watch(row, leaseUntil);
  }

  private forget(id: number, run: Running): void {
    if (this.running.get(id) === run) this.running.delete(id);
  }

  private row(id: number): CameraRow {
    const row = statement(this.db, 'SELECT * FROM cameras WHERE id = ?').get(id) as CameraRow | undefined;
    if (!row) throw new VisageError('camera_not_found', `No camera with id ${id}.`, { cameraId: id });
    return row;
  }

  private view(row: CameraRow): CameraView {
    const run = this.running.get(row.id);
    const watchedBy = this.holder(row);
    // A failure here says nothing once another node watches the camera.
    const failure = watchedBy === null || watchedBy === this.node ? this.failures.get(row.id) : undefined;
    return {
      id: row.id,
      name: row.name,
      url: maskUrl(row.url),
      state: run ? run.source.state : failure ? 'failed' : 'stopped',
      framesAnalysed: run?.source.framesAnalysed ?? 0,
      framesDropped: run?.source.framesDropped ?? 0,
      reason: run ? run.reason : (failure ?? null),
      level: row.level,
      watchedBy,
      createdAt: new Date(row.created_at).toISOString(),
    };
  }

  /** The node watching a camera: its lease holder while the lease lasts (or while this node, holding it, watches). */
  private holder(row: CameraRow): string | null {
    if (row.lease_node === null) return null;
    if (row.lease_node === this.node && this.running.has(row.id)) return this.node;
    return (row.lease_until ?? 0) >= Date.now() ? row.lease_node : null;
  }
}

function checkLevel(level: string): asserts level is SecurityLevel {
  if (!(SECURITY_LEVELS as readonly string[]).includes(level)) {
    throw new VisageError('invalid_camera', `The level must be one of ${SECURITY_LEVELS.join(', ')}.`, {
      level,
    });
  }
}

/** rtsp://user:secret@host → rtsp://user:***@host, wherever a URL appears in a text. */
export function maskUrl(text: string): string {
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@/]*@/gi, '$1***@');
}
