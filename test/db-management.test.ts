// Managing the gallery through the real command: people, show, rename (--merge), merge, delete, samples,
// remove-sample, move-sample, every change audited; bad names; a damaged database file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { facePath } from '../bench/dataset.js';
import { Gallery } from '../src/gallery/gallery.js';
import type { EnrollReport } from '../src/service/enroll/enrollment.js';
import type {
  DeleteResult,
  MergeJson,
  PersonDetails,
  PersonJson,
  RenameResult,
  SampleChange,
  SampleJson,
  SampleMove,
} from '../src/service/people/people.js';
import { runCli, runCliJson, tempDir } from './support/cli.js';

const dataDir = tempDir('db-manage');
const data = ['--data', dataDir];

function cli<T>(args: string[], dir = dataDir): T {
  const r = runCliJson<T>([...args, '--data', dir]);
  assert.equal(r.status, 0, r.stderr);
  return r.json;
}

const people = (dir = dataDir): Record<string, PersonJson> =>
  Object.fromEntries(cli<{ people: PersonJson[] }>(['people'], dir).people.map((p) => [p.name, p]));

test('people lists everyone with samples, created and last seen; show gives samples and sightings', () => {
  assert.equal(runCli(['import', facePath('people'), ...data]).status, 0);
  const before = people();
  assert.deepEqual(Object.keys(before), [
    'amy',
    'bernadette',
    'howard',
    'leonard',
    'penny',
    'raj',
    'sheldon',
    'stuart',
  ]);
  for (const p of Object.values(before)) {
    assert.equal(p.samples, 5);
    assert.ok(Date.parse(p.createdAt) > Date.now() - 600_000, p.createdAt);
    assert.equal(p.lastSeenAt, null);
  }
  assert.equal(runCli(['recognize', facePath('scenes/bbt3.jpg'), ...data]).status, 0);
  const after = people();
  assert.deepEqual(
    Object.values(after)
      .filter((p) => p.lastSeenAt !== null)
      .map((p) => p.name),
    ['howard', 'leonard', 'penny', 'raj', 'sheldon'],
  );
  const sheldon = cli<PersonDetails>(['show', 'SHELDON']);
  assert.equal(sheldon.person.name, 'sheldon');
  assert.equal(sheldon.samples.length, 5);
  assert.equal(sheldon.events.total, 1);
  assert.equal(sheldon.events.recent[0]!.name, 'sheldon');
  const text = runCli(['people', ...data]);
  assert.match(text.stdout, /^name\s+samples\s+created\s+last seen\n/);
});

test('rename: case-only is fine, a taken name is refused with the --merge hint, --merge merges into the holder', () => {
  assert.equal(cli<RenameResult>(['rename', 'penny', 'Penny']).person.name, 'Penny');
  const taken = runCli(['rename', 'Penny', 'LEONARD', ...data]);
  assert.equal(taken.status, 1);
  assert.equal(
    taken.stderr,
    'visage: "leonard" is already someone else\'s name; add --merge to merge Penny into leonard, or pick another name\n',
  );
  const merged = cli<RenameResult>(['rename', 'stuart', 'Leonard', '--merge']);
  assert.equal(merged.merged!.from.name, 'stuart');
  assert.deepEqual([merged.person.name, merged.person.samples], ['leonard', 10]);
  assert.equal(people()['stuart'], undefined);
});

test('merge A B moves samples and sightings to B; delete removes a person and says what went', () => {
  const merged = cli<MergeJson>(['merge', 'howard', 'raj']);
  assert.equal(merged.movedSampleIds.length, 5);
  assert.deepEqual([merged.into.name, merged.into.samples], ['raj', 10]);
  assert.equal(
    cli<PersonDetails>(['show', 'raj']).events.total,
    2,
    "howard's sighting in bbt3 now belongs to raj",
  );

  const deleted = cli<DeleteResult>(['delete', 'raj']);
  assert.deepEqual(deleted, {
    deleted: { id: merged.into.id, name: 'raj' },
    samples: 10,
    negatives: 0,
    eventsUnlinked: 2,
  });
  assert.deepEqual(Object.keys(people()), ['amy', 'bernadette', 'leonard', 'Penny', 'sheldon']);
  const again = runCli(['delete', 'raj', ...data]);
  assert.equal(again.status, 1);
  assert.equal(again.stderr, 'visage: no person named "raj"; see `visage people`\n');
});

