// Issue 11, item 8: a malformed-input corpus, generated here. Images and videos go through the real HTTP
// API (POST /recognize, POST /videos), archives through the import; for each input: the expected error
// code (or, for mutations that may leave a valid file, a valid result), never a 5xx or an unexpected
// error, the server still answering, and nothing stored when refused. The counts per code are written to
// test-output/hardening-corpus.json and reported as a diagnostic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import sharp from 'sharp';
import { facePath } from '../bench/dataset.js';
import { Gallery } from '../src/gallery/gallery.js';
import { isVisageError } from '../src/errors.js';
import { ffmpegPath } from '../src/media/ffmpeg.js';
import { importArchive } from '../src/service/archive/archive.js';
import { dumpDatabase, unitVector, validParts, writeArchive, type ArchiveParts } from './support/archives.js';
import { tempDir } from './support/cli.js';
import { bombPng } from './support/images.js';
import { keyClient, setUpAdmin, startServer, type ApiClient, type TestServer } from './support/server.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const work = tempDir('hardening-corpus');

/** One corpus entry: what it is, its bytes (or file), and the outcomes that are right for it. */
interface Case {
  kind: 'image' | 'video' | 'archive';
  name: string;
  bytes: Buffer;
  /** Allowed outcomes: error codes, or 'ok' where the mutation may leave a valid input. */
  expect: readonly string[];
}

const counts: Record<string, Record<string, number>> = { image: {}, video: {}, archive: {} };
const tally = (c: Case, outcome: string): void => {
  counts[c.kind]![outcome] = (counts[c.kind]![outcome] ?? 0) + 1;
};

/** A small deterministic PRNG (mulberry32), so the corpus is the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function flipBits(bytes: Buffer, flips: number, rand: () => number, from = 0, to = bytes.length): Buffer {
  const out = Buffer.from(bytes);
  for (let i = 0; i < flips; i++) {
    const at = from + Math.floor(rand() * (to - from));
    out[at]! ^= 1 << Math.floor(rand() * 8);
  }
  return out;
}

/** Offsets spread over a file: the first bytes (magic, header) densely, then evenly to the end. */
function offsets(length: number, n: number): number[] {
  const head = [1, 2, 3, 4, 6, 8, 12, 16, 24, 33, 64, 100];
  const rest = Array.from({ length: n - head.length }, (_, i) =>
    Math.floor(((i + 1) * length) / (n - head.length + 1)),
  );
  return [...new Set([...head, ...rest])].filter((k) => k > 0 && k < length).sort((a, b) => a - b);
}

function pngWithIhdr(width: number, height: number, bitDepth = 8, colourType = 2): Buffer {
  const png = bombPng(Math.max(1, width), Math.max(1, height));
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  png[24] = bitDepth;
  png[25] = colourType;
  png.writeUInt32BE(zlib.crc32(png.subarray(12, 29)), 29);
  return png;
}

// ---- images ----------------------------------------------------------------------------------------

const IMAGE_ERRORS = ['corrupt_image', 'unsupported_format', 'empty_file', 'image_too_large'];

