import type { Command } from 'commander';
import { openFaceService, withGlobalOptions, type GlobalOptions } from '../context.js';
import { exitOneIfAnyFailed, printJson, printTable, progress } from '../output.js';
import type { ImageResult } from '../../service/faces/face-service.js';

export function registerDetect(program: Command): void {
  withGlobalOptions(
    program
      .command('detect')
      .description('find faces: box, score, five key points and quality for every face')
      .argument('<files...>', 'image files (JPEG, PNG, WebP, GIF, TIFF, AVIF)'),
  )
    .addHelpText(
      'after',
      `
Examples:
  $ visage detect photo.jpg
  $ visage detect ../shared/faces/scenes/bbt1.jpg --json`,
    )
    .action(async (files: string[], opts: GlobalOptions) => {
      printResults(await runOverFiles(files, opts, false), opts);
    });
}

export function registerEmbed(program: Command): void {
  withGlobalOptions(
    program
      .command('embed')
      .description('faces with their L2-normalised embeddings (and the model id)')
      .argument('<files...>', 'image files'),
  )
    .addHelpText(
      'after',
      `
Examples:
  $ visage embed face.jpg --json > face.json`,
    )
    .action(async (files: string[], opts: GlobalOptions) => {
      printResults(await runOverFiles(files, opts, true), opts, true);
    });
}

async function runOverFiles(
  files: string[],
  opts: GlobalOptions,
  embed: boolean,
): Promise<{ model?: string; results: ImageResult[] }> {
  const service = openFaceService(opts);
  const bar = progress(files.length, 'images');
  try {
    const results: ImageResult[] = [];
    for (const file of files) {
      results.push(await service.detectFile(file, embed));
      bar.tick(file);
    }
    return embed ? { model: service.embeddingModel, results } : { results };
  } finally {
    bar.stop();
    await service.close();
  }
}

function printResults(
  out: { model?: string; results: ImageResult[] },
  opts: GlobalOptions,
  embed = false,
): void {
  if (opts.json) return printJson(out);
  exitOneIfAnyFailed(out.results);
  const rows: (string | number)[][] = [];
  for (const r of out.results) {
    if ('error' in r) {
      rows.push([r.file, '-', `error: ${r.error.message}`, '', '']);
      continue;
    }
    if (r.faces.length === 0) rows.push([r.file, 0, 'no face', '', '']);
    r.faces.forEach((f, i) =>
      rows.push([
        r.file,
        i + 1,
        `${f.box.x},${f.box.y} ${f.box.width}×${f.box.height}`,
        f.score.toFixed(3),
        embed
          ? `${f.embedding?.length ?? 0}-D`
          : `yaw ${f.quality.yaw} pitch ${f.quality.pitch} sharp ${f.quality.sharpness}`,
      ]),
    );
  }
  printTable(
    ['file', 'face', 'box (x,y w×h)', 'score', embed ? `embedding (${out.model})` : 'quality'],
    rows,
  );
}
