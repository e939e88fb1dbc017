/** The seed's three monitoring scenarios, on the sample workspace, asserting what the statistics say. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { AlertStore } from '../../src/core/monitoring/alerts';
import { ConfigError, loadConfig, parseConfig } from '../../src/core/config/config';
import { parseColumnOverride } from '../../src/core/monitoring/columnOverride';
import { checkDriftInWorker } from '../../src/core/monitoring/driftJob';
import { checkDrift, DriftReport, listReports, reportsDir, saveReport } from '../../src/core/monitoring/monitor';
import { Registry } from '../../src/core/registry/registry';
import { loadModelByUri } from '../../src/core/registry/uri';
import { createSampleWorkspace } from '../../src/core/sample/sampleWorkspace';
import { Tracker } from '../../src/core/tracking/tracker';
import { trainRun } from '../../src/core/training/train';
import { WorkerPool } from '../../src/core/worker/pool';
import { CLI, tempDir } from './helpers';

const ENGINE = (process.env.MLOPS_TEST_ENGINE as 'forest' | 'mljs' | undefined) ?? 'mljs';

describe('monitoring: the seed scenarios', () => {
  let dir: string;
  let tracker: Tracker;
  let registry: Registry;
  const ref = () => path.join(dir, 'data', 'wafer_yield.csv');
  const batch = (b: string) => path.join(dir, 'data', 'batches', `${b}.csv`);
  const run = async (b: string): Promise<DriftReport> => {
    const { version, loaded } = loadModelByUri(registry, 'models:/YieldPredictor/Production');
    return checkDrift(ref(), batch(b), { model: { uri: 'models:/YieldPredictor/Production', name: 'YieldPredictor', version: version.version, loaded } });
  };
  const drifted = (r: DriftReport) => r.columns.filter((c) => c.drifted).map((c) => c.name);

  before(async () => {
    dir = tempDir('mlops-monitor-');
    createSampleWorkspace(dir);
    tracker = Tracker.open(path.join(dir, '.mlops'));
    const res = await trainRun(tracker, { data: ref(), target: 'yield', engine: ENGINE, params: { n_estimators: 20, max_depth: 8 } });
    registry = new Registry(tracker.store, { identity: { osUser: 't', display: 't' } });
    registry.register(tracker, res.run.id, 'YieldPredictor');
    registry.transition('YieldPredictor', 1, 'Production');
  });

  it('+10 °C temperature sensor: Temperature drifts (KS), 1 of 5 columns, so no dataset drift — the seed missed it', async () => {
    const r = await run('temperature_drift_batch');
    assert.deepEqual(drifted(r), ['Temperature']);
    const t = r.columns.find((c) => c.name === 'Temperature')!;
    assert.equal(t.method, 'ks');
    assert.ok(t.pValue! < 1e-6, `p ${t.pValue}`);
    assert.equal(t.severity, 'critical');
    assert.equal(r.dataset.drifted, false);
    assert.equal(r.dataset.count, 1);
    // The seed's z-score monitor: |mean shift| / reference sd, threshold 3 — far below it, hence its "no drift".
    const z = Math.abs((t.currentSummary as { mean: number }).mean - (t.referenceSummary as { mean: number }).mean) / (t.referenceSummary as { std: number }).std;
    assert.ok(z < 3, `the seed's z-score ${z.toFixed(2)} stays under its threshold of 3`);
    const alert = r.alerts.find((a) => a.type === 'data_drift' && a.subject === 'Temperature')!;
    assert.match(alert.recommendation, /Check the source of Temperature/);
  });

  it('new chip design with labels: no feature drift, but a performance alert', async () => {
    const r = await run('new_chip_design_batch');
    assert.deepEqual(drifted(r), []);
    const rmse = r.performance!.checks.find((c) => c.metric === 'rmse')!;
    assert.ok(rmse.degraded && rmse.degradation > 0.5, `rmse degradation ${rmse.degradation}`);
    const a = r.alerts.find((x) => x.type === 'performance' && x.subject === 'rmse')!;
    assert.equal(a.severity, 'critical');
    assert.match(a.recommendation, /retrain/);
  });

  it('the normal batch (the test rows with noise of 0.1 σ of each feature): no drift, no alert', async () => {
    const r = await run('normal_batch');
    assert.deepEqual(drifted(r), []);
    assert.equal(r.dataset.drifted, false);
    assert.equal(r.prediction?.drifted, false);
    assert.deepEqual(r.alerts, []);
  });

  it('a column missing from the batch is an error naming it; alerts persist with ack/dismiss/reopen', async () => {
    const f = path.join(dir, 'partial.csv');
    fs.writeFileSync(f, 'Vdd_mean,Idd_mean,Frequency_mean,Dies_tested\n1,0.5,1000,100\n');
    await assert.rejects(run('../../partial'), /column Temperature of the reference is missing from the current batch/);
    const store = new AlertStore(tracker.store);
    const a = store.raise({ type: 'data_drift', severity: 'high', model: 'YieldPredictor', subject: 'Temperature', method: 'ks', referenceValue: 25, currentValue: 35, score: 1e-9, threshold: 0.05, batch: 'b.csv', reportId: 'r', recommendation: 'x' });
    store.setStatus(a.id, 'acknowledged', 'alice');
    store.setStatus(a.id, 'dismissed', 'alice');
    store.setStatus(a.id, 'open', 'bob');
    const got = store.list().alerts.find((x) => x.id === a.id)!;
    assert.equal(got.status, 'open');
    assert.equal(got.statusBy, 'bob');
    assert.throws(() => store.setStatus(a.id, 'open', 'bob'), /already open/);
  });

  it('CLI: exit 3 with alerts, 0 without, 2 on bad input', () => {
    const mlops = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, MLOPS_STORE: '' } });
    const hot = mlops('drift', '--reference', 'data/wafer_yield.csv', '--current', 'data/batches/temperature_drift_batch.csv', '--model', 'models:/YieldPredictor/Production', '--json');
    assert.equal(hot.status, 3, hot.stderr);
    const report = JSON.parse(hot.stdout);
    assert.ok(report.alerts.some((a: { subject: string }) => a.subject === 'Temperature'));
    const same = mlops('drift', '--reference', 'data/wafer_yield.csv', '--current', 'data/wafer_yield.csv', '--target', 'yield');
    assert.equal(same.status, 0, same.stdout + same.stderr);
    assert.match(same.stdout, /No alerts\./);
    assert.equal(mlops('drift', '--reference', 'nope.csv', '--current', 'data/wafer_yield.csv').status, 2);
    const listed = JSON.parse(mlops('alerts', 'list', '--json').stdout);
    assert.ok(listed.some((a: { subject: string; status: string }) => a.subject === 'Temperature' && a.status === 'open'), 'the CLI recorded its alerts');
  });
});

describe('monitoring: the monitors section of mlops.yaml', () => {
  const parse = (yaml: string) => parseConfig(yaml, 'mlops.yaml');

  it('reads monitors with their options; no section means no monitors', () => {
    assert.deepEqual(parse('training: {target: y}\n').monitors, []);
    const cfg = parse('monitoring:\n  monitors:\n    - model: M\n      current: data/batches/*.csv\n      watch: true\n      retrain: true\n      drift_share: 0.3\n      performance_threshold: 0.1\n');
    assert.deepEqual(cfg.monitors, [{ model: 'M', current: 'data/batches/*.csv', watch: true, retrain: true, drift_share: 0.3, performance_threshold: 0.1 }]);
    const withColumns = parse('monitoring:\n  monitors:\n    - model: M\n      columns:\n        Temperature: psi:0.2\n        Dies_tested: 0.01\n        Vdd_mean: wasserstein\n');
    assert.deepEqual(withColumns.monitors[0].columns, { Temperature: 'psi:0.2', Dies_tested: ':0.01', Vdd_mean: 'wasserstein' });
  });

  it('the sample workspace has a valid monitor for YieldPredictor', () => {
    const dir = tempDir('mon-sample');
    createSampleWorkspace(dir);
    const cfg = loadConfig(path.join(dir, 'mlops.yaml'));
    assert.deepEqual(cfg.monitors.map((m) => [m.model, m.current, m.watch]), [['YieldPredictor', 'data/batches/*.csv', true]]);
  });

  it('bad monitors are errors with the file, line and column', () => {
    const cases: [string, RegExp][] = [
      ['monitoring:\n  monitors: M\n', /^mlops\.yaml:2:13: monitoring\.monitors must be a list/],
      ['monitoring:\n  watchers: []\n', /^mlops\.yaml:2:3: unknown key 'monitoring\.watchers'/],
      ['monitoring:\n  monitors:\n    - current: a.csv\n', /^mlops\.yaml:3:7: monitoring\.monitors\[0\] needs a model/],
      ['monitoring:\n  monitors:\n    - {model: M, current: a.csv, watch: yes}\n', /^mlops\.yaml:3:41: monitoring\.monitors\[0\]\.watch must be true or false/],
      ['monitoring:\n  monitors:\n    - model: M\n      drift_share: 2\n', /^mlops\.yaml:4:20: monitoring\.monitors\[0\]\.drift_share must be a number in \(0, 1\]/],
      ['monitoring:\n  monitors:\n    - model: M\n      performance_threshold: -1\n', /:4:30: monitoring\.monitors\[0\]\.performance_threshold must be a number > 0/],
      ['monitoring:\n  monitors:\n    - model: M\n      watch: true\n', /:4:14: monitoring\.monitors\[0\]\.watch needs current/],
      ['monitoring:\n  monitors:\n    - model: M\n      tresh: 1\n', /:4:7: unknown key 'monitoring\.monitors\[0\]\.tresh'/],
      ['monitoring:\n  monitors:\n    - model: M\n    - model: 3\n', /:4:14: monitoring\.monitors\[1\] needs a model/],
      ['monitoring:\n  monitors:\n    - model: M\n      columns: {Temperature: kss}\n', /:4:30: monitoring\.monitors\[0\]\.columns\.Temperature: 'kss' is not a drift method \(one of ks, chisquare, z, wasserstein, jensenshannon, psi\)/],
      ['monitoring:\n  monitors:\n    - model: M\n      columns: {Temperature: "psi:-1"}\n', /monitoring\.monitors\[0\]\.columns\.Temperature: '-1' is not a threshold/],
      ['monitoring:\n  monitors:\n    - model: M\n      columns: [Temperature]\n', /:4:16: monitoring\.monitors\[0\]\.columns must map column names/],
    ];
    for (const [yaml, re] of cases) assert.throws(() => parse(yaml), (e: Error) => e instanceof ConfigError && re.test(e.message), yaml);
  });
});

describe('monitoring: the drift check in a worker thread', () => {
  let dir: string;
  let registry: Registry;

  before(async () => {
    dir = tempDir('mlops-mon-worker-');
    createSampleWorkspace(dir);
    const tracker = Tracker.open(path.join(dir, '.mlops'));
    const res = await trainRun(tracker, { data: path.join(dir, 'data', 'wafer_yield.csv'), target: 'yield', engine: ENGINE, params: { n_estimators: 10, max_depth: 6 } });
    registry = new Registry(tracker.store, { identity: { osUser: 't', display: 't' } });
    registry.register(tracker, res.run.id, 'YieldPredictor');
  });

  it('gives the same report as the in-thread check, model included (loaded and checked in the worker)', async () => {
    const pool = new WorkerPool(1);
    try {
      const v = registry.getModel('YieldPredictor').versions[0];
      const uri = 'models:/YieldPredictor/1';
      const ref = path.join(dir, 'data', 'wafer_yield.csv');
      const cur = path.join(dir, 'data', 'batches', 'temperature_drift_batch.csv');
      const inWorker = await checkDriftInWorker(pool, ref, cur, { model: { uri, name: v.model, version: v.version, dir: registry.artifactDir(v), sha256: v.modelSha256 } });
      const { loaded } = loadModelByUri(registry, uri);
      const inThread = await checkDrift(ref, cur, { model: { uri, name: v.model, version: v.version, loaded } });
      const strip = (r: DriftReport) => JSON.parse(JSON.stringify({ ...r, id: '', time: 0 }));
      assert.deepEqual(strip(inWorker), strip(inThread));
      assert.deepEqual(inWorker.columns.filter((c) => c.drifted).map((c) => c.name), ['Temperature']);
      assert.ok(inWorker.prediction, 'prediction drift computed in the worker');
      // A changed artifact is refused, and bad input stays bad input across the thread boundary.
      await assert.rejects(checkDriftInWorker(pool, ref, cur, { model: { uri, name: v.model, version: v.version, dir: registry.artifactDir(v), sha256: '0'.repeat(64) } }), (e: Error) => e.name === 'UserInputError' && /does not match its recorded SHA-256/.test(e.message));
      await assert.rejects(checkDriftInWorker(pool, ref, path.join(dir, 'nope.csv')), (e: Error) => e.name === 'UserInputError' && /nope\.csv/.test(e.message));
      // Cancel stops the worker at once.
      const ac = new AbortController();
      const p = checkDriftInWorker(pool, ref, cur, {}, ac.signal);
      ac.abort();
      await assert.rejects(p, (e: Error) => e.name === 'AbortError');
    } finally {
      await pool.dispose();
    }
  });
});

describe('monitoring: per-column overrides', () => {
  it('parses METHOD, METHOD:THRESHOLD and :THRESHOLD, and names what is wrong', () => {
    assert.deepEqual(parseColumnOverride('psi'), { method: 'psi' });
    assert.deepEqual(parseColumnOverride('psi:0.2'), { method: 'psi', threshold: 0.2 });
    assert.deepEqual(parseColumnOverride(':0.01'), { threshold: 0.01 });
    assert.throws(() => parseColumnOverride('kolmogorov'), /'kolmogorov' is not a drift method/);
    assert.throws(() => parseColumnOverride('ks:abc'), /'abc' is not a threshold/);
    assert.throws(() => parseColumnOverride('ks:'), /'' is not a threshold/);
    assert.throws(() => parseColumnOverride(':'), /'' is not a threshold/);
    assert.throws(() => parseColumnOverride('ks:0.1:2'), /expected METHOD, METHOD:THRESHOLD or :THRESHOLD/);
  });

  it('an override changes the method and threshold of its column only; unknown or unsuitable columns are errors', async () => {
    const dir = tempDir('mlops-mon-override-');
    createSampleWorkspace(dir);
    const ref = path.join(dir, 'data', 'wafer_yield.csv');
    const cur = path.join(dir, 'data', 'batches', 'temperature_drift_batch.csv');
    const base = await checkDrift(ref, cur, { target: 'yield' });
    const r = await checkDrift(ref, cur, { target: 'yield', columns: { Temperature: { method: 'psi', threshold: 0.2 }, Vdd_mean: { threshold: 0.001 } } });
    const t = r.columns.find((c) => c.name === 'Temperature')!;
    assert.equal(t.method, 'psi');
    assert.equal(t.threshold, 0.2);
    assert.equal(t.score, t.psi, 'the PSI method scores with the column\'s PSI');
    assert.equal(t.drifted, t.psi! >= 0.2);
    const v = r.columns.find((c) => c.name === 'Vdd_mean')!;
    assert.equal(v.method, 'ks');
    assert.equal(v.threshold, 0.001);
    assert.equal(v.drifted, v.pValue! <= 0.001);
    const others = (x: DriftReport) => x.columns.filter((c) => c.name !== 'Temperature' && c.name !== 'Vdd_mean').map((c) => [c.name, c.method, c.threshold, c.drifted]);
    assert.deepEqual(others(r), others(base));
    await assert.rejects(checkDrift(ref, cur, { target: 'yield', columns: { Temp: { method: 'psi' } } }), /Column override 'Temp': no such feature column \(the features are Vdd_mean, Idd_mean, Frequency_mean, Temperature, Dies_tested\)/);
  });

  it('CLI --column: applied, and bad values exit 2 with the reason', () => {
    const dir = tempDir('mlops-mon-override-cli-');
    createSampleWorkspace(dir);
    const mlops = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, MLOPS_STORE: '' } });
    const base = ['drift', '--reference', 'data/wafer_yield.csv', '--current', 'data/batches/temperature_drift_batch.csv', '--target', 'yield', '--no-save', '--json'];
    const ok = mlops(...base, '--column', 'Temperature=wasserstein:0.5', '--column', 'Dies_tested=:0.01');
    assert.ok(ok.status === 0 || ok.status === 3, ok.stderr);
    const report = JSON.parse(ok.stdout) as DriftReport;
    const get = (n: string) => report.columns.find((c) => c.name === n)!;
    assert.deepEqual([get('Temperature').method, get('Temperature').threshold], ['wasserstein', 0.5]);
    assert.deepEqual([get('Dies_tested').method, get('Dies_tested').threshold], [get('Dies_tested').method, 0.01]);
    assert.equal(get('Vdd_mean').threshold, 0.05, 'other columns keep their defaults');
    for (const [arg, re] of [['Temperature', /expected NAME=METHOD\[:THRESHOLD\]/], ['Temperature=foo', /'foo' is not a drift method/], ['Nope=psi', /Column override 'Nope': no such feature column/]] as const) {
      const bad = mlops(...base, '--column', arg);
      assert.equal(bad.status, 2, `${arg}: ${bad.stderr}`);
      assert.match(bad.stderr, re);
    }
  });
});

describe('monitoring: saved reports', () => {
  it('an unreadable report is reported with its path and left in place; the others are listed oldest first', () => {
    const root = tempDir('mlops-mon-reports-');
    const mk = (id: string, time: number) => ({ format: 1, id, time, batch: `${id}.csv` }) as unknown as DriftReport;
    saveReport(root, mk('b', 2000));
    saveReport(root, mk('a', 1000));
    const bad = path.join(reportsDir(root), 'c.json');
    fs.writeFileSync(bad, '{"format": 1, "id": "c", ');
    const problems: [string, string][] = [];
    assert.deepEqual(listReports(root, (f, m) => problems.push([f, m])).map((r) => r.id), ['a', 'b']);
    assert.equal(problems.length, 1);
    assert.equal(problems[0][0], bad);
    assert.match(problems[0][1], /unreadable drift report .*left in place/);
    assert.equal(fs.readFileSync(bad, 'utf8'), '{"format": 1, "id": "c", ', 'not touched');
  });
});