async function imageCases(): Promise<Case[]> {
  const jpeg = fs.readFileSync(facePath('scenes/obama-480p.jpg'));
  const png = await sharp(jpeg).resize(320).png().toBuffer();
  const webp = await sharp(jpeg).resize(320).webp().toBuffer();
  const gif = await sharp(jpeg).resize(160).gif().toBuffer();
  const cases: Case[] = [];
  const add = (name: string, bytes: Buffer, ...expect: string[]): void => {
    cases.push({ kind: 'image', name, bytes, expect });
  };
  add('empty.jpg', Buffer.alloc(0), 'empty_file');
  // Truncated: before the end of the magic the format is unknown; after it the data is cut off.
  for (const k of offsets(jpeg.length, 30))
    add(`truncated-${k}.jpg`, jpeg.subarray(0, k), k < 2 ? 'unsupported_format' : 'corrupt_image');
  for (const k of offsets(png.length, 16))
    add(`truncated-${k}.png`, png.subarray(0, k), k < 8 ? 'unsupported_format' : 'corrupt_image');
  for (const k of offsets(webp.length, 6))
    add(`truncated-${k}.webp`, webp.subarray(0, k), 'corrupt_image', 'unsupported_format');
  for (const k of offsets(gif.length, 6))
    add(`truncated-${k}.gif`, gif.subarray(0, k), 'corrupt_image', 'unsupported_format');
  // Bit flips: in the entropy-coded data a flip often still decodes (to a damaged picture): also right.
  const rand = prng(11);
  for (let i = 0; i < 14; i++)
    add(`flipped-${i}.jpg`, flipBits(jpeg, 1 + i, rand), 'ok', 'corrupt_image', 'unsupported_format');
  for (let i = 0; i < 8; i++)
    add(`flipped-${i}.png`, flipBits(png, 1 + i, rand), 'ok', 'corrupt_image', 'unsupported_format');
  for (let i = 0; i < 4; i++)
    add(
      `flipped-header-${i}.jpg`,
      flipBits(jpeg, 4, rand, 2, 600),
      'ok',
      'corrupt_image',
      'unsupported_format',
    );
  // Wrong magic.
  add('text.jpg', Buffer.from('hello, I am not a picture\n'), 'unsupported_format');
  add('html.jpg', Buffer.from('<!doctype html><img src=x onerror=alert(1)>'), 'unsupported_format');
  add('pdf.jpg', Buffer.from('%PDF-1.7\n1 0 obj << >> endobj\n'), 'unsupported_format');
  add(
    'elf.png',
    Buffer.concat([Buffer.from('\x7fELF\x02\x01\x01'), Buffer.alloc(200)]),
    'unsupported_format',
  );
  add('zeros.jpg', Buffer.alloc(4096), 'unsupported_format');
  add(
    'png-magic-jpeg-body.png',
    Buffer.concat([png.subarray(0, 8), jpeg.subarray(8)]),
    'corrupt_image',
    'unsupported_format',
  );
  add(
    'jpeg-magic-png-body.jpg',
    Buffer.concat([jpeg.subarray(0, 3), png.subarray(3)]),
    'corrupt_image',
    'unsupported_format',
  );
  add(
    'gif-magic-garbage.gif',
    Buffer.concat([Buffer.from('GIF89a'), Buffer.alloc(100, 0xab)]),
    'corrupt_image',
    'unsupported_format',
  );
  add(
    'riff-not-webp.webp',
    Buffer.concat([Buffer.from('RIFF\x10\x00\x00\x00WAVE'), Buffer.alloc(64)]),
    'unsupported_format',
    'corrupt_image',
  );
  add(
    'svg.jpg',
    Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>'),
    'unsupported_format',
  );
  add(
    'svg-external.svg',
    Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="9" height="9"><image xlink:href="file:///etc/passwd"/></svg>',
    ),
    'unsupported_format',
  );
  // Extreme dimensions: headers claiming far more than the limit are refused before decoding.
  add('bomb-65535x65535.png', bombPng(65535, 65535), 'image_too_large');
  add('bomb-20000x20000.png', bombPng(20000, 20000), 'image_too_large');
  add('bomb-100000x1000.png', bombPng(100000, 1000), 'image_too_large');
  add('bomb-1x2000000000.png', pngWithIhdr(1, 2_000_000_000), 'image_too_large', 'corrupt_image');
  add('zero-width.png', pngWithIhdr(0, 100), 'corrupt_image', 'unsupported_format');
  add('16-bit-bomb.png', pngWithIhdr(30000, 30000, 16, 6), 'image_too_large');
  const jpegBomb = Buffer.from(jpeg);
  // The SOF0 frame header's height and width fields (after FF C0, length, precision).
  const sof = jpegBomb.indexOf(Buffer.from([0xff, 0xc0]));
  if (sof > 0) {
    jpegBomb.writeUInt16BE(65000, sof + 5);
    jpegBomb.writeUInt16BE(65000, sof + 7);
    add('bomb-65000x65000.jpg', jpegBomb, 'image_too_large');
  }
  // Real images at extreme aspect ratios, under the limit: processed (no face).
  for (const [w, h] of [
    [65535, 700],
    [30000, 1600],
    [1, 1],
    [1, 20000],
    [20000, 1],
  ] as const) {
    add(
      `real-${w}x${h}.png`,
      await sharp({ create: { width: w, height: h, channels: 3, background: '#555' } })
        .png()
        .toBuffer(),
      'ok',
    );
  }
  return cases;
}

