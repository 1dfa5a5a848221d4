// "An event was stored": the one place every consumer (MQTT, webhooks, the clustering of unknown faces)
// hears of a recognition, whatever stored it. Photos (recognize/photos.ts) and live sources (video/video-live.ts) store one event
// at a time with `add`, a video file all its tracks in one transaction with `addMany`; the wiring
// (visage.ts) gives those services a PublishingEventsRepository instead of the gallery's plain one, so
// each stored event is announced right after its insert committed, and no call site has to remember to.
// Listeners get the events of one store call together (a video file's tracks in one batch), so that a
// consumer with a per-call cost (clustering reads the clusters' members once per batch) pays it once.
//
// The kind of an event follows from how it was stored: `add` of a still image (no offset) is a photo,
// `add` with an offset is a live source (a camera, named by the event's source), `addMany` is a video
// file. A caller that knows more (the Frigate bridge: this camera, that Frigate event) says so with
// `withOrigin` around its recognition.
//
// Listeners run synchronously inside the store call, so they must only enqueue (mqtt-publisher.ts) or
// write a row (webhooks.ts); a listener that throws is ignored: an integration's trouble shows in its own
// status, and is never the recognition's failure.
// Tried and dropped: a call to each consumer at every storing site (three sites, and the next one would
// be forgotten; clustering was first wired that way), and reading new rows back by polling the events table (a delay, and a query per
// tick in every process).
import type { Db } from '../../gallery/database.js';
import { EventsRepository, type NewEvent, type RecognitionEvent } from '../../gallery/events-repository.js';
import type { Box } from '../json.js';

export type EventKind = 'photo' | 'video' | 'camera';

/** A stored event as every integration sends it (MQTT payload, webhook body). */
export interface StoredEvent {
  eventId: number;
  /** ISO 8601 UTC. */
  time: string;
  kind: EventKind;
  /** File path, URL or camera name, as stored. */
  source: string;
  /** The camera's name for a camera event; null for photos and video files. */
  camera: string | null;
  personId: number | null;
  /** null: unknown. */
  name: string | null;
  score: number | null;
  distance: number | null;
  box: Box;
  offsetS: number | null;
  frame: number | null;
  /** The Frigate event this recognition answers (frigate-bridge.ts). */
  frigateEventId: string | null;
}

/** The events of one store call, in order (one for a photo's face or a camera's track). */
export type StoredEventListener = (events: readonly StoredEvent[]) => void;

/** What a caller knows about the events it is about to store, beyond the event itself. */
export interface EventOrigin {
  camera: string;
  frigateEventId?: string;
}

export class EventFeed {
  private readonly listeners = new Set<StoredEventListener>();

  /** Returns the unsubscribe function. */
  subscribe(listener: StoredEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  announce(events: readonly StoredEvent[]): void {
    if (events.length === 0) return;
    for (const listener of this.listeners) {
      try {
        listener(events);
      } catch {
        // see the header: the recognition goes on
      }
    }
  }
}

export class PublishingEventsRepository extends EventsRepository {
  /** Origins by source name, set by withOrigin while its caller stores. */
  private readonly origins = new Map<string, EventOrigin>();

  constructor(
    db: Db,
    private readonly feed: EventFeed,
    /** The person's display name; null when they are gone (deleted meanwhile). */
    private readonly nameOf: (personId: number) => string | null,
  ) {
    super(db);
  }

  override add(event: NewEvent): RecognitionEvent {
    const stored = super.add(event);
    this.feed.announce([this.view(stored, stored.offsetS === null ? 'photo' : 'camera')]);
    return stored;
  }

  override addMany(events: readonly NewEvent[]): number[] {
    const ids = super.addMany(events);
    this.feed.announce(ids.map((id) => this.view(this.require(id), 'video')));
    return ids;
  }

  /**
   * Runs `store`, and every event stored under `source` meanwhile is announced with `origin` (a camera
   * event of that camera). The caller keeps one such call per source at a time (the Frigate bridge
   * handles one Frigate event per camera at a time).
   */
  async withOrigin<T>(source: string, origin: EventOrigin, store: () => Promise<T>): Promise<T> {
    this.origins.set(source, origin);
    try {
      return await store();
    } finally {
      this.origins.delete(source);
    }
  }

  private view(e: RecognitionEvent, kind: EventKind): StoredEvent {
    const origin = this.origins.get(e.source);
    const camera = origin ? origin.camera : kind === 'camera' ? e.source : null;
    return {
      eventId: e.id,
      time: new Date(e.time).toISOString(),
      kind: origin ? 'camera' : kind,
      source: e.source,
      camera,
      personId: e.personId,
      name: e.personId === null ? null : this.nameOf(e.personId),
      score: e.score,
      distance: e.distance,
      box: e.box,
      offsetS: e.offsetS,
      frame: e.frame,
      frigateEventId: origin?.frigateEventId ?? null,
    };
  }
}
