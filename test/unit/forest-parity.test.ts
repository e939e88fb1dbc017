/**
 * Accuracy parity of the `forest` engine with scikit-learn, against the committed reference numbers
 * (test/fixtures/sklearn-reference.json, made by scripts/sklearn-reference.py through
 * `node out/test/bench/index.js forest --write-reference`): the same data sets, configurations and seeds,
 * mean over 5 seeds. Regression test RMSE within 2 %, classification accuracy within 1 point.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, it } from 'node:test';
import { disposeForestWorkers } from '../../src/core/training/forest';
import { ourMetric, REFERENCE_FILE, referenceDatasets, type ReferenceFile } from '../bench/forestBench';

after(() => disposeForestWorkers());

const reference = JSON.parse(fs.readFileSync(REFERENCE_FILE, 'utf8')) as ReferenceFile;

for (const ds of referenceDatasets()) {
  for (const cfg of ds.configs) {
    const label = `${ds.name}, ${cfg.n_estimators} trees, max_depth ${cfg.max_depth ?? 'none'}`;
    it(`${label}: within ${ds.task === 'regression' ? '2 % RMSE' : '1 point accuracy'} of scikit-learn`, async () => {
      const ref = reference.results.find((r) => r.dataset === ds.name && JSON.stringify(r.config) === JSON.stringify(cfg));
      assert.ok(ref, `no reference for ${label}`);
      assert.deepEqual(ref.seeds, ds.seeds);
      let sum = 0;
      for (const seed of ds.seeds) sum += await ourMetric(ds, cfg, seed);
      const ours = sum / ds.seeds.length;
      if (ds.task === 'regression') assert.ok(Math.abs(ours / ref.mean - 1) <= 0.02, `RMSE ${ours.toFixed(4)} vs scikit-learn ${ref.mean.toFixed(4)}`);
      else assert.ok(Math.abs(ours - ref.mean) <= 0.01, `accuracy ${(ours * 100).toFixed(2)} % vs scikit-learn ${(ref.mean * 100).toFixed(2)} %`);
    });
  }
}
