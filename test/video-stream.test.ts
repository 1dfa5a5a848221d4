// `visage watch` on live sources: a stream served by ffmpeg on 127.0.0.1 is recognised as it plays, a
// server killed mid-stream leads to reconnection attempts with growing delays (not a crash), Ctrl-C stops
// cleanly, and sources that cannot be opened fail with a clear error within a bounded time. The camera
// address policy refuses loopback, link-local, metadata and multicast hosts unless allowed, so the
// streams served here on 127.0.0.1 are allowed explicitly (VISAGE_CAMERA_ALLOW or --camera-allow).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { facePath } from '../bench/dataset.js';
import { serveLiveStream } from '../bench/video-fixtures.js';
import { Visage } from '../src/service/visage.js';
import { runCli, runCliJson, visageArgs } from './support/cli.js';
import { freshDataDir } from './support/server.js';

const dataDir = freshDataDir('watch');
const data = ['--data', dataDir];

before(async () => {
  const visage = new Visage({ dataDir });
  await visage.enrollment.enroll('lin-manuel-miranda', [
    { source: facePath('scenes/lin-manuel-miranda.png') },
  ]);
  await visage.close();
});

/**
 * Waits until something listens on the port, read from the kernel's socket table: ffmpeg's `-listen 1`
 * server takes exactly one client, so probing it with a connection would use that up.
 */
async function waitListening(port: number, timeoutMs = 10_000): Promise<void> {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const end = Date.now() + timeoutMs; Date.now() < end; await sleep(50)) {
    const table = fs.readFileSync('/proc/net/tcp', 'utf8').split('\n');
    if (table.some((l) => l.trim().split(/\s+/)[1]?.endsWith(hex) && l.trim().split(/\s+/)[3] === '0A'))
      return;
  }
  throw new Error(`nothing listens on port ${port}`);
}

/** Collects a child's output and lets a test wait for a pattern in it (failing early if the child exits). */
class Output {
  text = '';
  constructor(
    stream: NodeJS.ReadableStream,
    private readonly child: ChildProcess,
  ) {
    stream.on('data', (b: Buffer) => (this.text += b.toString()));
  }
  async waitFor(pattern: RegExp, timeoutMs: number, what: string): Promise<RegExpMatchArray> {
    for (const end = Date.now() + timeoutMs; Date.now() < end; await sleep(100)) {
      const m = this.text.match(pattern);
      if (m) return m;
      if (this.child.exitCode !== null) break;
    }
    throw new Error(`no ${what} (exit code ${this.child.exitCode}); output so far:\n${this.text}`);
  }
}

const exited = (child: ChildProcess): Promise<number | null> =>
  new Promise((resolve) =>
    child.exitCode !== null ? resolve(child.exitCode) : child.on('close', (code) => resolve(code)),
  );

test('watch: a local HTTP stream is recognised live; a killed server means reconnecting with backoff; Ctrl-C exits 0', async () => {
  const stream = await serveLiveStream(facePath('video/hamilton_clip.mp4'));
  const watcher = spawn(
    process.execPath,
    visageArgs(['watch', stream.url, '--name', 'stage', '--json', '--timeout', '5', ...data]),
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, VISAGE_CAMERA_ALLOW: '127.0.0.1' },
    },
  );
  try {
    await waitListening(stream.port);
    const stdout = new Output(watcher.stdout!, watcher);
    const stderr = new Output(watcher.stderr!, watcher);
    await stdout.waitFor(
      /"type":"recognition"[^\n]*"name":"lin-manuel-miranda"/,
      60_000,
      'Lin-Manuel Miranda to be recognised',
    );
    await stderr.waitFor(/stage: live \(640×360\)/, 1000, 'the live state');
    for (const line of stdout.text.trim().split('\n')) {
      const event = JSON.parse(line) as { type: string; camera: string; time: string };
      assert.ok(
        ['recognition', 'track_end'].includes(event.type) &&
          event.camera === 'stage' &&
          !Number.isNaN(Date.parse(event.time)),
        line,
      );
    }

    stream.ffmpeg.kill('SIGKILL');
    await stderr.waitFor(
      /stage: lost \([^)]+\); reconnecting in 1 s \(attempt 1\)/,
      15_000,
      'the first reconnection',
    );
    await stderr.waitFor(/stage: connecting \(attempt 1\)/, 5000, 'a reconnection attempt');
    await stderr.waitFor(/reconnecting in 2 s \(attempt 2\)/, 10_000, 'the second, later reconnection');
    // The tracks cut short by the lost stream were ended and stored.
    assert.match(stdout.text, /"type":"track_end"[^\n]*"name":"lin-manuel-miranda"[^\n]*"eventId":\d+/);

    watcher.kill('SIGINT');
    assert.equal(await exited(watcher), 0, stderr.text);
    assert.match(stderr.text, /stage: stopped/);
    assert.doesNotMatch(stderr.text, /unexpected error/);
  } finally {
    stream.ffmpeg.kill('SIGKILL');
    watcher.kill('SIGKILL');
  }
  const visage = new Visage({ dataDir });
  try {
    const lin = visage.people.find('lin-manuel-miranda');
    assert.ok(visage.gallery.events.count({ source: 'stage', personId: lin.id }) >= 1);
  } finally {
    await visage.close();
  }
});

