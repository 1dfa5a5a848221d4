// Who is calling, and may they: every API route declares `config.access` (public, viewer or admin; a route
// that forgets is admin-only). Credentials are an `x-api-key` header or the session cookie; a cookie alone
// never authorises a write, which also needs the session's CSRF token in `x-csrf-token`.
import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { VisageError } from '../../errors.js';
import { SESSION_COOKIE } from '../../service/accounts/sessions.js';
import type { AuthStore } from '../../service/accounts/store.js';
import { sameSecret } from '../../service/accounts/tokens.js';
import type { Role } from '../../service/accounts/users.js';

export type Access = 'public' | 'viewer' | 'admin';

export interface Principal {
  kind: 'session' | 'api_key';
  /** User name, or the API key's name. */
  name: string;
  role: Role;
  /** For sessions: the cookie token and the CSRF token that goes with it. */
  session?: { token: string; csrfToken: string };
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
    /** Accept the API key as `?key=` (WebSocket clients in browsers cannot set headers). */
    keyInQuery?: boolean;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The audit log's actor for a change made through the API. */
export function actorOf(request: FastifyRequest): string | null {
  const p = request.principal;
  return p ? `${p.kind === 'session' ? 'user' : 'key'}:${p.name}` : null;
}

export function guard(auth: AuthStore): onRequestAsyncHookHandler {
  return async (request) => {
    const config = request.routeOptions.config;
    const access = config.access ?? 'admin';
    request.principal = identify(request, auth, config.keyInQuery ?? false);
    if (access === 'public') return;
    const p = request.principal;
    if (!p) throw new VisageError('unauthenticated', 'Log in or send an API key in the x-api-key header.');
    if (p.session && !SAFE_METHODS.has(request.method)) {
      const sent = request.headers['x-csrf-token'];
      if (typeof sent !== 'string' || !sameSecret(sent, p.session.csrfToken)) {
        throw new VisageError(
          'csrf_failed',
          'Missing or wrong x-csrf-token header (take it from GET /api/v1/session).',
        );
      }
    }
    if (access === 'admin' && p.role !== 'admin') {
      throw new VisageError('forbidden', `This needs the admin role; ${p.name} is a ${p.role}.`, {
        role: p.role,
      });
    }
  };
}

function identify(request: FastifyRequest, auth: AuthStore, keyInQuery: boolean): Principal | null {
  const header = request.headers['x-api-key'];
  const query = keyInQuery ? (request.query as { key?: unknown }).key : undefined;
  const key = typeof header === 'string' ? header : typeof query === 'string' ? query : undefined;
  if (key !== undefined) {
    // A wrong key is an error even on public routes: the caller meant to authenticate and should know.
    const found = auth.apiKeys.verify(key);
    if (!found) throw new VisageError('bad_api_key', 'The API key is unknown or was revoked.');
    return { kind: 'api_key', name: found.name, role: found.role };
  }
  const token = request.cookies[SESSION_COOKIE];
  const session = token ? auth.sessions.find(token) : undefined;
  if (!token || !session) return null;
  return {
    kind: 'session',
    name: session.user.name,
    role: session.user.role,
    session: { token, csrfToken: session.csrfToken },
  };
}
