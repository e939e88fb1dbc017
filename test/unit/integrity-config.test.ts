/** Issue 18, defects 4, 11, 21 and 22 for settings: bounds everywhere, the whole pipeline definition checked at load, messages that say what was found and where. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { CONFIG_BOUNDS, ConfigError, parseConfig } from '../../src/core/config/config';
import { parsePipeline, PipelineError } from '../../src/core/pipeline/definition';
import { PipelineRecords, newRecord } from '../../src/core/pipeline/record';
import { createSampleWorkspace } from '../../src/core/sample/sampleWorkspace';
import { Store } from '../../src/core/store/store';
import { HYPERPARAMETER_BOUNDS, parseHyperparameters } from '../../src/core/training/params';
import { UserInputError } from '../../src/core/util/errors';
import { CLI, tempDir } from './helpers';

const PIPE = '/w/p.pipeline.yaml';
const pipe = (extra: string, trainer = '{kind: builtin, params: {n_estimators: 8}}') => `name: p\nmodel: M\ndata: {source: d.csv, target: y}\ntrainer: ${trainer}\n${extra}`;
function pipelineProblems(text: string): string[] {
  try {
    parsePipeline(text, PIPE, { checkFiles: false });
  } catch (e) {
    assert.ok(e instanceof PipelineError, String(e));
    assert.ok(e instanceof UserInputError);
    return e.problems.map((p) => `${p.file}:${p.line}:${p.col}: ${p.message}`);
  }
  return [];
}
function configError(text: string): ConfigError {
  try {
    parseConfig(text, '/w/mlops.yaml');
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e;
  }
  assert.fail(`accepted:\n${text}`);
}

describe('settings have bounds (issue 18 #11)', () => {
  it('pipeline: smoke, validation, gates and schedule values out of range are refused with file, key and range', () => {
    const cases: [string, RegExp][] = [
      ['smoke: {latency_calls: 1000000000}', /smoke\.latency_calls' must be a whole number from 1 to 10000, got 1000000000/],
      ['smoke: {latency_calls: 0}', /smoke\.latency_calls' must be a whole number from 1 to 10000/],
      ['smoke: {rows: 0}', /smoke\.rows' must be a whole number from 1 to/],
      ['smoke: {latency_budget_ms: -1}', /smoke\.latency_budget_ms' must be a number from/],
      ['smoke: {latency_budget_ms: .inf}', /smoke\.latency_budget_ms'/],
      ['smoke: {accuracy_tolerance: .nan}', /smoke\.accuracy_tolerance'/],
      ['validation: {min_rows: 1e12}', /validation\.min_rows' must be a whole number from 0 to/],
      ['gates: {max_rmse: -1}', /gates\.max_rmse' must be a number/],
      ['gates: {min_r2: 2}', /gates\.min_r2' must be a number from .* to 1/],
      ['gates: {max_mae: .inf}', /gates\.max_mae'/],
      ['validation: {ranges: {y: [0, .inf]}}', /validation\.ranges\.y'/],
      ['triggers: {schedule: {every: 30d}}', /triggers\.schedule\.every' must be a duration from 1s to 24d/],
      ['trainer: {kind: builtin, test_size: .nan}', /trainer\.test_size'/],
    ];
    for (const [extra, re] of cases) {
      const text = extra.startsWith('trainer:') ? `name: p\nmodel: M\ndata: {source: d.csv, target: y}\n${extra}\n` : pipe(extra);
      const msgs = pipelineProblems(text);
      assert.ok(msgs.some((m) => re.test(m) && m.startsWith(`${PIPE}:`)), `${extra}: ${msgs.join(' | ') || 'accepted'}`);
    }
    assert.deepEqual(pipelineProblems(pipe('smoke: {rows: 50, latency_calls: 200, latency_budget_ms: 50}\ntriggers: {schedule: {every: 6h}}')), []);
  });

  it('mlops.yaml: every numeric setting has a range, and the message names file, line, key and range', () => {
    const cases: [string, RegExp][] = [
      ['sweep:\n  space: {n_estimators: [1]}\n  random: 1000000000\n', /sweep\.random must be a whole number from 1 to 10000/],
      ['sweep:\n  space: {n_estimators: [1]}\n  parallel: 100000\n', /sweep\.parallel must be a whole number from 1 to/],
      ['sweep:\n  space: {n_estimators: [1]}\n  seed: -1\n', /sweep\.seed must be a whole number from 0 to 4294967295/],
      ['sweep:\n  space: {n_estimators: [1]}\n  seed: 1.5\n', /sweep\.seed/],
      ['monitoring:\n  monitors:\n    - {model: M, performance_threshold: .inf}\n', /performance_threshold must be a number/],
      ['training:\n  params: {n_estimators: 1000000}\n', /training\.params\.n_estimators: .*10,000/],
      ['training:\n  params: {max_depth: -1}\n', /training\.params\.max_depth/],
      ['training:\n  params: {colour: red}\n', /training\.params: Unknown hyperparameter 'colour'/],
      ['sweep:\n  space: {n_estimators: [10, 0]}\n', /sweep\.space\.n_estimators/],
      ['sweep:\n  grid:\n    - {max_depth: 0}\n', /sweep\.grid\[0\]\.max_depth/],
    ];
    for (const [text, re] of cases) {
      const e = configError(text);
      assert.match(e.message, /^\/w\/mlops\.yaml:\d+:\d+: /, text);
      assert.match(e.message, re, text);
    }
  });

  it('schemas/mlops.schema.json states the same bounds as the parser', () => {
    type S = { properties: Record<string, S>; minimum?: number; maximum?: number; anyOf?: S[]; items?: S; definitions?: Record<string, S> };
    const schema = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'schemas', 'mlops.schema.json'), 'utf8')) as S;
    const sweep = schema.properties.sweep.properties;
    for (const [k, [min, max]] of Object.entries(CONFIG_BOUNDS.sweep)) assert.deepEqual([sweep[k].minimum, sweep[k].maximum], [min, max], `sweep.${k}`);
    assert.equal(schema.properties.monitoring.properties.monitors.items!.properties.performance_threshold.maximum, CONFIG_BOUNDS.monitor.performance_threshold);
    const hp = schema.definitions!.hyperparameters.properties;
    for (const [k, [min, max]] of Object.entries(HYPERPARAMETER_BOUNDS)) {
      const s = hp[k].anyOf ? hp[k].anyOf!.find((x) => x.maximum !== undefined)! : hp[k];
      if (k !== 'max_features') assert.equal(s.minimum, min, k);
      assert.equal(s.maximum, max, k);
    }
  });

  it('22: a mapping (or an alias to one) where a value is expected says "a mapping" and where', () => {
    const e = configError('training: &b {target: y}\nsweep:\n  space: {n_estimators: [*b]}\n');
    assert.match(e.message, /mlops\.yaml:3:\d+: .*sweep\.space\.n_estimators.*a mapping/);
    assert.doesNotMatch(e.message, /object Object/);
    const e2 = configError('training:\n  params: {n_estimators: {a: 1}}\n');
    assert.match(e2.message, /training\.params\.n_estimators.*got a mapping/);
    assert.throws(() => parseHyperparameters({ n_estimators: { a: 1 } }, 'regression'), (err: unknown) => /got a mapping/.test((err as Error).message) && !/object Object/.test((err as Error).message));
    assert.throws(() => parseHyperparameters({ max_depth: [1, 2] }, 'regression'), /got a list/);
  });

  it('sweep.space defined through YAML aliases is accepted without expanding it', () => {
    const text = 'x: &v [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n'.replace('x', 'training') ;
    // an alias list as the values of every key: a big space written in a few lines
    assert.throws(() => parseConfig(text, '/w/mlops.yaml'), ConfigError); // training must be a mapping
    const cfg = parseConfig('sweep:\n  space:\n    n_estimators: &v [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n    max_depth: *v\n    min_samples_leaf: *v\n    min_samples_split: [2, 3]\n  random: 3\n', '/w/mlops.yaml');
    assert.deepEqual(cfg.sweep!.space!.max_depth, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });
});

describe('pipeline definitions are checked whole before stage 1 (issue 18 #21, #4)', () => {
  it('trainer params out of range, unknown keys and a bad model name are found at load, with the key', () => {
    const cases: [string, string, RegExp][] = [
      ['', '{kind: builtin, params: {n_estimators: 0}}', /trainer\.params\.n_estimators.*≥ 1 and ≤ 10,000/],
      ['', '{kind: builtin, params: {max_depth: -1}}', /trainer\.params\.max_depth/],
      ['', '{kind: builtin, params: {colour: red}}', /trainer\.params.*Unknown hyperparameter 'colour'/],
      ['', '{kind: builtin, params: {max_features: {a: 1}}}', /trainer\.params\.max_features.*a mapping/],
      ['', '{kind: command, command: "python t.py", params: {"bad key!": 1}}', /trainer\.params/],
      ['', '{kind: command, command: "python t.py", params: {a: {b: 1}}}', /trainer\.params\.a.*a mapping/],
    ];
    for (const [extra, trainer, re] of cases) {
      const msgs = pipelineProblems(pipe(extra, trainer));
      assert.ok(msgs.some((m) => re.test(m) && m.startsWith(`${PIPE}:4:`)), `${trainer}: ${msgs.join(' | ') || 'accepted'}`);
    }
    const bad = pipelineProblems('name: p\nmodel: "../evil"\ndata: {source: d.csv, target: y}\n');
    assert.ok(bad.some((m) => /:2:\d+: .*model name/.test(m)), bad.join(' | '));
    const exp = pipelineProblems('name: p\nmodel: M\nexperiment: "a\\0b"\ndata: {source: d.csv, target: y}\n');
    assert.ok(exp.some((m) => /:3:\d+: .*experiment/.test(m)), exp.join(' | '));
  });

  it('4: pipeline names that would be hidden or escape their folder are refused at load', () => {
    for (const name of ['.nightly', '../../x', 'a/b', 'a\\\\b', '..']) {
      const msgs = pipelineProblems(`name: "${name}"\nmodel: M\ndata: {source: d.csv, target: y}\n`);
      assert.ok(msgs.some((m) => /:1:\d+: .*name/.test(m)), `${name}: ${msgs.join(' | ') || 'accepted'}`);
    }
    const msgs = pipelineProblems('model: M\ndata: {source: d.csv, target: y}\n'.replace(/^/, ''));
    assert.deepEqual(msgs, []);
    assert.throws(() => parsePipeline('model: M\ndata: {source: d.csv, target: y}\n', '/w/.nightly.pipeline.yaml', { checkFiles: false }), /name/);
  });

  it('4: records stored under any folder name are listed (also by pipeline name)', () => {
    const store = Store.open(path.join(tempDir('mlops-rec-'), '.mlops'), { create: true });
    const recs = new PipelineRecords(store);
    for (const name of ['.nightly', '../../x', 'ok']) {
      const r = newRecord(name, 'f', 'M', 'manual');
      r.status = 'passed';
      // as older versions wrote them: the raw slug, dots kept
      const legacy = name.trim().replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^-+|-+$/g, '');
      fs.mkdirSync(path.join(recs.dir, legacy), { recursive: true });
      fs.writeFileSync(path.join(recs.dir, legacy, `${r.id}.json`), JSON.stringify(r));
    }
    const all = recs.list();
    assert.deepEqual(all.runs.map((r) => r.pipeline).sort(), ['.nightly', '../../x', 'ok'].sort());
    assert.equal(recs.list('.nightly').runs.length, 1);
    assert.equal(recs.list('../../x').runs.length, 1);
    // new records never go to a hidden folder
    const r = newRecord('-.x', 'f', 'M', 'manual');
    assert.ok(!path.basename(path.dirname(recs.file(r))).startsWith('.'));
  });

  it('21: the CLI refuses a bad trainer setting with exit 2 before any stage runs', () => {
    const ws = tempDir('mlops-pipecli-');
    createSampleWorkspace(ws);
    const file = path.join(ws, 'bad.pipeline.yaml');
    fs.writeFileSync(file, 'name: bad\nmodel: YieldPredictor\ndata: {source: data/wafer_yield.csv, target: yield}\ntrainer: {kind: builtin, engine: mljs, params: {n_estimators: 0, max_depth: 4}}\n');
    const r = spawnSync(process.execPath, [CLI, 'pipeline', 'run', '--file', file], { cwd: ws, encoding: 'utf8', env: { ...process.env, MLOPS_STORE: '' }, timeout: 60_000 });
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /bad\.pipeline\.yaml:4:\d+: .*trainer\.params\.n_estimators/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    assert.ok(!fs.existsSync(path.join(ws, '.mlops', 'pipelines', 'bad')), 'no pipeline run was recorded');
  });
});