// ---- videos ----------------------------------------------------------------------------------------

const VIDEO_ERRORS = [
  'unreadable_video',
  'no_video_stream',
  'decode_failed',
  'unsupported_format',
  'empty_file',
];

function ffmpeg(args: string[], out: string): Buffer {
  const file = path.join(work, out);
  const r = spawnSync(ffmpegPath(), ['-v', 'error', ...args, '-y', file]);
  assert.equal(r.status, 0, String(r.stderr));
  return fs.readFileSync(file);
}

function videoCases(): Case[] {
  const src = ['-f', 'lavfi', '-i', 'testsrc=size=96x64:rate=10', '-t', '1'];
  const mp4 = ffmpeg([...src, '-c:v', 'mpeg4'], 'v.mp4');
  const ts = ffmpeg([...src, '-c:v', 'mpeg2video'], 'v.ts');
  const mkv = ffmpeg([...src, '-c:v', 'mpeg4'], 'v.mkv');
  const wav = ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=1'], 'a.wav');
  const cases: Case[] = [];
  const add = (name: string, bytes: Buffer, ...expect: string[]): void => {
    cases.push({ kind: 'video', name, bytes, expect });
  };
  // An MP4 whose index (moov) is at the end: cut anywhere, it has no index.
  for (const k of offsets(mp4.length, 16)) add(`truncated-${k}.mp4`, mp4.subarray(0, k), 'unreadable_video');
  // MPEG-TS and Matroska are streamable: a cut file may still play up to the cut.
  for (const k of offsets(ts.length, 8))
    add(`truncated-${k}.ts`, ts.subarray(0, k), 'ok', 'unreadable_video', 'no_video_stream', 'decode_failed');
  for (const k of offsets(mkv.length, 6))
    add(
      `truncated-${k}.mkv`,
      mkv.subarray(0, k),
      'ok',
      'unreadable_video',
      'no_video_stream',
      'decode_failed',
    );
  const rand = prng(23);
  for (let i = 0; i < 6; i++) add(`flipped-${i}.mp4`, flipBits(mp4, 2 + i * 3, rand), 'ok', ...VIDEO_ERRORS);
  for (let i = 0; i < 4; i++) add(`flipped-${i}.ts`, flipBits(ts, 2 + i * 3, rand), 'ok', ...VIDEO_ERRORS);
  add('text.mp4', Buffer.from('this is not a video\n'.repeat(20)), 'unreadable_video');
  add('zeros.mp4', Buffer.alloc(8192), 'unreadable_video');
  add('audio-only.mp4', wav, 'no_video_stream');
  add(
    'hls-playlist.mp4',
    Buffer.from(`#EXTM3U\n#EXTINF:1.0,\nfile://${path.join(work, 'v.ts')}\n#EXT-X-ENDLIST\n`),
    'unsupported_format',
  );
  add(
    'hls-with-bom.mp4',
    Buffer.from(`\uFEFF#EXTM3U\n#EXTINF:1.0,\nfile:///etc/passwd\n`),
    'unsupported_format',
  );
  add(
    'concat-script.mp4',
    Buffer.from(`ffconcat version 1.0\nfile '${path.join(work, 'v.mp4')}'\n`),
    'unsupported_format',
  );
  add(
    'sdp.mp4',
    Buffer.from('v=0\no=- 0 0 IN IP4 127.0.0.1\ns=x\nc=IN IP4 127.0.0.1\nm=video 5004 RTP/AVP 96\n'),
    'unsupported_format',
  );
  add('ffmetadata.mp4', Buffer.from(';FFMETADATA1\ntitle=x\n'), 'unsupported_format');
  add('html.mp4', Buffer.from('<html><body>not a video</body></html>'), 'unreadable_video');
  add('elf.mp4', Buffer.concat([Buffer.from('\x7fELF\x02\x01\x01'), Buffer.alloc(2000)]), 'unreadable_video');
  add(
    'mp4-magic-garbage.mp4',
    Buffer.concat([mp4.subarray(0, 32), Buffer.alloc(4000, 0x5a)]),
    'unreadable_video',
  );
  return cases;
}

