// `visage models`: the catalog, the security levels of each calibrated embedder, and registered models;
// `visage models add FILE.onnx --name ID …` registers an ONNX embedder, `visage models calibrate ID DIR`
// (re)calibrates one.
import { Option, type Command } from 'commander';
import { resolveDataDir } from '../../data-dir.js';
import type { TemplateName } from '../../engine/models/catalog.js';
import { addModel, calibrateModel, type CalibrationReport } from '../../service/models/add.js';
import { modelCatalog } from '../../service/models/models.js';
import { SECURITY_LEVELS } from '../../service/recognize/decision.js';
import { UsageError, withGlobalOptions, type GlobalOptions } from '../context.js';
import { log, printJson, printTable } from '../output.js';

interface AddOptions extends GlobalOptions {
  name: string;
  template?: TemplateName;
  inputScale?: { mean: number; std: number };
  layout?: 'nchw' | 'nhwc';
  licence?: string;
  provenance?: string;
  calibrate?: string;
}

const pct = (a: number, b: number): string => (b === 0 ? '–' : `${a}/${b} (${((100 * a) / b).toFixed(1)} %)`);

function inputScale(value: string): { mean: number; std: number } {
  const parts = value.split(',').map(Number);
  if (parts.length !== 2 || !parts.every(Number.isFinite) || !(parts[1]! > 0)) {
    throw new UsageError(`--input-scale MEAN,STD: expected two numbers with STD > 0, got '${value}'`);
  }
  return { mean: parts[0]!, std: parts[1]! };
}

