// Live recognition over the /api/v1/live WebSocket: one JPEG frame in flight at a time, the next sent as
// soon as the answer arrives. The server answers only its latest frame, so keeping one in flight holds
// latency to about one recognition while keeping the server busy.
import { API } from './api';
import { grabFrame } from './image';
import { currentLevel } from './level';
import type { LiveFrame, LiveMessage } from './api';

/** If an answer never comes (a dropped frame), send another after this long. */
const ANSWER_TIMEOUT_MS = 3000;
const JPEG_QUALITY = 0.8;
/** Frames/s is counted over this recent window. */
const FPS_WINDOW_MS = 2000;
const LATENCY_WINDOW = 100;

export interface LiveStats {
  /** Answers received since start. */
  frames: number;
  fps: number;
  /** Median and 95th percentile of frame sent → result drawn, ms, over the last answers. */
  latencyP50: number;
  latencyP95: number;
  /** Median of the server's own processing time, ms. */
  serverP50: number;
  /** Frames the server skipped so far because a newer one arrived while they waited (its `dropped`). */
  dropped: number;
}

export type LiveState = 'connecting' | 'running' | 'closed' | 'failed';

function percentile(values: number[], p: number): number {
  if (!values.length) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

export function liveUrl(): string {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${location.host}${API}/live?level=${currentLevel()}`;
}

export class LiveSession {
  private ws: WebSocket | null = null;
  private readonly canvas = document.createElement('canvas');
  private sentAt = 0;
  private inFlight = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private answers: number[] = [];
  private latencies: number[] = [];
  private serverMs: number[] = [];
  private frames = 0;
  private stopped = false;
  /** Camera frames shown so far, and the count when the last frame was sent (to send each frame once). */
  private presented = 0;
  private sentPresented = -1;
  private waitingForFrame = false;

  constructor(
    private readonly video: HTMLVideoElement,
    /** Draws the answer; returns when it is on screen, so latency counts the drawing too. */
    private readonly draw: (message: LiveFrame) => void,
    private readonly onStats: (stats: LiveStats) => void,
    private readonly onState: (state: LiveState) => void,
  ) {}

  start(): void {
    this.onState('connecting');
    this.watchFrames();
    const ws = new WebSocket(liveUrl());
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => {
      this.onState('running');
      void this.sendFrame();
    };
    ws.onmessage = (e) => this.receive(e.data);
    ws.onerror = () => this.onState('failed');
    ws.onclose = () => !this.stopped && this.onState('failed');
    this.ws = ws;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.ws?.close();
    this.ws = null;
    this.onState('closed');
  }

  /**
   * Counts the camera's new frames, where the browser can tell (requestVideoFrameCallback): an answer that
   * comes faster than the camera must wait for a new picture rather than have the same one recognised again.
   */
  private get countsFrames(): boolean {
    return typeof this.video.requestVideoFrameCallback === 'function';
  }

  private watchFrames(): void {
    if (!this.countsFrames) return;
    this.video.requestVideoFrameCallback((_now, meta) => {
      this.presented = meta.presentedFrames;
      if (this.waitingForFrame) {
        this.waitingForFrame = false;
        void this.sendFrame();
      }
      if (!this.stopped) this.watchFrames();
    });
  }

  private async sendFrame(): Promise<void> {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN || this.inFlight || this.stopped) return;
    if (!this.video.videoWidth) {
      this.timer = setTimeout(() => void this.sendFrame(), 50);
      return;
    }
    if (this.countsFrames && this.presented === this.sentPresented) {
      this.waitingForFrame = true;
      return;
    }
    this.sentPresented = this.presented;
    this.inFlight = true;
    const jpeg = await grabFrame(this.video, this.canvas, JPEG_QUALITY);
    if (this.stopped) return;
    this.sentAt = performance.now();
    ws.send(jpeg);
    this.timer = setTimeout(() => {
      this.inFlight = false;
      void this.sendFrame();
    }, ANSWER_TIMEOUT_MS);
  }

  private receive(data: unknown): void {
    if (typeof data !== 'string') return;
    let message: LiveMessage;
    try {
      message = JSON.parse(data) as LiveMessage;
    } catch {
      return;
    }
    if ('error' in message) {
      // The frame could not be read (an error answer): go on with the next one.
      if (typeof message.frame === 'number') this.next();
      return;
    }
    this.draw(message);
    const now = performance.now();
    this.frames++;
    this.answers.push(now);
    while (this.answers.length && this.answers[0] < now - FPS_WINDOW_MS) this.answers.shift();
    this.latencies.push(now - this.sentAt);
    if (this.latencies.length > LATENCY_WINDOW) this.latencies.shift();
    this.serverMs.push(message.ms);
    if (this.serverMs.length > LATENCY_WINDOW) this.serverMs.shift();
    const span = this.answers.length > 1 ? now - this.answers[0] : FPS_WINDOW_MS;
    this.onStats({
      frames: this.frames,
      fps: this.answers.length > 1 ? ((this.answers.length - 1) * 1000) / span : 0,
      latencyP50: percentile(this.latencies, 0.5),
      latencyP95: percentile(this.latencies, 0.95),
      serverP50: percentile(this.serverMs, 0.5),
      dropped: message.dropped,
    });
    this.next();
  }

  private next(): void {
    if (this.timer) clearTimeout(this.timer);
    this.inFlight = false;
    void this.sendFrame();
  }
}
