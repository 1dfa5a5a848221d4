// The HTTP server: Fastify with the REST API under /api/v1, its OpenAPI document and /docs, the live
// WebSocket and the built web UI. `buildApp` wires an opened Visage (the service layer) into routes; the
// caller listens and, at the end, closes the app before closing Visage.
import { randomUUID } from 'node:crypto';
import cookie from '@fastify/cookie';
import multipart from '@fastify/multipart';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Point, RgbImage } from '../engine/types.js';
import type { Visage } from '../service/visage.js';
import { guard } from './auth/guard.js';
import { Cameras } from '../service/video/cameras.js';
import type { ServerContext } from './context.js';
import { EventStreams } from './event-streams.js';
import { installErrorHandling } from './errors.js';
import { API_PREFIX, registerOpenApi } from './openapi.js';
import { registerApiKeyRoutes } from './routes/api-keys.js';
import { registerCameraRoutes } from './routes/cameras.js';
import { registerAuthRoutes } from './routes/auth.js';
import { registerEventRoutes } from './routes/events.js';
import { registerImportRoutes } from './routes/imports.js';
import { registerJobRoutes } from './routes/jobs.js';
import { MAX_FRAME_BYTES, registerLiveRoutes } from './routes/live.js';
import { registerPeopleRoutes } from './routes/people.js';
import { registerRecognitionRoutes } from './routes/recognition.js';
import { registerSampleRoutes } from './routes/samples.js';
import { registerUserRoutes } from './routes/users.js';
import { registerUnknownRoutes } from './routes/unknowns.js';
import { registerVideoRoutes } from './routes/videos.js';
import { addSharedSchemas } from './schemas.js';
import { DEFAULT_UPLOAD_LIMITS, type UploadLimits } from './uploads.js';
import { DEFAULT_WEB_ROOT, registerWebUi } from './web.js';
import type { VideoJobsOptions } from '../service/video/video-jobs.js';
import { DEFAULT_SERVE_KINDS } from '../service/jobs/jobs.js';
import type { IntegrationsStart } from '../service/integrations/integrations.js';
import { registerIntegrationRoutes } from './routes/integrations.js';
import { registerPrivacyRoutes } from './routes/privacy.js';
import { VISAGE_VERSION } from '../version.js';

export interface AppOptions {
  visage: Visage;
  /** Fastify/pino logger options; false for silence (tests). Default: info level on stderr. */
  logger?: FastifyServerOptions['logger'];
  /** Folder of the built UI (default web/dist of this project). */
  webRoot?: string;
  limits?: Partial<UploadLimits>;
  /** Units of model work allowed to wait before requests get 503 busy (the Visage scheduler's bound). */
  maxQueued?: number;
  /** Video jobs: how many run at once, how many may wait, and each job's limits (video-jobs.ts). */
  videoJobs?: VideoJobsOptions;
  /** Run queued jobs on this node too (default true); false leaves them to `visage worker` (--no-jobs). */
  runJobs?: boolean;
  /** Creates the admin at start when none exists (VISAGE_ADMIN_PASSWORD). */
  adminPassword?: string;
  /** MQTT, Frigate and webhooks beyond the admin's saved settings (`visage serve --mqtt`; tests). */
  integrations?: IntegrationsStart;
}

export interface VisageApp {
  app: FastifyInstance;
  context: ServerContext;
}

export const defaultLogger = (
  level = process.env.VISAGE_LOG_LEVEL ?? 'info',
): FastifyServerOptions['logger'] => ({
  level,
  stream: process.stderr,
  serializers: {
    // Method and path only: no headers (cookies, keys), and `?key=` of the live socket is masked.
    req: (req: { method: string; url: string; ip?: string }) => ({
      method: req.method,
      url: redactUrl(req.url),
      ip: req.ip,
    }),
  },
});