// ---- archives --------------------------------------------------------------------------------------

type Change = (p: ArchiveParts) => void;

async function archiveCases(): Promise<Case[]> {
  const cases: Case[] = [];
  let n = 0;
  const build = async (change: Change, manifestBytes?: Buffer): Promise<Buffer> => {
    const parts = await validParts(3);
    change(parts);
    return fs.readFileSync(writeArchive(path.join(work, `c${n++}.tar`), parts, manifestBytes));
  };
  const add = async (name: string, change: Change, ...expect: string[]): Promise<void> => {
    cases.push({ kind: 'archive', name, bytes: await build(change), expect });
  };
  const valid = await build(() => {});
  for (const k of offsets(valid.length, 24))
    cases.push({
      kind: 'archive',
      name: `truncated-${k}.tar`,
      bytes: valid.subarray(0, k),
      expect: ['invalid_archive'],
    });
  // Flips in the first header (name, size, checksum fields): the checksum catches every one.
  const rand = prng(5);
  for (let i = 0; i < 10; i++)
    cases.push({
      kind: 'archive',
      name: `flipped-header-${i}.tar`,
      bytes: flipBits(valid, 1, rand, 0, 500),
      expect: ['invalid_archive'],
    });
  cases.push({ kind: 'archive', name: 'empty.tar', bytes: Buffer.alloc(0), expect: ['invalid_archive'] });
  cases.push({
    kind: 'archive',
    name: 'jpeg.tar',
    bytes: fs.readFileSync(facePath('scenes/obama.jpg')),
    expect: ['invalid_archive'],
  });
  cases.push({ kind: 'archive', name: 'zeros.tar', bytes: Buffer.alloc(10240), expect: ['invalid_archive'] });
  cases.push({
    kind: 'archive',
    name: 'not-json.tar',
    bytes: await build(() => {}, Buffer.from('{"format": "visage-archive",')),
    expect: ['invalid_archive'],
  });
  cases.push({
    kind: 'archive',
    name: 'json-null.tar',
    bytes: await build(() => {}, Buffer.from('null')),
    expect: ['invalid_archive'],
  });
  cases.push({
    kind: 'archive',
    name: 'json-array.tar',
    bytes: await build(() => {}, Buffer.from('[1,2,3]')),
    expect: ['invalid_archive'],
  });
  const m =
    (f: (manifest: ArchiveParts['manifest']) => void): Change =>
    (p) =>
      f(p.manifest);
  const malicious: [string, Change, string][] = [
    ['no-manifest', (p) => ((p as { manifest: unknown }).manifest = undefined), 'invalid_archive'],
    ['format-other', m((x) => (x.format = 'tar')), 'invalid_archive'],
    ['version-2', m((x) => (x.version = 2)), 'unsupported_archive_version'],
    ['version-string', m((x) => (x.version = '1')), 'unsupported_archive_version'],
    ['models-null', m((x) => (x.models = null)), 'invalid_archive'],
    ['people-object', m((x) => (x.people = { length: 3 })), 'invalid_archive'],
    ['events-string', m((x) => (x.events = 'none')), 'invalid_archive'],
    ['dim-64', m((x) => (x.models[0].dim = 64)), 'dimension_mismatch'],
    ['dim-negative', m((x) => (x.models[0].dim = -128)), 'invalid_archive'],
    ['rows-too-many', m((x) => (x.models[0].rows += 1)), 'invalid_archive'],
    ['rows-fraction', m((x) => (x.models[0].rows = 1.5)), 'invalid_archive'],
    ['model-file-traversal', m((x) => (x.models[0].file = '../../../etc/passwd')), 'invalid_archive'],
    ['model-twice', m((x) => x.models.push({ ...x.models[0] })), 'invalid_archive'],
    ['model-unknown', m((x) => (x.models[0].id = '<script>')), 'invalid_archive'],
    ['vectors-missing', (p) => p.entries.delete('vectors/0.f32'), 'invalid_archive'],
    [
      'vectors-nan',
      (p) =>
        p.entries.set(
          'vectors/0.f32',
          Buffer.from(new Float32Array(p.manifest.models[0].rows * 128).fill(NaN).buffer),
        ),
      'invalid_archive',
    ],
    [
      'vectors-1e30',
      (p) =>
        p.entries.set(
          'vectors/0.f32',
          Buffer.from(new Float32Array(p.manifest.models[0].rows * 128).fill(1e30).buffer),
        ),
      'invalid_archive',
    ],
    [
      'vectors-zero',
      (p) => p.entries.set('vectors/0.f32', Buffer.alloc(p.manifest.models[0].rows * 512)),
      'invalid_archive',
    ],
    [
      'vectors-half-length',
      (p) => p.entries.set('vectors/0.f32', Buffer.from(unitVector(3).map((x) => x / 2).buffer)),
      'invalid_archive',
    ],
    ['person-id-string', m((x) => (x.people[0].id = '1')), 'invalid_archive'],
    ['person-id-duplicate', m((x) => (x.people[1].id = x.people[0].id)), 'invalid_archive'],
    ['person-name-empty', m((x) => (x.people[0].name = '   ')), 'invalid_archive'],
    ['person-name-control', m((x) => (x.people[0].name = 'a\u0000b')), 'invalid_archive'],
    ['person-name-object', m((x) => (x.people[0].name = { toString: 1 })), 'invalid_archive'],
    ['person-name-long', m((x) => (x.people[0].name = 'x'.repeat(5000))), 'invalid_archive'],
    [
      'person-name-duplicate',
      m((x) => (x.people[1].name = x.people[0].name.toUpperCase())),
      'invalid_archive',
    ],
    ['person-note-long', m((x) => (x.people[0].note = 'n'.repeat(20_000))), 'invalid_archive'],
    [
      'person-proto',
      m((x) => (x.people[0] = JSON.parse('{"__proto__": {"admin": true}}'))),
      'invalid_archive',
    ],
    ['person-created-negative', m((x) => (x.people[0].createdAt = -5)), 'invalid_archive'],
    ['person-created-huge', m((x) => (x.people[0].createdAt = 1e300)), 'invalid_archive'],
    ['samples-null', m((x) => (x.people[2].samples = null)), 'invalid_archive'],
    ['sample-box-evil', m((x) => (x.people[0].samples[0].box = 'evil')), 'invalid_archive'],
    [
      'sample-box-nan',
      m((x) => (x.people[0].samples[0].box = { x: 'NaN', y: 0, width: 1, height: 1 })),
      'invalid_archive',
    ],
    ['sample-box-negative-size', m((x) => (x.people[0].samples[0].box.width = -10)), 'invalid_archive'],
    ['sample-quality-array', m((x) => (x.people[0].samples[0].quality = [1, 2])), 'invalid_archive'],
    [
      'sample-quality-string',
      m((x) => (x.people[0].samples[0].quality = { size: 'big' })),
      'invalid_archive',
    ],
    ['sample-no-embedding', m((x) => (x.people[0].samples[0].embeddings = [])), 'invalid_archive'],
    [
      'sample-two-of-one-model',
      m((x) => x.people[0].samples[0].embeddings.push(x.people[0].samples[1].embeddings[0])),
      'invalid_archive',
    ],
    [
      'sample-shared-vector',
      m((x) => (x.people[0].samples[1].embeddings = [...x.people[0].samples[0].embeddings])),
      'invalid_archive',
    ],
    [
      'sample-row-out-of-range',
      m((x) => (x.people.at(-1).samples.at(-1).embeddings[0].row = 10_000)),
      'invalid_archive',
    ],
    [
      'sample-model-out-of-range',
      m((x) => (x.people[0].samples[0].embeddings[0].model = 3)),
      'invalid_archive',
    ],
    ['sample-row-negative', m((x) => (x.people[0].samples[0].embeddings[0].row = -1)), 'invalid_archive'],
    ['sample-hash-empty', m((x) => (x.people[0].samples[0].contentHash = '')), 'invalid_archive'],
    [
      'sample-hash-duplicate',
      m((x) => (x.people[0].samples[1].contentHash = x.people[0].samples[0].contentHash)),
      'invalid_archive',
    ],
    [
      'sample-id-duplicate',
      m((x) => (x.people[1].samples[0].id = x.people[0].samples[0].id)),
      'invalid_archive',
    ],
    [
      'crop-html',
      (p) => p.entries.set('crops/1.jpg', Buffer.from('<html><script>alert(1)</script></html>')),
      'invalid_archive',
    ],
    ['crop-missing', (p) => p.entries.delete('crops/2.jpg'), 'invalid_archive'],
    ['crop-traversal', m((x) => (x.people[0].samples[0].crop = '../../../../etc/passwd')), 'invalid_archive'],
    [
      'crop-truncated',
      (p) => p.entries.set('crops/3.jpg', p.entries.get('crops/3.jpg')!.subarray(0, 200)),
      'invalid_archive',
    ],
    [
      'crop-too-large',
      (p) =>
        p.entries.set(
          'crops/4.jpg',
          Buffer.concat([p.entries.get('crops/4.jpg')!, Buffer.alloc(3 * 2 ** 20)]),
        ),
      'invalid_archive',
    ],
    [
      'event-no-source',
      m((x) => x.events.forEach((e: { source?: string }) => delete e.source)),
      'invalid_archive',
    ],
    ['event-person-missing', m((x) => (x.events[0].personId = 99)), 'invalid_archive'],
    ['event-score-2', m((x) => (x.events[0].score = 2)), 'invalid_archive'],
    ['event-frame-fraction', m((x) => (x.events[0].frame = 0.5)), 'invalid_archive'],
    ['event-box-missing', m((x) => (x.events[0].box = null)), 'invalid_archive'],
    [
      'event-duplicate',
      m((x) => x.events.push({ ...x.events[0], id: 999, embedding: null })),
      'invalid_archive',
    ],
    [
      'event-snapshot-png',
      (p) => p.entries.set('snapshots/1.jpg', fs.readFileSync(facePath('scenes/alex-lacamoire.png'))),
      'invalid_archive',
    ],
    ['negative-event-missing', m((x) => (x.people[0].negatives[0].eventId = 77)), 'invalid_archive'],
    ['negative-vector-missing', m((x) => (x.people[0].negatives[0].vector = null)), 'invalid_archive'],
  ];
  for (const [name, change, code] of malicious) await add(`${name}.tar`, change, code);
  // A crop of 5000×5000 px (a photo, not a crop): refused for its size.
  const bigCrop = await sharp({ create: { width: 5000, height: 5000, channels: 3, background: '#123' } })
    .jpeg({ quality: 10 })
    .toBuffer();
  await add('crop-5000px.tar', (p) => p.entries.set('crops/5.jpg', bigCrop), 'invalid_archive');
  return cases;
}

