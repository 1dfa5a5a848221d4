// The Frigate bridge: Frigate (an NVR that detects people) says on MQTT when a person appears
// (`frigate/events`, JSON with type new/update/end and the event's `after` state); the bridge fetches
// that event's snapshot (or, while it is active, the camera's latest frame) from Frigate's HTTP API,
// crops it to the person's box, recognises the faces there at the camera's security level, stores them
// as events linked to the Frigate event id (table frigate_events) and so publishes them like every other
// event (event-feed.ts → MQTT, webhooks); and, when asked, sets the Frigate event's sub-label to the name.
//
// Which events: label "person", not a false positive, on a configured camera (none configured: every
// camera), in one of its zones if it has any, with a top score and an area at or above the minimums.
// Attempts: up to `attempts` images per Frigate event (its snapshot, then the camera's latest frame and
// the snapshot in turn while it is active); the first that names someone is stored, else
// the last one (at the last attempt, or when the event ends) is stored as unknown. A recognition that is
// not stored runs without storing, and the stored one runs again with storing (twice the model work for
// that one image, against a second path through photos.ts that would store what it found).
// One Frigate event per camera is handled at a time (Frigate sends several updates a second); updates
// that arrive while an attempt of the same event runs are skipped, an end never is.
//
// Address: Frigate's URL is not held to the camera address policy (media/url-policy.ts). It is the
// server the operator named on the command line or in the admin's settings, where Frigate usually runs
// on the same machine (127.0.0.1) or in a container next to Visage; requiring an allowlist entry for
// the one server the bridge exists to talk to would protect nothing. The bridge only fetches the two
// image paths and posts the sub-label there, and never shows Frigate's answers (errors say the status).
import type { MqttClient } from 'mqtt';
import { largestFace } from '../../engine/face.js';
import { crop } from '../../engine/image/pixels.js';
import { isVisageError } from '../../errors.js';
import type { Db } from '../../gallery/database.js';
import { statement } from '../../gallery/database.js';
import { maskCredentials } from '../../media/url-policy.js';
import type { FaceService } from '../faces/face-service.js';
import { DEFAULT_SECURITY_LEVEL, type SecurityLevel } from '../recognize/decision.js';
import type { PhotoRecognition, RecognizedFace } from '../recognize/photos.js';
import type { PublishingEventsRepository } from './event-feed.js';
import { connectBroker, connectOptions, type MqttSettings } from './mqtt-publisher.js';

export interface FrigateCamera {
  name: string;
  level?: SecurityLevel;
  /** Only person events in one of these zones; empty or omitted: anywhere. */
  zones?: string[];
}

export interface FrigateSettings {
  /** Frigate's HTTP API, e.g. http://frigate:5000. */
  url: string;
  /** The broker Frigate publishes on (Visage's own MQTT settings when omitted). */
  mqtt?: MqttSettings;
  /** Frigate's topic prefix (default "frigate"). */
  topicPrefix?: string;
  /** Cameras to take events from, each with its level and zones; empty or omitted: every camera. */
  cameras?: FrigateCamera[];
  /** Level of cameras without one (default balanced). */
  level?: SecurityLevel;
  /** Frigate's top score below which a person event is ignored (default 0). */
  minScore?: number;
  /** Box area (px²) below which it is ignored (default 0). */
  minArea?: number;
  /** Images tried per Frigate event (default 3). */
  attempts?: number;
  /** Set the Frigate event's sub-label to the recognised name (default false). */
  subLabel?: boolean;
}

export type FrigateOutcome = 'matched' | 'unknown' | 'no_face' | 'error';

export interface FrigateEventView {
  frigateId: string;
  camera: string;
  time: string;
  outcome: FrigateOutcome;
  name: string | null;
  score: number | null;
  attempts: number;
  /** Visage events stored for it. */
  eventIds: number[];
  /** Why it failed (the status or category), for `error`. */
  reason: string | null;
}

export interface FrigateStatus {
  url: string;
  connected: boolean;
  /** Person events taken (passed the filters), and those skipped by them. */
  taken: number;
  skipped: number;
  lastError: string | null;
  lastEvents: FrigateEventView[];
}

export interface FrigateDeps {
  faces: Pick<FaceService, 'loadImage'>;
  photos: Pick<PhotoRecognition, 'recognizeImage'>;
  events: Pick<PublishingEventsRepository, 'withOrigin'>;
  db: Db;
  /** Told each Frigate event's outcome (`visage frigate` prints them). */
  onResult?: (view: FrigateEventView) => void;
}

/** The part of a `frigate/events` message the bridge reads. */
interface FrigateMessage {
  type?: string;
  after?: {
    id?: string;
    label?: string;
    camera?: string;
    false_positive?: boolean;
    top_score?: number;
    score?: number;
    area?: number;
    box?: number[];
    current_zones?: string[];
    entered_zones?: string[];
    has_snapshot?: boolean;
    snapshot?: { box?: number[] } | null;
  };
}

