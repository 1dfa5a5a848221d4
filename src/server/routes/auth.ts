// First-run setup and browser sessions.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { VisageError } from '../../errors.js';
import { SESSION_COOKIE, SESSION_TTL_MS } from '../auth/sessions.js';
import type { User } from '../auth/users.js';
import type { ServerContext } from '../context.js';
import { ref, responses, schema, noContent } from '../schemas.js';

const { obj, str } = schema;
const sessionBody = obj({ user: ref('User'), csrfToken: schema.nullable(str) });
const password = { type: 'string', minLength: 1, maxLength: 1024 } as const;

export function registerAuthRoutes(app: FastifyInstance, { auth }: ServerContext): void {
  const startSession = (request: FastifyRequest, reply: FastifyReply, user: User) => {
    const session = auth.sessions.create(user);
    void reply.setCookie(SESSION_COOKIE, session.token, {
      httpOnly: true,
      sameSite: 'strict',
      path: '/',
      secure: request.protocol === 'https',
      maxAge: SESSION_TTL_MS / 1000,
    });
    return { user: { name: user.name, role: user.role }, csrfToken: session.csrfToken };
  };

  app.get(
    '/setup',
    {
      config: { access: 'public' },
      schema: {
        tags: ['auth'],
        summary: 'Whether the first admin still has to be created',
        security: [],
        response: responses({ 200: obj({ needsSetup: { type: 'boolean' } }) }),
      },
    },
    async () => ({ needsSetup: !auth.users.hasAdmin() }),
  );

  app.post<{ Body: { password: string } }>(
    '/setup',
    {
      config: { access: 'public' },
      schema: {
        tags: ['auth'],
        summary: 'Create the admin account (first run only) and log in',
        security: [],
        body: obj({ password }),
        response: responses({ 201: sessionBody }),
      },
    },
    async (request, reply) => {
      const user = await auth.users.createFirstAdmin(request.body.password);
      request.log.info({ user: user.name }, 'admin account created');
      return reply.code(201).send(startSession(request, reply, user));
    },
  );

  app.post<{ Body: { username: string; password: string } }>(
    '/session',
    {
      config: { access: 'public' },
      schema: {
        tags: ['auth'],
        summary: 'Log in: sets the visage_session cookie and returns the CSRF token',
        security: [],
        body: obj({ username: { ...str, maxLength: 64 }, password }),
        response: responses({ 200: sessionBody }),
      },
    },
    async (request, reply) => {
      const user = await auth.users.authenticate(request.body.username, request.body.password);
      if (!user) {
        request.log.info({ user: request.body.username }, 'login failed');
        throw new VisageError('bad_credentials', 'Wrong user name or password.');
      }
      return startSession(request, reply, user);
    },
  );

  app.get(
    '/session',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['auth'],
        summary: 'Who is logged in, and the CSRF token for writes (null for API keys, which need none)',
        response: responses({ 200: sessionBody }),
      },
    },
    async (request) => {
      const p = request.principal!;
      return { user: { name: p.name, role: p.role }, csrfToken: p.session?.csrfToken ?? null };
    },
  );

  app.delete(
    '/session',
    {
      config: { access: 'viewer' },
      schema: { tags: ['auth'], summary: 'Log out', response: responses({ 204: noContent }) },
    },
    async (request, reply) => {
      const token = request.principal!.session?.token;
      if (token) auth.sessions.delete(token);
      void reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.code(204).send();
    },
  );
}
