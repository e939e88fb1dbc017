/**
 * A trained forest in flat typed arrays, trees one after another, each in breadth-first order (the k-th internal
 * node of a tree has its children at tree offset 2k+1 and 2k+2; `left` is derived on load for fast traversal).
 * Thresholds and leaf values are float32-exact (a rare threshold that has no float32 between the two training
 * values it separates is kept as float64), so the model predicts from exactly what serialize() stores:
 * predictions before and after a save/load round trip are bit-identical.
 */
import type { ForestModel, Matrix, Task } from '../engine';
import { decodeModel, encodeModel } from './format';

/** 1.1.0: exact presorted split search (1.0.0 used quantile-binned histograms): same seed, different trees. */
export const ENGINE_VERSION = '1.1.0';

export interface ForestArrays {
  task: Task;
  nFeatures: number;
  /** 0 for regression. */
  nClasses: number;
  /** nTrees + 1 offsets into the node arrays. */
  treeStart: Int32Array;
  /** Split feature, −1 for a leaf. */
  feature: Int32Array;
  /** Threshold of a split; prediction of a regression leaf; 0 for a classification leaf. */
  value: Float64Array;
  /** Classification: per leaf (all trees, breadth-first order) the class distribution; empty for regression. */
  proba: Float32Array;
  /** Mean of the per-tree normalized impurity decreases, normalized to sum 1 (all 0 when no tree split). */
  importances: Float64Array;
  /** Provenance written into the artifact's header (hyperparameters, training rows, ...). */
  info: Record<string, unknown>;
}

/**
 * Prediction walks one tree at a time over a chunk of rows copied to row-major order (a tree's nodes stay in
 * cache while the rows stream past; a row's features share cache lines). The descent has no data-dependent
 * branch: child = left + (x > threshold), and a leaf is a node that points to itself (threshold +∞), so eight
 * rows descend together and their independent memory loads overlap; the loop ends when none of the eight moved.
 * Measured on 100,000 rows × 100 trees of depth 10: ~1.3 s with `x <= t ? left : right` one row at a time
 * (~50 % branch mispredictions), ~0.45 s branch-free, ~0.3 s with eight rows in flight.
 */
const CHUNK = 65_536;
const LANES = 8;

export class RandomForestModel implements ForestModel {
  readonly engine = 'forest' as const;
  readonly engineVersion = ENGINE_VERSION;
  readonly task: Task;
  readonly nFeatures: number;
  readonly nClasses: number;
  readonly nTrees: number;
  // Traversal arrays (derived on load): split feature (0 at a leaf), threshold (+∞ at a leaf), left child (the
  // node itself at a leaf; the right child is left + 1).
  private readonly tf: Int32Array;
  private readonly tt: Float64Array;
  private readonly tl: Int32Array;
  /** At a leaf: the prediction (regression) or the offset of its distribution in proba (classification). */
  private readonly leafValue: Float64Array;

  constructor(readonly arrays: ForestArrays) {
    this.task = arrays.task;
    this.nFeatures = arrays.nFeatures;
    this.nClasses = arrays.nClasses;
    this.nTrees = arrays.treeStart.length - 1;
    const { feature, value, treeStart } = arrays;
    const C = arrays.nClasses;
    const N = feature.length;
    this.tf = new Int32Array(N);
    this.tt = new Float64Array(N);
    this.tl = new Int32Array(N);
    this.leafValue = new Float64Array(N);
    let leaf = 0;
    for (let t = 0; t < this.nTrees; t++) {
      const o = treeStart[t];
      let rank = 0;
      for (let i = o; i < treeStart[t + 1]; i++) {
        if (feature[i] >= 0) {
          this.tf[i] = feature[i];
          this.tt[i] = value[i];
          this.tl[i] = o + 2 * rank++ + 1;
        } else {
          this.tt[i] = Infinity;
          this.tl[i] = i;
          this.leafValue[i] = C ? C * leaf++ : value[i];
        }
      }
    }
  }

  get nodeCount(): number {
    return this.arrays.feature.length;
  }

  /** Split nodes send a row left when x <= threshold, right otherwise (NaN is rejected). */
  private check(x: Matrix): void {
    if (x.columns.length !== this.nFeatures) throw new Error(`expected ${this.nFeatures} feature columns, got ${x.columns.length}`);
    for (const c of x.columns) if (c.length < x.rows) throw new Error(`a feature column has ${c.length} values for ${x.rows} rows`);
  }

  /** Calls visit(chunkStart, rows, leaves) for each chunk of rows and each tree, with the leaf of every row. */
  private walk(x: Matrix, visit: (r0: number, m: number, leaves: Int32Array) => void): void {
    this.check(x);
    const n = x.rows;
    const d = this.nFeatures;
    const { tf, tt, tl } = this;
    const { treeStart } = this.arrays;
    const xr = new Float64Array(Math.min(n, CHUNK) * d);
    const leaves = new Int32Array(Math.min(n, CHUNK));
    for (let r0 = 0; r0 < n; r0 += CHUNK) {
      const m = Math.min(CHUNK, n - r0);
      rowMajor(x, r0, m, xr);
      for (let t = 0; t < this.nTrees; t++) {
        descendTree(tf, tt, tl, xr, d, treeStart[t], m, leaves);
        visit(r0, m, leaves);
      }
    }
  }

