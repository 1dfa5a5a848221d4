// Issue 11, item 6 (the part left open): a live camera's connections are checked where ffmpeg makes them.
// ffmpeg followed an allowed server's HTTP redirect to any address and resolved the camera's name again
// itself (rebinding); now http(s) goes through the policy's proxy (each hop judged, connected to the
// checked address; an HLS playlist's segments too) and other schemes get the checked address pinned in the
// URL (src/media/ffmpeg-egress.ts). RTSP followed a camera's 3xx to any host: it now plays through a
// relay that judges each redirect (a real H.264 stream from ffmpeg, served by test/support/rtsp-camera.ts).
// Real ffmpeg, real HTTP/HTTPS servers on 127.0.0.1 and 127.0.0.2; the allowlist names 127.0.0.2 (or the
// name localhost) only, so 127.0.0.1 stands for an internal service a camera must not reach.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { facePath } from '../bench/dataset.js';
import { openStreamRoute, pinHost } from '../src/media/ffmpeg-egress.js';
import { FrameReader } from '../src/media/frame-reader.js';
import { openSource } from '../src/media/source.js';
import { isVisageError } from '../src/errors.js';
import { startRtspCamera } from './support/rtsp-camera.js';
import { sendWithRanges } from './support/server.js';

const clip = fs.readFileSync(facePath('video/hamilton_clip.mp4'));

/** A camera's HTTP endpoint: the clip with byte ranges, and redirects named by path. */
function handler(hits: string[], redirects: Record<string, () => string>): http.RequestListener {
  return (req, res) => {
    hits.push(
      `${req.url} host=${req.headers.host} sni=${(req.socket as { servername?: string }).servername ?? '-'}`,
    );
    const to = redirects[req.url ?? ''];
    if (to) return void res.writeHead(302, { location: to() }).end();
    sendWithRanges(req, res, clip);
  };
}

async function listen(server: http.Server, host: string): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return (server.address() as AddressInfo).port;
}

/** Reads up to `n` frames of a live source; the error's code and message when it fails. */
async function read(url: string, n = 3): Promise<{ frames: number; code?: string; message?: string }> {
  const reader = new FrameReader(openSource(url), { fps: 2, maxSide: 320, stallTimeoutMs: 20_000 });
  let frames = 0;
  try {
    for await (const frame of reader) if (frame && ++frames >= n) break;
    return { frames };
  } catch (e) {
    if (!isVisageError(e)) throw e;
    return { frames, code: e.code, message: e.message };
  }
}

/** A key and a certificate for `localhost`, made for this run. */
function selfSignedCert(): { key: Buffer; cert: Buffer } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'visage-tls-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-keyout',
      path.join(dir, 'key.pem'),
      '-out',
      path.join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  const pair = {
    key: fs.readFileSync(path.join(dir, 'key.pem')),
    cert: fs.readFileSync(path.join(dir, 'cert.pem')),
  };
  fs.rmSync(dir, { recursive: true });
  return pair;
}

// The internal service: nothing a camera's redirect may reach.
const internalHits: string[] = [];
const internal = http.createServer(handler(internalHits, {}));
let internalPort = 0;
const savedEnv = { allow: process.env.VISAGE_CAMERA_ALLOW, noProxy: process.env.no_proxy };

before(async () => {
  internalPort = await listen(internal, '127.0.0.1');
  // ffmpeg skips a proxy for hosts in no_proxy: the route must not let the server's environment do that.
  process.env.no_proxy = '*';
});
after(() => {
  internal.close();
  process.env.VISAGE_CAMERA_ALLOW = savedEnv.allow;
  if (savedEnv.noProxy === undefined) delete process.env.no_proxy;
  else process.env.no_proxy = savedEnv.noProxy;
});

