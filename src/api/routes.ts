// Every route of the HTTP API under /api/v1: its parameters, query, JSON body or multipart fields, and
// its answers by status. The server builds each route's Fastify schema (and so the OpenAPI document) from
// this table (src/server/schemas.ts); the web app types its requests and answers from it (web/src/lib/api.ts).
// Errors are not listed: every route answers 4xx/5xx with ErrorBody.
import {
  ApiKeyCreated,
  ApiKeyList,
  Camera,
  CameraList,
  CompareResult,
  CorrectionReport,
  CropsResult,
  DetectResult,
  EnrollReport,
  EventPage,
  ImportJob,
  Job,
  JobList,
  JobsQuery,
  ReindexBody,
  LookalikeList,
  MergeResult,
  Person,
  PersonPage,
  PersonWithSamples,
  RecognizeResult,
  Role,
  SecurityLevel,
  Sample,
  SessionInfo,
  SetupState,
  UndoReport,
  UserList,
  UserListItem,
  ForgetReport,
  PrivacySettings,
  RetentionReport,
  VideoAccepted,
  VideoJob,
  UnknownCluster,
  UnknownClusterList,
  UnknownClusterDetails,
  UnknownNameReport,
  ReclusterReport,
  EventSourceList,
  FrigateSettingsBody,
  IntegrationSettings,
  IntegrationsStatus,
  MqttSettingsBody,
  WebhookBody,
  WebhookCreated,
  WebhookDelivery,
  WebhookDeliveryList,
  Webhook,
  WebhookList,
  WebhookUpdateBody,
} from './shapes.js';
import { CameraStreamEvents, LiveMessage, VideoStreamEvents } from './streams.js';
import { Bool, Int, Obj, Optional, Str, type Named, type Static, type TSchema } from './schema.js';

// ---- answers that are not JSON ----

/** A body of another media type (an image, a video, CSV), documented but not serialised by a schema. */
export interface Media {
  kind: 'media';
  contentType: string;
  description: string;
}
/** No body (204). */
export interface NoContent {
  kind: 'none';
  description: string;
}
/** Server-sent events: `event:` name → the schema of its `data:` JSON. */
export interface EventStream {
  kind: 'events';
  events: Record<string, TSchema>;
}
/** A WebSocket upgrade (101): the schema of each message the server sends. */
export interface Socket {
  kind: 'socket';
  description: string;
  message: TSchema;
}

const media = (contentType: string, description: string): Media => ({
  kind: 'media',
  contentType,
  description,
});
const noContent: NoContent = { kind: 'none', description: 'no content' };
const events = (e: Record<string, TSchema>): EventStream => ({ kind: 'events', events: e });

/**
 * Multipart upload fields. Fastify does not validate multipart bodies against a schema (the server
 * reads them as streams), so the contract lists them and the OpenAPI document shows them.
 */
export interface MultipartSpec {
  files: Record<string, { description: string; multiple?: boolean; required?: boolean }>;
  fields?: Record<string, { description: string; required?: boolean }>;
}

export type Answer = Named | Media | NoContent | EventStream | Socket;

export interface RouteContract {
  params?: TSchema;
  querystring?: TSchema;
  body?: TSchema;
  multipart?: MultipartSpec;
  response: Partial<Record<200 | 201 | 202 | 204 | 101, Answer>>;
}

// ---- requests ----

/**
 * A query as the server sees it: parameters with a default are always there (Fastify fills them in).
 * Clients may leave them out (QueryOf).
 */
export type Defaulted<T, K extends keyof T> = T & { [P in K]-?: Exclude<T[P], undefined> };

export const IdParams = Obj({ id: Int({ minimum: 1 }) });
export type IdParams = Static<typeof IdParams>;

export const JobParams = Obj({ id: Str({ format: 'uuid' }) });
export type JobParams = Static<typeof JobParams>;

