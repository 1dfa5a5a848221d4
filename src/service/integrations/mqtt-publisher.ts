// MQTT out: every stored event (event-feed.ts) as JSON on the topics of topics.ts, Home Assistant
// discovery, retained states, and an availability topic the broker turns "offline" (the last will) when
// this process is lost.
//
// Publishing never holds up recognition: an event becomes messages in a bounded queue (QUEUE_SIZE; when
// full the oldest message goes, counted in `dropped`), and one loop sends them in order while connected.
// The mqtt client reconnects by itself; while it is away, events wait in the same queue. A process that
// ends closes with a bounded wait for the queue (`close`), so `visage recognize --mqtt` does not exit
// before its events are out, nor hang when the broker is gone.
//
// Availability: every publisher says "online" when it connects. A long-running one (serve, watch,
// frigate) says "offline" when it stops; a one-shot command (recognize, video) just disconnects, so a
// sensor does not go unavailable each time a photo is recognised. A lost process of either kind gets
// "offline" from the broker, its will.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { IClientOptions, MqttClient } from 'mqtt';
import { maskCredentials } from '../../media/url-policy.js';
import type { StoredEvent } from './event-feed.js';
import { OFFLINE, ONLINE, Topics, type Message } from './topics.js';

export interface MqttSettings {
  /** mqtt://, mqtts://, ws:// or wss:// (credentials may be in the URL). */
  url: string;
  username?: string;
  password?: string;
  /** PEM files for TLS: the broker's CA, this client's certificate and key. */
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  /** Accept a broker certificate that does not verify (default false). */
  insecure?: boolean;
  /** First level of Visage's topics (default "visage"). */
  topicPrefix?: string;
  /** Home Assistant's discovery prefix (default "homeassistant"); discovery: false sends none. */
  discoveryPrefix?: string;
  discovery?: boolean;
}

export interface MqttStatus {
  /** The broker, with any password masked. */
  url: string;
  connected: boolean;
  published: number;
  dropped: number;
  queued: number;
  lastError: string | null;
  lastPublishedAt: string | null;
}

export interface PublisherDeps {
  /** People to announce to Home Assistant when connecting. */
  people: () => { id: number; name: string }[];
  /** Cameras to announce when connecting (the server's, a watched stream, Frigate's). */
  cameras: () => string[];
}

export interface PublisherOptions {
  /** Messages that may wait (default QUEUE_SIZE). */
  queueSize?: number;
  /** Say "offline" on close (serve, watch, frigate); default false. */
  longRunning?: boolean;
}

/** A few minutes of a busy camera's events; more is an absent broker, and the newest matter most. */
export const QUEUE_SIZE = 10_000;
/** People announced when connecting; more are announced as they are first seen (a home has tens). */
const DISCOVERED_AT_CONNECT = 1000;
/** How long close waits for the queue before giving up on what is left. */
const CLOSE_WAIT_MS = 5000;

export class MqttPublisher {
  readonly topics: Topics;
  private readonly queue: Message[] = [];
  private readonly client: MqttClient;
  private readonly announcedPeople = new Set<number>();
  private readonly announcedCameras = new Set<string>();
  private readonly queueSize: number;
  private connected = false;
  private sending = false;
  private published = 0;
  private dropped = 0;
  private lastError: string | null = null;
  private lastPublishedAt: number | null = null;
  private idle: (() => void)[] = [];

  constructor(
    private readonly settings: MqttSettings,
    private readonly deps: PublisherDeps,
    private readonly options: PublisherOptions = {},
  ) {
    this.queueSize = options.queueSize ?? QUEUE_SIZE;
    this.topics = new Topics(settings.topicPrefix, settings.discoveryPrefix);
    this.client = connectBroker(settings.url, {
      ...connectOptions(settings),
      will: { topic: this.topics.availability, payload: Buffer.from(OFFLINE), qos: 1, retain: true },
    });
    this.client.on('connect', () => {
      this.connected = true;
      this.lastError = null;
      this.onConnect();
    });
    this.client.on('close', () => (this.connected = false));
    this.client.on('error', (e) => (this.lastError = e.message));
  }

