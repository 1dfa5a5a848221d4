// Live camera over a WebSocket: the page sends binary JPEG frames, the server answers each processed
// frame with boxes and names. Which frames are recognised and which dropped (the newest wins) is the
// service's (recognize/live-frames.ts); this is the socket around it.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket, RawData } from 'ws';
import { VisageError } from '../../errors.js';
import { workOf, type ServerContext } from '../context.js';
import type { LiveMessage, LiveQuery } from '../../api/index.js';
import { contract } from '../schemas.js';

/** A 640×480 JPEG is ~50 KB; this leaves room for large webcams without letting a client flood memory. */
export const MAX_FRAME_BYTES = 8 * 1024 * 1024;

export function registerLiveRoutes(app: FastifyInstance, { visage }: ServerContext): void {
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
        'WebSocket: send binary JPEG frames, receive {frame, faces: [{box, name, score, personId}], ms, dropped, level} per processed frame (LiveMessage in src/api/streams.ts)',
      description:
        'Authenticate with the session cookie or ?key=API_KEY; ?level=strict|balanced|lenient sets the security level of every frame (default balanced). Frames that arrive while one is processed are dropped except the newest; `frame` numbers every frame received (1, 2, …), `ms` is the server time from receiving the frame to answering it, `dropped` counts frames skipped so far.',
      ...contract('GET /live'),
    },
    handler: async () => {
      throw new VisageError(
        'upgrade_required',
        'This is a WebSocket endpoint: connect with a WebSocket client.',
      );
    },
    wsHandler: (socket: WebSocket, request: FastifyRequest) => {
      const send = (message: LiveMessage) => socket.send(JSON.stringify(message));
      const { level } = request.query as LiveQuery;
      // Each face seen is stored as one event per track, under the user who watched.
      const live = visage.video.liveView(send, workOf(request, 'live'), {
        source: `browser camera (${request.principal?.name ?? 'anonymous'})`,
        level,
      });
      socket.on('message', (data: RawData, isBinary: boolean) => {
        if (!isBinary) {
          send({ error: { code: 'unsupported_format', message: 'Send frames as binary JPEG messages.' } });
          return;
        }
        live.push(toBuffer(data)).catch((e: unknown) => {
          app.log.error({ err: e }, 'live frame failed');
          socket.close(1011, 'internal error');
        });
      });
      socket.on('close', () => {
        live.close().catch((e: unknown) => app.log.error({ err: e }, 'storing the live tracks failed'));
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
