/**
 * Training a forest: validate, put the data on SharedArrayBuffers, bin and sort the features once (split over the
 * workers), build the trees in batches on the worker pool (all cores by default) and assemble the model in tree
 * order.
 *
 * Determinism: tree t draws its bootstrap sample and its per-split features from Rng.derive(seed, t) alone and
 * the trees are assembled by index, so a model is bit-identical whatever the number of workers (or batches).
 */
import { setMaxListeners } from 'node:events';
import { type ForestParams, type Matrix, resolveMaxFeatures, type TrainControl } from '../engine';
import { FEATURES_JOB, prepareFeatures, type FeaturesJob, type FeaturesResult, mergeBins, type SharedTreeData, treeBuilder, TREES_JOB, type TreesJob, type TreesResult } from './build';
import { ENGINE_VERSION, type ForestArrays, RandomForestModel } from './model';
import { type BuiltTree, LISTS_ONLY_MAX, type TreeConfig } from './tree';
import { AbortError } from '../../util/errors';
import { acquirePool, defaultWorkerCount, disposeTrainingWorkers, releasePool } from '../workers';

/** Forests trained in this process so far: each one's number tells the workers which jobs share data (build.ts). */
let forests = 0;

/** Dispose the engine's idle worker pools now (e.g. before exit, or in tests): the training pools (../workers.ts). */
export const disposeForestWorkers = disposeTrainingWorkers;

