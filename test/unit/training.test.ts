import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { loadCsv } from '../../src/core/data/csv';
import { createSampleWorkspace, sampleFiles } from '../../src/core/sample/sampleWorkspace';
import { Tracker } from '../../src/core/tracking/tracker';
import { runCommandTrainer, parseProtocolLine } from '../../src/core/training/commandTrainer';
import { classificationMetrics, mae, r2, rmse } from '../../src/core/training/metrics';
import { loadModelFrom, predictDataset } from '../../src/core/training/modelBundle';
import { parseHyperparameters } from '../../src/core/training/params';
import { encodeForPrediction, prepare, split } from '../../src/core/training/prepare';
import { compareMetrics, planReproduction } from '../../src/core/training/reproduce';
import { expandSpace, parseGridSpec, runSweep, sampleSpace } from '../../src/core/training/sweep';
import { trainRun } from '../../src/core/training/train';
import { UserInputError } from '../../src/core/util/errors';
import { tempDir } from './helpers';

const ENGINE = (process.env.MLOPS_TEST_ENGINE as 'forest' | 'mljs' | undefined) ?? 'mljs';

function sample(): { dir: string; tracker: Tracker; data: string } {
  const dir = tempDir('mlops-train-');
  createSampleWorkspace(dir);
  return { dir, tracker: Tracker.open(path.join(dir, '.mlops')), data: path.join(dir, 'data', 'wafer_yield.csv') };
}

describe('metrics', () => {
  it('regression metrics match hand-computed values', () => {
    const y = Float64Array.from([3, -0.5, 2, 7]);
    const p = Float64Array.from([2.5, 0.0, 2, 8]);
    assert.equal(mae(y, p), 0.5);
    assert.equal(rmse(y, p), Math.sqrt(0.375));
    assert.ok(Math.abs(r2(y, p) - 0.9486081370449679) < 1e-12); // sklearn's r2_score docstring example
  });
  it('classification metrics (macro) match hand-computed values', () => {
    // sklearn's precision_recall_fscore_support example: y_true [0,1,2,0,1,2], y_pred [0,2,1,0,0,1]
    const m = classificationMetrics(Float64Array.from([0, 1, 2, 0, 1, 2]), Float64Array.from([0, 2, 1, 0, 0, 1]), 3);
    assert.equal(m.accuracy, 2 / 6);
    assert.ok(Math.abs(m.precision - 0.2222222222222222) < 1e-12);
    assert.ok(Math.abs(m.recall - 0.3333333333333333) < 1e-12);
    assert.ok(Math.abs(m.f1 - 0.26666666666666666) < 1e-12);
    assert.deepEqual(m.confusion, [[2, 0, 0], [1, 0, 1], [0, 2, 0]]);
  });
});

