// The OpenAPI document at /api/v1/openapi.json, with the interactive page at /docs. It is generated from
// the routes' schemas, which come from the API contract (src/api, through schemas.ts): the named shapes
// are its components, each route's entry in ROUTES its parameters, bodies and answers.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifySchema } from 'fastify';
import type { MultipartSpec } from '../api/index.js';

export const API_PREFIX = '/api/v1';

export async function registerOpenApi(app: FastifyInstance, version: string): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Visage API',
        version,
        description:
          'Face recognition and face database. Authenticate with an API key (`x-api-key` header) or a browser session ' +
          '(cookie from POST /api/v1/session; writes also need the `x-csrf-token` header). Errors are ' +
          '`{ "error": { "code", "message", "details" } }`. Times are ISO 8601 UTC; boxes are pixels of the original image.',
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
          session: { type: 'apiKey', in: 'cookie', name: 'visage_session' },
        },
      },
      security: [{ apiKey: [] }, { session: [] }],
    },
    refResolver: {
      // Shared schemas keep their names (Person, Box, …) as components.
      buildLocalReference: (json, _baseUri, _fragment, i) =>
        typeof json.$id === 'string' ? json.$id : `def-${i}`,
    },
    transform: ({ schema, url }) => ({ schema: withMultipartBody(schema), url }),
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get(`${API_PREFIX}/openapi.json`, { schema: { hide: true } }, async () => app.swagger());
}

/** Turns a route's `multipart` field list into the request body the document shows. */
function withMultipartBody(schema: FastifySchema | undefined): FastifySchema {
  if (!schema?.multipart) return schema ?? {};
  const { multipart, ...rest } = schema;
  const { files, fields = {} }: MultipartSpec = multipart;
  const binaryFile = { type: 'string', format: 'binary' };
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  for (const [name, f] of Object.entries(files)) {
    properties[name] = {
      description: f.description,
      ...(f.multiple ? { type: 'array', items: binaryFile } : binaryFile),
    };
    if (f.required) required.push(name);
  }
  for (const [name, f] of Object.entries(fields)) {
    properties[name] = { type: 'string', description: f.description };
    if (f.required) required.push(name);
  }
  return { ...rest, consumes: ['multipart/form-data'], body: { type: 'object', properties, required } };
}
