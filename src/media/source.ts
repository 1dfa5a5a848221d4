// What a video source string names — a file, a folder or pattern of images, a network stream or a V4L2
// camera — and the ffmpeg input arguments that open it. Live sources (streams, cameras) never end on
// their own and are paced by the sender; files and image sequences are read as fast as we consume them.
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
const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp', '.ppm', '.pgm']);
const DEFAULT_SEQUENCE_FPS = 25;
const STREAM_ANALYZE_US = 2_000_000;

/** Classifies `name` and builds its input arguments; throws `file_not_found` / `empty_file` for bad paths. */
export function openSource(name: string, options: SourceOptions = {}): VideoSource {
  if (STREAM_SCHEMES.test(name)) {
    // RTSP over TCP: UDP is lost behind NAT and firewalls. Stalls are caught by the reader's own watchdog
    // rather than ffmpeg's timeout options, whose names and units changed between ffmpeg versions.
    const transport = /^rtsps?:/i.test(name) ? ['-rtsp_transport', 'tcp'] : [];
    // ffmpeg studies 5 s of a stream before the first frame by default, which a live source delivers in
    // 5 s of real time; 2 s still spans a typical camera's keyframe interval.
    const probe = ['-analyzeduration', String(STREAM_ANALYZE_US)];
    return { name, kind: 'stream', live: true, inputArgs: [...transport, ...probe, '-i', name] };
  }
  if (/^\/dev\/video\d+$/.test(name)) {
    if (!fs.existsSync(name))
      throw new VisageError('file_not_found', `camera ${name} does not exist; check the device number.`, {
        file: name,
      });
    return { name, kind: 'device', live: true, inputArgs: ['-f', 'v4l2', '-i', name] };
  }
  const fps = String(options.sequenceFps ?? DEFAULT_SEQUENCE_FPS);
  // printf-style patterns (frame%04d.png) are ffmpeg's own image-sequence syntax.
  if (/%0?\d*d/.test(path.basename(name))) {
    return {
      name,
      kind: 'sequence',
      live: false,
      inputArgs: ['-framerate', fps, '-f', 'image2', '-i', name],
    };
  }
  const st = fs.statSync(name, { throwIfNoEntry: false });
  if (!st) throw new VisageError('file_not_found', `${name} does not exist; check the path.`, { file: name });
  if (st.isDirectory()) {
    return {
      name,
      kind: 'sequence',
      live: false,
      inputArgs: ['-framerate', fps, '-f', 'image2', '-pattern_type', 'glob', '-i', sequenceGlob(name)],
    };
  }
  if (st.size === 0) throw new VisageError('empty_file', `${name} is empty (0 bytes).`, { file: name });
  return { name, kind: 'file', live: false, inputArgs: ['-i', name] };
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
