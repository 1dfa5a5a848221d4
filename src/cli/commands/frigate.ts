// `visage frigate`: the Frigate bridge (service/integrations/frigate-bridge.ts) until stopped, publishing
// what it recognises to the --mqtt broker (which is also where it hears Frigate's events).
import { Option, type Command } from 'commander';
import type { FrigateCamera, FrigateEventView } from '../../service/integrations/frigate-bridge.js';
import { SECURITY_LEVELS, type SecurityLevel } from '../../service/recognize/decision.js';
import { maskUrl } from '../../service/video/cameras.js';
import { openVisage, positiveInt, UsageError, withGlobalOptions, type GlobalOptions } from '../context.js';
import { log } from '../output.js';
import { mqttSettings, withMqttOptions, type MqttCliOptions } from './mqtt.js';
import { levelOption } from './recognize.js';

interface FrigateCliOptions extends GlobalOptions, MqttCliOptions {
  url: string;
  camera: FrigateCamera[];
  level: SecurityLevel;
  minScore: number;
  minArea: number;
  attempts: number;
  subLabel?: boolean;
  frigatePrefix: string;
}

export function registerFrigate(program: Command): void {
  withGlobalOptions(
    withMqttOptions(
      program
        .command('frigate')
        .description('recognise the people Frigate detects, store and publish them (runs until stopped)')
        .requiredOption('--url <url>', "Frigate's HTTP API, e.g. http://frigate:5000")
        .addOption(
          new Option(
            '--camera <spec>',
            'take events of this camera only: NAME[:LEVEL[:ZONE,ZONE…]] (repeat for more; default: every camera)',
          )
            .argParser(collectCamera)
            .default([]),
        )
        .addOption(levelOption())
        .addOption(
          new Option('--min-score <s>', 'ignore person events below this Frigate top score')
            .argParser(fraction)
            .default(0),
        )
        .addOption(
          new Option('--min-area <px>', 'ignore person boxes smaller than this area')
            .argParser(positiveInt)
            .default(0),
        )
        .addOption(
          new Option('--attempts <n>', 'images tried per Frigate event').argParser(positiveInt).default(3),
        )
        .option('--sub-label', "set the Frigate event's sub-label to the recognised name")
        .addOption(new Option('--frigate-prefix <topic>', "Frigate's MQTT topic prefix").default('frigate')),
    ),
  )
    .addHelpText(
      'after',
      `
Frigate's own MQTT broker is --mqtt (or $VISAGE_MQTT): the bridge hears frigate/events there and
publishes its results there too (visage/… topics, Home Assistant discovery). Prints one line per Frigate
event handled (with --json: one JSON object per line). Stop with Ctrl-C.

Examples:
  $ visage frigate --url http://127.0.0.1:5000 --mqtt mqtt://127.0.0.1:1883
  $ visage frigate --url http://frigate:5000 --mqtt mqtt://broker --camera front_door:strict:porch --sub-label`,
    )
    .action(async (opts: FrigateCliOptions) => {
      const mqtt = mqttSettings(opts);
      if (!mqtt)
        throw new UsageError('the Frigate bridge needs the MQTT broker Frigate publishes on: --mqtt URL');
      const visage = openVisage(opts);
      await visage.integrations.start({
        mqtt,
        frigate: {
          url: opts.url,
          topicPrefix: opts.frigatePrefix,
          cameras: opts.camera,
          level: opts.level,
          minScore: opts.minScore,
          minArea: opts.minArea,
          attempts: opts.attempts,
          subLabel: opts.subLabel ?? false,
        },
        longRunning: true,
        onFrigateEvent: (v) => printResult(v, opts.json ?? false),
      });
      log(`bridging ${opts.url} (events on ${maskUrl(mqtt.url)})`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await visage.close();
    });
}

function printResult(v: FrigateEventView, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(v)}\n`);
    return;
  }
  const who =
    v.outcome === 'matched' ? `${v.name} (score ${v.score?.toFixed(2)})` : v.outcome.replace('_', ' ');
  const events = v.eventIds.length ? ` (event ${v.eventIds.join(', ')})` : '';
  const reason = v.reason ? ` — ${v.reason}` : '';
  process.stdout.write(
    `${new Date(v.time).toLocaleTimeString()}  ${v.camera}  ${v.frigateId}  ${who}${events}${reason}\n`,
  );
}

function collectCamera(spec: string, previous: FrigateCamera[]): FrigateCamera[] {
  const [name, level, zones] = spec.split(':');
  if (!name) throw new UsageError(`--camera: expected NAME[:LEVEL[:ZONES]], got '${spec}'`);
  if (level && !SECURITY_LEVELS.includes(level as SecurityLevel))
    throw new UsageError(`--camera ${spec}: the level must be one of ${SECURITY_LEVELS.join(', ')}`);
  return [
    ...previous,
    {
      name,
      ...(level ? { level: level as SecurityLevel } : {}),
      ...(zones ? { zones: zones.split(',').filter(Boolean) } : {}),
    },
  ];
}

function fraction(value: string): number {
  const n = Number(value);
  if (!(n >= 0 && n <= 1)) throw new UsageError(`expected a number from 0 to 1, got '${value}'`);
  return n;
}
