// Bulk import from the web app: upload a zip or a dropped folder's photos → 202 with the job; poll it
// for progress and, once done, its report; cancel keeps the people imported so far.
import type { FastifyInstance } from 'fastify';
import { VisageError } from '../../errors.js';
import { actorOf } from '../auth/guard.js';
import type { ServerContext } from '../context.js';
import type { EnrollQuery, ImportJob, JobParams } from '../../api/index.js';
import { contract } from '../schemas.js';
import { readUploads } from '../uploads.js';

const MB = 1024 * 1024;
/** A folder of people is many photos (or one large zip): the per-request limits of one enrolment do not fit. */
const IMPORT_LIMITS = { maxFiles: 5000, maxFileBytes: 1024 * MB, maxRequestBytes: 1024 * MB };

export function registerImportRoutes(app: FastifyInstance, { imports }: ServerContext): void {
  app.post<{ Querystring: EnrollQuery; Reply: ImportJob }>(
    '/imports',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['samples'],
        summary:
          'Import many people at once, as `visage import` does: one folder per person, resumable (files imported before are skipped); 202 with the job to poll',
        ...contract('POST /imports'),
      },
    },
    async (request, reply) => {
      const { files, fields } = await readUploads(request, IMPORT_LIMITS, ['file']);
      if (files.length === 0)
        throw new VisageError('missing_file', 'Attach a .zip or the photos of a folder as the field "file".');
      const options = { ...request.query, actor: actorOf(request) };
      const zip = files.length === 1 && /\.zip$/i.test(files[0]!.filename) ? files[0]! : null;
      const job = zip
        ? imports.startZip(fields['name'] ?? zip.filename, zip.bytes, options)
        : imports.startFiles(
            fields['name'] ?? 'folder',
            files.map((f) => ({ path: f.filename, bytes: f.bytes })),
            options,
          );
      return reply.code(202).send(job);
    },
  );

  app.get<{ Params: JobParams; Reply: ImportJob }>(
    '/imports/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['samples'],
        summary: 'A bulk import: state, progress, and its report once done or cancelled',
        ...contract('GET /imports/:id'),
      },
    },
    async (request) => imports.require(request.params.id),
  );

  app.post<{ Params: JobParams; Reply: ImportJob }>(
    '/imports/:id/cancel',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['samples'],
        summary: 'Stop a bulk import after the person being imported now; everyone imported stays',
        ...contract('POST /imports/:id/cancel'),
      },
    },
    async (request) => imports.cancel(request.params.id),
  );
}
