/** loadCsv's `missing: 'keep'` option (raw values with missing counted, for drift) and drift over loaded datasets. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { loadCsv } from '../../src/core/data/csv';
import { datasetDrift, driftDatasetColumn } from '../../src/core/monitoring/stats/columnDrift';
import { tempDir } from './helpers';

const dir = tempDir('mlops-drift-csv-');
function file(name: string, content: string): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, content);
  return f;
}

describe("loadCsv with missing: 'keep'", () => {
  it('keeps NaN (numeric) and code −1 (categorical) in place and counts missing values per column', async () => {
    const f = file('gaps.csv', 'a,c,y\n1,x,10\n,x,20\n3,,30\n5,z,NA\n7,z,50\n');
    const ds = await loadCsv(f, { missing: 'keep' });
    assert.equal(ds.info.rows, 5);
    assert.deepEqual(ds.info.missing, { policy: 'keep', droppedRows: 0, imputed: {}, counts: { a: 1, c: 1, y: 1 } });
    const a = ds.columns[0];
    assert.ok(a.type === 'numeric');
    assert.deepEqual(Array.from(a.values), [1, NaN, 3, 5, 7]);
    const c = ds.columns[1];
    assert.ok(c.type === 'categorical');
    assert.deepEqual(Array.from(c.codes), [0, 0, -1, 1, 1]);
    assert.deepEqual(c.levels, ['x', 'z']);
  });

  it('a column with no value at all is numeric and all NaN (an error under the other policies)', async () => {
    const f = file('empty-col.csv', 'a,b\n1,\n2,NA\n');
    const ds = await loadCsv(f, { missing: 'keep' });
    assert.deepEqual(ds.info.columns, [{ name: 'a', type: 'numeric' }, { name: 'b', type: 'numeric' }]);
    assert.deepEqual(ds.info.missing.counts, { a: 0, b: 2 });
    await assert.rejects(loadCsv(f, { missing: 'median' }), /has no values at all/);
  });

  it('leaves the other policies unchanged', async () => {
    const f = file('gaps2.csv', 'a,c\n1,x\n,x\n3,\n');
    await assert.rejects(loadCsv(f), /missing value/);
    assert.equal((await loadCsv(f, { missing: 'drop' })).info.rows, 1);
    const m = await loadCsv(f, { missing: 'median' });
    assert.deepEqual(m.info.missing, { policy: 'median', droppedRows: 0, imputed: { a: 1, c: 1 } });
  });
});

describe('drift over loaded datasets', () => {
  it('per-column drift with missing counts, and the dataset rule', async () => {
    const refLines = ['x,kind,flag'];
    const curLines = ['x,kind,flag'];
    for (let i = 0; i < 400; i++) refLines.push(`${i % 100},${['a', 'b', 'c'][i % 3]},${i % 2}`);
    for (let i = 0; i < 300; i++) curLines.push(`${i % 7 === 0 ? '' : (i % 100) + 60},${['a', 'b', 'c', 'c'][i % 4]},${i % 2}`);
    const ref = await loadCsv(file('ref.csv', refLines.join('\n')), { missing: 'keep' });
    const cur = await loadCsv(file('cur.csv', curLines.join('\n')), { missing: 'keep' });
    const results = ref.columns.map((c, k) => driftDatasetColumn(c, cur.columns[k]));
    assert.deepEqual(results.map((r) => r.method), ['ks', 'chisquare', 'z']);
    assert.deepEqual(results[0].missing, { reference: 0, current: cur.info.missing.counts.x });
    assert.equal(results[0].missing.current, 43);
    assert.equal(results[0].drifted, true);
    assert.equal(results[2].drifted, false);
    const d = datasetDrift(results);
    assert.equal(d.count, results.filter((r) => r.drifted).length);
    assert.equal(d.drifted, d.share >= 0.5);
  });
});
