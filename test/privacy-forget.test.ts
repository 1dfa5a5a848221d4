// "Forget this person": after `forget`, no row, file or vector of theirs remains. A real gallery (the BBT
// people of ../shared/faces, imported from a folder per person), real recognitions that store events
// with snapshots, corrections both ways; then every file of the data directory is read as bytes and
// searched for the person's names, id, crop content hashes, a run of a crop's JPEG bytes, of a snapshot's
// and of an embedding vector. The same search before the forget finds them (so it can fail), and the
// other people are still there and still recognised.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { facePath } from '../bench/dataset.js';
import { databasePath } from '../src/gallery/database.js';
import { Gallery } from '../src/gallery/gallery.js';
import type { ExportReport } from '../src/service/archive/archive.js';
import type { ForgetReport } from '../src/service/privacy/forget.js';
import { Visage } from '../src/service/visage.js';
import type { RecognizedFace } from '../src/service/recognize/photos.js';
import { runCli, runCliJson, tempDir } from './support/cli.js';
import { freshDataDir } from './support/server.js';

const OLD_NAME = 'Bernie Rostenkowski';
const NAME = 'Bernadette Rostenkowski-Wolowitz';

/** Every regular file under `dir` (the shared model cache is a symlink: not the gallery's data). */
function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    if (d.isSymbolicLink()) return [];
    return d.isDirectory() ? filesUnder(p) : d.isFile() ? [p] : [];
  });
}

/** The labels of the needles found in any file of `dir`, with the file. */
function traces(dir: string, needles: Record<string, Buffer>): string[] {
  const found: string[] = [];
  for (const file of filesUnder(dir)) {
    const bytes = fs.readFileSync(file);
    for (const [label, needle] of Object.entries(needles))
      if (bytes.includes(needle)) found.push(`${label} in ${path.basename(file)}`);
  }
  return found;
}

/** A run of bytes from the middle of a blob: distinctive, and not a JPEG header every crop shares. */
const middle = (b: Buffer | Uint8Array, length = 48): Buffer => {
  const start = Math.floor(b.length / 2);
  return Buffer.from(b.subarray(start, start + length));
};

async function recognizeOne(visage: Visage, file: string): Promise<RecognizedFace[]> {
  const r = await visage.photos.recognizeFile(file);
  assert.ok('faces' in r, JSON.stringify(r));
  return r.faces;
}