  predict(x: Matrix): Float64Array {
    const n = x.rows;
    if (this.task === 'classification') {
      const C = this.nClasses;
      const p = this.predictProba(x);
      const out = new Float64Array(n);
      for (let r = 0; r < n; r++) {
        let best = 0;
        for (let c = 1; c < C; c++) if (p[r * C + c] > p[r * C + best]) best = c;
        out[r] = best;
      }
      return out;
    }
    const out = new Float64Array(n);
    const lv = this.leafValue;
    // Per row, the trees are summed in tree order, so a prediction never depends on chunking.
    this.walk(x, (r0, m, leaves) => {
      for (let r = 0; r < m; r++) out[r0 + r] += lv[leaves[r]];
    });
    const T = this.nTrees;
    for (let r = 0; r < n; r++) out[r] /= T;
    return out;
  }

  predictProba(x: Matrix): Float64Array {
    if (this.task !== 'classification') throw new Error('predictProba is for classification models');
    const n = x.rows;
    const C = this.nClasses;
    const proba = this.arrays.proba;
    const lv = this.leafValue;
    const out = new Float64Array(n * C);
    this.walk(x, (r0, m, leaves) => {
      for (let r = 0; r < m; r++) {
        const p = lv[leaves[r]];
        const q = (r0 + r) * C;
        for (let c = 0; c < C; c++) out[q + c] += proba[p + c];
      }
    });
    // Mean over trees, rescaled so that each row sums to 1 up to rounding (leaf distributions are float32).
    for (let r = 0; r < n; r++) {
      const q = r * C;
      let s = 0;
      for (let c = 0; c < C; c++) s += out[q + c];
      for (let c = 0; c < C; c++) out[q + c] /= s;
    }
    return out;
  }

  featureImportances(): Float64Array | undefined {
    return this.arrays.importances.length ? this.arrays.importances.slice() : undefined;
  }

  serialize(): Uint8Array {
    return encodeModel(this.arrays);
  }

  static deserialize(bytes: Uint8Array): RandomForestModel {
    return new RandomForestModel(decodeModel(bytes));
  }
}

/**
 * The leaf of each of the m rows of xr (row-major, d values a row) in the tree rooted at node `root`, into leaves.
 * The eight-row descent is a function of its own: called thousands of times per prediction, V8 compiles it early
 * and quickly; inside one long loop it ran unoptimized for about two thirds of a first 10,000-row prediction (its
 * compilation waits for the loop to run long enough, then takes a while for a big function).
 */
function descendTree(tf: Int32Array, tt: Float64Array, tl: Int32Array, xr: Float64Array, d: number, root: number, m: number, leaves: Int32Array): void {
  const mLanes = m - (m % LANES);
  for (let r = 0; r < mLanes; r += LANES) descend8(tf, tt, tl, xr, d, root, r, leaves);
  for (let r = mLanes; r < m; r++) {
    const o = r * d;
    let i = root;
    for (;;) {
      const j = tl[i] + (gt(xr[o + tf[i]], tt[i]) | 0);
      if (j === i) break;
      i = j;
    }
    leaves[r] = i;
  }
}

/** Rows r..r+7 descend together (see the class comment). */
function descend8(tf: Int32Array, tt: Float64Array, tl: Int32Array, xr: Float64Array, d: number, root: number, r: number, leaves: Int32Array): void {
  const o0 = r * d;
  const o1 = o0 + d;
  const o2 = o1 + d;
  const o3 = o2 + d;
  const o4 = o3 + d;
  const o5 = o4 + d;
  const o6 = o5 + d;
  const o7 = o6 + d;
  let i0 = root;
  let i1 = root;
  let i2 = root;
  let i3 = root;
  let i4 = root;
  let i5 = root;
  let i6 = root;
  let i7 = root;
  for (;;) {
    const j0 = tl[i0] + (gt(xr[o0 + tf[i0]], tt[i0]) | 0);
    const j1 = tl[i1] + (gt(xr[o1 + tf[i1]], tt[i1]) | 0);
    const j2 = tl[i2] + (gt(xr[o2 + tf[i2]], tt[i2]) | 0);
    const j3 = tl[i3] + (gt(xr[o3 + tf[i3]], tt[i3]) | 0);
    const j4 = tl[i4] + (gt(xr[o4 + tf[i4]], tt[i4]) | 0);
    const j5 = tl[i5] + (gt(xr[o5 + tf[i5]], tt[i5]) | 0);
    const j6 = tl[i6] + (gt(xr[o6 + tf[i6]], tt[i6]) | 0);
    const j7 = tl[i7] + (gt(xr[o7 + tf[i7]], tt[i7]) | 0);
    if (j0 === i0 && j1 === i1 && j2 === i2 && j3 === i3 && j4 === i4 && j5 === i5 && j6 === i6 && j7 === i7) break;
    i0 = j0;
    i1 = j1;
    i2 = j2;
    i3 = j3;
    i4 = j4;
    i5 = j5;
    i6 = j6;
    i7 = j7;
  }
  leaves[r] = i0;
  leaves[r + 1] = i1;
  leaves[r + 2] = i2;
  leaves[r + 3] = i3;
  leaves[r + 4] = i4;
  leaves[r + 5] = i5;
  leaves[r + 6] = i6;
  leaves[r + 7] = i7;
}

/** a > b as a number-compatible boolean, for branch-free `left + (x > t)` (TypeScript will not add a boolean). */
function gt(a: number, b: number): number {
  return (a > b) as unknown as number;
}

/** Rows [r0, r0 + m) of x into xr, row-major; rejects NaN (it has no side of a threshold). */
function rowMajor(x: Matrix, r0: number, m: number, xr: Float64Array): void {
  const d = x.columns.length;
  for (let f = 0; f < d; f++) {
    const c = x.columns[f];
    for (let r = 0; r < m; r++) {
      const v = c[r0 + r];
      if (v !== v) throw new Error(`feature ${f} of row ${r0 + r} is NaN`);
      xr[r * d + f] = v;
    }
  }
}
