// The one scheduler for all model work of the process: photo requests (detect, recognise, compare, crops,
// enrol, correct), live browser frames, every frame of a video job and of a watched camera (one unit per
// model stage of a frame: detector, landmarks, embeddings; live sources that want one stage at the same
// time share one unit and one model run, video/frame-stages.ts). The service verbs call it themselves
// (Visage builds one and hands it to each feature), so no caller can go around it.
//
// - One unit at a time (`concurrency`): the ONNX sessions are shared and use every core on their own, and a
//   running unit holds one decoded image (up to 150 MB); waiting units hold only what they were given
//   (an upload's compressed bytes; a video job or camera waits with its one current frame decoded, plus
//   the few frames its decoder reads ahead).
// - Lanes: each unit belongs to an owner — a user or API key, a video job, a camera — and lanes with work
//   waiting are served round-robin, one unit per turn. So a long video delays a photo request by at most
//   one stage of one frame per other busy lane, and a second user's video job advances from its first
//   frame on, interleaved with the first job's, instead of waiting for it to end.
// - Live browser frames go first (someone is watching the answer), but never more than LIVE_BURST in a
//   row while other work waits, so a few open cameras cannot starve uploads.
// - Bounded: beyond `maxWaiting` waiting units, requests are refused with `busy` (HTTP 503 with
//   Retry-After, estimated from recent unit times) rather than piling up. Units of video jobs and cameras
//   (`kind: 'job'`) are never refused and do not count against the bound: each such lane waits with one
//   unit at most, and the number of jobs and cameras is bounded where they are started.
// - A unit that calls another scheduled verb runs it inline (it already holds the models), so verbs
//   built on verbs (a correction that enrols) cannot deadlock.
import { AsyncLocalStorage } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';
import { VisageError } from '../errors.js';

/**
 * `request`: one caller waiting for an answer (refused when the queue is full); `live`: a live frame, served
 * first; `job`: background work of a video job or camera, one unit per lane at a time, never refused.
 */
export type WorkKind = 'request' | 'live' | 'job';

export interface WorkOptions {
  /**
   * Whose work this is: a user or API key (`user:ada`, `key:scripts`), a video job (`video:<id>`), a camera
   * (`camera:<name>`). Lanes take turns. Default: one shared lane (`local`), right for the CLI.
   */
  lane?: string;
  kind?: WorkKind;
}

export interface SchedulerOptions {
  /** Units allowed to wait before requests get `busy`. */
  maxWaiting?: number;
  /** Units running at once. */
  concurrency?: number;
}

export interface SchedulerStats {
  running: number;
  waiting: number;
  /** Lanes with work waiting. */
  lanes: number;
  /** Units finished since start. */
  served: number;
}

export const DEFAULT_MAX_WAITING = 256;
/** Live frames served in a row before one other unit gets its turn. */
export const LIVE_BURST = 3;
export const DEFAULT_LANE = 'local';

interface Unit {
  lane: string;
  kind: WorkKind;
  run: () => Promise<void>;
}

/** Lanes in turn order, each with its waiting units: a Map's insertion order is the rotation. */
class Lanes {
  private readonly lanes = new Map<string, Unit[]>();
  size = 0;

  get count(): number {
    return this.lanes.size;
  }

  push(unit: Unit): void {
    const queue = this.lanes.get(unit.lane);
    if (queue) queue.push(unit);
    else this.lanes.set(unit.lane, [unit]);
    this.size++;
  }

  /** The first lane's next unit; the lane goes to the back of the rotation (or leaves it when empty). */
  shift(): Unit | undefined {
    const first = this.lanes.entries().next();
    if (first.done) return undefined;
    const [lane, queue] = first.value;
    const unit = queue.shift()!;
    this.lanes.delete(lane);
    if (queue.length > 0) this.lanes.set(lane, queue);
    this.size--;
    return unit;
  }
}

export class Scheduler {
  /** Units allowed to wait before requests get `busy` (the server may set it after construction). */
  maxWaiting: number;
  readonly concurrency: number;
  private readonly live = new Lanes();
  private readonly normal = new Lanes();
  private running = 0;
  private served = 0;
  /** Waiting units that count against `maxWaiting` (requests and live frames, not job frames). */
  private refusable = 0;
  private liveStreak = 0;
  /** Mean duration of recent units, ms (for Retry-After). */
  private meanMs = 100;
  private idleWaiters: (() => void)[] = [];
  private readonly inside = new AsyncLocalStorage<true>();

  constructor(options: SchedulerOptions = {}) {
    this.maxWaiting = options.maxWaiting ?? DEFAULT_MAX_WAITING;
    this.concurrency = Math.max(1, options.concurrency ?? 1);
  }

  /** Units waiting plus running. */
  get size(): number {
    return this.waiting + this.running;
  }

  get stats(): SchedulerStats {
    return {
      running: this.running,
      waiting: this.waiting,
      lanes: this.live.count + this.normal.count,
      served: this.served,
    };
  }

  /** Runs `work` as one unit in `options.lane`'s turn; rejects with `busy` when the queue is full. */
  run<T>(work: () => Promise<T>, options: WorkOptions = {}): Promise<T> {
    if (this.inside.getStore()) return work();
    const kind = options.kind ?? 'request';
    if (kind !== 'job' && this.refusable >= this.maxWaiting) {
      const retryAfterS = this.retryAfterS();
      return Promise.reject(
        new VisageError(
          'busy',
          `Visage is busy (${this.waiting} units of work waiting); try again in ${retryAfterS} s.`,
          { queued: this.waiting, retryAfterS },
        ),
      );
    }
    if (kind !== 'job') this.refusable++;
    return new Promise<T>((resolve, reject) => {
      const unit: Unit = {
        lane: options.lane ?? DEFAULT_LANE,
        kind,
        run: async () => {
          try {
            resolve(await this.inside.run(true, work));
          } catch (e) {
            reject(e);
          }
        },
      };
      (kind === 'live' ? this.live : this.normal).push(unit);
      this.pump();
    });
  }

  /** Resolves once nothing runs or waits (graceful shutdown). */
  idle(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private get waiting(): number {
    return this.live.size + this.normal.size;
  }

  private pump(): void {
    while (this.running < this.concurrency) {
      const unit = this.next();
      if (!unit) break;
      if (unit.kind !== 'job') this.refusable--;
      this.running++;
      const t0 = performance.now();
      void unit.run().finally(() => {
        this.running--;
        this.served++;
        this.meanMs = 0.8 * this.meanMs + 0.2 * (performance.now() - t0);
        this.pump();
        if (this.size === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
      });
    }
  }

  private next(): Unit | undefined {
    if (this.live.size > 0 && (this.liveStreak < LIVE_BURST || this.normal.size === 0)) {
      this.liveStreak++;
      return this.live.shift();
    }
    this.liveStreak = 0;
    return this.normal.shift();
  }

  /** Seconds until the queue has likely drained enough to take new work, 1–60. */
  private retryAfterS(): number {
    const s = Math.ceil((this.waiting * this.meanMs) / this.concurrency / 1000);
    return Math.min(60, Math.max(1, s));
  }
}