test('forget erases a person from the database file, its write-ahead log and the data directory; the others stay', async () => {
  // A folder per person, Bernadette under her old name and without her fifth photo (recognised below).
  const people = tempDir('forget-people');
  for (const who of fs.readdirSync(facePath('people'), { withFileTypes: true })) {
    if (!who.isDirectory()) continue;
    const folder = path.join(people, who.name === 'bernadette' ? OLD_NAME : who.name);
    fs.mkdirSync(folder);
    for (const f of fs.readdirSync(facePath('people', who.name)))
      if (f !== 'bernadette5.png') fs.copyFileSync(facePath('people', who.name, f), path.join(folder, f));
  }
  const dataDir = freshDataDir('forget');
  const visage = new Visage({ dataDir });
  try {
    const imported = await visage.enrollment.importFolder(people);
    assert.equal(imported.totals.people, 8);
    visage.people.rename(OLD_NAME, NAME);
    const bernadette = visage.people.find(NAME);
    const amyBefore = visage.people.show('amy');

    // Her events: her fifth photo alone, and the scene where she sits with five others.
    const [alone] = await recognizeOne(visage, facePath('people/bernadette/bernadette5.png'));
    assert.equal(alone?.name, NAME, JSON.stringify(alone));
    // Named after her: the other five's events of this photo keep their source, without her name.
    const scenePath = path.join(tempDir('forget-scene'), `${NAME} at dinner.jpg`);
    fs.copyFileSync(facePath('scenes/bbt4.jpg'), scenePath);
    const scene = await recognizeOne(visage, scenePath);
    const inScene = scene.find((f) => f.name === NAME);
    const amyInScene = scene.find((f) => f.name === 'amy');
    assert.ok(inScene && amyInScene, JSON.stringify(scene.map((f) => f.name)));
    // Corrections: "her face is not amy" (amy's negative holds her vector), "amy's face is not her",
    // and her face in the scene enrolled as a sample of hers (a sample made from an event's snapshot).
    await visage.enrollment.correct(alone.eventId!, { not: 'amy' });
    await visage.enrollment.correct(amyInScene.eventId!, { not: NAME });
    const isHer = await visage.enrollment.correct(inScene.eventId!, { is: NAME }, { force: true });
    assert.equal(isHer.action, 'is');
    const stranger = await recognizeOne(visage, facePath('scenes/lin-manuel-miranda.png'));
    assert.equal(stranger[0]?.name, null);

    // A bulk import of more photos of her, queued and not yet run (no runner in this process): the job
    // holds her name and her photo's bytes; amy's import holds neither and stays.
    const herPhoto = fs.readFileSync(facePath('people/bernadette/bernadette5.png'));
    const herImport = visage.jobs
      .imports()
      .startFiles('more', [{ path: `${NAME}/new.png`, bytes: herPhoto }]);
    const amyImport = visage.jobs
      .imports()
      .startFiles('amy', [{ path: 'amy/new.png', bytes: fs.readFileSync(facePath('people/amy/amy1.png')) }]);

    const { gallery } = visage;
    const samples = gallery.samples.listByPerson(bernadette.id);
    assert.equal(samples.length, 5);
    const needles: Record<string, Buffer> = {
      name: Buffer.from(NAME),
      'old name': Buffer.from(OLD_NAME),
      'audit personId': Buffer.from(`"personId":${bernadette.id},`),
      'correction id': Buffer.from(`"not":${bernadette.id},`),
      'crop bytes': middle(gallery.samples.crop(samples[0]!.id)!),
      'snapshot bytes': middle(gallery.events.snapshot(alone.eventId!)!),
      'embedding bytes': Buffer.from(
        gallery.samples.embedding(samples[1]!.id, visage.recognizer.modelId)!.buffer,
      ),
      'event embedding bytes': Buffer.from(gallery.events.embedding(alone.eventId!)!.vector.buffer),
      'queued import photo': middle(herPhoto),
    };
    for (const s of samples)
      needles[`content hash ${s.contentHash.slice(0, 8)}`] = Buffer.from(s.contentHash);
    const all = Object.keys(needles).sort();
    assert.deepEqual(
      [...new Set(traces(dataDir, needles).map((t) => t.split(' in ')[0]))].sort(),
      all,
      'before the forget, the search finds every needle',
    );

    const report = visage.privacy.forget(NAME);
    assert.equal(report.forgotten.id, bernadette.id);
    assert.equal(report.samples, 5);
    assert.equal(report.events, 2, 'her photo and her face in the scene');
    assert.equal(report.negatives, 2, '"amy\'s face is not her", and amy\'s negative made of her face');
    assert.ok(report.imports >= 4, `her photos' import records: ${report.imports}`);
    assert.ok(report.audit.removed > 0 && report.audit.scrubbed > 0, JSON.stringify(report.audit));
    assert.equal(report.walTruncated, true);
    assert.equal(fs.statSync(`${databasePath(dataDir)}-wal`).size, 0, 'the write-ahead log is empty');

    assert.deepEqual(traces(dataDir, needles), [], 'no trace while the gallery is open');
    assert.equal(visage.jobs.queue.get(herImport.id), undefined, 'the job about her went');
    assert.equal(visage.jobs.queue.get(amyImport.id)?.state, 'queued', "amy's stays");
    // Nothing of her in memory either: not in the index, nor the name table.
    assert.equal(gallery.people.findByName(NAME), undefined);
    const faces = await recognizeOne(visage, facePath('people/bernadette/bernadette5.png'));
    assert.ok(
      faces.every(
        (f) => f.personId !== bernadette.id && f.candidates.every((c) => c.personId !== bernadette.id),
      ),
    );
    assert.throws(() => gallery.personName(bernadette.id), { code: 'person_not_found' });

    // The audit log says only that someone was forgotten.
    const [entry] = gallery.audit.list({ action: 'person.forget' });
    assert.deepEqual(entry?.details, {});

    // Everyone else is intact: samples, their own events, still recognised; amy lost only the
    // negative that was Bernadette's face, and her own event keeps its answer.
    assert.equal(gallery.people.count(), 7);
    const amy = visage.people.show('amy');
    assert.equal(amy.samples.length, amyBefore.samples.length);
    assert.equal(amy.negatives, 0);
    assert.equal(gallery.events.get(amyInScene.eventId!)?.personId, amy.person.id);
    assert.equal(path.basename(gallery.events.get(amyInScene.eventId!)!.source), '… at dinner.jpg');
    assert.equal(gallery.events.count({ personId: null }), 2, "the stranger and today's unknown face of her");
    const again = await recognizeOne(visage, facePath('scenes/bbt4.jpg'));
    assert.deepEqual(
      again
        .map((f) => f.name)
        .filter((n) => n !== null)
        .sort(),
      scene
        .map((f) => f.name)
        .filter((n) => n !== null && n !== NAME)
        .sort(),
    );
  } finally {
    await visage.close();
  }
  assert.deepEqual(traces(dataDir, { name: Buffer.from(NAME) }), [], 'nor after closing');
});

