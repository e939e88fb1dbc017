/**
 * One decision tree (CART, as scikit-learn grows them in a random forest), built on the forest's shared binned
 * data. This is the hot loop of the engine; it runs in worker threads.
 *
 * Split search — why this algorithm:
 *  - scikit-learn sorts the node's rows by every candidate feature at every node (O(n log n) per feature per
 *    node). We instead bin every feature once per forest (≤ 256 quantile bins, uint8 codes; see binning.ts) and
 *    search a node by building per-bin histograms (row count, Σw, Σw·y — or per-class Σw for classification)
 *    in one O(n) pass per feature, then scanning ≤ 256 bins: O(n + bins) per feature instead of O(n log n),
 *    with sequential, cache-friendly memory access and no sorting. This is the histogram method of LightGBM and
 *    scikit-learn's HistGradientBoosting.
 *  - Parent-minus-sibling: when every feature is a candidate at each node (max_features ≥ d/2, e.g. the
 *    regression default "all"), the histograms of both children come from building only the smaller child's and
 *    subtracting it from the parent's, so each level of the tree reads at most half its rows. When
 *    max_features is small (e.g. sqrt for classification) only the drawn features' histograms are built, for
 *    that node alone: k·n work beats d·n/2.
 *  - Exact sorted search for small nodes (≤ EXACT_MAX rows), and for a feature whose node values all fall in
 *    one bin that holds several values: there, sorting a few dozen values is cheaper than scanning 256 bins, and
 *    it restores full resolution deep in the tree where a node's range of a feature spans few bins — so
 *    accuracy matches scikit-learn's exact splits.
 *  - Thresholds are always real feature values (bin edges lie between observed values; exact splits take the
 *    midpoint of neighbours, as scikit-learn does), preferably float32-representable, so predictions on raw
 *    floats send every training row where training sent it.
 *
 * Bootstrap: a row drawn c times is kept once with weight c (no copies). Like scikit-learn (which fits each tree
 * with sample_weight = bootstrap counts), min_samples_split and min_samples_leaf count the node's distinct rows
 * (scikit-learn's n_node_samples; e.g. 632 of 1,000 at the root), while impurities, leaf values and feature
 * importances use the weights (weighted_n_node_samples).
 */
import { Rng } from '../../util/random';
import { MAX_BINS, thresholdBetween } from './binning';

/** Nodes with at most this many (distinct) rows use exact sorted split search. */
export const EXACT_MAX = 48;

const EPSILON = 2.220446049250313e-16;

export interface TreeData {
  n: number;
  d: number;
  /** n × d raw values, column-major (x[f * n + i]). */
  x: Float64Array;
  /** n × d bin codes, column-major. */
  codes: Uint8Array;
  /** Regression target, or class index for classification. */
  y: Float64Array;
  nBins: Int32Array;
  edges: Float64Array;
  single: Uint8Array;
}

export interface TreeConfig {
  classification: boolean;
  nClasses: number;
  criterion: 'mse' | 'gini' | 'entropy';
  /** Infinity = unlimited. */
  maxDepth: number;
  /** max_features resolved to a count (1..d). */
  maxFeatures: number;
  minSamplesSplit: number;
  minSamplesLeaf: number;
  bootstrap: boolean;
  seed: number;
}

/** A tree in breadth-first order: the k-th internal node's children are nodes 2k+1 and 2k+2. */
export interface BuiltTree {
  /** Split feature, or −1 for a leaf. */
  feature: Int32Array;
  /** Threshold (go left when x <= threshold) for a split; the prediction (float32-exact) for a regression leaf. */
  value: Float64Array;
  /** Classification: class distribution of each leaf, leaves in breadth-first order (float32). */
  proba: Float32Array;
  /** Impurity decrease per feature, normalized to sum 1 (all 0 for a one-node tree). */
  importance: Float64Array;
}

interface StackEntry {
  s: number;
  e: number;
  depth: number;
  parent: number;
  isLeft: boolean;
  /** Feature the parent split on (for importance), −1 for the root. */
  parentFeature: number;
  /** Histograms of all features (subtraction mode), when the node is searched with them. */
  hist: Float64Array | null;
  /** Features known to be constant in this node (from its ancestors), or null when none. */
  constant: Uint8Array | null;
}