describe('data preparation', () => {
  it('one-hot encodes categorical features and records the encoding for prediction', async () => {
    const dir = tempDir();
    const f = path.join(dir, 'c.csv');
    fs.writeFileSync(f, 'color,size,label\nred,1,yes\nblue,2,no\nred,3,yes\ngreen,4,no\n');
    const ds = await loadCsv(f);
    const p = prepare(ds, 'label', 'classification');
    assert.deepEqual(p.encoding.features, ['color=red', 'color=blue', 'color=green', 'size']);
    assert.deepEqual(p.encoding.classes, ['no', 'yes']);
    assert.deepEqual(Array.from(p.y), [1, 0, 1, 0]);
    assert.deepEqual(Array.from(p.x.columns[0]), [1, 0, 1, 0]);
    const g = path.join(dir, 'new.csv');
    fs.writeFileSync(g, 'size,color\n5,green\n6,purple\n');
    const x = encodeForPrediction(await loadCsv(g), p.encoding);
    assert.deepEqual(x.columns.map((c) => Array.from(c)), [[0, 0], [0, 0], [1, 0], [5, 6]]); // unknown level → zeros
    fs.writeFileSync(g, 'size,shape\n5,round\n');
    await assert.rejects(async () => encodeForPrediction(await loadCsv(g), p.encoding), /missing column color; unexpected column shape/);
  });

  it('rejects a constant or absent target and too few rows', async () => {
    const dir = tempDir();
    const f = path.join(dir, 'k.csv');
    fs.writeFileSync(f, 'a,y\n1,5\n2,5\n3,5\n');
    const ds = await loadCsv(f);
    assert.throws(() => prepare(ds, 'y', 'regression'), /target 'y' is constant/);
    assert.throws(() => prepare(ds, 'nope', 'regression'), /Target column 'nope' is not in/);
    assert.throws(() => split(2, 0.2, 'ordered', 1), /2 rows are too few for test_size 0.2/);
  });

  it('splits ordered (the seed), random (seeded) and stratified', () => {
    const o = split(10, 0.2, 'ordered', 1);
    assert.deepEqual(Array.from(o.train), [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(Array.from(o.test), [8, 9]);
    const r1 = split(100, 0.25, 'random', 7);
    const r2 = split(100, 0.25, 'random', 7);
    assert.deepEqual(Array.from(r1.test), Array.from(r2.test));
    assert.equal(r1.test.length, 25);
    assert.notDeepEqual(Array.from(r1.test), Array.from(split(100, 0.25, 'random', 8).test));
    const y = Float64Array.from({ length: 100 }, (_, i) => (i < 80 ? 0 : 1));
    const s = split(100, 0.2, 'random', 3, y, true);
    assert.equal(Array.from(s.test).filter((i) => y[i] === 1).length, 4); // 20 % of each class
    assert.equal(s.test.length, 20);
  });

  it('validates hyperparameters with the seed names', () => {
    assert.deepEqual(parseHyperparameters({ n_estimators: '50', max_depth: 'none', max_features: 'sqrt' }, 'regression').max_depth, null);
    assert.throws(() => parseHyperparameters({ n_estimators: 0 }, 'regression'), /n_estimators must be an integer ≥ 1/);
    assert.throws(() => parseHyperparameters({ max_depht: 3 }, 'regression'), /Unknown hyperparameter 'max_depht'/);
    assert.throws(() => parseHyperparameters({ max_features: 'lots' }, 'regression'), /max_features must be/);
    assert.throws(() => parseHyperparameters({ min_samples_split: 1 }, 'regression'), /min_samples_split must be an integer ≥ 2/);
  });
});

describe('sample workspace', () => {
  it('is identical every time and follows the seed formulas', () => {
    const a = sampleFiles();
    const b = sampleFiles();
    assert.deepEqual(a, b);
    const lines = a['data/wafer_yield.csv'].trim().split('\n');
    assert.equal(lines[0], 'Vdd_mean,Idd_mean,Frequency_mean,Temperature,Dies_tested,yield');
    assert.equal(lines.length, 1001);
    const rows = lines.slice(1).map((l) => l.split(',').map(Number));
    const mean = (j: number) => rows.reduce((s, r) => s + r[j], 0) / rows.length;
    assert.ok(Math.abs(mean(0) - 1.0) < 0.01 && Math.abs(mean(3) - 25) < 1.5 && Math.abs(mean(2) - 1000) < 5);
    assert.ok(rows.every((r) => r[5] >= 0 && r[5] <= 100 && r[4] >= 50 && r[4] < 200 && Number.isInteger(r[4])));
    const drift = a['data/batches/temperature_drift_batch.csv'].trim().split('\n').slice(1).map((l) => l.split(',').map(Number));
    const test = rows.slice(800, 850);
    drift.forEach((r, i) => assert.ok(Math.abs(r[3] - (test[i][3] + 10)) < 1e-9));
    assert.match(a['mlops.yaml'], /- \{n_estimators: 200, max_depth: none\}/);
  });
});

describe(`training (engine ${ENGINE})`, () => {
  it('trains a regression run and logs params, metrics, artifacts and the data set', async () => {
    const { tracker, data } = sample();
    const res = await trainRun(tracker, { data, dataLabel: 'data/wafer_yield.csv', target: 'yield', engine: ENGINE, params: { n_estimators: 10, max_depth: 5 }, experiment: 'T' });
    const r = res.run;
    assert.equal(r.effectiveStatus, 'completed');
    for (const k of ['rmse_train', 'rmse_test', 'mae_test', 'r2_test', 'fit_seconds']) assert.equal(typeof r.metrics[k], 'number', k);
    assert.ok(r.metrics.r2_test > 0.5, `r2 ${r.metrics.r2_test}`);
    assert.equal(r.params.n_estimators, 10);
    assert.equal(r.params.max_depth, 5);
    assert.equal(r.params.engine, ENGINE);
    assert.equal(r.params.split, 'ordered');
    assert.equal(r.environment.dataset?.rows, 1000);
    assert.equal(r.environment.dataset?.sha256.length, 64);
    assert.deepEqual(r.environment.dataset?.types, { Vdd_mean: 'numeric', Idd_mean: 'numeric', Frequency_mean: 'numeric', Temperature: 'numeric', Dies_tested: 'numeric', yield: 'numeric' });
    const names = r.artifacts.map((a) => a.path).sort();
    assert.deepEqual(names, ['encoding.json', 'feature_importance.json', 'model/model.bin', 'model/model.json', 'predictions_sample.csv']);
    // The saved model loads and predicts exactly what the run measured.
    const m = loadModelFrom(path.dirname(tracker.artifactPath(r.id, 'model/model.json')));
    const ds = await loadCsv(data);
    const p = predictDataset(m, ds).values;
    const y = (ds.columns[5] as { values: Float64Array }).values;
    assert.equal(rmse(y.slice(800), p.slice(800)), r.metrics.rmse_test);
    const imp = JSON.parse(fs.readFileSync(tracker.artifactPath(r.id, 'feature_importance.json'), 'utf8'));
    assert.equal(imp.features.length, 5);
  });

  it('classifies a string target and logs the confusion matrix', async () => {
    const dir = tempDir();
    const f = path.join(dir, 'cls.csv');
    const lines = ['x1,x2,grade'];
    for (let i = 0; i < 120; i++) lines.push(`${i % 10},${(i * 7) % 13},${i % 10 < 5 ? 'low' : 'high'}`);
    fs.writeFileSync(f, lines.join('\n'));
    const tracker = Tracker.open(path.join(dir, '.mlops'), { create: true });
    const res = await trainRun(tracker, { data: f, target: 'grade', engine: ENGINE, params: { n_estimators: 5, max_features: 'all' }, split: 'random' });
    assert.equal(res.run.params.task, 'classification');
    for (const k of ['accuracy_test', 'precision_test', 'recall_test', 'f1_test']) assert.equal(typeof res.metrics[k], 'number');
    assert.ok(res.metrics.accuracy_test > 0.9);
    const cm = JSON.parse(fs.readFileSync(tracker.artifactPath(res.run.id, 'confusion_matrix.json'), 'utf8'));
    assert.deepEqual(cm.classes, ['high', 'low']);
  });

  it('bad input writes nothing to the store', async () => {
    const { tracker, data, dir } = sample();
    await assert.rejects(trainRun(tracker, { data, target: 'nope', engine: ENGINE }), UserInputError);
    await assert.rejects(trainRun(tracker, { data: path.join(dir, 'missing.csv'), target: 'yield', engine: ENGINE }), /file not found/);
    await assert.rejects(trainRun(tracker, { data, target: 'yield', engine: ENGINE, params: { max_depth: 'deep' } }), /max_depth must be an integer/);
    await assert.rejects(trainRun(tracker, { data, target: 'yield', engine: ENGINE, testSize: 1.5 }), /test_size/);
    assert.equal(tracker.snapshot().runs.length, 0);
    assert.equal(tracker.listExperiments().length, 0);
  });

  it('reproduces a run with identical metrics, and warns when the data changed', async () => {
    const { tracker, data, dir } = sample();
    const first = await trainRun(tracker, { data, dataLabel: 'data/wafer_yield.csv', target: 'yield', engine: ENGINE, params: { n_estimators: 8, max_depth: 4, seed: 7 } });
    const plan = planReproduction(tracker, first.run.id, dir);
    assert.deepEqual(plan.warnings, []);
    const again = await trainRun(tracker, plan.options);
    assert.deepEqual(compareMetrics(first.run, again.run), []);
    assert.equal(again.run.tags.reproduces, first.run.id);
    fs.appendFileSync(data, '1,0.5,1000,25,100,85\n');
    assert.match(planReproduction(tracker, first.run.id, dir).warnings[0], /changed since the run/);
  });

  it('cancels a run: status cancelled, store consistent', async () => {
    const { tracker, data } = sample();
    const ac = new AbortController();
    const p = trainRun(tracker, { data, target: 'yield', engine: ENGINE, params: { n_estimators: 400 } }, { signal: ac.signal, onRunStarted: () => setTimeout(() => ac.abort(), 50) });
    await assert.rejects(p, /cancelled/);
    const runs = tracker.snapshot();
    assert.equal(runs.runs.length, 1);
    assert.equal(runs.runs[0].effectiveStatus, 'cancelled');
    assert.deepEqual(runs.problems, []);
  });
});

describe('sweeps', () => {
  it('parses grids and samples random combinations deterministically', () => {
    const space = parseGridSpec('n_estimators=50,100,200;max_depth=5,10,none');
    assert.deepEqual(space, { n_estimators: [50, 100, 200], max_depth: [5, 10, null] });
    assert.equal(expandSpace(space).length, 9);
    assert.deepEqual(sampleSpace(space, 4, 1), sampleSpace(space, 4, 1));
    assert.equal(new Set(sampleSpace(space, 4, 1).map((c) => JSON.stringify(c))).size, 4);
    assert.throws(() => parseGridSpec('n_estimators'), /must look like KEY=V1,V2/);
  });

  it('runs one tagged run per combination in parallel and marks the best', async () => {
    const { tracker, data } = sample();
    const combos = [{ n_estimators: 5, max_depth: 2 }, { n_estimators: 5, max_depth: 6 }, { n_estimators: 6, max_depth: 4 }];
    const res = await runSweep(tracker, { data, target: 'yield', engine: ENGINE, combinations: combos, parallel: 2, experiment: 'S' });
    assert.equal(res.runs.length, 3);
    assert.ok(res.runs.every((r) => r.tags.sweep_id === res.sweepId));
    const best = [...res.runs].sort((a, b) => a.metrics.rmse_test - b.metrics.rmse_test)[0];
    assert.equal(res.best?.id, best.id);
    assert.equal(tracker.getRun(best.id).tags.sweep_best, 'true');
    await assert.rejects(runSweep(tracker, { data, target: 'yield', engine: ENGINE, combinations: [{ n_estimators: 5 }, { max_depht: 3 }] }), /combination 2 .*Unknown hyperparameter/);
  });
});

describe('command trainer', () => {
  it('parses the mlops: line protocol', () => {
    assert.deepEqual(parseProtocolLine('mlops:metric rmse_test=3.18 step=3'), { kind: 'metric', values: { rmse_test: '3.18' }, step: 3 });
    assert.equal(parseProtocolLine('epoch 3 done'), undefined);
    assert.throws(() => parseProtocolLine('mlops:metric rmse=abc'), /not a number/);
  });

  it("runs a user's script, logs what it prints, and sets the status from the exit code", async () => {
    const dir = tempDir();
    const script = path.join(dir, 'train.js');
    fs.writeFileSync(path.join(dir, 'weights.bin'), 'w');
    fs.writeFileSync(script, `
      console.log('starting with lr', process.env.MLOPS_PARAM_LR, 'run', process.env.MLOPS_RUN_ID.length);
      for (let s = 0; s < 3; s++) console.log('mlops:metric loss=' + (1 / (s + 1)) + ' step=' + s);
      console.log('mlops:param optimizer=adam');
      console.log('mlops:tag model=custom');
      console.log('mlops:artifact weights.bin');
      process.exit(Number(process.env.MLOPS_PARAM_EXIT || 0));
    `);
    const tracker = Tracker.open(path.join(dir, '.mlops'), { create: true });
    const out: string[] = [];
    const ok = await runCommandTrainer(tracker, { command: `"${process.execPath}" train.js`, cwd: dir, params: { lr: 0.1 } }, { onOutput: (l) => out.push(l) });
    assert.equal(ok.run.effectiveStatus, 'completed');
    assert.equal(ok.run.metrics.loss, 1 / 3);
    assert.equal(ok.run.params.optimizer, 'adam');
    assert.equal(ok.run.tags.model, 'custom');
    assert.deepEqual(ok.run.artifacts.map((a) => a.path), ['weights.bin']);
    assert.equal(tracker.metricHistory(ok.run.id).length, 3);
    assert.match(out[0], /starting with lr 0.1 run 32/);
    const bad = await runCommandTrainer(tracker, { command: `"${process.execPath}" train.js`, cwd: dir, params: { exit: 3 } });
    assert.equal(bad.run.effectiveStatus, 'failed');
    assert.equal(bad.exitCode, 3);
  });
});

describe('quality against scikit-learn (the seed grid, ordered 80/20 split)', () => {
  it('ml-random-forest (engine mljs) is within 5 % of scikit-learn on the seed configurations it can train quickly', async () => {
    const ref = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'sklearn-reference.json'), 'utf8')) as { results: { dataset: string; config: { n_estimators: number; max_depth: number | null }; mean: number }[] };
    const { tracker, data } = sample();
    for (const config of [{ n_estimators: 50, max_depth: 5 }, { n_estimators: 100, max_depth: 5 }]) {
      const sk = ref.results.find((r) => r.dataset === 'wafer' && r.config.n_estimators === config.n_estimators && r.config.max_depth === config.max_depth)!;
      const res = await trainRun(tracker, { data, target: 'yield', engine: 'mljs', params: { ...config, seed: 0 } });
      const ratio = res.metrics.rmse_test / sk.mean;
      assert.ok(Math.abs(ratio - 1) <= 0.05, `${JSON.stringify(config)}: RMSE ${res.metrics.rmse_test.toFixed(4)} vs scikit-learn ${sk.mean.toFixed(4)}`);
    }
  });
});
