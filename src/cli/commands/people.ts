// Managing people and samples: people (and their look-alikes), show, rename, merge, delete, samples, remove-sample, move-sample.
// Every change goes through the audited gallery changes (src/service/people.ts).
import type { Command } from 'commander';
import type { LookalikeList, PersonJson, SampleJson } from '../../service/people/people.js';
import type { Visage } from '../../service/visage.js';
import { openVisage, positiveInt, withGlobalOptions, type GlobalOptions } from '../context.js';
import { printJson, printTable } from '../output.js';

export function registerPeople(program: Command): void {
  withGlobalOptions(
    program
      .command('people')
      .description('list everyone in the gallery: name, samples, created, last seen')
      .option('--search <text>', 'only names containing TEXT (case-insensitive)')
      .option(
        '--lookalikes',
        'list pairs of people whose nearest samples lie within the balanced threshold of each other',
      ),
  )
    .addHelpText(
      'after',
      examples('visage people', 'visage people --search li --json', 'visage people --lookalikes'),
    )
    .action((opts: GlobalOptions & { search?: string; lookalikes?: boolean }) =>
      withVisage(opts, (visage) => {
        if (opts.lookalikes)
          return printLookalikes(visage.people.lookalikes(visage.recognizer.modelId), opts);
        const people = visage.people.list(opts.search);
        if (opts.json) return printJson({ people });
        if (people.length === 0)
          return say(
            opts.search
              ? 'nobody matches'
              : 'the gallery is empty; add people with `visage enroll` or `visage import`',
          );
        printTable(
          ['name', 'samples', 'created', 'last seen'],
          people.map((p) => [p.name, p.samples, day(p.createdAt), p.lastSeenAt ? minute(p.lastSeenAt) : '-']),
        );
      }),
    );

  withGlobalOptions(
    program
      .command('show')
      .description("one person's details: samples, corrections, recent sightings")
      .argument('<name>', "the person's name"),
  )
    .addHelpText('after', examples('visage show "Ada Lovelace"', 'visage show 李雷 --json'))
    .action((name: string, opts: GlobalOptions) =>
      withVisage(opts, (visage) => {
        const details = visage.people.show(name);
        if (opts.json) return printJson(details);
        const p = details.person;
        say(`${p.name} (id ${p.id})${p.note ? ` — ${p.note}` : ''}`);
        say(`created ${minute(p.createdAt)}, last seen ${p.lastSeenAt ? minute(p.lastSeenAt) : 'never'}`);
        say(
          `${p.samples} samples, ${details.negatives} "not ${p.name}" corrections, ${details.events.total} sightings\n`,
        );
        printSamples(details.samples);
        if (details.events.recent.length > 0) {
          say('\nrecent sightings:');
          printTable(
            ['event', 'time', 'source', 'score'],
            details.events.recent.map((e) => [e.id, minute(e.time), e.source, e.score?.toFixed(3) ?? '-']),
          );
        }
      }),
    );

  withGlobalOptions(
    program
      .command('rename')
      .description('rename a person; a name someone else has is refused unless --merge')
      .argument('<old>', 'current name')
      .argument('<new>', 'new name (any language; case-only changes are fine)')
      .option('--merge', 'if NEW is someone else, merge OLD into them (OLD disappears)'),
  )
    .addHelpText(
      'after',
      examples('visage rename "ada" "Ada Lovelace"', 'visage rename "A. Lovelace" "Ada Lovelace" --merge'),
    )
    .action((from: string, to: string, opts: GlobalOptions & { merge?: boolean }) =>
      withVisage(opts, (visage) => {
        const result = visage.people.rename(from, to, { merge: opts.merge });
        if (opts.json) return printJson(result);
        if (result.merged) say(mergeLine(result.merged));
        else say(`renamed to ${result.person.name}`);
      }),
    );

  withGlobalOptions(
    program
      .command('merge')
      .description('merge person A into person B: samples, sightings and corrections move to B; A is removed')
      .argument('<a>', 'the person to merge (removed)')
      .argument('<b>', 'the person who stays'),
  )
    .addHelpText('after', examples('visage merge "A. Lovelace" "Ada Lovelace"'))
    .action((a: string, b: string, opts: GlobalOptions) =>
      withVisage(opts, (visage) => {
        const result = visage.people.merge(a, b);
        if (opts.json) return printJson(result);
        say(mergeLine(result));
      }),
    );

  withGlobalOptions(
    program
      .command('delete')
      .description(
        'delete a person with their samples and corrections (asks nothing); their sightings become unknown',
      )
      .argument('<name>', "the person's name"),
  )
    .addHelpText('after', examples('visage delete "Ada Lovelace"', 'visage delete 李雷 --json'))
    .action((name: string, opts: GlobalOptions) =>
      withVisage(opts, (visage) => {
        const result = visage.people.delete(name);
        if (opts.json) return printJson(result);
        say(
          `deleted ${result.deleted.name}: ${result.samples} samples, ${result.negatives} corrections; ${result.eventsUnlinked} sightings now unknown`,
        );
      }),
    );

  withGlobalOptions(
    program
      .command('samples')
      .description("a person's samples: id, source, quality, models")
      .argument('<name>', "the person's name"),
  )
    .addHelpText('after', examples('visage samples "Ada Lovelace"', 'visage samples 李雷 --json'))
    .action((name: string, opts: GlobalOptions) =>
      withVisage(opts, (visage) => {
        const result = visage.people.samples(name);
        if (opts.json) return printJson(result);
        printSamples(result.samples);
      }),
    );

  withGlobalOptions(
    program
      .command('remove-sample')
      .description('delete one sample (e.g. a bad photo); the person stays')
      .argument('<id>', 'sample id (see `visage samples NAME`)', positiveInt),
  )
    .addHelpText('after', examples('visage remove-sample 42'))
    .action((id: number, opts: GlobalOptions) =>
      withVisage(opts, (visage) => {
        const result = visage.people.removeSample(id);
        if (opts.json) return printJson(result);
        say(`removed sample ${id} (${result.sample.sourceName}) from ${result.person.name}`);
      }),
    );

  withGlobalOptions(
    program
      .command('move-sample')
      .description('give a sample to another person (a photo enrolled under the wrong name)')
      .argument('<id>', 'sample id (see `visage samples NAME`)', positiveInt)
      .argument('<name>', 'the person who gets it')
      .option('--force', "move it even when the face does not look like that person's samples"),
  )
    .addHelpText(
      'after',
      examples('visage move-sample 42 "Ada Lovelace"', 'visage move-sample 42 Ada --force'),
    )
    .action((id: number, name: string, opts: GlobalOptions & { force?: boolean }) =>
      withVisage(opts, (visage) => {
        const result = visage.enrollment.moveSampleToName(id, name, { force: opts.force });
        if (opts.json) return printJson(result);
        say(`moved sample ${id} from ${result.from.name} to ${result.to.name}`);
      }),
    );
}

