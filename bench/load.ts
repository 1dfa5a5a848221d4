// npm run bench:load — the real server (`visage serve`, its own process) under concurrent load:
// 50 recognitions of scenes/bbt3.jpg, 20 enrolments into one person and the fuzz mix (malformed,
// truncated, bit-flipped, oversized and extreme-aspect images to recognize and enrol, and malformed
// requests), all at once. Checks every request is answered, no 5xx, no sample is lost or stored twice,
// and the server's memory (RSS) at start, at peak and after a quiet wait (LOAD_QUIET_S, default 60 s:
// what the process gives back once idle); then stops the server with SIGTERM. Ends with one line of JSON.
// The server runs with MALLOC_ARENA_MAX=2 as `npm start` does (LOAD_MALLOC_ARENA_MAX= for glibc's default).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp, { type Sharp } from 'sharp';
import type { EnrollReport } from '../src/service/enroll/enrollment.js';
import { facePath, galleryImages, loadLabels } from './dataset.js';
import { ApiClient, sessionCookie, type Reply, type Upload } from '../test/support/server.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const MODEL_CACHE = path.join(os.tmpdir(), 'visage-bench-models');
const PASSWORD = 'load-bench-password';

export interface LoadOptions {
  recognitions: number;
  enrolments: number;
  /** Rounds of the same load: a leak shows as RSS still climbing after the first. */
  rounds: number;
  /** Fuzz requests per round, sent alongside (issue 11: the fuzz mix must give no 5xx). */
  fuzz?: number;
  /** Idle wait after the last round before the final RSS reading, s. */
  quietS?: number;
  log?: (line: string) => void;
}

export interface RoundReport {
  recognitions: {
    sent: number;
    ok: number;
    allNamed: number;
    seconds: number;
    perSecond: number;
    p50Ms: number;
    p95Ms: number;
    maxMs: number;
  };
  enrolments: {
    sent: number;
    ok: number;
    accepted: number;
    duplicates: number;
    stored: number;
    distinctStored: number;
    expected: number;
  };
  fuzz: { sent: number; byStatus: Record<string, number>; serverErrors: number };
  otherStatuses: Record<string, number>;
  rssMiB: { peak: number; end: number };
}

export interface LoadReport {
  /** RSS after the warm-up (one request of each kind), before the load. */
  startRssMiB: number;
  rounds: RoundReport[];
  /** Highest RSS seen during any round. */
  peakRssMiB: number;
  /** RSS after `quietS` seconds with no requests. */
  afterQuiet: { seconds: number; rssMiB: number };
  /** 5xx answers over all rounds (recognitions, enrolments and fuzz). */
  serverErrors: number;
  shutdown: { exitCode: number | null; ms: number };
}

/**
 * glibc malloc arenas of the server: 2, as `npm start` runs it (package.json; why: bin/visage.js).
 * `LOAD_MALLOC_ARENA_MAX=` (empty) measures glibc's default (8 per core) instead.
 */
const MALLOC_ARENA_MAX = process.env.LOAD_MALLOC_ARENA_MAX ?? '2';

/** A running `visage serve` on a fresh data directory (with the shared model cache), started as `npm start` does. */
export async function startServeProcess(
  env: Record<string, string> = {},
  args: string[] = [],
): Promise<{ child: ChildProcess; url: string; dataDir: string }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'visage-load-'));
  fs.mkdirSync(MODEL_CACHE, { recursive: true });
  fs.symlinkSync(MODEL_CACHE, path.join(dataDir, 'models'));
  const { MALLOC_ARENA_MAX: inherited, ...parentEnv } = process.env;
  const arenas = inherited ?? MALLOC_ARENA_MAX;
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', '0', '--data', dataDir, ...args],
    {
      cwd: ROOT,
      env: {
        ...parentEnv,
        ...(arenas ? { MALLOC_ARENA_MAX: arenas } : {}),
        VISAGE_ADMIN_PASSWORD: PASSWORD,
        VISAGE_LOG_LEVEL: 'warn',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /running at (http:\/\/\S+?)\/?\n/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`visage serve exited (${code}): ${stderr}`)));
  });
  return { child, url, dataDir };
}

export function rssMiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

