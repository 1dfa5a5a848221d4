// Uploads in, faces out: detect, recognise (1:N against the gallery), compare (1:1), and face crops for
// the UI's enrolment screen. Each handler reads the upload and calls one service verb, which takes its
// turn in the scheduler in the caller's lane.
import type { FastifyInstance } from 'fastify';
import { workOf, type ServerContext } from '../context.js';
import type {
  CompareResult,
  CropsResult,
  DetectResult,
  RecognizeQuery,
  RecognizeResult,
} from '../../api/index.js';
import { contract } from '../schemas.js';
import { readUploads, requireFile, type Upload } from '../uploads.js';

export function registerRecognitionRoutes(app: FastifyInstance, { visage, limits }: ServerContext): void {
  const image = (upload: Upload) => ({ bytes: upload.bytes, name: upload.filename });

  app.post<{ Reply: DetectResult }>(
    '/detect',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['recognition'],
        summary: 'Faces in a photo: box, detector score, five key points, quality',
        ...contract('POST /detect'),
      },
    },
    async (request) => {
      const file = requireFile(await readUploads(request, limits, ['file']), 'file');
      return visage.faces.detectBytes(image(file), false, workOf(request));
    },
  );

  app.post<{ Querystring: RecognizeQuery; Reply: RecognizeResult }>(
    '/recognize',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['recognition'],
        summary:
          'Every face of a photo with its name (or unknown) and why: distance, the threshold that applied to this face, margin to the runner-up, security level (?level=strict|balanced|lenient, default balanced)',
        ...contract('POST /recognize'),
      },
    },
    async (request) => {
      const file = requireFile(await readUploads(request, limits, ['file']), 'file');
      return visage.photos.recognizeBytes(
        file.bytes,
        file.filename,
        { storeEvents: request.query.events, level: request.query.level },
        workOf(request),
      );
    },
  );

  app.post<{ Reply: CompareResult }>(
    '/compare',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['recognition'],
        summary: 'Are the largest faces of two photos the same person? (422 no_face when a photo has none)',
        ...contract('POST /compare'),
      },
    },
    async (request) => {
      const uploads = await readUploads(request, limits, ['a', 'b']);
      const [a, b] = [requireFile(uploads, 'a'), requireFile(uploads, 'b')];
      return visage.faces.compare(image(a), image(b), workOf(request));
    },
  );

  app.post<{ Reply: CropsResult }>(
    '/faces/crops',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['recognition'],
        summary: 'Each face of a photo as an upright JPEG crop with its quality: what the UI offers to enrol',
        ...contract('POST /faces/crops'),
      },
    },
    async (request) => {
      const file = requireFile(await readUploads(request, limits, ['file']), 'file');
      return visage.faces.cropsBytes(image(file), workOf(request));
    },
  );
}