export class TreeBuilder {
  private readonly n: number;
  private readonly d: number;
  private readonly C: number;
  /**
   * Fields per histogram bin: regression (Σw, Σwy), classification (Σw per class), plus the count of distinct
   * rows when it differs from Σw and matters (bootstrap with min_samples_leaf > 1). Weights are integers
   * (bootstrap counts), so sums and parent-minus-sibling differences are exact and Σw = 0 marks an empty bin.
   */
  private readonly F: number;
  private readonly countField: boolean;
  private readonly stride: number;
  private readonly crit: number;
  private readonly subtraction: boolean;
  private readonly maxDepth: number;
  private readonly minSplit: number;
  private readonly minLeaf: number;

  // Rows of the tree; a node is a segment [s, e) of these parallel arrays, partitioned in place.
  private readonly idx: Int32Array;
  private readonly segW: Float64Array;
  /** Regression: w·y; classification: the class index. */
  private readonly segV: Float64Array;
  private readonly counts: Int32Array;
  private readonly vals: Float64Array;
  private readonly perm: Int32Array;
  private readonly featOrder: Int32Array;
  private readonly featHist: Float64Array;
  private readonly histFree: Float64Array[] = [];
  private readonly clsNode: Float64Array;
  private readonly clsL: Float64Array;
  private readonly sortStack = new Int32Array(128);

  // Node totals (set by nodeStats).
  private tW = 0;
  private tS = 0;

  // Best split of the current node.
  private bestProxy = -Infinity;
  private bestFeature = -1;
  private bestBinned = false;
  private bestBin = 0;
  private bestThreshold = 0;
  private foundConstant: number[] = [];

  // Output (pre-order while building).
  private nodeFeature: number[] = [];
  private nodeValue: number[] = [];
  private nodeLeft: number[] = [];
  private nodeRight: number[] = [];
  private nodeProba: number[] = [];
  private importance: Float64Array;
  private rng: Rng = new Rng(0);

  constructor(
    private readonly data: TreeData,
    private readonly cfg: TreeConfig,
  ) {
    const { n, d } = data;
    this.n = n;
    this.d = d;
    this.C = cfg.classification ? cfg.nClasses : 0;
    this.minLeaf = Math.max(1, cfg.minSamplesLeaf);
    this.countField = cfg.bootstrap && this.minLeaf > 1;
    this.F = (cfg.classification ? this.C : 2) + (this.countField ? 1 : 0);
    this.stride = MAX_BINS * this.F;
    this.crit = cfg.criterion === 'entropy' ? 2 : cfg.criterion === 'gini' ? 1 : 0;
    if (cfg.classification && this.crit === 0) throw new Error('classification needs criterion gini or entropy');
    if (!cfg.classification && this.crit !== 0) throw new Error('regression needs criterion mse');
    this.subtraction = cfg.maxFeatures * 2 >= d;
    this.maxDepth = cfg.maxDepth;
    this.minSplit = Math.max(2, cfg.minSamplesSplit);
    this.idx = new Int32Array(n);
    this.segW = new Float64Array(n);
    this.segV = new Float64Array(n);
    this.counts = new Int32Array(n);
    this.vals = new Float64Array(n);
    this.perm = new Int32Array(n);
    this.featOrder = new Int32Array(d);
    this.featHist = new Float64Array(this.stride);
    this.clsNode = new Float64Array(Math.max(1, this.C));
    this.clsL = new Float64Array(Math.max(1, this.C));
    this.importance = new Float64Array(d);
  }