/**
 * Distinct images of one face: amy's five photos, each as is, mirrored, brighter and smaller (amy is not
 * in bbt3.jpg, so the enrolments do not change what the concurrent recognitions should answer).
 */
async function faceVariants(count: number): Promise<Upload[]> {
  const photos = galleryImages('people').get('amy')!;
  const variants: Upload[] = [];
  const edits: [string, (s: Sharp) => Sharp][] = [
    ['plain', (s) => s],
    ['mirrored', (s) => s.flop()],
    ['brighter', (s) => s.modulate({ brightness: 1.1 })],
    ['smaller', (s) => s.resize(140)],
  ];
  for (const [edit, apply] of edits) {
    for (const file of photos) {
      variants.push({
        name: `${edit}-${path.basename(file)}`,
        bytes: await apply(sharp(file)).png().toBuffer(),
        type: 'image/png',
      });
    }
  }
  return variants.slice(0, count);
}

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

export async function runLoad({
  recognitions,
  enrolments,
  rounds,
  fuzz = Infinity,
  quietS = 60,
  log = () => {},
}: LoadOptions): Promise<LoadReport> {
  const { child, url } = await startServeProcess();
  try {
    const login = await new ApiClient(url).post('/session', { username: 'admin', password: PASSWORD });
    const session = new ApiClient(url, {
      cookie: sessionCookie(login.headers),
      csrfToken: login.body.csrfToken,
    });
    const api = new ApiClient(url, {
      apiKey: (await session.post('/api-keys', { name: 'load', role: 'admin' })).body.key,
    });
    for (const [name, files] of galleryImages('people')) {
      await api.upload('/enroll', {
        name,
        file: files.map((f) => ({ name: path.basename(f), bytes: fs.readFileSync(f) })),
      });
    }
    const variants = await faceVariants(enrolments);
    const fuzzCases = await fuzzMix();
    const scene = {
      name: 'bbt3.jpg',
      bytes: fs.readFileSync(facePath('scenes/bbt3.jpg')),
      type: 'image/jpeg',
    };

    // Warm up with one request of each kind (models, allocator pools), let the process settle, then take
    // the starting level.
    const warm = (await api.post('/people', { name: 'warm-up' })).body.id as number;
    await api.upload(`/people/${warm}/samples?force=true`, { file: variants.slice(0, 2) });
    await api.upload('/recognize', { file: scene });
    await new Promise((r) => setTimeout(r, 1000));
    const startRssMiB = rssMiB(child.pid!);
    log(`server ${url}, RSS ${startRssMiB.toFixed(0)} MiB after warm-up`);

    const reports: RoundReport[] = [];
    for (let round = 1; round <= rounds; round++) {
      const target = (await api.post('/people', { name: `load target ${round}` })).body.id as number;
      // Fuzz enrolments go to a person of their own: the target's samples are counted.
      const fuzzTarget = (await api.post('/people', { name: `fuzz target ${round}` })).body.id as number;
      reports.push(
        await loadRound(
          api,
          child.pid!,
          target,
          scene,
          variants,
          recognitions,
          fuzzCases.slice(0, fuzz),
          fuzzTarget,
        ),
      );
      log(`round ${round}: ${JSON.stringify(reports.at(-1))}`);
    }
    log(`quiet for ${quietS} s`);
    await new Promise((r) => setTimeout(r, quietS * 1000));
    const afterQuietRss = rssMiB(child.pid!);
    const serverErrors = reports.reduce(
      (k, r) => k + Object.entries(r.otherStatuses).reduce((n, [s, c]) => n + (Number(s) >= 500 ? c : 0), 0),
      0,
    );

    const stopAt = performance.now();
    child.kill('SIGTERM');
    const exitCode = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    return {
      startRssMiB: Math.round(startRssMiB),
      rounds: reports,
      peakRssMiB: Math.max(...reports.map((r) => r.rssMiB.peak)),
      afterQuiet: { seconds: quietS, rssMiB: Math.round(afterQuietRss) },
      serverErrors,
      shutdown: { exitCode, ms: Math.round(performance.now() - stopAt) },
    };
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

/** Everything at once: `recognitions` recognitions of the scene and one enrolment per variant into `target`. */
async function loadRound(
  api: ApiClient,
  pid: number,
  target: number,
  scene: Upload,
  variants: Upload[],
  recognitions: number,
  fuzzCases: FuzzCase[],
  fuzzTarget: number,
): Promise<RoundReport> {
  let peak = rssMiB(pid);
  const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(pid))), 50);
  const t0 = performance.now();
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const timed = async (work: () => Promise<Reply>) => {
    const t = performance.now();
    const res = await work();
    latencies.push(performance.now() - t);
    statuses[res.status] = (statuses[res.status] ?? 0) + 1;
    return res;
  };
  // Each enrolment sends its own variant and its neighbour's: every image arrives twice, concurrently.
  const n = variants.length;
  const enrolled = variants.map((_, i) =>
    timed(() =>
      api.upload(`/people/${target}/samples?force=true`, { file: [variants[i]!, variants[(i + 1) % n]!] }),
    ),
  );
  const recognised = Array.from({ length: recognitions }, () =>
    timed(() => api.upload('/recognize', { file: scene })),
  );
  const fuzzStatuses: Record<string, number> = {};
  const fuzzed = fuzzCases.map(async (send) => {
    const res = await send(api, fuzzTarget);
    // Counted apart: refusing malformed input with a 4xx is the right answer, not a failed request.
    fuzzStatuses[res.status] = (fuzzStatuses[res.status] ?? 0) + 1;
  });
  const recognitionReplies = await Promise.all(recognised);
  const seconds = (performance.now() - t0) / 1000;
  const enrolReplies = await Promise.all(enrolled);
  await Promise.all(fuzzed);
  clearInterval(sampler);

  const reports = enrolReplies.filter((r) => r.status === 200).map((r) => r.body as EnrollReport);
  const stored = (await api.get(`/people/${target}`)).body.samples as { sourceName: string }[];
  await new Promise((r) => setTimeout(r, 2000));
  latencies.sort((a, b) => a - b);
  const namesOf = (body: { faces: { name: string | null }[] }) =>
    body.faces
      .map((f) => f.name)
      .sort()
      .join();
  const bbt3 = [...loadLabels().scenes['scenes/bbt3.jpg']!.faces].sort().join();
  return {
    recognitions: {
      sent: recognitions,
      ok: recognitionReplies.filter((r) => r.status === 200).length,
      allNamed: recognitionReplies.filter((r) => r.status === 200 && namesOf(r.body) === bbt3).length,
      seconds: Number(seconds.toFixed(2)),
      perSecond: Number((recognitions / seconds).toFixed(1)),
      p50Ms: Math.round(percentile(latencies, 0.5)),
      p95Ms: Math.round(percentile(latencies, 0.95)),
      maxMs: Math.round(latencies.at(-1)!),
    },
    enrolments: {
      sent: n,
      ok: reports.length,
      accepted: reports.reduce((k, r) => k + r.accepted.length, 0),
      duplicates: reports.reduce(
        (k, r) => k + r.rejected.filter((x) => x.reason === 'duplicate_sample').length,
        0,
      ),
      stored: stored.length,
      distinctStored: new Set(stored.map((s) => s.sourceName)).size,
      expected: n,
    },
    fuzz: {
      sent: fuzzCases.length,
      byStatus: fuzzStatuses,
      serverErrors: Object.entries(fuzzStatuses).reduce((n, [s, c]) => n + (Number(s) >= 500 ? c : 0), 0),
    },
    otherStatuses: Object.fromEntries(Object.entries(statuses).filter(([s]) => s !== '200')),
    rssMiB: { peak: Math.round(peak), end: Math.round(rssMiB(pid)) },
  };
}

