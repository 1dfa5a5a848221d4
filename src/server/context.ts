// What every route needs: the service layer, the accounts, the upload limits, the server's long-lived
// work (video jobs, cameras, event streams), and whose turn a request's model work takes.
import type { FastifyRequest } from 'fastify';
import type { Visage } from '../service/visage.js';
import type { WorkOptions } from '../service/scheduler.js';
import type { AuthStore } from '../service/accounts/store.js';
import { actorOf } from './auth/guard.js';
import type { Cameras } from '../service/video/cameras.js';
import type { EventStreams } from './event-streams.js';
import type { UploadLimits } from './uploads.js';
import type { VideoJobs } from '../service/video/video-jobs.js';
import type { ImportJobs } from '../service/enroll/import-jobs.js';

export interface ServerContext {
  visage: Visage;
  auth: AuthStore;
  limits: UploadLimits;
  videos: VideoJobs;
  /** Bulk imports started from the web app. */
  imports: ImportJobs;
  streams: EventStreams;
  cameras: Cameras;
}

/**
 * The scheduler lane of a request's model work: its user or API key (`user:ada`, `key:scripts`), so each
 * caller gets a fair share of the models however many requests another one sends.
 */
export function workOf(request: FastifyRequest, kind: WorkOptions['kind'] = 'request'): WorkOptions {
  return { lane: actorOf(request) ?? 'anonymous', kind };
}