test('samples, remove-sample and move-sample; every change above is in the audit log', () => {
  const amy = cli<{ samples: SampleJson[] }>(['samples', 'amy']).samples;
  assert.deepEqual(
    amy.map((s) => path.basename(s.sourceName)),
    ['amy1.png', 'amy2.png', 'amy3.png', 'amy4.png', 'amy5.png'],
  );
  assert.ok(amy.every((s) => s.models.includes('dlib-resnet') && s.box && s.contentHash.length === 64));

  const removed = cli<SampleChange>(['remove-sample', String(amy[0]!.id)]);
  assert.deepEqual([removed.sample.id, removed.person.name], [amy[0]!.id, 'amy']);
  // Amy's face does not look like sheldon's samples: the move is refused, as in the web app, and only
  // --force makes it (recorded as an override).
  const refused = runCli(['move-sample', String(amy[1]!.id), 'sheldon', ...data]);
  assert.equal(refused.status, 1, refused.stderr);
  assert.match(refused.stderr, /does not match any of sheldon's 5 samples.*--force/);
  assert.deepEqual([people()['amy']!.samples, people()['sheldon']!.samples], [4, 5]);
  const moved = cli<SampleMove>(['move-sample', String(amy[1]!.id), 'sheldon', '--force']);
  assert.deepEqual([moved.from.name, moved.to.name], ['amy', 'sheldon']);
  assert.deepEqual([people()['amy']!.samples, people()['sheldon']!.samples], [3, 6]);

  const missing = runCli(['remove-sample', String(amy[0]!.id), ...data]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /^visage: no sample with id \d+; see `visage samples NAME`\n$/);
  assert.equal(runCli(['remove-sample', 'abc', ...data]).status, 2);

  const gallery = Gallery.open(dataDir);
  const actions = gallery.audit.list({ limit: 1000 }).map((a) => a.action);
  gallery.close();
  for (const action of [
    'person.rename',
    'person.merge',
    'person.delete',
    'sample.remove',
    'sample.move',
    'sample.move.override',
  ]) {
    assert.ok(actions.includes(action), `${action} audited`);
  }
  assert.equal(actions.filter((a) => a === 'person.merge').length, 2, 'rename --merge and merge');
});

test('names: empty, spaces, 500 characters and control characters are refused; /, .., quotes and SQL are stored verbatim, never as paths', () => {
  const dir = tempDir('db-names');
  const refuse = (name: string, reason: RegExp): void => {
    const r = runCli(['enroll', '--name', name, facePath('people/raj/raj1.png'), '--data', dir]);
    assert.equal(r.status, 1, `${JSON.stringify(name)}: ${r.stderr}`);
    assert.match(r.stderr, /^visage: Invalid person name: /);
    assert.match(r.stderr, reason);
    assert.equal(r.stderr.split('\n').length, 2, 'one line');
  };
  refuse('', /empty/);
  refuse('   ', /empty/);
  refuse('x'.repeat(500), /500 characters; the limit is 100/);
  refuse('a\tb', /control character/);
  refuse('a\u0007b', /control character/);

  const verbatim = ['/', '..', '../../etc/passwd', "Robert'); DROP TABLE people;--", 'C:\\Windows "quoted"'];
  const photos = ['amy', 'bernadette', 'howard', 'leonard', 'penny'];
  verbatim.forEach((name, i) => {
    const r = cli<EnrollReport>(
      ['enroll', '--name', name, facePath(`people/${photos[i]}/${photos[i]}1.png`)],
      dir,
    );
    assert.deepEqual([r.person?.name, r.accepted.length], [name, 1]);
  });
  assert.deepEqual(Object.keys(people(dir)).sort(), [...verbatim].sort());
  assert.equal(cli<PersonDetails>(['show', "Robert'); DROP TABLE people;--"], dir).samples.length, 1);
  assert.deepEqual(
    fs.readdirSync(dir).filter((f) => !f.startsWith('visage.db')),
    ['models'],
  );
  const renamed = runCli(['rename', '..', '', '--data', dir]);
  assert.equal(renamed.status, 1);
  assert.match(renamed.stderr, /^visage: Invalid person name: the name is empty/);
});

test('a damaged database file: every command stops with a clear error and leaves the file as it was', () => {
  const dir = tempDir('db-corrupt');
  assert.equal(runCli(['import', facePath('people/amy'), '--data', dir]).status, 0);
  const file = path.join(dir, 'visage.db');
  const bytes = fs.readFileSync(file);
  assert.ok(bytes.length > 16_384);
  bytes.fill(0xa5, 4096, 12_288); // two pages of garbage after the schema page
  fs.writeFileSync(file, bytes);
  const digest = (): string => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  const before = digest();
  for (const args of [
    ['people'],
    ['import', facePath('people')],
    ['enroll', '--name', 'x', facePath('people/raj/raj1.png')],
    ['export', path.join(dir, 'out.tar')],
  ]) {
    const r = runCli([...args, '--data', dir]);
    assert.equal(r.status, 1, `${args[0]}: ${r.stderr}`);
    assert.match(
      r.stderr,
      /^visage: .*visage\.db is damaged \(.*\)\. Visage left it untouched: restore a backup, or move it away/,
    );
    assert.equal(digest(), before, `${args[0]} changed the file`);
  }
  assert.equal(fs.existsSync(path.join(dir, 'out.tar')), false);
});
