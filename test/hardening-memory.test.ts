// Issue 11, finding 9: the server kept native memory after heavy use. ONNX Runtime's CPU arena and its
// per-shape memory patterns are off (each run frees its tensors), libvips' operation cache is off
// (decode.ts), and `npm start` limits glibc to 2 malloc arenas (bin/visage.js: most of what was kept);
// `npm run bench:load` measures RSS at start, at peak and after a quiet minute under the fuzz mix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { sessionOptions } from '../src/engine/runtime/sessions.js';

test('ONNX Runtime sessions keep no arena or per-shape memory plans between runs', () => {
  const options = sessionOptions(1);
  assert.equal(options.enableCpuMemArena, false);
  assert.equal(options.enableMemPattern, false);
  assert.equal(options.intraOpNumThreads, 1);
});

test('libvips keeps no operation cache (no memory, no open files, no items)', async () => {
  const { default: sharp } = await import('sharp');
  await import('../src/engine/image/decode.js');
  const cache = sharp.cache();
  assert.deepEqual(
    { memory: cache.memory.max, files: cache.files.max, items: cache.items.max },
    { memory: 0, files: 0, items: 0 },
  );
});

test('npm start runs the server with 2 glibc malloc arenas, unless the environment says otherwise', () => {
  // What held the memory after heavy use (bin/visage.js has the figures). The start script's own shell
  // line is run, with the server replaced by a program that prints what it was given.
  const pkg = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '../package.json'), 'utf8')) as {
    scripts: { start: string };
  };
  const server = 'node bin/visage.js serve';
  assert.ok(pkg.scripts.start.endsWith(server), pkg.scripts.start);
  const line = pkg.scripts.start.replace(
    server,
    `node -e "process.stdout.write(process.env.MALLOC_ARENA_MAX ?? 'unset')"`,
  );
  const run = (env: NodeJS.ProcessEnv): string => execFileSync('sh', ['-c', line], { env, encoding: 'utf8' });
  const clean = { ...process.env };
  delete clean.MALLOC_ARENA_MAX;
  assert.equal(run(clean), '2');
  assert.equal(run({ ...clean, MALLOC_ARENA_MAX: '4' }), '4');
});
