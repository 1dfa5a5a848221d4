// Samples: enrol uploads (per-image accept/reject reasons), thumbnails, delete, move to another person.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { VisageError } from '../../errors.js';
import type { EnrollReport } from '../../service/enroll/enrollment.js';
import { actorOf } from '../auth/guard.js';
import type { ServerContext } from '../context.js';
import { binary, idParams, ref, responses, schema, noContent } from '../schemas.js';
import { readUploads, type Upload } from '../uploads.js';
import { sampleView } from '../../service/people/views.js';

const { obj, int } = schema;

interface EnrollQuery {
  largest: boolean;
  force: boolean;
}

const enrollQuery = obj(
  {
    largest: {
      type: 'boolean',
      default: false,
      description: 'with several faces in a photo, take the largest',
    },
    force: {
      type: 'boolean',
      default: false,
      description: 'accept faces rejected for size, blur, pose or resemblance',
    },
  },
  [],
);

const enrollFiles = {
  file: { description: 'photos of the person, one face each', multiple: true, required: true },
};

export function registerSampleRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { visage, queue, limits } = ctx;
  const { gallery } = visage;

  /**
   * Enrolment runs in the model queue as a whole (analysis and the store), so concurrent enrolments into
   * one person see each other's samples: none is lost, and the same image sent twice is stored once.
   */
  const enrollUploads = (
    request: FastifyRequest,
    files: Upload[],
    nameOf: () => string,
    options: EnrollQuery,
  ): Promise<EnrollReport> => {
    if (files.length === 0)
      throw new VisageError('missing_file', 'Attach at least one photo as the multipart field "file".');
    return queue.run(() =>
      visage.enrollment.enroll(
        nameOf(),
        files.map((f) => ({ source: f.filename, bytes: f.bytes })),
        { ...options, actor: actorOf(request) },
      ),
    );
  };

  app.post<{ Params: { id: number }; Querystring: EnrollQuery }>(
    '/people/:id/samples',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['samples'],
        summary:
          'Add samples to a person from uploaded photos; each photo is accepted or rejected with a reason',
        params: idParams,
        querystring: enrollQuery,
        multipart: { files: enrollFiles },
        response: responses({ 200: ref('EnrollReport') }),
      },
    },
    async (request) => {
      const { files } = await readUploads(request, limits, ['file']);
      gallery.people.require(request.params.id);
      return enrollUploads(
        request,
        files,
        () => gallery.people.require(request.params.id).name,
        request.query,
      );
    },
  );

  app.post<{ Querystring: EnrollQuery }>(
    '/enroll',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['samples'],
        summary: 'Enrol photos under a name: the person is created when no one has that name',
        querystring: enrollQuery,
        multipart: {
          files: enrollFiles,
          fields: { name: { description: "the person's name", required: true } },
        },
        response: responses({ 200: ref('EnrollReport') }),
      },
    },
    async (request) => {
      const { files, fields } = await readUploads(request, limits, ['file']);
      const name = fields['name'];
      if (name === undefined)
        throw new VisageError('invalid_name', 'Send the person\'s name as the multipart field "name".');
      return enrollUploads(request, files, () => name, request.query);
    },
  );

  app.get<{ Params: { id: number } }>(
    '/samples/:id/thumbnail',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['samples'],
        summary: "The sample's stored face crop",
        params: idParams,
        response: responses({ 200: binary('image/jpeg', 'JPEG face crop') }),
      },
    },
    async (request, reply) => {
      visage.people.sample(request.params.id);
      const crop = gallery.samples.crop(request.params.id);
      if (!crop)
        throw new VisageError('not_found', `Sample ${request.params.id} has no stored crop.`, {
          sampleId: request.params.id,
        });
      // A sample's crop never changes (a new image is a new sample), so browsers may keep it.
      return reply.type('image/jpeg').header('cache-control', 'private, max-age=86400, immutable').send(crop);
    },
  );

  app.delete<{ Params: { id: number } }>(
    '/samples/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['samples'],
        summary: 'Delete a sample',
        params: idParams,
        response: responses({ 204: noContent }),
      },
    },
    async (request, reply) => {
      gallery.removeSample(request.params.id, { actor: actorOf(request) });
      return reply.code(204).send();
    },
  );

  app.post<{ Params: { id: number }; Body: { personId: number } }>(
    '/samples/:id/move',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['samples'],
        summary: 'Give a sample to another person (409 duplicate_sample if they have the same image)',
        params: idParams,
        body: obj({ personId: { ...int, minimum: 1 } }),
        response: responses({ 200: ref('Sample') }),
      },
    },
    async (request) =>
      sampleView(gallery.moveSample(request.params.id, request.body.personId, { actor: actorOf(request) })),
  );
}
