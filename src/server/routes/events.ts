// Recognition history: filter by person (or unknown), source and time; page as JSON or export as CSV;
// each event's face snapshot.
import type { FastifyInstance } from 'fastify';
import { VisageError } from '../../errors.js';
import { actorOf } from '../auth/guard.js';
import { workOf, type ServerContext } from '../context.js';
import type {
  CorrectionBody,
  CorrectionReport,
  EventFilterQuery,
  EventPage,
  EventPageQuery,
  EventSourceList,
  IdParams,
  UndoReport,
} from '../../api/index.js';
import { contract } from '../schemas.js';

export function registerEventRoutes(app: FastifyInstance, { visage }: ServerContext): void {
  const { events } = visage;

  app.get<{ Querystring: EventPageQuery; Reply: EventPage }>(
    '/events',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['events'],
        summary: 'Recognition events, newest first',
        ...contract('GET /events'),
      },
    },
    async (request) => {
      const { limit, offset, ...filters } = request.query;
      return events.list(filters, { limit, offset });
    },
  );

  app.get<{ Querystring: EventFilterQuery }>(
    '/events.csv',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['events'],
        summary: 'The same events as CSV (UTF-8 with BOM, so spreadsheet programs read names right)',
        ...contract('GET /events.csv'),
      },
    },
    async (request, reply) =>
      reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="visage-events.csv"')
        .send(events.csv(request.query)),
  );

  app.get<{ Reply: EventSourceList }>(
    '/events/sources',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['events'],
        summary: 'Where events came from (files, cameras) with how many each: for the source filter',
        ...contract('GET /events/sources'),
      },
    },
    async () => events.sources(),
  );

  app.get<{ Params: IdParams }>(
    '/events/:id/snapshot',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['events'],
        summary: 'The face as it was seen (upright JPEG crop)',
        ...contract('GET /events/:id/snapshot'),
      },
    },
    async (request, reply) =>
      reply
        .type('image/jpeg')
        .header('cache-control', 'private, max-age=86400, immutable')
        .send(events.snapshot(request.params.id)),
  );

  app.post<{ Params: IdParams; Body: CorrectionBody; Reply: CorrectionReport }>(
    '/events/:id/correct',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['events'],
        summary:
          'Correct a recognition: `is` enrols the face as that person (created if new), `not` vetoes that person for this face',
        ...contract('POST /events/:id/correct'),
      },
    },
    async (request) => {
      const { is, not, force } = request.body;
      if ((is === undefined) === (not === undefined)) {
        throw new VisageError('invalid_request', 'Send exactly one of "is" and "not".');
      }
      const correction = is !== undefined ? { is } : { not: not! };
      return visage.enrollment.correct(
        request.params.id,
        correction,
        { force, actor: actorOf(request) },
        workOf(request),
      );
    },
  );

  app.delete<{ Params: IdParams; Reply: UndoReport }>(
    '/events/:id/corrections',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['events'],
        summary: 'Undo every correction of an event: its samples and vetoes are removed, its answer restored',
        ...contract('DELETE /events/:id/corrections'),
      },
    },
    async (request) => visage.enrollment.uncorrect(request.params.id, { actor: actorOf(request) }),
  );
}