  /** Build tree number `treeIndex`; its randomness comes from Rng.derive(seed, treeIndex) only. */
  build(treeIndex: number): BuiltTree {
    const { n, d } = this;
    const rng = (this.rng = Rng.derive(this.cfg.seed, treeIndex));
    this.nodeFeature = [];
    this.nodeValue = [];
    this.nodeLeft = [];
    this.nodeRight = [];
    this.nodeProba = [];
    this.importance = new Float64Array(d);
    const y = this.data.y;
    let m = 0;
    if (this.cfg.bootstrap) {
      const counts = this.counts;
      counts.fill(0);
      for (let k = 0; k < n; k++) counts[rng.int(0, n)]++;
      for (let i = 0; i < n; i++) {
        const c = counts[i];
        if (c > 0) {
          this.idx[m] = i;
          this.segW[m] = c;
          this.segV[m] = this.C ? y[i] : c * y[i];
          m++;
        }
      }
    } else {
      for (let i = 0; i < n; i++) {
        this.idx[i] = i;
        this.segW[i] = 1;
        this.segV[i] = y[i];
      }
      m = n;
    }

    let rootW = 0;
    const stack: StackEntry[] = [{ s: 0, e: m, depth: 0, parent: -1, isLeft: false, parentFeature: -1, hist: null, constant: null }];
    if (this.subtraction && this.needsHist(m, 0)) {
      const h = this.takeHist();
      this.buildAllHist(h, 0, m);
      stack[0].hist = h;
    }
    while (stack.length) {
      const node = stack.pop()!;
      const { s, e, depth } = node;
      const cnt = e - s;
      const id = this.nodeFeature.length;
      if (node.parent >= 0) {
        if (node.isLeft) this.nodeLeft[node.parent] = id;
        else this.nodeRight[node.parent] = id;
      }
      const impurity = this.nodeStats(s, e);
      const W = this.tW;
      if (node.parent < 0) rootW = W;
      else this.importance[node.parentFeature] -= W * impurity;

      let leaf = depth >= this.maxDepth || cnt < this.minSplit || cnt < 2 * this.minLeaf || impurity <= EPSILON;
      if (!leaf) {
        this.findSplit(node);
        leaf = this.bestFeature < 0;
      }
      if (leaf) {
        if (node.hist) this.histFree.push(node.hist);
        this.nodeFeature.push(-1);
        this.nodeLeft.push(-1);
        this.nodeRight.push(-1);
        if (this.C) {
          this.nodeValue.push(this.nodeProba.length);
          for (let c = 0; c < this.C; c++) this.nodeProba.push(this.clsNode[c] / W);
        } else this.nodeValue.push(Math.fround(this.tS / W));
        continue;
      }

      const f = this.bestFeature;
      this.importance[f] += W * impurity;
      this.nodeFeature.push(f);
      this.nodeValue.push(this.bestThreshold);
      this.nodeLeft.push(-1);
      this.nodeRight.push(-1);
      const mid = this.partition(s, e, f);

      // Known constants for the children: the parent's plus those found here.
      let constant = node.constant;
      if (this.foundConstant.length) {
        constant = constant ? constant.slice() : new Uint8Array(d);
        for (const c of this.foundConstant) constant[c] = 1;
      }

      const left: StackEntry = { s, e: mid, depth: depth + 1, parent: id, isLeft: true, parentFeature: f, hist: null, constant };
      const right: StackEntry = { s: mid, e, depth: depth + 1, parent: id, isLeft: false, parentFeature: f, hist: null, constant };
      if (this.subtraction) this.childHists(node, left, right);
      // Depth first, left child first (pre-order ids).
      stack.push(right, left);
    }

    return this.finish(rootW);
  }

  private needsHist(cnt: number, depth: number): boolean {
    return cnt > EXACT_MAX && depth < this.maxDepth && cnt >= this.minSplit && cnt >= 2 * this.minLeaf;
  }

  /** Give the children their histograms: build the smaller child's, subtract it from the parent's for the other. */
  private childHists(parent: StackEntry, left: StackEntry, right: StackEntry): void {
    const ph = parent.hist;
    const nl = left.e - left.s;
    const nr = right.e - right.s;
    const needL = this.needsHist(nl, left.depth);
    const needR = this.needsHist(nr, right.depth);
    const small = nl <= nr ? left : right;
    const large = nl <= nr ? right : left;
    const needSmall = nl <= nr ? needL : needR;
    const needLarge = nl <= nr ? needR : needL;
    if (needLarge && ph) {
      const hs = this.takeHist();
      this.buildAllHist(hs, small.s, small.e);
      this.subtractHist(ph, hs);
      large.hist = ph;
      if (needSmall) small.hist = hs;
      else this.histFree.push(hs);
      return;
    }
    if (needLarge) {
      large.hist = this.takeHist();
      this.buildAllHist(large.hist, large.s, large.e);
    }
    if (needSmall) {
      const hs = ph ?? this.takeHist();
      this.buildAllHist(hs, small.s, small.e);
      small.hist = hs;
    } else if (ph) this.histFree.push(ph);
  }

