// Accounts (admin only): list, add a viewer or another admin, delete.
import type { FastifyInstance } from 'fastify';
import { actorOf } from '../auth/guard.js';
import type { ServerContext } from '../context.js';
import type { CreateUserBody, UserList, UserListItem, UserNameParams } from '../../api/index.js';
import { contract } from '../schemas.js';
import { iso } from '../../service/json.js';

export function registerUserRoutes(app: FastifyInstance, { auth }: ServerContext): void {
  app.get<{ Reply: UserList }>(
    '/users',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['users'],
        summary: 'List accounts',
        ...contract('GET /users'),
      },
    },
    async () => ({
      items: auth.users.list().map((u) => ({ name: u.name, role: u.role, createdAt: iso(u.createdAt) })),
    }),
  );

  app.post<{ Body: CreateUserBody; Reply: UserListItem }>(
    '/users',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['users'],
        summary: 'Create an account',
        ...contract('POST /users'),
      },
    },
    async (request, reply) => {
      const { username, password, role } = request.body;
      const user = await auth.users.create(username, password, role);
      request.log.info({ user: user.name, role: user.role, by: actorOf(request) }, 'user created');
      return reply.code(201).send({ name: user.name, role: user.role, createdAt: iso(user.createdAt) });
    },
  );

  app.delete<{ Params: UserNameParams }>(
    '/users/:name',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['users'],
        summary: 'Delete an account and its sessions (not the last admin)',
        ...contract('DELETE /users/:name'),
      },
    },
    async (request, reply) => {
      auth.users.delete(request.params.name);
      request.log.info({ user: request.params.name, by: actorOf(request) }, 'user deleted');
      return reply.code(204).send();
    },
  );
}
