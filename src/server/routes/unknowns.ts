// Faces nobody has named yet, grouped (service/unknowns/): list and show clusters for review; name one
// (its faces enrolled through enrolment's checks, with per-face reasons), merge, split off a face,
// dismiss or restore; re-cluster after a model change.
import type { FastifyInstance } from 'fastify';
import type {
  IdParams,
  MergeBody,
  NameClusterBody,
  ReclusterReport,
  SplitFaceBody,
  UnknownCluster,
  UnknownClusterDetails,
  UnknownClusterList,
  UnknownNameReport,
  UnknownsQuery,
} from '../../api/index.js';
import { actorOf } from '../auth/guard.js';
import type { ServerContext } from '../context.js';
import { contract } from '../schemas.js';

export function registerUnknownRoutes(app: FastifyInstance, { visage }: ServerContext): void {
  const { unknowns } = visage;
  const tags = ['unknowns'];

  app.get<{ Querystring: UnknownsQuery; Reply: UnknownClusterList }>(
    '/unknowns',
    {
      config: { access: 'viewer' },
      schema: {
        tags,
        summary: 'Clusters of unknown faces to review ("Unknown #N")',
        ...contract('GET /unknowns'),
      },
    },
    async (request) => ({ items: unknowns.list({ all: request.query.all }) }),
  );

  app.post<{ Reply: ReclusterReport }>(
    '/unknowns/recluster',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Rebuild every cluster with the current model (after a model change or reindex)',
        ...contract('POST /unknowns/recluster'),
      },
    },
    async (request) => unknowns.recluster({ actor: actorOf(request) }),
  );

  app.get<{ Params: IdParams; Reply: UnknownClusterDetails }>(
    '/unknowns/:id',
    {
      config: { access: 'viewer' },
      schema: { tags, summary: 'A cluster with every face', ...contract('GET /unknowns/:id') },
    },
    async (request) => unknowns.show(request.params.id),
  );

  app.post<{ Params: IdParams; Body: NameClusterBody; Reply: UnknownNameReport }>(
    '/unknowns/:id/name',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: "Name a cluster: each face is enrolled as that person through enrolment's checks",
        ...contract('POST /unknowns/:id/name'),
      },
    },
    async (request) =>
      unknowns.name(request.params.id, request.body.name, {
        force: request.body.force,
        actor: actorOf(request),
      }),
  );

  app.post<{ Params: IdParams; Body: MergeBody; Reply: UnknownCluster }>(
    '/unknowns/:id/merge',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Move every face of this cluster into another',
        ...contract('POST /unknowns/:id/merge'),
      },
    },
    async (request) => unknowns.merge(request.params.id, request.body.intoId, { actor: actorOf(request) }),
  );

  app.post<{ Params: IdParams; Body: SplitFaceBody; Reply: UnknownCluster }>(
    '/unknowns/:id/split',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Take a wrong face out into a cluster of its own',
        ...contract('POST /unknowns/:id/split'),
      },
    },
    async (request) => unknowns.split(request.params.id, request.body.eventId, { actor: actorOf(request) }),
  );

  app.post<{ Params: IdParams; Reply: UnknownCluster }>(
    '/unknowns/:id/dismiss',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Not a person to name: hidden from the review, keeps taking faces like its own',
        ...contract('POST /unknowns/:id/dismiss'),
      },
    },
    async (request) => unknowns.dismiss(request.params.id, { actor: actorOf(request) }),
  );

  app.post<{ Params: IdParams; Reply: UnknownCluster }>(
    '/unknowns/:id/restore',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Bring a dismissed cluster back to the review',
        ...contract('POST /unknowns/:id/restore'),
      },
    },
    async (request) => unknowns.restore(request.params.id, { actor: actorOf(request) }),
  );
}