  /** Queues an event's messages (never waits, never throws). */
  publish(event: StoredEvent): void {
    const discovery: Message[] = [];
    if (this.settings.discovery !== false) {
      if (event.camera !== null && !this.announcedCameras.has(event.camera)) {
        this.announcedCameras.add(event.camera);
        discovery.push(this.topics.cameraDiscovery(event.camera));
      }
      if (event.personId !== null && event.name !== null && !this.announcedPeople.has(event.personId)) {
        this.announcedPeople.add(event.personId);
        discovery.push(...this.topics.personDiscovery({ id: event.personId, name: event.name }));
      }
    }
    this.enqueue([...discovery, ...this.topics.event(event)]);
  }

  /** Takes a forgotten person's retained state and sensors off the broker (queued like events). */
  forget(person: { id: number; name: string }): void {
    this.announcedPeople.delete(person.id);
    this.enqueue(this.topics.personRemoval(person));
  }

  status(): MqttStatus {
    return {
      url: maskCredentials(this.settings.url),
      connected: this.connected,
      published: this.published,
      dropped: this.dropped,
      queued: this.queue.length,
      lastError: this.lastError,
      lastPublishedAt: this.lastPublishedAt === null ? null : new Date(this.lastPublishedAt).toISOString(),
    };
  }

  /** Sends what is queued (waiting at most `waitMs`), says "offline" if long-running, disconnects. */
  async close(waitMs = CLOSE_WAIT_MS): Promise<void> {
    if (this.queue.length > 0 || this.sending) {
      await Promise.race([
        new Promise<void>((resolve) => this.idle.push(resolve)),
        new Promise((resolve) => setTimeout(resolve, waitMs).unref()),
      ]);
    }
    if (this.connected && this.options.longRunning) {
      await Promise.race([
        this.client.publishAsync(this.topics.availability, OFFLINE, { qos: 1, retain: true }),
        new Promise((resolve) => setTimeout(resolve, 1000).unref()),
      ]).catch(() => undefined);
    }
    await this.client.endAsync(!this.connected);
  }

  private onConnect(): void {
    const first: Message[] = [{ topic: this.topics.availability, payload: ONLINE, retain: true }];
    if (this.settings.discovery !== false) {
      for (const camera of this.deps.cameras()) {
        if (this.announcedCameras.has(camera)) continue;
        this.announcedCameras.add(camera);
        first.push(this.topics.cameraDiscovery(camera));
      }
      for (const person of this.deps.people().slice(0, DISCOVERED_AT_CONNECT)) {
        if (this.announcedPeople.has(person.id)) continue;
        this.announcedPeople.add(person.id);
        first.push(...this.topics.personDiscovery(person));
      }
    }
    // Availability and discovery go before the events that waited for the connection.
    this.queue.unshift(...first);
    void this.send();
  }

  private enqueue(messages: Message[]): void {
    this.queue.push(...messages);
    const over = this.queue.length - this.queueSize;
    if (over > 0) {
      this.queue.splice(0, over);
      this.dropped += over;
    }
    void this.send();
  }

  private async send(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    try {
      while (this.connected && this.queue.length > 0) {
        const message = this.queue.shift()!;
        try {
          await this.client.publishAsync(message.topic, message.payload, { qos: 1, retain: message.retain });
          this.published++;
          this.lastPublishedAt = Date.now();
        } catch (e) {
          this.lastError = e instanceof Error ? e.message : String(e);
          this.queue.unshift(message);
          break;
        }
      }
    } finally {
      this.sending = false;
    }
    if (this.queue.length === 0) for (const resolve of this.idle.splice(0)) resolve();
  }
}

const require = createRequire(import.meta.url);

/**
 * `mqtt.connect`, the package loaded on first use (synchronously, so the publisher and the bridge connect in
 * their constructors): most commands never talk to a broker, and loading it cost every CLI start ~0.3 s.
 */
export function connectBroker(url: string, options: IClientOptions): MqttClient {
  return (require('mqtt') as typeof import('mqtt')).connect(url, options);
}

/** How to reach the broker: credentials, TLS files, reconnection (also the Frigate bridge's). */
export function connectOptions(settings: MqttSettings): IClientOptions {
  const read = (file: string | undefined) => (file ? fs.readFileSync(file) : undefined);
  return {
    username: settings.username,
    password: settings.password,
    ca: read(settings.caFile),
    cert: read(settings.certFile),
    key: read(settings.keyFile),
    rejectUnauthorized: !settings.insecure,
    reconnectPeriod: 5000,
    connectTimeout: 10_000,
  };
}
