import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { cronMatches, parsePipeline, PipelineError, validCron } from '../../src/core/pipeline/definition';
import { PipelineRecords, PipelineRunRecord, Trigger } from '../../src/core/pipeline/record';
import { runPipeline, stageTable } from '../../src/core/pipeline/runner';
import { globToRegExp } from '../../src/core/util/glob';
import { PipelineScheduler } from '../../src/core/pipeline/scheduler';
import { Registry } from '../../src/core/registry/registry';
import { createSampleWorkspace } from '../../src/core/sample/sampleWorkspace';
import { Tracker } from '../../src/core/tracking/tracker';
import { CLI, tempDir } from './helpers';

const ENGINE = process.env.MLOPS_TEST_ENGINE ?? 'mljs';

function workspace(pipeline: string): { dir: string; tracker: Tracker; file: string } {
  const dir = tempDir('mlops-pipe-');
  createSampleWorkspace(dir);
  const file = path.join(dir, 'test.pipeline.yaml');
  fs.writeFileSync(file, pipeline);
  return { dir, tracker: Tracker.open(path.join(dir, '.mlops')), file };
}

const base = (extra = '', data = 'data/wafer_yield.csv') => `name: t
model: YieldPredictor
data: {source: ${data}, target: yield, reference: data/wafer_yield.csv}
trainer: {kind: builtin, engine: ${ENGINE}, params: {n_estimators: 8, max_depth: 6}}
${extra}`;

const statuses = (r: PipelineRunRecord) => r.stages.map((s) => s.status).join(' ');

describe('pipeline definitions', () => {
  it('reports every problem with its line and column', () => {
    const text = 'name: x\nmodel: M\ndata:\n  source: nope.csv\n  target: y\n  colour: red\ngates:\n  min_r2: high\nsmoke: {rows: -1}\ntriggers:\n  schedule: {cron: "61 * * * *"}\n';
    assert.throws(() => parsePipeline(text, '/w/p.pipeline.yaml'), (e: unknown) => {
      assert.ok(e instanceof PipelineError);
      const msgs = e.problems.map((p) => `${p.line}:${p.col} ${p.message}`);
      assert.ok(msgs.some((m) => /^6:3 unknown key 'data.colour'/.test(m)), msgs.join('\n'));
      assert.ok(msgs.some((m) => /^8:11 'gates.min_r2' must be a number/.test(m)), msgs.join('\n'));
      assert.ok(msgs.some((m) => /^9:15 'smoke.rows' must be a whole number/.test(m)), msgs.join('\n'));
      assert.ok(msgs.some((m) => /^11:13 'triggers.schedule.cron' must be a 5-field cron/.test(m)), msgs.join('\n'));
      assert.ok(msgs.some((m) => /^4:11 data file nope.csv does not exist/.test(m)), msgs.join('\n'));
      return true;
    });
    assert.throws(() => parsePipeline('model: [unclosed', 'p.pipeline.yaml'), (e: unknown) => e instanceof PipelineError && e.problems[0].line === 1);
    assert.throws(() => parsePipeline('name: x\n', 'p.pipeline.yaml', { checkFiles: false }), /missing required key 'model'/);
  });

  it('cron and globs', () => {
    assert.ok(validCron('*/15 6-18 * * 1-5'));
    assert.ok(!validCron('* * *'));
    assert.ok(cronMatches('30 6 * * *', new Date(2025, 11, 1, 6, 30)));
    assert.ok(!cronMatches('30 6 * * *', new Date(2025, 11, 1, 6, 31)));
    assert.ok(cronMatches('*/15 * * * *', new Date(2025, 11, 1, 9, 45)));
    assert.ok(globToRegExp('data/batches/*.csv').test('data/batches/a.csv'));
    assert.ok(!globToRegExp('data/batches/*.csv').test('data/batches/x/a.csv'));
    assert.ok(globToRegExp('data/**/*.csv').test('data/batches/x/a.csv'));
  });
});