interface Tracked {
  attempts: number;
  done: boolean;
  busy: boolean;
}

const LAST_EVENTS = 20;
/** Frigate events followed at once; beyond, the oldest is forgotten (its end was missed). */
const TRACKED = 1000;
/** The person box grown by this share on each side, so a face at its edge is whole. */
const BOX_MARGIN = 0.1;
const FETCH_TIMEOUT_MS = 10_000;

export class FrigateBridge {
  private readonly client: MqttClient;
  private readonly tracked = new Map<string, Tracked>();
  private readonly chains = new Map<string, Promise<void>>();
  private readonly lastEvents: FrigateEventView[] = [];
  private readonly base: string;
  private connected = false;
  private taken = 0;
  private skipped = 0;
  private lastError: string | null = null;

  constructor(
    private readonly settings: FrigateSettings & { mqtt: MqttSettings },
    private readonly deps: FrigateDeps,
  ) {
    this.base = settings.url.replace(/\/+$/, '');
    const topic = `${settings.topicPrefix ?? 'frigate'}/events`;
    this.client = connectBroker(settings.mqtt.url, connectOptions(settings.mqtt));
    this.client.on('connect', () => {
      this.connected = true;
      this.lastError = null;
      this.client.subscribe(topic, { qos: 0 }, (e) => {
        if (e) this.lastError = e.message;
      });
    });
    this.client.on('close', () => (this.connected = false));
    this.client.on('error', (e) => (this.lastError = e.message));
    this.client.on('message', (_topic, payload) => this.onMessage(payload));
  }

  /** The cameras the bridge is configured for (announced to Home Assistant). */
  cameras(): string[] {
    return (this.settings.cameras ?? []).map((c) => c.name);
  }

  status(): FrigateStatus {
    return {
      url: maskCredentials(this.settings.url),
      connected: this.connected,
      taken: this.taken,
      skipped: this.skipped,
      lastError: this.lastError,
      lastEvents: [...this.lastEvents],
    };
  }

