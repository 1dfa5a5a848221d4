// Retention: events older than the settings' days, and unknown faces older than theirs, are removed by the
// job (the CLI's `visage retention --run`, and the timer a server starts), with their snapshots gone from
// the database file and its write-ahead log; younger ones, people and samples stay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { databasePath } from '../src/gallery/database.js';
import { Gallery } from '../src/gallery/gallery.js';
import { DAY_MS } from '../src/service/privacy/retention.js';
import { Visage } from '../src/service/visage.js';
import type { RetentionReport } from '../src/service/privacy/retention.js';
import { runCliJson, tempDir } from './support/cli.js';
import { onPostgres, storeOptions } from './support/store.js';

const BOX = { x: 10, y: 10, width: 50, height: 50 };
/** A snapshot stand-in whose bytes the search below can find (retention never decodes snapshots). */
const snapshot = (label: string) => Buffer.from(`snapshot of ${label} `.repeat(40));

/** A data directory with one person and events of the given ages (days), named or unknown. */
function galleryWithEvents(ages: { days: number; named: boolean }[], now: number): string {
  const dataDir = tempDir('retention');
  const gallery = Gallery.open(dataDir, storeOptions(dataDir));
  try {
    const ada = gallery.createPerson('Ada');
    for (const a of ages)
      gallery.events.add({
        time: now - a.days * DAY_MS,
        source: `${a.named ? 'named' : 'unknown'} ${a.days}d`,
        box: BOX,
        personId: a.named ? ada.id : null,
        snapshotJpeg: snapshot(`${a.named ? 'named' : 'unknown'} ${a.days}d`),
      });
  } finally {
    gallery.close();
  }
  return dataDir;
}

const AGES = [
  { days: 200, named: true },
  { days: 91, named: true },
  { days: 60, named: true },
  { days: 1, named: true },
  { days: 45, named: false },
  { days: 31, named: false },
  { days: 29, named: false },
  { days: 100, named: false },
];

function sources(dataDir: string): string[] {
  const gallery = Gallery.open(dataDir, storeOptions(dataDir));
  try {
    return gallery.events.list({ limit: 100, order: 'asc' }).map((e) => e.source);
  } finally {
    gallery.close();
  }
}

test('the defaults (events 90 days, unknown faces 30): `visage retention --run` removes what is older, snapshots included', () => {
  const dataDir = galleryWithEvents(AGES, Date.now());
  const shown = runCliJson<{ settings: { eventDays: number; unknownDays: number; retentionRanAt: null } }>([
    'retention',
    '--data',
    dataDir,
  ]);
  assert.equal(shown.status, 0, shown.stderr);
  assert.deepEqual(
    [shown.json.settings.eventDays, shown.json.settings.unknownDays, shown.json.settings.retentionRanAt],
    [90, 30, null],
  );

  const r = runCliJson<{ run: RetentionReport }>(['retention', '--run', '--data', dataDir]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.json.run.events, 3, 'named 200 d and 91 d, unknown 100 d');
  assert.equal(r.json.run.unknown, 2, 'unknown 45 d and 31 d');
  // SQLite's file and its write-ahead log are Visage's to clean; PostgreSQL's are the server's (forget.ts).
  assert.equal(r.json.run.walTruncated, !onPostgres());
  assert.deepEqual(sources(dataDir).sort(), ['named 1d', 'named 60d', 'unknown 29d'].sort());
  if (!onPostgres()) {
    const file = fs.readFileSync(databasePath(dataDir));
    for (const gone of ['named 200d', 'named 91d', 'unknown 100d', 'unknown 45d', 'unknown 31d'])
      assert.ok(!file.includes(snapshot(gone).subarray(0, 60)), `${gone}'s snapshot is not in the file`);
    assert.ok(file.includes(snapshot('named 60d').subarray(0, 60)), 'a kept snapshot is (the search works)');
  }

  const again = runCliJson<{ run: RetentionReport; settings: { retentionRanAt: string } }>([
    'retention',
    '--run',
    '--data',
    dataDir,
  ]);
  assert.deepEqual([again.json.run.events, again.json.run.unknown], [0, 0]);
  assert.ok(Date.now() - Date.parse(again.json.settings.retentionRanAt) < 60_000);
});

test('settings: "keep" keeps events forever, other days apply at the next run; bad values are refused', () => {
  const dataDir = galleryWithEvents(AGES, Date.now());
  const set = runCliJson<{ settings: { eventDays: number | null; unknownDays: number } }>([
    'retention',
    '--events',
    'keep',
    '--unknown',
    '40',
    '--run',
    '--data',
    dataDir,
  ]);
  assert.equal(set.status, 0, set.stderr);
  assert.deepEqual([set.json.settings.eventDays, set.json.settings.unknownDays], [null, 40]);
  assert.deepEqual(
    sources(dataDir).sort(),
    ['named 200d', 'named 91d', 'named 60d', 'named 1d', 'unknown 31d', 'unknown 29d'].sort(),
  );
  const bad = runCliJson(['retention', '--unknown', '0', '--data', dataDir]);
  assert.equal(bad.status, 2, 'days must be a positive whole number');
  const tooLong = runCliJson<{ error: { code: string } }>([
    'retention',
    '--events',
    '99999',
    '--data',
    dataDir,
  ]);
  assert.equal(tooLong.status, 1);
  assert.equal(tooLong.json.error.code, 'invalid_retention');
});

test('the daily job runs at once when it never ran, then not again within a day', async () => {
  const dataDir = galleryWithEvents(AGES, Date.now());
  const visage = new Visage({ dataDir, ...storeOptions(dataDir) });
  try {
    const runs: RetentionReport[] = [];
    let ran!: () => void;
    const first = new Promise<void>((resolve) => (ran = resolve));
    const schedule = visage.privacy.scheduleRetention(
      {
        onRun: (r) => {
          runs.push(r);
          ran();
        },
      },
      20,
    );
    try {
      await first;
      await new Promise((resolve) => setTimeout(resolve, 200));
    } finally {
      schedule.stop();
    }
    assert.equal(runs.length, 1, 'ten looks within 200 ms, one run');
    assert.deepEqual([runs[0]!.events, runs[0]!.unknown], [3, 2]);
    assert.equal(visage.gallery.events.count(), 3);
    // What the audit log keeps of it: counts and the settings, no one's data.
    const [entry] = visage.gallery.audit.list({ action: 'privacy.retention' });
    assert.deepEqual(entry?.details, { events: 3, unknown: 2, eventDays: 90, unknownDays: 30 });
  } finally {
    await visage.close();
  }
});
