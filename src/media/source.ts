// What a video source string names — a file, a folder or pattern of images, a network stream or a V4L2
// camera — and the ffmpeg input arguments that open it. Live sources (streams, cameras) never end on
// their own and are paced by the sender; files and image sequences are read as fast as we consume them.
//
// Every input gets a protocol whitelist, and files a demuxer whitelist too, in the one place all
// ffmpeg/ffprobe runs take their input arguments from: an uploaded "video" that is really an HLS
// playlist or concat script would otherwise make ffmpeg open other files of the server (file://…) or
// any URL, and decode them into the results.
import fs from 'node:fs';
import path from 'node:path';
import { VisageError } from '../errors.js';

export type SourceKind = 'file' | 'sequence' | 'stream' | 'device';

export interface VideoSource {
  /** As the user gave it (reported in results and stored with events). */
  name: string;
  kind: SourceKind;
  live: boolean;
  /** ffmpeg arguments up to and including `-i <input>`. */
  inputArgs: string[];
}

export interface SourceOptions {
  /** Frame rate of an image sequence (ffmpeg's image2 default is 25). */
  sequenceFps?: number;
}

const STREAM_SCHEMES = /^(rtsps?|rtmps?|https?|udp|tcp|srt|mms[th]?):\/\//i;

/**
 * What each stream scheme may open: its own protocol and the transports under it, nothing else (no
 * `file`, so a playlist served by a camera cannot point ffmpeg at the server's files; no other scheme,
 * so an http camera cannot redirect to rtsp or ftp). RTSP carries media over RTP on UDP or interleaved in
 * its TCP connection; the TLS variants add `tls`, https also `httpproxy` (how tls tunnels through an http
 * proxy: the camera policy's own, ffmpeg-egress.ts).
 */
const STREAM_PROTOCOLS: Record<string, string> = {
  rtsp: 'rtsp,rtp,tcp,udp',
  rtsps: 'rtsp,rtsps,rtp,tcp,udp,tls',
  rtmp: 'rtmp,tcp',
  rtmps: 'rtmps,tls,tcp',
  http: 'http,tcp',
  https: 'https,tls,tcp,httpproxy',
  udp: 'udp',
  tcp: 'tcp',
  srt: 'srt,udp',
  mms: 'mmsh,mmst,http,tcp',
  mmsh: 'mmsh,http,tcp',
  mmst: 'mmst,tcp',
};

/** Files and image sequences read local files only (`pipe` for ffmpeg's own standard streams). */
export const FILE_PROTOCOLS = 'file,pipe';

/**
 * The demuxers a video file or image sequence may use: the containers and raw streams cameras, phones
 * and editors write, and single images. Not listed, so refused: playlists and scripts that name other
 * inputs (hls, concat, ffmetadata, sdp, …), devices and network demuxers (rtsp, rtp, v4l2), and
 * everything else no video file needs. ffmpeg matches any of a demuxer's names (mov,mp4,… is `mov`).
 */
export const FILE_DEMUXERS = [
  'mov', // mp4, m4v, 3gp, mov
  'matroska', // mkv, webm
  'avi',
  'mpegts',
  'mpeg', // program streams (.mpg, .vob)
  'flv',
  'asf', // wmv
  'ogg',
  'm4v',
  'h264',
  'hevc',
  'mjpeg',
  'gif',
  'yuv4mpegpipe', // .y4m
  // Audio-only files: refused later as "no video stream", which says more than "not on whitelist".
  'wav',
  'mp3',
  'flac',
  'aac',
  'image2', // image sequences (folders, frame%04d.png)
  'jpeg_pipe',
  'png_pipe',
  'bmp_pipe',
  'tiff_pipe',
  'webp_pipe',
  'ppm_pipe',
  'pgm_pipe',
].join(',');

/** Input options for a local file or sequence: read only through `file`, only with a video demuxer. */
const fileWhitelist = (): string[] => [
  '-protocol_whitelist',
  FILE_PROTOCOLS,
  '-format_whitelist',
  FILE_DEMUXERS,
];

