// Live camera over a WebSocket: the page sends binary JPEG frames, the server answers each processed
// frame with boxes and names. A frame arriving while another is being processed replaces any frame
// already waiting, so the answer is always about the newest picture and latency stays bounded by one
// frame's work, however fast the page sends.
import { performance } from 'node:perf_hooks';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket, RawData } from 'ws';
import { isVisageError, VisageError } from '../../errors.js';
import type { ServerContext } from '../context.js';
import { responses, schema } from '../schemas.js';

const { obj, str } = schema;

/** A 640×480 JPEG is ~50 KB; this leaves room for large webcams without letting a client flood memory. */
export const MAX_FRAME_BYTES = 8 * 1024 * 1024;

interface Pending {
  frame: number;
  jpeg: Buffer;
  receivedAt: number;
}

export function registerLiveRoutes(app: FastifyInstance, { visage, queue }: ServerContext): void {
  app.route({
    method: 'GET',
    url: '/live',
    config: { access: 'viewer', keyInQuery: true },
    // A WebSocket is not covered by SameSite for every browser and carries no CSRF header: a cookie
    // session may only connect from a page of this server.
    preValidation: async (request: FastifyRequest) => {
      const origin = request.headers.origin;
      if (request.principal?.session && origin && safeHost(origin) !== request.headers.host) {
        throw new VisageError('forbidden', 'WebSocket from another origin.', { origin });
      }
    },
    schema: {
      tags: ['live'],
      summary:
        'WebSocket: send binary JPEG frames, receive {frame, faces: [{box, name, score, personId}], ms} per processed frame',
      description:
        'Authenticate with the session cookie or ?key=API_KEY. Frames that arrive while one is processed are dropped except the newest; `frame` numbers every frame received (1, 2, …), `ms` is the server time from receiving the frame to answering it, `dropped` counts frames skipped so far.',
      querystring: obj(
        { key: { ...str, description: 'API key (browsers cannot set headers on a WebSocket)' } },
        [],
      ),
      response: responses({ 101: { description: 'Switching Protocols: the WebSocket is open' } }),
    },
    handler: async () => {
      throw new VisageError(
        'upgrade_required',
        'This is a WebSocket endpoint: connect with a WebSocket client.',
      );
    },
    wsHandler: (socket: WebSocket) => {
      let received = 0;
      let dropped = 0;
      let waiting: Pending | null = null;
      let working = false;
      let open = true;

      const send = (message: unknown) => {
        if (open) socket.send(JSON.stringify(message));
      };

      const pump = async () => {
        if (working) return;
        working = true;
        while (waiting && open) {
          const { frame, jpeg, receivedAt } = waiting;
          waiting = null;
          try {
            const faces = await queue.run(async () => {
              const image = await visage.faces.loadImage(jpeg);
              return visage.photos.recognizeImage(image, 'live', { storeEvents: false });
            }, 'live');
            send({
              frame,
              faces: faces.map((f) => ({ box: f.box, name: f.name, score: f.score, personId: f.personId })),
              ms: Math.round(performance.now() - receivedAt),
              dropped,
            });
          } catch (e) {
            if (!isVisageError(e)) throw e;
            send({ frame, error: { code: e.code, message: e.message } });
          }
        }
        working = false;
      };

      socket.on('message', (data: RawData, isBinary: boolean) => {
        if (!isBinary) {
          send({ error: { code: 'unsupported_format', message: 'Send frames as binary JPEG messages.' } });
          return;
        }
        received++;
        if (waiting) dropped++;
        waiting = { frame: received, jpeg: toBuffer(data), receivedAt: performance.now() };
        pump().catch((e: unknown) => {
          app.log.error({ err: e }, 'live frame failed');
          socket.close(1011, 'internal error');
        });
      });
      socket.on('close', () => {
        open = false;
        waiting = null;
      });
    },
  });
}

function toBuffer(data: RawData): Buffer {
  return Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}

function safeHost(origin: string): string | null {
  try {
    return new URL(origin).host;
  } catch {
    return null;
  }
}
