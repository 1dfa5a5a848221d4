// How ffmpeg reaches a live network source: only through addresses the camera address policy
// (url-policy.ts) has checked, on every connection — the first, each redirect, each reconnection.
//
// ffmpeg resolves names and follows redirects itself, with no hook for a policy: the camera's URL could
// be checked before ffmpeg starts, but ffmpeg then resolved the name again (a DNS answer that changed in
// between — rebinding — reached a refused address) and followed an allowed server's redirect anywhere.
// So ffmpeg is never given a connection to make on its own:
// - http(s): ffmpeg talks to a proxy of ours on 127.0.0.1 (`-http_proxy`; for https the tls protocol
//   tunnels through it with CONNECT), and the proxy judges each connection's host, resolves it once and
//   connects to exactly the address it checked. Host header, TLS SNI and certificate name stay the
//   camera's own (ffmpeg still speaks to the name, only the bytes go through us), and redirects are
//   followed within the policy: each hop is a new connection through the proxy. ffmpeg 5's `-max_redirects`
//   would only refuse them all, and the bundled 2018 build has no such option.
// - rtsp, rtmp, srt and the others: ffmpeg has no proxy for them, so it is given the URL with the host
//   replaced by the checked address (pinned). Left open: ffmpeg's RTSP demuxer follows a 3xx answer to
//   DESCRIBE or SETUP to any host, with no option to refuse; closing that needs an RTSP-aware relay.
//   For rtsps/rtmps a pinned address means no SNI (ffmpeg sends none to a numeric host; it does not verify
//   certificates unless told, so a camera's own certificate still works).
//
// A connection the proxy refuses is reported as the policy's refusal (category and rule only: never the
// redirect's target or anything else the remote side sent), so a camera server cannot use the camera
// form to probe other addresses; a hop that fails to connect reports refused / unreachable.
import net from 'node:net';
import { VisageError } from '../errors.js';
import { streamInputArgs, type VideoSource } from './source.js';
import { ALLOW_ENV, checkStreamUrl, judgeHost, maskCredentials } from './url-policy.js';

/** What a live network source is opened through, for one ffmpeg run. */
export interface StreamRoute {
  /** ffmpeg input arguments up to and including `-i`. */
  inputArgs: string[];
  /** ffmpeg's environment: no `no_proxy` (it would let ffmpeg bypass the proxy); `http_proxy` ours or none. */
  env: NodeJS.ProcessEnv;
  /** Why a connection ffmpeg asked for was not made (the policy, or the hop failed), or null. */
  problem(): VisageError | null;
  close(): void;
}

/** The longest request head ffmpeg sends to a proxy (a request line and a dozen headers). */
const MAX_HEAD_BYTES = 16 * 1024;

/**
 * Checks the source's URL against the policy and opens the route ffmpeg is to use (see the header).
 * Errors: those of checkStreamUrl (`camera_address_refused`, `source_unreachable`, `invalid_source`).
 */
export async function openStreamRoute(source: VideoSource): Promise<StreamRoute> {
  const address = await checkStreamUrl(source.name);
  const env = { ...process.env };
  for (const key of ['no_proxy', 'NO_PROXY', 'http_proxy']) delete env[key];
  if (/^https?:/i.test(source.name)) {
    const proxy = await PolicyProxy.open(source.name);
    return {
      inputArgs: streamInputArgs(source.name, source.name, ['-http_proxy', proxy.url]),
      // Also as the variable: the bundled 2018 ffmpeg's tls protocol has no -http_proxy option of its own
      // and tunnels only through the one $http_proxy names.
      env: { ...env, http_proxy: proxy.url },
      problem: () => proxy.problem,
      close: () => proxy.close(),
    };
  }
  return {
    inputArgs: streamInputArgs(source.name, pinHost(source.name, address)),
    env,
    problem: () => null,
    close: () => {},
  };
}

