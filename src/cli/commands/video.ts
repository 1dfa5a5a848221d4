import type { Command } from 'commander';
import { Option } from 'commander';
import { isVisageError } from '../../errors.js';
import { DEFAULT_TRACKER_OPTIONS } from '../../service/video/tracker.js';
import { ANNOTATED_EXTENSIONS } from '../../service/video/video.js';
import { DEFAULT_RECOGNIZE_EVERY_S } from '../../service/video/video-recognizer.js';
import {
  DEFAULT_MAX_SIDE,
  type VideoOptions,
  type VideoProgress,
  type VideoResult,
} from '../../service/video/video.js';
import { openVisage, positiveInt, UsageError, withGlobalOptions, type GlobalOptions } from '../context.js';
import { csvRow } from '../../api/csv.js';
import { log, printJson, printTable, progress, type Progress } from '../output.js';
import type { SecurityLevel } from '../../service/recognize/decision.js';
import { levelOption } from './recognize.js';
import { mqttSettings, withMqttOptions, type MqttCliOptions } from './mqtt.js';

interface VideoCliOptions extends GlobalOptions, MqttCliOptions {
  fps?: number;
  maxSide?: number;
  sequenceFps?: number;
  every?: number;
  endAfter?: number;
  csv?: boolean;
  annotate?: string;
  snapshots?: string;
  frames?: boolean;
  events?: boolean;
  level: SecurityLevel;
}

type VideoEntry = VideoResult | { file: string; error: { code: string; message: string } };

export function registerVideo(program: Command): void {
  withGlobalOptions(
    withMqttOptions(withTrackingOptions(program.command('video')))
      .description(
        'recognise the people in videos: one row per tracked face (name or unknown, first/last seen, best score)',
      )
      .argument(
        '<files...>',
        'video files (mp4, mkv, webm, avi, mov…), folders of frames, frame%04d.png patterns, or URLs of video files',
      )
      .addOption(
        new Option('--fps <n>', 'frames analysed per second (default: every frame)').argParser(
          positiveNumber,
        ),
      )
      .addOption(
        new Option('--max-side <px>', 'decode frames no larger than this (longer side)')
          .argParser(positiveInt)
          .default(DEFAULT_MAX_SIDE),
      )
      .addOption(
        new Option('--sequence-fps <n>', 'frame rate of a folder or pattern of images').argParser(
          positiveNumber,
        ),
      )
      .option('--csv', 'print the tracks as CSV')
      .option(
        '--annotate <out>',
        `write a copy with boxes, track ids and names (${ANNOTATED_EXTENSIONS.join(' ')}); one input only`,
      )
      .option('--snapshots <dir>', "write each track's best face crop as a JPEG into DIR")
      .option('--frames', "with --json: include every frame's faces and tracks")
      .option('--no-events', 'do not store the tracks as recognition events'),
  )
    .addHelpText(
      'after',
      `
Ctrl-C stops at the current frame and keeps (and stores) the tracks found so far.

Examples:
  $ visage video party.mp4
  $ visage video clip.mkv --fps 5 --json > tracks.json
  $ visage video talk.mp4 --annotate talk-named.mp4`,
    )
    .action(async (files: string[], opts: VideoCliOptions) => {
      if (opts.json && opts.csv) throw new UsageError('choose --json or --csv, not both');
      if (opts.annotate && files.length > 1) throw new UsageError('--annotate takes one input video');
      const options: VideoOptions = {
        fps: opts.fps,
        maxSide: opts.maxSide,
        sequenceFps: opts.sequenceFps,
        recognizeEveryS: opts.every,
        endAfterS: opts.endAfter,
        storeEvents: opts.events,
        annotate: opts.annotate,
        snapshotsDir: opts.snapshots,
        perFrame: opts.frames,
        level: opts.level,
      };
      const visage = openVisage(opts);
      await visage.integrations.start({ mqtt: mqttSettings(opts) });
      const controller = new AbortController();
      const interrupt = (): void => {
        if (controller.signal.aborted) process.exit(130); // a second Ctrl-C: stop now
        log('stopping (Ctrl-C again to quit at once)…');
        controller.abort();
      };
      process.on('SIGINT', interrupt);
      const results: VideoEntry[] = [];
      try {
        for (const file of files) {
          if (controller.signal.aborted) break;
          results.push(await runOne(visage, file, options, controller.signal));
        }
      } finally {
        process.off('SIGINT', interrupt);
        await visage.close();
      }
      if (opts.json) printJson({ model: visage.recognizer.modelId, results });
      else if (opts.csv) printCsv(results);
      else printTracks(results);
      for (const r of results) {
        if ('error' in r) log(r.error.message);
        else if (r.stopped)
          log(`${r.file}: stopped after ${r.frames} frames; ${r.tracks.length} tracks kept`);
      }
      if (results.some((r) => 'error' in r)) process.exitCode = 1;
    });
}

