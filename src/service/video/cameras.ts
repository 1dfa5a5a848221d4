// Cameras (RTSP/HTTP streams, V4L2 devices) that the server watches on request. The list is kept in the
// database (table `cameras`, created here like the auth tables) so it survives restarts; watching is
// per process and starts only when asked. Each running camera is a LiveSource (video-live.ts), its frames
// one scheduler lane (`camera:<name>`), whose state changes and recognitions are passed to subscribers
// (the SSE route).
import { statement, type Db } from '../../gallery/database.js';
import { VisageError, isVisageError } from '../../errors.js';
import { checkStreamUrl, isNetworkUrl } from '../../media/url-policy.js';
// For `--camera-allow` of `visage serve` / `visage watch` (shells reach the media layer through here).
export { allowCameras } from '../../media/url-policy.js';
import type { LiveEvent, LiveSource, LiveState, LiveStateChange, VideoService } from './video.js';
import { SECURITY_LEVELS, type SecurityLevel } from '../recognize/decision.js';

export interface CameraView {
  id: number;
  name: string;
  /** The URL with any password masked. */
  url: string;
  state: LiveState;
  framesAnalysed: number;
  framesDropped: number;
  /** Why the camera failed or is reconnecting, when it is. */
  reason: string | null;
  /** Security level of this camera's recognitions (migration v5; default balanced). */
  level: SecurityLevel;
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
}

interface Running {
  source: LiveSource;
  done: Promise<void>;
  reason: string | null;
}

// Network streams and local capture devices only: a file path or file:// URL would let an API client
// make the server read any file it can.
const CAMERA_URL = /^((rtsps?|rtmps?|https?|srt):\/\/[^\s]+|\/dev\/video\d+)$/i;

export class Cameras {
  private readonly running = new Map<number, Running>();
  private readonly failures = new Map<number, string>();
  private readonly listeners = new Map<number, Set<(m: CameraMessage) => void>>();

  constructor(
    private readonly db: Db,
    private readonly video: VideoService,
  ) {}

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
   * Changes a camera's security level; a camera being watched is restarted with it (its tracks end).
   * Errors: `camera_not_found`, `invalid_camera` (level).
   */
  async setLevel(id: number, level: SecurityLevel): Promise<CameraView> {
    checkLevel(level);
    const row = this.row(id);
    if (row.level === level) return this.view(row);
    statement(this.db, 'UPDATE cameras SET level = ? WHERE id = ?').run(level, id);
    if (this.running.has(id)) {
      await this.stop(id);
      return this.start(id);
    }
    return this.get(id);
  }

  async remove(id: number): Promise<void> {
    this.row(id);
    await this.stop(id);
    statement(this.db, 'DELETE FROM cameras WHERE id = ?').run(id);
    this.failures.delete(id);
  }

  /**
   * Starts watching (no-op when already watching). The camera address policy is checked again (the
   * allowlist or the name's addresses may have changed since it was added): `camera_address_refused`.
   */
  async start(id: number): Promise<CameraView> {
    const row = this.row(id);
    if (this.running.has(id)) return this.view(row);
    if (isNetworkUrl(row.url)) await checkStreamUrl(row.url);
    if (this.running.has(id)) return this.view(row);
    const publish = (m: CameraMessage) => {
      for (const listener of this.listeners.get(id) ?? []) listener(m);
    };
    const run: Partial<Running> = { reason: null };
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
    run.done = source.run().then(
      () => void this.running.delete(id),
      (e: unknown) => {
        this.running.delete(id);
        this.failures.set(id, maskUrl(isVisageError(e) ? e.message : String(e)));
      },
    );
    this.running.set(id, run as Running);
    return this.view(row);
  }

  async stop(id: number): Promise<CameraView> {
    const row = this.row(id);
    const run = this.running.get(id);
    if (run) {
      run.source.stop();
      await run.done;
    }
    return this.view(row);
  }

  subscribe(id: number, listener: (m: CameraMessage) => void): () => void {
    this.row(id);
    let set = this.listeners.get(id);
    if (!set) this.listeners.set(id, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  async close(): Promise<void> {
    await Promise.all([...this.running.keys()].map((id) => this.stop(id)));
  }

  private row(id: number): CameraRow {
    const row = statement(this.db, 'SELECT * FROM cameras WHERE id = ?').get(id) as CameraRow | undefined;
    if (!row) throw new VisageError('camera_not_found', `No camera with id ${id}.`, { cameraId: id });
    return row;
  }

  private view(row: CameraRow): CameraView {
    const run = this.running.get(row.id);
    const failure = this.failures.get(row.id);
    return {
      id: row.id,
      name: row.name,
      url: maskUrl(row.url),
      state: run ? run.source.state : failure ? 'failed' : 'stopped',
      framesAnalysed: run?.source.framesAnalysed ?? 0,
      framesDropped: run?.source.framesDropped ?? 0,
      reason: run ? run.reason : (failure ?? null),
      level: row.level,
      createdAt: new Date(row.created_at).toISOString(),
    };
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
