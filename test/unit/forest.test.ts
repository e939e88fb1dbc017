/**
 * The `forest` engine: thresholds, binning, split search on hand-checked data, hyperparameters, determinism across worker
 * counts, the model artifact, classification probabilities, importances, cancellation.
 * (Accuracy parity with scikit-learn: forest-parity.test.ts.)
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { type ForestParams, type Matrix, resolveMaxFeatures } from '../../src/core/training/engine';
import { computeBins, MAX_BINS } from '../../src/core/training/forest/binning';
import { thresholdBetween } from '../../src/core/training/forest/threshold';
import { decodeModel } from '../../src/core/training/forest/format';
import { disposeForestWorkers, forestEngine, RandomForestModel } from '../../src/core/training/forest';
import { prepareFeatures, mergeBins, type SharedTreeData, treeData } from '../../src/core/training/forest/build';
import { treeConfig } from '../../src/core/training/forest/forest';
import { type BuiltTree, LIST_ROWS, LISTS_ONLY_MAX, sortedOrder, TreeBuilder } from '../../src/core/training/forest/tree';
import { TreeRng } from '../../src/core/training/forest/treeRng';
import { Rng } from '../../src/core/util/random';
import { synthetic } from '../bench/forestBench';
import { AbortError } from '../../src/core/util/errors';

after(() => disposeForestWorkers());

function matrix(...columns: number[][]): Matrix {
  return { rows: columns[0].length, columns: columns.map((c) => Float64Array.from(c)) };
}

function params(p: Partial<ForestParams> = {}): ForestParams {
  return { task: 'regression', nEstimators: 1, maxDepth: null, maxFeatures: 'all', minSamplesSplit: 2, minSamplesLeaf: 1, bootstrap: false, seed: 1, workers: 0, ...p };
}

async function train(x: Matrix, y: number[], p: Partial<ForestParams> = {}): Promise<RandomForestModel> {
  return (await forestEngine.train(x, Float64Array.from(y), params(p))) as RandomForestModel;
}

/** Depth of each tree (root = 0) from the breadth-first layout. */
function depths(m: RandomForestModel): number[] {
  const { feature, treeStart } = m.arrays;
  const out: number[] = [];
  for (let t = 0; t < m.nTrees; t++) {
    const o = treeStart[t];
    const depth = new Int32Array(treeStart[t + 1] - o);
    let rank = 0;
    let max = 0;
    for (let i = 0; i < depth.length; i++) {
      max = Math.max(max, depth[i]);
      if (feature[o + i] >= 0) {
        depth[2 * rank + 1] = depth[2 * rank + 2] = depth[i] + 1;
        rank++;
      }
    }
    out.push(max);
  }
  return out;
}

/** Index of each split node's left child (its right child follows), from the breadth-first layout. */
function leftChildren(m: RandomForestModel): Int32Array {
  const { feature, treeStart } = m.arrays;
  const left = new Int32Array(feature.length).fill(-1);
  for (let t = 0; t < m.nTrees; t++) {
    let rank = 0;
    for (let i = treeStart[t]; i < treeStart[t + 1]; i++) if (feature[i] >= 0) left[i] = treeStart[t] + 2 * rank++ + 1;
  }
  return left;
}

/** Brute-force best root split (MSE) of each feature: its score and the values left and right of the cut. */
function bruteForceSplits(x: Matrix, y: Float64Array, minLeaf = 1): { proxy: number; lo: number; hi: number }[] {
  const n = x.rows;
  let total = 0;
  for (let i = 0; i < n; i++) total += y[i];
  return x.columns.map((col) => {
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => col[a] - col[b]);
    const best = { proxy: -Infinity, lo: 0, hi: 0 };
    let sL = 0;
    for (let p = 0; p < n - 1; p++) {
      sL += y[order[p]];
      if (col[order[p + 1]] <= col[order[p]] || p + 1 < minLeaf || n - p - 1 < minLeaf) continue;
      const nL = p + 1;
      const proxy = (sL * sL) / nL + ((total - sL) * (total - sL)) / (n - nL);
      if (proxy > best.proxy + 1e-9) Object.assign(best, { proxy, lo: col[order[p]], hi: col[order[p + 1]] });
    }
    return best;
  });
}

