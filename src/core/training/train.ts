/**
 * One training run, end to end: load and validate the data (in a worker thread), encode and split it, create
 * the run (only once the input is known to be good: bad input writes nothing), train with progress and cancel,
 * evaluate, and log params, metrics, artifacts and the environment.
 */
import * as path from 'node:path';
import { loadDataInWorker } from '../data/csvJob';
import type { Dataset, MissingPolicy } from '../data/dataset';
import { csvField } from '../compare/export';
import { RunDeletedError, type ActiveRun, type Tracker } from '../tracking/tracker';
import type { Run } from '../store/types';
import { AbortError, UserInputError } from '../util/errors';
import { Rng } from '../util/random';
import type { WorkerPool } from '../worker/pool';
import { EngineName, ForestModel, Matrix, Task } from './engine';
import { defaultEngineName, engine } from './engines';
import { classificationMetrics, mae, r2, rmse } from './metrics';
import { MODEL_BIN, MODEL_META, ModelMeta, sha256 } from './modelBundle';
import { forestParams, Hyperparameters, parseHyperparameters } from './params';
import { acquirePool, defaultWorkerCount, releasePool, warmPool } from './workers';
import { chooseTask, FeatureEncoding, prepare, split, SplitMode, takeRows, takeValues } from './prepare';

export interface TrainOptions {
  /** Absolute path of the data file (CSV or Parquet). */
  data: string;
  /** How the data path is recorded (relative to the workspace when inside it). Default: `data`. */
  dataLabel?: string;
  target: string;
  task?: Task;
  engine?: EngineName;
  /** Hyperparameters with the seed's names (strings or values); defaults fill the rest. */
  params?: Record<string, unknown>;
  testSize?: number;
  split?: SplitMode;
  missing?: MissingPolicy;
  categorical?: string[];
  experiment?: string;
  runName?: string;
  tags?: Record<string, string>;
  source?: string;
  /** Worker threads for the engine (default: all cores). */
  workers?: number;
  /** A data set already loaded (sweeps load once). */
  dataset?: Dataset;
}

/** What a progress report counts: rows read so far (no total), or trees built of the total. */
export interface ProgressCounts {
  unit: 'rows' | 'trees';
  done: number;
  total?: number;
}

export interface TrainControl {
  signal?: AbortSignal;
  /** Human progress: a message and a fraction 0..1, with the counts behind it when there are some (for a bar). */
  onProgress?: (message: string, fraction: number, counts?: ProgressCounts) => void;
  /** Called as soon as the run exists (so a UI can show it). */
  onRunStarted?: (run: ActiveRun) => void;
  pool?: WorkerPool;
}

export interface TrainResult {
  run: Run;
  metrics: Record<string, number>;
}

export const DEFAULT_EXPERIMENT = 'Default';

/** Validate options that do not need the data (so a typo fails before anything is read). */
export function checkOptions(o: TrainOptions): { testSize: number; split: SplitMode; engineName: EngineName } {
  const testSize = o.testSize ?? 0.2;
  if (!(testSize > 0 && testSize < 1)) throw new UserInputError(`test_size must be between 0 and 1 (exclusive), got ${testSize}.`);
  const s = o.split ?? 'ordered';
  if (s !== 'ordered' && s !== 'random') throw new UserInputError(`split must be 'ordered' or 'random', got '${String(s)}'.`);
  if (!o.target || !o.target.trim()) throw new UserInputError('A target column is needed (--target COL).');
  const engineName = o.engine ?? defaultEngineName();
  engine(engineName); // throws when unavailable
  if (o.task && o.task !== 'regression' && o.task !== 'classification') throw new UserInputError(`task must be regression or classification, got '${String(o.task)}'.`);
  return { testSize, split: s, engineName };
}