  private takeHist(): Float64Array {
    return this.histFree.pop() ?? new Float64Array(this.d * this.stride);
  }

  /** Weighted totals of a segment; returns the node impurity (variance, Gini or entropy). */
  private nodeStats(s: number, e: number): number {
    const { segW, segV } = this;
    let W = 0;
    if (this.C) {
      const cls = this.clsNode;
      cls.fill(0);
      for (let j = s; j < e; j++) {
        W += segW[j];
        cls[segV[j]] += segW[j];
      }
      this.tW = W;
      let imp = 0;
      if (this.crit === 1) {
        let sq = 0;
        for (let c = 0; c < this.C; c++) sq += cls[c] * cls[c];
        imp = 1 - sq / (W * W);
      } else {
        for (let c = 0; c < this.C; c++) {
          if (cls[c] > 0) {
            const p = cls[c] / W;
            imp -= p * Math.log2(p);
          }
        }
      }
      return imp;
    }
    const y = this.data.y;
    const idx = this.idx;
    let S = 0;
    let Q = 0;
    for (let j = s; j < e; j++) {
      W += segW[j];
      S += segV[j];
      Q += segV[j] * y[idx[j]];
    }
    this.tW = W;
    this.tS = S;
    const mean = S / W;
    return Q / W - mean * mean;
  }

  /** Histograms of every feature for the segment [s, e). */
  private buildAllHist(h: Float64Array, s: number, e: number): void {
    for (let f = 0; f < this.d; f++) this.buildHist(h, f * this.stride, f, s, e);
  }

  private buildHist(h: Float64Array, base: number, f: number, s: number, e: number): void {
    const { idx, segW, segV, F } = this;
    const codes = this.data.codes;
    const col = f * this.n;
    h.fill(0, base, base + this.data.nBins[f] * F);
    if (this.C) {
      const cf = this.countField ? this.C : -1;
      for (let j = s; j < e; j++) {
        const b = base + codes[col + idx[j]] * F;
        h[b + segV[j]] += segW[j];
        if (cf >= 0) h[b + cf] += 1;
      }
    } else if (this.countField) {
      for (let j = s; j < e; j++) {
        const b = base + codes[col + idx[j]] * 3;
        h[b] += segW[j];
        h[b + 1] += segV[j];
        h[b + 2] += 1;
      }
    } else {
      for (let j = s; j < e; j++) {
        const b = base + codes[col + idx[j]] * 2;
        h[b] += segW[j];
        h[b + 1] += segV[j];
      }
    }
  }

  /** parent ← parent − child, for every feature's used bins. */
  private subtractHist(parent: Float64Array, child: Float64Array): void {
    const nBins = this.data.nBins;
    for (let f = 0; f < this.d; f++) {
      const base = f * this.stride;
      const end = base + nBins[f] * this.F;
      for (let k = base; k < end; k++) parent[k] -= child[k];
    }
  }

