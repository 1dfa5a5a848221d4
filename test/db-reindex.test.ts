// `visage reindex`: embeddings for another model from the stored crops alone, good enough to recognise
// with that model; and re-embedding with the same model stays next to the original vectors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { facePath, galleryImages } from '../bench/dataset.js';
import { cosineDistance } from '../src/engine/compare.js';
import { Gallery } from '../src/gallery/gallery.js';
import type { ReindexReport } from '../src/service/enroll/reindex.js';
import { Visage } from '../src/service/visage.js';
import { runCli, runCliJson, tempDir } from './support/cli.js';

const dataDir = tempDir('db-reindex');
const data = ['--data', dataDir];

function reindex(args: string[]): ReindexReport {
  const r = runCliJson<ReindexReport>(['reindex', ...args, ...data]);
  assert.equal(r.status, 0, r.stderr);
  return r.json;
}

function embeddings(modelId: string): Map<number, Float32Array> {
  const gallery = Gallery.open(dataDir);
  try {
    return new Map([...gallery.samples.iterateEmbeddings(modelId)].map((e) => [e.sampleId, e.vector]));
  } finally {
    gallery.close();
  }
}

test("reindex fills only what is missing; --all re-embeds the default model within 0.01 of the photos' vectors", () => {
  assert.equal(runCli(['import', facePath('people'), ...data]).status, 0);
  const nothing = reindex([]);
  assert.deepEqual(
    [nothing.model, nothing.samples, nothing.reembedded, nothing.unchanged],
    ['dlib-resnet', 40, 0, 40],
  );

  const fromPhotos = embeddings('dlib-resnet');
  const all = reindex(['--all']);
  assert.deepEqual([all.reembedded, all.failed.length], [40, 0]);
  const fromCrops = embeddings('dlib-resnet');
  const worst = Math.max(...[...fromPhotos].map(([id, v]) => cosineDistance(v, fromCrops.get(id)!)));
  // The model's threshold is 0.07: a crop-made vector must stay far inside it.
  assert.ok(worst < 0.01, `largest drift ${worst}`);
});

test('reindex --model faceres: 40 crops embedded, each next to the faceres vector of its photo; recognition with faceres sees no difference', async () => {
  const r = reindex(['--model', 'faceres']);
  assert.deepEqual([r.model, r.reembedded, r.failed.length], ['faceres', 40, 0]);
  const fromCrops = embeddings('faceres');
  assert.equal(fromCrops.size, 40);

  // The same gallery enrolled from the photos with faceres directly, for reference.
  const direct = new Visage({ dataDir: tempDir('db-reindex-faceres'), embedder: 'faceres' });
  const reindexed = new Visage({ dataDir, embedder: 'faceres' });
  try {
    for (const [name, files] of galleryImages('people')) {
      assert.equal(
        (
          await direct.enrollment.enroll(
            name,
            files.map((source) => ({ source })),
          )
        ).accepted.length,
        5,
      );
    }
    const byHash = new Map(
      direct.gallery.people
        .list()
        .flatMap((p) => direct.gallery.samples.listByPerson(p.id))
        .map((s) => [s.contentHash, s.id]),
    );
    const drift = reindexed.gallery.people
      .list()
      .flatMap((p) => reindexed.gallery.samples.listByPerson(p.id))
      .map((s) =>
        cosineDistance(
          fromCrops.get(s.id)!,
          direct.gallery.samples.embedding(byHash.get(s.contentHash)!, 'faceres')!,
        ),
      );
    // faceres's threshold is 0.37; measured: median 0.01, largest 0.08 (tight people/ crops, whose border
    // faceres's wider alignment reaches into).
    assert.ok(Math.max(...drift) < 0.1, `largest drift ${Math.max(...drift)}`);

    for (const scene of [
      'scenes/bbt1.jpg',
      'scenes/bbt2.jpg',
      'scenes/bbt3.jpg',
      'scenes/bbt4.jpg',
      'scenes/bbt5.jpg',
    ]) {
      const names = async (v: Visage): Promise<(string | null)[]> => {
        const result = await v.photos.recognizeFile(facePath(scene), { storeEvents: false });
        assert.ok('faces' in result);
        return result.faces.map((f) => f.name);
      };
      assert.deepEqual(await names(reindexed), await names(direct), scene);
    }
  } finally {
    await direct.close();
    await reindexed.close();
  }
});

test('reindex with a model that does not embed is bad input (exit 1) and lists the choices', () => {
  const r = runCli(['reindex', '--model', 'blazeface-back', ...data]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^visage: blazeface-back is not an embedding model; choose one of: .*dlib-resnet/);
});
