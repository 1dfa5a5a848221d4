// Frames back into a video file: RGB frames piped into ffmpeg, encoded as H.264 (MPEG-4 Part 2 when the
// ffmpeg at hand has no libx264), with the source's audio copied alongside. The first frame is placed at
// the source's own start time and no frame is added, so picture and sound stay in sync, the frames are
// the source's, and a time in the results is the same time in the copy.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import path from 'node:path';
import type { Writable, Readable } from 'node:stream';
import type { RgbImage } from '../engine/types.js';
import { VisageError } from '../errors.js';
import { failureReason, ffmpegPath, runTool, toolMissing } from './ffmpeg.js';
import { FILE_DEMUXERS, FILE_PROTOCOLS } from './source.js';

export interface VideoWriterOptions {
  output: string;
  width: number;
  height: number;
  fps: number;
  /** Presentation time of the first frame, s. */
  startS: number;
  /** A file whose first audio stream is kept (copied when the container allows it, else AAC). */
  audioFrom?: { file: string; codec: string };
  /** Cut the output at this time, s (a run stopped part-way keeps only the audio it covered). */
  endS?: number;
}

/** Containers we write, and the audio codecs each can carry without re-encoding. */
const CONTAINERS: Record<string, { copyAudio: ReadonlySet<string> | 'any' }> = {
  '.mp4': { copyAudio: new Set(['aac', 'mp3', 'ac3', 'eac3', 'alac']) },
  '.m4v': { copyAudio: new Set(['aac', 'mp3', 'ac3', 'eac3', 'alac']) },
  '.mov': { copyAudio: new Set(['aac', 'mp3', 'ac3', 'eac3', 'alac', 'pcm_s16le']) },
  '.mkv': { copyAudio: 'any' },
};

export const ANNOTATED_EXTENSIONS = Object.keys(CONTAINERS);

/** The container of `output` by its extension; `unsupported_output` for one we do not write. */
export function checkOutputPath(output: string): { copyAudio: ReadonlySet<string> | 'any' } {
  const container = CONTAINERS[path.extname(output).toLowerCase()];
  if (!container) {
    throw new VisageError(
      'unsupported_output',
      `cannot write ${output}: use one of ${ANNOTATED_EXTENSIONS.join(' ')}`,
      { file: output },
    );
  }
  return container;
}

let encoders: Promise<string> | null = null;

/** Which video encoder the available ffmpeg offers, best first. */
async function videoEncoderArgs(): Promise<string[]> {
  encoders ??= runTool('ffmpeg', ['-hide_banner', '-encoders'], 10_000).then((r) => r.stdout);
  const list = await encoders;
  if (/\blibx264\b/.test(list)) return ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23'];
  return ['-c:v', 'mpeg4', '-q:v', '4'];
}

export class VideoWriter {
  private constructor(
    private readonly child: ChildProcessByStdio<Writable, null, Readable>,
    private readonly exited: Promise<{ code: number | null; stderr: string }>,
    private readonly output: string,
  ) {}

  static async open(options: VideoWriterOptions): Promise<VideoWriter> {
    const container = checkOutputPath(options.output);
    const audio = options.audioFrom;
    const copyAudio = audio && (container.copyAudio === 'any' || container.copyAudio.has(audio.codec));
    const args = [
      '-hide_banner',
      '-nostdin',
      '-loglevel',
      'error',
      '-y',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      '-video_size',
      `${options.width}x${options.height}`,
      '-framerate',
      String(options.fps),
      '-itsoffset',
      String(options.startS),
      '-i',
      'pipe:0',
      ...(audio
        ? [
            // The source again, for its audio: read under the same whitelists as when it was decoded.
            '-protocol_whitelist',
            FILE_PROTOCOLS,
            '-format_whitelist',
            FILE_DEMUXERS,
            '-i',
            `file:${audio.file}`,
            '-map',
            '0:v:0',
            '-map',
            '1:a:0?',
            '-c:a',
            copyAudio ? 'copy' : 'aac',
          ]
        : ['-map', '0:v:0']),
      // One output frame per frame given, at its own time from the source's start: without this, the
      // muxer's constant-rate mode pads the gap before the first frame with copies of it (hamilton_clip:
      // 300 frames for 275, starting at 0 instead of 0.85 s).
      '-vsync',
      'passthrough',
      ...(await videoEncoderArgs()),
      // 4:2:0 chroma needs even sides; players expect it.
      '-vf',
      'pad=ceil(iw/2)*2:ceil(ih/2)*2',
      '-pix_fmt',
      'yuv420p',
      ...(options.endS !== undefined ? ['-t', options.endS.toFixed(3)] : []),
      ...(/\.(mp4|m4v|mov)$/i.test(options.output) ? ['-movflags', '+faststart'] : []),
      options.output,
    ];
    const child = spawn(ffmpegPath(), args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr = (stderr + b.toString('utf8')).slice(-4000)));
    // A failed encoder closes its stdin; the write error is reported through the exit status instead.
    child.stdin.on('error', () => {});
    const exited = new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      child.on('error', (e) => reject(toolMissing('ffmpeg', e)));
      child.on('close', (code) => resolve({ code, stderr }));
    });
    return new VideoWriter(child, exited, options.output);
  }

  /** Queues one frame; waits while ffmpeg's input pipe is full. */
  async write(image: RgbImage): Promise<void> {
    if (this.child.stdin.destroyed) return this.fail();
    if (!this.child.stdin.write(image.data)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          this.child.stdin.off('drain', done);
          this.child.off('close', done);
          resolve();
        };
        this.child.stdin.on('drain', done);
        this.child.on('close', done);
      });
    }
  }

  /** Ends the input and waits for ffmpeg to finish the file. */
  async finish(): Promise<void> {
    this.child.stdin.end();
    const { code, stderr } = await this.exited;
    if (code !== 0)
      throw new VisageError(
        'encode_failed',
        `could not write ${this.output}: ${failureReason(stderr, this.output)}`,
        { file: this.output },
      );
  }

  private async fail(): Promise<never> {
    const { stderr } = await this.exited;
    throw new VisageError(
      'encode_failed',
      `could not write ${this.output}: ${failureReason(stderr, this.output)}`,
      { file: this.output },
    );
  }
}
