// `visage import DIR`: bulk enrolment of a folder per person, idempotent and resumable. The core check:
// kill -9 in the middle, rerun, and the gallery equals an uninterrupted run's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { facePath } from '../bench/dataset.js';
import { Gallery } from '../src/gallery/gallery.js';
import type { ImportFolderReport } from '../src/service/enroll/bulk-import.js';
import { runCliJson, tempDir, visageArgs } from './support/cli.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const work = tempDir('db-import');

// A copy of people/ (8 × 5 crops), so the CLI sees the same paths in every run.
const folder = path.join(work, 'people');
fs.cpSync(facePath('people'), folder, { recursive: true });

interface GalleryState {
  /** Person name → sorted "content hash / crop hash / embedding hash" of each sample. */
  people: Record<string, string[]>;
  samples: number;
}

/** Everything a person's samples are, in a form two galleries can be compared by. */
function state(dataDir: string): GalleryState {
  const gallery = Gallery.open(dataDir);
  try {
    const people: Record<string, string[]> = {};
    let samples = 0;
    for (const p of gallery.people.list()) {
      people[p.name] = gallery.samples
        .listByPerson(p.id)
        .map((s) => {
          const digest = (b: Uint8Array | undefined): string =>
            b ? createHash('sha256').update(b).digest('hex').slice(0, 16) : '-';
          const embedding = gallery.samples.embedding(s.id, 'dlib-resnet');
          return `${s.contentHash}/${digest(gallery.samples.crop(s.id))}/${digest(embedding && new Uint8Array(embedding.buffer))}`;
        })
        .sort();
      samples += people[p.name]!.length;
    }
    return { people, samples };
  } finally {
    gallery.close();
  }
}

function importJson(dataDir: string, extra: string[] = []): ImportFolderReport {
  const r = runCliJson<ImportFolderReport>(['import', folder, '--data', dataDir, ...extra]);
  assert.equal(r.status, 0, r.stderr);
  return r.json;
}

/** Starts `visage import`, and sends `signal` once `people` people are reported committed; resolves on exit. */
function importUntil(
  dataDir: string,
  people: number,
  signal: NodeJS.Signals,
): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  const child = spawn(process.execPath, visageArgs(['import', folder, '--data', dataDir]), { cwd: ROOT });
  let stderr = '';
  let sent = false;
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    if (!sent && (stderr.match(/^visage: import: /gm) ?? []).length >= people) {
      sent = true;
      child.kill(signal);
    }
  });
  child.stdout.resume();
  return new Promise((resolve) => child.on('exit', (code, sig) => resolve({ code, signal: sig, stderr })));
}

let clean: GalleryState;

test('an uninterrupted import enrols 40 of 40; a rerun adds nothing and skips all 40 as already imported', () => {
  const dataDir = tempDir('db-import-clean');
  const first = importJson(dataDir);
  assert.deepEqual(first.totals, { people: 8, files: 40, accepted: 40, rejected: 0, skipped: 0 });
  assert.equal(first.interrupted, false);
  assert.ok(first.imagesPerSecond > 0);
  clean = state(dataDir);
  assert.equal(clean.samples, 40);

  const again = importJson(dataDir);
  assert.deepEqual(again.totals, { people: 8, files: 40, accepted: 0, rejected: 0, skipped: 40 });
  assert.ok(again.files.every((f) => f.reason === 'already_imported'));
  assert.deepEqual(state(dataDir), clean);
});

test('kill -9 after the first person is committed, then rerun: no partial person, no duplicate, same gallery as a clean run', async () => {
  const dataDir = tempDir('db-import-killed');
  const killed = await importUntil(dataDir, 1, 'SIGKILL');
  assert.equal(killed.signal, 'SIGKILL', killed.stderr);

  const partial = state(dataDir);
  const names = Object.keys(partial.people);
  assert.ok(
    names.length >= 1 && names.length < 8,
    `the kill should land mid-import; people: ${names.join(', ')}`,
  );
  // Whoever is stored is stored whole: the same five samples as in the clean run.
  for (const name of names) assert.deepEqual(partial.people[name], clean.people[name], name);

  const rerun = importJson(dataDir);
  assert.equal(rerun.totals.rejected, 0);
  assert.equal(rerun.totals.accepted, 40 - partial.samples);
  assert.deepEqual(state(dataDir), clean);
});

