// Privacy: forget a person, download a person's data, and the retention settings with a run-now (the
// daily job itself is started by app.ts). Everything but reading the settings is for admins.
import fs from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { actorOf } from '../auth/guard.js';
import type { ServerContext } from '../context.js';
import type {
  ForgetReport,
  IdParams,
  PrivacySettings,
  PrivacySettingsBody,
  RetentionReport,
} from '../../api/index.js';
import { contract } from '../schemas.js';

export function registerPrivacyRoutes(app: FastifyInstance, { visage }: ServerContext): void {
  const { privacy } = visage;

  app.post<{ Params: IdParams; Reply: ForgetReport }>(
    '/people/:id/forget',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['privacy'],
        summary:
          'Forget a person: erase them, their samples, vectors, events with snapshots and corrections, and their name from the audit log',
        ...contract('POST /people/:id/forget'),
      },
    },
    async (request) => privacy.forgetById(request.params.id, { actor: actorOf(request) }),
  );

  app.get<{ Params: IdParams }>(
    '/people/:id/export',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['privacy'],
        summary:
          'Everything held about a person as an archive: samples with crops and embeddings, events with snapshots, the audit entries about them (their corrections among them)',
        ...contract('GET /people/:id/export'),
      },
    },
    async (request, reply) => {
      const { file, report, remove } = privacy.exportPersonToTemp(request.params.id);
      const stream = fs.createReadStream(file);
      // The archive holds biometric data: it lives only while it is being sent.
      stream.once('close', remove);
      return reply
        .type('application/x-tar')
        .header('content-length', report.bytes)
        .header('cache-control', 'no-store')
        .header('content-disposition', `attachment; filename="visage-person-${request.params.id}.tar"`)
        .send(stream);
    },
  );

  app.get<{ Reply: PrivacySettings }>(
    '/privacy',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['privacy'],
        summary:
          'What is kept and for how long: events, unknown faces; what a forget leaves in the audit log',
        ...contract('GET /privacy'),
      },
    },
    async () => privacy.settings(),
  );

  app.patch<{ Body: PrivacySettingsBody; Reply: PrivacySettings }>(
    '/privacy',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['privacy'],
        summary:
          'Change how long events and unknown faces are kept (null: keep), and the forget audit policy',
        ...contract('PATCH /privacy'),
      },
    },
    async (request) => privacy.updateSettings(request.body, { actor: actorOf(request) }),
  );

  app.post<{ Reply: RetentionReport }>(
    '/privacy/retention/run',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['privacy'],
        summary: 'Remove events and unknown faces older than the settings allow, now (it also runs daily)',
        ...contract('POST /privacy/retention/run'),
      },
    },
    async () => privacy.runRetention(),
  );
}
