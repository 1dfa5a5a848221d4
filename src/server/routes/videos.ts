// Video jobs: upload a video (streamed to disk, not memory) → 202 with a job id; poll the job or follow
// its progress as server-sent events; download the annotated copy.
import type { FastifyInstance } from 'fastify';
import { VisageError } from '../../errors.js';
import type { ServerContext } from '../context.js';
import type { JobParams, VideoAccepted, VideoJob, VideoQuery } from '../../api/index.js';
import { contract } from '../schemas.js';
import type { JobView } from '../../service/video/video-jobs.js';

const MB = 1024 * 1024;
/** Largest video upload: a few minutes of phone video. */
export const MAX_VIDEO_BYTES = 1024 * MB;

export function registerVideoRoutes(app: FastifyInstance, { videos, streams }: ServerContext): void {
  app.post<{ Querystring: VideoQuery; Reply: VideoAccepted }>(
    '/videos',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['videos'],
        summary: `Upload a video (at most ${MAX_VIDEO_BYTES / MB} MB) to recognise its faces in the background at a security level (?level=strict|balanced|lenient, default balanced); 202 with the job id`,
        ...contract('POST /videos'),
      },
    },
    async (request, reply) => {
      if (!request.isMultipart())
        throw new VisageError('unsupported_media_type', 'Send the video as multipart/form-data.');
      const part = await request.file({ limits: { fileSize: MAX_VIDEO_BYTES, files: 1 } });
      if (!part || part.fieldname !== 'file')
        throw new VisageError('missing_file', 'Attach the video as the multipart field "file".');
      const { id } = await videos.submit(part.file, part.filename || 'video', MAX_VIDEO_BYTES, {
        level: request.query.level,
      });
      return reply.code(202).send({ id });
    },
  );

  app.get<{ Params: JobParams; Reply: VideoJob }>(
    '/videos/:id',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['videos'],
        summary: 'A video job: state, progress, and the result once done',
        ...contract('GET /videos/:id'),
      },
    },
    async (request) => videos.require(request.params.id),
  );

  app.get<{ Params: JobParams }>(
    '/videos/:id/progress',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['videos'],
        summary:
          'The job as server-sent events (one `data:` JSON line per change) until it is done or failed',
        ...contract('GET /videos/:id/progress'),
      },
    },
    async (request, reply) => {
      const first = videos.require(request.params.id);
      const stream = streams.start(request, reply);
      const finished = (view: JobView) => view.state === 'done' || view.state === 'failed';
      stream.send('job', first);
      if (finished(first)) return stream.end();
      stream.onEnd(
        videos.subscribe(first.id, (view) => {
          stream.send('job', view);
          if (finished(view)) stream.end();
        }),
      );
    },
  );

  app.get<{ Params: JobParams }>(
    '/videos/:id/annotated.mp4',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['videos'],
        summary: 'The video with boxes, track ids and names drawn (once the job is done)',
        ...contract('GET /videos/:id/annotated.mp4'),
      },
    },
    async (request, reply) => {
      const { stream, size, downloadName: name } = videos.annotated(request.params.id);
      return reply
        .type('video/mp4')
        .header('content-length', size)
        .header(
          'content-disposition',
          `attachment; filename="annotated.mp4"; filename*=UTF-8''${encodeURIComponent(name)}`,
        )
        .send(stream);
    },
  );
}
