import type { Command } from 'commander';
import { listModels } from '../../engine/models/catalog.js';
import { DEFAULT_DETECTOR, DEFAULT_EMBEDDER } from '../../engine/analyzer.js';
import { withGlobalOptions, type GlobalOptions } from '../context.js';
import { printJson, printTable } from '../output.js';

export function registerModels(program: Command): void {
  withGlobalOptions(
    program.command('models').description('list the model catalog: task, input, source, licence, threshold'),
  )
    .addHelpText('after', '\nExamples:\n  $ visage models\n  $ visage models --json')
    .action((opts: GlobalOptions) => {
      const models = listModels().map((m) => ({
        id: m.id,
        task: m.task,
        default: m.id === DEFAULT_DETECTOR || m.id === DEFAULT_EMBEDDER,
        description: m.description,
        input: { width: m.inputSize[0], height: m.inputSize[1], layout: 'NHWC', scaling: m.scaling },
        output: m.output,
        source: {
          package: m.source.package,
          file: m.source.file,
          licence: m.source.licence,
          provenance: m.source.provenance,
        },
        embedding: m.embedding ?? null,
      }));
      if (opts.json) return printJson({ models });
      printTable(
        ['id', 'task', 'default', 'input', 'embedding', 'threshold', 'source', 'licence'],
        models.map((m) => [
          m.id,
          m.task,
          m.default ? 'yes' : '',
          `${m.input.width}×${m.input.height}`,
          m.embedding ? `${m.embedding.dim}-D ${m.embedding.metric}` : '',
          m.embedding ? m.embedding.threshold : '',
          `${m.source.package}/${m.source.file}`,
          m.source.licence,
        ]),
      );
    });
}
