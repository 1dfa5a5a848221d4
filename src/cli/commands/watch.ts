import type { Command } from 'commander';
import { Option } from 'commander';
import { DEFAULT_STALL_TIMEOUT_MS } from '../../service/video/video.js';
import { type LiveEvent, type LiveStateChange } from '../../service/video/video.js';
import { openVisage, positiveInt, withGlobalOptions, type GlobalOptions } from '../context.js';
import { allowCameras } from '../../service/video/cameras.js';
import { log } from '../output.js';
import type { SecurityLevel } from '../../service/recognize/decision.js';
import { positiveNumber, withTrackingOptions } from './video.js';
import { mqttSettings, withMqttOptions, type MqttCliOptions } from './mqtt.js';

interface WatchCliOptions extends GlobalOptions, MqttCliOptions {
  name?: string;
  fps?: number;
  maxSide?: number;
  every?: number;
  endAfter?: number;
  timeout: number;
  retries?: number;
  events?: boolean;
  cameraAllow?: string;
  level: SecurityLevel;
}

export function registerWatch(program: Command): void {
  withGlobalOptions(
    withMqttOptions(withTrackingOptions(program.command('watch')))
      .description('watch a camera or stream until stopped, printing the people recognised as they appear')
      .argument('<source>', 'rtsp://, http(s)://, rtmp://… URL, or a V4L2 device such as /dev/video0')
      .option('--name <camera>', 'camera name shown and stored with the events (default: the URL or device)')
      .addOption(
        new Option('--fps <n>', 'analyse at most this many frames per second').argParser(positiveNumber),
      )
      .addOption(
        new Option(
          '--max-side <px>',
          'decode frames no larger than this (longer side); boxes are then in decoded pixels',
        ).argParser(positiveInt),
      )
      .addOption(
        new Option('--timeout <s>', 'no video for this long: the source is unreachable (at start) or lost')
          .argParser(positiveNumber)
          .default(DEFAULT_STALL_TIMEOUT_MS / 1000),
      )
      .addOption(
        new Option(
          '--retries <n>',
          'give up after this many failed reconnections in a row (default: never)',
        ).argParser(positiveInt),
      )
      .option('--no-events', 'do not store the tracks as recognition events')
      .option(
        '--camera-allow <hosts>',
        'let cameras use these loopback/link-local/multicast hosts, addresses or CIDR ranges (comma-separated; added to $VISAGE_CAMERA_ALLOW)',
      ),
  )
    .addHelpText(
      'after',
      `
Prints one line per recognition (with --json: one JSON object per line, "type" "recognition" or
"track_end"); connection states go to stderr. A source that cannot be opened at start fails at once
(exit 1); a stream lost later is reopened with backoff (1 s, 2 s, 4 s… up to 30 s). Stop with Ctrl-C.

Examples:
  $ visage watch rtsp://192.168.1.20:554/stream1 --name door
  $ visage watch /dev/video0 --json >> sightings.jsonl`,
    )
    .action(async (source: string, opts: WatchCliOptions) => {
      if (opts.cameraAllow) allowCameras(opts.cameraAllow);
      const visage = openVisage(opts);
      const live = visage.video.watch(
        source,
        {
          name: opts.name,
          fps: opts.fps,
          maxSide: opts.maxSide,
          recognizeEveryS: opts.every,
          endAfterS: opts.endAfter,
          stallTimeoutMs: opts.timeout * 1000,
          retry: opts.retries === undefined ? {} : { maxAttempts: opts.retries },
          storeEvents: opts.events,
          level: opts.level,
        },
        { onEvent: (e) => printEvent(e, opts.json ?? false), onState: reportState },
      );
      visage.integrations.setKnownCameras(() => [live.camera]);
      await visage.integrations.start({ mqtt: mqttSettings(opts), longRunning: true });
      const stop = (): void => live.stop();
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      try {
        await live.run();
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        await visage.close();
      }
    });
}

function printEvent(e: LiveEvent, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(e)}\n`);
    return;
  }
  const t = e.track;
  const who = `#${t.id} ${t.name ?? 'unknown'} (score ${t.score.toFixed(2)})`;
  const clock = new Date(e.time).toLocaleTimeString();
  if (e.type === 'recognition') process.stdout.write(`${clock}  ${e.camera}  ${who}\n`);
  else
    process.stdout.write(
      `${clock}  ${e.camera}  ${who} left after ${(t.lastS - t.firstS).toFixed(1)} s${t.eventId ? ` (event ${t.eventId})` : ''}\n`,
    );
}

function reportState(s: LiveStateChange): void {
  switch (s.state) {
    case 'connecting':
      return log(`${s.camera}: connecting${s.attempt ? ` (attempt ${s.attempt})` : ''}`);
    case 'live':
      return log(`${s.camera}: live (${s.width}×${s.height})`);
    case 'reconnecting':
      return log(
        `${s.camera}: lost (${s.reason}); reconnecting in ${((s.retryInMs ?? 0) / 1000).toFixed(0)} s (attempt ${s.attempt})`,
      );
    case 'failed':
      return log(`${s.camera}: failed`);
    case 'stopped':
      return log(`${s.camera}: stopped`);
  }
}