/** Runs a management verb on the data directory's gallery and closes it, also on error. */
async function withVisage(opts: GlobalOptions, run: (visage: Visage) => void): Promise<void> {
  const visage = openVisage(opts);
  try {
    run(visage);
  } finally {
    await visage.close();
  }
}

function printLookalikes(list: LookalikeList, opts: GlobalOptions): void {
  if (opts.json) return printJson(list);
  if (list.calibration === null)
    return say(`model ${list.model} has no calibration, so look-alikes cannot be judged`);
  if (list.items.length === 0)
    return say(`no look-alikes: no two people's samples lie within ${list.threshold} z (balanced)`);
  printTable(
    ['person', 'looks like', 'evidence (z)', 'samples'],
    list.items.map((p) => [p.a.name, p.b.name, p.evidence.toFixed(2), `${p.aSampleId} ~ ${p.bSampleId}`]),
  );
  say(
    `\n${list.items.length} pair(s) within the balanced threshold ${list.threshold} z (${list.calibration}): check each is two people`,
  );
}

function printSamples(samples: SampleJson[]): void {
  if (samples.length === 0) return say('no samples');
  printTable(
    ['sample', 'source', 'size', 'sharpness', 'yaw', 'models', 'added'],
    samples.map((s) => [
      s.id,
      s.sourceName,
      String(s.quality?.['size'] ?? '-'),
      String(s.quality?.['sharpness'] ?? '-'),
      String(s.quality?.['yaw'] ?? '-'),
      s.models.join(' '),
      minute(s.createdAt),
    ]),
  );
}

function mergeLine(m: {
  from: { name: string };
  into: PersonJson;
  movedSampleIds: number[];
  droppedSampleIds: number[];
}): string {
  const dropped = m.droppedSampleIds.length ? `, ${m.droppedSampleIds.length} duplicate samples dropped` : '';
  return `merged ${m.from.name} into ${m.into.name}: ${m.movedSampleIds.length} samples moved${dropped}; ${m.into.name} now has ${m.into.samples}`;
}

const day = (iso: string): string => iso.slice(0, 10);
const minute = (iso: string): string => `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

export function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}`;
}
