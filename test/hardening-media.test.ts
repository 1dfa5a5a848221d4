// Issue 11, finding 4: a maintained ffmpeg, used safely. The system's ffmpeg/ffprobe are preferred when
// recent enough (the bundled ffprobe segfaults on MPEG-TS the bundled ffmpeg writes); a crash is reported
// as a crash; every input is opened under a protocol whitelist (and files under a demuxer whitelist), so
// a "video" that is an HLS playlist pointing at file:// URLs — uploaded, or served by a camera — never
// makes ffmpeg read the server's files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { ffmpegPath, resetToolChoice, toolChoice } from '../src/media/ffmpeg.js';
import { FrameReader } from '../src/media/frame-reader.js';
import { probeMedia } from '../src/media/probe.js';
import { openSource, type VideoSource } from '../src/media/source.js';
import { isVisageError } from '../src/errors.js';
import { tempDir } from './support/cli.js';

const dir = tempDir('hardening-media');
// The camera servers of these tests listen on 127.0.0.1, which the camera address policy refuses unless
// the admin allows it; the policy's own test below passes an explicit (empty) allowlist.
process.env.VISAGE_CAMERA_ALLOW = '127.0.0.1';
const SYSTEM = fs.existsSync('/usr/bin/ffmpeg') && fs.existsSync('/usr/bin/ffprobe');

function make(name: string, args: string[]): string {
  const out = path.join(dir, name);
  const r = spawnSync(ffmpegPath(), [
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    'testsrc=size=160x120:rate=10',
    '-t',
    '2',
    ...args,
    '-y',
    out,
  ]);
  assert.equal(r.status, 0, String(r.stderr));
  return out;
}

const ts = make('clip.ts', ['-c:v', 'mpeg2video']);
const mp4 = make('clip.mp4', []);