test("a crash between a person's commit and its progress record: the rerun meets duplicates and adds nothing twice", () => {
  const dataDir = tempDir('db-import-gap');
  importJson(dataDir);
  // What such a crash leaves: the samples are stored, the progress of two people's files is not.
  const gallery = Gallery.open(dataDir);
  const forgotten = gallery.db
    .prepare("DELETE FROM import_progress WHERE file_path LIKE 'amy/%' OR file_path LIKE 'raj/%'")
    .run().changes;
  gallery.close();
  assert.equal(forgotten, 10);

  const rerun = importJson(dataDir);
  assert.equal(rerun.totals.accepted, 0);
  assert.deepEqual(
    rerun.files
      .filter((f) => f.reason === 'duplicate_sample')
      .map((f) => path.basename(f.file))
      .sort(),
    [
      'amy1.png',
      'amy2.png',
      'amy3.png',
      'amy4.png',
      'amy5.png',
      'raj1.png',
      'raj2.png',
      'raj3.png',
      'raj4.png',
      'raj5.png',
    ],
  );
  assert.deepEqual(state(dataDir), clean);
});

test('Ctrl-C stops after the current person with a summary and exit 1; the rerun completes it', async () => {
  const dataDir = tempDir('db-import-sigint');
  const stopped = await importUntil(dataDir, 1, 'SIGINT');
  assert.equal(stopped.code, 1, stopped.stderr);
  assert.match(stopped.stderr, /run the same command again to continue/);
  const partial = state(dataDir);
  for (const name of Object.keys(partial.people))
    assert.deepEqual(partial.people[name], clean.people[name], name);
  importJson(dataDir);
  assert.deepEqual(state(dataDir), clean);
});

test('folder names in any script are names; bad files and bad folder names get per-file reasons, the rest goes on', () => {
  const mixed = path.join(work, 'mixed');
  fs.mkdirSync(path.join(mixed, '李雷'), { recursive: true });
  fs.mkdirSync(path.join(mixed, 'Zoë "Z" O\'Brien, Jr.'), { recursive: true });
  fs.mkdirSync(path.join(mixed, '   '), { recursive: true });
  fs.copyFileSync(facePath('people/raj/raj1.png'), path.join(mixed, '李雷', 'a.png'));
  fs.copyFileSync(facePath('people/raj/raj2.png'), path.join(mixed, '李雷', 'b.png'));
  fs.writeFileSync(path.join(mixed, '李雷', 'notes.txt'), 'not a photo');
  fs.copyFileSync(facePath('people/amy/amy1.png'), path.join(mixed, 'Zoë "Z" O\'Brien, Jr.', 'zoe.png'));
  fs.copyFileSync(facePath('detection/dogs.jpg'), path.join(mixed, 'Zoë "Z" O\'Brien, Jr.', 'dogs.jpg'));
  fs.copyFileSync(facePath('people/amy/amy2.png'), path.join(mixed, '   ', 'x.png'));
  fs.writeFileSync(path.join(mixed, 'stray.jpg'), 'a file outside any person folder');

  const dataDir = tempDir('db-import-mixed');
  const r = runCliJson<ImportFolderReport>(['import', mixed, '--data', dataDir]);
  assert.equal(r.status, 0, r.stderr);
  const outcome = Object.fromEntries(
    r.json.files.map((f) => [path.relative(mixed, f.file), `${f.status}${f.reason ? ` ${f.reason}` : ''}`]),
  );
  assert.deepEqual(outcome, {
    [path.join('   ', 'x.png')]: 'rejected invalid_name',
    [path.join('Zoë "Z" O\'Brien, Jr.', 'dogs.jpg')]: 'rejected no_face',
    [path.join('Zoë "Z" O\'Brien, Jr.', 'zoe.png')]: 'accepted',
    [path.join('李雷', 'a.png')]: 'accepted',
    [path.join('李雷', 'b.png')]: 'accepted',
    [path.join('李雷', 'notes.txt')]: 'rejected unsupported_format',
  });
  assert.deepEqual(r.json.ignored, [path.join(mixed, 'stray.jpg')]);
  assert.deepEqual(Object.keys(state(dataDir).people).sort(), ['Zoë "Z" O\'Brien, Jr.', '李雷']);
  // Nothing was written under the names: the data directory holds the database and the model cache only.
  assert.deepEqual(
    fs.readdirSync(dataDir).filter((f) => !f.startsWith('visage.db')),
    ['models'],
  );
});
