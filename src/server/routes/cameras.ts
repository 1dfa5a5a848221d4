// Cameras: add (name + stream URL), list, start and stop watching, delete; live events as server-sent
// events.
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';
import type { Camera, CameraBody, CameraList, CameraUpdateBody, IdParams } from '../../api/index.js';
import { contract } from '../schemas.js';

export function registerCameraRoutes(app: FastifyInstance, { cameras, streams }: ServerContext): void {
  app.get<{ Reply: CameraList }>(
    '/cameras',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['cameras'],
        summary: 'Cameras and whether they are being watched',
        ...contract('GET /cameras'),
      },
    },
    async () => ({ items: cameras.list() }),
  );

  app.post<{ Body: CameraBody; Reply: Camera }>(
    '/cameras',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['cameras'],
        summary: 'Add a camera (not started)',
        ...contract('POST /cameras'),
      },
    },
    async (request, reply) =>
      reply.code(201).send(await cameras.add(request.body.name, request.body.url, request.body.level)),
  );

  app.patch<{ Params: IdParams; Body: CameraUpdateBody; Reply: Camera }>(
    '/cameras/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['cameras'],
        summary:
          "Change a camera's security level (strict, balanced, lenient); a watched camera restarts with it",
        ...contract('PATCH /cameras/:id'),
      },
    },
    async (request) => cameras.setLevel(request.params.id, request.body.level),
  );

  for (const action of ['start', 'stop'] as const) {
    app.post<{ Params: IdParams; Reply: Camera }>(
      `/cameras/:id/${action}`,
      {
        config: { access: 'admin' },
        schema: {
          tags: ['cameras'],
          summary:
            action === 'start'
              ? 'Start watching: faces are recognised and stored as events'
              : 'Stop watching',
          ...contract(`POST /cameras/:id/${action}`),
        },
      },
      async (request) =>
        action === 'start' ? cameras.start(request.params.id) : cameras.stop(request.params.id),
    );
  }

  app.delete<{ Params: IdParams }>(
    '/cameras/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['cameras'],
        summary: 'Stop and remove a camera (its events stay)',
        ...contract('DELETE /cameras/:id'),
      },
    },
    async (request, reply) => {
      await cameras.remove(request.params.id);
      return reply.code(204).send();
    },
  );

  app.get<{ Params: IdParams }>(
    '/cameras/:id/events',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['cameras'],
        summary:
          'Server-sent events: `camera` (its current view, first), `state` (connecting, live, reconnecting, stopped, failed), `recognition` (a face was named or found unknown) and `track_end` (a face left; stored as an event)',
        ...contract('GET /cameras/:id/events'),
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