/** Brute-force best root split (MSE), as scikit-learn finds it: [feature, value left of the cut, value right of it]. */
function bruteForceRoot(x: Matrix, y: Float64Array, minLeaf = 1): [number, number, number] {
  const splits = bruteForceSplits(x, y, minLeaf);
  let f = 0;
  splits.forEach((sp, g) => {
    if (sp.proxy > splits[f].proxy + 1e-9) f = g;
  });
  return [f, splits[f].lo, splits[f].hi];
}

/** The root's split is one of the best (two features may cut the rows alike), its threshold inside that cut's gap. */
function assertBestRoot(x: Matrix, y: Float64Array, feature: number, threshold: number, label: string): void {
  const splits = bruteForceSplits(x, y);
  const best = Math.max(...splits.map((sp) => sp.proxy));
  assert.ok(splits[feature].proxy >= best - 1e-9 * Math.abs(best), `${label}: feature ${feature} scores ${splits[feature].proxy}, best ${best}`);
  assert.ok(threshold >= splits[feature].lo && threshold < splits[feature].hi, `${label}: ${splits[feature].lo} ≤ ${threshold} < ${splits[feature].hi}`);
}

/** The forest's shared data for a matrix, binned and sorted as trainForest does. */
function sharedData(x: Matrix, y: Float64Array): SharedTreeData {
  const n = x.rows;
  const d = x.columns.length;
  const xs = new SharedArrayBuffer(n * d * 8);
  x.columns.forEach((c, f) => new Float64Array(xs).set(c, f * n));
  const codes = new SharedArrayBuffer(n * d);
  const order = new SharedArrayBuffer(n * d * 4);
  const ys = new SharedArrayBuffer(n * 8);
  new Float64Array(ys).set(y);
  const bins = mergeBins(d, [prepareFeatures({ n, d, x: xs, codes, order, features: Array.from({ length: d }, (_, f) => f), bin: true })]);
  return { n, d, x: xs, codes, order, y: ys, ...bins };
}

/** Predict with one built tree (breadth-first layout). */
function predictTree(t: BuiltTree, x: Matrix, row: number): number {
  const left = new Int32Array(t.feature.length);
  let rank = 0;
  for (let i = 0; i < t.feature.length; i++) if (t.feature[i] >= 0) left[i] = 2 * rank++ + 1;
  let i = 0;
  while (t.feature[i] >= 0) i = x.columns[t.feature[i]][row] <= t.value[i] ? left[i] : left[i] + 1;
  return t.value[i];
}

