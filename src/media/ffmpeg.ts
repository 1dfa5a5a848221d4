// Where the ffmpeg and ffprobe programs come from, decided in one place: $VISAGE_FFMPEG / $VISAGE_FFPROBE
// when set; else the system's (on the PATH, e.g. Debian's /usr/bin/ffmpeg) when it is recent enough,
// as the distribution keeps it patched; else the static builds shipped by the @ffmpeg-installer /
// @ffprobe-installer npm packages (the ffmpeg one is a 2018 build whose ffprobe sibling crashed on
// ordinary MPEG-TS); else the bare name. Nothing is ever downloaded. `visage doctor` says which is used.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { VisageError } from '../errors.js';

const require = createRequire(import.meta.url);

export type Tool = 'ffmpeg' | 'ffprobe';

const ENV: Record<Tool, string> = { ffmpeg: 'VISAGE_FFMPEG', ffprobe: 'VISAGE_FFPROBE' };
const PACKAGE: Record<Tool, string> = {
  ffmpeg: '@ffmpeg-installer/ffmpeg',
  ffprobe: '@ffprobe-installer/ffprobe',
};

/**
 * Oldest system release preferred over the bundled build: 5.0 (January 2022) is the oldest line a
 * supported Debian ships (bookworm: 5.1), has every option Visage passes (protocol and format
 * whitelists), and is years newer than the bundled ffmpeg.
 */
export const MIN_SYSTEM_MAJOR = 5;
/** `ffmpeg -version` answers in milliseconds; a binary that hangs longer is not one to use. */
const VERSION_TIMEOUT_MS = 5000;

export type ToolSource = 'env' | 'system' | 'bundled' | 'path';

export interface ToolChoice {
  tool: Tool;
  path: string;
  /** Why this one: $VISAGE_FFMPEG/$VISAGE_FFPROBE, the system's, the npm package's, or the bare name. */
  source: ToolSource;
  /** The first line's version ("5.1.6-0+deb12u1", "N-47683-g0e8eb07980-static"); null: did not run. */
  version: string | null;
  /** A system binary passed over, and why (too old, would not run). */
  skipped?: string;
}

const choices = new Map<Tool, ToolChoice>();

/** Which binary runs `tool`, decided once per process (see the header). */
export function toolChoice(tool: Tool): ToolChoice {
  let choice = choices.get(tool);
  if (!choice) choices.set(tool, (choice = chooseTool(tool)));
  return choice;
}

/** Forgets the choices (tests that change $PATH or $VISAGE_FFMPEG). */
export function resetToolChoice(): void {
  choices.clear();
}

function chooseTool(tool: Tool): ToolChoice {
  const fromEnv = process.env[ENV[tool]];
  if (fromEnv) return { tool, path: fromEnv, source: 'env', version: toolVersion(fromEnv) };
  let skipped: string | undefined;
  const system = onPath(tool);
  if (system) {
    const version = toolVersion(system);
    const major = version ? Number(/^(\d+)\./.exec(version)?.[1]) : NaN;
    if (major >= MIN_SYSTEM_MAJOR) return { tool, path: system, source: 'system', version };
    skipped = version
      ? `${system} is version ${version}, older than ${MIN_SYSTEM_MAJOR}.0 (or not a release)`
      : `${system} did not run`;
  }
  try {
    const bundled = (require(PACKAGE[tool]) as { path: string }).path;
    return { tool, path: bundled, source: 'bundled', version: toolVersion(bundled), skipped };
  } catch {
    // The installer packages throw (a string, not an Error) on platforms they have no build for.
    return {
      tool,
      path: system ?? tool,
      source: 'path',
      version: system ? toolVersion(system) : null,
      skipped,
    };
  }
}

/** The first `tool` among $PATH's folders that is an executable file. */
function onPath(tool: Tool): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, tool);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** "ffmpeg version 5.1.6-0+deb12u1 Copyright …" → "5.1.6-0+deb12u1"; null when it does not run. */
function toolVersion(file: string): string | null {
  const r = spawnSync(file, ['-version'], { encoding: 'utf8', timeout: VERSION_TIMEOUT_MS });
  if (r.status !== 0) return null;
  return /^\S+ version (\S+)/.exec(r.stdout)?.[1] ?? null;
}

/** The program to run for `tool`; does not check that it exists (running it reports that clearly). */
export function toolPath(tool: Tool): string {
  return toolChoice(tool).path;
}

export const ffmpegPath = (): string => toolPath('ffmpeg');

/** The error for a tool that could not be started at all (missing, not executable). */
export function toolMissing(tool: Tool, cause: Error): VisageError {
  return new VisageError(
    'ffmpeg_missing',
    `cannot run ${tool} (${toolPath(tool)}): ${cause.message}; install ffmpeg or set ${ENV[tool]} to its path`,
    { tool, path: toolPath(tool) },
  );
}

export interface ToolRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Runs a tool to completion (for short jobs such as probing), killing it after `timeoutMs`. */
export function runTool(tool: Tool, args: readonly string[], timeoutMs: number): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(toolPath(tool), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(toolMissing(tool, e));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        timedOut,
      });
    });
  });
}

/** Signals that mean the program crashed (rather than being stopped by someone). */
const CRASH_SIGNALS = new Set<string>([
  'SIGSEGV',
  'SIGBUS',
  'SIGILL',
  'SIGFPE',
  'SIGABRT',
  'SIGSYS',
  'SIGTRAP',
]);

/** How a run ended by a signal reads: a crash with its signal named, or a plain stop. */
export function signalReason(tool: Tool, signal: NodeJS.Signals): string {
  const choice = toolChoice(tool);
  return CRASH_SIGNALS.has(signal)
    ? `${tool} crashed (${signal}) reading it — a bug of that ${tool} build (${choice.source}, ${choice.version ?? 'unknown version'}), not necessarily of the file`
    : `${tool} was stopped by ${signal}`;
}

/**
 * Why ffmpeg failed, from its stderr: the last two distinct messages (the specific cause, then ffmpeg's
 * summary), without the "[demuxer @ 0x…]" prefixes and without repeating the input's name.
 */
export function failureReason(stderr: string, input: string): string {
  const lines = stderr
    .split('\n')
    .map((l) =>
      l
        .replace(/^\[[^\]]*@ 0x[0-9a-f]+\]\s*/, '')
        .replaceAll(`file:${input}: `, '')
        .replaceAll(`${input}: `, '')
        .trim(),
    )
    .filter((l) => l && !/^(ffmpeg|ffprobe) version|^built with|^configuration:|^lib\w+\s+\d/.test(l));
  const distinct = [...new Set(lines)];
  return distinct.slice(-2).join('; ') || 'no reason given';
}
