// MQTT topics and Home Assistant discovery: what Visage publishes where (README, "Integrations").
//
//   <prefix>/events                          every stored event (photo, video track, camera)
//   <prefix>/matches/<person>                events that named someone
//   <prefix>/cameras/<camera>/<person|unknown> camera events
//   <prefix>/state/cameras/<camera>          retained: who the camera saw last
//   <prefix>/state/people/<person>           retained: which camera saw them last, and when
//   <prefix>/availability                    retained "online"/"offline"; the broker sends "offline" as
//                                            the last will when a publishing process is lost
//   <discovery>/sensor/visage/<object>/config retained Home Assistant discovery: a sensor per camera
//                                            (last person seen), two per person (last camera, last seen)
//
// Names become topic levels through `topicLevel`: MQTT gives `/` (level separator) and the wildcards `+`
// and `#` meaning, and forbids U+0000, so those (with whitespace and other punctuation) are replaced by
// `_`; letters of any script stay, so 张伟's topic reads as his name. Two names that differ only in such
// characters share a topic; the payload always carries the exact name and id. Home Assistant's object
// ids must be [a-zA-Z0-9_-], so those are built from the person's id, and from an ASCII slug of the
// camera name (or a hash of it when nothing ASCII is left).
import { createHash } from 'node:crypto';
import type { StoredEvent } from './event-feed.js';

export const DEFAULT_TOPIC_PREFIX = 'visage';
export const DEFAULT_DISCOVERY_PREFIX = 'homeassistant';
export const ONLINE = 'online';
export const OFFLINE = 'offline';

/** One topic level from a name: never empty, never `/`, `+`, `#`, whitespace or control characters. */
export function topicLevel(name: string): string {
  const slug = name
    .normalize('NFC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}_-]+/gu, '_')
    .replace(/^_+|_+$/g, '');
  return slug || '_';
}

/** An identifier Home Assistant accepts as an object id: [a-z0-9_]. */
function asciiId(name: string): string {
  const slug = name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return slug || createHash('sha256').update(name).digest('hex').slice(0, 12);
}

export interface Message {
  topic: string;
  payload: string;
  retain: boolean;
}

export class Topics {
  constructor(
    readonly prefix = DEFAULT_TOPIC_PREFIX,
    readonly discoveryPrefix = DEFAULT_DISCOVERY_PREFIX,
  ) {}

  get availability(): string {
    return `${this.prefix}/availability`;
  }

  cameraState(camera: string): string {
    return `${this.prefix}/state/cameras/${topicLevel(camera)}`;
  }

  personState(name: string): string {
    return `${this.prefix}/state/people/${topicLevel(name)}`;
  }

  /** The messages of one stored event: the feed, its person's and camera's topics, retained states. */
  event(e: StoredEvent): Message[] {
    const payload = JSON.stringify(e);
    const out: Message[] = [{ topic: `${this.prefix}/events`, payload, retain: false }];
    if (e.name !== null)
      out.push({ topic: `${this.prefix}/matches/${topicLevel(e.name)}`, payload, retain: false });
    if (e.camera !== null) {
      const who = e.name === null ? 'unknown' : topicLevel(e.name);
      out.push({ topic: `${this.prefix}/cameras/${topicLevel(e.camera)}/${who}`, payload, retain: false });
      const seen = { eventId: e.eventId, time: e.time, score: e.score };
      out.push({
        topic: this.cameraState(e.camera),
        payload: JSON.stringify({ person: e.name ?? 'unknown', personId: e.personId, ...seen }),
        retain: true,
      });
      if (e.name !== null)
        out.push({
          topic: this.personState(e.name),
          payload: JSON.stringify({ camera: e.camera, lastSeen: e.time, ...seen }),
          retain: true,
        });
    }
    return out;
  }

  /** Discovery of a camera's sensor: the name of the last person it saw ("unknown" for a stranger). */
  cameraDiscovery(camera: string): Message {
    const id = `camera_${asciiId(camera)}`;
    return this.discovery(id, {
      name: `${camera} last person`,
      state_topic: this.cameraState(camera),
      value_template: '{{ value_json.person }}',
      json_attributes_topic: this.cameraState(camera),
      icon: 'mdi:cctv',
    });
  }

  /** Discovery of a person's two sensors: the camera that saw them last, and when. */
  personDiscovery(person: { id: number; name: string }): Message[] {
    const state = this.personState(person.name);
    return [
      this.discovery(`person_${person.id}_camera`, {
        name: `${person.name} last camera`,
        state_topic: state,
        value_template: '{{ value_json.camera }}',
        json_attributes_topic: state,
        icon: 'mdi:account-eye',
      }),
      this.discovery(`person_${person.id}_last_seen`, {
        name: `${person.name} last seen`,
        state_topic: state,
        value_template: '{{ value_json.lastSeen }}',
        device_class: 'timestamp',
      }),
    ];
  }

  /**
   * What removes a person from the broker: empty retained messages delete their retained state and, to
   * Home Assistant, their two sensors (its discovery treats an empty config as a removal).
   */
  personRemoval(person: { id: number; name: string }): Message[] {
    return [this.personState(person.name), ...this.personDiscovery(person).map((m) => m.topic)].map(
      (topic) => ({ topic, payload: '', retain: true }),
    );
  }

  private discovery(objectId: string, sensor: Record<string, string>): Message {
    return {
      topic: `${this.discoveryPrefix}/sensor/visage/${objectId}/config`,
      payload: JSON.stringify({
        ...sensor,
        unique_id: `visage_${objectId}`,
        object_id: `visage_${objectId}`,
        availability_topic: this.availability,
        payload_available: ONLINE,
        payload_not_available: OFFLINE,
        device: {
          identifiers: ['visage'],
          name: 'Visage',
          manufacturer: 'Visage',
          model: 'face recognition',
        },
      }),
      retain: true,
    };
  }
}
