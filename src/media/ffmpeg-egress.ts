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
// - rtsp(s): ffmpeg has no proxy for RTSP, and its demuxer follows a 3xx answer to OPTIONS or DESCRIBE
//   to any host (no option refuses it; the checked address pinned in the URL was not enough). So ffmpeg
//   plays rtsp://127.0.0.1:<relay>/path from an RTSP relay of ours, which connects to the checked address
//   and reads the camera's answers (RTSP messages and the interleaved RTP frames between them; the reader
//   asks for RTP over TCP): a redirect whose host the policy allows is rewritten to point at the relay,
//   and the relay's next connection goes to the address it checked; one it refuses ends the session
//   before ffmpeg sees it. Requests go on unchanged: their URLs name the relay or, after DESCRIBE, the
//   camera's Content-Base, and Digest authentication hashes whichever URL ffmpeg sent. For rtsps the
//   relay speaks TLS to the camera with the camera's name as SNI (a pinned numeric host had none) and,
//   as ffmpeg does unless told, does not verify its certificate.
// - rtmp, srt and the others: no redirects to follow; ffmpeg is given the URL with the host replaced by
//   the checked address (pinned). For rtmps that means no SNI.
//
// A connection a relay refuses is reported as the policy's refusal (category and rule only: never the
// redirect's target or anything else the remote side sent), so a camera server cannot use the camera
// form to probe other addresses; a hop that fails to connect reports refused / unreachable.
import net from 'node:net';
import tls from 'node:tls';
import { VisageError } from '../errors.js';
import { streamInputArgs, type VideoSource } from './source.js';
import { ALLOW_ENV, checkStreamUrl, judgeHost, maskCredentials, type HostVerdict } from './url-policy.js';

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

/** The longest request head ffmpeg sends to a proxy, or RTSP head a camera sends (a status line and headers). */
const MAX_HEAD_BYTES = 16 * 1024;
/** Redirects an RTSP session may follow; a camera that keeps redirecting is not a camera. */
const MAX_RTSP_REDIRECTS = 8;
const RTSP_DEFAULT_PORT = { rtsp: 554, rtsps: 322 } as const;

/**
 * Checks the source's URL against the policy and opens the route ffmpeg is to use (see the header).
 * Errors: those of checkStreamUrl (`camera_address_refused`, `source_unreachable`, `invalid_source`).
 */