  /** Find the best split of a node over sampled features, scikit-learn style; sets best* (bestFeature −1: none). */
  private findSplit(node: StackEntry): void {
    const { d, featOrder, rng } = this;
    this.bestProxy = -Infinity;
    this.bestFeature = -1;
    this.foundConstant = [];
    const constant = node.constant;
    let m = 0;
    for (let f = 0; f < d; f++) if (!constant || !constant[f]) featOrder[m++] = f;
    const k = this.cfg.maxFeatures;
    const cnt = node.e - node.s;
    const exact = cnt <= EXACT_MAX;
    let visited = 0;
    let nonConstant = false;
    // Draw features without replacement until max_features have been visited and at least one of them was not
    // constant in the node (scikit-learn's rule: constant features count as visited, known constants are skipped).
    for (let i = 0; i < m && (visited < k || !nonConstant); i++) {
      if (m - i > 1) {
        const j = rng.int(i, m);
        const t = featOrder[i];
        featOrder[i] = featOrder[j];
        featOrder[j] = t;
      }
      const f = featOrder[i];
      visited++;
      let isConstant: boolean;
      if (exact) isConstant = this.exactFeature(f, node.s, node.e);
      else {
        let h: Float64Array;
        let base: number;
        if (node.hist) {
          h = node.hist;
          base = f * this.stride;
        } else {
          h = this.featHist;
          base = 0;
          this.buildHist(h, 0, f, node.s, node.e);
        }
        const occupied = this.C ? this.scanHistCls(h, base, f, cnt) : this.scanHistReg(h, base, f, cnt);
        if (occupied === -1) isConstant = this.exactFeature(f, node.s, node.e);
        else isConstant = occupied <= 1;
      }
      if (isConstant) this.foundConstant.push(f);
      else nonConstant = true;
    }
  }

  /**
   * Scan a regression histogram; returns the number of occupied bins (≤ 1 means constant), or −1 when all rows fall
   * in one bin that holds several distinct values (the caller searches that feature exactly).
   */
  private scanHistReg(h: Float64Array, base: number, f: number, cnt: number): number {
    const nb = this.data.nBins[f];
    const { minLeaf, countField, F } = this;
    const W = this.tW;
    const S = this.tS;
    let cL = 0;
    let wL = 0;
    let sL = 0;
    let occupied = 0;
    let lastOcc = -1;
    let best = this.bestProxy;
    let bestBin = -1;
    for (let b = 0; b < nb; b++) {
      const o = base + b * F;
      const w = h[o];
      if (w === 0) continue;
      occupied++;
      lastOcc = b;
      wL += w;
      if (wL >= W) break;
      sL += h[o + 1];
      // min_samples_leaf on distinct rows: their count, or Σw when that is the count (no bootstrap) or when
      // min_samples_leaf is 1 (any non-empty side will do).
      if (countField) {
        cL += h[o + 2];
        if (cL < minLeaf) continue;
        if (cnt - cL < minLeaf) break;
      } else {
        if (wL < minLeaf) continue;
        if (W - wL < minLeaf) break;
      }
      const wR = W - wL;
      const sR = S - sL;
      const proxy = (sL * sL) / wL + (sR * sR) / wR;
      if (proxy > best) {
        best = proxy;
        bestBin = b;
      }
    }
    if (occupied === 1 && !this.data.single[f * MAX_BINS + lastOcc]) return -1;
    if (bestBin >= 0) this.takeBinned(h, base, f, bestBin, best);
    return occupied;
  }

  private scanHistCls(h: Float64Array, base: number, f: number, cnt: number): number {
    const nb = this.data.nBins[f];
    const { minLeaf, C, F, crit, clsNode, clsL, countField } = this;
    const W = this.tW;
    let cL = 0;
    let wL = 0;
    let occupied = 0;
    let lastOcc = -1;
    let best = this.bestProxy;
    let bestBin = -1;
    clsL.fill(0);
    for (let b = 0; b < nb; b++) {
      const o = base + b * F;
      let w = 0;
      for (let k = 0; k < C; k++) w += h[o + k];
      if (w === 0) continue;
      occupied++;
      lastOcc = b;
      wL += w;
      if (wL >= W) break;
      for (let k = 0; k < C; k++) clsL[k] += h[o + k];
      if (countField) {
        cL += h[o + C];
        if (cL < minLeaf) continue;
        if (cnt - cL < minLeaf) break;
      } else {
        if (wL < minLeaf) continue;
        if (W - wL < minLeaf) break;
      }
      const proxy = classProxy(crit, clsL, clsNode, C, wL, W - wL);
      if (proxy > best) {
        best = proxy;
        bestBin = b;
      }
    }
    if (occupied === 1 && !this.data.single[f * MAX_BINS + lastOcc]) return -1;
    if (bestBin >= 0) this.takeBinned(h, base, f, bestBin, best);
    return occupied;
  }

