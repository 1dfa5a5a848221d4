// A live view's frames (the browser's camera, sent as JPEGs over a WebSocket): each answered with its
// faces' boxes and names. A frame arriving while another is being recognised replaces any frame already
// waiting, so the answer is always about the newest picture and latency stays bounded by one frame's
// work however fast frames come; each frame is one `live` unit of the scheduler (served first).
import { performance } from 'node:perf_hooks';
import type { LiveFace, LiveFrame, LiveMessage, LiveVerdict, SecurityLevel } from '../../api/index.js';
import { isVisageError } from '../../errors.js';
import type { WorkOptions } from '../scheduler.js';

/**
 * Recognises one frame's JPEG bytes as one scheduled unit (video/live-view.ts: each face as a photo's,
 * and its track and the track's verdict when it follows them).
 */
export type RecognizeFrame = (
  jpeg: Buffer,
  work: WorkOptions,
) => Promise<{ faces: LiveFrame['faces']; tracks?: number[]; verdicts?: LiveVerdict[] }>;

interface Pending {
  frame: number;
  jpeg: Buffer;
  receivedAt: number;
}

export class LiveFrames {
  private received = 0;
  private dropped = 0;
  private waiting: Pending | null = null;
  private working = false;
  private open = true;

  /** `answer` gets one message per recognised frame (or per frame that could not be read). */
  constructor(
    private readonly recognize: RecognizeFrame,
    private readonly answer: (message: LiveMessage) => void,
    private readonly work: WorkOptions = {},
    /** The security level the frames are recognised at (reported with each answer). */
    private readonly level: SecurityLevel = 'balanced',
  ) {}

  /** A new frame; resolves when the frames waiting now are answered (rejects only on a bug). */
  push(jpeg: Buffer): Promise<void> {
    this.received++;
    if (this.waiting) this.dropped++;
    this.waiting = { frame: this.received, jpeg, receivedAt: performance.now() };
    return this.pump();
  }

  /** The view was closed: a frame still waiting is forgotten, nothing more is answered. */
  close(): void {
    this.open = false;
    this.waiting = null;
  }

  private async pump(): Promise<void> {
    if (this.working) return;
    this.working = true;
    try {
      while (this.waiting && this.open) {
        const { frame, jpeg, receivedAt } = this.waiting;
        this.waiting = null;
        try {
          const { faces, tracks, verdicts } = await this.recognize(jpeg, { ...this.work, kind: 'live' });
          this.send({
            frame,
            faces: faces.map(liveFace),
            ms: Math.round(performance.now() - receivedAt),
            dropped: this.dropped,
            level: this.level,
            ...(tracks ? { tracks } : {}),
            ...(verdicts ? { verdicts } : {}),
          });
        } catch (e) {
          if (!isVisageError(e)) throw e;
          this.send({ frame, error: { code: e.code, message: e.message } });
        }
      }
    } finally {
      this.working = false;
    }
  }

  private send(message: LiveMessage): void {
    if (this.open) this.answer(message);
  }
}

/**
 * What a live answer says of a face: the explanation fields only (not the photo answer's detection score,
 * sample or event ids), and of the candidates the nearest two, which is what the explanation names.
 */
function liveFace(f: LiveFace): LiveFace {
  return {
    box: f.box,
    name: f.name,
    score: f.score,
    personId: f.personId,
    distance: f.distance,
    threshold: f.threshold,
    decision: f.decision,
    candidates: f.candidates.slice(0, 2),
    level: f.level,
    evidence: f.evidence,
    evidenceThreshold: f.evidenceThreshold,
    penalty: f.penalty,
    margin: f.margin,
    requiredMargin: f.requiredMargin,
  };
}
