// Recognition history: filter by person (or unknown), source and time; page as JSON or export as CSV;
// each event's face snapshot.
import type { FastifyInstance } from 'fastify';
import { csvRow } from '../../api/csv.js';
import { VisageError } from '../../errors.js';
import type { EventQuery } from '../../gallery/events-repository.js';
import { actorOf } from '../auth/guard.js';
import type { ServerContext } from '../context.js';
import { binary, idParams, ref, responses, schema } from '../schemas.js';
import { eventView } from '../../service/people/views.js';

const { obj, str, int } = schema;

interface EventFilters {
  personId?: number;
  unknown?: boolean;
  source?: string;
  from?: string;
  to?: string;
}

const instant = {
  ...str,
  description: 'ISO 8601 time (e.g. 2024-05-01T12:00:00Z) or milliseconds since the epoch',
};
const filterProperties = {
  personId: { ...int, minimum: 1, description: "only this person's events" },
  unknown: { type: 'boolean', description: 'only faces nobody was recognised in' },
  source: { ...str, description: 'only events of this source (file name, camera)' },
  from: { ...instant, description: `${instant.description}; inclusive` },
  to: { ...instant, description: `${instant.description}; exclusive` },
};

const CSV_PAGE = 1000;
const CSV_COLUMNS = [
  'id',
  'time',
  'source',
  'offsetS',
  'frame',
  'x',
  'y',
  'width',
  'height',
  'personId',
  'name',
  'score',
  'distance',
];

export function registerEventRoutes(app: FastifyInstance, { visage, queue }: ServerContext): void {
  const { gallery } = visage;

  app.get<{ Querystring: EventFilters & { limit: number; offset: number } }>(
    '/events',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['events'],
        summary: 'Recognition events, newest first',
        querystring: obj(
          {
            ...filterProperties,
            limit: { ...int, minimum: 1, maximum: 1000, default: 50 },
            offset: { ...int, minimum: 0, default: 0 },
          },
          [],
        ),
        response: responses({ 200: obj({ items: { type: 'array', items: ref('Event') }, total: int }) }),
      },
    },
    async (request) => {
      const query = toEventQuery(request.query);
      const names = new Map<number, string | null>();
      const items = gallery.events
        .list({ ...query, limit: request.query.limit, offset: request.query.offset })
        .map((e) => eventView(gallery, e, names));
      return { items, total: gallery.events.count(query) };
    },
  );

  app.get<{ Querystring: EventFilters }>(
    '/events.csv',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['events'],
        summary: 'The same events as CSV (UTF-8 with BOM, so spreadsheet programs read names right)',
        querystring: obj(filterProperties, []),
        response: responses({
          200: { description: 'CSV', content: { 'text/csv': { schema: { type: 'string' } } } },
        }),
      },
    },
    async (request, reply) => {
      const query = toEventQuery(request.query);
      const names = new Map<number, string | null>();
      const lines = [CSV_COLUMNS.join(',')];
      for (let offset = 0; ; offset += CSV_PAGE) {
        const page = gallery.events.list({ ...query, limit: CSV_PAGE, offset });
        for (const e of page) {
          const v = eventView(gallery, e, names);
          lines.push(
            csvRow([
              v.id,
              v.time,
              v.source,
              v.offsetS ?? '',
              v.frame ?? '',
              v.box.x,
              v.box.y,
              v.box.width,
              v.box.height,
              v.personId ?? '',
              v.name ?? '',
              v.score ?? '',
              v.distance ?? '',
            ]),
          );
        }
        if (page.length < CSV_PAGE) break;
      }
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="visage-events.csv"')
        .send(`\uFEFF${lines.join('\r\n')}\r\n`);
    },
  );

  app.get<{ Params: { id: number } }>(
    '/events/:id/snapshot',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['events'],
        summary: 'The face as it was seen (upright JPEG crop)',
        params: idParams,
        response: responses({ 200: binary('image/jpeg', 'JPEG face crop') }),
      },
    },
    async (request, reply) => {
      gallery.events.require(request.params.id);
      const jpeg = gallery.events.snapshot(request.params.id);
      if (!jpeg)
        throw new VisageError('snapshot_not_found', `Event ${request.params.id} has no snapshot.`, {
          eventId: request.params.id,
        });
      return reply.type('image/jpeg').header('cache-control', 'private, max-age=86400, immutable').send(jpeg);
    },
  );

  app.post<{ Params: { id: number }; Body: { is?: string; not?: string; force?: boolean } }>(
    '/events/:id/correct',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['events'],
        summary:
          'Correct a recognition: `is` enrols the face as that person (created if new), `not` vetoes that person for this face',
        params: idParams,
        body: obj(
          {
            is: { ...str, description: 'the name of who this face is' },
            not: { ...str, description: 'the name of who this face is not' },
            force: {
              type: 'boolean',
              description: '`is`: accept a face rejected for size, blur, pose or resemblance',
            },
          },
          [],
        ),
        response: responses({ 200: ref('CorrectionReport') }),
      },
    },
    async (request) => {
      const { is, not, force } = request.body;
      if ((is === undefined) === (not === undefined)) {
        throw new VisageError('invalid_request', 'Send exactly one of "is" and "not".');
      }
      const correction = is !== undefined ? { is } : { not: not! };
      // `is` analyses the stored snapshot again: model work, so it waits its turn.
      return queue.run(() =>
        visage.enrollment.correct(request.params.id, correction, { force, actor: actorOf(request) }),
      );
    },
  );

  app.delete<{ Params: { id: number } }>(
    '/events/:id/corrections',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['events'],
        summary: 'Undo every correction of an event: its samples and vetoes are removed, its answer restored',
        params: idParams,
        response: responses({ 200: ref('UndoReport') }),
      },
    },
    async (request) => visage.enrollment.uncorrect(request.params.id, { actor: actorOf(request) }),
  );
}

function toEventQuery(q: EventFilters): Omit<EventQuery, 'limit' | 'offset'> {
  if (q.personId !== undefined && q.unknown) {
    throw new VisageError('invalid_query', 'Ask for one person or for unknown faces, not both.');
  }
  return {
    ...(q.personId !== undefined ? { personId: q.personId } : q.unknown ? { personId: null } : {}),
    ...(q.source !== undefined ? { source: q.source } : {}),
    ...(q.from !== undefined ? { from: parseInstant(q.from, 'from') } : {}),
    ...(q.to !== undefined ? { to: parseInstant(q.to, 'to') } : {}),
  };
}

function parseInstant(value: string, name: string): number {
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms)) {
    throw new VisageError(
      'invalid_query',
      `"${name}" must be an ISO 8601 time or milliseconds since the epoch.`,
      { [name]: value },
    );
  }
  return ms;
}
