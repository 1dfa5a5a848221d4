// The three model stages of a video frame — detector, landmarks, embeddings — as video recognition calls
// them, each one unit of the scheduler. The detector's input (the frame shrunk and letterboxed, ~5 ms of
// sharp on a 720p frame, on libuv's threads) is made before the frame takes its turn, so the model runs
// for other frames meanwhile instead of waiting for it. Two ways to run the stages, one rule for which:
// - scheduledStages: each call is its own unit (files, video jobs: one frame at a time in their lane).
// - FrameBatcher (issue 14, item 4): live sources — cameras, `visage watch` — that want the same stage at
//   the same time share one unit and one session.run over all their frames, and each gets its own results
//   (per frame what the unbatched call returns, within float noise). A request waits until every live
//   source being watched has one waiting (each source has at most one frame in flight), or LINGER_MS
//   after the first, then takes its turn in the scheduler; whatever arrived for that stage by the time the
//   unit runs goes into the same run. With one source nothing waits.
// What it buys, measured here (issue 14, item 4; bench:video's streams part and the per-image costs of
// one session.run): all three models take a batch dimension, and a batch of 2 / 4 costs per image, with 1
// ONNX thread, 97 / 106 % (BlazeFace), 90 / 89 % (FaceMesh), 92 / 96 % (dlib-resnet int8) of a single run;
// with 2 threads 90 / 88 %, 76 / 65 %, 79 / 65 %. Live frames rarely want the same stage at the same
// moment (bench:video, 2–3 streams: 1.05–1.24 frames a run; a 12 ms wait gathered 1.24–1.46 with mixed
// throughput), so whole frames gain little (within the noise of this shared machine). A batch delays a photo request by one stage of all its frames, as the separate units
// queued in turn did.
import type { FaceAnalyzer } from '../../engine/analyzer.js';
import type { EmbedResult } from '../../engine/embed/embedder.js';
import type { DetectedFace, Face } from '../../engine/face.js';
import type { Letterbox } from '../../engine/image/pixels.js';
import type { Point, RgbImage } from '../../engine/types.js';
import type { Scheduler, WorkOptions } from '../scheduler.js';

export interface FrameStages {
  /** The detector's candidates on a frame. */
  candidates(image: RgbImage): Promise<DetectedFace[]>;
  /** The landmark stage on a frame's candidates (the unconfirmed dropped). */
  describe(image: RgbImage, candidates: readonly DetectedFace[]): Promise<Face[]>;
  /** Embeddings of a frame's faces, given by their five key points. */
  embed(image: RgbImage, keypoints: readonly Point[][]): Promise<EmbedResult[]>;
}

/** Each stage call as its own unit of the scheduler, in `work`'s lane. */
export function scheduledStages(
  analyzer: FaceAnalyzer,
  scheduler: Scheduler,
  work: WorkOptions,
): FrameStages {
  const stage = <T>(run: () => Promise<T>): Promise<T> => scheduler.run(run, { kind: 'job', ...work });
  return {
    candidates: async (image) => {
      const input = await analyzer.detectorInput(image);
      return (await stage(() => analyzer.candidatesOf([input])))[0]!;
    },
    describe: (image, candidates) => stage(() => analyzer.describe(image, candidates)),
    embed: (image, keypoints) => stage(() => analyzer.embedder.embed(image, keypoints)),
  };
}

/**
 * How long a stage request of a live source waits for the other sources' requests, ms. A 25 fps frame
 * is 40 ms apart; the detector runs ~10 ms a frame here. Waiting costs latency, not CPU.
 */
export const LINGER_MS = 4;

interface Request<I, O> {
  input: I;
  lane: string;
  resolve: (output: O) => void;
  reject: (error: unknown) => void;
}

/** The waiting requests of one stage, run together as one scheduler unit. */
class StageQueue<I, O> {
  private pending: Request<I, O>[] = [];
  private timer: NodeJS.Timeout | null = null;
  private queued = false;

  constructor(
    private readonly batcher: FrameBatcher,
    private readonly runBatch: (inputs: I[]) => Promise<O[]>,
  ) {}

  submit(input: I, lane: string): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.pending.push({ input, lane, resolve, reject });
      if (this.queued) return; // a unit is already waiting for its turn: this request rides along
      if (this.pending.length >= this.batcher.sources) this.enqueue();
      else this.timer ??= setTimeout(() => this.enqueue(), this.batcher.lingerMs);
    });
  }

  /** Queues one unit (in the lane of the oldest request), which takes every request waiting when it runs. */
  private enqueue(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.queued = true;
    const lane = this.pending[0]!.lane;
    // A job unit is never refused, and the unit settles every request it took.
    void this.batcher.scheduler.run(
      async () => {
        this.queued = false;
        const batch = this.pending.splice(0);
        this.batcher.count(batch.length);
        try {
          const outputs = await this.runBatch(batch.map((r) => r.input));
          batch.forEach((r, i) => r.resolve(outputs[i]!));
        } catch (e) {
          for (const r of batch) r.reject(e);
        }
      },
      { kind: 'job', lane },
    );
  }
}

export interface BatchStats {
  /** Model runs made for live sources. */
  runs: number;
  /** Of those, runs that served frames of more than one source. */
  batchedRuns: number;
  /** Frames (stage requests) served by all runs. */
  frames: number;
}

/** Batches the model stages of the live sources of one analyzer and scheduler (one per VideoService). */
export class FrameBatcher {
  /** Live sources currently receiving frames. */
  sources = 0;
  readonly stats: BatchStats = { runs: 0, batchedRuns: 0, frames: 0 };
  private readonly detector: StageQueue<Letterbox, DetectedFace[]>;
  private readonly landmarks: StageQueue<{ image: RgbImage; candidates: readonly DetectedFace[] }, Face[]>;
  private readonly embedder: StageQueue<{ image: RgbImage; keypoints: readonly Point[][] }, EmbedResult[]>;

  constructor(
    private readonly analyzer: FaceAnalyzer,
    readonly scheduler: Scheduler,
    readonly lingerMs = LINGER_MS,
  ) {
    this.detector = new StageQueue(this, (inputs) => analyzer.candidatesOf(inputs));
    this.landmarks = new StageQueue(this, (items) => analyzer.describeBatch(items));
    this.embedder = new StageQueue(this, (items) => analyzer.embedder.embedBatch(items));
  }

  /** A live source starts receiving frames; the returned function says it stopped. */
  join(): () => void {
    this.sources++;
    let left = false;
    return () => {
      if (!left) this.sources--;
      left = true;
    };
  }

  /** The stages of one live source, whose requests wait in `lane`'s turn. */
  stagesFor(lane: string): FrameStages {
    return {
      candidates: async (image) => this.detector.submit(await this.analyzer.detectorInput(image), lane),
      describe: (image, candidates) => this.landmarks.submit({ image, candidates }, lane),
      embed: (image, keypoints) => this.embedder.submit({ image, keypoints }, lane),
    };
  }

  count(frames: number): void {
    this.stats.runs++;
    if (frames > 1) this.stats.batchedRuns++;
    this.stats.frames += frames;
  }
}
