// The one way the UI talks to the server: JSON or multipart requests under /api/v1, the CSRF token on
// every cookie-authenticated write, and the error envelope turned into an ApiError with its code.
// Requests and answers are typed by the API contract (src/api): the same definitions the server
// validates and serialises with, so a field the server does not send fails `tsc -p web`.
import type { BodyOf, ErrorBody, ResponseOf, Role, RouteKey, SecurityLevel } from '../../../src/api/index';
import { currentLevel } from './level';

// The contract's shapes, for the views (one definition: src/api/shapes.ts and streams.ts).
export type {
  ApiKey,
  Box,
  Camera,
  CameraFaceEvent,
  CameraState,
  CameraStateChange,
  EnrollReport,
  FaceCrop,
  ImportJob,
  LiveFace,
  LiveFrame,
  LiveMessage,
  Person,
  Quality,
  RecognizedFace,
  Role,
  SecurityLevel,
  Sample,
  SessionInfo,
  Track,
  UnknownCluster,
  UnknownClusterDetails,
  UnknownNameReport,
  User,
  UserListItem,
  VideoJob,
} from '../../../src/api/index';

export const API = '/api/v1';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

let csrfToken: string | null = null;
/** Told when the server says the session is gone, so the app can show the login page. */
let onUnauthorized: (() => void) | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

export function setUnauthorizedHandler(handler: (() => void) | null): void {
  onUnauthorized = handler;
}

type Body = FormData | object | undefined;

function headersFor(method: string, body: Body): Record<string, string> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined && !(body instanceof FormData)) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  return headers;
}

/** The error envelope of a failed response, or a generic code when the body is not one. */
async function errorOf(res: Response): Promise<ApiError> {
  try {
    // The contract's ErrorBody, read defensively: a proxy or a crash may answer something else.
    const body = (await res.json()) as { error?: Partial<ErrorBody['error']> };
    if (body.error?.code)
      return new ApiError(res.status, body.error.code, body.error.message ?? '', body.error.details);
  } catch {
    // not JSON: fall through to the status-based code
  }
  return new ApiError(res.status, `http_${res.status}`, res.statusText);
}

export async function request<T>(method: string, path: string, body?: Body): Promise<T> {
  let res: Response;
  try {
    res = await fetch(API + path, {
      method,
      headers: headersFor(method, body),
      credentials: 'same-origin',
      body: body === undefined ? undefined : body instanceof FormData ? body : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'network_error', 'the server cannot be reached');
  }
  if (!res.ok) {
    const error = await errorOf(res);
    if (res.status === 401 && !path.startsWith('/session') && !path.startsWith('/setup')) onUnauthorized?.();
    throw error;
  }
  if (res.status === 204) return undefined as T;
  const type = res.headers.get('content-type') ?? '';
  return (type.includes('json') ? await res.json() : await res.text()) as T;
}

/** A multipart upload that reports its progress (fetch cannot), for large files such as videos. */
export function upload<T>(path: string, form: FormData, onProgress: (fraction: number) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', API + path);
    for (const [k, v] of Object.entries(headersFor('POST', form))) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onerror = () => reject(new ApiError(0, 'network_error', 'the server cannot be reached'));
    xhr.onload = () => {
      const res = new Response(xhr.responseText, {
        status: xhr.status,
        headers: { 'content-type': xhr.getResponseHeader('content-type') ?? '' },
      });
      if (xhr.status >= 200 && xhr.status < 300) resolve(JSON.parse(xhr.responseText || 'null') as T);
      else void errorOf(res).then(reject);
    };
    xhr.send(form);
  });
}