export const UserNameParams = Obj({ name: Str({ maxLength: 64 }) });
export type UserNameParams = Static<typeof UserNameParams>;

const password = Str({ minLength: 1, maxLength: 1024 });

export const SetupBody = Obj({ password });
export type SetupBody = Static<typeof SetupBody>;

export const LoginBody = Obj({ username: Str({ maxLength: 64 }), password });
export type LoginBody = Static<typeof LoginBody>;

export const CreateUserBody = Obj({
  username: Str({ maxLength: 64 }),
  password: Str({ maxLength: 1024 }),
  role: Role,
});
export type CreateUserBody = Static<typeof CreateUserBody>;

export const CreateApiKeyBody = Obj({ name: Str({ minLength: 1, maxLength: 100 }), role: Role });
export type CreateApiKeyBody = Static<typeof CreateApiKeyBody>;

export const PeopleQuery = Obj({
  search: Optional(Str({ maxLength: 100 })),
  limit: Optional(Int({ minimum: 1, maximum: 500, default: 50 })),
  offset: Optional(Int({ minimum: 0, default: 0 })),
});
export type PeopleQuery = Defaulted<Static<typeof PeopleQuery>, 'limit' | 'offset'>;

export const CreatePersonBody = Obj({ name: Str(), note: Optional(Str()) });
export type CreatePersonBody = Static<typeof CreatePersonBody>;

export const UpdatePersonBody = Obj({ name: Optional(Str()), note: Optional(Str()) }, { minProperties: 1 });
export type UpdatePersonBody = Static<typeof UpdatePersonBody>;

export const PrivacySettingsBody = Obj(
  {
    eventDays: Optional(PrivacySettings.properties.eventDays),
    unknownDays: Optional(PrivacySettings.properties.unknownDays),
    forgetAuditNames: Optional(PrivacySettings.properties.forgetAuditNames),
  },
  { minProperties: 1 },
);
export type PrivacySettingsBody = Static<typeof PrivacySettingsBody>;

export const MergeBody = Obj({ intoId: Int({ minimum: 1 }) });
export type MergeBody = Static<typeof MergeBody>;

export const MoveSampleBody = Obj({
  personId: Int({ minimum: 1 }),
  force: Optional(
    Bool({ description: "move even when the face does not look like that person's samples (audited)" }),
  ),
});
export type MoveSampleBody = Static<typeof MoveSampleBody>;

export const EnrollQuery = Obj({
  largest: Optional(Bool({ default: false, description: 'with several faces in a photo, take the largest' })),
  force: Optional(
    Bool({ default: false, description: 'accept faces rejected for size, blur, pose or resemblance' }),
  ),
});
export type EnrollQuery = Defaulted<Static<typeof EnrollQuery>, 'largest' | 'force'>;

export const RecognizeQuery = Obj({
  events: Optional(Bool({ default: true, description: 'store each face as an event' })),
  level: Optional(SecurityLevel),
});
export type RecognizeQuery = Defaulted<Static<typeof RecognizeQuery>, 'events'>;
export const VideoQuery = Obj({ level: Optional(SecurityLevel) });
export type VideoQuery = Static<typeof VideoQuery>;

const instant = 'ISO 8601 time (e.g. 2024-05-01T12:00:00Z) or milliseconds since the epoch';
const EVENT_FILTERS = {
  personId: Optional(Int({ minimum: 1, description: "only this person's events" })),
  unknown: Optional(Bool({ description: 'only faces nobody was recognised in' })),
  source: Optional(Str({ description: 'only events of this source (file name, camera)' })),
  from: Optional(Str({ description: `${instant}; inclusive` })),
  to: Optional(Str({ description: `${instant}; exclusive` })),
};

export const EventFilterQuery = Obj(EVENT_FILTERS);
export type EventFilterQuery = Static<typeof EventFilterQuery>;

