// The API's one error envelope, `{ error: { code, message, details } }`, and the HTTP status of each error
// code (CONVENTIONS.md, "HTTP API"). Services throw VisageError with a stable code; this is the only place
// that turns codes into statuses, so a new code needs one line here.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isVisageError } from '../errors.js';

export interface ErrorEnvelope {
  error: { code: string; message: string; details: Record<string, unknown> };
}

const STATUS_BY_CODE: Record<string, number> = {
  unauthenticated: 401,
  bad_credentials: 401,
  bad_api_key: 401,
  forbidden: 403,
  csrf_failed: 403,
  person_not_found: 404,
  sample_not_found: 404,
  event_not_found: 404,
  snapshot_not_found: 404,
  user_not_found: 404,
  api_key_not_found: 404,
  not_found: 404,
  video_not_found: 404,
  job_not_found: 404,
  camera_not_found: 404,
  cluster_not_found: 404,
  event_not_in_cluster: 404,
  cluster_closed: 409,
  webhook_not_found: 404,
  delivery_not_found: 404,
  camera_name_taken: 409,
  not_ready: 409,
  name_taken: 409,
  duplicate_sample: 409,
  already_set_up: 409,
  username_taken: 409,
  last_admin: 409,
  file_too_large: 413,
  image_too_large: 413,
  request_too_large: 413,
  too_many_files: 413,
  unsupported_format: 415,
  unsupported_media_type: 415,
  no_face: 422,
  // Enrolment's judgement of a face, when a single face was to be added (event corrections).
  multiple_faces: 422,
  face_too_small: 422,
  too_blurry: 422,
  extreme_pose: 422,
  looks_like_other_person: 422,
  looks_unlike_person: 422,
  event_not_correctable: 422,
  nothing_to_undo: 409,
  upgrade_required: 426,
  // Login throttling (src/server/auth/throttle.ts); the response carries Retry-After.
  too_many_attempts: 429,
  busy: 503,
};

/** Status of a VisageError: anything a user can cause that has no entry is invalid input (400). */
export function statusOf(code: string): number {
  return STATUS_BY_CODE[code] ?? 400;
}

export function envelope(
  code: string,
  message: string,
  details: Record<string, unknown> = {},
): ErrorEnvelope {
  return { error: { code, message, details } };
}

/** Fastify's and its plugins' own errors, by their FST_ codes, in Visage's vocabulary. */
const FRAMEWORK_CODES: Record<string, string> = {
  FST_REQ_FILE_TOO_LARGE: 'file_too_large',
  FST_FILES_LIMIT: 'too_many_files',
  FST_PARTS_LIMIT: 'too_many_files',
  FST_FIELDS_LIMIT: 'request_too_large',
  FST_ERR_CTP_BODY_TOO_LARGE: 'request_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_INVALID_MULTIPART_CONTENT_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
};

/** Maps any thrown value to a status and envelope; unexpected errors become a bare 500. */
export function toErrorResponse(e: unknown): { status: number; body: ErrorEnvelope; unexpected: boolean } {
  if (isVisageError(e))
    return { status: statusOf(e.code), body: envelope(e.code, e.message, e.details), unexpected: false };
  const fe = e as Partial<FastifyError> & { validation?: unknown[] };
  if (fe.validation) {
    return {
      status: 400,
      body: envelope('invalid_request', `Invalid request: ${fe.message ?? 'validation failed'}.`, {
        errors: fe.validation,
      }),
      unexpected: false,
    };
  }
  const code = fe.code && FRAMEWORK_CODES[fe.code];
  if (code)
    return {
      status: statusOf(code),
      body: envelope(code, frameworkMessage(code, fe.message)),
      unexpected: false,
    };
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return {
      status: fe.statusCode,
      body: envelope('bad_request', fe.message ?? 'Bad request.'),
      unexpected: false,
    };
  }
  return {
    status: 500,
    body: envelope('internal_error', 'Something went wrong on the server; see its log.'),
    unexpected: true,
  };
}

function frameworkMessage(code: string, fallback = ''): string {
  switch (code) {
    case 'file_too_large':
      return 'An uploaded file is larger than the limit.';
    case 'unsupported_media_type':
      return 'Unsupported Content-Type for this route (uploads are multipart/form-data, other bodies JSON).';
    default:
      return fallback;
  }
}

function retryAfterS(details: Record<string, unknown>): number | null {
  const s = details.retryAfterS;
  return typeof s === 'number' && Number.isFinite(s) && s > 0 ? Math.ceil(s) : null;
}

/** Installs the envelope for every error and for unknown API routes. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const { status, body, unexpected } = toErrorResponse(error);
    if (unexpected) request.log.error({ err: error }, 'unexpected error');
    else request.log.info({ code: body.error.code, status }, 'request refused');
    // An error that knows when to come back says so (`busy`: the scheduler's estimate from recent work;
    // `too_many_attempts`: the login lockout); any other 503, in 5 s.
    const retryAfter = retryAfterS(body.error.details) ?? (status === 503 ? 5 : null);
    if (retryAfter !== null) void reply.header('retry-after', String(retryAfter));
    return reply.code(status).type('application/json; charset=utf-8').send(body);
  });
}