  /** Resolves when every queued Frigate event has been handled (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.chains.size > 0) await Promise.all([...this.chains.values()]);
  }

  async close(): Promise<void> {
    await this.client.endAsync(!this.connected);
    await this.idle();
  }

  private onMessage(payload: Buffer): void {
    let message: FrigateMessage;
    try {
      message = JSON.parse(payload.toString('utf8')) as FrigateMessage;
    } catch {
      return;
    }
    const after = message.after;
    const type = message.type;
    if (!after?.id || !after.camera || after.label !== 'person') return;
    if (type !== 'new' && type !== 'update' && type !== 'end') return;
    const camera = this.camera(after.camera);
    if (!camera || !this.passes(after, camera)) {
      this.skipped++;
      return;
    }
    const id = after.id;
    let tracked = this.tracked.get(id);
    if (!tracked) {
      tracked = { attempts: 0, done: false, busy: false };
      this.tracked.set(id, tracked);
      this.taken++;
      if (this.tracked.size > TRACKED) this.tracked.delete(this.tracked.keys().next().value!);
    }
    if (type === 'end') {
      this.tracked.delete(id);
      if (tracked.done || tracked.attempts >= this.maxAttempts()) return;
    } else if (tracked.done || tracked.busy || tracked.attempts >= this.maxAttempts()) return;
    tracked.busy = true;
    const state = tracked;
    const previous = this.chains.get(camera.name) ?? Promise.resolve();
    const next = previous
      .then(() => this.attempt(message as Required<FrigateMessage>, camera, state))
      .catch((e: unknown) => {
        this.lastError = e instanceof Error ? e.message : String(e);
        this.remember({
          frigateId: id,
          camera: camera.name,
          time: new Date().toISOString(),
          outcome: 'error',
          name: null,
          score: null,
          attempts: state.attempts,
          eventIds: [],
          reason: `recognition: ${isVisageError(e) ? e.code : 'failed'}`,
        });
      })
      .finally(() => {
        state.busy = false;
        if (this.chains.get(camera.name) === next) this.chains.delete(camera.name);
      }) as Promise<void>;
    this.chains.set(camera.name, next);
  }

  private camera(name: string): FrigateCamera | undefined {
    const configured = this.settings.cameras ?? [];
    if (configured.length === 0) return { name };
    return configured.find((c) => c.name === name);
  }

  private passes(after: NonNullable<FrigateMessage['after']>, camera: FrigateCamera): boolean {
    if (after.false_positive === true) return false;
    const score = after.top_score ?? after.score ?? 0;
    if (score < (this.settings.minScore ?? 0)) return false;
    if ((after.area ?? Infinity) < (this.settings.minArea ?? 0)) return false;
    const zones = camera.zones ?? [];
    if (zones.length === 0) return true;
    const inside = new Set([...(after.current_zones ?? []), ...(after.entered_zones ?? [])]);
    return zones.some((z) => inside.has(z));
  }

  private maxAttempts(): number {
    return this.settings.attempts ?? 3;
  }

  private async attempt(
    message: Required<FrigateMessage>,
    camera: FrigateCamera,
    state: Tracked,
  ): Promise<void> {
    const after = message.after;
    const frigateId = after.id!;
    // The event's snapshot (Frigate's best frame so far) first, then, while it is active, the camera's
    // latest frame in turn with it: a face turned away in the best frame may look up in a later one.
    const useSnapshot = message.type === 'end' || (after.has_snapshot !== false && state.attempts % 2 === 0);
    const url = useSnapshot
      ? `${this.base}/api/events/${encodeURIComponent(frigateId)}/snapshot.jpg`
      : `${this.base}/api/${encodeURIComponent(camera.name)}/latest.jpg`;
    const box = (useSnapshot ? after.snapshot?.box : undefined) ?? after.box;
    state.attempts++;
    const level = camera.level ?? this.settings.level ?? DEFAULT_SECURITY_LEVEL;
    const view = (outcome: FrigateOutcome, rest: Partial<FrigateEventView> = {}): FrigateEventView => ({
      frigateId,
      camera: camera.name,
      time: new Date().toISOString(),
      outcome,
      name: null,
      score: null,
      attempts: state.attempts,
      eventIds: [],
      reason: null,
      ...rest,
    });

    let bytes: Buffer;
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
      if (!response.ok) {
        await response.body?.cancel();
        throw new Error(`HTTP ${response.status}`);
      }
      bytes = Buffer.from(await response.arrayBuffer());
    } catch (e) {
      const reason = e instanceof Error && /^HTTP /.test(e.message) ? e.message : 'unreachable';
      return this.remember(view('error', { reason: `image: ${reason}` }));
    }
    const whole = await this.deps.faces.loadImage(bytes, `frigate ${frigateId}`);
    const image = box && box.length === 4 ? cropToPerson(whole, box) : whole;
    const seen = await this.deps.photos.recognizeImage(image, camera.name, { storeEvents: false, level });
    const best = bestFace(seen);
    const last = message.type === 'end' || state.attempts >= this.maxAttempts();
    if (best?.name === null && !last) return; // not decided yet: the next image may name them
    if (!best) {
      if (last) this.remember(view('no_face'));
      return;
    }
    state.done = true;
    const stored = await this.deps.events.withOrigin(
      camera.name,
      { camera: camera.name, frigateEventId: frigateId },
      () => this.deps.photos.recognizeImage(image, camera.name, { level }),
    );
    const eventIds = stored.flatMap((f) => (f.eventId === undefined ? [] : [f.eventId]));
    const link = statement(
      this.deps.db,
      'INSERT INTO frigate_events (event_id, frigate_id, camera) VALUES (?, ?, ?) ON CONFLICT (event_id) DO NOTHING',
    );
    for (const eventId of eventIds) link.run(eventId, frigateId, camera.name);
    const named = bestFace(stored);
    const result = view(named?.name ? 'matched' : 'unknown', {
      name: named?.name ?? null,
      score: named?.score ?? null,
      eventIds,
    });
    if (named?.name && this.settings.subLabel) result.reason = await this.setSubLabel(frigateId, named);
    this.remember(result);
  }

  /** POST /api/events/<id>/sub_label; returns why it failed, or null. */
  private async setSubLabel(frigateId: string, face: RecognizedFace): Promise<string | null> {
    try {
      const response = await fetch(`${this.base}/api/events/${encodeURIComponent(frigateId)}/sub_label`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ subLabel: face.name, subLabelScore: Math.round(face.score * 100) / 100 }),
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      });
      await response.body?.cancel();
      return response.ok ? null : `sub-label: HTTP ${response.status}`;
    } catch {
      return 'sub-label: unreachable';
    }
  }

  private remember(view: FrigateEventView): void {
    this.lastEvents.unshift(view);
    this.lastEvents.length = Math.min(this.lastEvents.length, LAST_EVENTS);
    this.deps.onResult?.(view);
  }
}

/** The named face with the best score, else the largest face; undefined for none. */
function bestFace(faces: RecognizedFace[]): RecognizedFace | undefined {
  const named = faces.filter((f) => f.name !== null).sort((a, b) => b.score - a.score);
  return named[0] ?? largestFace(faces);
}

/** Frigate's [x1, y1, x2, y2] box, grown by BOX_MARGIN, as the part of the image recognised. */
function cropToPerson(
  image: Parameters<typeof crop>[0],
  [x1, y1, x2, y2]: number[],
): Parameters<typeof crop>[0] {
  const w = x2! - x1!;
  const h = y2! - y1!;
  if (!(w > 0 && h > 0)) return image;
  try {
    return crop(image, {
      x: x1! - w * BOX_MARGIN,
      y: y1! - h * BOX_MARGIN,
      width: w * (1 + 2 * BOX_MARGIN),
      height: h * (1 + 2 * BOX_MARGIN),
    });
  } catch {
    return image; // a box outside this image (another resolution): the whole frame
  }
}
