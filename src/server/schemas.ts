// JSON schemas of the API's shared objects. Registered once (app.addSchema) and referenced by `$ref`, they
// validate and serialise responses and become the OpenAPI document's components.
import type { FastifyInstance, FastifySchema } from 'fastify';

const num = { type: 'number' } as const;
const int = { type: 'integer' } as const;
const str = { type: 'string' } as const;
const time = { type: 'string', format: 'date-time' } as const;
const nullable = <T extends object>(s: T) => ({ ...s, nullable: true });
const obj = (properties: Record<string, unknown>, required = Object.keys(properties)) => ({
  type: 'object',
  properties,
  // OpenAPI 3.0 forbids an empty list.
  ...(required.length > 0 ? { required } : {}),
  additionalProperties: false,
});
export const ref = (id: string) => ({ $ref: `${id}#` });

const BOX = { x: num, y: num, width: num, height: num };
const QUALITY = { size: num, sharpness: num, yaw: num, pitch: num, roll: num };

const PERSON = {
  id: int,
  name: str,
  note: str,
  samples: { ...int, description: 'number of samples' },
  createdAt: time,
  updatedAt: time,
  lastSeenAt: nullable(time),
  thumbnailSampleId: nullable(int),
};

const SHARED = {
  Error: obj({
    error: obj({
      code: { ...str, description: 'stable snake_case code, e.g. name_taken' },
      message: { ...str, description: 'what happened and what to do, in English' },
      details: { type: 'object', additionalProperties: true },
    }),
  }),
  Box: { ...obj(BOX), description: 'pixels of the original image (after EXIF rotation)' },
  Quality: obj(QUALITY),
  Point: { type: 'array', items: num, minItems: 2, maxItems: 2 },
  User: obj({ name: str, role: { type: 'string', enum: ['admin', 'viewer'] } }),
  UserListItem: obj({ name: str, role: { type: 'string', enum: ['admin', 'viewer'] }, createdAt: time }),
  ApiKey: obj({
    id: int,
    name: str,
    role: { type: 'string', enum: ['admin', 'viewer'] },
    createdAt: time,
    lastUsedAt: nullable(time),
  }),
  Person: obj(PERSON),
  Sample: obj({
    id: int,
    personId: int,
    sourceName: { ...str, description: 'the file (or event) the sample was taken from' },
    contentHash: {
      ...str,
      description: 'identity of the source image; the same image twice for one person is a duplicate',
    },
    box: nullable(obj(BOX)),
    quality: nullable(obj(QUALITY)),
    models: { type: 'array', items: str, description: 'embedding models this sample has a vector for' },
    createdAt: time,
  }),
  PersonWithSamples: obj({ ...PERSON, samples: { type: 'array', items: ref('Sample') } }),
  DetectedFace: obj({
    box: ref('Box'),
    score: num,
    keypoints: { type: 'array', items: ref('Point') },
    quality: ref('Quality'),
  }),
  Candidate: obj({ personId: int, name: str, distance: num, score: num, sampleId: int }),
  RecognizedFace: obj(
    {
      box: ref('Box'),
      detectionScore: num,
      name: nullable(str),
      personId: nullable(int),
      score: num,
      distance: nullable(num),
      threshold: num,
      sampleId: nullable(int),
      decision: { type: 'string', enum: ['match', 'empty_gallery', 'above_threshold', 'ambiguous'] },
      candidates: { type: 'array', items: ref('Candidate') },
      eventId: { ...int, description: 'absent when events=false' },
    },
    [
      'box',
      'detectionScore',
      'name',
      'personId',
      'score',
      'distance',
      'threshold',
      'sampleId',
      'decision',
      'candidates',
    ],
  ),
  EnrollReport: obj({
    person: nullable(obj({ id: int, name: str })),
    created: { type: 'boolean' },
    accepted: {
      type: 'array',
      items: obj({ source: str, sampleId: int, box: ref('Box'), quality: ref('Quality') }),
    },
    rejected: {
      type: 'array',
      items: obj({
        source: str,
        reason: {
          ...str,
          description:
            'no_face, multiple_faces, face_too_small, too_blurry, extreme_pose, duplicate_sample, looks_like_other_person, looks_unlike_person, or a decoding error code',
        },
        message: str,
      }),
    },
  }),
  Event: obj({
    id: int,
    time,
    source: str,
    offsetS: nullable(num),
    frame: nullable(int),
    box: ref('Box'),
    personId: nullable(int),
    name: nullable(str),
    score: nullable(num),
    distance: nullable(num),
    hasSnapshot: { type: 'boolean' },
    modelId: nullable(str),
  }),
  CorrectionReport: obj(
    {
      event: ref('Event'),
      action: { type: 'string', enum: ['is', 'not'] },
      person: obj({ id: int, name: str }),
      created: { type: 'boolean', description: '`is`: the person was created by this correction' },
      sampleId: { ...int, description: '`is`: the new sample' },
      negativeId: { ...int, description: '`not`: the veto recorded' },
    },
    ['event', 'action', 'person'],
  ),
  UndoReport: obj({
    event: ref('Event'),
    removedSampleIds: { type: 'array', items: int },
    removedNegativeIds: { type: 'array', items: int },
    removedPeople: { type: 'array', items: obj({ id: int, name: str }) },
  }),
  Track: obj(
    {
      id: int,
      name: nullable(str),
      personId: nullable(int),
      score: num,
      distance: nullable(num),
      firstS: { ...num, description: 'seconds from the start when the face first appears' },
      lastS: num,
      frames: { ...int, description: 'frames in which the face was seen' },
      box: { ...ref('Box'), description: "the best view's box" },
      recognitions: { ...int, description: 'votes behind the name' },
      eventId: int,
    },
    ['id', 'name', 'personId', 'score', 'distance', 'firstS', 'lastS', 'frames', 'box', 'recognitions'],
  ),
  VideoJob: obj(
    {
      id: str,
      file: { ...str, description: 'the uploaded file name' },
      state: { type: 'string', enum: ['queued', 'running', 'done', 'failed'] },
      progress: obj({
        phase: { type: 'string', enum: ['recognize', 'annotate'] },
        frames: int,
        totalFrames: nullable(int),
        fps: { ...num, description: 'frames processed per second' },
      }),
      result: obj({
        file: str,
        durationS: nullable(num),
        fps: num,
        analysisFps: num,
        width: int,
        height: int,
        frames: int,
        tracks: { type: 'array', items: ref('Track') },
        stopped: { type: 'boolean' },
        annotatedUrl: nullable(str),
      }),
      error: obj({ code: str, message: str }),
    },
    ['id', 'file', 'state', 'progress'],
  ),
  Camera: obj({
    id: int,
    name: str,
    url: { ...str, description: 'with any password masked' },
    state: { type: 'string', enum: ['connecting', 'live', 'reconnecting', 'stopped', 'failed'] },
    framesAnalysed: int,
    framesDropped: int,
    reason: nullable(str),
    createdAt: time,
  }),
} as const;

