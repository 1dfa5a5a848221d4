// API keys (admin only): created with a role and shown once, listed without the secret, revoked.
import type { FastifyInstance } from 'fastify';
import type { ApiKey } from '../auth/api-keys.js';
import { actorOf } from '../auth/guard.js';
import { ROLES, type Role } from '../auth/users.js';
import type { ServerContext } from '../context.js';
import { idParams, ref, responses, schema, noContent } from '../schemas.js';
import { iso } from '../../service/people/views.js';

const { obj, str, int } = schema;

const keyView = (k: ApiKey) => ({
  id: k.id,
  name: k.name,
  role: k.role,
  createdAt: iso(k.createdAt),
  lastUsedAt: k.lastUsedAt === null ? null : iso(k.lastUsedAt),
});

export function registerApiKeyRoutes(app: FastifyInstance, { auth }: ServerContext): void {
  app.get(
    '/api-keys',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['api keys'],
        summary: 'List API keys (without the secrets)',
        response: responses({ 200: obj({ items: { type: 'array', items: ref('ApiKey') } }) }),
      },
    },
    async () => ({ items: auth.apiKeys.list().map(keyView) }),
  );

  app.post<{ Body: { name: string; role: Role } }>(
    '/api-keys',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['api keys'],
        summary: 'Create an API key; the key is in this response only',
        body: obj({ name: { ...str, minLength: 1, maxLength: 100 }, role: { type: 'string', enum: ROLES } }),
        response: responses({
          201: obj({
            id: int,
            name: str,
            role: { type: 'string', enum: ROLES },
            key: { ...str, description: 'send as x-api-key' },
          }),
        }),
      },
    },
    async (request, reply) => {
      const created = auth.apiKeys.create(request.body.name, request.body.role);
      request.log.info({ keyId: created.id, role: created.role, by: actorOf(request) }, 'API key created');
      return reply
        .code(201)
        .send({ id: created.id, name: created.name, role: created.role, key: created.key });
    },
  );

  app.delete<{ Params: { id: number } }>(
    '/api-keys/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['api keys'],
        summary: 'Revoke an API key',
        params: idParams,
        response: responses({ 204: noContent }),
      },
    },
    async (request, reply) => {
      auth.apiKeys.revoke(request.params.id);
      request.log.info({ keyId: request.params.id, by: actorOf(request) }, 'API key revoked');
      return reply.code(204).send();
    },
  );
}