describe('thresholds, binning and random numbers', () => {
  it('thresholdBetween lies in [lo, hi) and is a float32 when one fits', () => {
    const rng = new Rng(3);
    for (let k = 0; k < 2000; k++) {
      const lo = (rng.next() - 0.5) * 10 ** rng.int(-5, 6);
      const hi = lo + Math.abs(lo) * 10 ** -rng.int(1, 12) + Number.MIN_VALUE;
      const t = thresholdBetween(lo, hi);
      assert.ok(t >= lo && t < hi, `${lo} ≤ ${t} < ${hi}`);
      if (hi - lo > Math.abs(lo) * 1e-6) assert.equal(Math.fround(t), t);
    }
    assert.equal(thresholdBetween(1, 2), 1.5);
    assert.equal(thresholdBetween(-2, -1), -1.5);
    // no float32 between two float64 neighbours: float64 midpoint (as scikit-learn)
    const t = thresholdBetween(1, 1 + 2 ** -40);
    assert.ok(t >= 1 && t < 1 + 2 ** -40);
  });

  it('sorts each feature once: its rows in value order, the same whatever the rest of the matrix', () => {
    const rng = new Rng(5);
    const n = 5000;
    const x = Float64Array.from({ length: 2 * n }, (_, i) => (i < n ? rng.normal() : rng.int(0, 20)));
    const order = new Int32Array(2 * n);
    const vals = new Float64Array(n);
    for (const f of [1, 0]) sortedOrder(x, n, f, order, vals);
    for (const f of [0, 1]) {
      const rows = order.subarray(f * n, (f + 1) * n);
      assert.deepEqual([...rows].sort((a, b) => a - b), Array.from({ length: n }, (_, i) => i));
      for (let k = 1; k < n; k++) assert.ok(x[f * n + rows[k - 1]] <= x[f * n + rows[k]]);
    }
    const alone = new Int32Array(n);
    sortedOrder(x.slice(n), n, 0, alone, vals);
    assert.deepEqual(alone, order.subarray(n));
    assert.throws(() => sortedOrder(Float64Array.from([1, NaN]), 2, 0, new Int32Array(2), new Float64Array(2)), /feature 0, row 1: NaN is not a finite number/);
  });

  it("draws each tree's random numbers as Rng.derive(seed, tree) does (TreeRng)", () => {
    for (const [seed, key] of [[0, 0], [42, 7], [4294967295, 99], [123456, 0]]) {
      const a = Rng.derive(seed, key);
      const b = new TreeRng(seed, key);
      for (let k = 0; k < 200; k++) assert.equal(b.nextUint32(), a.nextUint32());
      for (const [lo, hi] of [[0, 1], [0, 7], [3, 10], [0, 8000], [0, 2 ** 31], [5, 2 ** 20 + 3]]) {
        for (let k = 0; k < 50; k++) assert.equal(b.int(lo, hi), a.int(lo, hi), `int(${lo}, ${hi})`);
      }
    }
  });

  it('gives each value its own bin when there are ≤ 256 distinct values, and codes agree with the edges', () => {
    const col = Float64Array.from([5, 1, 3, 3, 1, 9, -2]);
    const codes = new Uint8Array(col.length);
    const b = computeBins([col], col.length, codes);
    assert.equal(b.nBins[0], 5);
    assert.deepEqual([...codes], [3, 1, 2, 2, 1, 4, 0]);
    assert.deepEqual([...b.edges.subarray(0, 4)], [-0.5, 2, 4, 7]);
    assert.deepEqual([...b.single.subarray(0, 5)], [1, 1, 1, 1, 1]);
  });

  it('makes ≤ 256 quantile bins of about equal size, edges strictly between the values they separate', () => {
    const rng = new Rng(5);
    const n = 10_000;
    const col = Float64Array.from({ length: n }, () => rng.normal());
    const codes = new Uint8Array(n);
    const b = computeBins([col], n, codes);
    assert.equal(b.nBins[0], MAX_BINS);
    const counts = new Array<number>(MAX_BINS).fill(0);
    for (let i = 0; i < n; i++) {
      const c = codes[i];
      counts[c]++;
      if (c > 0) assert.ok(col[i] > b.edges[c - 1]);
      if (c < MAX_BINS - 1) assert.ok(col[i] <= b.edges[c]);
    }
    assert.ok(Math.min(...counts) >= 30 && Math.max(...counts) <= 50, `bin sizes ${Math.min(...counts)}..${Math.max(...counts)}`);
  });

  it('rejects non-finite values', () => {
    assert.throws(() => computeBins([Float64Array.from([1, NaN])], 2, new Uint8Array(2)), /not a finite number/);
  });
});

