/**
 * Issue 18, defects 17–20: drift statistics that never overflow and never give a NaN verdict, untested columns and
 * missing values as alert-worthy findings, performance metrics undefined on too few rows, and `mlops drift` flags
 * validated like the config.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { dataQualityFindings, driftSummary, performanceRows } from '../../src/core/monitoring/driftView';
import { checkDrift, type DriftReport } from '../../src/core/monitoring/monitor';
import { driftColumn, type DriftMethod } from '../../src/core/monitoring/stats';
import { mean, populationStd, quantileSorted } from '../../src/core/monitoring/stats/samples';
import { normedWassersteinSorted } from '../../src/core/monitoring/stats/wasserstein';
import { Registry } from '../../src/core/registry/registry';
import { loadModelByUri } from '../../src/core/registry/uri';
import { createSampleWorkspace } from '../../src/core/sample/sampleWorkspace';
import { Tracker } from '../../src/core/tracking/tracker';
import { trainRun } from '../../src/core/training/train';
import { prng } from '../torture/family';
import { CLI, tempDir } from './helpers';

const dir = tempDir('mlops-drift-robust-');
const write = (name: string, lines: string[]) => {
  const f = path.join(dir, name);
  fs.writeFileSync(f, lines.join('\n') + '\n');
  return f;
};
const mlops = (cwd: string, ...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env: { ...process.env, MLOPS_STORE: '' } });

function normals(seed: number, n: number, shift = 0, scale = 1): number[] {
  const r = prng(seed);
  return Array.from({ length: n }, () => (Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r()) + shift) * scale);
}

describe('drift robustness (issue 18 #17): one huge value does not hide drift', () => {
  // The case: a 5,000-row reference with one 1e200, against a batch shifted by 5σ.
  const ref = normals(1, 5000);
  ref[17] = 1e200;
  const refFile = write('ref-1e200.csv', ['x,y', ...ref.map((v, i) => `${v},${normals(2, 5000)[i]}`)]);
  const shifted = write('cur-shift5.csv', ['x,y', ...normals(3, 300, 5).map((v, i) => `${v},${normals(4, 300)[i]}`)]);
  const same = write('cur-same.csv', ['x,y', ...normals(5, 300).map((v, i) => `${v},${normals(6, 300)[i]}`)]);

  it('the exact case: the 5σ shift is detected with a finite Wasserstein score, alert, exit 3', () => {
    const r = mlops(dir, 'drift', '--reference', refFile, '--current', shifted, '--no-save', '--json');
    assert.equal(r.status, 3, r.stdout + r.stderr);
    const report = JSON.parse(r.stdout) as DriftReport;
    const x = report.columns.find((c) => c.name === 'x')!;
    assert.equal(x.method, 'wasserstein');
    assert.ok(Number.isFinite(x.score), `score ${x.score}`);
    assert.equal(x.tested, true);
    assert.equal(x.drifted, true);
    assert.ok(report.alerts.some((a) => a.type === 'data_drift' && a.subject === 'x'));
  });

  it('the same outlier without a shift: finite score, no drift (the outlier alone is no alarm)', async () => {
    const report = await checkDrift(refFile, same);
    const x = report.columns.find((c) => c.name === 'x')!;
    assert.ok(Number.isFinite(x.score), `score ${x.score}`);
    assert.equal(x.drifted, false, `score ${x.score}`);
    assert.ok(Number.isFinite((x.referenceSummary as { mean: number }).mean));
    assert.ok(Number.isFinite((x.referenceSummary as { std: number }).std));
  });

  it('mean, std and quantiles do not overflow', () => {
    assert.equal(mean([1e308, 1e308, -1e308]), 1e308 / 3);
    const s = populationStd([1e308, -1e308]);
    assert.ok(Math.abs(s - 1e308) / 1e308 < 1e-12, `std ${s}`);
    assert.ok(Math.abs(populationStd([1e-310, 3e-310]) - 1e-310) < 1e-320);
    assert.equal(quantileSorted([-1e308, 1e308], 0.5), 0);
    const w = normedWassersteinSorted(Float64Array.from([-1e308, 1e308]), Float64Array.from([-1e308, 1e308]));
    assert.equal(w.normed, 0);
  });

  it('every method gives a finite score on extreme values; a real shift on a tiny or huge scale is detected', () => {
    const methods: DriftMethod[] = ['ks', 'wasserstein', 'jensenshannon', 'psi', 'chisquare', 'z'];
    const base = normals(7, 2000);
    const cases: [string, number[], number[]][] = [
      ['±1e308', [...base.slice(0, 1998), -1e308, 1e308], normals(8, 200)],
      ['1e-300 scale', base.map((v) => v * 1e-300), normals(9, 200).map((v) => v * 1e-300)],
      ['+Infinity and NaN', [...base, Infinity, -Infinity, NaN], [...normals(10, 200), NaN, Infinity]],
    ];
    for (const [label, r, c] of cases) {
      for (const method of methods) {
        const d = driftColumn(r, c, 'numeric', { method });
        assert.ok(d.tested, `${label} ${method}: ${d.note}`);
        assert.ok(Number.isFinite(d.score), `${label} ${method}: score ${d.score}`);
        assert.ok(d.psi === null || Number.isFinite(d.psi), `${label} ${method}: psi ${d.psi}`);
        if (d.histogram.kind === 'numeric') assert.ok(d.histogram.edges.every(Number.isFinite), `${label} ${method}: edges`);
      }
    }
    for (const scale of [1e-300, 1e-9, 1e300]) {
      const d = driftColumn(normals(11, 3000, 0, scale), normals(12, 300, 5, scale), 'numeric');
      assert.equal(d.method, 'wasserstein');
      assert.ok(d.drifted, `scale ${scale}: score ${d.score}`);
    }
  });
});

describe('drift robustness (issue 18 #17/#19): untested columns and missing values are findings', () => {
  it('a reference column without valid values: counted as untested, an alert naming why, exit 3', () => {
    const ref = write('ref-empty-col.csv', ['a,b', ...normals(13, 50).map((v) => `${v},`)]);
    const cur = write('cur-b.csv', ['a,b', ...normals(14, 50).map((v, i) => `${v},${i}`)]);
    const r = mlops(dir, 'drift', '--reference', ref, '--current', cur, '--no-save', '--json');
    assert.equal(r.status, 3, r.stdout + r.stderr);
    const report = JSON.parse(r.stdout) as DriftReport;
    assert.equal(report.dataset.untested, 1);
    const a = report.alerts.find((x) => x.subject === 'b')!;
    assert.ok(a, JSON.stringify(report.alerts));
    assert.equal(a.type, 'data_quality');
    assert.match(a.recommendation, /not tested.*reference has no valid values/);
    const text = mlops(dir, 'drift', '--reference', ref, '--current', cur, '--no-save');
    assert.match(text.stdout, /Not tested: b \(reference has no valid values\)/);
  });

  it('a feature 100 % missing in the batch is a critical alert; a rise of the missing share past the threshold too', async () => {
    const ref = write('ref-miss.csv', ['a,b,c', ...normals(15, 200).map((v, i) => `${v},${i % 10},${i % 7}`)]);
    const cur = write('cur-miss.csv', ['a,b,c', ...normals(16, 100).map((_v, i) => `,${i < 30 ? '' : i % 10},${i < 5 ? '' : i % 7}`)]);
    const report = await checkDrift(ref, cur);
    const a = report.alerts.find((x) => x.subject === 'a' && x.type === 'data_quality')!;
    assert.ok(a, JSON.stringify(report.alerts));
    assert.equal(a.severity, 'critical');
    assert.equal(a.currentValue, 1);
    assert.match(a.recommendation, /a is missing in every row/);
    const b = report.alerts.find((x) => x.subject === 'b' && x.type === 'data_quality')!;
    assert.ok(b, 'b: 30 % missing vs 0 %');
    assert.equal(b.currentValue, 0.3);
    assert.ok(!report.alerts.some((x) => x.subject === 'c' && x.type === 'data_quality'), 'c: 5 % missing stays under 10 %');
    // One finding per column: a 100 % missing column is not also reported as untested.
    assert.equal(report.alerts.filter((x) => x.subject === 'a').length, 1);
    const strict = await checkDrift(ref, cur, { missingShare: 0.01 });
    assert.ok(strict.alerts.some((x) => x.subject === 'c' && x.type === 'data_quality'));
    const cli = mlops(dir, 'drift', '--reference', ref, '--current', cur, '--no-save', '--missing-share', '0.5', '--json');
    assert.equal(cli.status, 3, cli.stderr);
    const rep = JSON.parse(cli.stdout) as DriftReport;
    assert.deepEqual(rep.alerts.filter((x) => x.type === 'data_quality').map((x) => x.subject), ['a']);
  });

  it('an empty batch (header only) is bad input naming the file, not a pass', () => {
    const ref = write('ref-e.csv', ['a,b', ...normals(17, 50).map((v, i) => `${v},${i % 3}`)]);
    const cur = write('cur-e.csv', ['a,b']);
    const r = mlops(dir, 'drift', '--reference', ref, '--current', cur, '--no-save');
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /cur-e\.csv: has a header but no data rows/);
  });
});

describe('drift robustness (issue 18 #18): performance on too few rows', () => {
  let ws: string;
  let registry: Registry;
  const model = () => {
    const { version, loaded } = loadModelByUri(registry, 'models:/YieldPredictor/1');
    return { uri: 'models:/YieldPredictor/1', name: 'YieldPredictor', version: version.version, loaded };
  };
  before(async () => {
    ws = tempDir('mlops-drift-perf-');
    createSampleWorkspace(ws);
    const tracker = Tracker.open(path.join(ws, '.mlops'));
    const res = await trainRun(tracker, { data: path.join(ws, 'data', 'wafer_yield.csv'), target: 'yield', engine: 'mljs', params: { n_estimators: 5, max_depth: 4 } });
    registry = new Registry(tracker.store, { identity: { osUser: 't', display: 't' } });
    registry.register(tracker, res.run.id, 'YieldPredictor');
  });
  const batch = (name: string, rows: string[]) => {
    const lines = fs.readFileSync(path.join(ws, 'data', 'wafer_yield.csv'), 'utf8').trim().split('\n');
    const f = path.join(ws, name);
    fs.writeFileSync(f, [lines[0], ...rows.map((r) => (r.startsWith('#') ? lines[Number(r.slice(1))] : r))].join('\n') + '\n');
    return f;
  };

  it('a 1-row batch: no performance alert, every metric "not enough rows"', async () => {
    const r = await checkDrift(path.join(ws, 'data', 'wafer_yield.csv'), batch('one.csv', ['#5']), { model: model() });
    assert.ok(!r.alerts.some((a) => a.type === 'performance'), JSON.stringify(r.alerts));
    assert.deepEqual(r.performance!.checks, []);
    assert.deepEqual(r.performance!.notComputed!.map((n) => n.metric), ['rmse', 'mae', 'r2']);
    assert.match(r.performance!.notComputed![0].reason, /not enough rows: 1 labelled row, at least 2 needed/);
  });

  it('a constant target: R² undefined (no alert), RMSE and MAE still checked', async () => {
    const lines = fs.readFileSync(path.join(ws, 'data', 'wafer_yield.csv'), 'utf8').trim().split('\n');
    const rows = lines.slice(1, 31).map((l) => l.replace(/,[^,]*$/, ',90'));
    const r = await checkDrift(path.join(ws, 'data', 'wafer_yield.csv'), batch('const.csv', rows), { model: model() });
    assert.ok(!r.alerts.some((a) => a.type === 'performance' && a.subject === 'r2'));
    assert.deepEqual(r.performance!.checks.map((c) => c.metric), ['rmse', 'mae']);
    assert.deepEqual(r.performance!.notComputed!, [{ metric: 'r2', reference: r.performance!.notComputed![0].reference, reason: 'constant target: R² is undefined' }]);
  });

  it('--target different from the model\'s target is an error', () => {
    const res = mlops(ws, 'drift', '--reference', 'data/wafer_yield.csv', '--current', 'data/batches/normal_batch.csv', '--model', 'models:/YieldPredictor/1', '--target', 'Temperature', '--no-save');
    assert.equal(res.status, 2, res.stderr);
    assert.match(res.stderr, /--target 'Temperature' is not the model's target 'yield'/);
  });
});

describe('drift robustness (issue 18 #20): flags validated like the config', () => {
  const ref = write('ref-f.csv', ['a,b,y', ...normals(18, 40).map((v, i) => `${v},${i % 4},${i}`)]);
  const cur = write('cur-f.csv', ['a,b,y', ...normals(19, 40).map((v, i) => `${v},${i % 4},${i}`)]);
  const bad: [string[], RegExp][] = [
    [['--drift-share', '0'], /^mlops: --drift-share must be a number in \(0, 1\], got '0'\.$/m],
    [['--drift-share', '1.5'], /--drift-share must be a number in \(0, 1\], got '1.5'/],
    [['--drift-share', '0x1'], /--drift-share must be a number in \(0, 1\], got '0x1'/],
    [['--performance-threshold', '0'], /--performance-threshold must be a number > 0 \(0.2 = 20 % worse\), got '0'/],
    [['--performance-threshold', 'Infinity'], /--performance-threshold must be a number > 0/],
    [['--missing-share', '0'], /--missing-share must be a number in \(0, 1\], got '0'/],
    [['--target', 'nosuch'], /ref-f\.csv: no column 'nosuch' \(--target\); the columns are a, b, y\./],
    [['--target', 'no\x01pe'], /no column 'no\\x01pe'/],
  ];
  for (const [args, msg] of bad) {
    it(`${JSON.stringify(args.join(' '))}: exit 2 with a one-line message`, () => {
      const r = mlops(dir, 'drift', '--reference', ref, '--current', cur, '--no-save', ...args);
      assert.equal(r.status, 2, r.stdout + r.stderr);
      assert.match(r.stderr, msg);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    });
  }
  it('valid bounds are accepted: --drift-share 1, --performance-threshold 2', () => {
    const r = mlops(dir, 'drift', '--reference', ref, '--current', cur, '--no-save', '--drift-share', '1', '--performance-threshold', '2', '--target', 'y');
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.doesNotMatch(r.stdout, /^y /m, 'the target is not a feature');
  });
});

describe('drift robustness: the report view model shows the new findings', () => {
  it('data-quality findings and metrics not computed reach the summary; old reports still read', async () => {
    const ref = write('ref-v.csv', ['a,b', ...normals(20, 60).map((v, i) => `${v},${i % 5}`)]);
    const cur = write('cur-v.csv', ['a,b', ...normals(21, 60).map((_v, i) => `,${i % 5}`)]);
    const r = JSON.parse(JSON.stringify(await checkDrift(ref, cur))) as DriftReport; // as the webview receives it
    assert.deepEqual(dataQualityFindings(r).map((f) => [f.column, f.kind]), [['a', 'missing_share']]);
    r.performance = { checks: [], notComputed: [{ metric: 'r2', reference: 0.7, reason: 'not enough rows: 1 labelled row, at least 2 needed' }], threshold: 0.2, rows: 1 };
    assert.deepEqual(performanceRows(r), [{ metric: 'r2', reference: 0.7, current: null, degradation: null, degraded: false, note: 'not enough rows: 1 labelled row, at least 2 needed' }]);
    const text = driftSummary(r);
    assert.match(text, /Performance: r2 not computed \(not enough rows/);
    assert.match(text, /Data quality: a: a is missing in every row of the batch/);
    const old = { ...r, dataQuality: undefined, performance: { checks: [], threshold: 0.2, rows: 1 } } as unknown as DriftReport;
    assert.deepEqual(dataQualityFindings(old).map((f) => [f.column, f.kind]), [['a', 'untested']]);
    assert.deepEqual(performanceRows(old), []);
  });
});