async function failure(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    if (isVisageError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  return { code: 'ok', message: '' };
}

async function frames(source: VideoSource): Promise<number> {
  let n = 0;
  for await (const frame of new FrameReader(source, { fps: 5 })) n += frame.image.width > 0 ? 1 : 0;
  return n;
}

test(
  'the system ffmpeg and ffprobe are preferred when present and recent enough',
  { skip: !SYSTEM && 'no /usr/bin/ffmpeg' },
  () => {
    for (const tool of ['ffmpeg', 'ffprobe'] as const) {
      const choice = toolChoice(tool);
      assert.equal(choice.source, 'system', JSON.stringify(choice));
      assert.match(choice.version ?? '', /^\d+\./);
      assert.ok(Number(choice.version!.split('.')[0]) >= 5);
    }
  },
);

test('an MPEG-TS made by ffmpeg probes and decodes (the bundled ffprobe crashed on it)', async () => {
  const info = await probeMedia(openSource(ts));
  assert.deepEqual([info.width, info.height], [160, 120]);
  assert.equal(await frames(openSource(ts)), 10);
});

test('a crashing ffprobe is reported as a crash, with its signal, not "no reason given"', async () => {
  const crash = path.join(dir, 'crashing-ffprobe.sh');
  fs.writeFileSync(crash, '#!/bin/sh\nkill -SEGV $$\n', { mode: 0o755 });
  const before = process.env.VISAGE_FFPROBE;
  process.env.VISAGE_FFPROBE = crash;
  resetToolChoice();
  try {
    const r = await failure(probeMedia(openSource(mp4)));
    assert.equal(r.code, 'unreadable_video');
    assert.match(r.message, /ffprobe crashed \(SIGSEGV\)/);
    assert.doesNotMatch(r.message, /no reason given/);
  } finally {
    if (before === undefined) delete process.env.VISAGE_FFPROBE;
    else process.env.VISAGE_FFPROBE = before;
    resetToolChoice();
  }
});

test('every input carries a protocol whitelist: files file,pipe (+ a demuxer whitelist), streams their own scheme', () => {
  const args = (name: string): string[] => openSource(name).inputArgs;
  const after = (a: string[], flag: string): string | undefined => a[a.indexOf(flag) + 1];
  const file = args(mp4);
  assert.equal(after(file, '-protocol_whitelist'), 'file,pipe');
  const demuxers = after(file, '-format_whitelist')!.split(',');
  for (const refused of ['hls', 'concat', 'subfile', 'ffmetadata', 'sdp', 'rtsp', 'v4l2'])
    assert.ok(!demuxers.includes(refused), refused);
  assert.equal(after(file, '-i'), `file:${mp4}`);
  const seq = path.join(dir, 'seq');
  fs.mkdirSync(seq, { recursive: true });
  fs.writeFileSync(path.join(seq, '0001.png'), '');
  assert.equal(after(args(seq), '-protocol_whitelist'), 'file,pipe', 'image sequences too');
  assert.equal(after(args('rtsp://cam.example/stream'), '-protocol_whitelist'), 'rtsp,rtp,tcp,udp');
  assert.equal(after(args('http://cam.example/video.mjpg'), '-protocol_whitelist'), 'http,tcp');
  // httpproxy: how tls tunnels through the camera policy's proxy (ffmpeg-egress.ts).
  assert.equal(
    after(args('https://cam.example/live.m3u8'), '-protocol_whitelist'),
    'https,tls,tcp,httpproxy',
  );
  for (const url of ['rtsp://a/b', 'http://a/b', 'rtmp://a/b', 'udp://a:1', 'srt://a:1'])
    assert.ok(!after(args(url), '-protocol_whitelist')!.split(',').includes('file'), url);
});

/** An HLS playlist whose one segment is a local file (what a crafted upload looks like). */
const playlist = `#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\nfile://${ts}\n#EXT-X-ENDLIST\n`;

test('an uploaded "video" that is an HLS playlist of a local file is refused, and nothing of that file is decoded', async () => {
  const upload = path.join(dir, 'upload.mp4');
  fs.writeFileSync(upload, playlist);
  const r = await failure((async () => probeMedia(openSource(upload)))());
  assert.equal(r.code, 'unsupported_format', r.message);
  assert.match(r.message, /HLS playlist/);
  // The demuxer whitelist refuses it on its own, too (were the file not recognised up front).
  const unsniffed: VideoSource = { ...openSource(mp4), name: upload };
  unsniffed.inputArgs = unsniffed.inputArgs.map((a) => (a === `file:${mp4}` ? `file:${upload}` : a));
  const direct = await failure(probeMedia(unsniffed));
  assert.equal(direct.code, 'unsupported_format', direct.message);
  assert.match(direct.message, /in the hls format, not a video container Visage reads/);
  assert.equal((await failure(frames(unsniffed))).code, 'decode_failed');
  // A concat script is an indirect input as well.
  const concat = path.join(dir, 'upload2.mp4');
  fs.writeFileSync(concat, `ffconcat version 1.0\nfile '${ts}'\n`);
  assert.equal((await failure((async () => probeMedia(openSource(concat)))())).code, 'unsupported_format');
});

test('a camera URL serving a playlist that points at file:// cannot make ffmpeg read local files', async () => {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/vnd.apple.mpegurl' });
    res.end(playlist);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/live.m3u8`;
    const source = openSource(url);
    const probe = await failure(probeMedia(source));
    assert.notEqual(probe.code, 'ok', 'probing must fail');
    const decoded = await failure(frames({ ...source, live: false }));
    assert.notEqual(decoded.code, 'ok', 'no frame of the local file may come out');
  } finally {
    server.close();
  }
});

test('a camera URL answering 404 or refusing fails with a category, never the remote answer (no port scanner)', async () => {
  const server = http.createServer((_req, res) => {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('secret internal page');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const port = (server.address() as AddressInfo).port;
    const url = `http://user:pw@127.0.0.1:${port}/admin`;
    for (const run of [() => probeMedia(openSource(url)), () => frames(openSource(url))]) {
      const r = await failure(run());
      assert.notEqual(r.code, 'ok');
      // The port is dropped before looking for "404": a random port such as 44041 contains it.
      const answer = r.message.replaceAll(`:${port}`, ':PORT');
      assert.doesNotMatch(answer, /404|Not Found|Server returned|secret/i, r.message);
      assert.match(r.message, /not with a video stream/);
      assert.doesNotMatch(r.message, /user:pw/, 'credentials are masked');
    }
  } finally {
    server.close();
  }
  const refused = await failure(frames(openSource('http://127.0.0.1:9/live')));
  assert.match(refused.message, /connection was refused/);
});

