// An RTSP camera for the tests: a real H.264 stream (ffmpeg's RTP muxer, paced in real time) served over
// RTSP with RTP interleaved in the TCP connection, the transport Visage asks cameras for. The RTSP side
// answers OPTIONS, DESCRIBE, SETUP, PLAY and TEARDOWN, and a DESCRIBE of a path in `redirects` with a
// 302 to the URL it gives: what an RTSP server may answer, and what ffmpeg follows to any host.
// `secure` serves rtsps: RTSP over TLS.
// Debian packages no RTSP server program that sends RTP over TCP (rtsp-server-perl sends UDP only;
// GStreamer's RTSP server is a library).
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { once } from 'node:events';

export interface RtspCamera {
  port: number;
  /** Each RTSP request line received, in order: `DESCRIBE rtsp://host:port/path RTSP/1.0`. */
  requests: string[];
  /** The TLS SNI of each rtsps connection. */
  servernames: string[];
  close(): void;
}

/** `secure`: key and certificate to serve rtsps (RTSP over TLS) instead of rtsp. */
export async function startRtspCamera(
  clip: string,
  host: string,
  redirects: Record<string, () => string> = {},
  secure?: tls.TlsOptions,
): Promise<RtspCamera> {
  const rtp = dgram.createSocket('udp4');
  rtp.bind(0, '127.0.0.1');
  await once(rtp, 'listening');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'visage-rtsp-'));
  const sdpFile = path.join(dir, 'stream.sdp');
  const sender: ChildProcess = spawn(
    'ffmpeg',
    [
      ...['-v', 'error', '-re', '-stream_loop', '-1', '-i', clip, '-an', '-vf', 'scale=320:-2'],
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '10'],
      // Parameter sets in the stream itself: a player joins mid-stream.
      ...['-x264-params', 'repeat-headers=1', '-f', 'rtp', '-sdp_file', sdpFile],
      `rtp://127.0.0.1:${rtp.address().port}?pkt_size=1200`,
    ],
    { stdio: 'ignore' },
  );
  const playing = new Set<net.Socket>();
  rtp.on('message', (packet) => {
    const frame = Buffer.alloc(4);
    frame[0] = 0x24; // '$', channel 0, length
    frame.writeUInt16BE(packet.length, 2);
    for (const socket of playing) socket.write(Buffer.concat([frame, packet]));
  });

  const requests: string[] = [];
  const servernames: string[] = [];
  const serve = (socket: net.Socket): void => {
    if (secure) servernames.push((socket as tls.TLSSocket).servername || '-');
    socket.on('error', () => socket.destroy());
    socket.on('close', () => playing.delete(socket));
    let pending = '';
    socket.on('data', (chunk) => {
      pending += chunk.toString('latin1');
      for (let end = pending.indexOf('\r\n\r\n'); end >= 0; end = pending.indexOf('\r\n\r\n')) {
        const [line = '', ...headers] = pending.slice(0, end).split('\r\n');
        pending = pending.slice(end + 4);
        requests.push(line);
        const [method = '', url = ''] = line.split(' ');
        const cseq =
          headers
            .find((h) => /^cseq:/i.test(h))
            ?.split(':')[1]
            ?.trim() ?? '0';
        const reply = (status: string, extra: string[] = [], body = ''): void => {
          const head = [`RTSP/1.0 ${status}`, `CSeq: ${cseq}`, ...extra];
          if (body) head.push(`Content-Length: ${Buffer.byteLength(body)}`);
          socket.write(`${head.join('\r\n')}\r\n\r\n${body}`);
        };
        const target = redirects[new URL(url.replace(/^rtsp:/i, 'http:')).pathname];
        if (method === 'OPTIONS') reply('200 OK', ['Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN']);
        else if (method === 'DESCRIBE' && target) reply('302 Moved Temporarily', [`Location: ${target()}`]);
        else if (method === 'DESCRIBE') {
          const sdp = fs
            .readFileSync(sdpFile, 'latin1')
            .replace(/^m=video \d+/m, 'm=video 0')
            .concat('a=control:track0\r\n');
          reply('200 OK', ['Content-Type: application/sdp', `Content-Base: ${url}/`], sdp);
        } else if (method === 'SETUP')
          reply('200 OK', ['Transport: RTP/AVP/TCP;unicast;interleaved=0-1', 'Session: 1']);
        else if (method === 'PLAY') {
          reply('200 OK', ['Session: 1']);
          playing.add(socket);
        } else reply('200 OK', ['Session: 1']);
      }
    });
  };
  const server = secure ? tls.createServer(secure, serve) : net.createServer(serve);
  server.listen(0, host);
  await once(server, 'listening');
  // The muxer writes the SDP once its output is open.
  for (let i = 0; i < 100 && !fs.existsSync(sdpFile); i++) await new Promise((r) => setTimeout(r, 50));
  if (!fs.existsSync(sdpFile)) throw new Error('ffmpeg wrote no SDP for the test camera');
  return {
    port: (server.address() as net.AddressInfo).port,
    requests,
    servernames,
    close: () => {
      sender.kill('SIGKILL');
      rtp.close();
      server.close();
      for (const socket of playing) socket.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