describe('pipeline stages', () => {
  it('passes all six stages, records them, and leaves the version in Staging', async () => {
    const { tracker, file } = workspace(base('gates: {min_r2: 0.5, max_rmse: 4, beat_production_by: 0}\n'));
    const def = parsePipeline(fs.readFileSync(file, 'utf8'), file);
    const rec = await runPipeline(tracker, def, 'manual');
    assert.equal(rec.status, 'passed', stageTable(rec));
    assert.equal(statuses(rec), 'passed passed passed passed passed passed');
    assert.equal(rec.modelVersion, 1);
    const reg = new Registry(tracker.store);
    assert.equal(reg.getModel('YieldPredictor').versions[0].stage, 'Staging');
    const smoke = rec.stages[5];
    assert.ok((smoke.details.latency as { p95_ms: number }).p95_ms >= 0);
    assert.deepEqual(smoke.checks.map((c) => c.name), ['predictions finite', 'predictions plausible', 'latency p95', 'accuracy on the loaded model']);
    const listed = new PipelineRecords(tracker.store).list();
    assert.equal(listed.runs[0].id, rec.id);
    assert.equal(tracker.getRun(rec.runId!).tags.pipeline_run, rec.id);
  });

  it('data validation names each failed check and skips the rest', async () => {
    const { tracker, file, dir } = workspace(base('validation: {min_rows: 100, ranges: {Temperature: [0, 40]}}\n', 'data/small.csv'));
    const rows = fs.readFileSync(path.join(dir, 'data', 'wafer_yield.csv'), 'utf8').trim().split('\n').slice(0, 51);
    fs.writeFileSync(path.join(dir, 'data', 'small.csv'), rows.join('\n') + '\n' + rows[1] + '\n');
    const rec = await runPipeline(tracker, parsePipeline(fs.readFileSync(file, 'utf8'), file), 'data_update');
    assert.equal(rec.status, 'failed');
    assert.equal(rec.failedStage, 'data_validation');
    assert.equal(statuses(rec), 'failed skipped skipped skipped skipped skipped');
    const failed = rec.stages[0].checks.filter((c) => !c.passed).map((c) => c.name);
    assert.deepEqual(failed, ['minimum rows', 'value ranges']);
    assert.match(rec.reason!, /minimum rows \(51 rows \(minimum 100\)\)/);
    assert.match(rec.stages[0].checks.find((c) => c.name === 'value ranges')!.detail, /Temperature spans .* configured range \[0, 40\]/);
    assert.equal(rec.stages[0].checks.find((c) => c.name === 'duplicate rows')!.warning, true);
    assert.equal(tracker.snapshot().runs.length, 0, 'no training run');
  });

  it('a data batch outside the reference range fails validation (the +10 °C sensor)', async () => {
    const { tracker, file, dir } = workspace(base('validation: {range_tolerance: 0}\n', 'data/hot.csv'));
    const lines = fs.readFileSync(path.join(dir, 'data', 'wafer_yield.csv'), 'utf8').trim().split('\n');
    fs.writeFileSync(path.join(dir, 'data', 'hot.csv'), [lines[0], ...lines.slice(1).map((l) => { const c = l.split(','); c[3] = String(Number(c[3]) + 30); return c.join(','); })].join('\n'));
    const rec = await runPipeline(tracker, parsePipeline(fs.readFileSync(file, 'utf8'), file), 'data_update');
    assert.equal(rec.failedStage, 'data_validation');
    assert.match(rec.stages[0].checks.find((c) => c.name === 'value ranges')!.detail, /Temperature spans/);
  });

  it('evaluation gates fail with their values; nothing is registered', async () => {
    const { tracker, file } = workspace(base('gates: {min_r2: 0.99, max_rmse: 2.0}\n'));
    const rec = await runPipeline(tracker, parsePipeline(fs.readFileSync(file, 'utf8'), file), 'code_commit');
    assert.equal(rec.status, 'failed');
    assert.equal(rec.failedStage, 'evaluation');
    assert.equal(statuses(rec), 'passed passed failed skipped skipped skipped');
    const checks = rec.stages[2].checks;
    assert.match(checks[0].detail, /^0\.\d+ \(≥ 0.99\)$/);
    assert.match(checks[1].detail, /^\d\.\d+ \(≤ 2\)$/);
    assert.equal(new Registry(tracker.store).listModels().length, 0);
  });

  it('"beat Production by X %" scores the Production model on the same test rows', async () => {
    const { tracker, file } = workspace(base('gates: {beat_production_by: 0}\non_success: production\n'));
    const def = parsePipeline(fs.readFileSync(file, 'utf8'), file);
    const first = await runPipeline(tracker, def, 'manual');
    assert.equal(first.status, 'passed');
    assert.equal(first.promoted?.ok, true);
    // The same configuration again: it ties Production exactly, which passes a 0 % margin ...
    const second = await runPipeline(tracker, def, 'manual');
    const gate = second.stages[2].checks.find((c) => c.name === 'beat_production_by')!;
    assert.match(gate.detail, /vs Production v1 .* on the same test rows/);
    assert.equal(gate.passed, true);
    // ... and fails a 5 % margin.
    const strict = parsePipeline(fs.readFileSync(file, 'utf8').replace('beat_production_by: 0', 'beat_production_by: 0.05'), file);
    const third = await runPipeline(tracker, strict, 'manual');
    assert.equal(third.failedStage, 'evaluation');
    assert.equal(third.stages[2].checks.find((c) => c.name === 'beat_production_by')!.passed, false);
  });

  it('a failed smoke test archives the new version automatically and leaves Staging/Production as they were', async () => {
    const { tracker, file } = workspace(base('on_success: production\n'));
    const def = parsePipeline(fs.readFileSync(file, 'utf8'), file);
    assert.equal((await runPipeline(tracker, def, 'manual')).status, 'passed'); // v1 → Production
    const slow = parsePipeline(fs.readFileSync(file, 'utf8') + 'smoke: {latency_budget_ms: 0, latency_calls: 20}\n', file);
    const rec = await runPipeline(tracker, slow, 'schedule');
    assert.equal(rec.failedStage, 'smoke_test');
    assert.equal(statuses(rec), 'passed passed passed passed passed failed');
    const reg = new Registry(tracker.store);
    const m = reg.getModel('YieldPredictor');
    assert.deepEqual(m.versions.map((v) => [v.version, v.stage]), [[1, 'Production'], [2, 'Archived']]);
    const last = reg.history('YieldPredictor').at(-1)!;
    assert.match(last.event.reason!, /^automatic rollback: smoke test failed \(latency p95/);
    assert.match(last.event.user, /^automatic/);
  });

  it('cancelling stops at the current stage and records it', async () => {
    const { tracker, file } = workspace(base().replace('n_estimators: 8', 'n_estimators: 400'));
    const ac = new AbortController();
    const rec = await runPipeline(tracker, parsePipeline(fs.readFileSync(file, 'utf8'), file), 'manual', { signal: ac.signal, onStage: (s) => s.name === 'training' && s.status === 'running' && setTimeout(() => ac.abort(), 30) });
    assert.equal(rec.status, 'cancelled');
    assert.equal(rec.failedStage, 'training');
    assert.equal(tracker.snapshot().runs[0].effectiveStatus, 'cancelled');
  });
});

describe('trigger queue', () => {
  it('never runs a pipeline twice at once; later triggers queue and coalesce', async () => {
    const started: string[] = [];
    let release: (() => void)[] = [];
    const runner = (_file: string, trigger: Trigger, coalesced: Trigger[]) =>
      new Promise<PipelineRunRecord>((resolve) => {
        started.push(`${trigger}${coalesced.length ? '+' + coalesced.join('+') : ''}`);
        release.push(() => resolve({ trigger, coalesced, status: 'passed' } as unknown as PipelineRunRecord));
      });
    const s = new PipelineScheduler(runner);
    const a = s.trigger('p', 'manual');
    const b = s.trigger('p', 'data_update');
    const c = s.trigger('p', 'schedule');
    const d = s.trigger('p', 'data_update');
    assert.deepEqual(started, ['manual']);
    assert.ok(s.isRunning('p'));
    assert.deepEqual(s.pendingFor('p'), { trigger: 'data_update', coalesced: ['schedule', 'data_update'] });
    release.shift()!();
    await a;
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(started, ['manual', 'data_update+schedule+data_update']);
    release.shift()!();
    const [rb, rc, rd] = await Promise.all([b, c, d]);
    assert.equal(rb, rc);
    assert.equal(rc, rd);
    s.paused = true;
    assert.equal(await s.trigger('p', 'schedule'), undefined);
    const m = s.trigger('p', 'manual');
    assert.deepEqual(started.at(-1), 'manual');
    release.shift()!();
    await m;
    release = [];
  });
});

describe("the seed's pipeline scenarios through the CLI", () => {
  it('scenario 1 (code commit, the seed gates min_r2 0.7 / max_rmse 2.0) fails evaluation → exit 1; scenario 2 (new data) → exit code per outcome', () => {
    const dir = tempDir('mlops-seed-pipe-');
    createSampleWorkspace(dir);
    const mlops = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, MLOPS_STORE: '' } });
    fs.writeFileSync(path.join(dir, 'seed1.pipeline.yaml'), `name: seed-scenario-1\nmodel: YieldPredictor\ndata: {source: data/wafer_yield.csv, target: yield}\ntrainer: {engine: ${ENGINE}, params: {n_estimators: 10, max_depth: 15, min_samples_split: 5}}\ngates: {min_r2: 0.7, max_rmse: 2.0}\n`);
    const s1 = mlops('pipeline', 'run', '--file', 'seed1.pipeline.yaml', '--trigger', 'code_commit', '--json');
    assert.equal(s1.status, 1, s1.stderr);
    const r1 = JSON.parse(s1.stdout);
    assert.equal(r1.failedStage, 'evaluation');
    assert.equal(r1.trigger, 'code_commit');
    const rmseGate = r1.stages[2].checks.find((c: { name: string }) => c.name === 'max_rmse');
    assert.equal(rmseGate.passed, false, 'noise of σ 3 makes RMSE ≤ 2.0 impossible; the seed printed a pass because its checks were simulated');
    // Scenario 2 (new wafer data, the changed relationship) with the seed's gates: RMSE ≈ 3 > 2.0, so it fails too.
    fs.writeFileSync(path.join(dir, 'seed2.pipeline.yaml'), `name: seed-scenario-2\nmodel: YieldPredictor\ndata: {source: data/new_wafer_data.csv, target: yield}\ntrainer: {engine: ${ENGINE}, params: {n_estimators: 10, max_depth: 10}}\ngates: {min_r2: 0.7, max_rmse: 2.0}\n`);
    const s2seed = mlops('pipeline', 'run', '--file', 'seed2.pipeline.yaml', '--trigger', 'data_update', '--json');
    assert.equal(s2seed.status, 1);
    assert.equal(JSON.parse(s2seed.stdout).failedStage, 'evaluation');
    // With a gate this data can meet, every stage passes → exit 0.
    fs.writeFileSync(path.join(dir, 'seed2.pipeline.yaml'), fs.readFileSync(path.join(dir, 'seed2.pipeline.yaml'), 'utf8').replace('max_rmse: 2.0', 'max_rmse: 4.0'));
    const s2 = mlops('pipeline', 'run', '--file', 'seed2.pipeline.yaml', '--trigger', 'data_update');
    assert.equal(s2.status, 0, s2.stdout + s2.stderr);
    assert.match(s2.stdout, /^Pipeline seed-scenario-2 · run .* · trigger data_update · PASSED/);
    assert.match(s2.stdout, /6\. ✅ Smoke Test/);
    const bad = mlops('pipeline', 'run', '--file', 'seed1.pipeline.yaml'.replace('seed1', 'missing'));
    assert.equal(bad.status, 2);
    fs.writeFileSync(path.join(dir, 'broken.pipeline.yaml'), 'model: M\ndata: {source: data/wafer_yield.csv, target: yield}\ngates: {max_rmse: low}\n');
    const broken = mlops('pipeline', 'run', '--file', 'broken.pipeline.yaml');
    assert.equal(broken.status, 2);
    assert.match(broken.stderr, /broken\.pipeline\.yaml:3:19: 'gates.max_rmse' must be a number/);
    const list = JSON.parse(mlops('pipeline', 'list', '--json').stdout);
    assert.deepEqual(list.map((r: { pipeline: string; status: string }) => `${r.pipeline}:${r.status}`), ['seed-scenario-2:passed', 'seed-scenario-2:failed', 'seed-scenario-1:failed']);
  });
});
