// npm run bench:cluster — two `visage serve` nodes on one PostgreSQL (issue 12), on this machine:
// - recognitions/s of scenes/bbt3.jpg with one node, then spread over two (each node one ONNX thread);
// - enrolment on node A to recognition on node B: a new person enrolled through A, then the same photo
//   recognised through B again and again until B finds them nearest (p50/p99 over CLUSTER_PROBES people
//   of dev/; each try is one recognition, ~0.1 s, so that is the resolution);
// - a video job (video/hamilton_clip.mp4) uploaded to node A and run by a `visage worker` (the nodes are
//   started with --no-jobs), its progress followed through node B, while both nodes serve photos: the
//   job's time and the photo throughput meanwhile;
// - node A killed with SIGKILL in the middle of enrolments sent to both nodes: what A had acknowledged
//   must be in the database, B must keep answering, A's unanswered requests fail as connection errors,
//   and the camera A watched is taken over by B (its lease: src/service/video/cameras.ts).
// The database is a throw-away cluster (test/support/postgres.ts). Ends with one line of JSON.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { facePath, galleryImages } from './dataset.js';
import { startServeProcess } from './load.js';
import { round } from '../src/service/json.js';
import { ApiClient, sessionCookie, type Reply, type Upload } from '../test/support/server.js';
import { startPostgres } from '../test/support/postgres.js';

const PASSWORD = 'cluster-bench-password';
const RECOGNITIONS = Number(process.env['CLUSTER_RECOGNITIONS'] ?? 40);
const PROBES = Number(process.env['CLUSTER_PROBES'] ?? 20);
const KILL_ENROLMENTS = 24;
const DEV = path.resolve(import.meta.dirname, '../../shared/faces/dev');

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
};
const photo = (file: string): Upload => ({ name: path.basename(file), bytes: fs.readFileSync(file) });

/** dev/ people (none of them in people/), each with their first photo. */
function devPeople(): { name: string; file: string }[] {
  return fs
    .readdirSync(DEV)
    .filter((d) => fs.statSync(path.join(DEV, d)).isDirectory())
    .sort()
    .map((d) => ({
      name: `dev ${d}`,
      file: path.join(DEV, d, fs.readdirSync(path.join(DEV, d)).sort()[0]!),
    }));
}

async function node(database: string): Promise<Awaited<ReturnType<typeof startServeProcess>>> {
  // The camera of the takeover points at a loopback port where nothing listens: it stays connecting,
  // which is enough to hold (and move) its lease.
  return startServeProcess(
    { VISAGE_DB: database, VISAGE_ADMIN_PASSWORD: PASSWORD, VISAGE_LOG_LEVEL: 'warn' },
    ['--threads', '1', '--camera-allow', '127.0.0.1', '--no-jobs'],
  );
}

/** A `visage worker` on the shared database (one ONNX thread, its own data directory for scratch files). */
function worker(database: string, dataDir: string): ReturnType<typeof spawn> {
  return spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'worker', '--threads', '1', '--data', dataDir],
    {
      cwd: path.resolve(import.meta.dirname, '..'),
      env: { ...process.env, VISAGE_DB: database },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
}

/** `count` recognitions, four in flight at a time, sent to the nodes in turn; per second. */
async function throughput(nodes: ApiClient[], scene: Upload, count: number): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    for (let i = next++; i < count; i = next++) {
      const res = await nodes[i % nodes.length]!.upload('/recognize', { file: scene });
      if (res.status !== 200) throw new Error(`recognize answered ${res.status}`);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return count / ((performance.now() - t0) / 1000);
}

const namesIn = (reply: Reply): string[] =>
  ((reply.body as { faces?: { name: string | null }[] }).faces ?? []).map((f) => f.name ?? '');
/** Whom B's index holds for the faces: the nearest candidates (a look-alike enrolled before may leave the name unknown). */
const nearestIn = (reply: Reply): string[] =>
  ((reply.body as { faces?: { candidates: { name: string }[] }[] }).faces ?? []).map(
    (f) => f.candidates[0]?.name ?? '',
  );

