/**
 * Parquet end to end through the `mlops` CLI (dist/cli.js, spawned) on the played sample: training, prediction, a
 * pipeline run and a drift check on Parquet copies of the sample's CSVs give what the CSVs give.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { loadCsv } from '../../src/core/data/csv';
import type { DriftReport } from '../../src/core/monitoring/monitor';
import { CLI, tempDir } from './helpers';
import { writeParquet } from './parquetFiles';

const ws = tempDir('mlops-parquet-cli-');
const mlops = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: ws, encoding: 'utf8', env: { ...process.env, MLOPS_STORE: '' }, timeout: 120_000 });

/** A Parquet copy of a CSV of the sample (numbers DOUBLE, text STRING, row groups of 300 rows). */
async function parquetCopy(csvRel: string): Promise<string> {
  const csv = path.join(ws, csvRel);
  const ds = await loadCsv(csv, { missing: 'keep' });
  const columnData = ds.columns.map((c) => (c.type === 'numeric' ? { name: c.name, type: 'DOUBLE' as const, data: Array.from(c.values, (v) => (Number.isNaN(v) ? null : v)) } : { name: c.name, type: 'STRING' as const, data: Array.from(c.codes, (k) => (k < 0 ? null : c.levels[k])) }));
  const rel = csvRel.replace(/\.csv$/, '.parquet');
  writeParquet(path.join(ws, rel), columnData, { rowGroupSize: 300 });
  return rel;
}

describe('Parquet through the CLI', () => {
  before(async () => {
    const init = mlops('init', '.', '--sample', '--story');
    assert.equal(init.status, 0, init.stderr);
    for (const f of ['data/wafer_yield.csv', 'data/batches/temperature_drift_batch.csv', 'data/batches/new_chip_design_batch.csv']) await parquetCopy(f);
  });

  it('mlops train on the Parquet copy gives the metrics of the CSV', () => {
    const runs = ['csv', 'parquet'].map((ext) => {
      const r = mlops('train', '--data', `data/wafer_yield.${ext}`, '--target', 'yield', '-p', 'n_estimators=20', '-p', 'max_depth=6', '--json');
      assert.equal(r.status, 0, r.stderr);
      const { metrics } = JSON.parse(r.stdout) as { metrics: Record<string, number> };
      delete metrics.fit_seconds; // a timing
      return { metrics };
    });
    assert.ok(Object.keys(runs[0].metrics).length >= 3);
    assert.deepEqual(runs[1].metrics, runs[0].metrics);
    // The same through mlops.yaml's training data path.
    const config = path.join(ws, 'mlops.yaml');
    const yaml = fs.readFileSync(config, 'utf8');
    assert.match(yaml, /data: data\/wafer_yield\.csv/);
    fs.writeFileSync(config, yaml.replace('data: data/wafer_yield.csv', 'data: data/wafer_yield.parquet'));
    try {
      const r = mlops('train', '-p', 'n_estimators=20', '-p', 'max_depth=6', '--json');
      assert.equal(r.status, 0, r.stderr);
      const run = JSON.parse(r.stdout) as { metrics: Record<string, number>; params: { data: string } };
      assert.equal(run.params.data, 'data/wafer_yield.parquet');
      delete run.metrics.fit_seconds;
      assert.deepEqual(run.metrics, runs[0].metrics);
    } finally {
      fs.writeFileSync(config, yaml);
    }
  });

  it('mlops predict on a Parquet batch writes the predictions of the CSV batch', () => {
    for (const ext of ['csv', 'parquet']) {
      const r = mlops('predict', '--model', 'models:/YieldPredictor/Production', '--data', `data/batches/temperature_drift_batch.${ext}`, '--out', `pred-${ext}.csv`);
      assert.equal(r.status, 0, r.stderr);
    }
    const [a, b] = ['csv', 'parquet'].map((ext) => fs.readFileSync(path.join(ws, `pred-${ext}.csv`), 'utf8'));
    assert.ok(a.split('\n').length > 40);
    assert.equal(b, a);
  });

  it('mlops drift with a model: Parquet reference and batch give the CSV report (columns, prediction, performance)', () => {
    const [csv, pq] = ['csv', 'parquet'].map((ext) => {
      const r = mlops('drift', '--reference', `data/wafer_yield.${ext}`, '--current', `data/batches/new_chip_design_batch.${ext}`, '--model', 'models:/YieldPredictor/Production', '--no-save', '--json');
      assert.equal(r.status, 3, r.stderr);
      return JSON.parse(r.stdout) as DriftReport;
    });
    assert.deepEqual(pq.columns, csv.columns);
    assert.deepEqual(pq.prediction, csv.prediction);
    assert.deepEqual(pq.performance, csv.performance);
    assert.deepEqual(pq.alerts, csv.alerts);
  });

  it('mlops pipeline run on a pipeline whose data are Parquet passes its stages as on the CSV', () => {
    const file = path.join(ws, 'yield.pipeline.yaml');
    const yaml = fs.readFileSync(file, 'utf8');
    assert.match(yaml, /data\/new_wafer_data\.csv|data\/wafer_yield\.csv/);
    const runs = ['csv', 'parquet'].map((ext) => {
      if (ext === 'parquet') fs.writeFileSync(path.join(ws, 'pq.pipeline.yaml'), yaml.replace(/data\/wafer_yield\.csv/g, 'data/wafer_yield.parquet').replace(/^name: .*$/m, 'name: yield-parquet'));
      const r = mlops('pipeline', 'run', '--file', ext === 'csv' ? 'yield.pipeline.yaml' : 'pq.pipeline.yaml', '--json');
      assert.ok(r.status === 0 || r.status === 1, r.stderr);
      return JSON.parse(r.stdout) as { status: string; stages: { name: string; status: string; checks?: { name: string; passed: boolean; detail: string }[] }[] };
    });
    assert.equal(runs[1].status, runs[0].status);
    assert.deepEqual(runs[1].stages.map((s) => [s.name, s.status]), runs[0].stages.map((s) => [s.name, s.status]));
    assert.deepEqual(runs[1].stages[0].checks, runs[0].stages[0].checks);
  });
});