export function registerModels(program: Command): void {
  const models = withGlobalOptions(
    program
      .command('models')
      .description(
        'list the model catalog: task, input, source, licence, threshold, security levels; add your own embedder',
      ),
  )
    .addHelpText(
      'after',
      `
Examples:
  $ visage models
  $ visage models --json
  $ visage models add arcface.onnx --name my-arcface --template arcface-112 --input-scale 127.5,128 \\
      --licence "InsightFace, non-commercial" --provenance "buffalo_l w600k_r50" --calibrate photos-by-person/
  $ visage models calibrate my-arcface photos-by-person/`,
    )
    .action((opts: GlobalOptions) => {
      const list = modelCatalog(resolveDataDir(opts.data));
      if (opts.json) return printJson({ models: list });
      printTable(
        ['id', 'task', 'default', 'input', 'embedding', 'threshold', 'source', 'licence'],
        list.map((m) => [
          m.id,
          m.task,
          m.default ? 'yes' : m.registered?.recognition ? 'gallery' : '',
          `${m.input.width}×${m.input.height}`,
          m.embedding ? `${m.embedding.dim}-D ${m.embedding.metric}` : '',
          m.embedding ? (Number.isNaN(m.embedding.threshold) ? 'uncalibrated' : m.embedding.threshold) : '',
          m.registered ? `registered ${m.source.file}` : `${m.source.package}/${m.source.file}`,
          m.source.licence,
        ]),
      );
      const rows = list.flatMap((m) =>
        m.calibrations.flatMap((c) =>
          c.levels.map((l) => [
            `${c.key}${c.default ? ' (default)' : ''}`,
            `${l.level}${l.default ? ' (default)' : ''}`,
            l.threshold.toFixed(3),
            l.distance === null ? '' : l.distance.toFixed(4),
            l.measured ? pct(l.measured.strangersNamed, l.measured.strangerProbes) : 'not measured',
            l.measured ? pct(l.measured.right, l.measured.enrolledProbes) : '',
            l.measured ? l.measured.wrong : '',
            l.measured ? l.measured.pairFar.toExponential(1) : '',
          ]),
        ),
      );
      if (rows.length > 0) {
        process.stdout.write(
          '\nSecurity levels (threshold on the z-normalised score; distance: the same as a cosine distance;\n' +
            'measured with half of the people enrolled, half strangers, both ways: shipped models on\n' +
            '../shared/faces/dev, registered ones on their calibration folder):\n',
        );
        printTable(
          [
            'calibration',
            'level',
            'threshold (z)',
            'distance',
            'strangers named',
            'right',
            'wrong',
            'pair FAR',
          ],
          rows,
        );
      }
      const registered = list.filter((m) => m.registered);
      if (registered.length > 0) {
        process.stdout.write('\nRegistered models (licence and provenance as stated when added):\n');
        printTable(
          ['id', 'sha256', 'template', 'calibrated', 'licence', 'provenance'],
          registered.map((m) => [
            m.id,
            m.registered!.sha256.slice(0, 16),
            m.registered!.template,
            m.registered!.calibrated ? 'yes' : 'no: refused for recognition',
            m.source.licence,
            m.source.provenance,
          ]),
        );
      }
    });

  withGlobalOptions(
    models
      .command('add')
      .description(
        'register an ONNX face embedder (112×112 ArcFace or 150×150 dlib aligned-face input): checked, copied into the data directory, optionally calibrated',
      )
      .argument('<file>', 'the .onnx file')
      .requiredOption('--name <id>', 'the id to register it under (lower-case letters, digits, . _ -)')
      .addOption(
        new Option('--template <name>', 'alignment template (default: from the input size)').choices([
          'arcface-112',
          'dlib-150',
        ]),
      )
      .addOption(
        new Option(
          '--input-scale <mean,std>',
          'pixel scaling: (p − MEAN) / STD (default 127.5,128 for arcface-112, 0,1 for dlib-150)',
        ).argParser(inputScale),
      )
      .addOption(
        new Option('--layout <layout>', 'input tensor layout (default: from the input shape)').choices([
          'nchw',
          'nhwc',
        ]),
      )
      .option('--licence <text>', "the model's licence, as you hold it (recorded, shown by `visage models`)")
      .option('--provenance <text>', 'where the network and its training data come from (recorded)')
      .option(
        '--calibrate <dir>',
        'a folder with one subfolder of photos per person: fit a threshold per security level on it',
      ),
  )
    .addHelpText(
      'after',
      `
Without --calibrate the model is checked on synthetic crops only and refused for recognition until
\`visage models calibrate ID DIR\`. Once calibrated, \`visage reindex --model ID\` moves the gallery to it.
Nothing is downloaded.`,
    )
    .action(async (file: string, _own: AddOptions, cmd: Command) => {
      // --data, --json and --threads after the subcommand are parsed by `models` itself: merge them.
      const opts = cmd.optsWithGlobals<AddOptions>();
      const report = await addModel(resolveDataDir(opts.data), file, {
        name: opts.name,
        template: opts.template,
        inputScale: opts.inputScale,
        layout: opts.layout === undefined ? undefined : opts.layout === 'nchw' ? 'NCHW' : 'NHWC',
        licence: opts.licence,
        provenance: opts.provenance,
        calibrate: opts.calibrate,
        threads: opts.threads,
        log,
      });
      if (opts.json) return printJson(report);
      const m = report.model;
      process.stdout.write(
        `registered ${m.id}: ${m.size}×${m.size} ${m.layout} (${m.template}, scaling (p − ${m.scaling.mean}) / ${m.scaling.std}), ${m.dim}-D output ${m.output}, sha256 ${m.sha256.slice(0, 16)}…\n` +
          `licence: ${m.licence}; provenance: ${m.provenance}\n${report.check.message}\n`,
      );
      if (report.calibration) printCalibration(m.id, report.calibration);
      process.stdout.write(`${report.next}\n`);
    });

  withGlobalOptions(
    models
      .command('calibrate')
      .description('fit the security levels of a registered model on a folder of one subfolder per person')
      .argument('<id>', 'a registered model')
      .argument('<dir>', 'the folder'),
  ).action(async (id: string, dir: string, _own: GlobalOptions, cmd: Command) => {
    const opts = cmd.optsWithGlobals<GlobalOptions>();
    const r = await calibrateModel(resolveDataDir(opts.data), id, dir, { threads: opts.threads, log });
    if (opts.json) return printJson(r);
    printCalibration(id, r.calibration);
  });
}

function printCalibration(id: string, c: CalibrationReport): void {
  process.stdout.write(
    `\ncalibrated on ${c.faces} faces of ${c.people} people (${c.photos} photos) in ${c.folder}: impostor cosine ${c.norm.mean} ± ${c.norm.std}, same person ${c.genuine.mean}\n` +
      `proposed thresholds (half of the people enrolled with 2 photos, half strangers, both ways: ${c.enrolledProbes} probes of enrolled people, ${c.strangerProbes} of strangers):\n`,
  );
  printTable(
    ['level', 'threshold (z)', 'distance', 'strangers named', 'right', 'wrong', 'pair FAR'],
    SECURITY_LEVELS.map((l) => {
      const r = c.levels[l];
      return [
        `${l}${l === 'balanced' ? ' (default)' : ''}`,
        c.thresholds[l].toFixed(3),
        (1 - (c.norm.mean + c.thresholds[l] * c.norm.std)).toFixed(4),
        pct(r.strangersNamed, r.strangerProbes),
        pct(r.right, r.enrolledProbes),
        r.wrong,
        r.pairFar.toExponential(1),
      ];
    }),
  );
  for (const note of c.notes) process.stdout.write(`note: ${note}\n`);
  process.stdout.write(`stored with ${id}\n`);
}