test('watch: a refused connection, a silent server and a missing camera fail clearly and quickly, exit 1', async () => {
  const refusedStart = Date.now();
  const refused = runCli([
    'watch',
    'http://127.0.0.1:9/live',
    '--timeout',
    '3',
    '--camera-allow',
    '127.0.0.1',
    ...data,
  ]);
  assert.equal(refused.status, 1, refused.stderr);
  assert.match(refused.stderr, /^visage: http:\/\/127\.0\.0\.1:9\/live: .*refused/im);
  assert.ok(Date.now() - refusedStart < 20_000);

  // Accepts the connection and never answers: only the watchdog can tell.
  const silent = net.createServer(() => {});
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const port = (silent.address() as net.AddressInfo).port;
  const silentStart = Date.now();
  const child = spawn(
    process.execPath,
    visageArgs(['watch', `http://127.0.0.1:${port}/cam`, '--timeout', '2', ...data]),
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, VISAGE_CAMERA_ALLOW: '127.0.0.0/8' } },
  );
  const stderr = new Output(child.stderr!, child);
  const status = await exited(child);
  silent.close();
  assert.equal(status, 1, stderr.text);
  assert.match(stderr.text, /no video within 2 s/);
  assert.ok(Date.now() - silentStart < 20_000, `took ${Date.now() - silentStart} ms`);

  const camera = runCli(['watch', '/dev/video97', ...data]);
  assert.equal(camera.status, 1);
  assert.match(camera.stderr, /camera \/dev\/video97 does not exist/);
});

test('watch: the camera address policy refuses loopback, metadata, multicast and names resolving to loopback, unless allowed', async () => {
  const noAllow = { VISAGE_CAMERA_ALLOW: '' };
  const cases: [string, string, RegExp][] = [
    ['http://127.0.0.1:9/live', 'loopback', /127\.0\.0\.1 is a loopback address \(127\.0\.0\.0\/8\)/],
    ['http://169.254.169.254/latest/meta-data/', 'metadata', /metadata address \(169\.254\.169\.254\/32\)/],
    ['rtsp://224.0.0.1:554/x', 'multicast', /multicast address \(224\.0\.0\.0\/4\)/],
    ['http://localhost:9/live', 'loopback', /localhost resolves to (127\.0\.0\.1|::1), a loopback address/],
  ];
  for (const [url, category, message] of cases) {
    const r = runCliJson<{ error: { code: string; message: string } }>(
      ['watch', url, '--timeout', '2', ...data],
      noAllow,
    );
    assert.equal(r.status, 1, `${url}: ${r.stderr}`);
    assert.equal(r.json.error.code, 'camera_address_refused', url);
    assert.match(r.json.error.message, message, url);
    assert.match(r.json.error.message, /VISAGE_CAMERA_ALLOW.*--camera-allow/, 'says how to allow it');
    assert.match(r.json.error.message, new RegExp(`a ${category} address`));
    assert.match(r.stderr, /^visage: .*camera address policy/m);
  }
  // Allowed when listed (by address, range or host name; in the environment or with --camera-allow): the
  // policy lets it through, and the connection itself then fails as it would anywhere.
  const allowed: [string, string[], Record<string, string>, RegExp][] = [
    ['http://127.0.0.1:9/live', ['--camera-allow', '127.0.0.1'], noAllow, /refused/],
    ['http://localhost:9/live', ['--camera-allow', 'localhost'], noAllow, /refused/],
    ['http://127.0.0.1:9/live', [], { VISAGE_CAMERA_ALLOW: '10.0.0.0/8, 127.0.0.0/8' }, /refused/],
    ['http://169.254.169.254:9/x', ['--camera-allow', '169.254.169.254'], noAllow, /./],
  ];
  for (const [url, args, env, message] of allowed) {
    const r = runCliJson<{ error: { code: string; message: string } }>(
      ['watch', url, '--timeout', '2', ...args, ...data],
      env,
    );
    assert.equal(r.status, 1, `${url}: ${r.stderr}`);
    assert.notEqual(r.json.error.code, 'camera_address_refused', `${url} ${args.join(' ')}`);
    assert.match(r.json.error.message, message);
  }
  const bad = runCliJson<{ error: { code: string; message: string } }>(
    ['watch', 'http://127.0.0.1:9/live', '--camera-allow', '127.0.0.1/99', ...data],
    noAllow,
  );
  assert.equal(bad.status, 1);
  assert.equal(bad.json.error.code, 'invalid_option');
  assert.match(bad.json.error.message, /127\.0\.0\.1\/99/);
});
