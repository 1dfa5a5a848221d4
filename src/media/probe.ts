// What a video file holds, read by ffprobe before decoding: the video stream's size, frame rate, start
// and duration, and the audio to keep in an annotated copy. Anything ffprobe cannot read,
// or that has no video stream, is refused here with a clear error, before any work is done.
import { VisageError } from '../errors.js';
import { failureReason, runTool } from './ffmpeg.js';
import type { VideoSource } from './source.js';

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
  if (run.code !== 0) throw unreadable(source.name, failureReason(run.stderr, source.name));
  const out = JSON.parse(run.stdout) as ProbeOutput;
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
