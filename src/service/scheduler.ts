// One queue for all model work of the process. The engine is single-threaded per session and each job
// holds a decoded image (up to 150 MB), so running jobs one at a time keeps memory flat however many
// requests arrive; waiting requests hold only their compressed upload. Live camera frames go first, so
// a burst of uploads does not freeze the camera view.
import { VisageError } from '../errors.js';

export type Priority = 'normal' | 'live';

interface Job {
  run: () => Promise<void>;
}

export class WorkQueue {
  private readonly waiting: Record<Priority, Job[]> = { live: [], normal: [] };
  private running = false;
  private idleWaiters: (() => void)[] = [];

  /** @param maxWaiting jobs allowed to wait; beyond that requests get 503 `busy` rather than pile up. */
  constructor(readonly maxWaiting = 256) {}

  get size(): number {
    return this.waiting.live.length + this.waiting.normal.length + (this.running ? 1 : 0);
  }

  run<T>(work: () => Promise<T>, priority: Priority = 'normal'): Promise<T> {
    if (this.waiting.live.length + this.waiting.normal.length >= this.maxWaiting) {
      return Promise.reject(
        new VisageError(
          'busy',
          `The server is busy (${this.size} jobs queued); try again in a few seconds.`,
          {
            queued: this.size,
          },
        ),
      );
    }
    return new Promise<T>((resolve, reject) => {
      this.waiting[priority].push({ run: () => work().then(resolve, reject) });
      void this.drain();
    });
  }

  /** Resolves once every queued job has finished (graceful shutdown). */
  idle(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    for (let job = this.next(); job; job = this.next()) await job.run();
    this.running = false;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private next(): Job | undefined {
    return this.waiting.live.shift() ?? this.waiting.normal.shift();
  }
}