export async function buildApp(options: AppOptions): Promise<VisageApp> {
  const { visage } = options;
  if (options.maxQueued !== undefined) visage.scheduler.maxWaiting = options.maxQueued;
  const context: ServerContext = {
    visage,
    auth: visage.accounts,
    limits: { ...DEFAULT_UPLOAD_LIMITS, ...options.limits },
    videos: visage.jobs.videos(
      (id) => `${API_PREFIX}/videos/${id}/annotated.mp4`,
      options.videoJobs?.maxQueued,
    ),
    streams: new EventStreams(),
    imports: visage.jobs.imports(),
    cameras: new Cameras(visage.gallery.db, visage.video),
  };
  const app = Fastify({
    logger: options.logger ?? defaultLogger(),
    genReqId: () => randomUUID(),
    // JSON bodies are small (names, ids); uploads are multipart with their own limits (uploads.ts).
    bodyLimit: 1024 * 1024,
  });
  visage.integrations.setKnownCameras(() => context.cameras.list().map((c) => c.name));
  await visage.integrations.start({ saved: true, longRunning: true, ...options.integrations });
  if (await context.auth.ensureAdmin(options.adminPassword))
    app.log.info('created the admin account from VISAGE_ADMIN_PASSWORD');
  app.decorateRequest('principal', null);
  // The daily retention job (service/privacy/retention.ts): the server is what runs every day.
  const retention = visage.privacy.scheduleRetention({
    onRun: (r) => r.events + r.unknown > 0 && app.log.info(r, 'retention removed old events'),
    onError: (e) => app.log.warn({ err: e }, 'retention failed; it is retried within the hour'),
  });
  app.addHook('onClose', async () => retention.stop());
  // Several nodes may share the store: each wanted camera is watched by the one holding its lease.
  context.cameras.startLeaseLoop((e) => app.log.warn({ err: e }, 'camera leases: a round failed; retried'));
  // Jobs queued by any node (video uploads, imports, re-clustering) run here too unless left to workers.
  const runner =
    options.runJobs === false
      ? null
      : visage.jobs.work({
          kinds: DEFAULT_SERVE_KINDS,
          videoLimits: options.videoJobs?.limits,
          videoConcurrency: options.videoJobs?.concurrency,
          onError: (e) => app.log.warn({ err: e }, 'jobs: a round failed; retried'),
        });
  // Long-lived work ends first, so that closing waits only for ordinary requests. A job running here is
  // given back to the queue, for another node or this one's next start.
  app.addHook('preClose', async () => {
    context.streams.endAll();
    context.videos.close();
    await Promise.all([runner?.close(), context.cameras.close()]);
  });
  installErrorHandling(app);
  addSharedSchemas(app);

  app.addHook('onSend', async (request, reply, payload) => {
    void reply.header('x-request-id', request.id);
    void reply.header('x-content-type-options', 'nosniff');
    void reply.header('referrer-policy', 'no-referrer');
    void reply.header('x-frame-options', 'DENY');
    // JSON never needs a literal < > &; escaped, a name like "<script>" cannot be read as HTML by any
    // client that sniffs or embeds the response.
    const type = String(reply.getHeader('content-type') ?? '');
    if (typeof payload === 'string' && type.startsWith('application/json')) {
      return payload.replace(/[<>&]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    }
    return payload;
  });

  await app.register(cookie);
  await app.register(multipart, { limits: { fileSize: context.limits.maxFileBytes } });
  await app.register(websocket, { options: { maxPayload: MAX_FRAME_BYTES } });
  await registerOpenApi(app, VISAGE_VERSION);

  await app.register(
    async (api) => {
      api.addHook('onRequest', guard(context.auth));
      for (const register of [
        registerAuthRoutes,
        registerUserRoutes,
        registerApiKeyRoutes,
        registerPeopleRoutes,
        registerSampleRoutes,
        registerImportRoutes,
        registerJobRoutes,
        registerRecognitionRoutes,
        registerEventRoutes,
        registerUnknownRoutes,
        registerLiveRoutes,
        registerVideoRoutes,
        registerCameraRoutes,
        registerIntegrationRoutes,
        registerPrivacyRoutes,
      ]) {
        register(api, context);
      }
    },
    { prefix: API_PREFIX },
  );

  await registerWebUi(app, options.webRoot ?? DEFAULT_WEB_ROOT);
  return { app, context };
}

/**
 * Loads every model through the scheduler (converting them on a fresh data directory), so the first real
 * request does not pay for it. A grey picture exercises detector, landmarks and embedder without a face.
 */
export async function warmUp({ visage }: ServerContext): Promise<void> {
  const side = 256;
  const grey: RgbImage = { data: new Uint8Array(side * side * 3).fill(128), width: side, height: side };
  const eyesNoseMouth: Point[] = [
    [100, 110],
    [156, 110],
    [128, 140],
    [105, 170],
    [151, 170],
  ];
  const { analyzer } = visage.faces;
  await visage.scheduler.run(async () => {
    await analyzer.detect(grey);
    await analyzer.landmarker.landmarks(grey, [
      { box: { x: 64, y: 64, width: 128, height: 128 }, score: 1, keypoints: eyesNoseMouth },
    ]);
    await analyzer.embedder.embed(grey, [eyesNoseMouth]);
  });
}

function redactUrl(url: string): string {
  return url.replace(/([?&]key=)[^&]*/g, '$1***');
}
