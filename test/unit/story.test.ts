/**
 * The sample's story (src/core/sample/story.ts): played once in-process and once through `mlops init DIR --sample
 * --story`, each in a fresh folder. What it leaves (the sweep with its ★, the pipeline run and its six stages, a
 * Production and a Staging version, alerts for exactly the +10 °C and new-chip batches), that both plays give the same
 * numbers, that it never plays twice or over existing work, and the sample's train.py through `mlops train --command`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { checkStore } from '../../src/core/integrity/storeCheck';
import { AlertStore } from '../../src/core/monitoring/alerts';
import { BatchLog, monitorKey } from '../../src/core/monitoring/batchLog';
import { listReports, type DriftReport } from '../../src/core/monitoring/monitor';
import { PipelineRecords } from '../../src/core/pipeline/record';
import { Registry } from '../../src/core/registry/registry';
import { createSampleWorkspace, SAMPLE_EXPERIMENT } from '../../src/core/sample/sampleWorkspace';
import { playStory, readStoryRecord, STORY_FILE, type StoryResult } from '../../src/core/sample/story';
import type { Run } from '../../src/core/store/types';
import { Tracker } from '../../src/core/tracking/tracker';
import { AbortError } from '../../src/core/util/errors';
import { CLI, tempDir } from './helpers';

const mlops = (cwd: string, ...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env: { ...process.env, MLOPS_STORE: '' } });
const storeOf = (dir: string) => path.join(dir, '.mlops');
/** Metrics that measure time, not the model: they differ between plays. */
const TIMING = new Set(['fit_seconds']);

interface Played {
  dir: string;
  tracker: Tracker;
  runs: Run[];
  reports: DriftReport[];
}

function read(dir: string): Played {
  const tracker = Tracker.open(storeOf(dir));
  return { dir, tracker, runs: tracker.searchRuns(), reports: listReports(storeOf(dir)) };
}

/** Each run's metrics without the timing ones, keyed by experiment and name (ids and generated names differ). */
function runMetrics(p: Played): Record<string, Record<string, number>> {
  const key = (r: Run) => `${r.experimentName}/${r.tags.pipeline ? 'pipeline run' : r.name}`;
  return Object.fromEntries(p.runs.map((r) => [key(r), Object.fromEntries(Object.entries(r.metrics).filter(([k]) => !TIMING.has(k)))]));
}

/** Each report's statistics and alerts, keyed by batch. */
function driftNumbers(p: Played): Record<string, unknown> {
  return Object.fromEntries(
    p.reports.map((r) => [
      r.batch,
      {
        columns: r.columns.map((c) => [c.name, c.statistic, c.pValue, c.psi, c.drifted]),
        prediction: r.prediction && [r.prediction.pValue, r.prediction.drifted],
        performance: r.performance?.checks.map((c) => [c.metric, c.reference, c.current, c.degraded]),
        alerts: r.alerts.map((a) => [a.type, a.subject, a.severity, a.score]),
      },
    ]),
  );
}

