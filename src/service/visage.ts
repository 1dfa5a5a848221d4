// Visage's wiring: one object per data directory that opens the face engine and the gallery once and
// builds each feature's service over them with only the dependencies that feature uses. It has no verbs
// of its own: the CLI and the HTTP API call `visage.<feature>.<verb>`, e.g. `visage.photos.recognizeFile`.
// The one scheduler of model work (scheduler.ts) is made here and given to every feature that runs models.
import type { ChangeContext } from '../gallery/gallery.js';
import { Gallery } from '../gallery/gallery.js';
import type { Aggregation } from '../gallery/embedding-index.js';
import {
  exportArchive,
  exportCsv,
  importArchive,
  type ArchiveImportReport,
  type CsvExportReport,
  type ExportOptions,
  type ExportReport,
} from './archive/archive.js';
import { AuthStore } from './accounts/store.js';
import { Enrollment } from './enroll/index.js';
import { Events } from './events/events.js';
import { FaceService, type ServiceOptions } from './faces/face-service.js';
import { JobQueue } from './jobs/job-queue.js';
import { Jobs } from './jobs/jobs.js';
import { EventFeed, PublishingEventsRepository } from './integrations/event-feed.js';
import { Integrations } from './integrations/integrations.js';
import { People } from './people/people.js';
import { PhotoRecognition } from './recognize/photos.js';
import { Privacy } from './privacy/privacy.js';
import { Recognizer } from './recognize/recognizer.js';
import { Scheduler, type SchedulerOptions } from './scheduler.js';
import { VideoService } from './video/video.js';
import { UnknownFaces } from './unknowns/unknowns.js';

export interface VisageOptions extends ServiceOptions {
  aggregation?: Aggregation;
  /** A PostgreSQL URL: the gallery lives there instead of in the data directory's SQLite file. */
  database?: string;
  /** The model-work scheduler's bounds (the server sets how much may wait before 503 busy). */
  scheduler?: SchedulerOptions;
}

/** Archives and the original tool's CSV: whole-gallery export and import (archive/). */
export class Archives {
  constructor(private readonly deps: { gallery: Gallery; recognizer: Recognizer }) {}

  export(file: string, options: ExportOptions = {}): ExportReport {
    return exportArchive(this.deps.gallery, file, options);
  }

  /** Merges an archive made by `export` into this gallery, all or nothing. */
  import(file: string, context: ChangeContext = {}): Promise<ArchiveImportReport> {
    return importArchive(this.deps.gallery, file, context);
  }

  /** One row per person, name then mean embedding (default model: recognition's). */
  exportCsv(file: string, modelId = this.deps.recognizer.modelId): CsvExportReport {
    return exportCsv(this.deps.gallery, file, modelId);
  }
}

export class Visage {
  /** Every unit of model work of this process goes through it, round-robin by owner (scheduler.ts). */
  readonly scheduler: Scheduler;
  /** The face engine's verbs on images: detect, embed, compare, crops (faces/). */
  readonly faces: FaceService;
  readonly gallery: Gallery;
  /** Open-set identification of one embedding against the gallery (recognize/recognizer.ts). */
  readonly recognizer: Recognizer;
  /** Management by name or id: list, show, rename, merge, delete, samples (people/). */
  readonly people: People;
  /** Photos in, names and events out (recognize/photos.ts). */
  readonly photos: PhotoRecognition;
  /** Enrolment, folder import, corrections, reindex (enroll/). */
  readonly enrollment: Enrollment;
  readonly archives: Archives;
  /** Users, sessions and API keys, on the gallery's database (accounts/). */
  readonly accounts: AuthStore;
  /** Recognition history: filtered pages, CSV, snapshots (events/). */
  readonly events: Events;
  /** Video files and live streams: tracks, names, events (video/). */
  readonly video: VideoService;
  /** Clusters of faces nobody has named yet, to review and name (unknowns/). */
  readonly unknowns: UnknownFaces;
  /** Forget a person, export a person's data, retention of events and unknown faces (privacy/). */
  readonly privacy: Privacy;
  /** Every stored event, announced after it committed, whoever stored it (integrations/event-feed.ts). */
  readonly eventFeed = new EventFeed();
  /** MQTT out with Home Assistant discovery, the Frigate bridge, webhooks (integrations/). */
  readonly integrations: Integrations;
  /** Video files, imports, reindex and re-clustering queued in the store, run by any node (jobs/). */
  readonly jobs: Jobs;

  constructor(options: VisageOptions) {
    this.scheduler = new Scheduler(options.scheduler);
    this.faces = new FaceService(options, this.scheduler);
    this.gallery = Gallery.open(options.dataDir, {
      aggregation: options.aggregation,
      database: options.database,
    });
    this.recognizer = new Recognizer(this.gallery, this.faces.embeddingModel, {
      aggregation: options.aggregation,
      flip: this.faces.embeddingFlip,
    });
    this.people = new People(this.gallery);
    // Photos and video store through this one, so each stored event reaches the feed.
    const storedEvents = new PublishingEventsRepository(
      this.gallery.db,
      this.eventFeed,
      (id) => this.gallery.people.get(id)?.name ?? null,
    );
    this.photos = new PhotoRecognition({
      faces: this.faces,
      recognizer: this.recognizer,
      events: storedEvents,
      scheduler: this.scheduler,
    });
    this.enrollment = new Enrollment({
      faces: this.faces,
      gallery: this.gallery,
      recognizer: this.recognizer,
      people: this.people,
      scheduler: this.scheduler,
    });
    this.archives = new Archives({ gallery: this.gallery, recognizer: this.recognizer });
    this.accounts = new AuthStore(this.gallery.db);
    this.events = new Events({ events: this.gallery.events, people: this.gallery.people });
    // One queue for the jobs feature and for forgetting (jobs about a forgotten person go with them).
    const jobQueue = new JobQueue(this.gallery.db);
    this.privacy = new Privacy({
      gallery: this.gallery,
      people: this.people,
      jobs: jobQueue,
      onForgotten: (person) => this.integrations.forgetPerson(person),
    });
    this.video = new VideoService({
      faces: this.faces,
      recognizer: this.recognizer,
      events: storedEvents,
      scheduler: this.scheduler,
      photos: this.photos,
    });
    this.unknowns = new UnknownFaces({
      clusters: this.gallery.clusters,
      events: this.gallery.events,
      people: this.gallery.people,
      audit: this.gallery.audit,
      recognizer: this.recognizer,
      faces: this.faces,
      scheduler: this.scheduler,
      correct: (eventId, correction, options) => this.enrollment.correct(eventId, correction, options),
    });
    // Unknown faces are clustered as they are stored, whoever stored them (photos, video files, cameras,
    // the Frigate bridge): one batch per store call, so a video's tracks read the clusters once.
    this.eventFeed.subscribe((events) =>
      this.unknowns.add(events.filter((e) => e.personId === null).map((e) => e.eventId)),
    );
    this.jobs = new Jobs({
      queue: jobQueue,
      dataDir: options.dataDir,
      video: this.video,
      enrollment: this.enrollment,
      unknowns: this.unknowns,
    });
    this.integrations = new Integrations({
      db: this.gallery.db,
      feed: this.eventFeed,
      faces: this.faces,
      photos: this.photos,
      events: storedEvents,
      people: () => this.gallery.people.list().map((p) => ({ id: p.id, name: p.name })),
    });
  }

  async close(): Promise<void> {
    await this.integrations.close();
    this.gallery.close();
    await this.faces.close();
  }
}