test('url policy: loopback, link-local, metadata and multicast are told apart; refusals name the rule and the way to allow it', async () => {
  const { classifyAddress, checkStreamUrl, allowCameras, isNetworkUrl } =
    await import('../src/media/url-policy.js');
  assert.deepEqual(
    [
      '127.0.0.1',
      '::1',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '169.254.169.254',
      '169.254.10.1',
      '224.0.0.1',
      '0.0.0.0',
      '192.168.1.20',
      '8.8.8.8',
    ].map(classifyAddress),
    [
      'loopback',
      'loopback',
      'loopback',
      'loopback',
      'metadata',
      'link-local',
      'multicast',
      'unspecified',
      'public-or-private',
      'public-or-private',
    ],
  );
  const refused = await failure(checkStreamUrl('rtsp://127.0.0.1:1/x', ''));
  assert.equal(refused.code, 'camera_address_refused');
  assert.equal(
    (await failure(checkStreamUrl('rtsp://127.0.0.1:1/x', '127.0.0.0/8'))).code,
    'ok',
    'an admin allowlist opens it',
  );
  assert.equal(
    (await failure(checkStreamUrl('http://192.168.1.20/cam', ''))).code,
    'ok',
    'LAN cameras are fine',
  );
  assert.match(refused.message, /127\.0\.0\.1 is a loopback address \(127\.0\.0\.0\/8\)/);
  assert.match(refused.message, /VISAGE_CAMERA_ALLOW.*--camera-allow/);
  const named = await failure(checkStreamUrl('rtsp://localhost:1/x', ''));
  assert.equal(named.code, 'camera_address_refused', 'a name is judged by the addresses it resolves to');
  assert.match(named.message, /localhost resolves to (127\.0\.0\.1|::1)/);
  assert.equal((await failure(checkStreamUrl('rtsp://localhost:1/x', 'LOCALHOST'))).code, 'ok');
  const meta = await failure(checkStreamUrl('http://169.254.169.254/latest/', '127.0.0.0/8'));
  assert.match(meta.message, /metadata address \(169\.254\.169\.254\/32\)/);
  assert.equal(
    (await failure(checkStreamUrl('http://[::ffff:127.0.0.1]:9/', ''))).code,
    'camera_address_refused',
  );
  assert.equal((await failure(checkStreamUrl('http://[::ffff:127.0.0.1]:9/', '127.0.0.1'))).code, 'ok');
  assert.equal((await failure(checkStreamUrl('udp://224.0.0.1:5000', ''))).code, 'camera_address_refused');
  // Other spellings of loopback and metadata: decimal, hex, short forms, IPv4-mapped IPv6 (URL parsing
  // writes ::ffff:7f00:1), all judged by the address they resolve to.
  for (const url of [
    'rtsp://2130706433/x',
    'rtsp://0x7f.1/x',
    'http://127.1:9/',
    'http://[::ffff:7f00:1]:9/',
    'rtsp://[::ffff:a9fe:a9fe]/',
    'http://0.0.0.0:9/',
  ])
    assert.equal((await failure(checkStreamUrl(url, ''))).code, 'camera_address_refused', url);
  for (const bad of ['127.0.0.1/33', '10.0.0.0/x', 'a b', 'http://x'])
    assert.equal((await failure(checkStreamUrl('rtsp://10.0.0.1/x', bad))).code, 'invalid_option', bad);
  assert.throws(() => allowCameras('300.1.1.1/8,*'), /not a host name, an address or a CIDR range/);
  assert.deepEqual(
    ['rtsp://a/b', 'http://a', '/dev/video0', 'clip.mp4', 'file:///etc/passwd'].map(isNetworkUrl),
    [true, true, false, false, false],
  );
});

test('url policy in the frame reader: a live network source is checked before ffmpeg connects; files and `visage video` URLs are not', async () => {
  const saved = process.env.VISAGE_CAMERA_ALLOW;
  process.env.VISAGE_CAMERA_ALLOW = '';
  try {
    const live = await failure(frames(openSource('http://127.0.0.1:9/live')));
    assert.equal(live.code, 'camera_address_refused', live.message);
    const asFile = await failure(frames({ ...openSource('http://127.0.0.1:9/live'), live: false }));
    assert.match(asFile.message, /connection was refused/, 'a URL read like a file is not a camera');
    assert.equal(await frames(openSource(mp4)), 10, 'local files are not affected');
  } finally {
    process.env.VISAGE_CAMERA_ALLOW = saved;
  }
});

test('redirects: an allowed camera redirecting to file:// or another scheme gets nothing from ffmpeg', async () => {
  const targets = ['file:///etc/passwd', 'rtsp://127.0.0.1:9/x', `file://${mp4}`];
  let i = 0;
  const server = http.createServer((_req, res) => {
    res.writeHead(302, { location: targets[i++ % targets.length]! });
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cam`;
    for (let k = 0; k < targets.length; k++) {
      const r = await failure(frames(openSource(url)));
      assert.notEqual(r.code, 'ok', 'no frame may come out');
      assert.doesNotMatch(r.message, /root:|passwd|whitelist/i, r.message);
    }
  } finally {
    server.close();
  }
});