test('`visage export FILE --person NAME`, then `visage forget NAME`; with --audit-names the audit log keeps who it was', () => {
  const dataDir = freshDataDir('forget-cli');
  const data = ['--data', dataDir];
  const folder = tempDir('forget-cli-people');
  for (const who of ['Howard', 'Raj']) {
    fs.mkdirSync(path.join(folder, who));
    for (const n of [1, 2, 3]) {
      const photo = `${who.toLowerCase()}${n}.png`;
      fs.copyFileSync(facePath('people', who.toLowerCase(), photo), path.join(folder, who, photo));
    }
  }
  assert.equal(runCli(['import', folder, ...data]).status, 0);

  const archive = path.join(tempDir('forget-cli-export'), 'howard.tar');
  const exported = runCliJson<ExportReport>(['export', archive, '--person', 'howard', ...data]);
  assert.equal(exported.status, 0, exported.stderr);
  assert.deepEqual([exported.json.people, exported.json.samples, exported.json.audit], [1, 3, 1]);

  assert.equal(runCli(['retention', '--audit-names', ...data]).status, 0);
  const forgot = runCliJson<ForgetReport>(['forget', 'howard', ...data]);
  assert.equal(forgot.status, 0, forgot.stderr);
  assert.equal(forgot.json.forgotten.name, 'Howard');
  assert.deepEqual(forgot.json.audit, { removed: 0, scrubbed: 0 }, 'the history is kept as configured');
  const again = runCliJson<{ error: { code: string } }>(['forget', 'howard', ...data]);
  assert.equal(again.status, 1);
  assert.equal(again.json.error.code, 'person_not_found');

  const gallery = Gallery.open(dataDir);
  try {
    const [entry] = gallery.audit.list({ action: 'person.forget' });
    assert.deepEqual(entry?.details, { personId: forgot.json.forgotten.id, name: 'Howard' });
    assert.equal(gallery.audit.list({ action: 'person.enrol' }).length, 2);
    assert.deepEqual(
      gallery.people.list().map((p) => p.name),
      ['Raj'],
    );
  } finally {
    gallery.close();
  }
});

test("forgetting Ann takes her name out of other rows where it stands alone, not out of Anna's or Ann Smith's", () => {
  const visage = new Visage({ dataDir: tempDir('forget-names') });
  try {
    const { gallery } = visage;
    const box = { x: 0, y: 0, width: 10, height: 10 };
    const ann = gallery.createPerson('Ann');
    const anna = gallery.createPerson('Anna');
    const annSmith = gallery.createPerson('Ann Smith');
    gallery.events.add({ source: 'party/Ann.jpg', box, personId: ann.id });
    const together = gallery.events.add({ source: 'party/Ann and Anna.jpg', box, personId: anna.id });
    const smith = gallery.events.add({ source: 'party/Ann Smith.jpg', box, personId: annSmith.id });
    const report = visage.privacy.forget('ann');
    assert.equal(report.events, 1);
    assert.equal(gallery.events.get(together.id)?.source, 'party/… and Anna.jpg');
    assert.equal(gallery.events.get(smith.id)?.source, 'party/Ann Smith.jpg');
    const created = gallery.audit.list({ action: 'person.create' }).map((e) => e.details['name']);
    assert.deepEqual(created.sort(), ['Ann Smith', 'Anna']);
  } finally {
    void visage.close();
  }
});