// ---- the run ---------------------------------------------------------------------------------------

let server: TestServer;
let viewer: ApiClient;

function stored(s: TestServer): string {
  const g = s.context.visage.gallery;
  return JSON.stringify([g.people.list().length, g.events.list({ limit: 1000 }).length, g.samples.models()]);
}

test(
  'malformed-input corpus: right code, no 5xx, no crash, nothing stored',
  { timeout: 10 * 60_000 },
  async (t) => {
    const started = Date.now();
    const images = await imageCases();
    const videos = videoCases();
    const archives = await archiveCases();
    const all = [...images, ...videos, ...archives];
    assert.ok(all.length >= 200, `only ${all.length} inputs`);

    server = await startServer(import.meta.filename);
    try {
      const admin = await setUpAdmin(server);
      viewer = await keyClient(admin, 'viewer');
      const wrong: string[] = [];
      const check = (c: Case, outcome: string, detail = ''): void => {
        tally(c, outcome);
        if (!c.expect.includes(outcome))
          wrong.push(`${c.kind} ${c.name}: ${outcome} (expected ${c.expect.join('|')}) ${detail}`);
      };

      for (const c of images) {
        const before = stored(server);
        const res = await viewer.upload('/recognize', { file: { name: c.name, bytes: c.bytes } });
        assert.ok(res.status < 500, `${c.name}: ${res.status} ${res.text.slice(0, 300)}`);
        const result = res.body?.results?.[0] ?? res.body;
        const code =
          res.status === 200
            ? (result?.error?.code ?? 'ok')
            : (res.body?.error?.code ?? `http_${res.status}`);
        check(c, code, res.text.slice(0, 200));
        if (code !== 'ok') assert.equal(stored(server), before, `${c.name}: something was stored`);
        else assert.ok(IMAGE_ERRORS.length > 0);
      }

      for (const c of videos) {
        const before = stored(server);
        const res = await viewer.upload('/videos', { file: { name: c.name, bytes: c.bytes } });
        assert.ok(res.status < 500, `${c.name}: ${res.status} ${res.text.slice(0, 300)}`);
        if (res.status !== 202) {
          check(c, res.body?.error?.code ?? `http_${res.status}`);
          continue;
        }
        let job = (await viewer.get(`/videos/${res.body.id}`)).body;
        const deadline = Date.now() + 60_000;
        while (job.state !== 'done' && job.state !== 'failed' && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 50));
          job = (await viewer.get(`/videos/${res.body.id}`)).body;
        }
        assert.ok(job.state === 'done' || job.state === 'failed', `${c.name}: job still ${job.state}`);
        const code = job.state === 'done' ? 'ok' : job.error.code;
        assert.notEqual(code, 'internal_error', `${c.name}: ${job.error?.message}`);
        check(c, code, job.error?.message ?? '');
        if (code !== 'ok') assert.equal(stored(server), before, `${c.name}: something was stored`);
      }
      assert.equal((await viewer.get('/session')).status, 200, 'the server still answers');
      assert.ok(VIDEO_ERRORS.length > 0);

      const dataDir = tempDir('hardening-corpus-db');
      const g = Gallery.open(dataDir);
      g.enrol({ name: 'Already Here' }, [
        { contentHash: 'seed', embeddings: [{ modelId: 'dlib-resnet', vector: unitVector(999) }] },
      ]);
      g.close();
      const before = dumpDatabase(dataDir);
      for (const c of archives) {
        const file = path.join(work, `in-${c.name}`);
        fs.writeFileSync(file, c.bytes);
        const gallery = Gallery.open(dataDir);
        let code = 'ok';
        try {
          await importArchive(gallery, file);
        } catch (e) {
          assert.ok(isVisageError(e), `${c.name}: unexpected ${(e as Error).stack}`);
          code = e.code;
        } finally {
          gallery.close();
        }
        check(c, code);
        assert.equal(dumpDatabase(dataDir), before, `${c.name}: the database changed`);
      }

      assert.deepEqual(wrong, []);
      const seconds = (Date.now() - started) / 1000;
      const summary = {
        inputs: {
          images: images.length,
          videos: videos.length,
          archives: archives.length,
          total: all.length,
        },
        counts,
        seconds,
      };
      fs.mkdirSync(path.join(ROOT, 'test-output'), { recursive: true });
      fs.writeFileSync(
        path.join(ROOT, 'test-output/hardening-corpus.json'),
        JSON.stringify(summary, null, 2),
      );
      t.diagnostic(JSON.stringify(summary));
    } finally {
      await server.close();
    }
  },
);
