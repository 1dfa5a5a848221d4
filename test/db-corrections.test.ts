// `visage correct EVENT --is NAME | --not NAME | --undo` through the real command, on the knn gallery.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { facePath } from '../bench/dataset.js';
import { Gallery } from '../src/gallery/gallery.js';
import type { CorrectionReport, UndoReport } from '../src/service/enroll/corrections.js';
import type { SampleJson } from '../src/service/people/people.js';
import { Visage } from '../src/service/visage.js';
import type { RecognizedFace, RecognizeResult } from '../src/service/recognize/photos.js';
import { runCli, runCliJson, tempDir } from './support/cli.js';

const dataDir = tempDir('db-correct');
const data = ['--data', dataDir];
assert.equal(runCli(['import', facePath('knn/train'), ...data]).status, 0);

/** Recognises a one-face photo (storing an event) and returns that face. */
function recognizeOne(scene: string): RecognizedFace {
  const r = runCliJson<{ results: RecognizeResult[] }>(['recognize', facePath(scene), ...data]);
  assert.equal(r.status, 0, r.stderr);
  const [result] = r.json.results;
  assert.ok(result && 'faces' in result && result.faces.length === 1, JSON.stringify(result));
  return result.faces[0]!;
}

function auditActions(): string[] {
  const gallery = Gallery.open(dataDir);
  try {
    return gallery.audit.list({ limit: 10 }).map((a) => a.action);
  } finally {
    gallery.close();
  }
}

test('--not obama: that face and the same photo at another size are no longer obama, biden still is biden; --undo restores', () => {
  const before = recognizeOne('scenes/obama-480p.jpg');
  assert.equal(before.name, 'obama');

  const r = runCliJson<CorrectionReport>(['correct', String(before.eventId), '--not', 'obama', ...data]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.json.action, 'not');
  assert.equal(r.json.event.name, null, 'the event no longer shows obama');
  assert.deepEqual(auditActions().slice(0, 2), ['event.correct', 'person.negative']);

  for (const scene of ['scenes/obama-480p.jpg', 'scenes/obama-720p.jpg']) {
    const after = recognizeOne(scene);
    assert.notEqual(after.name, 'obama', scene);
    assert.ok(
      after.candidates.every((c) => c.name !== 'obama'),
      `${scene}: obama is vetoed, not just outranked`,
    );
  }
  assert.equal(recognizeOne('scenes/biden.jpg').name, 'biden', 'only obama is vetoed');

  const undo = runCliJson<UndoReport>(['correct', String(before.eventId), '--undo', ...data]);
  assert.equal(undo.status, 0, undo.stderr);
  assert.equal(undo.json.removedNegativeIds.length, 1);
  assert.equal(undo.json.event.name, 'obama', "the event's own answer is back");
  assert.equal(recognizeOne('scenes/obama-480p.jpg').name, 'obama');
  assert.equal(auditActions()[0], 'event.uncorrect');
});

test("--is NAME: an unknown face becomes a new person's sample (with the embedding the recogniser used) and is then named; --undo removes both", () => {
  const stranger = recognizeOne('scenes/lin-manuel-miranda.png');
  assert.equal(stranger.name, null);

  const r = runCliJson<CorrectionReport>([
    'correct',
    String(stranger.eventId),
    '--is',
    'Lin-Manuel Miranda',
    ...data,
  ]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.json.created, true);
  const samples = runCliJson<{ samples: SampleJson[] }>(['samples', 'lin-manuel miranda', ...data]);
  assert.equal(samples.status, 0, samples.stderr);
  assert.deepEqual(
    samples.json.samples.map((s) => [s.id, s.sourceName, s.models]),
    [[r.json.sampleId, `event ${stranger.eventId}`, ['dlib-resnet']]],
  );
  const again = recognizeOne('scenes/lin-manuel-miranda.png');
  assert.equal(again.name, 'Lin-Manuel Miranda');
  assert.equal(again.sampleId, r.json.sampleId);
  assert.ok(again.distance! < 1e-4, `the sample is the event's own embedding (distance ${again.distance})`);

  const undo = runCliJson<UndoReport>(['correct', String(stranger.eventId), '--undo', ...data]);
  assert.equal(undo.status, 0, undo.stderr);
  assert.deepEqual(undo.json.removedSampleIds, [r.json.sampleId]);
  assert.deepEqual(
    undo.json.removedPeople.map((p) => p.name),
    ['Lin-Manuel Miranda'],
  );
  assert.equal(undo.json.event.name, null);
  assert.equal(recognizeOne('scenes/lin-manuel-miranda.png').name, null);
});

test("--is goes through enrolment's checks: a face named obama is refused as biden (looks_like_other_person), and biden gains nothing", () => {
  const face = recognizeOne('scenes/obama-1080p.jpg');
  assert.equal(face.name, 'obama');
  const r = runCli(['correct', String(face.eventId), '--is', 'biden', ...data]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /^visage: event \d+'s face was not added to biden: .*matches obama.*--force/m);
  const biden = runCliJson<{ samples: SampleJson[] }>(['samples', 'biden', ...data]);
  assert.equal(biden.json.samples.length, 2);
});

test('bad use: no action is exit 2; an unknown event or person is exit 1 with a one-line reason', () => {
  const none = runCli(['correct', '1', ...data]);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /exactly one of --is NAME, --not NAME or --undo/);
  const missing = runCli(['correct', '99999', '--not', 'obama', ...data]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /^visage: No event with id 99999/);
  const face = recognizeOne('scenes/biden.jpg');
  const nobody = runCli(['correct', String(face.eventId), '--not', 'nobody', ...data]);
  assert.equal(nobody.status, 1);
  assert.match(nobody.stderr, /^visage: no person named "nobody"; see `visage people`\n$/);
  const nothing = runCli(['correct', String(face.eventId), '--undo', ...data]);
  assert.equal(nothing.status, 1);
  assert.match(nothing.stderr, /has no correction to undo/);
});

test('in one process, --not and its undo take effect at once (the loaded index follows both)', async () => {
  const visage = new Visage({ dataDir });
  try {
    const image = await visage.faces.loadImage(facePath('scenes/obama-720p.jpg'));
    const [face] = await visage.photos.recognizeImage(image, 'obama-720p.jpg');
    assert.equal(face!.name, 'obama');
    await visage.enrollment.correct(face!.eventId!, { not: 'obama' });
    assert.notEqual(
      (await visage.photos.recognizeImage(image, 'again', { storeEvents: false }))[0]!.name,
      'obama',
    );
    visage.enrollment.uncorrect(face!.eventId!);
    assert.equal(
      (await visage.photos.recognizeImage(image, 'again', { storeEvents: false }))[0]!.name,
      'obama',
    );
  } finally {
    await visage.close();
  }
});