type FuzzCase = (api: ApiClient, personId: number) => Promise<Reply>;

/**
 * The fuzz mix: what the issue-11 HTTP fuzz run sent, reproducibly (seeded). Images damaged every way a
 * decoder meets (truncated, bit-flipped, wrong magic, empty, SVG, header bombs, extreme aspect ratios
 * under the pixel limit), sent to recognize and to enrolment; and malformed requests (no file, bad
 * JSON, unknown ids). Every answer must be 2xx or 4xx.
 */
async function fuzzMix(): Promise<FuzzCase[]> {
  const jpeg = fs.readFileSync(facePath('scenes/obama-480p.jpg'));
  const png = await sharp(jpeg).resize(320).png().toBuffer();
  let seed = 7;
  const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const flip = (bytes: Buffer, n: number): Buffer => {
    const out = Buffer.from(bytes);
    for (let i = 0; i < n; i++) out[Math.floor(rand() * out.length)]! ^= 1 << Math.floor(rand() * 8);
    return out;
  };
  const ihdr = (width: number, height: number): Buffer => {
    const out = Buffer.from(png.subarray(0, 33));
    out.writeUInt32BE(width, 16);
    out.writeUInt32BE(height, 20);
    return Buffer.concat([out, png.subarray(33)]);
  };
  const images: Upload[] = [
    { name: 'empty.jpg', bytes: Buffer.alloc(0) },
    { name: 'text.jpg', bytes: Buffer.from('not a picture\n') },
    { name: 'svg.svg', bytes: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>') },
    { name: 'bomb.png', bytes: ihdr(65535, 65535) },
    {
      name: 'wide.png',
      bytes: await sharp({ create: { width: 30000, height: 1600, channels: 3, background: '#555' } })
        .png()
        .toBuffer(),
    },
    {
      name: 'tall.png',
      bytes: await sharp({ create: { width: 1, height: 20000, channels: 3, background: '#555' } })
        .png()
        .toBuffer(),
    },
  ];
  for (let i = 0; i < 12; i++)
    images.push({ name: `cut-${i}.jpg`, bytes: jpeg.subarray(0, Math.floor((jpeg.length * (i + 1)) / 13)) });
  for (let i = 0; i < 12; i++) images.push({ name: `flip-${i}.jpg`, bytes: flip(jpeg, 1 + i) });
  for (let i = 0; i < 6; i++) images.push({ name: `flip-${i}.png`, bytes: flip(png, 1 + i) });
  const cases: FuzzCase[] = [];
  for (const image of images) {
    cases.push((api) => api.upload('/recognize', { file: image }));
    cases.push((api, id) => api.upload(`/people/${id}/samples`, { file: image }));
  }
  cases.push((api) => api.upload('/recognize', { name: 'no file' }));
  cases.push((api) =>
    api.request('POST', '/people', { form: undefined, headers: { 'content-type': 'application/json' } }),
  );
  cases.push((api) => api.get('/people/999999999'));
  cases.push((api) => api.get('/people/-1'));
  cases.push((api) => api.post('/people', { name: 42 }));
  cases.push((api) => api.post('/cameras', { name: 'x', url: 'file:///etc/passwd' }));
  cases.push((api) => api.get('/events?limit=abc'));
  cases.push((api) => api.post('/events/1/correct', { is: null }));
  // Interleaved, so that any `fuzz` count takes some of each kind.
  return cases
    .map((c, i) => [c, (i * 7919) % cases.length] as const)
    .sort((a, b) => a[1] - b[1])
    .map(([c]) => c);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const report = await runLoad({
    recognitions: 50,
    enrolments: 20,
    rounds: 3,
    fuzz: Number(process.env.LOAD_FUZZ ?? Infinity),
    quietS: Number(process.env.LOAD_QUIET_S ?? 60),
    log: (l) => console.error(l),
  });
  console.log(
    `RSS MiB: start ${report.startRssMiB}, peak ${report.peakRssMiB}, after ${report.afterQuiet.seconds} s quiet ${report.afterQuiet.rssMiB}; 5xx: ${report.serverErrors}`,
  );
  console.log(`RSS after warm-up: ${report.startRssMiB} MiB`);
  console.table(
    report.rounds.map((r) => ({ ...r.recognitions, 'RSS peak': r.rssMiB.peak, 'RSS end': r.rssMiB.end })),
  );
  console.table(report.rounds.map((r) => r.enrolments));
  console.table(
    report.rounds.map((r) => ({ sent: r.fuzz.sent, '5xx': r.fuzz.serverErrors, ...r.fuzz.byStatus })),
  );
  console.log(JSON.stringify({ benchmark: 'load', ...report }));
}