describe('splits on hand-checked data', () => {
  it('regression: one split at the midpoint, leaf means', async () => {
    const m = await train(matrix([1, 2, 3, 4, 5, 6]), [1, 1, 1, 5, 5, 5]);
    assert.deepEqual([...m.arrays.feature], [0, -1, -1]);
    assert.deepEqual([...m.arrays.value], [3.5, 1, 5]);
    assert.deepEqual([...m.predict(matrix([3.4, 3.5, 3.6, -100, 100]))], [1, 1, 5, 1, 5]);
  });

  it('regression: picks the variance-minimizing cut, not the middle one', async () => {
    // y = 0,0,0,0,10,12: best cut is between x=4 and x=5 (SSE 2), then 10 | 12.
    const m = await train(matrix([1, 2, 3, 4, 5, 6]), [0, 0, 0, 0, 10, 12]);
    assert.equal(m.arrays.value[0], 4.5);
    assert.deepEqual([...m.predict(matrix([1, 4.4, 5, 6]))], [0, 0, 10, 12]);
  });

  it('ignores a constant feature and splits on the informative one', async () => {
    const m = await train(matrix([7, 7, 7, 7], [0.1, 0.2, 0.8, 0.9]), [0, 0, 1, 1], { maxDepth: 1 });
    assert.equal(m.arrays.feature[0], 1);
    assert.equal(m.arrays.value[0], Math.fround(0.5));
  });

  it('classification (gini): threshold, pure leaves, probabilities', async () => {
    const m = await train(matrix([1, 2, 3, 4, 5]), [0, 0, 1, 1, 2], { task: 'classification', criterion: 'gini' });
    const p = m.predictProba(matrix([1.5, 3.5, 5]));
    assert.deepEqual([...p], [1, 0, 0, 0, 1, 0, 0, 0, 1]);
    assert.deepEqual([...m.predict(matrix([0, 2.4, 2.6, 4.6]))], [0, 0, 1, 2]);
    assert.equal(m.nClasses, 3);
  });

  it('classification (entropy) and mixed leaves give class frequencies', async () => {
    const m = await train(matrix([1, 1, 1, 1, 2, 2]), [0, 0, 0, 1, 1, 1], { task: 'classification', criterion: 'entropy' });
    assert.deepEqual([...m.predictProba(matrix([1, 2]))], [0.75, 0.25, 0, 1]);
  });

  it('finds the exact best root split on presorted lists (continuous and many-tied features)', async () => {
    const rng = new Rng(11);
    for (const n of [20, 48, LIST_ROWS, LIST_ROWS + 1, 600, 3000]) {
      for (let rep = 0; rep < 5; rep++) {
        const cols = Array.from({ length: 4 }, (_, j) => Array.from({ length: n }, () => (j % 2 ? rng.int(0, 200) / 7 : rng.next())));
        const y = Float64Array.from(cols[0], (v, i) => Math.sin(v) * 3 + cols[2][i] + rng.normal());
        const m = await train(matrix(...cols), [...y], { maxDepth: 1 });
        assertBestRoot(matrix(...cols), y, m.arrays.feature[0], m.arrays.value[0], `n=${n}`);
      }
    }
  });

  it('histogram levels (large data): the best root split, exact on ≤ 256-valued features', () => {
    const rng = new Rng(12);
    for (const n of [LIST_ROWS + 1, 600, 3000]) {
      for (let rep = 0; rep < 5; rep++) {
        const cols = Array.from({ length: 4 }, () => Array.from({ length: n }, () => rng.int(0, 200) / 7));
        const y = Float64Array.from(cols[0], (v, i) => Math.sin(v) * 3 + cols[2][i] + rng.normal());
        const x = matrix(...cols);
        const cfg = treeConfig(params({ maxDepth: 1 }), n, 4, 0);
        // listsOnlyMax 0: histogram levels whatever the size (by default only above LISTS_ONLY_MAX values)
        const tree = new TreeBuilder(treeData(sharedData(x, y)), cfg, 0).build(0);
        assertBestRoot(x, y, tree.feature[0], tree.value[0], `n=${n}`);
      }
    }
  });

  it('histogram levels above LISTS_ONLY_MAX: as accurate as lists from the root', () => {
    const train = synthetic(3000, 6, 31);
    const test = synthetic(2000, 6, 32);
    const data = treeData(sharedData(train.x, train.y));
    const cfg = treeConfig(params({ maxDepth: 8, bootstrap: true }), 3000, 6, 0);
    const rmse = (listsOnlyMax: number) => {
      const b = new TreeBuilder(data, cfg, listsOnlyMax);
      const trees = Array.from({ length: 8 }, (_, t) => b.build(t));
      let se = 0;
      for (let r = 0; r < test.x.rows; r++) se += (trees.reduce((s, t) => s + predictTree(t, test.x, r), 0) / trees.length - test.y[r]) ** 2;
      return Math.sqrt(se / test.x.rows);
    };
    assert.ok(3000 * 6 <= LISTS_ONLY_MAX);
    const lists = rmse(LISTS_ONLY_MAX);
    const hist = rmse(0);
    assert.ok(Math.abs(hist / lists - 1) < 0.03, `RMSE with histogram levels ${hist}, lists only ${lists}`);
  });

  it('min_samples_leaf keeps at least that many rows on each side', async () => {
    // The best unrestricted cut isolates the outlier at x=6.
    const x = matrix([1, 2, 3, 4, 5, 6]);
    const y = [0, 0, 0, 0, 0, 100];
    const free = await train(x, y, { maxDepth: 1 });
    assert.equal(free.arrays.value[0], 5.5);
    const m = await train(x, y, { maxDepth: 1, minSamplesLeaf: 2 });
    assert.equal(m.arrays.value[0], 4.5);
    const [f, lo, hi] = bruteForceRoot(x, Float64Array.from(y), 2);
    assert.deepEqual([f, lo, hi], [0, 4, 5]);
  });

  it('min_samples_split and max_depth stop growth', async () => {
    const x = matrix([1, 2, 3, 4, 5, 6, 7, 8]);
    const y = [1, 2, 3, 4, 5, 6, 7, 8];
    assert.equal((await train(x, y)).arrays.feature.length, 15); // fully grown: 8 leaves
    assert.equal((await train(x, y, { minSamplesSplit: 9 })).arrays.feature.length, 1);
    assert.equal((await train(x, y, { minSamplesSplit: 5 })).arrays.feature.length, 3); // 4 | 4, each < 5
    const big = synthetic(2000, 3, 4);
    const m = (await forestEngine.train(big.x, big.y, params({ nEstimators: 4, maxDepth: 4, bootstrap: true }))) as RandomForestModel;
    assert.deepEqual(depths(m), [4, 4, 4, 4]);
  });

  it('counts distinct rows, not bootstrap multiplicity, for min_samples_leaf (as scikit-learn)', async () => {
    // Tree t's bootstrap comes from Rng.derive(seed, t): n draws of a row index. Every leaf must hold at least
    // min_samples_leaf distinct in-bag rows (with multiplicity, 3 copies of one row would do).
    const n = 300;
    const d = synthetic(n, 2, 8);
    const m = (await forestEngine.train(d.x, d.y, params({ nEstimators: 1, bootstrap: true, minSamplesLeaf: 3, seed: 4 }))) as RandomForestModel;
    const rng = Rng.derive(4, 0);
    const counts = new Int32Array(n);
    for (let k = 0; k < n; k++) counts[rng.int(0, n)]++;
    const { feature, value } = m.arrays;
    const left = leftChildren(m);
    const distinct = new Map<number, number>();
    let weightSum = 0;
    for (let r = 0; r < n; r++) {
      if (!counts[r]) continue;
      let i = 0;
      while (feature[i] >= 0) i = d.x.columns[feature[i]][r] <= value[i] ? left[i] : left[i] + 1;
      distinct.set(i, (distinct.get(i) ?? 0) + 1);
      weightSum += counts[r];
    }
    assert.equal(weightSum, n);
    assert.ok(Math.min(...distinct.values()) >= 3, `smallest leaf: ${Math.min(...distinct.values())} distinct rows`);
    assert.ok(distinct.size > 20);
  });
});

