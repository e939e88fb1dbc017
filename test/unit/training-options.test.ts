/**
 * Training options from the caller's choices over mlops.yaml over the defaults (core/config/trainingOptions.ts, used by
 * `mlops train`/`mlops sweep` and the editor's Train Model/Run Sweep), and the hyperparameter prompt's helpers.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, parseConfig, type WorkbenchConfig } from '../../src/core/config/config';
import { configuredTrainingData, dataLabel, resolveTrainingOptions, sweepExperiment, type TrainingPlace } from '../../src/core/config/trainingOptions';
import { HYPERPARAMETER_BOUNDS, HYPERPARAMETER_HINTS, HYPERPARAMETER_KEYS, hyperparameterListProblem, hyperparameterSummary, parseHyperparameterList } from '../../src/core/training/params';
import { UserInputError } from '../../src/core/util/errors';
import { CLI, tempDir } from './helpers';

const WS = path.resolve('/ws');
const FILE = path.join(WS, 'mlops.yaml');
const HERE: TrainingPlace = { cwd: WS, workspace: WS, source: 'test' };
const FLAGS: TrainingPlace = { ...HERE, names: { data: '--data CSV', target: '--target COL', testSize: '--test-size' } };

function config(text: string): WorkbenchConfig {
  return parseConfig(text, FILE);
}

const FULL = config(`training:
  data: data/wafer_yield.csv
  target: yield
  task: regression
  engine: mljs
  experiment: FromConfig
  test_size: 0.3
  split: random
  missing: median
  categorical: [Lot]
  params: {n_estimators: 50, max_depth: 5}
sweep:
  experiment: SweepFromConfig
  grid: [{n_estimators: 10}]
`);

describe('training options: choices over mlops.yaml over defaults', () => {
  it('without choices, every value comes from mlops.yaml (data relative to the config file)', () => {
    const o = resolveTrainingOptions({}, FULL, HERE);
    assert.equal(o.data, path.join(WS, 'data', 'wafer_yield.csv'));
    assert.equal(o.dataLabel, 'data/wafer_yield.csv');
    assert.deepEqual(
      { target: o.target, task: o.task, engine: o.engine, experiment: o.experiment, testSize: o.testSize, split: o.split, missing: o.missing, categorical: o.categorical, params: o.params, source: o.source },
      { target: 'yield', task: 'regression', engine: 'mljs', experiment: 'FromConfig', testSize: 0.3, split: 'random', missing: 'median', categorical: ['Lot'], params: { n_estimators: 50, max_depth: 5 }, source: 'test' },
    );
  });

  it('every choice wins over mlops.yaml; params are merged key by key', () => {
    const o = resolveTrainingOptions(
      { data: 'other/d.csv', target: 'y', task: 'classification', engine: 'forest', experiment: 'Flag', testSize: '0.25', split: 'ordered', missing: 'drop', categorical: ['A'], params: { max_depth: null, seed: 7 }, runName: 'r1' },
      FULL,
      { ...HERE, cwd: path.join(WS, 'sub') },
    );
    assert.equal(o.data, path.join(WS, 'sub', 'other', 'd.csv'), 'a chosen data path is relative to cwd, not to the config');
    assert.equal(o.dataLabel, 'sub/other/d.csv');
    assert.deepEqual(
      { target: o.target, task: o.task, engine: o.engine, experiment: o.experiment, testSize: o.testSize, split: o.split, missing: o.missing, categorical: o.categorical, runName: o.runName },
      { target: 'y', task: 'classification', engine: 'forest', experiment: 'Flag', testSize: 0.25, split: 'ordered', missing: 'drop', categorical: ['A'], runName: 'r1' },
    );
    assert.deepEqual(o.params, { n_estimators: 50, max_depth: null, seed: 7 });
  });

  it('a complete parameter set (a pre-filled answer) replaces training.params', () => {
    const o = resolveTrainingOptions({ params: { n_estimators: '20' }, paramsComplete: true }, FULL, HERE);
    assert.deepEqual(o.params, { n_estimators: '20' });
  });

  it('without mlops.yaml, what is not chosen is left to the defaults (undefined)', () => {
    const o = resolveTrainingOptions({ data: '/data/d.csv', target: 'y' }, undefined, HERE);
    assert.equal(o.data, path.resolve('/data/d.csv'));
    assert.equal(o.dataLabel, path.resolve('/data/d.csv'), 'outside the workspace: the absolute path');
    for (const k of ['task', 'engine', 'testSize', 'split', 'missing', 'categorical', 'experiment', 'runName'] as const) assert.equal(o[k], undefined, k);
    assert.deepEqual(o.params, {});
  });

  it('a missing data set or target names the choice, the key and the config file', () => {
    assert.throws(() => resolveTrainingOptions({}, undefined, FLAGS), (e: Error) => e instanceof UserInputError && e.message === 'A data set is needed: --data CSV (or training.data in mlops.yaml).');
    const noTarget = config('training: {data: d.csv}\n');
    assert.throws(() => resolveTrainingOptions({}, noTarget, FLAGS), (e: Error) => e instanceof UserInputError && e.message === `A target column is needed: --target COL (or training.target in ${FILE}).`);
    assert.throws(() => resolveTrainingOptions({ data: 'd.csv' }, undefined, HERE), /A target column is needed: target \(or training\.target in mlops\.yaml\)/);
  });

  it('a test share typed as text must be a decimal number in (0, 1), named as the caller names it', () => {
    for (const bad of ['1', '0', 'abc', '0x1', '-0.2']) {
      assert.throws(() => resolveTrainingOptions({ testSize: bad }, FULL, FLAGS), (e: Error) => e instanceof UserInputError && e.message === `--test-size must be a decimal number between 0 and 1 (exclusive), got '${bad}'.`, bad);
    }
    assert.equal(resolveTrainingOptions({ testSize: '.5' }, FULL, FLAGS).testSize, 0.5);
  });

  it('an unknown engine: from a choice, the core message; from mlops.yaml, a ConfigError naming the file and key', () => {
    assert.throws(() => resolveTrainingOptions({ engine: 'xgboost' }, FULL, HERE), (e: Error) => e instanceof UserInputError && !(e instanceof ConfigError) && /^Unknown engine 'xgboost'/.test(e.message));
    const bad = config('training: {data: d.csv, target: y, engine: xgboost}\n');
    assert.throws(
      () => resolveTrainingOptions({}, bad, HERE),
      (e: Error) => e instanceof ConfigError && e.file === FILE && e.message.startsWith(`${FILE}: training.engine: Unknown engine 'xgboost'`),
    );
    assert.equal(resolveTrainingOptions({ engine: 'forest' }, bad, HERE).engine, 'forest', 'a chosen engine wins, the configured one is not read');
  });

  it('helpers: the configured data set, data labels and the sweep experiment', () => {
    assert.equal(configuredTrainingData(FULL), path.join(WS, 'data', 'wafer_yield.csv'));
    assert.equal(configuredTrainingData(undefined), undefined);
    assert.equal(dataLabel(WS, path.join(WS, 'a', 'b.csv')), 'a/b.csv');
    assert.equal(dataLabel(path.join(WS, 'a'), path.join(WS, 'b.csv')), path.join(WS, 'b.csv'));
    const base = resolveTrainingOptions({}, FULL, HERE);
    assert.equal(sweepExperiment('Chosen', FULL.sweep, base), 'Chosen');
    assert.equal(sweepExperiment(undefined, FULL.sweep, base), 'SweepFromConfig');
    assert.equal(sweepExperiment(undefined, undefined, base), 'FromConfig');
  });
});

describe('the CLI resolves through the same rule', () => {
  it('mlops train: a flag wins over mlops.yaml, which wins over the default; a bad engine in mlops.yaml names the file', () => {
    const ws = tempDir('mlops-train-options-');
    const rows = ['x,y', ...Array.from({ length: 40 }, (_, i) => `${i},${i * 2 + (i % 3)}`)];
    fs.writeFileSync(path.join(ws, 'd.csv'), rows.join('\n') + '\n');
    fs.writeFileSync(path.join(ws, 'mlops.yaml'), 'training: {data: d.csv, target: y, engine: mljs, test_size: 0.25, params: {n_estimators: 3, max_depth: 2}}\n');
    const mlops = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: ws, encoding: 'utf8', env: { ...process.env, MLOPS_STORE: '' } });
    assert.equal(mlops('init').status, 0);
    const r = mlops('train', '-p', 'max_depth=4', '--test-size', '0.5', '--json');
    assert.equal(r.status, 0, r.stderr);
    const run = JSON.parse(r.stdout);
    assert.equal(run.params.engine, 'mljs');
    assert.equal(run.params.n_estimators, 3);
    assert.equal(run.params.max_depth, 4);
    assert.equal(run.params.test_size, 0.5);
    assert.equal(run.params.split, 'ordered', 'neither flag nor config: the default');
    assert.equal(run.params.data, 'd.csv');
    fs.writeFileSync(path.join(ws, 'mlops.yaml'), 'training: {data: d.csv, target: y, engine: xgboost}\n');
    const bad = mlops('train');
    assert.equal(bad.status, 2, bad.stderr);
    assert.match(bad.stderr, /mlops\.yaml: training\.engine: Unknown engine 'xgboost'/);
  });
});

describe('the hyperparameter prompt comes from the core list', () => {
  it('every key of HYPERPARAMETER_KEYS is in the summary, with its bounds', () => {
    const s = hyperparameterSummary();
    for (const k of HYPERPARAMETER_KEYS) assert.ok(s.includes(`${k} (${HYPERPARAMETER_HINTS[k]})`), k);
    assert.ok(HYPERPARAMETER_HINTS.n_estimators.includes(String(HYPERPARAMETER_BOUNDS.n_estimators[1])));
    assert.ok(HYPERPARAMETER_HINTS.max_depth.includes('none'));
  });

  it('an answer is parsed as KEY=VALUE pairs and checked as training checks it', () => {
    assert.deepEqual(parseHyperparameterList('n_estimators=100, max_depth=None,seed=7'), { n_estimators: '100', max_depth: null, seed: '7' });
    assert.equal(hyperparameterListProblem('n_estimators=100, max_depth=none, bootstrap=false, max_features=sqrt'), undefined);
    assert.equal(hyperparameterListProblem(''), undefined);
    assert.equal(hyperparameterListProblem('n_estimators 100'), 'Use KEY=VALUE pairs separated by commas');
    assert.match(hyperparameterListProblem('n_estimators=0')!, /^n_estimators must be an integer ≥ 1 and ≤ 10,000/);
    assert.match(hyperparameterListProblem('depth=3')!, /^Unknown hyperparameter 'depth'\. Known: n_estimators, max_depth/);
  });
});
