// npm run bench:load — the real server (`visage serve`, its own process) under concurrent load:
// 50 recognitions of scenes/bbt3.jpg and 20 enrolments into one person, all at once. Checks every request
// is answered, no sample is lost or stored twice, and the server's memory (RSS) returns near where it
// started; then stops the server with SIGTERM. Ends with one line of JSON.
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
  otherStatuses: Record<string, number>;
  rssMiB: { peak: number; end: number };
}

export interface LoadReport {
  /** RSS after the warm-up (one request of each kind), before the load. */
  startRssMiB: number;
  rounds: RoundReport[];
  shutdown: { exitCode: number | null; ms: number };
}

/** A running `visage serve` on a fresh data directory (with the shared model cache). */
export async function startServeProcess(
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; url: string; dataDir: string }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'visage-load-'));
  fs.mkdirSync(MODEL_CACHE, { recursive: true });
  fs.symlinkSync(MODEL_CACHE, path.join(dataDir, 'models'));
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', '0', '--data', dataDir],
    {
      cwd: ROOT,
      env: { ...process.env, VISAGE_ADMIN_PASSWORD: PASSWORD, VISAGE_LOG_LEVEL: 'warn', ...env },
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
      reports.push(await loadRound(api, child.pid!, target, scene, variants, recognitions));
      log(`round ${round}: ${JSON.stringify(reports.at(-1))}`);
    }

    const stopAt = performance.now();
    child.kill('SIGTERM');
    const exitCode = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    return {
      startRssMiB: Math.round(startRssMiB),
      rounds: reports,
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
  const recognitionReplies = await Promise.all(recognised);
  const seconds = (performance.now() - t0) / 1000;
  const enrolReplies = await Promise.all(enrolled);
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
    otherStatuses: Object.fromEntries(Object.entries(statuses).filter(([s]) => s !== '200')),
    rssMiB: { peak: Math.round(peak), end: Math.round(rssMiB(pid)) },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const report = await runLoad({ recognitions: 50, enrolments: 20, rounds: 3, log: (l) => console.error(l) });
  console.log(`RSS after warm-up: ${report.startRssMiB} MiB`);
  console.table(
    report.rounds.map((r) => ({ ...r.recognitions, 'RSS peak': r.rssMiB.peak, 'RSS end': r.rssMiB.end })),
  );
  console.table(report.rounds.map((r) => r.enrolments));
  console.log(JSON.stringify({ benchmark: 'load', ...report }));
}
