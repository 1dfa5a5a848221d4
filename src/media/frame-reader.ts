// Decoded frames from ffmpeg, one RgbImage at a time, at a chosen rate and size. ffmpeg writes PPM images
// to a pipe: each carries its own size in a short header, so no frame size has to be known (or probed)
// in advance, and a stream that changes resolution mid-way still splits correctly.
//
// Backpressure: at most `queueSize` frames wait for the consumer. A file's decoder is paused when the
// queue is full (memory stays flat however slow recognition is); a live source cannot be paused without
// falling behind real time, so there the oldest waiting frame is dropped instead (and counted).
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { RgbImage } from '../engine/types.js';
import { VisageError } from '../errors.js';
import { ffmpegPath, failureReason, signalReason, toolMissing } from './ffmpeg.js';
import { openStreamRoute, type StreamRoute } from './ffmpeg-egress.js';
import type { VideoSource } from './source.js';
import { CATEGORY_TEXT, maskCredentials, streamFailureCategory } from './url-policy.js';

export interface DecodeOptions {
  /** Output frames per second; omitted: every frame of the source. */
  fps?: number;
  /** Frames larger than this (longer side, px) are scaled down by ffmpeg; omitted: native size. */
  maxSide?: number;
  /** Frames decoded ahead of the consumer. */
  queueSize?: number;
  /**
   * Live sources: how long without a frame before the source counts as unreachable (never delivered a
   * frame) or stalled, ms. ffmpeg alone can wait on a dead camera for minutes.
   */
  stallTimeoutMs?: number;
}

export interface Frame {
  /** Position in ffmpeg's output (dropped frames included), from 0. */
  index: number;
  image: RgbImage;
  /** Date.now() when the frame arrived. */
  receivedAt: number;
}

export const DEFAULT_QUEUE_SIZE = 4;
export const DEFAULT_STALL_TIMEOUT_MS = 10_000;
/** Recycled frame buffers kept for reuse (PpmSplitter). */
const MAX_SPARE = 4;

export class FrameReader implements AsyncIterable<Frame> {
  /** Frames a live source delivered while the consumer was busy, thrown away. */
  dropped = 0;
  /** Frames delivered so far (dropped ones included). */
  received = 0;

