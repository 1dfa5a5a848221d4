// The one CSV writer (src/api/csv.ts) guards every export against spreadsheet formulas; `visage export
// --csv` goes through it end to end, so a person named like a formula comes out as text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { facePath } from '../bench/dataset.js';
import { csvRow, parseCsv, toCsv } from '../src/api/csv.js';
import { runCliJson, tempDir } from './support/cli.js';

test('text that a spreadsheet would evaluate gets a leading apostrophe; numbers and plain text do not', () => {
  assert.equal(
    csvRow(['=1+1', '+cmd', '-x', '@SUM(A1)', '\tTAB', -0.5, 3, 'Ada']),
    "'=1+1,'+cmd,'-x,'@SUM(A1),'\tTAB,-0.5,3,Ada",
  );
  assert.equal(csvRow(['a,b', 'say "hi"', null, undefined]), '"a,b","say ""hi""",,');
  const doc = toCsv(['name', 'score'], [['=HYPERLINK("http://x","y")', 0.9]]);
  assert.deepEqual(parseCsv(doc), [
    ['name', 'score'],
    ['\'=HYPERLINK("http://x","y")', '0.9'],
  ]);
});

test('visage export --csv writes a formula-like name as text', () => {
  const data = tempDir('csv-export');
  const name = '=HYPERLINK("http://evil.example","click")';
  const enrolled = runCliJson([
    'enroll',
    '--name',
    name,
    facePath('people/sheldon/sheldon1.png'),
    '--data',
    data,
  ]);
  assert.equal(enrolled.status, 0, enrolled.stderr);
  const file = path.join(data, 'features.csv');
  const exported = runCliJson(['export', '--csv', file, '--data', data]);
  assert.equal(exported.status, 0, exported.stderr);
  const [row] = parseCsv(fs.readFileSync(file, 'utf8'));
  assert.equal(row![0], `'${name}`);
  assert.equal(row!.length, 129);
});
