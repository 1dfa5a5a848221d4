// The API contract: one definition of every shape the HTTP API, its WebSocket and its event streams
// exchange. Pure TypeScript over TypeBox (no node: imports), so the server (src/server), the service
// (src/service) and the browser bundle (web/) all import it:
//   schema.ts   — building blocks (closed objects, nullable, enums, $ref) in the OpenAPI 3.0 dialect
//   shapes.ts   — the shared objects (Person, Sample, RecognizedFace, VideoJob, …), each a named schema
//   streams.ts  — live WebSocket messages and server-sent events
//   routes.ts   — every route: params, query, body, multipart fields, answers by status
//   csv.ts      — the CSV format of every export (imported directly: csv.js)
// The server registers the named shapes and builds each route's schema from ROUTES (src/server/schemas.ts),
// so the OpenAPI document is this contract; the web app imports these types (web/src/lib/api.ts), and
// test/api-contract.test.ts fails when any of them disagree.
export * from './schema.js';
export * from './shapes.js';
export * from './streams.js';
export * from './routes.js';

import * as shapes from './shapes.js';
import type { Named } from './schema.js';

/** Every named shape, as the server registers them (app.addSchema) and the OpenAPI document lists them. */
export const NAMED_SCHEMAS: Named[] = (Object.values(shapes) as unknown[]).filter(
  (s): s is Named => typeof s === 'object' && s !== null && typeof (s as { $id?: unknown }).$id === 'string',
);
