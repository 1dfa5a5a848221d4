// Accounts (admin only): list, add a viewer or another admin, delete.
import type { FastifyInstance } from 'fastify';
import { ROLES, type Role } from '../auth/users.js';
import { actorOf } from '../auth/guard.js';
import type { ServerContext } from '../context.js';
import { ref, responses, schema, noContent } from '../schemas.js';
import { iso } from '../../service/people/views.js';

const { obj, str } = schema;
const role = { type: 'string', enum: ROLES } as const;

export function registerUserRoutes(app: FastifyInstance, { auth }: ServerContext): void {
  app.get(
    '/users',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['users'],
        summary: 'List accounts',
        response: responses({ 200: obj({ items: { type: 'array', items: ref('UserListItem') } }) }),
      },
    },
    async () => ({
      items: auth.users.list().map((u) => ({ name: u.name, role: u.role, createdAt: iso(u.createdAt) })),
    }),
  );

  app.post<{ Body: { username: string; password: string; role: Role } }>(
    '/users',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['users'],
        summary: 'Create an account',
        body: obj({ username: { ...str, maxLength: 64 }, password: { ...str, maxLength: 1024 }, role }),
        response: responses({ 201: ref('UserListItem') }),
      },
    },
    async (request, reply) => {
      const { username, password, role } = request.body;
      const user = await auth.users.create(username, password, role);
      request.log.info({ user: user.name, role: user.role, by: actorOf(request) }, 'user created');
      return reply.code(201).send({ name: user.name, role: user.role, createdAt: iso(user.createdAt) });
    },
  );

  app.delete<{ Params: { name: string } }>(
    '/users/:name',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['users'],
        summary: 'Delete an account and its sessions (not the last admin)',
        params: obj({ name: { ...str, maxLength: 64 } }),
        response: responses({ 204: noContent }),
      },
    },
    async (request, reply) => {
      auth.users.delete(request.params.name);
      request.log.info({ user: request.params.name, by: actorOf(request) }, 'user deleted');
      return reply.code(204).send();
    },
  );
}