export const EventPageQuery = Obj({
  ...EVENT_FILTERS,
  limit: Optional(Int({ minimum: 1, maximum: 1000, default: 50 })),
  offset: Optional(Int({ minimum: 0, default: 0 })),
});
export type EventPageQuery = Defaulted<Static<typeof EventPageQuery>, 'limit' | 'offset'>;

export const CorrectionBody = Obj({
  is: Optional(Str({ description: 'the name of who this face is' })),
  not: Optional(Str({ description: 'the name of who this face is not' })),
  force: Optional(Bool({ description: '`is`: accept a face rejected for size, blur, pose or resemblance' })),
});
export type CorrectionBody = Static<typeof CorrectionBody>;

export const UnknownsQuery = Obj({
  all: Optional(Bool({ default: false, description: 'every cluster: small, dismissed, named, merged' })),
});
export type UnknownsQuery = Defaulted<Static<typeof UnknownsQuery>, 'all'>;

export const NameClusterBody = Obj({
  name: Str({ minLength: 1, description: 'a new or an existing person' }),
  force: Optional(Bool({ description: 'accept faces refused for size, blur, pose or resemblance' })),
});
export type NameClusterBody = Static<typeof NameClusterBody>;

export const SplitFaceBody = Obj({ eventId: Int({ minimum: 1 }) });
export type SplitFaceBody = Static<typeof SplitFaceBody>;

export const LiveQuery = Obj({
  key: Optional(Str({ description: 'API key (browsers cannot set headers on a WebSocket)' })),
  level: Optional(SecurityLevel),
});
export type LiveQuery = Static<typeof LiveQuery>;

export const CameraBody = Obj({
  name: Str({ maxLength: 100 }),
  url: Str({ maxLength: 2000, description: 'rtsp://, rtsps://, rtmp://, http(s)://, srt:// or /dev/videoN' }),
  level: Optional(SecurityLevel),
});
export type CameraBody = Static<typeof CameraBody>;

export const CameraUpdateBody = Obj({ level: SecurityLevel });
export type CameraUpdateBody = Static<typeof CameraUpdateBody>;

const imageFile = {
  file: { description: 'a photo (JPEG, PNG, WebP, GIF, TIFF, AVIF, HEIC)', required: true },
};
const enrollFiles = {
  file: { description: 'photos of the person, one face each', multiple: true, required: true },
};
const jpeg = media('image/jpeg', 'JPEG face crop');

// ---- the routes ----

