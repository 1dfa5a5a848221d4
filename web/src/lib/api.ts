// The one way the UI talks to the server: JSON or multipart requests under /api/v1, the CSRF token on
// every cookie-authenticated write, and the error envelope turned into an ApiError with its code.
import type {
  ApiKeyItem,
  Camera,
  CropsResponse,
  EnrollReport,
  EventItem,
  Page,
  Person,
  PersonDetail,
  RecognizeResponse,
  Role,
  Sample,
  SessionInfo,
  UserItem,
  VideoJob,
} from './types';

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
    const body = (await res.json()) as {
      error?: { code?: string; message?: string; details?: Record<string, unknown> };
    };
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
  limit?: number;
  offset?: number;
}

export const api = {
  // ---- auth ----
  setupState: () => request<{ needsSetup: boolean }>('GET', '/setup'),
  setup: (password: string) => request<SessionInfo>('POST', '/setup', { password }),
  session: () => request<SessionInfo>('GET', '/session'),
  login: (username: string, password: string) =>
    request<SessionInfo>('POST', '/session', { username, password }),
  logout: () => request<void>('DELETE', '/session'),

  users: () => request<{ items: UserItem[] }>('GET', '/users'),
  createUser: (username: string, password: string, role: Role) =>
    request<unknown>('POST', '/users', { username, password, role }),
  deleteUser: (name: string) => request<void>('DELETE', `/users/${encodeURIComponent(name)}`),

  apiKeys: () => request<{ items: ApiKeyItem[] }>('GET', '/api-keys'),
  createApiKey: (name: string, role: Role) =>
    request<ApiKeyItem & { key: string }>('POST', '/api-keys', { name, role }),
  revokeApiKey: (id: number | string) =>
    request<void>('DELETE', `/api-keys/${encodeURIComponent(String(id))}`),

  // ---- people and samples ----
  people: (search: string, limit: number, offset: number) =>
    request<Page<Person>>('GET', `/people${query({ search, limit, offset })}`),
  person: (id: number) => request<PersonDetail>('GET', `/people/${id}`),
  createPerson: (name: string) => request<Person>('POST', '/people', { name }),
  updatePerson: (id: number, changes: { name?: string; note?: string }) =>
    request<Person>('PATCH', `/people/${id}`, changes),
  mergePerson: (id: number, intoId: number) =>
    request<{ person: Person; movedSamples: number }>('POST', `/people/${id}/merge`, { intoId }),
  deletePerson: (id: number) => request<void>('DELETE', `/people/${id}`),
  deleteSample: (id: number) => request<void>('DELETE', `/samples/${id}`),
  moveSample: (id: number, personId: number) => request<Sample>('POST', `/samples/${id}/move`, { personId }),
  enroll: (name: string, files: { name: string; blob: Blob }[]) =>
    request<EnrollReport>('POST', '/enroll', form(files, { name })),

  // ---- recognition ----
  recognize: (file: { name: string; blob: Blob }) =>
    request<RecognizeResponse>('POST', '/recognize', form([file])),
  crops: (file: { name: string; blob: Blob }) => request<CropsResponse>('POST', '/faces/crops', form([file])),
  correct: (eventId: number, change: { is?: string; not?: string }) =>
    request<{ event: EventItem; person?: { id: number; name: string }; sampleId?: number }>(
      'POST',
      `/events/${eventId}/correct`,
      change,
    ),

  undoCorrections: (eventId: number) => request<unknown>('DELETE', `/events/${eventId}/corrections`),
  events: (filter: EventFilter) => request<Page<EventItem>>('GET', `/events${query({ ...filter })}`),
  eventsCsvUrl: (filter: EventFilter) =>
    `${API}/events.csv${query({ ...filter, limit: undefined, offset: undefined })}`,
  eventSnapshotUrl: (id: number) => `${API}/events/${id}/snapshot`,
  thumbnailUrl: (sampleId: number) => `${API}/samples/${sampleId}/thumbnail`,

  // ---- video ----
  uploadVideo: (file: File, onProgress: (f: number) => void) =>
    upload<{ id: string }>('/videos', form([{ name: file.name, blob: file }]), onProgress),
  video: (id: string) => request<VideoJob>('GET', `/videos/${encodeURIComponent(id)}`),
  videoProgressUrl: (id: string) => `${API}/videos/${encodeURIComponent(id)}/progress`,

  // ---- network cameras ----
  cameras: () => request<{ items: Camera[] }>('GET', '/cameras'),
  addCamera: (name: string, url: string) => request<Camera>('POST', '/cameras', { name, url }),
  startCamera: (id: number) => request<Camera>('POST', `/cameras/${id}/start`),
  stopCamera: (id: number) => request<Camera>('POST', `/cameras/${id}/stop`),
  deleteCamera: (id: number) => request<void>('DELETE', `/cameras/${id}`),
  cameraEventsUrl: (id: number) => `${API}/cameras/${id}/events`,

  openapi: () => request<{ paths?: Record<string, unknown> }>('GET', '/openapi.json'),
};