test('http camera: redirects are followed within the policy only; a refused hop is never connected and says only its category', async () => {
  process.env.VISAGE_CAMERA_ALLOW = '127.0.0.2';
  const hits: string[] = [];
  // An HLS playlist names further URLs, which ffmpeg opens as it plays: one of them is internal.
  const playlist = () =>
    `#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\nhttp://127.0.0.1:${internalPort}/secret-admin.ts\n#EXT-X-ENDLIST\n`;
  const serveClip = handler(hits, {
    '/to-metadata': () => 'http://169.254.169.254/latest/meta-data/iam/',
    '/to-internal': () => `http://127.0.0.1:${internalPort}/secret-admin`,
    '/to-name': () => `http://localhost:${internalPort}/secret-admin`,
    '/to-mapped': () => `http://[::ffff:127.0.0.1]:${internalPort}/secret-admin`,
    '/to-self': () => `http://127.0.0.2:${port}/clip.mp4`,
  });
  const camera = http.createServer((req, res) =>
    req.url === '/playlist.m3u8'
      ? void res.writeHead(200, { 'content-type': 'application/vnd.apple.mpegurl' }).end(playlist())
      : serveClip(req, res),
  );
  const port = await listen(camera, '127.0.0.2');
  const base = `http://127.0.0.2:${port}`;
  try {
    const direct = await read(`${base}/clip.mp4`);
    assert.equal(direct.frames, 3, direct.message);
    assert.ok(
      hits.every((h) => h.includes(`host=127.0.0.2:${port}`)),
      'Host header is the camera’s own',
    );
    const within = await read(`${base}/to-self`);
    assert.equal(within.frames, 3, `a redirect within the policy is followed: ${within.message}`);

    for (const [path, category] of [
      ['/to-metadata', 'metadata address (169.254.169.254/32)'],
      ['/to-internal', 'loopback address (127.0.0.0/8)'],
      ['/to-name', 'loopback address (127.0.0.0/8)'],
      ['/to-mapped', 'loopback address (127.0.0.0/8)'],
      ['/playlist.m3u8', 'loopback address (127.0.0.0/8)'],
    ] as const) {
      const r = await read(`${base}${path}`);
      assert.equal(r.code, 'camera_address_refused', `${path}: ${r.code} ${r.message}`);
      assert.equal(r.frames, 0);
      assert.ok(r.message!.includes(category), `${path}: ${r.message}`);
      // The redirect's target (remote content) is not repeated: neither its host, port nor path.
      for (const leak of ['meta-data', 'secret-admin', 'localhost', String(internalPort)])
        assert.ok(!r.message!.includes(leak), `${path} message repeats "${leak}": ${r.message}`);
    }
    assert.deepEqual(internalHits, [], 'no redirect reached the internal service');
    // The camera's own address taken off the list: refused before any connection.
    process.env.VISAGE_CAMERA_ALLOW = '';
    const before = hits.length;
    assert.equal((await read(`${base}/clip.mp4`)).code, 'camera_address_refused');
    assert.equal(hits.length, before);
  } finally {
    camera.close();
  }
});

test('https camera: tunnelled through the policy proxy with its own SNI and Host; a redirect to a refused address is not followed', async () => {
  const tls = selfSignedCert();
  // Allowed by name: localhost resolves to 127.0.0.1, which is otherwise refused.
  process.env.VISAGE_CAMERA_ALLOW = 'localhost';
  const hits: string[] = [];
  const camera = https.createServer(
    tls,
    handler(hits, { '/to-internal': () => `https://127.0.0.1:${port}/clip.mp4` }),
  );
  const port = await listen(camera, '127.0.0.1');
  try {
    const ok = await read(`https://localhost:${port}/clip.mp4`);
    assert.equal(ok.frames, 3, ok.message);
    assert.ok(
      hits.length > 0 && hits.every((h) => h.endsWith(`host=localhost:${port} sni=localhost`)),
      hits.join('\n'),
    );
    const before = hits.length;
    const r = await read(`https://localhost:${port}/to-internal`);
    assert.equal(r.code, 'camera_address_refused', r.message);
    assert.deepEqual(hits.slice(before), [`/to-internal host=localhost:${port} sni=localhost`]);
  } finally {
    camera.close();
  }
});