/** A count or a fraction of the rows (scikit-learn: a float in (0, 1) means ceil(fraction · n)). */
function samples(name: string, v: number, n: number, min: number): number {
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be positive, got ${v}`);
  const k = v < 1 ? Math.ceil(v * n) : v;
  if (!Number.isInteger(k) || k < min) throw new Error(`${name} must be an integer ≥ ${min} or a fraction in (0, 1), got ${v}`);
  return k;
}

export function treeConfig(params: ForestParams, n: number, d: number, nClasses: number): TreeConfig {
  const classification = params.task === 'classification';
  const criterion = params.criterion ?? (classification ? 'gini' : 'mse');
  if (classification && criterion === 'mse') throw new Error("classification uses criterion 'gini' or 'entropy'");
  if (!classification && criterion !== 'mse') throw new Error("regression uses criterion 'mse'");
  if (!Number.isInteger(params.nEstimators) || params.nEstimators < 1) throw new Error(`n_estimators must be a positive integer, got ${params.nEstimators}`);
  if (params.maxDepth !== null && (!Number.isInteger(params.maxDepth) || params.maxDepth < 1)) throw new Error(`max_depth must be a positive integer or none, got ${params.maxDepth}`);
  return {
    classification,
    nClasses,
    criterion,
    maxDepth: params.maxDepth === null ? Infinity : params.maxDepth,
    maxFeatures: resolveMaxFeatures(params.maxFeatures, d),
    minSamplesSplit: samples('min_samples_split', params.minSamplesSplit, n, 2),
    minSamplesLeaf: samples('min_samples_leaf', params.minSamplesLeaf, n, 1),
    bootstrap: params.bootstrap,
    seed: params.seed >>> 0,
  };
}

function checkInput(x: Matrix, y: Float64Array, params: ForestParams): number {
  const n = x.rows;
  const d = x.columns.length;
  if (!Number.isInteger(n) || n < 1) throw new Error('training needs at least one row');
  if (d < 1) throw new Error('training needs at least one feature column');
  for (const c of x.columns) if (c.length < n) throw new Error(`a feature column has ${c.length} values for ${n} rows`);
  if (y.length !== n) throw new Error(`y has ${y.length} values for ${n} rows`);
  if (params.task === 'regression') {
    for (let i = 0; i < n; i++) if (!Number.isFinite(y[i])) throw new Error(`target of row ${i} is ${y[i]}`);
    return 0;
  }
  let max = 0;
  for (let i = 0; i < n; i++) {
    const v = y[i];
    if (!Number.isInteger(v) || v < 0) throw new Error(`class label of row ${i} is ${v}: labels must be 0..nClasses−1`);
    if (v > max) max = v;
  }
  const nClasses = params.nClasses ?? max + 1;
  if (max >= nClasses) throw new Error(`class label ${max} is out of range for ${nClasses} classes`);
  return Math.max(nClasses, 1);
}

export async function trainForest(x: Matrix, y: Float64Array, params: ForestParams, control: TrainControl = {}): Promise<RandomForestModel> {
  const signal = control.signal;
  if (signal?.aborted) throw new AbortError();
  const nClasses = checkInput(x, y, params);
  const n = x.rows;
  const d = x.columns.length;
  const cfg = treeConfig(params, n, d, nClasses);

  const xs = new SharedArrayBuffer(n * d * 8);
  const xv = new Float64Array(xs);
  for (let f = 0; f < d; f++) xv.set(x.columns[f].subarray(0, n), f * n);
  // Bins only for a forest whose trees start with histogram levels (tree.ts).
  const bin = n * d > LISTS_ONLY_MAX;
  const cs = new SharedArrayBuffer(bin ? n * d : 0);
  const os = new SharedArrayBuffer(n * d * 4);
  const ys = new SharedArrayBuffer(n * 8);
  new Float64Array(ys).set(y);
  const allFeatures = Array.from({ length: d }, (_, f) => f);

  const T = params.nEstimators;
  const trees: BuiltTree[] = new Array(T);
  let done = 0;
  const onTree = () => {
    done++;
    control.onProgress?.({ treesDone: done, treesTotal: T });
  };
  const workers = params.workers ?? defaultWorkerCount();
  if (!Number.isInteger(workers) || workers < 0) throw new Error(`workers must be a non-negative integer, got ${workers}`);

  if (workers === 0) {
    // In this thread (no worker pool), one tree at a time, yielding between trees so abort and progress work.
    control.onProgress?.({ treesDone: 0, treesTotal: T });
    const data: SharedTreeData = { n, d, x: xs, codes: cs, order: os, y: ys, ...mergeBins(d, [prepareFeatures({ n, d, x: xs, codes: cs, order: os, features: allFeatures, bin })]) };
    const builder = treeBuilder(data, cfg);
    for (let t = 0; t < T; t++) {
      if (signal?.aborted) throw new AbortError();
      trees[t] = builder.build(t);
      onTree();
      await new Promise((r) => setImmediate(r));
    }
    if (signal?.aborted) throw new AbortError();
    return new RandomForestModel(assemble(trees, params, cfg, n, d, nClasses));
  }

  const pool = acquirePool(workers);
  const inner = new AbortController();
  const forward = () => inner.abort();
  signal?.addEventListener('abort', forward, { once: true });
  /** Run jobs on the pool; the first failure cancels the others. */
  const runAll = <J, R>(kind: string, jobs: J[], onProgress?: () => void): Promise<R[]> => {
    setMaxListeners(jobs.length + 10, inner.signal); // WorkerPool.run adds one listener per job
    return Promise.all(
      jobs.map((job) =>
        pool.run<R>(kind, job, { onProgress, signal: inner.signal }).catch((e: Error) => {
          inner.abort();
          throw e;
        }),
      ),
    );
  };
  try {
    // 1. Sort (and bin) the features on the workers (they write orders and codes into the shared matrices).
    const groups = Array.from({ length: Math.min(workers, d) }, (_, g) => allFeatures.filter((f) => f % Math.min(workers, d) === g));
    const binning = runAll<FeaturesJob, FeaturesResult>(FEATURES_JOB, groups.map((features) => ({ n, d, x: xs, codes: cs, order: os, features, bin })));
    // Reported once the jobs are posted: the caller may write it to the store (a file append) meanwhile.
    control.onProgress?.({ treesDone: 0, treesTotal: T });
    const data: SharedTreeData = { n, d, x: xs, codes: cs, order: os, y: ys, ...mergeBins(d, await binning) };
    // 2. Trees in batches of consecutive indices, several per worker so that the cores stay busy to the end.
    const per = Math.max(1, Math.ceil(T / (workers * 8)));
    const batches: TreesJob[] = [];
    const forest = ++forests;
    for (let t = 0; t < T; t += per) batches.push({ forest, data, cfg, trees: Array.from({ length: Math.min(per, T - t) }, (_, k) => t + k) });
    for (const res of await runAll<TreesJob, TreesResult>(TREES_JOB, batches, onTree)) for (const t of res.trees) trees[t.index] = t;
  } catch (e) {
    if (signal?.aborted) throw new AbortError();
    throw e;
  } finally {
    signal?.removeEventListener('abort', forward);
    releasePool(workers);
  }
  return new RandomForestModel(assemble(trees, params, cfg, n, d, nClasses));
}

function assemble(trees: BuiltTree[], params: ForestParams, cfg: TreeConfig, n: number, d: number, nClasses: number): ForestArrays {
  const T = trees.length;
  const treeStart = new Int32Array(T + 1);
  let probaLen = 0;
  for (let t = 0; t < T; t++) {
    treeStart[t + 1] = treeStart[t] + trees[t].feature.length;
    probaLen += trees[t].proba.length;
  }
  const feature = new Int32Array(treeStart[T]);
  const value = new Float64Array(treeStart[T]);
  const proba = new Float32Array(probaLen);
  const importances = new Float64Array(d);
  let p = 0;
  let splitTrees = 0;
  for (let t = 0; t < T; t++) {
    const tr = trees[t];
    feature.set(tr.feature, treeStart[t]);
    value.set(tr.value, treeStart[t]);
    proba.set(tr.proba, p);
    p += tr.proba.length;
    // As scikit-learn: the mean over the trees that have at least one split, renormalized.
    if (tr.feature.length > 1) {
      splitTrees++;
      for (let f = 0; f < d; f++) importances[f] += tr.importance[f];
    }
  }
  let sum = 0;
  for (let f = 0; f < d; f++) sum += importances[f];
  if (splitTrees > 0 && sum > 0) for (let f = 0; f < d; f++) importances[f] /= sum;
  const info = {
    engineVersion: ENGINE_VERSION,
    trainRows: n,
    params: {
      n_estimators: params.nEstimators,
      max_depth: params.maxDepth,
      max_features: params.maxFeatures,
      max_features_resolved: cfg.maxFeatures,
      min_samples_split: cfg.minSamplesSplit,
      min_samples_leaf: cfg.minSamplesLeaf,
      bootstrap: cfg.bootstrap,
      seed: params.seed,
      criterion: cfg.criterion,
    },
  };
  return { task: params.task, nFeatures: d, nClasses, treeStart, feature, value, proba, importances, info };
}
