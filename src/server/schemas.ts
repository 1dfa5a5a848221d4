// The routes' Fastify schemas, derived from the API contract (src/api): the named shapes are registered
// once (app.addSchema) and referenced by `$ref`, so they validate and serialise responses and become the
// OpenAPI document's components; each route's params, query, body, multipart fields and answers come from
// its entry in ROUTES, with the error envelope added for 4xx and 5xx.
import type { FastifyInstance, FastifySchema } from 'fastify';
import {
  ErrorBody,
  NAMED_SCHEMAS,
  ROUTES,
  type Answer,
  type MultipartSpec,
  type Named,
  type RouteKey,
} from '../api/index.js';

export function addSharedSchemas(app: FastifyInstance): void {
  for (const schema of NAMED_SCHEMAS) app.addSchema(schema);
}

const ref = (id: string) => ({ $ref: `${id}#` });

/** How one answer of the contract is stated to Fastify (and so to the OpenAPI document). */
function answer(answer: Answer): unknown {
  if (!('kind' in answer)) return ref(answer.$id);
  const a = answer as Exclude<Answer, Named>;
  switch (a.kind) {
    case 'none':
      return { type: 'null', description: a.description };
    case 'socket':
      return { description: a.description };
    case 'media':
      return {
        description: a.description,
        content: {
          [a.contentType]: {
            schema: a.contentType.startsWith('text/')
              ? { type: 'string' }
              : { type: 'string', format: 'binary' },
          },
        },
      };
    case 'events':
      return {
        description: `text/event-stream; events: ${Object.keys(a.events).join(', ')}`,
        content: { 'text/event-stream': { schema: { type: 'string' } } },
      };
  }
}

/**
 * A route's schema from the contract: `schema: { tags, summary, ...contract('GET /people') }`. Every route
 * answers errors with the envelope.
 */
export function contract(key: RouteKey): FastifySchema {
  const route: { params?: unknown; querystring?: unknown; body?: unknown; multipart?: MultipartSpec } & {
    response: Record<string, Answer>;
  } = ROUTES[key];
  const response: Record<string, unknown> = {};
  for (const [status, a] of Object.entries(route.response)) response[status] = answer(a);
  return {
    ...(route.params ? { params: route.params } : {}),
    ...(route.querystring ? { querystring: route.querystring } : {}),
    ...(route.body ? { body: route.body } : {}),
    ...(route.multipart ? { multipart: route.multipart } : {}),
    response: { ...response, '4xx': ref(ErrorBody.$id), '5xx': ref(ErrorBody.$id) },
  };
}

declare module 'fastify' {
  interface FastifySchema {
    /** Multipart upload fields, for the OpenAPI document only (see MultipartSpec in src/api). */
    multipart?: MultipartSpec;
  }
}
