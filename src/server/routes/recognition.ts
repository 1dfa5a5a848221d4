// Uploads in, faces out: detect, recognise (1:N against the gallery), compare (1:1), and face crops for
// the UI's enrolment screen. All model work goes through the queue (work-queue.ts).
import type { FastifyInstance } from 'fastify';
import { isVisageError } from '../../errors.js';
import type { Face } from '../../engine/face.js';
import { compareEmbeddings } from '../../engine/compare.js';
import { encodeJpeg } from '../../engine/image/encode.js';
import { faceJson, qualityJson, round, roundBox } from '../../service/json.js';
import type { ServerContext } from '../context.js';
import { ref, responses, schema } from '../schemas.js';
import { readUploads, requireFile, type Upload } from '../uploads.js';

const { obj, num, int, str } = schema;
const imageFile = {
  file: { description: 'a photo (JPEG, PNG, WebP, GIF, TIFF, AVIF, HEIC)', required: true },
};
const size = { width: int, height: int };

export function registerRecognitionRoutes(
  app: FastifyInstance,
  { visage, queue, limits }: ServerContext,
): void {
  const oneImage = async (upload: Upload) => visage.faces.loadImage(upload.bytes, upload.filename);

  app.post(
    '/detect',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['recognition'],
        summary: 'Faces in a photo: box, detector score, five key points, quality',
        multipart: { files: imageFile },
        response: responses({ 200: obj({ ...size, faces: { type: 'array', items: ref('DetectedFace') } }) }),
      },
    },
    async (request) => {
      const file = requireFile(await readUploads(request, limits, ['file']), 'file');
      return queue.run(async () => {
        const image = await oneImage(file);
        const faces = await visage.faces.analyzer.detect(image);
        return { width: image.width, height: image.height, faces: faces.map((f) => faceJson(f, false)) };
      });
    },
  );

  app.post<{ Querystring: { events: boolean } }>(
    '/recognize',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['recognition'],
        summary: 'Every face of a photo with its name (or unknown), score, distance and matched sample',
        querystring: obj(
          { events: { type: 'boolean', default: true, description: 'store each face as an event' } },
          [],
        ),
        multipart: { files: imageFile },
        response: responses({
          200: obj({ ...size, faces: { type: 'array', items: ref('RecognizedFace') } }),
        }),
      },
    },
    async (request) => {
      const file = requireFile(await readUploads(request, limits, ['file']), 'file');
      return queue.run(async () => {
        const image = await oneImage(file);
        const faces = await visage.photos.recognizeImage(image, file.filename, {
          storeEvents: request.query.events,
        });
        return { width: image.width, height: image.height, faces };
      });
    },
  );

  app.post(
    '/compare',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['recognition'],
        summary: 'Are the largest faces of two photos the same person? (422 no_face when a photo has none)',
        multipart: {
          files: {
            a: { description: 'first photo', required: true },
            b: { description: 'second photo', required: true },
          },
        },
        response: responses({
          200: obj({
            model: str,
            distance: num,
            score: num,
            threshold: num,
            same: { type: 'boolean' },
            a: obj({ box: ref('Box') }),
            b: obj({ box: ref('Box') }),
          }),
        }),
      },
    },
    async (request) => {
      const uploads = await readUploads(request, limits, ['a', 'b']);
      const [a, b] = [requireFile(uploads, 'a'), requireFile(uploads, 'b')];
      return queue.run(async () => {
        const fa = await largestFace(a, 'a');
        const fb = await largestFace(b, 'b');
        const model = visage.faces.embeddingModel;
        const c = compareEmbeddings(fa.embedding!, fb.embedding!, model);
        return {
          model,
          distance: round(c.distance, 5),
          score: round(c.score, 4),
          threshold: c.threshold,
          same: c.same,
          a: { box: roundBox(fa.box) },
          b: { box: roundBox(fb.box) },
        };
      });
    },
  );

  /** The service's largest face; a `no_face` error also says which of the two uploads had none. */
  const largestFace = (upload: Upload, which: 'a' | 'b'): Promise<Face> =>
    visage.faces.largestFace(upload.bytes, upload.filename).catch((e: unknown) => {
      if (isVisageError(e) && e.code === 'no_face') e.details.image = which;
      throw e;
    });

  app.post(
    '/faces/crops',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['recognition'],
        summary: 'Each face of a photo as an upright JPEG crop with its quality: what the UI offers to enrol',
        multipart: { files: imageFile },
        response: responses({
          200: obj({
            ...size,
            faces: {
              type: 'array',
              items: obj({
                box: ref('Box'),
                quality: ref('Quality'),
                crop: { ...str, description: 'data:image/jpeg;base64,…' },
              }),
            },
          }),
        }),
      },
    },
    async (request) => {
      const file = requireFile(await readUploads(request, limits, ['file']), 'file');
      return queue.run(async () => {
        const image = await oneImage(file);
        const faces = await visage.faces.analyzer.detect(image);
        return {
          width: image.width,
          height: image.height,
          faces: await Promise.all(
            faces.map(async (f) => ({
              box: roundBox(f.box),
              quality: qualityJson(f.quality!),
              crop: `data:image/jpeg;base64,${(await encodeJpeg(f.crop!, 92)).toString('base64')}`,
            })),
          ),
        };
      });
    },
  );
}
