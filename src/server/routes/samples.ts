// Samples: enrol uploads (per-image accept/reject reasons), thumbnails, delete, move to another person.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { VisageError } from '../../errors.js';
import type { EnrollInput, EnrollOptions } from '../../service/enroll/enrollment.js';
import { actorOf } from '../auth/guard.js';
import { workOf, type ServerContext } from '../context.js';
import type { EnrollQuery, EnrollReport, IdParams, MoveSampleBody, Sample } from '../../api/index.js';
import { contract } from '../schemas.js';
import { readUploads, type Upload } from '../uploads.js';

export function registerSampleRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { visage, limits } = ctx;
  const { people } = visage;

  const photos = (files: Upload[]): EnrollInput[] => {
    if (files.length === 0)
      throw new VisageError('missing_file', 'Attach at least one photo as the multipart field "file".');
    return files.map((f) => ({ source: f.filename, bytes: f.bytes }));
  };
  const enrollOptions = (request: FastifyRequest, query: EnrollQuery): EnrollOptions => ({
    ...query,
    actor: actorOf(request),
  });

  app.post<{ Params: IdParams; Querystring: EnrollQuery; Reply: EnrollReport }>(
    '/people/:id/samples',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['samples'],
        summary:
          'Add samples to a person from uploaded photos; each photo is accepted or rejected with a reason',
        ...contract('POST /people/:id/samples'),
      },
    },
    async (request) => {
      const { files } = await readUploads(request, limits, ['file']);
      people.byId(request.params.id); // 404 before the photos wait for their turn
      return visage.enrollment.enrollInto(
        request.params.id,
        photos(files),
        enrollOptions(request, request.query),
        workOf(request),
      );
    },
  );

  app.post<{ Querystring: EnrollQuery; Reply: EnrollReport }>(
    '/enroll',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['samples'],
        summary: 'Enrol photos under a name: the person is created when no one has that name',
        ...contract('POST /enroll'),
      },
    },
    async (request) => {
      const { files, fields } = await readUploads(request, limits, ['file']);
      const name = fields['name'];
      if (name === undefined)
        throw new VisageError('invalid_name', 'Send the person\'s name as the multipart field "name".');
      return visage.enrollment.enroll(
        name,
        photos(files),
        enrollOptions(request, request.query),
        workOf(request),
      );
    },
  );

  app.get<{ Params: IdParams }>(
    '/samples/:id/thumbnail',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['samples'],
        summary: "The sample's stored face crop",
        ...contract('GET /samples/:id/thumbnail'),
      },
    },
    async (request, reply) => {
      const crop = people.thumbnail(request.params.id);
      // A sample's crop never changes (a new image is a new sample), so browsers may keep it.
      return reply.type('image/jpeg').header('cache-control', 'private, max-age=86400, immutable').send(crop);
    },
  );

  app.delete<{ Params: IdParams }>(
    '/samples/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['samples'],
        summary: 'Delete a sample',
        ...contract('DELETE /samples/:id'),
      },
    },
    async (request, reply) => {
      people.removeSampleById(request.params.id, { actor: actorOf(request) });
      return reply.code(204).send();
    },
  );

  app.post<{ Params: IdParams; Body: MoveSampleBody; Reply: Sample }>(
    '/samples/:id/move',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['samples'],
        summary:
          "Give a sample to another person after enrolment's resemblance check: 422 looks_unlike_person or looks_like_other_person (overridable: send force, which is audited); 409 duplicate_sample if they have the same image",
        ...contract('POST /samples/:id/move'),
      },
    },
    async (request) =>
      visage.enrollment.moveSample(request.params.id, request.body.personId, {
        force: request.body.force,
        actor: actorOf(request),
      }),
  );
}