const postgres = await startPostgres();
const database = await postgres.database();
const a = await node(database);
const b = await node(database);
try {
  const login = await new ApiClient(a.url).post('/session', { username: 'admin', password: PASSWORD });
  const session = new ApiClient(a.url, {
    cookie: sessionCookie(login.headers),
    csrfToken: login.body.csrfToken,
  });
  // One key, made on A, works on B: keys and sessions live in the shared database.
  const key = (await session.post('/api-keys', { name: 'cluster', role: 'admin' })).body.key as string;
  const apiA = new ApiClient(a.url, { apiKey: key });
  const apiB = new ApiClient(b.url, { apiKey: key });
  for (const [name, files] of galleryImages('people')) {
    const res = await apiA.upload('/enroll', { name, file: files.map(photo) });
    if (res.status !== 200) throw new Error(`enrol ${name}: ${res.status} ${JSON.stringify(res.body)}`);
  }
  const scene = photo(facePath('scenes/bbt3.jpg'));
  for (const api of [apiA, apiB]) await api.upload('/recognize', { file: scene });

  const oneNode = await throughput([apiA], scene, RECOGNITIONS);
  const twoNodes = await throughput([apiA, apiB], scene, RECOGNITIONS);
  console.error(`recognitions/s: 1 node ${round(oneNode)}, 2 nodes ${round(twoNodes)}`);

  const people = devPeople();
  const visible: number[] = [];
  for (const person of people.slice(0, PROBES)) {
    const face = photo(person.file);
    const enrolled = await apiA.upload('/enroll', { name: person.name, file: face });
    if (enrolled.status !== 200) throw new Error(`enrol ${person.name}: ${enrolled.status}`);
    if ((enrolled.body as { accepted: unknown[] }).accepted.length === 0) continue;
    const t0 = performance.now();
    for (;;) {
      if (nearestIn(await apiB.upload('/recognize', { file: face })).includes(person.name)) break;
      if (performance.now() - t0 > 10_000) throw new Error(`${person.name} not visible on B after 10 s`);
    }
    visible.push(performance.now() - t0);
  }
  console.error(
    `enrolment on A → named on B: p50 ${round(percentile(visible, 0.5))} ms, p99 ${round(percentile(visible, 0.99))} ms`,
  );

  // A video job on the worker, followed from B, while both nodes serve photos.
  const workerDir = fs.mkdtempSync(path.join(path.dirname(a.dataDir), 'visage-worker-'));
  fs.symlinkSync(path.join(a.dataDir, 'models'), path.join(workerDir, 'models'));
  const jobWorker = worker(database, workerDir);
  const clip = photo(facePath('video/hamilton_clip.mp4'));
  const uploaded = await apiA.upload('/videos', { file: clip });
  if (uploaded.status !== 202) throw new Error(`video upload: ${uploaded.status}`);
  const jobId = (uploaded.body as { id: string }).id;
  const tJob = performance.now();
  const progressSeen = new Set<number>();
  let job: { state: string; result?: { tracks: unknown[]; frames: number } } = { state: 'queued' };
  let photosDuringJob = 0;
  let photoSeconds = 0;
  const follow = (async () => {
    while (job.state === 'queued' || job.state === 'running') {
      const seen = (await apiB.get(`/videos/${jobId}`)).body as typeof job & { progress: { frames: number } };
      job = seen;
      progressSeen.add(seen.progress.frames);
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  const serving = (async () => {
    const t0 = performance.now();
    while (job.state === 'queued' || job.state === 'running') {
      await throughput([apiA, apiB], scene, 8);
      photosDuringJob += 8;
    }
    photoSeconds = (performance.now() - t0) / 1000;
  })();
  await Promise.all([follow, serving]);
  const jobSeconds = (performance.now() - tJob) / 1000;
  jobWorker.kill('SIGTERM');
  if (job.state !== 'done') throw new Error(`the video job ended ${job.state}: ${JSON.stringify(job)}`);
  console.error(
    `video job on the worker: ${round(jobSeconds)} s, ${job.result!.frames} frames, ${job.result!.tracks.length} tracks; ${progressSeen.size} progress states seen from B; photos meanwhile ${round(photosDuringJob / photoSeconds)}/s`,
  );

  // A camera watched by A, to be taken over by B when A dies.
  const camera = await apiA.post('/cameras', { name: 'door', url: 'rtsp://127.0.0.1:9/door' });
  const started = await apiA.post(`/cameras/${camera.body.id}/start`);
  const nodeA = started.body.watchedBy as string;
  if (!nodeA) throw new Error(`the camera is not watched by A: ${JSON.stringify(started.body)}`);

  // Enrolments to both nodes at once; A is killed while they run.
  const batch = people.slice(PROBES, PROBES + KILL_ENROLMENTS);
  const acknowledged: string[] = [];
  let failedOnA = 0;
  let failedOnB = 0;
  const sends = batch.map(async (person, i) => {
    const api = i % 2 === 0 ? apiA : apiB;
    try {
      const res = await api.upload('/enroll', { name: person.name, file: photo(person.file) });
      const report = res.body as { person: { name: string } | null; accepted: unknown[] };
      // Acknowledged: the answer said the sample was stored (a photo whose face is refused stores nothing).
      if (res.status === 200 && report.person && report.accepted.length > 0)
        acknowledged.push(report.person.name);
      else if (res.status !== 200 && api === apiB) failedOnB++;
    } catch {
      if (api === apiA) failedOnA++;
      else failedOnB++;
    }
  });
  await new Promise((r) => setTimeout(r, 1500));
  a.child.kill('SIGKILL');
  const killedAt = performance.now();
  await Promise.all(sends);
  let takeoverMs: number | null = null;
  while (performance.now() - killedAt < 30_000) {
    const view = (await apiB.get('/cameras')).body.items.find((c: { id: number }) => c.id === camera.body.id);
    if (view.watchedBy && view.watchedBy !== nodeA) {
      takeoverMs = performance.now() - killedAt;
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const after = await apiB.upload('/recognize', { file: scene });
  const stored = new Set<string>();
  for (let page = 0; ; page++) {
    const res = await apiB.get(`/people?limit=100&offset=${page * 100}`);
    const items = (res.body as { items: { name: string }[] }).items;
    for (const p of items) stored.add(p.name);
    if (items.length < 100) break;
  }
  const lost = acknowledged.filter((name) => !stored.has(name));
  const report = {
    nodes: 2,
    onnxThreadsPerNode: 1,
    recognitionsPerSecond: {
      oneNode: round(oneNode),
      twoNodes: round(twoNodes),
      ratio: round(twoNodes / oneNode, 2),
    },
    enrolToVisibleMs: {
      probes: visible.length,
      p50: round(percentile(visible, 0.5)),
      p99: round(percentile(visible, 0.99)),
    },
    videoJobOnWorker: {
      seconds: round(jobSeconds),
      frames: job.result!.frames,
      tracks: job.result!.tracks.length,
      progressStatesSeenFromOtherNode: progressSeen.size,
      photosPerSecondMeanwhile: round(photosDuringJob / photoSeconds),
    },
    killMidLoad: {
      sent: batch.length,
      acknowledged: acknowledged.length,
      acknowledgedLost: lost.length,
      failedOnKilledNode: failedOnA,
      failedOnSurvivor: failedOnB,
      survivorStillServes: after.status === 200 && namesIn(after).length > 0,
      cameraTakeoverMs: takeoverMs === null ? null : Math.round(takeoverMs),
    },
  };
  console.log(JSON.stringify(report));
} finally {
  for (const n of [a, b])
    if (n.child.exitCode === null && n.child.signalCode === null) n.child.kill('SIGKILL');
  postgres.stop();
}