/** Texts at the start of files that only name other inputs (ffmpeg would follow them). */
const INDIRECT_INPUTS: [RegExp, string][] = [
  [/^#EXTM3U/, 'an HLS playlist'],
  [/^ffconcat version/, 'an ffmpeg concat script'],
  [/^;FFMETADATA/, 'an ffmpeg metadata file'],
  [/^v=0\r?\n/, 'an SDP session description'],
];
const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp', '.ppm', '.pgm']);
const DEFAULT_SEQUENCE_FPS = 25;
const STREAM_ANALYZE_US = 2_000_000;

/** Classifies `name` and builds its input arguments; throws `file_not_found` / `empty_file` for bad paths. */
export function openSource(name: string, options: SourceOptions = {}): VideoSource {
  if (STREAM_SCHEMES.test(name))
    return { name, kind: 'stream', live: true, inputArgs: streamInputArgs(name) };
  if (/^\/dev\/video\d+$/.test(name)) {
    if (!fs.existsSync(name))
      throw new VisageError('file_not_found', `camera ${name} does not exist; check the device number.`, {
        file: name,
      });
    return {
      name,
      kind: 'device',
      live: true,
      inputArgs: [
        '-protocol_whitelist',
        FILE_PROTOCOLS,
        '-format_whitelist',
        'v4l2',
        '-f',
        'v4l2',
        '-i',
        name,
      ],
    };
  }
  const fps = String(options.sequenceFps ?? DEFAULT_SEQUENCE_FPS);
  // printf-style patterns (frame%04d.png) are ffmpeg's own image-sequence syntax.
  if (/%0?\d*d/.test(path.basename(name))) {
    return {
      name,
      kind: 'sequence',
      live: false,
      inputArgs: [...fileWhitelist(), '-framerate', fps, '-f', 'image2', '-i', name],
    };
  }
  const st = fs.statSync(name, { throwIfNoEntry: false });
  if (!st) throw new VisageError('file_not_found', `${name} does not exist; check the path.`, { file: name });
  if (st.isDirectory()) {
    return {
      name,
      kind: 'sequence',
      live: false,
      inputArgs: [
        ...fileWhitelist(),
        '-framerate',
        fps,
        '-f',
        'image2',
        '-pattern_type',
        'glob',
        '-i',
        sequenceGlob(name),
      ],
    };
  }
  if (st.size === 0) throw new VisageError('empty_file', `${name} is empty (0 bytes).`, { file: name });
  refuseIndirect(name);
  // `file:` so that a name with a colon (clip:1.mp4) is never read as a protocol.
  return { name, kind: 'file', live: false, inputArgs: [...fileWhitelist(), '-i', `file:${name}`] };
}

/**
 * The input arguments of the stream `name`, reading `url` — the stream's own URL, or one a live camera's
 * connection is routed to (ffmpeg-egress.ts) — with `extra` input options (`-http_proxy …`).
 */
export function streamInputArgs(name: string, url = name, extra: readonly string[] = []): string[] {
  // RTSP over TCP: UDP is lost behind NAT and firewalls. Stalls are caught by the reader's own watchdog
  // rather than ffmpeg's timeout options, whose names and units changed between ffmpeg versions.
  const transport = /^rtsps?:/i.test(name) ? ['-rtsp_transport', 'tcp'] : [];
  // ffmpeg studies 5 s of a stream before the first frame by default, which a live source delivers in
  // 5 s of real time; 2 s still spans a typical camera's keyframe interval.
  const probe = ['-analyzeduration', String(STREAM_ANALYZE_US)];
  const scheme = name.slice(0, name.indexOf(':')).toLowerCase();
  const whitelist = ['-protocol_whitelist', STREAM_PROTOCOLS[scheme]!];
  return [...whitelist, ...transport, ...probe, ...extra, '-i', url];
}

/**
 * Refuses, with a clear reason, a file that only names other inputs. The demuxer whitelist refuses them
 * anyway (ffmpeg: "Format hls is not on whitelist"); this says what the file is.
 */
function refuseIndirect(name: string): void {
  const head = Buffer.alloc(64);
  let fd: number | undefined;
  try {
    fd = fs.openSync(name, 'r');
    fs.readSync(fd, head, 0, head.length, 0);
  } catch {
    return; // unreadable: ffprobe reports it
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
  // A UTF-8 byte-order mark (as editors save text) in front changes nothing for the reader.
  const text = head.toString('latin1').replace(/^\xEF\xBB\xBF/, '');
  for (const [pattern, what] of INDIRECT_INPUTS) {
    if (pattern.test(text)) {
      throw new VisageError(
        'unsupported_format',
        `${name} is ${what}, which refers to other files or URLs; Visage reads video files only, so give the video itself.`,
        { file: name, reason: 'indirect_input' },
      );
    }
  }
}

/** The images of a folder, as an image2 glob on their most common extension (sorted by name). */
function sequenceGlob(dir: string): string {
  const counts = new Map<string, number>();
  for (const f of fs.readdirSync(dir)) {
    // Counted as spelt: the glob is case-sensitive (.JPG and .jpg are different patterns).
    const ext = path.extname(f);
    if (IMAGE_EXTENSIONS.has(ext.toLowerCase())) counts.set(ext, (counts.get(ext) ?? 0) + 1);
  }
  const ext = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  if (!ext)
    throw new VisageError('no_video_stream', `${dir} holds no images (${[...IMAGE_EXTENSIONS].join(' ')}).`, {
      file: dir,
    });
  // glob(3) escapes, so that a folder name with * or [ is taken literally.
  const literal = dir.replace(/[\\*?[\]{}]/g, '\\$&');
  return path.join(literal, `*${ext}`);
}