  /** ffmpeg; null until a live network source's route through the camera policy is open (ffmpeg-egress.ts). */
  private child: ChildProcessByStdio<null, Readable, Readable> | null = null;
  private route: StreamRoute | null = null;
  private readonly queue: Frame[] = [];
  private readonly queueSize: number;
  private readonly parser = new PpmSplitter();
  private stderrTail = '';
  private failure: VisageError | null = null;
  private finished = false;
  private closedByUs = false;
  private wake: (() => void) | null = null;
  private stallTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly source: VideoSource,
    private readonly options: DecodeOptions = {},
  ) {
    this.queueSize = Math.max(1, options.queueSize ?? DEFAULT_QUEUE_SIZE);
    const filters = [
      ...(options.fps ? [`fps=${options.fps}`] : []),
      ...(options.maxSide ? [fitInside(options.maxSide)] : []),
    ];
    const head = ['-hide_banner', '-nostdin', '-loglevel', 'error'];
    const output = [
      '-map',
      '0:v:0',
      '-an',
      '-sn',
      '-dn',
      ...(filters.length ? ['-vf', filters.join(',')] : []),
      // Only frames the source really has: the default for a pipe pads the start with copies of the
      // first frame back to t = 0 (a video whose first frame is at 0.85 s would gain 25 frames).
      '-vsync',
      'passthrough',
      '-pix_fmt',
      'rgb24',
      '-c:v',
      'ppm',
      '-f',
      'image2pipe',
      'pipe:1',
    ];
    // A live network source (a camera, `visage watch <url>`) connects only through a route the camera
    // address policy checks — each reader anew, so each reconnection too, as the name may resolve
    // elsewhere by then — and every connection ffmpeg makes on it (redirects) is checked again.
    if (source.kind === 'stream' && source.live) {
      openStreamRoute(source).then(
        (route) => {
          this.route = route;
          if (this.finished) route.close();
          else this.spawn([...head, ...route.inputArgs, ...output], route.env);
        },
        (e: unknown) => this.finish(e as VisageError),
      );
    } else this.spawn([...head, ...source.inputArgs, ...output]);
    if (source.live) this.armStallTimer();
  }

  private spawn(args: string[], env?: NodeJS.ProcessEnv): void {
    const source = this.source;
    const child = spawn(ffmpegPath(), args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    this.child = child;
    child.on('error', (e) => this.finish(toolMissing('ffmpeg', e)));
    child.stderr.on('data', (b: Buffer) => {
      this.stderrTail = (this.stderrTail + b.toString('utf8')).slice(-4000);
    });
    child.stdout.on('data', (chunk: Buffer) => this.onData(chunk));
    child.on('close', (code, signal) => {
      if (this.closedByUs || code === 0) return this.finish(null);
      // A connection the route refused or could not make says why (never what the remote side sent).
      const refused = this.route?.problem();
      if (refused) return this.finish(refused);
      let reason = signal ? signalReason('ffmpeg', signal) : failureReason(this.stderrTail, source.name);
      // A network source's own answer ("Server returned 404 Not Found") is not repeated: a category only.
      if (source.kind === 'stream' && !signal) reason = CATEGORY_TEXT[streamFailureCategory(reason)];
      const name = source.kind === 'stream' ? maskCredentials(source.name) : source.name;
      this.finish(
        new VisageError(
          this.received === 0 && source.live ? 'source_unreachable' : 'decode_failed',
          `${name}: ${reason}`,
          { source: name, reason },
        ),
      );
    });
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Frame> {
    try {
      for (;;) {
        const frame = this.queue.shift();
        if (frame) {
          if (this.child?.stdout.isPaused() && this.queue.length < this.queueSize) this.child.stdout.resume();
          yield frame;
          continue;
        }
        if (this.finished) {
          if (this.failure) throw this.failure;
          return;
        }
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    } finally {
      this.close();
    }
  }

  /** What ffmpeg complained about so far (it reports damaged data and decodes on), or null. */
  get complaints(): string | null {
    return this.stderrTail.trim() ? failureReason(this.stderrTail, this.source.name) : null;
  }

  /**
   * The consumer is done with this frame's image (nothing refers to its pixels any more): its buffer
   * takes the next frame of the same size instead of a new 2.7 MB allocation at 720p (reading a 720p
   * clip: 3.1 → 2.55 ms of this process's CPU a frame, less garbage to collect). Dropped frames are
   * recycled by the reader itself.
   */
  recycle(image: RgbImage): void {
    this.parser.recycle(image.data);
  }

  /** Stops decoding: frames still queued are discarded and iteration ends. */
  close(): void {
    this.queue.length = 0;
    if (this.finished) return;
    this.closedByUs = true;
    this.child?.kill('SIGKILL');
    this.finish(null);
  }

  private onData(chunk: Buffer): void {
    if (this.finished) return; // bytes still in the pipe after close()
    let images: RgbImage[];
    try {
      images = this.parser.push(chunk);
    } catch (e) {
      this.closedByUs = true;
      this.child?.kill('SIGKILL');
      return this.finish(e as VisageError);
    }
    for (const image of images) {
      const frame: Frame = { index: this.received++, image, receivedAt: Date.now() };
      if (this.source.live) {
        this.armStallTimer();
        if (this.queue.length >= this.queueSize) {
          this.recycle(this.queue.shift()!.image);
          this.dropped++;
        }
      }
      this.queue.push(frame);
    }
    if (!this.source.live && this.queue.length >= this.queueSize) this.child?.stdout.pause();
    this.notify();
  }

  private armStallTimer(): void {
    if (this.stallTimer) clearTimeout(this.stallTimer);
    const ms = this.options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
    this.stallTimer = setTimeout(() => {
      const never = this.received === 0;
      const error = new VisageError(
        never ? 'source_unreachable' : 'source_stalled',
        never
          ? `${this.source.name}: no video within ${ms / 1000} s`
          : `${this.source.name}: no frame for ${ms / 1000} s`,
        { source: this.source.name },
      );
      this.closedByUs = true;
      this.child?.kill('SIGKILL');
      this.finish(error);
    }, ms);
  }

  private finish(failure: VisageError | null): void {
    if (this.finished) return;
    this.finished = true;
    this.failure = failure;
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.route?.close();
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}

/** A scale filter that shrinks frames to fit `maxSide` × `maxSide`, keeping the aspect ratio; never enlarges. */
function fitInside(maxSide: number): string {
  return `scale=w='min(iw,${maxSide})':h='min(ih,${maxSide})':force_original_aspect_ratio=decrease`;
}

/**
 * Splits a byte stream of binary PPM images (P6, maxval 255) into RGB images. Each frame's bytes are
 * copied once, from the pipe's chunks into the frame's own buffer, so frames stay valid after the stream
 * moves on.
 */
export class PpmSplitter {
  /** Buffers given back (recycle), to be filled again; a few at most. */
  private readonly spare: Uint8Array[] = [];
  private chunks: Buffer[] = [];
  private bytes = 0;
  private head: { width: number; height: number } | null = null;

  push(chunk: Buffer): RgbImage[] {
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    const out: RgbImage[] = [];
    for (;;) {
      this.head ??= this.readHeader();
      if (!this.head) break;
      const { width, height } = this.head;
      if (this.bytes < width * height * 3) break;
      out.push({ data: this.take(width * height * 3, true), width, height });
      this.head = null;
    }
    return out;
  }

  /** Consumes the next header — "P6" width height maxval, whitespace-separated — once it has arrived. */
  private readHeader(): { width: number; height: number } | null {
    const peek = this.peek(Math.min(32, this.bytes));
    const m = /^P6\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(peek);
    if (!m) {
      if ('P6'.startsWith(peek.slice(0, 2)) && this.bytes < 32) return null;
      throw new VisageError('decode_failed', 'ffmpeg sent something other than RGB frames');
    }
    if (m[3] !== '255')
      throw new VisageError('decode_failed', `ffmpeg sent ${m[3]}-level frames, expected 8-bit`);
    this.take(m[0].length);
    return { width: Number(m[1]), height: Number(m[2]) };
  }

  private peek(n: number): string {
    const first = this.chunks[0];
    if (first && first.length >= n) return first.toString('latin1', 0, n);
    return Buffer.concat(this.chunks, this.bytes).toString('latin1', 0, n);
  }

  /** A frame's buffer nothing uses any more: the next frame of its size is read into it. */
  recycle(data: Uint8Array): void {
    if (this.spare.length < MAX_SPARE) this.spare.push(data);
  }

  private take(n: number, reuse = false): Uint8Array {
    const i = reuse ? this.spare.findIndex((b) => b.length === n) : -1;
    const out = i >= 0 ? this.spare.splice(i, 1)[0]! : new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[0]!;
      const part = Math.min(chunk.length, n - filled);
      out.set(chunk.subarray(0, part), filled);
      filled += part;
      if (part === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(part);
    }
    this.bytes -= n;
    return out;
  }
}
