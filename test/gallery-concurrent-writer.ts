// Child process of gallery-store.test.ts: once the shared start time comes, enrols `count` people
// "<prefix>-<i>", one transaction each, into the gallery at `dir`. Exits non-zero on any error.
import { Gallery } from '../src/gallery/gallery.js';
import { storeOptions } from './support/store.js';

const [dir, prefix, count, startAt] = process.argv.slice(2);
const gallery = Gallery.open(dir, storeOptions(dir));
await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(startAt) - Date.now())));
for (let i = 0; i < Number(count); i++) {
  gallery.enrol({ name: `${prefix}-${i}` }, [
    {
      contentHash: `${prefix}-${i}`,
      embeddings: [{ modelId: 'm', vector: Float32Array.of(1, i, prefix.length) }],
    },
  ]);
}
gallery.close();
