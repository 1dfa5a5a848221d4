import fs from 'node:fs/promises';
import path from 'node:path';
import { Option, type Command } from 'commander';
import type { RecognizeResult } from '../../service/recognize/photos.js';
import {
  DEFAULT_SECURITY_LEVEL,
  SECURITY_LEVELS,
  type SecurityLevel,
} from '../../service/recognize/decision.js';
import { openVisage, withGlobalOptions, type GlobalOptions } from '../context.js';
import { exitOneIfAnyFailed, log, printJson, printTable, progress } from '../output.js';
import { PHOTO_EXTENSIONS } from '../../service/faces/face-service.js';
import { mqttSettings, withMqttOptions, type MqttCliOptions } from './mqtt.js';

interface RecognizeOptions extends GlobalOptions, MqttCliOptions {
  annotate?: string;
  events?: boolean;
  level: SecurityLevel;
}

/** `--level strict|balanced|lenient` (recognize, video, watch): how sure a name must be. */
export function levelOption(): Option {
  return new Option(
    '--level <level>',
    'security level: strict names fewer strangers (and fewer people), lenient more',
  )
    .choices(SECURITY_LEVELS)
    .default(DEFAULT_SECURITY_LEVEL);
}

export function registerRecognize(program: Command): void {
  withGlobalOptions(
    withMqttOptions(
      program
        .command('recognize')
        .description('name every face in photos: box, name or unknown, score, distance, matched sample')
        .argument('<paths...>', 'image files or folders of images')
        .option('--annotate <dir>', 'write copies with boxes and names drawn into DIR')
        .option('--no-events', 'do not store the results as recognition events')
        .addOption(levelOption()),
    ),
  )
    .addHelpText(
      'after',
      `
Examples:
  $ visage recognize party.jpg
  $ visage recognize photos/ --annotate annotated/ --json > results.json
  $ visage recognize door.jpg --level strict`,
    )
    .action(async (paths: string[], opts: RecognizeOptions) => {
      const files = await expandImagePaths(paths);
      const visage = openVisage(opts);
      await visage.integrations.start({ mqtt: mqttSettings(opts) });
      const bar = progress(files.length, 'images');
      const results: RecognizeResult[] = [];
      try {
        for (const file of files) {
          results.push(
            leftToRight(
              await visage.photos.recognizeFile(file, {
                annotateDir: opts.annotate,
                storeEvents: opts.events,
                level: opts.level,
              }),
            ),
          );
          bar.tick(path.basename(file));
        }
      } finally {
        bar.stop();
        await visage.close();
      }
      if (opts.json) return printJson({ model: visage.recognizer.modelId, results });
      exitOneIfAnyFailed(results);
      const rows: (string | number)[][] = [];
      for (const r of results) {
        if ('error' in r) rows.push([r.file, '-', `error: ${r.error.message}`]);
        else if (r.faces.length === 0) rows.push([r.file, 0, 'no face']);
        else
          r.faces.forEach((f, i) =>
            rows.push([
              r.file,
              i + 1,
              f.name ?? `unknown${f.decision === 'match' ? '' : ` (${f.decision.replace('_', ' ')})`}`,
              f.score.toFixed(3),
              f.distance === null ? '-' : f.distance.toFixed(4),
              f.threshold.toFixed(4),
              f.margin === null ? '-' : f.margin.toFixed(2),
              f.name === null && f.candidates[0] ? f.candidates[0].name : '',
              `${f.box.x},${f.box.y} ${f.box.width}×${f.box.height}`,
              f.sampleId ?? '',
              f.eventId ?? '',
            ]),
          );
      }
      // The event id is what `visage correct EVENT_ID --is/--not NAME` takes.
      // threshold: the one that applied to this face (its size, its lead); nearest: who an unknown face was closest to.
      printTable(
        [
          'file',
          'face',
          'name',
          'score',
          'distance',
          'threshold',
          'margin',
          'nearest',
          'box',
          'sample',
          'event',
        ],
        rows,
      );
      log(`level ${opts.level}`);
      if (results.some((r) => 'faces' in r && r.faces.some((f) => f.decision === 'empty_gallery')))
        log(
          'nobody is enrolled yet: add people with `visage enroll --name NAME photo.jpg` or `visage import people/`',
        );
    });
}

/** Faces left to right, as people read a group photo and as the web app numbers them. */
function leftToRight(result: RecognizeResult): RecognizeResult {
  return 'faces' in result
    ? { ...result, faces: [...result.faces].sort((a, b) => a.box.x - b.box.x) }
    : result;
}

/** Files as given, folders expanded to the images directly inside them (sorted). */
export async function expandImagePaths(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    const st = await fs.stat(p).catch(() => null);
    if (st?.isDirectory()) {
      const names = (await fs.readdir(p))
        .filter((n) => PHOTO_EXTENSIONS.has(path.extname(n).toLowerCase()))
        .sort();
      out.push(...names.map((n) => path.join(p, n)));
    } else out.push(p); // a missing file is reported per file by the service
  }
  return out;
}
