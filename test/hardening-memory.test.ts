// Issue 11, finding 9: the server kept native memory after heavy use. ONNX Runtime's CPU arena and its
// per-shape memory patterns are off (each run frees its tensors; libvips' operation cache was already off
// in decode.ts); `npm run bench:load` measures RSS at start, at peak and after a quiet minute under the fuzz mix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sessionOptions } from '../src/engine/runtime/sessions.js';

test('ONNX Runtime sessions keep no arena or per-shape memory plans between runs', () => {
  const options = sessionOptions(1);
  assert.equal(options.enableCpuMemArena, false);
  assert.equal(options.enableMemPattern, false);
  assert.equal(options.intraOpNumThreads, 1);
});