export async function loadTrainingData(o: TrainOptions, control: TrainControl = {}): Promise<Dataset> {
  if (o.dataset) return o.dataset;
  control.onProgress?.(`Reading ${path.basename(o.data)}…`, 0, { unit: 'rows', done: 0 });
  const onRows = (rows: number) => control.onProgress?.(`Reading ${path.basename(o.data)}: ${rows.toLocaleString()} rows…`, 0, { unit: 'rows', done: rows });
  const load = (pool: WorkerPool) => loadDataInWorker(pool, o.data, { missing: o.missing ?? 'error', categorical: o.categorical, onProgress: onRows }, control.signal);
  if (control.pool) return load(control.pool);
  // The pool the forest engine builds trees on next (workers: 0 builds in this thread, but still loads in a worker):
  // its other workers start while this one parses.
  const size = o.workers || defaultWorkerCount();
  const pool = acquirePool(size);
  try {
    const loading = load(pool);
    if ((o.engine ?? defaultEngineName()) === 'forest') warmPool(pool, size - 1);
    return await loading;
  } finally {
    releasePool(size);
  }
}

export async function trainRun(tracker: Tracker, o: TrainOptions, control: TrainControl = {}): Promise<TrainResult> {
  const { testSize, split: splitMode, engineName } = checkOptions(o);
  const ds = await loadTrainingData(o, control);
  const task = chooseTask(ds, o.target, o.task);
  const hyper = parseHyperparameters(o.params ?? {}, task);
  const prepared = prepare(ds, o.target, task);
  const parts = split(ds.info.rows, testSize, splitMode, hyper.seed, prepared.y, task === 'classification', ds.info.path);
  if (control.signal?.aborted) throw new AbortError();

  const eng = engine(engineName);
  const params = {
    ...hyper,
    engine: engineName,
    task,
    target: o.target,
    data: o.dataLabel ?? o.data,
    test_size: testSize,
    split: splitMode,
    missing: o.missing ?? 'error',
    ...(o.categorical?.length ? { categorical: o.categorical.join(',') } : {}),
  };
  const run = tracker.startRun({
    experiment: o.experiment ?? DEFAULT_EXPERIMENT,
    name: o.runName,
    params,
    tags: { trainer: 'builtin', ...o.tags },
    environment: {
      source: o.source ?? 'cli',
      seed: hyper.seed,
      libraries: { [eng.name === 'mljs' ? 'ml-random-forest' : 'mlops-forest']: eng.version },
      dataset: { path: o.dataLabel ?? o.data, sha256: ds.info.sha256, rows: ds.info.rows, columns: ds.info.columns.map((c) => c.name), types: Object.fromEntries(ds.info.columns.map((c) => [c.name, c.type])) },
    },
  });
  control.onRunStarted?.(run);
  try {
    if (eng.name === 'mljs' && hyper.min_samples_leaf !== 1) run.setNotes(`Engine mljs ignores min_samples_leaf (${hyper.min_samples_leaf}). ${eng.notes}`);
    const metrics = await fitAndLog(run, eng.name, prepared.encoding, prepared.x, prepared.y, parts, hyper, task, o.workers, control);
    run.end('completed');
    return { run: tracker.getRun(run.id), metrics };
  } catch (e) {
    // The run's folder went away (runs delete --force): stop, write nothing more (no half-folder comes back).
    if (e instanceof RunDeletedError || run.deleted || !run.folderExists()) throw new RunDeletedError(run.id, run.name);
    const cancelled = e instanceof AbortError || (e as Error)?.name === 'AbortError' || control.signal?.aborted;
    try {
      if (!cancelled) run.setTag('error', String((e as Error)?.message ?? e).slice(0, 500));
      run.end(cancelled ? 'cancelled' : 'failed');
    } catch {
      /* the original error matters more */
    }
    if (cancelled) throw new AbortError(`Run ${run.name} was cancelled.`);
    throw e;
  }
}

/** The rows of one split: features and target for training and testing. */
interface SplitData {
  xTrain: Matrix;
  yTrain: Float64Array;
  xTest: Matrix;
  yTest: Float64Array;
  /** Row numbers (0-based, in the data set) of the test rows. */
  testRows: Uint32Array;
}

