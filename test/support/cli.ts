// Runs the real `visage` command for end-to-end tests: bin/visage.js on the compiled dist/, the binary
// users run. It starts in ~1.0 s where `node --import tsx src/cli/main.ts` took 2.1-2.7 s (tsx compiles
// every module on each start), and the suite starts the command hundreds of times.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { storeEnv } from './store.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin/visage.js');
const SRC = path.join(ROOT, 'src');
const DIST = path.join(ROOT, 'dist');
/** Held (a directory, created atomically) by the one test process building dist; holds its pid. */
const BUILD_LOCK = path.join(DIST, '.build-lock');
const BUILD_WAIT_MS = 5 * 60_000;

/**
 * Node's arguments that run `visage ARGS` (`spawn(process.execPath, visageArgs([...]))`), dist built
 * from the current sources first.
 */
export function visageArgs(args: string[]): string[] {
  ensureBuilt();
  return [BIN, ...args];
}

let built = false;

/**
 * `npm test` builds dist before any test; a file run on its own (`node --import tsx --test test/x.test.ts`)
 * after an edit to src/ would otherwise test the previous build. Stale dist is rebuilt here, once, rather
 * than refused with "run `npm run build`": the tree is shared and edited while tests run, so a refusal
 * would fail the rest of a running suite (or a colleague's run) after anyone saves a file, and tests must
 * run the sources as they are, as they did under tsx. Type errors do not stop the run (tsc still emits,
 * and tsx never checked types either); `npm test`'s own type checks and build fail on them.
 * Concurrent test processes (`--test-concurrency` above 1, several people) build once: the first takes
 * the lock, the others wait for it and find dist fresh.
 */
function ensureBuilt(): void {
  if (built) return;
  const deadline = Date.now() + BUILD_WAIT_MS;
  while (staleSource()) {
    if (takeLock()) {
      try {
        if (staleSource()) build();
      } finally {
        fs.rmSync(BUILD_LOCK, { recursive: true, force: true });
      }
    } else {
      if (Date.now() > deadline)
        throw new Error(`dist/ is stale and ${BUILD_LOCK} is still held: run \`npm run build\``);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  built = true;
}

/**
 * A source file newer than its compiled file (or not compiled), if any. Per file rather than against one
 * stamp, so that a plain `npm run build` (or `npm ci`'s prepare) counts: tsc rewrites every output file.
 */
function staleSource(): string | null {
  for (const entry of fs.readdirSync(SRC, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts') || entry.name.endsWith('.d.ts')) continue;
    const source = path.join(entry.parentPath, entry.name);
    const compiled = path.join(DIST, path.relative(SRC, source)).replace(/\.ts$/, '.js');
    const compiledAt = fs.statSync(compiled, { throwIfNoEntry: false })?.mtimeMs ?? 0;
    if (fs.statSync(source).mtimeMs > compiledAt) return source;
  }
  return null;
}

/** Takes the build lock, clearing one left by a process that died holding it. */
function takeLock(): boolean {
  fs.mkdirSync(DIST, { recursive: true });
  try {
    fs.mkdirSync(BUILD_LOCK);
    fs.writeFileSync(path.join(BUILD_LOCK, 'pid'), String(process.pid));
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  let holder = 0; // 0 also while the holder has not written its pid yet
  try {
    holder = Number(fs.readFileSync(path.join(BUILD_LOCK, 'pid'), 'utf8'));
  } catch {
    // released meanwhile: the caller's next round takes it
  }
  if (holder && !alive(holder)) fs.rmSync(BUILD_LOCK, { recursive: true, force: true });
  return false;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function build(): void {
  process.stderr.write(
    `# dist/ is older than ${path.relative(ROOT, staleSource()!)}: building it (tsc -p tsconfig.build.json)\n`,
  );
  const tsc = path.join(ROOT, 'node_modules/typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
  // tsc's exit status 2 is "errors reported, files written"; anything else but 0 wrote nothing.
  if (r.status !== 0) process.stderr.write(`# tsc -p tsconfig.build.json reported:\n${r.stdout}${r.stderr}`);
  if (r.status !== 0 && r.status !== 2) {
    throw new Error(`building dist/ failed: ${r.error?.message ?? r.stdout + r.stderr}`);
  }
}

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: Record<string, string> = {}): CliResult {
  // The data directory's store (test/support/store.ts): its PostgreSQL database when tests run on one.
  const data = args.includes('--data') ? args[args.indexOf('--data') + 1] : env['VISAGE_DATA'];
  const store = data ? storeEnv(data) : {};
  const r = spawnSync(process.execPath, visageArgs(args), {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...store, ...env },
    timeout: 120_000,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Runs with --json and parses stdout, which must be exactly one JSON document. */
export function runCliJson<T = unknown>(
  args: string[],
  env: Record<string, string> = {},
): { status: number; json: T; stderr: string } {
  const r = runCli([...args, '--json'], env);
  return { status: r.status, json: JSON.parse(r.stdout) as T, stderr: r.stderr };
}

// Data directories hold a database and converted models (megabytes each): too much to leave in /tmp.
const created: string[] = [];
process.on('exit', () => {
  for (const dir of created) fs.rmSync(dir, { recursive: true, force: true });
});

/** A new empty folder under the system's temp folder, removed when this process exits. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `visage-${prefix}-`));
  created.push(dir);
  return dir;
}

/**
 * One data directory per test run, shared by the tests of a file, so that converted models are cached
 * once (conversion is tested on its own in convert-*.test.ts).
 */
export const sharedDataDir = tempDir('data');