test('rtsp camera: played through the policy relay; a redirect is followed within the policy only, a refused one never connected', async () => {
  process.env.VISAGE_CAMERA_ALLOW = '127.0.0.2';
  const internalRtsp: string[] = [];
  const internal = net.createServer((socket) => (internalRtsp.push('connected'), socket.destroy()));
  internal.listen(0, '127.0.0.1');
  await once(internal, 'listening');
  const internalRtspPort = (internal.address() as AddressInfo).port;
  const camera = await startRtspCamera(facePath('video/hamilton_clip.mp4'), '127.0.0.2', {
    '/to-self': () => `rtsp://127.0.0.2:${camera.port}/live`,
    '/to-internal': () => `rtsp://127.0.0.1:${internalRtspPort}/secret-admin`,
    '/to-metadata': () => 'rtsp://169.254.169.254/latest/meta-data',
    '/to-http': () => `http://127.0.0.2:${internalRtspPort}/secret-admin`,
  });
  const base = `rtsp://127.0.0.2:${camera.port}`;
  try {
    const direct = await read(`${base}/live`);
    assert.equal(direct.frames, 3, direct.message);
    const within = await read(`${base}/to-self`);
    assert.equal(within.frames, 3, `a redirect within the policy is followed: ${within.message}`);
    // ffmpeg never spoke to the camera itself: each request (the redirect's target too) came through
    // the relay, so its URL names the relay.
    assert.ok(camera.requests.length >= 8, camera.requests.join('\n'));
    for (const line of camera.requests) assert.match(line, /^[A-Z_]+ rtsp:\/\/127\.0\.0\.1:\d+\//, line);
    assert.ok(camera.requests.some((line) => /^PLAY rtsp:\/\/[^/]+\/live\/? /.test(line)));

    for (const [path, code, says] of [
      ['/to-internal', 'camera_address_refused', 'loopback address (127.0.0.0/8)'],
      ['/to-metadata', 'camera_address_refused', 'metadata address (169.254.169.254/32)'],
      ['/to-http', 'source_unreachable', 'not an RTSP stream'],
    ] as const) {
      const r = await read(`${base}${path}`);
      assert.equal(r.code, code, `${path}: ${r.code} ${r.message}`);
      assert.equal(r.frames, 0);
      assert.ok(r.message!.includes(says), `${path}: ${r.message}`);
      for (const leak of ['meta-data', 'secret-admin', String(internalRtspPort)])
        assert.ok(!r.message!.includes(leak), `${path} message repeats "${leak}": ${r.message}`);
    }
    assert.deepEqual(internalRtsp, [], 'no redirect reached the internal service');
    // rtsps: the relay speaks TLS to the camera, with the camera's name as SNI.
    process.env.VISAGE_CAMERA_ALLOW = 'localhost';
    const secure = await startRtspCamera(
      facePath('video/hamilton_clip.mp4'),
      '127.0.0.1',
      {},
      selfSignedCert(),
    );
    try {
      const r = await read(`rtsps://localhost:${secure.port}/live`);
      assert.equal(r.frames, 3, r.message);
      assert.ok(secure.servernames.every((name) => name === 'localhost') && secure.servernames.length > 0);
    } finally {
      secure.close();
    }
  } finally {
    camera.close();
    internal.close();
  }
});

test('other schemes: ffmpeg is given the checked address, not the name to resolve again', async () => {
  process.env.VISAGE_CAMERA_ALLOW = 'localhost';
  const route = await openStreamRoute(openSource('rtmp://user:p%40ss@localhost:1935/live?channel=1'));
  route.close();
  const input = route.inputArgs.at(-1);
  assert.ok(
    input === 'rtmp://user:p%40ss@127.0.0.1:1935/live?channel=1' ||
      input === 'rtmp://user:p%40ss@[::1]:1935/live?channel=1',
    input,
  );
  assert.equal(route.env.no_proxy, undefined);
  // rtsp(s): the relay's address, user, password, path and query kept.
  const rtsp = await openStreamRoute(openSource('rtsps://user:p%40ss@localhost/live?channel=1'));
  rtsp.close();
  assert.match(rtsp.inputArgs.at(-1) ?? '', /^rtsp:\/\/user:p%40ss@127\.0\.0\.1:\d+\/live\?channel=1$/);
  assert.equal(pinHost('rtmp://[fe80::1]/app', '192.0.2.7'), 'rtmp://192.0.2.7/app');
  assert.equal(pinHost('srt://cam.lan:9000?mode=caller', 'fd00::5'), 'srt://[fd00::5]:9000?mode=caller');
  // http(s): the name stays (Host, SNI), every connection goes through the proxy.
  const web = await openStreamRoute(openSource(`http://localhost:${internalPort}/x`));
  web.close();
  const proxy = web.inputArgs[web.inputArgs.indexOf('-http_proxy') + 1];
  assert.match(proxy ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
  // As the variable too (the bundled 2018 ffmpeg's tls reads only that), and nothing exempt from it.
  assert.equal(web.env.http_proxy, proxy);
  assert.equal(web.env.no_proxy, undefined);
  assert.equal(web.inputArgs.at(-1), `http://localhost:${internalPort}/x`);
});
