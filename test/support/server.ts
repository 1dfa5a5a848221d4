// The real server for API tests: built by src/server/app.ts on a fresh data directory (with the shared
// converted-model cache), listening on an ephemeral port; and a small fetch client. Each server records
// which routes the test file reached, so server-openapi.test.ts can check every documented route is tested.
import fs from 'node:fs';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { buildApp, type AppOptions } from '../../src/server/app.js';
import type { ServerContext } from '../../src/server/context.js';
import { Visage } from '../../src/service/visage.js';
import { tempDir } from './cli.js';
import { storeOptions } from './store.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
export const ROUTES_RECORD_DIR = path.join(ROOT, 'test-output/server-routes');
const MODEL_CACHE = path.join(os.tmpdir(), 'visage-test-models');

/** A data directory whose converted models are shared with other tests (conversion is tested elsewhere). */
export function freshDataDir(prefix = 'server'): string {
  const dataDir = tempDir(prefix);
  fs.mkdirSync(MODEL_CACHE, { recursive: true });
  fs.symlinkSync(MODEL_CACHE, path.join(dataDir, 'models'));
  return dataDir;
}

export interface TestServer {
  url: string;
  dataDir: string;
  context: ServerContext;
  /** A client without credentials. */
  anonymous: ApiClient;
  close(): Promise<void>;
}

/**
 * Starts a server. `recordAs` is the test file (import.meta.filename): the routes its requests reached are
 * written to test-output/server-routes/<file>.json when the server closes.
 */
export async function startServer(recordAs: string, options: Partial<AppOptions> = {}): Promise<TestServer> {
  const dataDir = freshDataDir();
  const visage = new Visage({ dataDir, ...storeOptions(dataDir) });
  const { app, context } = await buildApp({
    logger: false,
    webRoot: path.join(dataDir, 'no-ui'),
    ...options,
    visage,
  });
  const reached = new Set<string>();
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.url) reached.add(`${request.method} ${request.routeOptions.url}`);
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    url,
    dataDir,
    context,
    anonymous: new ApiClient(url),
    close: async () => {
      await app.close();
      await visage.close();
      recordRoutes(recordAs, reached);
    },
  };
}

function recordRoutes(testFile: string, reached: Set<string>): void {
  const file = path.join(ROUTES_RECORD_DIR, `${path.basename(testFile)}.json`);
  fs.mkdirSync(ROUTES_RECORD_DIR, { recursive: true });
  const before = fs.existsSync(file)
    ? (JSON.parse(fs.readFileSync(file, 'utf8')) as { routes: string[]; pid: number })
    : null;
  // Several servers in one test file add up; a record from an earlier run is replaced.
  const routes = new Set([...(before?.pid === process.pid ? before.routes : []), ...reached]);
  fs.writeFileSync(file, JSON.stringify({ pid: process.pid, routes: [...routes].sort() }, null, 1));
}

/**
 * A parsed JSON response body. Tests check response shapes with assertions, which say more than casts to
 * declared types would; the OpenAPI test covers the declared schemas.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface Reply<T = Json> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
  bytes: Buffer;
}

export interface Credentials {
  apiKey?: string;
  cookie?: string;
  csrfToken?: string;
}

export type FormFields = Record<string, string | Upload | Upload[]>;
export interface Upload {
  name: string;
  bytes: Buffer;
  type?: string;
}

/** Reads an image of ../shared/faces (or any path) as an upload. */
export function upload(file: string, type = 'application/octet-stream'): Upload {
  return { name: path.basename(file), bytes: fs.readFileSync(file), type };
}

export class ApiClient {
  constructor(
    readonly base: string,
    readonly credentials: Credentials = {},
  ) {}

  with(credentials: Credentials): ApiClient {
    return new ApiClient(this.base, credentials);
  }

  get<T = Json>(p: string): Promise<Reply<T>> {
    return this.request('GET', p);
  }

  delete<T = Json>(p: string): Promise<Reply<T>> {
    return this.request('DELETE', p);
  }

  post<T = Json>(p: string, json?: unknown): Promise<Reply<T>> {
    return this.request('POST', p, { json });
  }

  patch<T = Json>(p: string, json: unknown): Promise<Reply<T>> {
    return this.request('PATCH', p, { json });
  }

