// API keys (admin only): created with a role and shown once, listed without the secret, revoked.
import type { FastifyInstance } from 'fastify';
import type { ApiKey } from '../../service/accounts/api-keys.js';
import { actorOf } from '../auth/guard.js';
import type { ServerContext } from '../context.js';
import type { ApiKeyCreated, ApiKeyList, CreateApiKeyBody, IdParams } from '../../api/index.js';
import { contract } from '../schemas.js';
import { iso } from '../../service/json.js';

const keyView = (k: ApiKey) => ({
  id: k.id,
  name: k.name,
  role: k.role,
  createdAt: iso(k.createdAt),
  lastUsedAt: k.lastUsedAt === null ? null : iso(k.lastUsedAt),
});

export function registerApiKeyRoutes(app: FastifyInstance, { auth }: ServerContext): void {
  app.get<{ Reply: ApiKeyList }>(
    '/api-keys',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['api keys'],
        summary: 'List API keys (without the secrets)',
        ...contract('GET /api-keys'),
      },
    },
    async () => ({ items: auth.apiKeys.list().map(keyView) }),
  );

  app.post<{ Body: CreateApiKeyBody; Reply: ApiKeyCreated }>(
    '/api-keys',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['api keys'],
        summary: 'Create an API key; the key is in this response only',
        ...contract('POST /api-keys'),
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

  app.delete<{ Params: IdParams }>(
    '/api-keys/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['api keys'],
        summary: 'Revoke an API key',
        ...contract('DELETE /api-keys/:id'),
      },
    },
    async (request, reply) => {
      auth.apiKeys.revoke(request.params.id);
      request.log.info({ keyId: request.params.id, by: actorOf(request) }, 'API key revoked');
      return reply.code(204).send();
    },
  );
}