function query(params: Record<string, string | number | boolean | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

function form(
  files: { name: string; blob: Blob }[],
  fields: Record<string, string> = {},
  field = 'file',
): FormData {
  const f = new FormData();
  // Text fields first: a streaming multipart parser sees them before the files.
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  for (const file of files) f.append(field, file.blob, file.name);
  return f;
}

export interface EventFilter {
  personId?: number;
  unknown?: boolean;
  source?: string;
  /** ISO 8601 times: from inclusive, to exclusive. */
  from?: string;
  to?: string;
  limit?: number;
  offset?: number;
}

/**
 * One route of the contract: `route` is its key in ROUTES ('GET /people/:id'), `path` the URL under
 * /api/v1 with the parameters filled in. Body and answer are the contract's.
 */
function call<K extends RouteKey>(
  route: K,
  path: string,
  body?: BodyOf<K> | FormData,
): Promise<ResponseOf<K>> {
  return request<ResponseOf<K>>(route.slice(0, route.indexOf(' ')), path, body as Body);
}

const id = (v: number | string) => encodeURIComponent(String(v));

export const api = {
  // ---- auth ----
  setupState: () => call('GET /setup', '/setup'),
  setup: (password: string) => call('POST /setup', '/setup', { password }),
  session: () => call('GET /session', '/session'),
  login: (username: string, password: string) => call('POST /session', '/session', { username, password }),
  logout: () => call('DELETE /session', '/session'),

  users: () => call('GET /users', '/users'),
  createUser: (username: string, password: string, role: Role) =>
    call('POST /users', '/users', { username, password, role }),
  deleteUser: (name: string) => call('DELETE /users/:name', `/users/${id(name)}`),

  apiKeys: () => call('GET /api-keys', '/api-keys'),
  createApiKey: (name: string, role: Role) => call('POST /api-keys', '/api-keys', { name, role }),
  revokeApiKey: (keyId: number) => call('DELETE /api-keys/:id', `/api-keys/${id(keyId)}`),

  // ---- people and samples ----
  people: (search: string, limit: number, offset: number) =>
    call('GET /people', `/people${query({ search, limit, offset })}`),
  person: (personId: number) => call('GET /people/:id', `/people/${personId}`),
  createPerson: (name: string) => call('POST /people', '/people', { name }),
  updatePerson: (personId: number, changes: BodyOf<'PATCH /people/:id'>) =>
    call('PATCH /people/:id', `/people/${personId}`, changes),
  mergePerson: (personId: number, intoId: number) =>
    call('POST /people/:id/merge', `/people/${personId}/merge`, { intoId }),
  deletePerson: (personId: number) => call('DELETE /people/:id', `/people/${personId}`),
  forgetPerson: (personId: number) => call('POST /people/:id/forget', `/people/${personId}/forget`),
  /** A download (the session cookie goes with a same-origin link). */
  personExportUrl: (personId: number) => `${API}/people/${personId}/export`,
  privacy: () => call('GET /privacy', '/privacy'),
  updatePrivacy: (change: BodyOf<'PATCH /privacy'>) => call('PATCH /privacy', '/privacy', change),
  runRetention: () => call('POST /privacy/retention/run', '/privacy/retention/run'),
  deleteSample: (sampleId: number) => call('DELETE /samples/:id', `/samples/${sampleId}`),
  /** `force`: move a face that does not look like that person (after the admin confirmed; audited). */
  moveSample: (sampleId: number, personId: number, force = false) =>
    call('POST /samples/:id/move', `/samples/${sampleId}/move`, { personId, ...(force ? { force } : {}) }),
  /** `force`: an admin's override of refusals that are judgement calls (size, blur, pose, resemblance). */
  enroll: (name: string, files: { name: string; blob: Blob }[], force = false) =>
    call('POST /enroll', `/enroll${query({ force: force || undefined })}`, form(files, { name })),

  // ---- bulk import (a zip, or a folder's photos named by their path inside it) ----
  startImport: (files: { name: string; blob: Blob }[], name: string, onProgress: (f: number) => void) =>
    upload<ResponseOf<'POST /imports'>>('/imports', form(files, { name }), onProgress),
  importJob: (jobId: string) => call('GET /imports/:id', `/imports/${id(jobId)}`),
  cancelImport: (jobId: string) => call('POST /imports/:id/cancel', `/imports/${id(jobId)}/cancel`),

  // ---- recognition ----
  /** At the level chosen on the Recognize page (saved in localStorage). */
  /** `events: false`: recognise again without storing (scores after a correction). */
  recognize: (file: { name: string; blob: Blob }, level: SecurityLevel = currentLevel(), events = true) =>
    call(
      'POST /recognize',
      `/recognize${query({ level, events: events ? undefined : false })}`,
      form([file]),
    ),
  crops: (file: { name: string; blob: Blob }) => call('POST /faces/crops', '/faces/crops', form([file])),
  correct: (eventId: number, change: BodyOf<'POST /events/:id/correct'>) =>
    call('POST /events/:id/correct', `/events/${eventId}/correct`, change),
  undoCorrections: (eventId: number) =>
    call('DELETE /events/:id/corrections', `/events/${eventId}/corrections`),
  events: (filter: EventFilter) => call('GET /events', `/events${query({ ...filter })}`),
  eventsCsvUrl: (filter: EventFilter) =>
    `${API}/events.csv${query({ ...filter, limit: undefined, offset: undefined })}`,
  eventSnapshotUrl: (eventId: number) => `${API}/events/${eventId}/snapshot`,
  eventSources: () => call('GET /events/sources', '/events/sources'),

  // ---- unknown faces, clustered for review ----
  unknowns: (all = false) => call('GET /unknowns', `/unknowns${query({ all: all || undefined })}`),
  unknown: (clusterId: number) => call('GET /unknowns/:id', `/unknowns/${clusterId}`),
  /** `force`: an admin's override of the refusals that are judgement calls. */
  nameUnknown: (clusterId: number, name: string, force = false) =>
    call('POST /unknowns/:id/name', `/unknowns/${clusterId}/name`, { name, ...(force ? { force } : {}) }),
  mergeUnknown: (clusterId: number, intoId: number) =>
    call('POST /unknowns/:id/merge', `/unknowns/${clusterId}/merge`, { intoId }),
  splitUnknown: (clusterId: number, eventId: number) =>
    call('POST /unknowns/:id/split', `/unknowns/${clusterId}/split`, { eventId }),
  dismissUnknown: (clusterId: number) => call('POST /unknowns/:id/dismiss', `/unknowns/${clusterId}/dismiss`),
  restoreUnknown: (clusterId: number) => call('POST /unknowns/:id/restore', `/unknowns/${clusterId}/restore`),
  recluster: () => call('POST /unknowns/recluster', '/unknowns/recluster'),
  thumbnailUrl: (sampleId: number) => `${API}/samples/${sampleId}/thumbnail`,

  // ---- video ----
  /** At the level chosen on the Recognize page, like photos and the camera. */
  uploadVideo: (file: File, onProgress: (f: number) => void, level: SecurityLevel = currentLevel()) =>
    upload<ResponseOf<'POST /videos'>>(
      `/videos${query({ level })}`,
      form([{ name: file.name, blob: file }]),
      onProgress,
    ),
  video: (jobId: string) => call('GET /videos/:id', `/videos/${id(jobId)}`),
  videoProgressUrl: (jobId: string) => `${API}/videos/${id(jobId)}/progress`,

  // ---- network cameras ----
  cameras: () => call('GET /cameras', '/cameras'),
  addCamera: (name: string, url: string, level?: SecurityLevel) =>
    call('POST /cameras', '/cameras', { name, url, ...(level ? { level } : {}) }),
  setCameraLevel: (cameraId: number, level: SecurityLevel) =>
    call('PATCH /cameras/:id', `/cameras/${cameraId}`, { level }),
  startCamera: (cameraId: number) => call('POST /cameras/:id/start', `/cameras/${cameraId}/start`),
  stopCamera: (cameraId: number) => call('POST /cameras/:id/stop', `/cameras/${cameraId}/stop`),
  deleteCamera: (cameraId: number) => call('DELETE /cameras/:id', `/cameras/${cameraId}`),
  cameraEventsUrl: (cameraId: number) => `${API}/cameras/${cameraId}/events`,

  // Not part of the contract (the document describes the contract): read for its list of paths only.
  openapi: () => request<{ paths?: Record<string, unknown> }>('GET', '/openapi.json'),
};