  /** A multipart POST. */
  upload<T = Json>(p: string, fields: FormFields): Promise<Reply<T>> {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) {
      for (const v of Array.isArray(value) ? value : [value]) {
        if (typeof v === 'string') form.append(name, v);
        else form.append(name, new Blob([v.bytes], { type: v.type ?? 'application/octet-stream' }), v.name);
      }
    }
    return this.request('POST', p, { form });
  }

  async request<T = Json>(
    method: string,
    p: string,
    body: { json?: unknown; form?: FormData; headers?: Record<string, string> } = {},
  ): Promise<Reply<T>> {
    const headers: Record<string, string> = { ...body.headers };
    if (this.credentials.apiKey) headers['x-api-key'] = this.credentials.apiKey;
    if (this.credentials.cookie) headers['cookie'] = this.credentials.cookie;
    if (this.credentials.csrfToken) headers['x-csrf-token'] = this.credentials.csrfToken;
    if (body.json !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${this.base}/api/v1${p}`, {
      method,
      headers,
      body: body.form ?? (body.json !== undefined ? JSON.stringify(body.json) : undefined),
    });
    const bytes = Buffer.from(await res.arrayBuffer());
    const text = bytes.toString('utf8');
    const json = (res.headers.get('content-type') ?? '').startsWith('application/json')
      ? JSON.parse(text)
      : undefined;
    return { status: res.status, headers: res.headers, body: json as T, text, bytes };
  }
}

/** Runs first-run setup and returns a client logged in as admin (cookie + CSRF token). */
export async function setUpAdmin(server: TestServer, password = 'first-admin-password'): Promise<ApiClient> {
  const res = await server.anonymous.post('/setup', { password });
  if (res.status !== 201) throw new Error(`setup failed: ${res.status} ${res.text}`);
  return server.anonymous.with({ cookie: sessionCookie(res.headers), csrfToken: res.body.csrfToken });
}

/** Creates an API key with the admin client and returns a client that uses it. */
export async function keyClient(
  admin: ApiClient,
  role: 'admin' | 'viewer',
  name = `${role} key`,
): Promise<ApiClient> {
  const res = await admin.post('/api-keys', { name, role });
  if (res.status !== 201) throw new Error(`API key creation failed: ${res.status} ${res.text}`);
  return new ApiClient(admin.base, { apiKey: res.body.key });
}

/** `visage_session=…` from a Set-Cookie header, as a Cookie header value. */
export function sessionCookie(headers: Headers): string {
  const cookie = headers.getSetCookie().find((c) => c.startsWith('visage_session='));
  if (!cookie) throw new Error('no session cookie was set');
  return cookie.split(';')[0]!;
}

/** The API's error envelope, checked, returning the code. */
export function errorCode(reply: Reply): string {
  const e = reply.body?.error;
  if (!e || typeof e.code !== 'string' || typeof e.message !== 'string' || typeof e.details !== 'object') {
    throw new Error(`not an error envelope (${reply.status}): ${reply.text.slice(0, 300)}`);
  }
  return e.code;
}

export interface ServerEvent {
  event: string;
  data: Json;
}

/**
 * Reads a server-sent event stream until `until` returns true for an event (then disconnects), the
 * stream ends, or `timeoutMs` passes.
 */
export async function readEvents(
  client: ApiClient,
  p: string,
  until: (e: ServerEvent) => boolean = () => false,
  timeoutMs = 60_000,
): Promise<ServerEvent[]> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  const events: ServerEvent[] = [];
  try {
    const res = await fetch(`${client.base}/api/v1${p}`, {
      headers: {
        ...(client.credentials.apiKey ? { 'x-api-key': client.credentials.apiKey } : {}),
        ...(client.credentials.cookie ? { cookie: client.credentials.cookie } : {}),
      },
      signal: abort.signal,
    });
    if (!(res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
      throw new Error(`not an event stream (${res.status}): ${await res.text()}`);
    }
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body!) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (data === undefined) continue;
        events.push({ event, data: JSON.parse(data) });
        if (until(events.at(-1)!)) return events;
      }
    }
  } catch (e) {
    if (!abort.signal.aborted) throw e;
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  return events;
}

/**
 * Answers one request for `bytes` with byte ranges, as a web server or an IP camera's HTTP endpoint
 * would (ffmpeg reads an HTTP video by ranges).
 */
export function sendWithRanges(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  bytes: Buffer,
  type = 'video/mp4',
): void {
  const range = /bytes=(\d+)-(\d*)/.exec(req.headers.range ?? '');
  const start = range ? Number(range[1]) : 0;
  const end = range && range[2] ? Number(range[2]) : bytes.length - 1;
  res.writeHead(range ? 206 : 200, {
    'content-type': type,
    'accept-ranges': 'bytes',
    'content-length': end - start + 1,
    ...(range ? { 'content-range': `bytes ${start}-${end}/${bytes.length}` } : {}),
  });
  res.end(bytes.subarray(start, end + 1));
}