describe('max_features', () => {
  it('resolves names, fractions and counts like scikit-learn', () => {
    assert.equal(resolveMaxFeatures('sqrt', 20), 4);
    assert.equal(resolveMaxFeatures('log2', 20), 4);
    assert.equal(resolveMaxFeatures('all', 20), 20);
    assert.equal(resolveMaxFeatures({ fraction: 0.3 }, 20), 6);
    assert.equal(resolveMaxFeatures({ count: 7 }, 20), 7);
    assert.equal(resolveMaxFeatures({ count: 70 }, 20), 20);
    assert.equal(resolveMaxFeatures({ fraction: 0.01 }, 20), 1);
  });

  it('all features: every root splits on the dominant feature; one feature per split: roots spread over features', async () => {
    const rng = new Rng(2);
    const n = 400;
    const cols = Array.from({ length: 5 }, () => Array.from({ length: n }, () => rng.next()));
    const y = cols[0].map((v, i) => 10 * v + 0.1 * cols[1][i]);
    const x = matrix(...cols);
    const all = (await forestEngine.train(x, Float64Array.from(y), params({ nEstimators: 40, bootstrap: true, maxDepth: 2 }))) as RandomForestModel;
    const one = (await forestEngine.train(x, Float64Array.from(y), params({ nEstimators: 40, bootstrap: true, maxDepth: 2, maxFeatures: { count: 1 } }))) as RandomForestModel;
    const roots = (m: RandomForestModel) => Array.from(m.arrays.treeStart.subarray(0, m.nTrees), (o) => m.arrays.feature[o]);
    assert.deepEqual(new Set(roots(all)), new Set([0]));
    const counts = [0, 0, 0, 0, 0];
    for (const f of roots(one)) counts[f]++;
    assert.ok(counts.every((c) => c >= 2), `root features ${counts}`); // ~8 each
    // sqrt of 5 = 2 features per split: the dominant one is the root whenever it is drawn (~40 %)
    const two = (await forestEngine.train(x, Float64Array.from(y), params({ nEstimators: 40, bootstrap: true, maxDepth: 2, maxFeatures: 'sqrt' }))) as RandomForestModel;
    const share = roots(two).filter((f) => f === 0).length / 40;
    assert.ok(share > 0.2 && share < 0.7, `share ${share}`);
  });
});

