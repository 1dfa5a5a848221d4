// The job queue over HTTP: every node's jobs (video uploads and imports have their own routes too), and
// reindex or re-clustering queued for the runners (service/jobs/).
import type { FastifyInstance } from 'fastify';
import type { Job, JobList, JobParams, JobsQuery, ReindexBody } from '../../api/index.js';
import { jobJson } from '../../service/jobs/jobs.js';
import { actorOf } from '../auth/guard.js';
import type { ServerContext } from '../context.js';
import { contract } from '../schemas.js';

export function registerJobRoutes(app: FastifyInstance, { visage }: ServerContext): void {
  const jobs = visage.jobs;
  app.get<{ Querystring: JobsQuery; Reply: JobList }>(
    '/jobs',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['jobs'],
        summary: 'Background jobs of every node, newest first (?kind=video|import|reindex|recluster)',
        ...contract('GET /jobs'),
      },
    },
    async (request) => ({ items: jobs.list({ kind: request.query.kind }).map(jobJson) }),
  );

  app.get<{ Params: JobParams; Reply: Job }>(
    '/jobs/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['jobs'],
        summary: 'One job: state, progress (stored every second by its runner), result or error',
        ...contract('GET /jobs/:id'),
      },
    },
    async (request) => jobJson(jobs.get(request.params.id)),
  );

  app.post<{ Params: JobParams; Reply: Job }>(
    '/jobs/:id/cancel',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['jobs'],
        summary: 'Stop a job: a queued one at once, a running one at its next check (within a second)',
        ...contract('POST /jobs/:id/cancel'),
      },
    },
    async (request) => jobJson(jobs.cancel(request.params.id)),
  );

  app.post<{ Body: ReindexBody; Reply: Job }>(
    '/jobs/reindex',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['jobs'],
        summary:
          'Queue a reindex (re-embed the stored crops with a model) for a `visage worker`; 202 with the job',
        ...contract('POST /jobs/reindex'),
      },
    },
    async (request, reply) =>
      reply.code(202).send(jobJson(jobs.queueReindex({ ...(request.body ?? {}), actor: actorOf(request) }))),
  );

  app.post<{ Reply: Job }>(
    '/jobs/recluster',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['jobs'],
        summary: 'Queue rebuilding every unknown-face cluster with the current model; 202 with the job',
        ...contract('POST /jobs/recluster'),
      },
    },
    async (request, reply) => reply.code(202).send(jobJson(jobs.queueRecluster({ actor: actorOf(request) }))),
  );
}
