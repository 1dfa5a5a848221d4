import type { Command } from 'commander';
import { modelCatalog } from '../../service/models/models.js';
import { withGlobalOptions, type GlobalOptions } from '../context.js';
import { printJson, printTable } from '../output.js';

export function registerModels(program: Command): void {
  withGlobalOptions(
    program.command('models').description('list the model catalog: task, input, source, licence, threshold'),
  )
    .addHelpText('after', '\nExamples:\n  $ visage models\n  $ visage models --json')
    .action((opts: GlobalOptions) => {
      const models = modelCatalog();
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