describe('forest', () => {
  const data = synthetic(3000, 6, 21);
  const reg = { task: 'regression' as const, nEstimators: 12, maxDepth: 8, bootstrap: true, seed: 5 };

  it('is deterministic for a seed whatever the number of workers (identical artifacts)', async () => {
    const small = synthetic(1000, 4, 22);
    const p = { ...reg, nEstimators: 9, maxDepth: null };
    const bytes: Uint8Array[] = [];
    for (const workers of [0, 1, 2, 3]) bytes.push((await forestEngine.train(small.x, small.y, params({ ...p, workers }))).serialize());
    for (const b of bytes.slice(1)) assert.deepEqual(b, bytes[0]);
    const other = (await forestEngine.train(small.x, small.y, params({ ...p, seed: 6, workers: 2 }))).serialize();
    assert.notDeepEqual(other, bytes[0]);
    // Above LISTS_ONLY_MAX values the trees start with histogram levels: the same holds.
    const large = synthetic(25_000, 10, 23);
    assert.ok(25_000 * 10 > LISTS_ONLY_MAX);
    const q = { ...reg, nEstimators: 3, maxDepth: 7 };
    const inThread = (await forestEngine.train(large.x, large.y, params({ ...q, workers: 0 }))).serialize();
    assert.deepEqual((await forestEngine.train(large.x, large.y, params({ ...q, workers: 2 }))).serialize(), inThread);
  });

  it('save/load round trip: same bytes, bit-identical predictions and importances', async () => {
    const m = await forestEngine.train(data.x, data.y, params({ ...reg, workers: 2 }));
    const bytes = m.serialize();
    const back = forestEngine.deserialize(bytes);
    assert.deepEqual(back.serialize(), bytes);
    assert.deepEqual(back.predict(data.x), m.predict(data.x));
    assert.deepEqual(back.featureImportances(), m.featureImportances());
    assert.equal(back.engine, 'forest');
    assert.equal(back.task, 'regression');
    assert.equal(back.nFeatures, 6);
    // also from a view at an odd offset of a bigger buffer
    const padded = new Uint8Array(bytes.length + 3);
    padded.set(bytes, 3);
    assert.deepEqual(forestEngine.deserialize(padded.subarray(3)).predict(data.x), m.predict(data.x));
    const info = decodeModel(bytes).info as { params: { n_estimators: number; seed: number } };
    assert.equal(info.params.n_estimators, 12);
  });

  it('round-trips models with more than 255 features (16-bit feature codes)', async () => {
    const rng = new Rng(12);
    const cols = Array.from({ length: 300 }, () => Array.from({ length: 60 }, () => rng.next()));
    const y = cols[299].map((v, i) => v + cols[0][i]);
    const m = await forestEngine.train(matrix(...cols), Float64Array.from(y), params({ nEstimators: 3, bootstrap: true, maxFeatures: 'all' }));
    const bytes = m.serialize();
    assert.equal((decodeModel(bytes).info as { params: { max_features_resolved: number } }).params.max_features_resolved, 300);
    assert.deepEqual(forestEngine.deserialize(bytes).predict(matrix(...cols)), m.predict(matrix(...cols)));
    assert.ok([...(m as RandomForestModel).arrays.feature].includes(299));
  });

  it('rejects corrupted, truncated and unknown-version artifacts', async () => {
    const bytes = (await train(matrix([1, 2, 3, 4]), [1, 2, 3, 4])).serialize();
    const flipped = bytes.slice();
    flipped[bytes.length - 10] ^= 1;
    assert.throws(() => forestEngine.deserialize(flipped), /checksum/);
    assert.throws(() => forestEngine.deserialize(bytes.subarray(0, bytes.length - 8)), /not a valid forest model/);
    const v2 = bytes.slice();
    v2[4] = 2;
    assert.throws(() => forestEngine.deserialize(v2), /version 2 is not supported/);
    assert.throws(() => forestEngine.deserialize(new TextEncoder().encode('{"model": "something else"}')), /bad magic/);
  });

  it('keeps float64 thresholds that have no float32 between the values they separate', async () => {
    const a = 1;
    const b = 1 + 2 ** -40;
    const m = await train(matrix([a, a, b, b]), [0, 0, 10, 10]);
    const t = m.arrays.value[0];
    assert.ok(t >= a && t < b);
    const back = forestEngine.deserialize(m.serialize()) as RandomForestModel;
    assert.equal(back.arrays.value[0], t);
    assert.deepEqual([...back.predict(matrix([a, b]))], [0, 10]);
  });

  it('model size for 100 trees of depth 10 on 1,000 × 5 is under 1 MB', async () => {
    const d = synthetic(1000, 5, 1);
    const m = await forestEngine.train(d.x, d.y, params({ nEstimators: 100, maxDepth: 10, bootstrap: true, seed: 0, workers: undefined }));
    assert.ok(m.serialize().length < 1_000_000, `${m.serialize().length} bytes`);
  });

  it('classification: probabilities sum to 1, predict is their argmax, round trip identical', async () => {
    const q = [...data.y].sort((a, b) => a - b);
    const cut = [1, 2, 3].map((k) => q[Math.floor((k * q.length) / 4)]);
    const y = Float64Array.from(data.y, (v) => cut.filter((c) => v >= c).length);
    const m = await forestEngine.train(data.x, y, params({ task: 'classification', nEstimators: 15, maxFeatures: 'sqrt', bootstrap: true, workers: 2 }));
    assert.equal(m.nClasses, 4);
    const p = m.predictProba(data.x);
    const pred = m.predict(data.x);
    for (let r = 0; r < data.x.rows; r++) {
      let s = 0;
      let best = 0;
      for (let c = 0; c < 4; c++) {
        s += p[r * 4 + c];
        if (p[r * 4 + c] > p[r * 4 + best]) best = c;
      }
      assert.ok(Math.abs(s - 1) < 1e-12);
      assert.equal(pred[r], best);
    }
    const back = forestEngine.deserialize(m.serialize());
    assert.deepEqual(back.predictProba(data.x), p);
    assert.throws(() => forestEngine.deserialize(forestEngine.deserialize(m.serialize()).serialize()).predictProba(matrix([1])), /expected 6 feature columns/);
  });

  it('feature importances: sum to 1, rank the informative features', async () => {
    const rng = new Rng(9);
    const n = 2000;
    const cols = Array.from({ length: 4 }, () => Array.from({ length: n }, () => rng.next()));
    const y = cols[0].map((v, i) => 5 * v + 2 * cols[1][i] + 0.05 * rng.normal());
    const m = await forestEngine.train(matrix(...cols), Float64Array.from(y), params({ nEstimators: 10, bootstrap: true, maxDepth: 6, workers: 2 }));
    const imp = m.featureImportances()!;
    assert.ok(Math.abs(imp.reduce((s, v) => s + v, 0) - 1) < 1e-12);
    assert.ok(imp[0] > imp[1] && imp[1] > imp[2] && imp[1] > imp[3], `${[...imp]}`);
    assert.ok(imp[0] > 0.7);
  });

  it('reports progress per tree and cancels with an AbortError', async () => {
    const seen: number[] = [];
    await forestEngine.train(data.x, data.y, params({ ...reg, workers: 2 }), { onProgress: (p) => seen.push(p.treesDone) });
    assert.deepEqual(seen, Array.from({ length: 13 }, (_, k) => k));
    const big = synthetic(20_000, 10, 3);
    const ac = new AbortController();
    const run = forestEngine.train(big.x, big.y, params({ nEstimators: 200, bootstrap: true, workers: 2 }), {
      signal: ac.signal,
      onProgress: (p) => p.treesDone >= 1 && ac.abort(),
    });
    await assert.rejects(run, AbortError);
    const pre = new AbortController();
    pre.abort();
    await assert.rejects(forestEngine.train(data.x, data.y, params(reg), { signal: pre.signal }), AbortError);
  });

  it('validates its input', async () => {
    await assert.rejects(train(matrix([1, NaN]), [1, 2]), /not a finite number/);
    await assert.rejects(train(matrix([1, 2], [3, Infinity]), [1, 2], { workers: 2 }), /feature 1, row 1: Infinity is not a finite number/);
    await assert.rejects(train(matrix([1, 2]), [1, Infinity]), /target of row 1/);
    await assert.rejects(train(matrix([1, 2]), [0, 1.5], { task: 'classification' }), /labels must be/);
    await assert.rejects(train(matrix([1, 2]), [0, 3], { task: 'classification', nClasses: 3 }), /out of range/);
    await assert.rejects(train(matrix([1, 2]), [0, 1], { criterion: 'gini' }), /regression uses criterion 'mse'/);
    await assert.rejects(train(matrix([1, 2]), [0, 1], { minSamplesLeaf: 0 }), /min_samples_leaf/);
    const m = await train(matrix([1, 2]), [0, 1]);
    assert.throws(() => m.predict(matrix([NaN])), /NaN/);
    assert.throws(() => m.predictProba(matrix([1])), /classification/);
  });
});
