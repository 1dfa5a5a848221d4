// What the video benchmark and the video tests set up alike: the people of hamilton_clip.mp4 in a gallery,
// and a live stream that ffmpeg plays from a file at real-time pace, as a network camera would send it.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ffmpegPath } from '../src/media/ffmpeg.js';
import { allowCameras } from '../src/media/url-policy.js';
import type { Visage } from '../src/service/visage.js';
import { facePath } from './dataset.js';

/** Enrols who can be seen in hamilton_clip.mp4 (labels.json): Lin-Manuel Miranda, Alex Lacamoire, Obama. */
export async function enrollHamiltonPeople(visage: Visage): Promise<void> {
  await visage.enrollment.enroll('lin-manuel-miranda', [
    { source: facePath('scenes/lin-manuel-miranda.png') },
  ]);
  for (const name of ['alex_lacamoire', 'obama']) {
    const dir = facePath('knn/train', name);
    await visage.enrollment.enroll(
      name,
      fs.readdirSync(dir).map((f) => ({ source: path.join(dir, f) })),
    );
  }
}

/** ffmpeg's arguments to play `file` over and over at its own pace as MPEG-TS; the output comes after. */
export function realTimeLoopArgs(file: string): string[] {
  return ['-v', 'error', '-re', '-stream_loop', '-1', '-i', file, '-c', 'copy', '-f', 'mpegts'];
}

export interface LiveStream {
  url: string;
  port: number;
  ffmpeg: ChildProcess;
}

/**
 * `file` played in a loop at real-time pace by ffmpeg as an HTTP server on 127.0.0.1 that serves one
 * client (`-listen 1`). It listens a moment after this returns: clients retry, or wait for the port.
 * The camera address policy refuses loopback cameras by default, so this allows 127.0.0.1 for this
 * process (and the children it starts afterwards), as an admin would with VISAGE_CAMERA_ALLOW.
 */
export async function serveLiveStream(file: string): Promise<LiveStream> {
  allowCameras('127.0.0.1');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/live.ts`;
  const ffmpeg = spawn(ffmpegPath(), [...realTimeLoopArgs(file), '-listen', '1', url], { stdio: 'ignore' });
  return { url, port, ffmpeg };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}
