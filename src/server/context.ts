// What every route needs: the service layer, the accounts, the model-work queue and the upload limits.
import type { Visage } from '../service/visage.js';
import type { AuthStore } from './auth/store.js';
import type { Cameras } from '../service/video/cameras.js';
import type { EventStreams } from './event-streams.js';
import type { UploadLimits } from './uploads.js';
import type { VideoJobs } from '../service/video/video-jobs.js';
import type { WorkQueue } from '../service/scheduler.js';

export interface ServerContext {
  visage: Visage;
  auth: AuthStore;
  queue: WorkQueue;
  limits: UploadLimits;
  videos: VideoJobs;
  streams: EventStreams;
  cameras: Cameras;
}
