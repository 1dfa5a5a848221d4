// What the integration tests share: a real MQTT broker (Debian's mosquitto, started on a free port with
// a config of its own, stopped by `close`), a client that records what it hears, and a free port.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { tempDir } from './support/cli.js';

export const MOSQUITTO = '/usr/sbin/mosquitto';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface Broker {
  url: string;
  close(): Promise<void>;
}

/** mosquitto on 127.0.0.1 and a free port, anonymous access, no persistence; ready when it listens. */
export async function startBroker(): Promise<Broker> {
  if (!fs.existsSync(MOSQUITTO)) throw new Error(`${MOSQUITTO} is missing (apt-get install mosquitto)`);
  const port = await freePort();
  const dir = tempDir('mosquitto');
  const config = path.join(dir, 'mosquitto.conf');
  fs.writeFileSync(config, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
  const child: ChildProcess = spawn(MOSQUITTO, ['-c', config], { stdio: 'ignore' });
  const url = `mqtt://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (up) break;
    if (i > 100) throw new Error('mosquitto did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    close: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export interface Heard {
  topic: string;
  payload: string;
  retain: boolean;
}

/** A subscriber that keeps every message, with waits for one that matches. */
export class Listener {
  readonly messages: Heard[] = [];
  private waiters: { match: (m: Heard) => boolean; resolve: (m: Heard) => void }[] = [];

  private constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      const m = { topic, payload: payload.toString('utf8'), retain: packet.retain };
      this.messages.push(m);
      this.waiters = this.waiters.filter((w) => {
        if (!w.match(m)) return true;
        w.resolve(m);
        return false;
      });
    });
  }

  static async connect(url: string, topics: string[] = ['#']): Promise<Listener> {
    const client = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
    const listener = new Listener(client);
    await client.subscribeAsync(topics);
    return listener;
  }

  /** The first message (already heard or coming) on `topic` that passes `match`. */
  next(topic: string, match: (m: Heard) => boolean = () => true, timeoutMs = 60_000): Promise<Heard> {
    const test = (m: Heard) => m.topic === topic && match(m);
    const seen = this.messages.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`nothing on ${topic} within ${timeoutMs} ms; heard ${this.topics().join(', ')}`)),
        timeoutMs,
      );
      this.waiters.push({
        match: test,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }

  on(topic: string): Heard[] {
    return this.messages.filter((m) => m.topic === topic);
  }

  topics(): string[] {
    return [...new Set(this.messages.map((m) => m.topic))];
  }

  close(): Promise<void> {
    return this.client.endAsync(true);
  }
}
