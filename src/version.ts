// Visage's own version, from its package.json: what `visage --version` prints and the OpenAPI document
// states. A leaf any layer may use, like errors.ts.
import fs from 'node:fs';
import path from 'node:path';

export const VISAGE_VERSION = (
  JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../package.json'), 'utf8')) as {
    version: string;
  }
).version;
