/**
 * The `mljs` engine: ml-random-forest (the design card's library) behind the common Engine interface, kept for
 * compatibility; the default engine is `forest`.
 *
 * What it honours, and how (ml-random-forest 2.1.0 + ml-cart 2.1.1):
 *  - n_estimators, seed, bootstrap (useSampleBagging) as is; max_depth (none = unlimited);
 *  - min_samples_split → ml-cart's minNumSamples = min_samples_split − 1 (ml-cart makes a node with
 *    ≤ minNumSamples rows a leaf);
 *  - min_samples_leaf: not supported by ml-cart (ignored; recorded in the run's notes);
 *  - max_features: sampled once per tree, not at each split (its open issue #18), as a share of the features.
 * Its predictProbability() has a reduce-without-initial-value bug, so probabilities are computed here from the
 * per-tree votes; its featureImportance() is lost after load(), so runs use permutation importance instead.
 * Training runs in a worker thread (it is synchronous and slow: ~7 s for 100 trees of depth 10 on 1,000 rows).
 */
import { RandomForestClassifier, RandomForestRegression } from 'ml-random-forest';
import type { JobHandler } from '../../worker/jobs';
import { WorkerPool } from '../../worker/pool';
import { Engine, ForestModel, ForestParams, Matrix, resolveMaxFeatures, Task, TrainControl } from '../engine';
import { AbortError } from '../../util/errors';

const VERSION = '2.1.0';
const MAGIC = 'mlops-mljs-v1';

interface TrainPayload {
  columns: Float64Array[];
  y: Float64Array;
  params: ForestParams;
}

function rowsOf(x: Matrix): number[][] {
  const out: number[][] = new Array(x.rows);
  for (let i = 0; i < x.rows; i++) {
    const r = new Array<number>(x.columns.length);
    for (let j = 0; j < x.columns.length; j++) r[j] = x.columns[j][i];
    out[i] = r;
  }
  return out;
}

function mljsOptions(p: ForestParams, d: number) {
  return {
    nEstimators: p.nEstimators,
    maxFeatures: resolveMaxFeatures(p.maxFeatures, d) / d,
    replacement: false,
    seed: p.seed,
    useSampleBagging: p.bootstrap,
    noOOB: true,
    treeOptions: {
      maxDepth: p.maxDepth === null ? Infinity : p.maxDepth,
      minNumSamples: Math.max(1, p.minSamplesSplit - 1),
    },
  };
}

export const MLJS_TRAIN_JOB = 'mljs:train';

/** Worker side (in the job table of src/worker.ts): train and return the model as JSON. */
export const mljsTrainJob: JobHandler = (payload) => {
  const { columns, y, params } = payload as TrainPayload;
  const x = rowsOf({ rows: y.length, columns });
  const opts = mljsOptions(params, columns.length);
  const model = params.task === 'regression' ? new RandomForestRegression(opts as never) : new RandomForestClassifier(opts as never);
  model.train(x, Array.from(y));
  return { result: JSON.stringify({ magic: MAGIC, task: params.task, nFeatures: columns.length, nClasses: params.nClasses ?? 0, model: model.toJSON() }) };
};

class MljsModel implements ForestModel {
  readonly engine = 'mljs' as const;
  readonly engineVersion = VERSION;
  private readonly rf: RandomForestRegression | RandomForestClassifier;

  constructor(
    private readonly json: string,
    readonly task: Task,
    readonly nFeatures: number,
    readonly nClasses: number,
    model: unknown,
  ) {
    this.rf = task === 'regression' ? RandomForestRegression.load(model as never) : RandomForestClassifier.load(model as never);
  }

  predict(x: Matrix): Float64Array {
    return Float64Array.from(this.rf.predict(rowsOf(x)));
  }

  predictProba(x: Matrix): Float64Array {
    if (this.task !== 'classification') throw new Error('predictProba is for classification models');
    const votes = (this.rf as RandomForestClassifier).predictionValues(rowsOf(x)) as unknown as { rows: number; columns: number; get(i: number, j: number): number };
    const k = this.nClasses;
    const out = new Float64Array(x.rows * k);
    for (let i = 0; i < votes.rows; i++) {
      for (let t = 0; t < votes.columns; t++) out[i * k + votes.get(i, t)] += 1 / votes.columns;
    }
    return out;
  }

  featureImportances(): undefined {
    return undefined; // unreliable (NaN after load); permutation importance is used instead
  }

  serialize(): Uint8Array {
    return new TextEncoder().encode(this.json);
  }
}

let pool: WorkerPool | undefined;

export const mljsEngine: Engine = {
  name: 'mljs',
  version: VERSION,
  notes: 'ml-random-forest 2.1.0: max_features is sampled once per tree (not per split); min_samples_leaf is not supported; min_samples_split maps to ml-cart minNumSamples = min_samples_split − 1; no per-tree progress.',
  async train(x: Matrix, y: Float64Array, params: ForestParams, control: TrainControl = {}): Promise<ForestModel> {
    if (control.signal?.aborted) throw new AbortError();
    pool ??= new WorkerPool(2);
    control.onProgress?.({ treesDone: 0, treesTotal: params.nEstimators });
    const columns = x.columns.map((c) => c.slice());
    const yy = y.slice();
    const json = await pool.run<string>(MLJS_TRAIN_JOB, { columns, y: yy, params }, { transfer: [...columns.map((c) => c.buffer), yy.buffer], signal: control.signal });
    control.onProgress?.({ treesDone: params.nEstimators, treesTotal: params.nEstimators });
    return mljsEngine.deserialize(new TextEncoder().encode(json));
  },
  deserialize(bytes: Uint8Array): ForestModel {
    const text = new TextDecoder().decode(bytes);
    const o = JSON.parse(text) as { magic?: string; task: Task; nFeatures: number; nClasses: number; model: unknown };
    if (o.magic !== MAGIC) throw new Error('not an mljs model artifact');
    return new MljsModel(text, o.task, o.nFeatures, o.nClasses, o.model);
  },
};
