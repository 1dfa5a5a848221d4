// Video jobs: upload a video (streamed to disk, not memory) → 202 with a job id; poll the job or follow
// its progress as server-sent events; download the annotated copy.
import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance } from 'fastify';
import { VisageError } from '../../errors.js';
import type { ServerContext } from '../context.js';
import { binary, ref, responses, schema } from '../schemas.js';
import type { JobView } from '../../service/video/video-jobs.js';

const { obj, str } = schema;
const MB = 1024 * 1024;
/** Largest video upload: a few minutes of phone video. */
export const MAX_VIDEO_BYTES = 1024 * MB;
const jobParams = obj({ id: { ...str, format: 'uuid' } });

export function registerVideoRoutes(app: FastifyInstance, { videos, streams }: ServerContext): void {
  const job = (id: string): JobView => {
    const view = videos.get(id);
    if (!view)
      throw new VisageError(
        'video_not_found',
        `No video job ${id} (finished jobs are kept for a while only).`,
        { id },
      );
    return view;
  };

  app.post(
    '/videos',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['videos'],
        summary: `Upload a video (at most ${MAX_VIDEO_BYTES / MB} MB) to recognise its faces in the background; 202 with the job id`,
        multipart: {
          files: { file: { description: 'a video (MP4, MOV, MKV, WebM, AVI…)', required: true } },
        },
        response: responses({ 202: obj({ id: str }) }),
      },
    },
    async (request, reply) => {
      if (!request.isMultipart())
        throw new VisageError('unsupported_media_type', 'Send the video as multipart/form-data.');
      const part = await request.file({ limits: { fileSize: MAX_VIDEO_BYTES, files: 1 } });
      if (!part || part.fieldname !== 'file')
        throw new VisageError('missing_file', 'Attach the video as the multipart field "file".');
      const filename = part.filename || 'video';
      const { id, input } = videos.prepare(filename);
      try {
        await pipeline(part.file, fs.createWriteStream(input));
        if (part.file.truncated) {
          throw new VisageError(
            'file_too_large',
            `${filename} is larger than the ${MAX_VIDEO_BYTES / MB} MB limit for videos.`,
            {
              file: filename,
              limitBytes: MAX_VIDEO_BYTES,
            },
          );
        }
        if (fs.statSync(input).size === 0)
          throw new VisageError('empty_file', `${filename} is empty (0 bytes).`, { file: filename });
      } catch (e) {
        videos.discard(id);
        throw e;
      }
      videos.start(id, input, filename);
      return reply.code(202).send({ id });
    },
  );

  app.get<{ Params: { id: string } }>(
    '/videos/:id',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['videos'],
        summary: 'A video job: state, progress, and the result once done',
        params: jobParams,
        response: responses({ 200: ref('VideoJob') }),
      },
    },
    async (request) => job(request.params.id),
  );

  app.get<{ Params: { id: string } }>(
    '/videos/:id/progress',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['videos'],
        summary:
          'The job as server-sent events (one `data:` JSON line per change) until it is done or failed',
        params: jobParams,
        response: responses({
          200: {
            description: 'text/event-stream',
            content: { 'text/event-stream': { schema: { type: 'string' } } },
          },
        }),
      },
    },
    async (request, reply) => {
      const first = job(request.params.id);
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

  app.get<{ Params: { id: string } }>(
    '/videos/:id/annotated.mp4',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['videos'],
        summary: 'The video with boxes, track ids and names drawn (once the job is done)',
        params: jobParams,
        response: responses({ 200: binary('video/mp4', 'annotated MP4') }),
      },
    },
    async (request, reply) => {
      const view = job(request.params.id);
      const file = videos.annotatedFile(view.id);
      if (!file)
        throw new VisageError(
          'not_ready',
          `Video job ${view.id} is ${view.state}; the annotated copy exists once it is done.`,
          { state: view.state },
        );
      const size = fs.statSync(file).size;
      const name = `${view.file.replace(/\.[^.]*$/, '').replace(/[^\p{L}\p{N}._-]+/gu, '_') || 'video'}-annotated.mp4`;
      return reply
        .type('video/mp4')
        .header('content-length', size)
        .header(
          'content-disposition',
          `attachment; filename="annotated.mp4"; filename*=UTF-8''${encodeURIComponent(name)}`,
        )
        .send(fs.createReadStream(file));
    },
  );
}