export async function openStreamRoute(source: VideoSource): Promise<StreamRoute> {
  const address = await checkStreamUrl(source.name);
  const env = { ...process.env };
  for (const key of ['no_proxy', 'NO_PROXY', 'http_proxy']) delete env[key];
  if (/^https?:/i.test(source.name)) {
    const proxy = await new PolicyProxy(source.name).listen();
    return {
      inputArgs: streamInputArgs(source.name, source.name, ['-http_proxy', proxy.url]),
      // Also as the variable: the bundled 2018 ffmpeg's tls protocol has no -http_proxy option of its own
      // and tunnels only through the one $http_proxy names.
      env: { ...env, http_proxy: proxy.url },
      problem: () => proxy.problem,
      close: () => proxy.close(),
    };
  }
  if (/^rtsps?:/i.test(source.name)) {
    const relay = await new RtspRelay(source.name, rtspTarget(new URL(source.name), address)).listen();
    return {
      inputArgs: streamInputArgs(source.name, relay.relayUrl(source.name)),
      env,
      problem: () => relay.problem,
      close: () => relay.close(),
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
 * A listener on 127.0.0.1 for one ffmpeg run, through which every connection ffmpeg makes goes out to
 * an address the policy checked: the first problem met is kept for the reader to report.
 */
abstract class PolicyRelay {
  problem: VisageError | null = null;
  protected readonly server = net.createServer((client) => {
    this.track(client);
    this.accept(client);
  });
  private readonly sockets = new Set<net.Socket>();

  constructor(protected readonly camera: string) {}

  async listen(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', resolve);
    });
    return this;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  close(): void {
    this.server.close();
    for (const socket of this.sockets) socket.destroy();
  }

  protected abstract accept(client: net.Socket): void;

  protected track<S extends net.Socket>(socket: S): S {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    return socket;
  }

  /** Keeps why the policy refused a host a connection (or a redirect) led to. */
  protected refuse(verdict: Exclude<HostVerdict, { allowed: true }>): void {
    this.problem ??=
      verdict.why === 'unresolvable'
        ? unreachable(this.camera, 'a connection it led to has a host name that does not resolve')
        : new VisageError(
            'camera_address_refused',
            `${maskCredentials(this.camera)} is refused by the camera address policy: a connection it led to (a redirect, or its name now resolving elsewhere) goes to a ${verdict.category} address (${verdict.rule}), which cameras may not use by default; an admin can allow addresses in ${ALLOW_ENV} or with --camera-allow.`,
            { source: maskCredentials(this.camera), category: verdict.category, rule: verdict.rule },
          );
  }

  /**
   * Connects to a checked address; `onConnect` runs once connected. A failure to connect is kept as the
   * problem (refused / unreachable) and ends `client` through `onFail`; once connected, an error is the
   * stream's own end, which ffmpeg reports.
   */
  protected connect(
    client: net.Socket,
    options: net.NetConnectOpts | tls.ConnectionOptions,
    secure: boolean,
    onConnect: (upstream: net.Socket) => void,
    onFail: () => void = () => client.destroy(),
  ): void {
    const upstream = this.track(
      secure ? tls.connect(options as tls.ConnectionOptions) : net.connect(options as net.NetConnectOpts),
    );
    let connected = false;
    upstream.once('error', (e: NodeJS.ErrnoException) => {
      if (connected) return void client.destroy();
      const refused = e.code === 'ECONNREFUSED';
      this.problem ??= unreachable(
        this.camera,
        refused ? 'the connection was refused' : 'unreachable',
        refused ? 'refused' : 'unreachable',
      );
      onFail();
    });
    upstream.once(secure ? 'secureConnect' : 'connect', () => {
      connected = true;
      onConnect(upstream);
    });
  }
}

/**
 * An HTTP proxy for one ffmpeg run: CONNECT host:port (https) and absolute-form requests
 * (`GET http://host/path`, plain http), each judged by the policy, then relayed byte for byte to the
 * checked address.
 */
class PolicyProxy extends PolicyRelay {
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  protected accept(client: net.Socket): void {
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
    const port = Number(where[2] ?? 80);
    if (!(port > 0 && port < 65536)) return void client.end('HTTP/1.1 400 Bad Request\r\n\r\n');
    const verdict = await judgeHost(where[1]!);
    if (!verdict.allowed) {
      this.refuse(verdict);
      return void client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
    }
    const fail = (): void => void client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
    this.connect(
      client,
      { host: verdict.address, port },
      false,
      (upstream) => {
        if (tunnel) client.write(`${version} 200 Connection established\r\n\r\n`);
        // Plain http: the request goes on in origin form (GET /path), its headers (Host among them) as sent.
        else upstream.write([`${method} ${where[3] || '/'} ${version}`, ...headers].join('\r\n'), 'latin1');
        upstream.write(rest);
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      },
      fail,
    );
  }
}

/** Where an RTSP relay's next connection goes: an address the policy checked. */
interface RtspTarget {
  address: string;
  port: number;
  secure: boolean;
  /** The camera's host name, for TLS SNI (none for a numeric host). */
  servername: string | undefined;
}

function rtspTarget(url: URL, address: string): RtspTarget {
  const scheme = url.protocol.slice(0, -1).toLowerCase() as keyof typeof RTSP_DEFAULT_PORT;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return {
    address,
    port: Number(url.port || RTSP_DEFAULT_PORT[scheme]),
    secure: scheme === 'rtsps',
    servername: net.isIP(host) ? undefined : host,
  };
}

/**
 * An RTSP relay for one ffmpeg run (see the header): each connection ffmpeg opens goes to `next`, the
 * camera's checked address at first and then each allowed redirect's; the camera's answers are read
 * message by message so that a 3xx is judged, and rewritten or refused, before ffmpeg reads it.
 */
class RtspRelay extends PolicyRelay {
  private redirects = 0;

  constructor(
    camera: string,
    private next: RtspTarget,
  ) {
    super(camera);
  }

  /** `url` with scheme, host and port the relay's (user, password, path and query kept). */
  relayUrl(url: string): string {
    return url.replace(
      /^[a-z][a-z0-9+.-]*:\/\/((?:[^/@?#]*@)?)(?:\[[^\]]*\]|[^:/?#]*)(?::\d*)?/i,
      `rtsp://$1127.0.0.1:${this.port}`,
    );
  }

  protected accept(client: net.Socket): void {
    const target = this.next;
    client.pause();
    this.connect(
      client,
      { host: target.address, port: target.port, servername: target.servername, rejectUnauthorized: false },
      target.secure,
      (camera) => {
        client.pipe(camera);
        this.relayAnswers(camera, client);
        client.resume();
      },
    );
  }

  /** Passes the camera's bytes to ffmpeg whole message by whole message, holding a redirect until judged. */
  private relayAnswers(camera: net.Socket, client: net.Socket): void {
    let pending: Buffer = Buffer.alloc(0);
    let judging = false;
    const drain = (): void => {
      while (!judging && pending.length > 0) {
        const size = messageSize(pending);
        if (size === 'incomplete') {
          if (pending.length > MAX_HEAD_BYTES && pending[0] !== INTERLEAVED) client.destroy();
          return;
        }
        const message = pending.subarray(0, size);
        pending = pending.subarray(size);
        const location = message[0] === INTERLEAVED ? null : redirectLocation(message);
        if (location === null) {
          client.write(message);
          continue;
        }
        judging = true;
        camera.pause();
        this.followRedirect(message, location).then(
          (rewritten) => {
            if (!rewritten) return void (client.destroy(), camera.destroy());
            client.write(rewritten);
            judging = false;
            camera.resume();
            drain();
          },
          () => (client.destroy(), camera.destroy()),
        );
      }
    };
    camera.on('data', (chunk: Buffer) => {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      drain();
    });
    camera.on('end', () => client.end());
  }

  /**
   * The redirect rewritten to point at the relay, with the relay's next connection going to its checked
   * address; null (the problem kept) when the policy refuses it or it leaves RTSP.
   */
  private async followRedirect(message: Buffer, location: string): Promise<Buffer | null> {
    let url: URL;
    try {
      url = new URL(location);
    } catch {
      this.problem ??= unreachable(this.camera, 'it redirects to an address that is not a URL');
      return null;
    }
    if (!/^rtsps?:$/i.test(url.protocol)) {
      this.problem ??= unreachable(this.camera, 'it redirects to an address that is not an RTSP stream');
      return null;
    }
    if (++this.redirects > MAX_RTSP_REDIRECTS) {
      this.problem ??= unreachable(this.camera, `it redirects more than ${MAX_RTSP_REDIRECTS} times`);
      return null;
    }
    const verdict = await judgeHost(url.hostname);
    if (!verdict.allowed) {
      this.refuse(verdict);
      return null;
    }
    this.next = rtspTarget(url, verdict.address);
    const head = message.toString('latin1');
    return Buffer.from(
      head.replace(
        /^(location:[ \t]*)([^\r\n]*)/im,
        (_, name: string) => `${name}${this.relayUrl(location)}`,
      ),
      'latin1',
    );
  }
}

/** The first byte of an RTP or RTCP packet interleaved in the RTSP connection: `$`, channel, length. */
const INTERLEAVED = 0x24;

/** The size of the first whole message in `data` (an interleaved frame, or an RTSP head and its body). */
function messageSize(data: Buffer): number | 'incomplete' {
  if (data[0] === INTERLEAVED) {
    if (data.length < 4) return 'incomplete';
    const frame = 4 + data.readUInt16BE(2);
    return data.length < frame ? 'incomplete' : frame;
  }
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return 'incomplete';
  const length = /^content-length:[ \t]*(\d+)/im.exec(data.subarray(0, end).toString('latin1'))?.[1];
  const size = end + 4 + Number(length ?? 0);
  return data.length < size ? 'incomplete' : size;
}

/** A 3xx answer's Location (empty when it has none); null for anything else. */
function redirectLocation(message: Buffer): string | null {
  const end = message.indexOf('\r\n\r\n');
  const head = message.subarray(0, end < 0 ? message.length : end).toString('latin1');
  if (!/^RTSP\/\d\.\d 3\d\d/.test(head)) return null;
  return /^location:[ \t]*(.*)$/im.exec(head)?.[1]?.trim() ?? '';
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
