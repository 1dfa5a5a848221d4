// Everything the CLI prints goes through here: exactly one JSON document on stdout with --json,
// readable tables otherwise; logs and progress on stderr (CONVENTIONS.md, "CLI").
import cliProgress from 'cli-progress';

let jsonPrinted = false;

/**
 * Prints the command's one JSON document. A batch document (`results`) with an item that failed
 * (`error`) also sets exit code 1: the other items' results are all there, but the user has something
 * to fix (CONVENTIONS.md, "Exit codes").
 */
export function printJson(value: unknown): void {
  jsonPrinted = true;
  exitOneIfAnyFailed((value as { results?: unknown } | null)?.results);
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Whether this process already printed its JSON document (so a later failure must not add a second). */
export function printedJson(): boolean {
  return jsonPrinted;
}

/** Exit code 1 when any item of a batch's results failed (`{ error }`), the same in text and JSON output. */
export function exitOneIfAnyFailed(results: unknown): void {
  if (Array.isArray(results) && results.some((r) => r !== null && typeof r === 'object' && 'error' in r))
    process.exitCode = 1;
}

export function log(message: string): void {
  process.stderr.write(`visage: ${message}\n`);
}

/** A plain text table with a header row; cells are padded by display width so CJK names line up. */
export function printTable(header: string[], rows: (string | number)[][]): void {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, c) => Math.max(...cells.map((r) => displayWidth(r[c] ?? ''))));
  for (const row of cells) {
    process.stdout.write(
      `${row
        .map((cell, c) => cell + ' '.repeat(widths[c]! - displayWidth(cell)))
        .join('  ')
        .trimEnd()}\n`,
    );
  }
}

function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s)
    w +=
      /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]|[\u{1f300}-\u{1faff}\u{20000}-\u{3fffd}]/u.test(
        ch,
      )
        ? 2
        : 1;
  return w;
}

export interface Progress {
  tick(label?: string): void;
  stop(): void;
}

function progressBar(unit: string): cliProgress.SingleBar {
  return new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `{bar} {value}/{total} ${unit} | {rate}/s | ETA {eta_formatted} | {label}`,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
}

/** A progress bar (count, rate, ETA) on stderr, shown only for interactive terminals and long work. */
export function progress(total: number, unit: string): Progress {
  if (!process.stderr.isTTY || total < 2) return { tick: () => {}, stop: () => {} };
  const bar = progressBar(unit);
  const start = Date.now();
  bar.start(total, 0, { rate: '0.0', label: '' });
  return {
    tick: (label = '') => {
      const done = bar.getProgress() * total + 1;
      bar.increment(1, { rate: (done / Math.max(0.001, (Date.now() - start) / 1000)).toFixed(1), label });
    },
    stop: () => bar.stop(),
  };
}

export interface Gauge {
  /** `value` of `total` done now (work that is watched, not done here: a job on a worker). */
  set(value: number, total: number): void;
  stop(): void;
}

/** The same bar for work reported from elsewhere: it appears once a total of 2 or more is known. */
export function gauge(unit: string): Gauge {
  if (!process.stderr.isTTY) return { set: () => {}, stop: () => {} };
  let bar: cliProgress.SingleBar | null = null;
  const start = Date.now();
  return {
    set: (value, total) => {
      if (total < 2) return;
      const rate = (value / Math.max(0.001, (Date.now() - start) / 1000)).toFixed(1);
      if (!bar) {
        bar = progressBar(unit);
        bar.start(total, value, { rate, label: '' });
      } else {
        bar.setTotal(total);
        bar.update(value, { rate });
      }
    },
    stop: () => bar?.stop(),
  };
}