describe('the sample story', () => {
  let first: Played;
  let second: Played;
  let result: StoryResult;
  let cliOut: string;

  before(async () => {
    const a = tempDir('mlops-story-a-');
    createSampleWorkspace(a);
    const t0 = Date.now();
    const res = await playStory(a);
    assert.ok(res.played, 'the story played in a fresh sample');
    result = res;
    first = read(a);
    const b = tempDir('mlops-story-b-');
    const t1 = Date.now();
    const cli = mlops(b, 'init', b, '--sample', '--story');
    assert.equal(cli.status, 0, cli.stderr);
    cliOut = cli.stdout;
    second = read(b);
    console.log(`story: in-process ${((t1 - t0) / 1000).toFixed(1)} s (steps ${result.steps.map((s) => `${s.step} ${s.seconds.toFixed(1)} s`).join(', ')}); through the CLI ${((Date.now() - t1) / 1000).toFixed(1)} s`);
  });

  it("the seed's grid as a sweep: five runs, the ★ run the best by rmse_test", () => {
    const sweep = first.runs.filter((r) => r.experimentName === SAMPLE_EXPERIMENT);
    assert.equal(sweep.length, 5);
    assert.ok(sweep.every((r) => r.effectiveStatus === 'completed' && r.tags.sweep_id === result.sweep.id));
    assert.deepEqual(sweep.map((r) => `${r.params.n_estimators}/${r.params.max_depth}`).sort(), ['100/10', '100/5', '200/10', '200/null', '50/5']);
    const best = [...sweep].sort((x, y) => x.metrics.rmse_test - y.metrics.rmse_test)[0];
    assert.equal(result.sweep.best.id, best.id);
    assert.equal(first.tracker.bestRun('rmse_test', 'min', { experiment: SAMPLE_EXPERIMENT })?.id, best.id, 'the views star the same run');
    assert.ok(sweep.every((r) => r.params.engine === 'forest' && r.params.seed === 42 && r.params.split === 'ordered'));
  });

  it('the pipeline: six stages passed, YieldPredictor v1 registered from its run', () => {
    const { runs } = new PipelineRecords(first.tracker.store).list();
    assert.equal(runs.length, 1);
    const rec = runs[0];
    assert.equal(rec.status, 'passed');
    assert.equal(rec.trigger, 'code_commit');
    assert.deepEqual(rec.stages.map((s) => `${s.name}:${s.status}`), ['data_validation:passed', 'training:passed', 'evaluation:passed', 'registration:passed', 'deployment:passed', 'smoke_test:passed']);
    assert.equal(rec.modelVersion, 1);
    const run = first.runs.find((r) => r.id === rec.runId)!;
    assert.equal(run.experimentName, 'YieldPredictor_pipeline');
    assert.equal(first.runs.length, 6, 'five sweep runs and the pipeline run');
  });

  it('v1 in Production, a second candidate (another configuration of the sweep) in Staging', () => {
    const m = new Registry(first.tracker.store).getModel('YieldPredictor');
    assert.deepEqual(m.versions.map((v) => `v${v.version}:${v.stage}`), ['v1:Production', 'v2:Staging']);
    const [v1, v2] = m.versions;
    const sweepRun = first.runs.find((r) => r.id === v2.run.id)!;
    assert.equal(sweepRun.experimentName, SAMPLE_EXPERIMENT);
    const hyper = (p: Record<string, unknown>) => `${p.n_estimators}/${p.max_depth}`;
    assert.notEqual(hyper(v2.run.params), hyper(v1.run.params), 'the candidate is not the Production model again');
    // The best of the sweep's other configurations.
    const others = first.runs.filter((r) => r.experimentName === SAMPLE_EXPERIMENT && hyper(r.params) !== hyper(v1.run.params));
    assert.equal(Math.min(...others.map((r) => r.metrics.rmse_test)), sweepRun.metrics.rmse_test);
    assert.equal(result.production, 1);
    assert.equal(result.staging, 2);
  });

  it('the three batches checked against Production: alerts for exactly the +10 °C and new-chip batches', () => {
    assert.deepEqual(first.reports.map((r) => r.batch).sort(), ['new_chip_design_batch.csv', 'normal_batch.csv', 'temperature_drift_batch.csv']);
    assert.ok(first.reports.every((r) => r.model?.name === 'YieldPredictor' && r.model.version === 1));
    const alerts = new AlertStore(first.tracker.store).list().alerts;
    assert.ok(alerts.length > 0 && alerts.every((a) => a.status === 'open' && a.model === 'YieldPredictor'));
    assert.deepEqual([...new Set(alerts.map((a) => a.batch))].sort(), ['new_chip_design_batch.csv', 'temperature_drift_batch.csv']);
    const by = (b: string) => first.reports.find((r) => r.batch === b)!;
    assert.deepEqual(by('temperature_drift_batch.csv').columns.filter((c) => c.drifted).map((c) => c.name), ['Temperature']);
    assert.ok(alerts.some((a) => a.batch === 'temperature_drift_batch.csv' && a.type === 'data_drift' && a.subject === 'Temperature' && a.severity === 'critical'));
    assert.deepEqual(by('new_chip_design_batch.csv').columns.filter((c) => c.drifted), [], 'the new chip: no feature drift…');
    assert.ok(alerts.some((a) => a.batch === 'new_chip_design_batch.csv' && a.type === 'performance' && a.subject === 'rmse'), '…but the model got worse');
    assert.deepEqual(by('normal_batch.csv').alerts, []);
    // Marked checked for the editor's monitor: opening the workspace does not check them again.
    const seen = new BatchLog(storeOf(first.dir)).read().get(monitorKey('YieldPredictor', 'data/batches/*.csv'));
    assert.deepEqual([...(seen ?? [])].sort(), ['data/batches/new_chip_design_batch.csv', 'data/batches/normal_batch.csv', 'data/batches/temperature_drift_batch.csv']);
  });

  it('deterministic: the CLI play gives the same metrics and drift statistics (timing metrics aside)', () => {
    assert.deepEqual(runMetrics(second), runMetrics(first));
    assert.deepEqual(driftNumbers(second), driftNumbers(first));
    assert.deepEqual(
      new Registry(second.tracker.store).getModel('YieldPredictor').versions.map((v) => [v.version, v.stage, v.run.name.startsWith('rf_') ? v.run.name : 'pipeline run', v.run.metrics.rmse_test]),
      new Registry(first.tracker.store).getModel('YieldPredictor').versions.map((v) => [v.version, v.stage, v.run.name.startsWith('rf_') ? v.run.name : 'pipeline run', v.run.metrics.rmse_test]),
    );
  });

  it('the CLI says what it played, step by step; the store is clean and records the story', () => {
    assert.match(cliOut, /^Sample workspace in .*: wrote 9 file\(s\)/m);
    assert.match(cliOut, /The seed's story, played in \d+\.\d s/);
    for (const step of ['sweep', 'pipeline', 'promote', 'candidate', 'monitor']) assert.match(cliOut, new RegExp(`^  ${step} +\\d+\\.\\d s  \\S`, 'm'), step);
    assert.match(cliOut, /normal_batch\.csv: 0 alert\(s\)/);
    for (const p of [first, second]) {
      const rec = readStoryRecord(storeOf(p.dir))!;
      assert.ok(rec && rec.finishedAt! >= rec.startedAt && rec.production === 1 && rec.staging === 2 && rec.reports?.length === 3, JSON.stringify(rec));
      const check = checkStore(p.tracker.store);
      assert.deepEqual(check.findings.filter((f) => f.severity !== 'info'), [], `${STORY_FILE} and the rest pass the store check`);
    }
  });

  it('an existing sample is left as it is: no second play, none over runs of its own', async () => {
    const again = await playStory(first.dir);
    assert.equal(again.played, false);
    assert.match((again as { reason: string }).reason, /already played/);
    const cli = mlops(second.dir, 'init', second.dir, '--sample', '--story');
    assert.equal(cli.status, 0, cli.stderr);
    assert.match(cli.stdout, /kept 9 existing/);
    assert.match(cli.stdout, /Story not played: the story was already played here .* The sample is left as it is/);
    assert.equal(read(second.dir).runs.length, 6);
    // A store with work of its own (no story): the story does not mix into it.
    const c = tempDir('mlops-story-c-');
    createSampleWorkspace(c);
    Tracker.open(storeOf(c)).startRun({ experiment: 'Mine' }).end('completed');
    const own = await playStory(c);
    assert.deepEqual(own, { played: false, dir: c, reason: 'the store already holds 1 run(s)' });
    assert.equal(mlops(c, 'init', c, '--story').status, 2, '--story needs --sample');
    // A story that started and never finished (the process was killed) is not played over either.
    const d = tempDir('mlops-story-d-');
    createSampleWorkspace(d);
    fs.writeFileSync(path.join(storeOf(d), STORY_FILE), JSON.stringify({ format: 1, startedAt: Date.UTC(2026, 0, 2) }));
    assert.deepEqual(await playStory(d), { played: false, dir: d, reason: 'a story started here at 2026-01-02T00:00:00.000Z did not finish' });
  });

  it('Cancel part-way: an AbortError saying what the sample keeps; the story is not played over it', async () => {
    const e = tempDir('mlops-story-e-');
    createSampleWorkspace(e);
    const ac = new AbortController();
    await assert.rejects(
      playStory(e, { signal: ac.signal, onProgress: (m) => m.startsWith('Pipeline') && ac.abort() }),
      (err: Error) => err instanceof AbortError && /cancelled: the sample keeps what it recorded until then/.test(err.message),
    );
    assert.equal(read(e).runs.filter((r) => r.experimentName === SAMPLE_EXPERIMENT).length, 5, 'the sweep had finished');
    assert.equal(readStoryRecord(storeOf(e))?.finishedAt, undefined);
    assert.match((await playStory(e) as { reason: string }).reason, /did not finish/);
  });

  it("the sample's train.py runs through `mlops train --command` and records a run with its curve and artifact", (t) => {
    const py = spawnSync('python3', ['--version'], { encoding: 'utf8' });
    if (py.status !== 0) return t.skip('no python3 on PATH');
    const before = first.runs.length;
    const r = mlops(first.dir, 'train', '--command', 'python3 train.py', '-e', 'TrainPy', '--json');
    assert.equal(r.status, 0, r.stderr + r.stdout);
    const after = read(first.dir);
    assert.equal(after.runs.length, before + 1);
    const run = after.runs.find((x) => x.experimentName === 'TrainPy')!;
    assert.equal(run.effectiveStatus, 'completed');
    for (const k of ['rmse_train', 'rmse_test', 'mae_test', 'r2_test']) assert.ok(Number.isFinite(run.metrics[k]), k);
    assert.ok(run.metrics.r2_test > 0.6, `r2_test ${run.metrics.r2_test}`);
    assert.ok(['linear-gd', 'sklearn-random-forest'].includes(String(run.params.engine)), String(run.params.engine));
    assert.equal(run.tags.model, 'wafer-yield');
    assert.ok(run.artifacts.some((a) => a.path.endsWith('model.json')), 'outputs/model.json logged as an artifact');
    if (run.params.engine === 'linear-gd') {
      const steps = after.tracker.metricHistory(run.id).filter((p) => p.key === 'rmse_test').map((p) => p.step);
      assert.ok(steps.length >= 20 && steps.at(-1) === 100, `a curve of rmse_test over the epochs (steps ${steps.join(',')})`);
    }
    assert.ok(fs.existsSync(path.join(first.dir, 'outputs', 'model.json')));
  });

  it("train.py with scikit-learn importable: the seed's RandomForestRegressor", (t) => {
    const python = ['python3', '/usr/bin/python3'].find((p) => spawnSync(p, ['-c', 'import sklearn'], { encoding: 'utf8' }).status === 0);
    if (!python) return t.skip('no python3 with scikit-learn');
    const r = mlops(first.dir, 'train', '--command', `${python} train.py`, '-e', 'TrainPySklearn', '-p', 'n_estimators=50', '-p', 'max_depth=8');
    assert.equal(r.status, 0, r.stderr + r.stdout);
    const run = read(first.dir).runs.find((x) => x.experimentName === 'TrainPySklearn')!;
    assert.equal(run.params.engine, 'sklearn-random-forest');
    assert.equal(String(run.params.n_estimators), '50');
    assert.equal(String(run.params.max_depth), '8');
    assert.ok(run.metrics.r2_test > 0.6, `r2_test ${run.metrics.r2_test}`);
  });
});
