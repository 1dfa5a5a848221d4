// First-run setup and browser sessions.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isVisageError } from '../../errors.js';
import { SESSION_COOKIE, SESSION_TTL_MS } from '../../service/accounts/sessions.js';
import type { User } from '../../service/accounts/users.js';
import type { ServerContext } from '../context.js';
import type { LoginBody, SessionInfo, SetupBody, SetupState } from '../../api/index.js';
import { contract } from '../schemas.js';

export function registerAuthRoutes(app: FastifyInstance, { auth }: ServerContext): void {
  const startSession = (request: FastifyRequest, reply: FastifyReply, user: User): SessionInfo => {
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

  app.get<{ Reply: SetupState }>(
    '/setup',
    {
      config: { access: 'public' },
      schema: {
        tags: ['auth'],
        summary: 'Whether the first admin still has to be created',
        security: [],
        ...contract('GET /setup'),
      },
    },
    async () => ({ needsSetup: !auth.users.hasAdmin() }),
  );

  app.post<{ Body: SetupBody; Reply: SessionInfo }>(
    '/setup',
    {
      config: { access: 'public' },
      schema: {
        tags: ['auth'],
        summary: 'Create the admin account (first run only) and log in',
        security: [],
        ...contract('POST /setup'),
      },
    },
    async (request, reply) => {
      const user = await auth.users.createFirstAdmin(request.body.password);
      request.log.info({ user: user.name }, 'admin account created');
      return reply.code(201).send(startSession(request, reply, user));
    },
  );

  app.post<{ Body: LoginBody; Reply: SessionInfo }>(
    '/session',
    {
      config: { access: 'public' },
      schema: {
        tags: ['auth'],
        summary: 'Log in: sets the visage_session cookie and returns the CSRF token',
        security: [],
        ...contract('POST /session'),
      },
    },
    async (request, reply) => {
      let user: User;
      try {
        user = await auth.users.login(request.body.username, request.body.password, request.ip);
      } catch (e) {
        if (!isVisageError(e)) throw e;
        request.log.info({ user: request.body.username, code: e.code }, 'login failed');
        // The error handler keeps headers set before the throw: tell the client when to try again.
        if (e.code === 'too_many_attempts')
          void reply.header('retry-after', String(e.details['retryAfterS']));
        throw e;
      }
      return startSession(request, reply, user);
    },
  );

  app.get<{ Reply: SessionInfo }>(
    '/session',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['auth'],
        summary: 'Who is logged in, and the CSRF token for writes (null for API keys, which need none)',
        ...contract('GET /session'),
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
      schema: { tags: ['auth'], summary: 'Log out', ...contract('DELETE /session') },
    },
    async (request, reply) => {
      const token = request.principal!.session?.token;
      if (token) auth.sessions.delete(token);
      void reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.code(204).send();
    },
  );
}