async function runOne(
  visage: ReturnType<typeof openVisage>,
  file: string,
  options: VideoOptions,
  signal: AbortSignal,
): Promise<VideoEntry> {
  let bar: Progress | null = null;
  let phase: VideoProgress['phase'] | null = null;
  const onProgress = (p: VideoProgress): void => {
    if (p.phase !== phase) {
      bar?.stop();
      phase = p.phase;
      bar = p.totalFrames
        ? progress(p.totalFrames, p.phase === 'recognize' ? 'frames' : 'frames annotated')
        : null;
    }
    bar?.tick(`${p.timeS.toFixed(1)} s, ${p.tracks} tracks`);
  };
  try {
    return await visage.video.process(file, options, onProgress, signal);
  } catch (e) {
    if (!isVisageError(e)) throw e;
    return { file, error: { code: e.code, message: e.message } };
  } finally {
    (bar as Progress | null)?.stop();
  }
}

function printTracks(results: VideoEntry[]): void {
  const rows: (string | number)[][] = [];
  for (const r of results) {
    if ('error' in r) rows.push([r.file, '-', `error: ${r.error.code}`, '', '', '', '', '']);
    else if (r.tracks.length === 0) rows.push([r.file, '-', 'no face', '', '', '', '', '']);
    else
      for (const t of r.tracks) {
        rows.push([
          r.file,
          t.id,
          t.name ?? 'unknown',
          t.score.toFixed(3),
          t.firstS.toFixed(2),
          t.lastS.toFixed(2),
          t.frames,
          `${t.box.x},${t.box.y} ${t.box.width}×${t.box.height}`,
        ]);
      }
  }
  printTable(['file', 'track', 'name', 'score', 'first s', 'last s', 'frames', 'best box'], rows);
  for (const r of results)
    if (!('error' in r) && r.annotated) process.stdout.write(`\nannotated: ${r.annotated}\n`);
}

function printCsv(results: VideoEntry[]): void {
  const header = [
    'file',
    'track',
    'name',
    'person_id',
    'score',
    'first_s',
    'last_s',
    'frames',
    'x',
    'y',
    'width',
    'height',
    'event_id',
    'snapshot',
    'error',
  ];
  const lines = [header.join(',')];
  for (const r of results) {
    if ('error' in r) {
      lines.push(csvRow([r.file, '', '', '', '', '', '', '', '', '', '', '', '', '', r.error.message]));
      continue;
    }
    for (const t of r.tracks) {
      lines.push(
        csvRow([
          r.file,
          t.id,
          t.name ?? '',
          t.personId ?? '',
          t.score,
          t.firstS,
          t.lastS,
          t.frames,
          t.box.x,
          t.box.y,
          t.box.width,
          t.box.height,
          t.eventId ?? '',
          t.snapshot ?? '',
          '',
        ]),
      );
    }
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** The options of `video` and `watch` that tune tracking, with the service's defaults. */
export function withTrackingOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--every <s>', 'recognise each tracked face again after this many seconds')
        .argParser(positiveNumber)
        .default(DEFAULT_RECOGNIZE_EVERY_S),
    )
    .addOption(
      new Option('--end-after <s>', 'a track ends when its face has been gone this long')
        .argParser(positiveNumber)
        .default(DEFAULT_TRACKER_OPTIONS.endAfterS),
    )
    .addOption(levelOption());
}

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`expected a positive number, got '${value}'`);
  return n;
}
