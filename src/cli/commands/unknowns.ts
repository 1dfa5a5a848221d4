// `visage unknowns [show N | name N NAME | merge N M | split N EVENT | dismiss N | restore N | recluster]`:
// the clusters of faces nobody has named yet ("Unknown #N"), and what to do with them. Clusters are
// given by their number N, as listed.
import type { Command } from 'commander';
import type { UnknownClusterJson } from '../../service/unknowns/unknowns.js';
import type { Visage } from '../../service/visage.js';
import { openVisage, positiveInt, UsageError, withGlobalOptions, type GlobalOptions } from '../context.js';
import { printJson } from '../output.js';
import { examples } from './people.js';

interface UnknownsOptions extends GlobalOptions {
  all?: boolean;
  force?: boolean;
}

const ACTIONS: Record<string, number> = {
  show: 1,
  name: 2,
  merge: 2,
  split: 2,
  dismiss: 1,
  restore: 1,
  recluster: 0,
};

export function registerUnknowns(program: Command): void {
  withGlobalOptions(
    program
      .command('unknowns')
      .description(
        'clusters of unknown faces ("Unknown #N"): list, show, name, merge, split, dismiss, re-cluster',
      )
      .argument('[action]', `one of ${Object.keys(ACTIONS).join(', ')} (none: list the clusters)`)
      .argument('[args...]', 'the cluster number N, then a name, another N or an event id')
      .option('--all', 'list every cluster: also small, dismissed, named and merged ones')
      .option('--force', 'with name: accept faces refused for size, blur, pose or resemblance'),
  )
    .addHelpText(
      'after',
      examples(
        'visage unknowns',
        'visage unknowns show 3',
        'visage unknowns name 3 "Ada Lovelace"',
        'visage unknowns merge 4 3',
        'visage unknowns split 3 118',
        'visage unknowns dismiss 5',
        'visage unknowns recluster        # after `visage reindex --model ID`',
      ),
    )
    .action(async (action: string | undefined, args: string[], opts: UnknownsOptions) => {
      if (action !== undefined && ACTIONS[action] === undefined) {
        throw new UsageError(`unknown action '${action}': use ${Object.keys(ACTIONS).join(', ')}`);
      }
      if (action !== undefined && args.length !== ACTIONS[action]) {
        throw new UsageError(`${action} takes ${ACTIONS[action]} argument(s)`);
      }
      const visage = openVisage(opts);
      try {
        await run(visage, action, args, opts);
      } finally {
        await visage.close();
      }
    });
}

async function run(
  visage: Visage,
  action: string | undefined,
  args: string[],
  opts: UnknownsOptions,
): Promise<void> {
  const { unknowns } = visage;
  const cluster = (n: string): UnknownClusterJson => unknowns.byNumber(positiveInt(n));
  const done = (c: UnknownClusterJson, what: string): void => {
    if (opts.json) return printJson(c);
    process.stdout.write(`${label(c)} ${what} (${c.faces} faces)\n`);
  };
  switch (action) {
    case undefined: {
      const items = unknowns.list({ all: opts.all });
      if (opts.json) return printJson({ items });
      if (items.length === 0) process.stdout.write('no clusters of unknown faces\n');
      for (const c of items) {
        process.stdout.write(
          `${label(c)}  ${c.faces} faces  ${c.status}${c.person ? ` → ${c.person.name}` : ''}  cover event ${c.coverEventId ?? '—'}\n`,
        );
      }
      return;
    }
    case 'show': {
      const details = unknowns.show(cluster(args[0]!).id);
      if (opts.json) return printJson(details);
      process.stdout.write(
        `${label(details.cluster)}: ${details.cluster.faces} faces (${details.cluster.status})\n`,
      );
      for (const m of details.members) process.stdout.write(`  event ${m.eventId}  ${m.time}  ${m.source}\n`);
      return;
    }
    case 'name': {
      const r = await unknowns.name(cluster(args[0]!).id, args[1]!, { force: opts.force });
      if (opts.json) return printJson(r);
      process.stdout.write(
        `${r.accepted.length} faces enrolled as ${r.person?.name ?? args[1]}${r.created ? ' (new person)' : ''}\n`,
      );
      for (const x of r.rejected) {
        process.stdout.write(
          `  event ${x.eventId} refused: ${x.message}${x.overridable ? ' (--force adds it)' : ''}\n`,
        );
      }
      return;
    }
    case 'merge':
      return done(
        unknowns.merge(cluster(args[0]!).id, cluster(args[1]!).id),
        `now holds Unknown #${args[0]}'s faces`,
      );
    case 'split': {
      const c = unknowns.split(cluster(args[0]!).id, positiveInt(args[1]!));
      if (opts.json) return printJson(c);
      process.stdout.write(`event ${args[1]} is now a cluster of its own\n`);
      return;
    }
    case 'dismiss':
      return done(unknowns.dismiss(cluster(args[0]!).id), 'dismissed');
    case 'restore':
      return done(unknowns.restore(cluster(args[0]!).id), 'back in the review');
    case 'recluster': {
      const r = await unknowns.recluster();
      if (opts.json) return printJson(r);
      process.stdout.write(
        `${r.faces} unknown faces in ${r.clusters} clusters of 3 or more (${r.reembedded} re-embedded, ${r.skipped} left out)\n`,
      );
      return;
    }
  }
}

function label(c: UnknownClusterJson): string {
  return c.number === null ? `cluster ${c.id}` : `Unknown #${c.number}`;
}
