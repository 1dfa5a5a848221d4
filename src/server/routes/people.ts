// People: list with search and paging, create, show with samples, rename or annotate, merge, delete;
// the look-alike pairs of the gallery.
import type { FastifyInstance } from 'fastify';
import { actorOf } from '../auth/guard.js';
import type { ServerContext } from '../context.js';
import type {
  CreatePersonBody,
  IdParams,
  LookalikeList,
  MergeBody,
  MergeResult,
  PeopleQuery,
  Person,
  PersonPage,
  PersonWithSamples,
  UpdatePersonBody,
} from '../../api/index.js';
import { contract } from '../schemas.js';

export function registerPeopleRoutes(app: FastifyInstance, { visage }: ServerContext): void {
  const { people, recognizer } = visage;

  app.get<{ Querystring: PeopleQuery; Reply: PersonPage }>(
    '/people',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['people'],
        summary: 'List people by name, with search (case- and width-insensitive substring) and paging',
        ...contract('GET /people'),
      },
    },
    async (request) => people.page(request.query),
  );

  app.get<{ Reply: LookalikeList }>(
    '/people/lookalikes',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['people'],
        summary:
          'Pairs of enrolled people whose nearest samples lie within the balanced threshold of each other, closest first',
        ...contract('GET /people/lookalikes'),
      },
    },
    async () => people.lookalikes(recognizer.modelId),
  );

  app.post<{ Body: CreatePersonBody; Reply: Person }>(
    '/people',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['people'],
        summary: 'Create a person (409 name_taken, 400 invalid_name)',
        ...contract('POST /people'),
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(people.create(request.body.name, request.body.note ?? '', { actor: actorOf(request) })),
  );

  app.get<{ Params: IdParams; Reply: PersonWithSamples }>(
    '/people/:id',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['people'],
        summary: 'A person with their samples',
        ...contract('GET /people/:id'),
      },
    },
    async (request) => people.withSamples(request.params.id),
  );

  app.patch<{ Params: IdParams; Body: UpdatePersonBody; Reply: Person }>(
    '/people/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['people'],
        summary: 'Rename (409 name_taken) or change the note',
        ...contract('PATCH /people/:id'),
      },
    },
    async (request) => people.update(request.params.id, request.body, { actor: actorOf(request) }),
  );

  app.post<{ Params: IdParams; Body: MergeBody; Reply: MergeResult }>(
    '/people/:id/merge',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['people'],
        summary:
          'Merge this person into another: samples, events and corrections move, this person is deleted',
        ...contract('POST /people/:id/merge'),
      },
    },
    async (request) => people.mergeInto(request.params.id, request.body.intoId, { actor: actorOf(request) }),
  );

  app.delete<{ Params: IdParams }>(
    '/people/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['people'],
        summary: 'Delete a person and their samples; their events become unknown',
        ...contract('DELETE /people/:id'),
      },
    },
    async (request, reply) => {
      people.deleteById(request.params.id, { actor: actorOf(request) });
      return reply.code(204).send();
    },
  );
}
