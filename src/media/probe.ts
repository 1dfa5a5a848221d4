// What a video file holds, read by ffprobe before decoding: the video stream's size, frame rate, start
// and duration, and the audio to keep in an annotated copy. Anything ffprobe cannot read,
// or that has no video stream, is refused here with a clear error, before any work is done.
import { VisageError } from '../errors.js';
import { failureReason, runTool, signalReason } from './ffmpeg.js';
import type { VideoSource } from './source.js';
import { CATEGORY_TEXT, maskCredentials, streamFailureCategory } from './url-policy.js';

export interface MediaInfo {
  width: number;
  height: number;
  /** Frames per second of the video stream (its average rate; the nominal rate when that is unknown). */
  fps: number;
  /** Presentation time of the first video frame, s (often not 0: audio may start first). */
  startS: number;
  /** Length of the whole file, s; null when the container does not say (some sequences, raw streams). */
  durationS: number | null;
  /** Length of the video stream alone, s, when known (audio can run longer or shorter). */
  videoDurationS: number | null;
  /** Frame count when the container states it. */
  frames: number | null;
  /** Codec of the first audio stream; null: no audio. */
  audioCodec: string | null;
  videoCodec: string;
}

interface ProbeStream {
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  start_time?: string;
  duration?: string;
  nb_frames?: string;
  disposition?: { attached_pic?: number };
  /** Phone videos store their orientation here (newer ffprobe) or in tags.rotate (older). */
  side_data_list?: { rotation?: number }[];
  tags?: { rotate?: string };
}

interface ProbeOutput {
  streams?: ProbeStream[];
  format?: { duration?: string; start_time?: string };
}

const PROBE_TIMEOUT_MS = 30_000;

export async function probeMedia(source: VideoSource): Promise<MediaInfo> {
  const run = await runTool(
    'ffprobe',
    ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', ...source.inputArgs],
    PROBE_TIMEOUT_MS,
  );
  if (run.timedOut)
    throw new VisageError(
      'source_unreachable',
      `${source.name}: no answer within ${PROBE_TIMEOUT_MS / 1000} s`,
      { file: source.name },
    );
  // A crash (the bundled 2018-era builds segfaulted on ordinary MPEG-TS) says so, rather than "no reason".
  if (run.signal) throw unreadable(source.name, signalReason('ffprobe', run.signal));
  if (run.code !== 0) {
    const reason = failureReason(run.stderr, source.name);
    // The demuxer whitelist (source.ts) refused it: say what that means rather than list the whitelist.
    const refused = /Format (\S+) is not on whitelist|Format not on whitelist/i.exec(reason);
    if (refused) {
      const format = refused[1] ?? /\[(\w+) @/.exec(run.stderr)?.[1];
      throw new VisageError(
        'unsupported_format',
        `${source.name} is ${format ? `in the ${format} format, ` : ''}not a video container Visage reads; playlists and scripts that name other inputs are refused.`,
        { file: source.name, reason: 'format_not_allowed', ...(format ? { format } : {}) },
      );
    }
    // A network source's own answer is not repeated (it would read other services through the camera
    // form): only what kind of failure it was.
    if (source.kind === 'stream')
      throw unreadable(maskCredentials(source.name), CATEGORY_TEXT[streamFailureCategory(reason)]);
    throw unreadable(source.name, reason);
  }
  let out: ProbeOutput;
  try {
    out = JSON.parse(run.stdout) as ProbeOutput;
  } catch {
    throw unreadable(source.name, 'ffprobe gave no readable description of it');
  }
  const streams = out.streams ?? [];
  // Cover art in an audio file is a "video" stream of one picture: not a video.
  const video = streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  if (!video || !video.width || !video.height) {
    throw new VisageError(
      'no_video_stream',
      `${source.name} has no video stream${streams.length ? ` (only ${streams.map((s) => s.codec_type).join(', ')})` : ''}.`,
      {
        file: source.name,
      },
    );
  }
  const fps = rate(video.avg_frame_rate) ?? rate(video.r_frame_rate);
  if (!fps) throw unreadable(source.name, 'the video stream has no frame rate');
  // ffmpeg turns such frames upright when decoding, so the size reported is the upright one (as for
  // EXIF-rotated photos): boxes then match what a player shows.
  const rotation =
    video.side_data_list?.find((d) => d.rotation !== undefined)?.rotation ?? Number(video.tags?.rotate ?? 0);
  const quarterTurn = Math.abs(Math.round(rotation / 90)) % 2 === 1;
  return {
    width: quarterTurn ? video.height : video.width,
    height: quarterTurn ? video.width : video.height,
    fps,
    startS: number(video.start_time) ?? 0,
    durationS: number(out.format?.duration) ?? number(video.duration),
    videoDurationS: number(video.duration),
    frames: number(video.nb_frames),
    audioCodec: streams.find((s) => s.codec_type === 'audio')?.codec_name ?? null,
    videoCodec: video.codec_name ?? 'unknown',
  };
}

export function unreadable(name: string, reason: string): VisageError {
  return new VisageError(
    'unreadable_video',
    `${name} is not a readable video (${reason}); it may be truncated, damaged or not a video at all.`,
    {
      file: name,
      reason,
    },
  );
}

/** "30000/1001" → 29.97; "0/0" and absent → null. */
function rate(r: string | undefined): number | null {
  const [n, d] = (r ?? '').split('/').map(Number);
  return n && d ? n / d : null;
}

function number(s: string | undefined): number | null {
  const v = Number(s);
  return s !== undefined && s !== 'N/A' && Number.isFinite(v) ? v : null;
}
