// `visage serve`: the web app and REST API on this machine (127.0.0.1 unless --host says otherwise).
import { Option, type Command } from 'commander';
import { VisageError } from '../../errors.js';
import { openVisage, UsageError, withGlobalOptions, type GlobalOptions } from '../context.js';
import { allowCameras } from '../../service/video/cameras.js';
import { log } from '../output.js';
import { mqttSettings, withMqttOptions, type MqttCliOptions } from './mqtt.js';

interface ServeOptions extends GlobalOptions, MqttCliOptions {
  port?: number;
  host?: string;
  cameraAllow?: string;
  /** false with --no-jobs. */
  jobs?: boolean;
}

export const DEFAULT_PORT = 8080;
/** In-flight requests get this long to finish after SIGINT/SIGTERM. */
const SHUTDOWN_GRACE_MS = 10_000;

export function registerServe(program: Command): void {
  withGlobalOptions(
    withMqttOptions(
      program
        .command('serve')
        .description(
          'start the web app and REST API (http://127.0.0.1:8080 by default; /docs documents the API)',
        )
        .addOption(
          new Option(
            '--port <n>',
            `TCP port, 0 for any free one (default: $PORT or ${DEFAULT_PORT})`,
          ).argParser(port),
        )
        .option(
          '--host <address>',
          'address to listen on (default 127.0.0.1, this machine only; 0.0.0.0 for every interface)',
        )
        .option('--no-jobs', 'leave queued jobs (videos, imports) to `visage worker` processes')
        .option(
          '--camera-allow <hosts>',
          'let cameras use these loopback/link-local/multicast hosts, addresses or CIDR ranges (comma-separated; added to $VISAGE_CAMERA_ALLOW)',
        ),
    ),
  )
    .addHelpText(
      'after',
      `
The first visit asks for the admin password; VISAGE_ADMIN_PASSWORD=... sets it at start instead.

Examples:
  $ visage serve
  $ visage serve --port 9000 --data ./gallery`,
    )
    .action(async (opts: ServeOptions) => {
      if (opts.cameraAllow) allowCameras(opts.cameraAllow);
      // The web server (Fastify and its plugins, ~0.5 s to load) only for this command, not for every one.
      const { buildApp, warmUp } = await import('../../server/app.js');
      const visage = openVisage(opts);
      const { app, context } = await buildApp({
        visage,
        adminPassword: process.env.VISAGE_ADMIN_PASSWORD,
        integrations: { mqtt: mqttSettings(opts) },
        runJobs: opts.jobs !== false,
      });
      const host = opts.host ?? '127.0.0.1';
      const portNumber = opts.port ?? (process.env.PORT ? port(process.env.PORT) : DEFAULT_PORT);
      try {
        await app.listen({ host, port: portNumber });
      } catch (e) {
        await app.close();
        await visage.close();
        if ((e as { code?: string }).code === 'EADDRINUSE') {
          throw new VisageError(
            'port_in_use',
            `port ${portNumber} on ${host} is in use; choose another with --port`,
          );
        }
        throw e;
      }

      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) {
          log(`${signal} again: exiting now`);
          process.exit(1);
        }
        stopping = true;
        log(`${signal}: finishing requests and shutting down`);
        setTimeout(() => {
          log('requests did not finish in time; exiting');
          process.exit(1);
        }, SHUTDOWN_GRACE_MS).unref();
        void (async () => {
          await app.close();
          await visage.scheduler.idle();
          await visage.close();
        })().catch((e: unknown) => {
          log(`shutdown failed: ${e instanceof Error ? e.message : String(e)}`);
          process.exitCode = 1;
        });
      };
      process.once('SIGINT', () => stop('SIGINT')).once('SIGTERM', () => stop('SIGTERM'));

      const address = app.server.address();
      const bound = typeof address === 'object' && address ? address.port : portNumber;
      const shownHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
      process.stdout.write(`Visage is running at http://${shownHost}:${bound}/\n`);
      if (!context.auth.users.hasAdmin()) log('open that address to create the admin password');
      warmUp(context).then(
        () => log('models loaded'),
        (e: unknown) => log(`loading the models failed: ${e instanceof Error ? e.message : String(e)}`),
      );
    });
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new UsageError(`expected a port number 0–65535, got '${value}'`);
  return n;
}