export const ROUTES = {
  'GET /setup': { response: { 200: SetupState } },
  'POST /setup': { body: SetupBody, response: { 201: SessionInfo } },
  'POST /session': { body: LoginBody, response: { 200: SessionInfo } },
  'GET /session': { response: { 200: SessionInfo } },
  'DELETE /session': { response: { 204: noContent } },

  'GET /users': { response: { 200: UserList } },
  'POST /users': { body: CreateUserBody, response: { 201: UserListItem } },
  'DELETE /users/:name': { params: UserNameParams, response: { 204: noContent } },

  'GET /api-keys': { response: { 200: ApiKeyList } },
  'POST /api-keys': { body: CreateApiKeyBody, response: { 201: ApiKeyCreated } },
  'DELETE /api-keys/:id': { params: IdParams, response: { 204: noContent } },

  'GET /people': { querystring: PeopleQuery, response: { 200: PersonPage } },
  'GET /people/lookalikes': { response: { 200: LookalikeList } },
  'POST /people': { body: CreatePersonBody, response: { 201: Person } },
  'GET /people/:id': { params: IdParams, response: { 200: PersonWithSamples } },
  'PATCH /people/:id': { params: IdParams, body: UpdatePersonBody, response: { 200: Person } },
  'POST /people/:id/merge': { params: IdParams, body: MergeBody, response: { 200: MergeResult } },
  'DELETE /people/:id': { params: IdParams, response: { 204: noContent } },
  'POST /people/:id/forget': { params: IdParams, response: { 200: ForgetReport } },
  'GET /people/:id/export': {
    params: IdParams,
    response: { 200: media('application/x-tar', "the person's archive (the layout of `visage export`)") },
  },
  'GET /privacy': { response: { 200: PrivacySettings } },
  'PATCH /privacy': { body: PrivacySettingsBody, response: { 200: PrivacySettings } },
  'POST /privacy/retention/run': { response: { 200: RetentionReport } },

  'POST /people/:id/samples': {
    params: IdParams,
    querystring: EnrollQuery,
    multipart: { files: enrollFiles },
    response: { 200: EnrollReport },
  },
  'POST /enroll': {
    querystring: EnrollQuery,
    multipart: { files: enrollFiles, fields: { name: { description: "the person's name", required: true } } },
    response: { 200: EnrollReport },
  },
  'POST /imports': {
    querystring: EnrollQuery,
    multipart: {
      files: {
        file: {
          description:
            'a .zip of person folders (people/<name>/photo.jpg), or every photo of a dropped folder, each named by its path inside it (<name>/photo.jpg)',
          multiple: true,
          required: true,
        },
      },
      fields: { name: { description: "what is imported, for display (default: the zip's name)" } },
    },
    response: { 202: ImportJob },
  },
  'GET /imports/:id': { params: JobParams, response: { 200: ImportJob } },
  'POST /imports/:id/cancel': { params: JobParams, response: { 200: ImportJob } },
  'GET /samples/:id/thumbnail': { params: IdParams, response: { 200: jpeg } },
  'DELETE /samples/:id': { params: IdParams, response: { 204: noContent } },
  'POST /samples/:id/move': { params: IdParams, body: MoveSampleBody, response: { 200: Sample } },

  'POST /detect': { multipart: { files: imageFile }, response: { 200: DetectResult } },
  'POST /recognize': {
    querystring: RecognizeQuery,
    multipart: { files: imageFile },
    response: { 200: RecognizeResult },
  },
  'POST /compare': {
    multipart: {
      files: {
        a: { description: 'first photo', required: true },
        b: { description: 'second photo', required: true },
      },
    },
    response: { 200: CompareResult },
  },
  'POST /faces/crops': { multipart: { files: imageFile }, response: { 200: CropsResult } },

  'GET /events': { querystring: EventPageQuery, response: { 200: EventPage } },
  'GET /events.csv': { querystring: EventFilterQuery, response: { 200: media('text/csv', 'CSV') } },
  'GET /events/sources': { response: { 200: EventSourceList } },
  'GET /events/:id/snapshot': { params: IdParams, response: { 200: jpeg } },
  'POST /events/:id/correct': { params: IdParams, body: CorrectionBody, response: { 200: CorrectionReport } },
  'DELETE /events/:id/corrections': { params: IdParams, response: { 200: UndoReport } },

  'GET /unknowns': { querystring: UnknownsQuery, response: { 200: UnknownClusterList } },
  'POST /unknowns/recluster': { response: { 200: ReclusterReport } },
  'GET /unknowns/:id': { params: IdParams, response: { 200: UnknownClusterDetails } },
  'POST /unknowns/:id/name': {
    params: IdParams,
    body: NameClusterBody,
    response: { 200: UnknownNameReport },
  },
  'POST /unknowns/:id/merge': { params: IdParams, body: MergeBody, response: { 200: UnknownCluster } },
  'POST /unknowns/:id/split': { params: IdParams, body: SplitFaceBody, response: { 200: UnknownCluster } },
  'POST /unknowns/:id/dismiss': { params: IdParams, response: { 200: UnknownCluster } },
  'POST /unknowns/:id/restore': { params: IdParams, response: { 200: UnknownCluster } },

  'GET /live': {
    querystring: LiveQuery,
    response: {
      101: {
        kind: 'socket',
        description: 'Switching Protocols: the WebSocket is open',
        message: LiveMessage,
      },
    },
  },

  'POST /videos': {
    querystring: VideoQuery,
    multipart: { files: { file: { description: 'a video (MP4, MOV, MKV, WebM, AVI…)', required: true } } },
    response: { 202: VideoAccepted },
  },
  'GET /videos/:id': { params: JobParams, response: { 200: VideoJob } },
  'GET /videos/:id/progress': { params: JobParams, response: { 200: events(VideoStreamEvents) } },
  'GET /videos/:id/annotated.mp4': {
    params: JobParams,
    response: { 200: media('video/mp4', 'annotated MP4') },
  },

  'GET /jobs': { querystring: JobsQuery, response: { 200: JobList } },
  'GET /jobs/:id': { params: JobParams, response: { 200: Job } },
  'POST /jobs/:id/cancel': { params: JobParams, response: { 200: Job } },
  'POST /jobs/reindex': { body: ReindexBody, response: { 202: Job } },
  'POST /jobs/recluster': { response: { 202: Job } },

  'GET /cameras': { response: { 200: CameraList } },
  'POST /cameras': { body: CameraBody, response: { 201: Camera } },
  'PATCH /cameras/:id': { params: IdParams, body: CameraUpdateBody, response: { 200: Camera } },
  'POST /cameras/:id/start': { params: IdParams, response: { 200: Camera } },
  'POST /cameras/:id/stop': { params: IdParams, response: { 200: Camera } },
  'DELETE /cameras/:id': { params: IdParams, response: { 204: noContent } },
  'GET /cameras/:id/events': { params: IdParams, response: { 200: events(CameraStreamEvents) } },

  'GET /integrations': { response: { 200: IntegrationsStatus } },
  'GET /integrations/settings': { response: { 200: IntegrationSettings } },
  'PUT /integrations/mqtt': { body: MqttSettingsBody, response: { 200: IntegrationsStatus } },
  'DELETE /integrations/mqtt': { response: { 200: IntegrationsStatus } },
  'PUT /integrations/frigate': { body: FrigateSettingsBody, response: { 200: IntegrationsStatus } },
  'DELETE /integrations/frigate': { response: { 200: IntegrationsStatus } },
  'GET /webhooks': { response: { 200: WebhookList } },
  'POST /webhooks': { body: WebhookBody, response: { 201: WebhookCreated } },
  'PATCH /webhooks/:id': { params: IdParams, body: WebhookUpdateBody, response: { 200: Webhook } },
  'DELETE /webhooks/:id': { params: IdParams, response: { 204: noContent } },
  'GET /webhooks/:id/deliveries': { params: IdParams, response: { 200: WebhookDeliveryList } },
  'GET /webhooks/dead-letters': { response: { 200: WebhookDeliveryList } },
  'POST /webhooks/deliveries/:id/retry': { params: IdParams, response: { 200: WebhookDelivery } },
} as const satisfies Record<string, RouteContract>;

export type RouteKey = keyof typeof ROUTES;

type Answers<K extends RouteKey> = (typeof ROUTES)[K]['response'];
type JsonOf<A> = A extends NoContent
  ? void
  : A extends { kind: string }
    ? never
    : A extends TSchema
      ? Static<A>
      : never;

/** The JSON a route answers with on success (the union over its 2xx statuses). */
export type ResponseOf<K extends RouteKey> = {
  [C in keyof Answers<K>]: JsonOf<Answers<K>[C]>;
}[keyof Answers<K>];

type Part<K extends RouteKey, P extends 'body' | 'querystring' | 'params'> = (typeof ROUTES)[K] extends {
  [_ in P]: infer S extends TSchema;
}
  ? Static<S>
  : never;

/** The JSON body a route takes. */
export type BodyOf<K extends RouteKey> = Part<K, 'body'>;
/** A route's query parameters as a client sends them (those with a default may be left out). */
export type QueryOf<K extends RouteKey> = Part<K, 'querystring'>;
export type ParamsOf<K extends RouteKey> = Part<K, 'params'>;
