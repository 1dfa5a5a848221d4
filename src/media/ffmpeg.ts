// Where the ffmpeg and ffprobe programs come from, decided in one place: $VISAGE_FFMPEG / $VISAGE_FFPROBE
// when set, else the static builds shipped by the @ffmpeg-installer / @ffprobe-installer npm packages,
// else whatever `ffmpeg` / `ffprobe` the PATH holds. Nothing is ever downloaded.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { VisageError } from '../errors.js';

const require = createRequire(import.meta.url);

export type Tool = 'ffmpeg' | 'ffprobe';

const ENV: Record<Tool, string> = { ffmpeg: 'VISAGE_FFMPEG', ffprobe: 'VISAGE_FFPROBE' };
const PACKAGE: Record<Tool, string> = {
  ffmpeg: '@ffmpeg-installer/ffmpeg',
  ffprobe: '@ffprobe-installer/ffprobe',
};

/** The program to run for `tool`; does not check that it exists (running it reports that clearly). */
export function toolPath(tool: Tool): string {
  const fromEnv = process.env[ENV[tool]];
  if (fromEnv) return fromEnv;
  try {
    return (require(PACKAGE[tool]) as { path: string }).path;
  } catch {
    // The installer packages throw (a string, not an Error) on platforms they have no build for.
    return tool;
  }
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
        .replaceAll(`${input}: `, '')
        .trim(),
    )
    .filter((l) => l && !/^(ffmpeg|ffprobe) version|^built with|^configuration:|^lib\w+\s+\d/.test(l));
  const distinct = [...new Set(lines)];
  return distinct.slice(-2).join('; ') || 'no reason given';
}
