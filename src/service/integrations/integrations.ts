// Where recognitions go: the integrations feature's one entrance (`visage.integrations`). It owns the
// webhooks (always recording deliveries for the events this process stores), and, once started, an MQTT
// publisher and a Frigate bridge. What is started comes from the command line (`--mqtt`, VISAGE_MQTT,
// `visage frigate`) or, for the server, from the admin's saved settings (table integration_settings),
// a command-line value winning over a saved one. Changing a setting through the API restarts that part.
import { statement, type Db } from '../../gallery/database.js';
import { VisageError } from '../../errors.js';
import type { EventFeed } from './event-feed.js';
import {
  FrigateBridge,
  type FrigateDeps,
  type FrigateEventView,
  type FrigateSettings,
  type FrigateStatus,
} from './frigate-bridge.js';
import { MqttPublisher, type MqttSettings, type MqttStatus } from './mqtt-publisher.js';
import { Webhooks, type RetryPolicy } from './webhooks.js';

export type { FrigateEventView, FrigateSettings, MqttSettings };

export interface IntegrationsStart {
  /** Connect to this broker (instead of the saved setting). */
  mqtt?: MqttSettings;
  /** Run the Frigate bridge with these settings (instead of the saved setting). */
  frigate?: FrigateSettings;
  /** Also start what the admin saved (the server). */
  saved?: boolean;
  /** A process that runs until stopped: says "offline" when it stops, and sends webhooks. */
  longRunning?: boolean;
  /** Webhook retry timing (tests shorten it). */
  webhookRetry?: Partial<RetryPolicy>;
  /** Told each Frigate event's outcome. */
  onFrigateEvent?: (view: FrigateEventView) => void;
}

export interface IntegrationsStatus {
  mqtt: (MqttStatus & { configured: true }) | { configured: false };
  frigate: (FrigateStatus & { configured: true }) | { configured: false };
  webhooks: { webhooks: number; pending: number; dead: number };
}

/** Saved settings as the API shows them: the MQTT password never leaves. */
export interface IntegrationSettingsView {
  mqtt: (Omit<MqttSettings, 'password'> & { hasPassword: boolean }) | null;
  frigate: Omit<FrigateSettings, 'mqtt'> | null;
}

export interface IntegrationsDeps extends Omit<FrigateDeps, 'db'> {
  db: Db;
  feed: EventFeed;
  /** People announced to Home Assistant on connect. */
  people: () => { id: number; name: string }[];
}

type SettingKey = 'mqtt' | 'frigate';

export class Integrations {
  readonly webhooks: Webhooks;
  private publisher: MqttPublisher | null = null;
  private bridge: FrigateBridge | null = null;
  private unsubscribe: (() => void) | null = null;
  private longRunning = false;
  private mqttSettings: MqttSettings | null = null;
  private knownCameras: () => string[] = () => [];
  private onFrigateEvent: ((view: FrigateEventView) => void) | undefined;

  constructor(private readonly deps: IntegrationsDeps) {
    this.webhooks = new Webhooks(deps.db);
    deps.feed.subscribe((events) => this.webhooks.record(events));
  }

  /** Names the cameras announced to Home Assistant (the server's list; `watch --name`). */
  setKnownCameras(cameras: () => string[]): void {
    this.knownCameras = cameras;
  }

  /** Starts MQTT out and the Frigate bridge as asked; webhooks' sending in a long-running process. */
  async start(options: IntegrationsStart = {}): Promise<void> {
    this.longRunning = options.longRunning ?? false;
    this.onFrigateEvent = options.onFrigateEvent;
    const mqtt = options.mqtt ?? (options.saved ? this.saved<MqttSettings>('mqtt') : null);
    const frigate = options.frigate ?? (options.saved ? this.saved<FrigateSettings>('frigate') : null);
    if (mqtt) this.startMqtt(mqtt);
    if (frigate) this.startFrigate(frigate);
    if (this.longRunning) this.webhooks.start(options.webhookRetry);
  }

  status(): IntegrationsStatus {
    return {
      mqtt: this.publisher ? { configured: true, ...this.publisher.status() } : { configured: false },
      frigate: this.bridge ? { configured: true, ...this.bridge.status() } : { configured: false },
      webhooks: this.webhooks.counts(),
    };
  }