  /** Record a binned split after bin `bin`: the threshold is the edge in the middle of the node's empty-bin gap. */
  private takeBinned(h: Float64Array, base: number, f: number, bin: number, proxy: number): void {
    const { F, C } = this;
    let next = bin + 1;
    for (;;) {
      const o = base + next * F;
      let w = h[o];
      for (let k = 1; k < C; k++) w += h[o + k];
      if (w !== 0) break;
      next++;
    }
    const edge = (bin + next - 1) >> 1;
    this.bestProxy = proxy;
    this.bestFeature = f;
    this.bestBinned = true;
    this.bestBin = edge;
    this.bestThreshold = this.data.edges[f * MAX_BINS + edge];
  }

  /** Exact search on feature f over the node's sorted values; returns true when f is constant in the node. */
  private exactFeature(f: number, s: number, e: number): boolean {
    const { vals, perm, idx, segW, segV, minLeaf } = this;
    const x = this.data.x;
    const col = f * this.n;
    const m = e - s;
    for (let q = 0; q < m; q++) {
      vals[q] = x[col + idx[s + q]];
      perm[q] = s + q;
    }
    sortPairs(vals, perm, m, this.sortStack);
    if (vals[m - 1] <= vals[0]) return true;
    const W = this.tW;
    let best = this.bestProxy;
    let bestP = -1;
    let wL = 0;
    if (this.C) {
      const { C, crit, clsNode, clsL } = this;
      clsL.fill(0);
      for (let p = 0; p < m - 1; p++) {
        const j = perm[p];
        wL += segW[j];
        clsL[segV[j]] += segW[j];
        if (vals[p + 1] <= vals[p]) continue;
        if (p + 1 < minLeaf) continue;
        if (m - p - 1 < minLeaf) break;
        const proxy = classProxy(crit, clsL, clsNode, C, wL, W - wL);
        if (proxy > best) {
          best = proxy;
          bestP = p;
        }
      }
    } else {
      const S = this.tS;
      let sL = 0;
      for (let p = 0; p < m - 1; p++) {
        const j = perm[p];
        wL += segW[j];
        sL += segV[j];
        if (vals[p + 1] <= vals[p]) continue;
        if (p + 1 < minLeaf) continue;
        if (m - p - 1 < minLeaf) break;
        const wR = W - wL;
        const sR = S - sL;
        const proxy = (sL * sL) / wL + (sR * sR) / wR;
        if (proxy > best) {
          best = proxy;
          bestP = p;
        }
      }
    }
    if (bestP >= 0) {
      this.bestProxy = best;
      this.bestFeature = f;
      this.bestBinned = false;
      this.bestThreshold = thresholdBetween(vals[bestP], vals[bestP + 1]);
    }
    return false;
  }

  /** Partition [s, e) in place by the best split; returns the first index of the right child. */
  private partition(s: number, e: number, f: number): number {
    const { idx, segW, segV } = this;
    let i = s;
    let j = e - 1;
    if (this.bestBinned) {
      const codes = this.data.codes;
      const col = f * this.n;
      const bin = this.bestBin;
      while (i <= j) {
        if (codes[col + idx[i]] <= bin) i++;
        else {
          swap3(idx, segW, segV, i, j);
          j--;
        }
      }
    } else {
      const x = this.data.x;
      const col = f * this.n;
      const t = this.bestThreshold;
      while (i <= j) {
        if (x[col + idx[i]] <= t) i++;
        else {
          swap3(idx, segW, segV, i, j);
          j--;
        }
      }
    }
    return i;
  }