/** The URL with its host replaced by `address` (user, password, port and path kept as written). */
export function pinHost(url: string, address: string): string {
  const literal = net.isIPv6(address) ? `[${address}]` : address;
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/(?:[^/@?#]*@)?)(\[[^\]]*\]|[^:/?#]*)/i, `$1${literal}`);
}

/**
 * An HTTP proxy on 127.0.0.1 for one ffmpeg run: CONNECT host:port (https) and absolute-form requests
 * (`GET http://host/path`, plain http), each judged by the policy, then relayed byte for byte to the
 * checked address.
 */
class PolicyProxy {
  problem: VisageError | null = null;
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly server: net.Server,
    private readonly camera: string,
  ) {}

  static async open(camera: string): Promise<PolicyProxy> {
    const server = net.createServer();
    const proxy = new PolicyProxy(server, camera);
    server.on('connection', (client) => proxy.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
  }

  close(): void {
    this.server.close();
    for (const socket of this.sockets) socket.destroy();
  }

  private track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  }

  private accept(client: net.Socket): void {
    this.track(client);
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > MAX_HEAD_BYTES) client.destroy();
        return;
      }
      client.off('data', onData);
      client.pause();
      this.relay(client, head.subarray(0, end + 4).toString('latin1'), head.subarray(end + 4)).catch(() =>
        client.destroy(),
      );
    };
    client.on('data', onData);
  }

  private async relay(client: net.Socket, head: string, rest: Buffer): Promise<void> {
    const [requestLine = '', ...headers] = head.split('\r\n');
    const [method = '', target = '', version = 'HTTP/1.1'] = requestLine.split(' ');
    const tunnel = method.toUpperCase() === 'CONNECT';
    const where = tunnel
      ? /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(target)
      : /^http:\/\/(\[[^\]]+\]|[^:/?#]+)(?::(\d+))?([^#]*)/i.exec(target);
    if (!where) return void client.end('HTTP/1.1 400 Bad Request\r\n\r\n');
    const host = where[1]!;
    const port = Number(where[2] ?? 80);
    if (!(port > 0 && port < 65536)) return void client.end('HTTP/1.1 400 Bad Request\r\n\r\n');
    const verdict = await judgeHost(host);
    if (!verdict.allowed) {
      this.problem ??=
        verdict.why === 'unresolvable'
          ? unreachable(this.camera, 'a connection it led to has a host name that does not resolve')
          : new VisageError(
              'camera_address_refused',
              `${maskCredentials(this.camera)} is refused by the camera address policy: a connection it led to (a redirect, or its name now resolving elsewhere) goes to a ${verdict.category} address (${verdict.rule}), which cameras may not use by default; an admin can allow addresses in ${ALLOW_ENV} or with --camera-allow.`,
              { source: maskCredentials(this.camera), category: verdict.category, rule: verdict.rule },
            );
      return void client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
    }
    const upstream = net.connect({ host: verdict.address, port });
    this.track(upstream);
    let connected = false;
    upstream.once('error', (e: NodeJS.ErrnoException) => {
      // Once connected, an error is the stream's own end, which ffmpeg reports.
      if (connected) return void client.destroy();
      this.problem ??= unreachable(
        this.camera,
        e.code === 'ECONNREFUSED' ? 'the connection was refused' : 'unreachable',
        e.code === 'ECONNREFUSED' ? 'refused' : 'unreachable',
      );
      client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
    });
    upstream.once('connect', () => {
      connected = true;
      if (tunnel) client.write(`${version} 200 Connection established\r\n\r\n`);
      // Plain http: the request goes on in origin form (GET /path), its headers (Host among them) as sent.
      else upstream.write([`${method} ${where[3] || '/'} ${version}`, ...headers].join('\r\n'), 'latin1');
      upstream.write(rest);
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
  }
}

function unreachable(
  camera: string,
  reason: string,
  category: 'refused' | 'unreachable' = 'unreachable',
): VisageError {
  return new VisageError('source_unreachable', `${maskCredentials(camera)}: ${reason}`, {
    source: maskCredentials(camera),
    reason,
    category,
  });
}
