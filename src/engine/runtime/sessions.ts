// ONNX Runtime sessions: created once per model and reused for every image.
import ort from 'onnxruntime-node';
import { getModelSpec, type ModelId } from '../models/catalog.js';
import { loadInt8ModelBytes, loadModelBytes } from '../models/cache.js';
import { hasInt8Calibration } from '../models/quantize/int8.js';

export interface RuntimeOptions {
  /** Folder for the converted-model cache (inside the data directory). */
  cacheDir: string;
  /**
   * Intra-op threads per session. 1 with spinning off is the safe default on small shared machines:
   * with 2 spinning threads a busy second core made faceres twice as slow (../shared/MODELS.md).
   */
  threads?: number;
  /** Told once per model when it has to be converted (first use). */
  onConvert?: (message: string) => void;
  /**
   * Models to run in their int8 variant (MODELS.md, "int8 models"), each with a calibration in
   * `calibrationDir`. Default: every model whose int8 variant was kept — its parity with float held, so a
   * calibration is committed in assets/int8/ (dlib-resnet) —; [] runs every model in float (`--fp32`).
   */
  int8?: readonly ModelId[];
  /** Where int8 calibrations are read (default assets/int8/; bench:int8 measures fresh ones). */
  calibrationDir?: string;
}

export type Feeds = Record<string, ort.Tensor>;
export type Outputs = ort.InferenceSession.OnnxValueMapType;

export class ModelRuntime {
  private readonly sessions = new Map<ModelId, Promise<ort.InferenceSession>>();

  private readonly int8: ReadonlySet<ModelId> | null;

  constructor(private readonly options: RuntimeOptions) {
    this.int8 = options.int8 ? new Set(options.int8) : null;
  }

  /** 'int8' when the model runs in its int8 variant. */
  precision(id: ModelId): 'fp32' | 'int8' {
    return (this.int8 ? this.int8.has(id) : hasInt8Calibration(id)) ? 'int8' : 'fp32';
  }

  session(id: ModelId): Promise<ort.InferenceSession> {
    let s = this.sessions.get(id);
    if (!s) {
      s = this.create(id);
      this.sessions.set(id, s);
      // A failed load must not poison the cache: the next call tries again.
      s.catch(() => this.sessions.delete(id));
    }
    return s;
  }

  /** Runs a model whose single input is an NHWC float batch. */
  async run(id: ModelId, data: Float32Array, dims: readonly number[]): Promise<Outputs> {
    const session = await this.session(id);
    const input = new ort.Tensor('float32', data, dims);
    return session.run({ [session.inputNames[0]!]: input });
  }

  async release(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map(async (s) => (await s).release()));
  }

  private async create(id: ModelId): Promise<ort.InferenceSession> {
    const { cacheDir, onConvert, calibrationDir } = this.options;
    const spec = getModelSpec(id);
    const bytes =
      this.precision(id) === 'int8'
        ? await loadInt8ModelBytes(spec, cacheDir, onConvert, calibrationDir)
        : await loadModelBytes(spec, cacheDir, onConvert);
    return ort.InferenceSession.create(bytes, sessionOptions(this.options.threads ?? 1));
  }
}

/**
 * The options of every session. Memory (issue 11, item 9): ONNX Runtime's CPU arena grows to the largest
 * set of tensors any run needed and never gives it back, and the memory-pattern planner keeps one plan
 * per input shape, which a server seeing photos of every size accumulates; both off, each run's tensors
 * are freed when it ends, so what ONNX Runtime holds between requests is bounded by the weights. Measured
 * with `npm run bench:load` (fuzz mix, shared 2-core machine): RSS after a quiet minute 456 MiB before,
 * 409 / 413 / 458 MiB in three runs after (start ≈ 290 MiB) — the rest of the plateau is not the arena
 * (see decode.ts for libvips threads); no difference in `npm run bench:speed` beyond its noise.
 */
export function sessionOptions(threads: number): ort.InferenceSession.SessionOptions {
  return {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    enableCpuMemArena: false,
    enableMemPattern: false,
    // Spinning workers burn the core another process (or our own decoder) needs.
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
}
