/**
 * The contract between training and a random-forest engine. Two engines implement it:
 *  - `forest` (default): our own engine on typed arrays, trees built in parallel worker threads
 *    (src/core/training/forest/);
 *  - `mljs`: ml-random-forest, the design card's library, kept for compatibility (src/core/training/mljs/).
 * Both train, predict, report feature importance and serialize through this same interface.
 */

export type Task = 'regression' | 'classification';

/** `max_features` as the seed (scikit-learn) names it. */
export type MaxFeatures = 'sqrt' | 'log2' | 'all' | { fraction: number } | { count: number };

export interface ForestParams {
  task: Task;
  nEstimators: number;
  /** null = grow until leaves are pure or too small. */
  maxDepth: number | null;
  maxFeatures: MaxFeatures;
  minSamplesSplit: number;
  minSamplesLeaf: number;
  bootstrap: boolean;
  seed: number;
  /** 'mse' for regression; 'gini' (default) or 'entropy' for classification. */
  criterion?: 'mse' | 'gini' | 'entropy';
  /** Classification: number of classes; labels are 0..nClasses-1. */
  nClasses?: number;
  /** Worker threads for building trees (default: all cores). Results never depend on it. */
  workers?: number;
}

/** A feature matrix in column-major order: columns[j][i] is feature j of row i. */
export interface Matrix {
  rows: number;
  columns: Float64Array[];
}

export interface TrainProgress {
  treesDone: number;
  treesTotal: number;
}

export interface TrainControl {
  onProgress?: (p: TrainProgress) => void;
  /** Checked between trees; when aborted, train() rejects with an AbortError. */
  signal?: AbortSignal;
}

export interface ForestModel {
  readonly engine: EngineName;
  readonly engineVersion: string;
  readonly task: Task;
  readonly nFeatures: number;
  readonly nClasses: number;
  /** Regression: the prediction; classification: the predicted class index. */
  predict(x: Matrix): Float64Array;
  /** Classification only: row-major n × nClasses probabilities (each row sums to 1). */
  predictProba(x: Matrix): Float64Array;
  /** Impurity-based importance per feature (sums to 1), or undefined when the engine has none that is reliable. */
  featureImportances(): Float64Array | undefined;
  /** A self-describing, versioned binary artifact. */
  serialize(): Uint8Array;
}

export type EngineName = 'forest' | 'mljs';

export interface Engine {
  readonly name: EngineName;
  readonly version: string;
  /** Which of ForestParams this engine honours, and how (shown to users and logged with runs). */
  readonly notes: string;
  train(x: Matrix, y: Float64Array, params: ForestParams, control?: TrainControl): Promise<ForestModel>;
  deserialize(bytes: Uint8Array): ForestModel;
}

/** Resolve max_features to a count for d features (at least 1). */
export function resolveMaxFeatures(m: MaxFeatures, d: number): number {
  let k: number;
  if (m === 'all') k = d;
  else if (m === 'sqrt') k = Math.floor(Math.sqrt(d));
  else if (m === 'log2') k = Math.floor(Math.log2(d));
  else if ('fraction' in m) k = Math.floor(m.fraction * d);
  else k = m.count;
  return Math.max(1, Math.min(d, k));
}
