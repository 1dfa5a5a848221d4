// Cameras: add (name + stream URL), list, start and stop watching, delete; live events as server-sent
// events.
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';
import { idParams, ref, responses, schema, noContent } from '../schemas.js';

const { obj, str } = schema;

export function registerCameraRoutes(app: FastifyInstance, { cameras, streams }: ServerContext): void {
  app.get(
    '/cameras',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['cameras'],
        summary: 'Cameras and whether they are being watched',
        response: responses({ 200: obj({ items: { type: 'array', items: ref('Camera') } }) }),
      },
    },
    async () => ({ items: cameras.list() }),
  );

  app.post<{ Body: { name: string; url: string } }>(
    '/cameras',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['cameras'],
        summary: 'Add a camera (not started)',
        body: obj({
          name: { ...str, maxLength: 100 },
          url: {
            ...str,
            maxLength: 2000,
            description: 'rtsp://, rtsps://, rtmp://, http(s)://, srt:// or /dev/videoN',
          },
        }),
        response: responses({ 201: ref('Camera') }),
      },
    },
    async (request, reply) => reply.code(201).send(cameras.add(request.body.name, request.body.url)),
  );

  for (const action of ['start', 'stop'] as const) {
    app.post<{ Params: { id: number } }>(
      `/cameras/:id/${action}`,
      {
        config: { access: 'admin' },
        schema: {
          tags: ['cameras'],
          summary:
            action === 'start'
              ? 'Start watching: faces are recognised and stored as events'
              : 'Stop watching',
          params: idParams,
          response: responses({ 200: ref('Camera') }),
        },
      },
      async (request) =>
        action === 'start' ? cameras.start(request.params.id) : cameras.stop(request.params.id),
    );
  }

  app.delete<{ Params: { id: number } }>(
    '/cameras/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['cameras'],
        summary: 'Stop and remove a camera (its events stay)',
        params: idParams,
        response: responses({ 204: noContent }),
      },
    },
    async (request, reply) => {
      await cameras.remove(request.params.id);
      return reply.code(204).send();
    },
  );

  app.get<{ Params: { id: number } }>(
    '/cameras/:id/events',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['cameras'],
        summary:
          'Server-sent events: `camera` (its current view, first), `state` (connecting, live, reconnecting, stopped, failed), `recognition` (a face was named or found unknown) and `track_end` (a face left; stored as an event)',
        params: idParams,
        response: responses({
          200: {
            description: 'text/event-stream',
            content: { 'text/event-stream': { schema: { type: 'string' } } },
          },
        }),
      },
    },
    async (request, reply) => {
      const first = cameras.get(request.params.id);
      const stream = streams.start(request, reply);
      stream.send('camera', first);
      stream.onEnd(cameras.subscribe(first.id, (m) => stream.send(m.event, m.data)));
    },
  );
}