  settings(): IntegrationSettingsView {
    const mqtt = this.saved<MqttSettings>('mqtt');
    const frigate = this.saved<FrigateSettings>('frigate');
    let mqttView: IntegrationSettingsView['mqtt'] = null;
    if (mqtt) {
      const { password, ...rest } = mqtt;
      mqttView = { ...rest, hasPassword: Boolean(password) };
    }
    // Saved through the API, whose Frigate setting has no broker of its own (it uses Visage's).
    return { mqtt: mqttView, frigate };
  }

  /**
   * Saves the MQTT setting (null: none) and reconnects with it. A password left out keeps the saved one.
   * Errors: `invalid_setting` (not an MQTT URL).
   */
  async saveMqtt(settings: MqttSettings | null): Promise<void> {
    if (settings) {
      if (!/^(mqtts?|wss?):\/\//i.test(settings.url))
        throw new VisageError(
          'invalid_setting',
          'The MQTT broker must be an mqtt://, mqtts://, ws:// or wss:// URL.',
        );
      if (settings.password === undefined) {
        const before = this.saved<MqttSettings>('mqtt');
        if (before?.password) settings = { ...settings, password: before.password };
      }
    }
    this.save('mqtt', settings);
    await this.stopMqtt();
    if (settings) this.startMqtt(settings);
    // A bridge on Visage's broker follows it; without one it stops (status: not configured).
    if (this.bridge) {
      const frigate = this.saved<FrigateSettings>('frigate');
      await this.restartFrigate(frigate && (frigate.mqtt || settings) ? frigate : null);
    }
  }

  /** Saves the Frigate setting (null: none) and restarts the bridge. Errors: `invalid_setting`. */
  async saveFrigate(settings: FrigateSettings | null): Promise<void> {
    if (settings && !/^https?:\/\//i.test(settings.url))
      throw new VisageError('invalid_setting', "Frigate's address must be an http:// or https:// URL.");
    if (settings && !settings.mqtt && !this.mqttSettings) throw noBroker();
    this.save('frigate', settings);
    await this.restartFrigate(settings);
  }

  /**
   * For "forget this person" (privacy/): the broker keeps their retained state and Home Assistant
   * sensors until told otherwise, so they are removed there too, when this process publishes. Webhook
   * deliveries and Frigate links go with the person's events (ON DELETE CASCADE).
   */
  forgetPerson(person: { id: number; name: string }): void {
    this.publisher?.forget(person);
  }

  /** Frigate events handled so far (tests; shutdown). */
  async frigateIdle(): Promise<void> {
    await this.bridge?.idle();
  }

  async close(): Promise<void> {
    await this.bridge?.close();
    this.bridge = null;
    await this.webhooks.stop();
    await this.stopMqtt();
  }

  private startMqtt(settings: MqttSettings): void {
    this.mqttSettings = settings;
    const publisher = new MqttPublisher(
      settings,
      {
        people: this.deps.people,
        cameras: () => [...new Set([...this.knownCameras(), ...(this.bridge?.cameras() ?? [])])],
      },
      { longRunning: this.longRunning },
    );
    this.publisher = publisher;
    this.unsubscribe = this.deps.feed.subscribe((events) => events.forEach((e) => publisher.publish(e)));
  }

  private async stopMqtt(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    const publisher = this.publisher;
    this.publisher = null;
    this.mqttSettings = null;
    await publisher?.close();
  }

  private startFrigate(settings: FrigateSettings): void {
    const mqtt = settings.mqtt ?? this.mqttSettings;
    if (!mqtt) throw noBroker();
    this.bridge = new FrigateBridge({ ...settings, mqtt }, { ...this.deps, onResult: this.onFrigateEvent });
  }

  private async restartFrigate(settings: FrigateSettings | null): Promise<void> {
    await this.bridge?.close();
    this.bridge = null;
    if (settings) this.startFrigate(settings);
  }

  private saved<T>(key: SettingKey): T | null {
    const value = statement(
      this.deps.db,
      'SELECT value FROM integration_settings WHERE key = ?',
      'pluck',
    ).get(key) as string | undefined;
    return value === undefined ? null : (JSON.parse(value) as T);
  }

  private save(key: SettingKey, value: unknown): void {
    if (value === null) statement(this.deps.db, 'DELETE FROM integration_settings WHERE key = ?').run(key);
    else
      statement(
        this.deps.db,
        `INSERT INTO integration_settings (key, value, updated_at) VALUES (?, ?, ?)
           ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      ).run(key, JSON.stringify(value), Date.now());
  }
}

function noBroker(): VisageError {
  return new VisageError(
    'invalid_setting',
    'The Frigate bridge needs the MQTT broker Frigate publishes on (--mqtt, VISAGE_MQTT or the MQTT setting).',
  );
}