async function fitAndLog(
  run: ActiveRun,
  engineName: EngineName,
  encoding: FeatureEncoding,
  x: Matrix,
  y: Float64Array,
  parts: { train: Uint32Array; test: Uint32Array },
  hyper: Hyperparameters,
  task: Task,
  workers: number | undefined,
  control: TrainControl,
): Promise<Record<string, number>> {
  const d: SplitData = { xTrain: takeRows(x, parts.train), yTrain: takeValues(y, parts.train), xTest: takeRows(x, parts.test), yTest: takeValues(y, parts.test), testRows: parts.test };
  const nClasses = encoding.classes?.length;
  const t0 = process.hrtime.bigint();
  const model = await fitWithProgress(run, engine(engineName), forestParams(hyper, task, nClasses, workers), d, control);
  const fitSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (control.signal?.aborted) throw new AbortError();
  control.onProgress?.('Evaluating…', 1);
  const { metrics, pTest } = evaluate(run, model, task, encoding, d);
  metrics.fit_seconds = fitSeconds;
  run.logMetrics(metrics);
  // Artifacts: the model bundle, importance, a sample of predictions, the encoding.
  logModelBundle(run, model, engineName, encoding, d.yTrain, hyper, task, metrics);
  logFeatureImportance(run, model, encoding, d, task, hyper.seed);
  logPredictionsSample(run, encoding, d, pTest, task);
  return metrics;
}

/**
 * Train with progress ("Trees k/n", and trees_done logged at most ~10 times). Progress is reported from worker
 * messages: an error thrown there would be uncaught. A failed progress write (the run was deleted meanwhile) stops the
 * training instead, and the error is raised here, in the run's await.
 */
async function fitWithProgress(run: ActiveRun, eng: ReturnType<typeof engine>, params: ReturnType<typeof forestParams>, d: SplitData, control: TrainControl): Promise<ForestModel> {
  control.onProgress?.(`Training ${params.nEstimators} trees…`, 0, { unit: 'trees', done: 0, total: params.nEstimators });
  const inner = new AbortController();
  const onOuterAbort = () => inner.abort();
  control.signal?.addEventListener('abort', onOuterAbort, { once: true });
  if (control.signal?.aborted) inner.abort();
  let progressError: unknown;
  let lastLogged = -1;
  let lastCheck = Date.now();
  let model: ForestModel;
  try {
    model = await eng.train(d.xTrain, d.yTrain, params, {
      signal: inner.signal,
      onProgress: ({ treesDone, treesTotal }) => {
        if (progressError !== undefined) return;
        try {
          control.onProgress?.(`Trees ${treesDone}/${treesTotal}`, treesDone / treesTotal, { unit: 'trees', done: treesDone, total: treesTotal });
          // Live progress in the tree: at most ~10 points per run.
          const bucket = Math.floor((treesDone / treesTotal) * 10);
          if (bucket > lastLogged) {
            lastLogged = bucket;
            run.logMetric('trees_done', treesDone, treesDone);
          } else if (Date.now() - lastCheck > 250) {
            lastCheck = Date.now();
            if (!run.folderExists()) throw new RunDeletedError(run.id, run.name);
          }
        } catch (e) {
          progressError = e;
          inner.abort();
        }
      },
    });
  } catch (e) {
    throw progressError ?? e;
  } finally {
    control.signal?.removeEventListener('abort', onOuterAbort);
  }
  if (progressError !== undefined) throw progressError;
  return model;
}

/** The test metrics (regression: also rmse_train; classification: the confusion matrix as an artifact). */
function evaluate(run: ActiveRun, model: ForestModel, task: Task, encoding: FeatureEncoding, d: SplitData): { metrics: Record<string, number>; pTest: Float64Array } {
  const metrics: Record<string, number> = {};
  const pTest = model.predict(d.xTest);
  if (task === 'regression') {
    const pTrain = model.predict(d.xTrain);
    metrics.rmse_train = rmse(d.yTrain, pTrain);
    metrics.rmse_test = rmse(d.yTest, pTest);
    metrics.mae_test = mae(d.yTest, pTest);
    metrics.r2_test = r2(d.yTest, pTest);
  } else {
    const m = classificationMetrics(d.yTest, pTest, encoding.classes!.length);
    metrics.accuracy_test = m.accuracy;
    metrics.precision_test = m.precision;
    metrics.recall_test = m.recall;
    metrics.f1_test = m.f1;
    run.logArtifactJson('confusion_matrix.json', { classes: encoding.classes, rows: 'actual', columns: 'predicted', matrix: m.confusion });
  }
  return { metrics, pTest };
}