  /** Renumber breadth-first and normalize the importances. */
  private finish(rootW: number): BuiltTree {
    const total = this.nodeFeature.length;
    const feature = new Int32Array(total);
    const value = new Float64Array(total);
    const C = this.C;
    let leaves = 0;
    for (let i = 0; i < total; i++) if (this.nodeFeature[i] < 0) leaves++;
    const proba = new Float32Array(C ? leaves * C : 0);
    const queue = new Int32Array(total);
    let head = 0;
    let tail = 0;
    let leaf = 0;
    queue[tail++] = 0;
    while (head < tail) {
      const old = queue[head];
      const pos = head++;
      const f = this.nodeFeature[old];
      feature[pos] = f;
      if (f >= 0) {
        value[pos] = this.nodeValue[old];
        queue[tail++] = this.nodeLeft[old];
        queue[tail++] = this.nodeRight[old];
      } else if (C) {
        const from = this.nodeValue[old];
        for (let c = 0; c < C; c++) proba[leaf * C + c] = this.nodeProba[from + c];
        leaf++;
      } else value[pos] = this.nodeValue[old];
    }
    const imp = this.importance;
    let sum = 0;
    for (let f = 0; f < this.d; f++) {
      imp[f] /= rootW;
      sum += imp[f];
    }
    if (sum > 0) for (let f = 0; f < this.d; f++) imp[f] /= sum;
    else imp.fill(0);
    return { feature, value, proba, importance: imp };
  }
}

function swap3(a: Int32Array, b: Float64Array, c: Float64Array, i: number, j: number): void {
  const ta = a[i];
  a[i] = a[j];
  a[j] = ta;
  const tb = b[i];
  b[i] = b[j];
  b[j] = tb;
  const tc = c[i];
  c[i] = c[j];
  c[j] = tc;
}

/**
 * Split proxy for classification (larger is better): Gini: Σc wLc²/wL + Σc wRc²/wR (= −(wL·giniL + wR·giniR)
 * up to a constant); entropy: −(wL·HL + wR·HR) in nats.
 */
function classProxy(crit: number, clsL: Float64Array, clsNode: Float64Array, C: number, wL: number, wR: number): number {
  if (crit === 1) {
    let l = 0;
    let r = 0;
    for (let k = 0; k < C; k++) {
      const a = clsL[k];
      const b = clsNode[k] - a;
      l += a * a;
      r += b * b;
    }
    return l / wL + r / wR;
  }
  // −(wL·HL + wR·HR) = Σ a·ln(a/wL) + Σ b·ln(b/wR)
  let v = 0;
  for (let k = 0; k < C; k++) {
    const a = clsL[k];
    const b = clsNode[k] - a;
    if (a > 0) v += a * Math.log(a / wL);
    if (b > 0) v += b * Math.log(b / wR);
  }
  return v;
}

/** Sort vals[0..m) ascending, moving perm along (quicksort, median of three, insertion sort below 16). */
export function sortPairs(vals: Float64Array, perm: Int32Array, m: number, stack: Int32Array): void {
  let sp = 0;
  let lo = 0;
  let hi = m - 1;
  for (;;) {
    while (hi - lo >= 16) {
      const mid = (lo + hi) >> 1;
      // median of three into vals[mid]
      if (vals[mid] < vals[lo]) swap2(vals, perm, mid, lo);
      if (vals[hi] < vals[lo]) swap2(vals, perm, hi, lo);
      if (vals[hi] < vals[mid]) swap2(vals, perm, hi, mid);
      const pivot = vals[mid];
      let i = lo;
      let j = hi;
      while (i <= j) {
        while (vals[i] < pivot) i++;
        while (vals[j] > pivot) j--;
        if (i <= j) {
          swap2(vals, perm, i, j);
          i++;
          j--;
        }
      }
      // Push the larger part, go on with the smaller one: at most log2(m) pending parts.
      if (j - lo < hi - i) {
        if (i < hi) {
          stack[sp++] = i;
          stack[sp++] = hi;
        }
        hi = j;
      } else {
        if (lo < j) {
          stack[sp++] = lo;
          stack[sp++] = j;
        }
        lo = i;
      }
    }
    for (let i = lo + 1; i <= hi; i++) {
      const v = vals[i];
      const p = perm[i];
      let j = i - 1;
      while (j >= lo && vals[j] > v) {
        vals[j + 1] = vals[j];
        perm[j + 1] = perm[j];
        j--;
      }
      vals[j + 1] = v;
      perm[j + 1] = p;
    }
    if (sp === 0) return;
    hi = stack[--sp];
    lo = stack[--sp];
  }
}

function swap2(v: Float64Array, p: Int32Array, i: number, j: number): void {
  const tv = v[i];
  v[i] = v[j];
  v[j] = tv;
  const tp = p[i];
  p[i] = p[j];
  p[j] = tp;
}
