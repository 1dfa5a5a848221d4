// People: list with search and paging, create, show with samples, rename or annotate, merge, delete.
import type { FastifyInstance } from 'fastify';
import { actorOf } from '../auth/guard.js';
import type { ServerContext } from '../context.js';
import { idParams, ref, responses, schema, noContent } from '../schemas.js';
import { personById, personView, sampleView } from '../../service/people/views.js';

const { obj, str, int } = schema;

export function registerPeopleRoutes(app: FastifyInstance, { visage }: ServerContext): void {
  const { gallery } = visage;

  app.get<{ Querystring: { search?: string; limit: number; offset: number } }>(
    '/people',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['people'],
        summary: 'List people by name, with search (case- and width-insensitive substring) and paging',
        querystring: obj(
          {
            search: { ...str, maxLength: 100 },
            limit: { ...int, minimum: 1, maximum: 500, default: 50 },
            offset: { ...int, minimum: 0, default: 0 },
          },
          [],
        ),
        response: responses({ 200: obj({ items: { type: 'array', items: ref('Person') }, total: int }) }),
      },
    },
    async (request) => {
      const { search, limit, offset } = request.query;
      const query = search?.trim() || undefined;
      const items = gallery.people.list({ query, limit, offset }).map((p) => personView(gallery, p));
      const total = query ? gallery.people.list({ query }).length : gallery.people.count();
      return { items, total };
    },
  );

  app.post<{ Body: { name: string; note?: string } }>(
    '/people',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['people'],
        summary: 'Create a person (409 name_taken, 400 invalid_name)',
        body: obj({ name: str, note: str }, ['name']),
        response: responses({ 201: ref('Person') }),
      },
    },
    async (request, reply) => {
      const person = gallery.createPerson(request.body.name, request.body.note ?? '', {
        actor: actorOf(request),
      });
      return reply.code(201).send(personById(gallery, person.id));
    },
  );

  app.get<{ Params: { id: number } }>(
    '/people/:id',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['people'],
        summary: 'A person with their samples',
        params: idParams,
        response: responses({ 200: ref('PersonWithSamples') }),
      },
    },
    async (request) => ({
      ...personById(gallery, request.params.id),
      samples: gallery.samples.listByPerson(request.params.id).map(sampleView),
    }),
  );

  app.patch<{ Params: { id: number }; Body: { name?: string; note?: string } }>(
    '/people/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['people'],
        summary: 'Rename (409 name_taken) or change the note',
        params: idParams,
        body: { ...obj({ name: str, note: str }, []), minProperties: 1 },
        response: responses({ 200: ref('Person') }),
      },
    },
    async (request) => {
      const { id } = request.params;
      const context = { actor: actorOf(request) };
      gallery.people.require(id);
      if (request.body.name !== undefined) gallery.renamePerson(id, request.body.name, context);
      if (request.body.note !== undefined) gallery.setNote(id, request.body.note, context);
      return personById(gallery, id);
    },
  );

  app.post<{ Params: { id: number }; Body: { intoId: number } }>(
    '/people/:id/merge',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['people'],
        summary:
          'Merge this person into another: samples, events and corrections move, this person is deleted',
        params: idParams,
        body: obj({ intoId: { ...int, minimum: 1 } }),
        response: responses({
          200: obj({
            person: ref('Person'),
            movedSamples: { ...int, description: 'samples that now belong to the person merged into' },
            droppedSamples: {
              ...int,
              description: 'samples left out because that person already had the same image',
            },
          }),
        }),
      },
    },
    async (request) => {
      const result = gallery.mergePeople(request.params.id, request.body.intoId, { actor: actorOf(request) });
      return {
        person: personById(gallery, result.into.id),
        movedSamples: result.movedSampleIds.length,
        droppedSamples: result.droppedSampleIds.length,
      };
    },
  );

  app.delete<{ Params: { id: number } }>(
    '/people/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['people'],
        summary: 'Delete a person and their samples; their events become unknown',
        params: idParams,
        response: responses({ 204: noContent }),
      },
    },
    async (request, reply) => {
      gallery.deletePerson(request.params.id, { actor: actorOf(request) });
      return reply.code(204).send();
    },
  );
}