/** The model bundle (model.bin and its metadata) and encoding.json. */
function logModelBundle(run: ActiveRun, model: ForestModel, engineName: EngineName, encoding: FeatureEncoding, yTrain: Float64Array, hyper: Hyperparameters, task: Task, metrics: Record<string, number>): void {
  const bytes = model.serialize();
  let tMin = Infinity;
  let tMax = -Infinity;
  if (task === 'regression') for (const v of yTrain) { if (v < tMin) tMin = v; if (v > tMax) tMax = v; }
  const meta: ModelMeta = {
    format: 1,
    engine: engineName,
    engineVersion: engine(engineName).version,
    task,
    encoding,
    ...(task === 'regression' ? { targetRange: { min: tMin, max: tMax } } : {}),
    binSha256: sha256(bytes),
    binBytes: bytes.byteLength,
    runId: run.id,
    trainedAt: Date.now(),
    hyperparameters: { ...hyper },
    metrics,
  };
  run.logArtifactBytes(MODEL_BIN, bytes);
  run.logArtifactBytes(MODEL_META, JSON.stringify(meta, null, 1) + '\n', 'json');
  run.logArtifactJson('encoding.json', encoding);
}

/** feature_importance.json: the engine's impurity importance, else permutation importance on the test set. */
function logFeatureImportance(run: ActiveRun, model: ForestModel, encoding: FeatureEncoding, d: SplitData, task: Task, seed: number): void {
  let importance = model.featureImportances();
  let method = 'impurity (mean decrease in impurity, normalised to sum 1)';
  if (!importance) {
    importance = permutationImportance(model, d.xTest, d.yTest, task, seed);
    method = 'permutation on the test set (mean increase of the test error over 3 shuffles; the engine has no reliable impurity importance)';
  }
  run.logArtifactJson('feature_importance.json', {
    method,
    features: encoding.features.map((f, j) => ({ feature: f, importance: importance![j] })).sort((a, b) => b.importance - a.importance),
  });
}

/** predictions_sample.csv: the first 20 test rows (row = the CSV's line number), actual and predicted. */
function logPredictionsSample(run: ActiveRun, encoding: FeatureEncoding, d: SplitData, pTest: Float64Array, task: Task): void {
  const lines = ['row,actual,predicted'];
  for (let i = 0; i < Math.min(20, d.testRows.length); i++) {
    const actual = task === 'regression' ? d.yTest[i] : encoding.classes![d.yTest[i]];
    const predicted = task === 'regression' ? pTest[i] : encoding.classes![pTest[i]];
    lines.push(`${d.testRows[i] + 2},${csvCell(actual)},${csvCell(predicted)}`);
  }
  run.logArtifactBytes('predictions_sample.csv', lines.join('\n') + '\n');
}

/** A predictions_sample.csv cell: numbers to 10 digits; text quoted and neutralised as Compare exports do. */
function csvCell(v: unknown): string {
  return typeof v === 'number' ? String(Number(v.toPrecision(10))) : csvField(String(v));
}

/** Permutation importance: how much the test error grows when one feature's values are shuffled. */
export function permutationImportance(model: ForestModel, x: Matrix, y: Float64Array, task: Task, seed: number, repeats = 3): Float64Array {
  const score = (p: Float64Array) => (task === 'regression' ? rmse(y, p) : 1 - classificationMetrics(y, p, model.nClasses).accuracy);
  const base = score(model.predict(x));
  const out = new Float64Array(x.columns.length);
  const rng = new Rng(seed ^ 0x5eed);
  for (let j = 0; j < x.columns.length; j++) {
    const original = x.columns[j];
    let sum = 0;
    for (let r = 0; r < repeats; r++) {
      const shuffled = rng.shuffle(original.slice());
      const cols = x.columns.slice();
      cols[j] = shuffled;
      sum += score(model.predict({ rows: x.rows, columns: cols })) - base;
    }
    out[j] = Math.max(0, sum / repeats);
  }
  return out;
}