export function addSharedSchemas(app: FastifyInstance): void {
  for (const [id, schema] of Object.entries(SHARED)) app.addSchema({ $id: id, ...schema });
}

export const schema = { num, int, str, time, nullable, obj };

export const idParams = obj({ id: { type: 'integer', minimum: 1 } });

/** Every route answers errors with the envelope. */
export function responses(ok: Record<number, unknown>): FastifySchema['response'] {
  return { ...ok, '4xx': ref('Error'), '5xx': ref('Error') };
}

export const noContent = { type: 'null', description: 'no content' } as const;

/** Documents a binary (non-JSON) response for OpenAPI; Fastify does not serialise it. */
export const binary = (contentType: string, description: string) => ({
  description,
  content: { [contentType]: { schema: { type: 'string', format: 'binary' } } },
});

/**
 * Multipart upload fields, for the OpenAPI document only: Fastify does not validate multipart bodies
 * against a schema (uploads.ts reads them as streams), so routes state their fields here and openapi.ts
 * turns them into a request body.
 */
export interface MultipartSpec {
  files: Record<string, { description: string; multiple?: boolean; required?: boolean }>;
  fields?: Record<string, { description: string; required?: boolean }>;
}

declare module 'fastify' {
  interface FastifySchema {
    multipart?: MultipartSpec;
  }
}
