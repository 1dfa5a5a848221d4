// `--mqtt` and its companions, shared by every command that stores events (recognize, video, watch,
// serve, frigate): where to publish them (README, "Integrations"). VISAGE_MQTT stands in for --mqtt and
// VISAGE_MQTT_PASSWORD for --mqtt-password (which would otherwise show in the process list).
import { Option, type Command } from 'commander';
import type { MqttSettings } from '../../service/integrations/integrations.js';

export interface MqttCliOptions {
  mqtt?: string;
  mqttUser?: string;
  mqttPassword?: string;
  mqttCa?: string;
  mqttCert?: string;
  mqttKey?: string;
  mqttInsecure?: boolean;
  mqttPrefix?: string;
  discovery?: boolean;
}

export function withMqttOptions(cmd: Command): Command {
  return cmd
    .option(
      '--mqtt <url>',
      'publish every stored event to this MQTT broker, e.g. mqtt://homeassistant:1883 (default: $VISAGE_MQTT)',
    )
    .option('--mqtt-user <name>', 'MQTT user name')
    .option('--mqtt-password <password>', 'MQTT password (default: $VISAGE_MQTT_PASSWORD)')
    .option('--mqtt-ca <file>', "PEM file of the broker's certificate authority (mqtts://)")
    .option('--mqtt-cert <file>', "PEM file of this client's certificate (mqtts://)")
    .option('--mqtt-key <file>', "PEM file of this client's key (mqtts://)")
    .option('--mqtt-insecure', 'accept a broker certificate that does not verify')
    .addOption(new Option('--mqtt-prefix <topic>', 'first level of the topics').default('visage'))
    .option('--no-discovery', 'send no Home Assistant discovery messages');
}

/** The broker settings of the command line, or undefined when none was asked for. */
export function mqttSettings(opts: MqttCliOptions): MqttSettings | undefined {
  const url = opts.mqtt ?? process.env.VISAGE_MQTT;
  if (!url) return undefined;
  return {
    url,
    username: opts.mqttUser,
    password: opts.mqttPassword ?? process.env.VISAGE_MQTT_PASSWORD,
    caFile: opts.mqttCa,
    certFile: opts.mqttCert,
    keyFile: opts.mqttKey,
    insecure: opts.mqttInsecure,
    topicPrefix: opts.mqttPrefix,
    discovery: opts.discovery,
  };
}
