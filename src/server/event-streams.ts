// Server-sent event streams (video progress, camera events). They are long-lived responses outside
// Fastify's reply cycle, so the registry ends them all when the server closes: otherwise a shutdown
// would wait on browsers that keep listening.
import type { FastifyReply, FastifyRequest } from 'fastify';

export interface EventStream {
  send(event: string, data: unknown): void;
  end(): void;
  /** Called once when the stream ends, whoever ends it (client, server, shutdown). */
  onEnd(listener: () => void): void;
}

export class EventStreams {
  private readonly open = new Set<EventStream>();

  start(request: FastifyRequest, reply: FastifyReply): EventStream {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      'x-request-id': request.id,
    });
    const listeners: (() => void)[] = [];
    let ended = false;
    const finish = () => {
      if (ended) return;
      ended = true;
      this.open.delete(stream);
      for (const l of listeners) l();
      res.end();
    };
    const stream: EventStream = {
      send: (event, data) => {
        if (!ended) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      },
      end: finish,
      onEnd: (l) => listeners.push(l),
    };
    this.open.add(stream);
    request.raw.once('close', finish);
    return stream;
  }

  endAll(): void {
    for (const stream of [...this.open]) stream.end();
  }
}
