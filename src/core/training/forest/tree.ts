/**
 * One decision tree (CART, as scikit-learn grows them in a random forest), built on the forest's shared data. This
 * is the hot loop of the engine; it runs in worker threads.
 *
 * Split search — two methods, by level, because each is cheap where the other is not:
 *  - When the data are large (LISTS_ONLY_MAX), the top levels, whose nodes hold many rows: histograms, grown depth
 *    first (few histograms held at once). Every feature is binned once per forest (≤ 256 quantile bins, uint8 codes;
 *    see binning.ts); a node's histogram of a feature (Σw and Σw·y per bin, or per-class Σw) takes one pass over its
 *    rows, and the best cut is found by scanning ≤ 256 bins. When every feature is a candidate at each node
 *    (max_features ≥ d/2, e.g. regression's default "all"), a child's histograms are its parent's minus its sibling's,
 *    so only the smaller child's rows are read (LightGBM's and scikit-learn's HistGradientBoosting's method). A node's
 *    rows are a segment of one array (idx), partitioned at each split together with the rows' weights (kept in idx's
 *    order, so the histogram passes read them in sequence). Cuts fall on bin edges; a feature with ≤ 256 distinct
 *    values has one bin per value, so its cuts are exact.
 *  - Below (small data: from the root), from the level where nodes hold about LIST_ROWS rows: exact search on presorted
 *    lists, when at least MIN_LIST_LEVELS levels of splits remain below it (else histograms to the bottom). One pass
 *    over the forest's sorted order of each feature (computed once per forest) deals each row to its node's segment, so
 *    every node of that level gets each feature's rows in sorted order; below, every split partitions the lists stably
 *    (left rows first, order kept). A node's search is one sequential scan per feature, its cuts exact like
 *    scikit-learn's. Per level this reads ~7 array entries per row and feature, against ~2 per row and feature plus
 *    ~800 per node and feature (its 256 bins) with histograms: lists win below a few hundred rows a node. Engine 1.0
 *    used histograms down to 48 rows and sorted every smaller node again (10,000 × 10, depth 10: 117 M instructions a
 *    tree); lists from the root took 70 M there but were 1.8× slower than 1.0 at 100,000 × 20, where partitioning 20
 *    lists at every level costs more than histograms of the smaller child.
 *  - Thresholds are real feature values (bin edges lie between observed values; exact cuts take the midpoint of
 *    neighbours, as scikit-learn does), preferably float32-representable, so predictions on raw floats send every
 *    training row where training sent it.
 *
 * Bootstrap: a row drawn c times is kept once with weight c (no copies). Like scikit-learn (which fits each tree
 * with sample_weight = bootstrap counts), min_samples_split and min_samples_leaf count the node's distinct rows
 * (scikit-learn's n_node_samples; e.g. 632 of 1,000 at the root), while impurities, leaf values and feature
 * importances use the weights (weighted_n_node_samples).
 */
import { MAX_BINS } from './binning';
import { thresholdBetween } from './threshold';
import { TreeRng } from './treeRng';

/** The levels whose nodes hold about this many distinct rows or fewer (on average) are searched on presorted lists. */
export const LIST_ROWS = 256;

/**
 * Data of at most this many values (rows × features) are searched on lists from the root, with no histogram level.
 * Measured (CPU time in-thread, 20 trees of depth 10, medians of 3 on a busy machine, histogram levels against lists
 * from the root): 10,000 × 10: 418 against 345 ms; 30,000 × 10: 790 against 834 ms; 30,000 × 20: 1,184 against
 * 1,548 ms; 50,000 × 20: 1,503 against 1,834 ms; 100,000 × 20 (10 trees): ~1.6 against ~2.3 s. The lists and
 * features (16 bytes per value) outgrow the CPU caches that the bin codes (1 byte) still fit.
 */
export const LISTS_ONLY_MAX = 200_000;

/**
 * Lists below histogram levels only when at least this many levels of splits remain. Measured with 2 workers,
 * 40 trees of depth 10 (wall time): 100,000 × 20 with lists for the last 2 levels ~5.5 s, without lists ~4.0 s
 * (engine 1.0: ~4.3 s); 50,000 × 20 with lists for the last 3 levels ~2.8 s, lists from the root ~4.5 s.
 */
const MIN_LIST_LEVELS = 3;

const EPSILON = 2.220446049250313e-16;

export interface TreeData {
  n: number;
  d: number;
  /** n × d raw values, column-major (x[f * n + i]). */
  x: Float64Array;
  /** n × d bin codes, column-major. */
  codes: Uint8Array;
  /** n × d: order[f * n + k] is the row holding the k-th smallest value of feature f (see sortedOrder). */
  order: Int32Array;
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

/**
 * Sort the rows of feature f by value into order[f·n .. f·n + n) (the order of equal values depends on the column
 * only, so every worker computes the same). Throws on a non-finite value. `vals` is scratch of n values.
 */
export function sortedOrder(x: Float64Array, n: number, f: number, order: Int32Array, vals: Float64Array): void {
  const perm = order.subarray(f * n, f * n + n);
  const stack = new Int32Array(128);
  for (let i = 0; i < n; i++) {
    const v = x[f * n + i];
    if (!Number.isFinite(v)) throw new Error(`feature ${f}, row ${i}: ${v} is not a finite number`);
    vals[i] = v;
    perm[i] = i;
  }
  sortPairs(vals, perm, n, stack);
}

interface StackEntry {
  s: number;
  e: number;
  depth: number;
  parent: number;
  isLeft: boolean;
  /** Feature the parent split on (for importance), −1 for the root. */
  parentFeature: number;
  /** Offset in `ints` of a list of the node's rows: idx (histogram nodes), or a feature's sorted list. */
  rows: number;
  /** Offset in `ints` of the list buffer holding the node's sorted lists; −1 while its rows are only in idx. */
  lists: number;
  /** Histograms of all features (subtraction mode), when the node is searched with them. */
  hist: Float64Array | null;
  /** Features known to be constant in this node (from its ancestors), or null when none. */
  constant: Uint8Array | null;
}

export class TreeBuilder {
  private readonly n: number;
  private readonly d: number;
  private readonly C: number;
  private readonly crit: number;
  private readonly maxDepth: number;
  private readonly minSplit: number;
  private readonly minLeaf: number;
  /**
   * Fields per histogram bin: regression (Σw, Σwy), classification (Σw per class), plus the count of distinct rows
   * when it differs from Σw and matters (bootstrap with min_samples_leaf > 1). Weights are integers (bootstrap
   * counts), so sums and parent-minus-sibling differences are exact and Σw = 0 marks an empty bin.
   */
  private readonly F: number;
  private readonly countField: boolean;
  private readonly stride: number;
  private readonly subtraction: boolean;

  /**
   * All the integers of the hot loops in one private array, the floats in another and the bin codes in a third. Why:
   * V8 (Node 20) checks a typed array's type and bounds and reloads its data pointer at every access inside a loop,
   * once per array object; fewer array objects per loop cut the instructions per row by about a quarter (measured
   * with callgrind), and private copies keep the shared arrays out of the loops.
   *
   * ints: [0, nd) and [nd, 2nd): two buffers of per-feature lists — at buffer offset b, ints[b + f·n + k] are rows
   * sorted by feature f, and a presorted node is a segment [s, e) of each list; a split reads its node's segments
   * from one buffer and writes the children's into the other (one store per row, no copy back). Then idx (n: the
   * tree's in-bag rows; a histogram node is a segment of it), n marks (1: the row goes left; when the lists are
   * dealt, the row's node), the forest's sorted order (nd), and n + 2 cursors for dealing the rows.
   */
  private readonly ints: Int32Array;
  private readonly idxOff: number;
  private readonly markOff: number;
  private readonly orderOff: number;
  private readonly cursorOff: number;
  /** Depth at which the nodes switch from histograms to presorted lists (set per tree). */
  private listDepth = 0;
  /**
   * flts: [0, 2n) per row r its bootstrap weight (2r; 0 = out of bag) and w·y (regression) or its class index
   * (2r + 1); [segOff, segOff + 2n) the same in idx's order (histogram nodes read them in sequence, as they read
   * idx); [xOff, xOff + nd) the features, column-major; [yOff, yOff + n) the target.
   */
  private readonly flts: Float64Array;
  private readonly segOff: number;
  private readonly xOff: number;
  private readonly yOff: number;
  private readonly codes: Uint8Array;
  private readonly nBins: Int32Array;
  private readonly edges: Float64Array;
  private readonly single: Uint8Array;
  /** Scratch for sorting values that share a bin (vals) with their rows (perm). */
  private readonly vals: Float64Array;
  private readonly perm: Int32Array;
  private readonly sortStack = new Int32Array(128);
  private readonly featOrder: Int32Array;
  private readonly featHist: Float64Array;
  private readonly histFree: Float64Array[] = [];
  private readonly clsNode: Float64Array;
  private readonly clsL: Float64Array;

  // Node totals (set by nodeStats).
  private tW = 0;
  private tS = 0;

  // Best split of the current node: on a bin edge (histograms), after a position of a sorted list, or at a threshold.
  private bestProxy = -Infinity;
  private bestFeature = -1;
  private bestKind: 'bin' | 'list' | 'threshold' = 'bin';
  /** Bin (left: codes ≤ bestBin), or position in the node's segment of the last row that goes left. */
  private bestAt = 0;
  private bestThreshold = 0;
  private foundConstant: number[] = [];

  // Output (pre-order while building).
  private nodeFeature: number[] = [];
  private nodeValue: number[] = [];
  private nodeLeft: number[] = [];
  private nodeRight: number[] = [];
  private nodeProba: number[] = [];
  private importance: Float64Array;
  private rootW = 0;
  /** The right child made by the last split(). */
  private right: StackEntry | null = null;
  private rng = new TreeRng(0, 0);

  /** `listsOnlyMax`: LISTS_ONLY_MAX, or 0 to have histogram levels whatever the size (warming up their code). */
  constructor(
    data: TreeData,
    private readonly cfg: TreeConfig,
    private readonly listsOnlyMax = LISTS_ONLY_MAX,
  ) {
    const { n, d } = data;
    this.n = n;
    this.d = d;
    this.C = cfg.classification ? cfg.nClasses : 0;
    this.minLeaf = Math.max(1, cfg.minSamplesLeaf);
    this.crit = cfg.criterion === 'entropy' ? 2 : cfg.criterion === 'gini' ? 1 : 0;
    if (cfg.classification && this.crit === 0) throw new Error('classification needs criterion gini or entropy');
    if (!cfg.classification && this.crit !== 0) throw new Error('regression needs criterion mse');
    this.maxDepth = cfg.maxDepth;
    this.minSplit = Math.max(2, cfg.minSamplesSplit);
    this.countField = cfg.bootstrap && this.minLeaf > 1;
    this.F = (cfg.classification ? this.C : 2) + (this.countField ? 1 : 0);
    this.stride = MAX_BINS * this.F;
    this.subtraction = cfg.maxFeatures * 2 >= d;
    this.idxOff = 2 * n * d;
    this.markOff = this.idxOff + n;
    this.orderOff = this.markOff + n;
    this.cursorOff = this.orderOff + n * d;
    this.ints = new Int32Array(this.cursorOff + n + 2);
    this.ints.set(data.order.subarray(0, n * d), this.orderOff);
    this.segOff = 2 * n;
    this.xOff = 4 * n;
    this.yOff = 4 * n + n * d;
    this.flts = new Float64Array(5 * n + n * d);
    this.flts.set(data.x.subarray(0, n * d), this.xOff);
    this.flts.set(data.y.subarray(0, n), this.yOff);
    this.codes = data.codes.slice(0, n * d);
    this.nBins = data.nBins;
    this.edges = data.edges;
    this.single = data.single;
    this.vals = new Float64Array(n);
    this.perm = new Int32Array(n);
    this.featOrder = new Int32Array(d);
    this.featHist = new Float64Array(this.stride);
    this.clsNode = new Float64Array(Math.max(1, this.C));
    this.clsL = new Float64Array(Math.max(1, this.C));
    this.importance = new Float64Array(d);
  }

  /** Build tree number `treeIndex`; its randomness comes from Rng.derive(seed, treeIndex)'s stream only (TreeRng). */
  build(treeIndex: number): BuiltTree {
    this.rng = new TreeRng(this.cfg.seed, treeIndex);
    this.nodeFeature = [];
    this.nodeValue = [];
    this.nodeLeft = [];
    this.nodeRight = [];
    this.nodeProba = [];
    this.importance = new Float64Array(this.d);
    const m = this.sample();
    this.listDepth = this.chooseListDepth(m);
    const root: StackEntry = { s: 0, e: m, depth: 0, parent: -1, isLeft: false, parentFeature: -1, rows: this.idxOff, lists: -1, hist: null, constant: null };
    if (this.subtraction && this.needsHist(m, 0)) {
      root.hist = this.takeHist();
      this.buildAllHist(root.hist, 0, m);
    }
    // Depth first (few histograms held at a time). The nodes that reach the list depth wait, get their lists all at
    // once, then each grows its subtree depth first.
    const level: StackEntry[] = [];
    const stack = [root];
    while (stack.length) {
      const node = stack.pop()!;
      if (node.depth === this.listDepth && !this.leafBound(node.e - node.s, node.depth)) level.push(node);
      else this.grow(node, stack);
    }
    if (!level.length) return this.finish();
    this.dealLists(level);
    level.reverse();
    while (level.length) this.grow(level.pop()!, level);
    return this.finish();
  }

  /** Turn `node` into a split, pushing its children on `stack` (right, then left), or into a leaf. */
  private grow(node: StackEntry, stack: StackEntry[]): void {
    const id = this.nodeFeature.length;
    if (node.parent >= 0) {
      if (node.isLeft) this.nodeLeft[node.parent] = id;
      else this.nodeRight[node.parent] = id;
    }
    const impurity = node.rows === this.idxOff ? this.idxStats(node.s, node.e) : this.nodeStats(node.rows, node.s, node.e);
    const W = this.tW;
    if (node.parent < 0) this.rootW = W;
    else this.importance[node.parentFeature] -= W * impurity;
    if (!this.leafBound(node.e - node.s, node.depth) && impurity > EPSILON) {
      this.findSplit(node);
      if (this.bestFeature >= 0) {
        this.importance[this.bestFeature] += W * impurity;
        const left = this.split(node, id);
        stack.push(this.right!, left);
        return;
      }
    }
    if (node.hist) this.histFree.push(node.hist);
    this.addLeaf(W);
  }

  /**
   * The depth from which nodes are searched on lists: 0 for small data (LISTS_ONLY_MAX), else where a node holds
   * about LIST_ROWS of the m in-bag rows, if MIN_LIST_LEVELS levels of splits remain below it to pay for dealing the
   * lists (a pass over all n × d values); else max_depth (no lists).
   */
  private chooseListDepth(m: number): number {
    if (this.n * this.d <= this.listsOnlyMax) return 0;
    let depth = 0;
    while (m / 2 ** depth > LIST_ROWS) depth++;
    return this.maxDepth - depth >= MIN_LIST_LEVELS ? depth : this.maxDepth;
  }

  /** Draw the bootstrap (n draws of a row; a row drawn c times gets weight c) into idx; returns the in-bag row count. */
  private sample(): number {
    const { n, ints, flts, idxOff } = this;
    if (this.cfg.bootstrap) {
      for (let i = 0; i < n; i++) flts[2 * i] = 0;
      const rng = this.rng;
      for (let k = 0; k < n; k++) flts[2 * rng.int(0, n)]++;
    } else for (let i = 0; i < n; i++) flts[2 * i] = 1;
    let m = 0;
    const seg = this.segOff;
    for (let i = 0; i < n; i++) {
      const w = flts[2 * i];
      const y = flts[this.yOff + i];
      const v = this.C ? y : w * y;
      flts[2 * i + 1] = v;
      // written for every row, kept (m advances) for the in-bag ones
      ints[idxOff + m] = i;
      flts[seg + 2 * m] = w;
      flts[seg + 2 * m + 1] = v;
      m += Math.min(w, 1);
    }
    return m;
  }

  /**
   * Give the nodes of the list depth their sorted lists, in list buffer 0 at their segments: one pass over the
   * forest's sorted order of each feature deals every row to the next place of its node (kept order: sorted). Rows
   * of no node (out of the bag, or in a leaf above) go to a scratch place. Branch-free, like partitionLists.
   */
  private dealLists(level: StackEntry[]): void {
    const { n, d, ints, idxOff, markOff, orderOff, cursorOff } = this;
    for (let r = 0; r < n; r++) ints[markOff + r] = 0;
    level.forEach((node, i) => {
      for (let k = idxOff + node.s; k < idxOff + node.e; k++) ints[markOff + ints[k]] = i + 1;
      node.lists = 0;
    });
    if (level.length === 1 && level[0].s === 0) {
      // The root: each feature's order, out-of-bag rows dropped (a write per row, kept or overwritten).
      for (let f = 0; f < d; f++) {
        let k = f * n;
        for (let j = orderOff + f * n, end = j + n; j < end; j++) {
          const r = ints[j];
          ints[k] = r;
          k += ints[(markOff + r) | 0];
        }
      }
      return;
    }
    const scratch = cursorOff + n + 1;
    for (let f = 0; f < d; f++) {
      ints[cursorOff] = scratch;
      for (let i = 0; i < level.length; i++) ints[cursorOff + i + 1] = f * n + level[i].s;
      for (let j = orderOff + f * n, end = j + n; j < end; j++) {
        const r = ints[j];
        const c = (cursorOff + ints[(markOff + r) | 0]) | 0;
        const at = ints[c];
        ints[at] = r;
        ints[c] = (at + Math.min(c - cursorOff, 1)) | 0;
      }
    }
  }

  /** A node of cnt distinct rows at this depth is a leaf whatever its rows (max_depth, min_samples_*). */
  private leafBound(cnt: number, depth: number): boolean {
    return depth >= this.maxDepth || cnt < this.minSplit || cnt < 2 * this.minLeaf;
  }

  /** Whether a node is searched with histograms (subtraction mode: it needs its own set). */
  private needsHist(cnt: number, depth: number): boolean {
    return depth < this.listDepth && !this.leafBound(cnt, depth);
  }

  private addLeaf(W: number): void {
    this.nodeFeature.push(-1);
    this.nodeLeft.push(-1);
    this.nodeRight.push(-1);
    if (this.C) {
      this.nodeValue.push(this.nodeProba.length);
      for (let c = 0; c < this.C; c++) this.nodeProba.push(this.clsNode[c] / W);
    } else this.nodeValue.push(Math.fround(this.tS / W));
  }

  /** nodeStats of a histogram node: its weights in idx's order. */
  private idxStats(s: number, e: number): number {
    const { ints, flts, idxOff, segOff } = this;
    let W = 0;
    if (this.C) {
      const cls = this.clsNode;
      cls.fill(0);
      for (let j = s; j < e; j++) {
        W += flts[segOff + 2 * j];
        cls[flts[segOff + 2 * j + 1]] += flts[segOff + 2 * j];
      }
      this.tW = W;
      return classImpurity(this.crit, cls, this.C, W);
    }
    const yOff = this.yOff;
    let S = 0;
    let Q = 0;
    for (let j = s; j < e; j++) {
      W += flts[segOff + 2 * j];
      S += flts[segOff + 2 * j + 1];
      Q += flts[segOff + 2 * j + 1] * flts[yOff + ints[idxOff + j]];
    }
    this.tW = W;
    this.tS = S;
    const mean = S / W;
    return Q / W - mean * mean;
  }

  /**
   * Weighted totals of the node's rows, read from the list at offset `rows` of `ints`; returns the node impurity
   * (variance, Gini or entropy).
   */
  private nodeStats(rows: number, s: number, e: number): number {
    const { ints, flts } = this;
    let W = 0;
    if (this.C) {
      const cls = this.clsNode;
      cls.fill(0);
      for (let k = rows + s; k < rows + e; k++) {
        const r = ints[k];
        W += flts[2 * r];
        cls[flts[2 * r + 1]] += flts[2 * r];
      }
      this.tW = W;
      return classImpurity(this.crit, cls, this.C, W);
    }
    const yOff = this.yOff;
    let S = 0;
    let Q = 0;
    for (let k = rows + s; k < rows + e; k++) {
      const r = ints[k];
      W += flts[2 * r];
      S += flts[2 * r + 1];
      Q += flts[2 * r + 1] * flts[yOff + r];
    }
    this.tW = W;
    this.tS = S;
    const mean = S / W;
    return Q / W - mean * mean;
  }

  /** Record the best split of `node` as node `id`, partition its rows; returns the left child (this.right: the right). */
  private split(node: StackEntry, id: number): StackEntry {
    const f = this.bestFeature;
    const { s, e, depth } = node;
    this.nodeFeature.push(f);
    this.nodeLeft.push(-1);
    this.nodeRight.push(-1);
    // Known constants for the children: the parent's plus those found here.
    let constant = node.constant;
    if (this.foundConstant.length) {
      constant = constant ? constant.slice() : new Uint8Array(this.d);
      for (const c of this.foundConstant) constant[c] = 1;
    }
    const child = (cs: number, ce: number, isLeft: boolean, rows: number, lists: number): StackEntry => ({
      s: cs,
      e: ce,
      depth: depth + 1,
      parent: id,
      isLeft,
      parentFeature: f,
      rows,
      lists,
      hist: null,
      constant,
    });
    if (node.lists < 0) {
      const mid = this.partitionIdx(s, e, f);
      const left = child(s, mid, true, this.idxOff, -1);
      const right = child(mid, e, false, this.idxOff, -1);
      if (this.subtraction) this.childHists(node, left, right);
      this.right = right;
      return left;
    }
    const at = node.lists + f * this.n + s + this.bestAt;
    this.nodeValue.push(thresholdBetween(this.x(f, this.ints[at]), this.x(f, this.ints[at + 1])));
    const mid = s + this.bestAt + 1;
    let lists = node.lists;
    if (!(this.leafBound(mid - s, depth + 1) && this.leafBound(e - mid, depth + 1))) {
      lists = this.n * this.d - lists;
      this.partitionLists(node.lists, lists, s, mid, e, f, constant);
    }
    // The split feature's list holds each child's rows whether or not the others were partitioned.
    this.right = child(mid, e, false, lists + f * this.n, lists);
    return child(s, mid, true, lists + f * this.n, lists);
  }

  private x(f: number, row: number): number {
    return this.flts[this.xOff + f * this.n + row];
  }

  /**
   * Partition idx[s, e) of a histogram node by its best split (bin codes ≤ bestAt, or x ≤ bestThreshold); records the
   * threshold; returns the first index of the right child.
   */
  private partitionIdx(s: number, e: number, f: number): number {
    const bin = this.bestKind === 'bin';
    this.nodeValue.push(bin ? this.edges[f * MAX_BINS + this.bestAt] : this.bestThreshold);
    const { ints, codes, flts, idxOff, segOff } = this;
    const col = f * this.n;
    const xb = this.xOff + col;
    const at = this.bestAt;
    const t = this.bestThreshold;
    let i = s;
    let j = e - 1;
    while (i <= j) {
      const r = ints[idxOff + i];
      if (bin ? codes[col + r] <= at : flts[xb + r] <= t) i++;
      else {
        // Swap rows i and j, with their weights.
        ints[idxOff + i] = ints[idxOff + j];
        ints[idxOff + j] = r;
        const w = flts[segOff + 2 * i];
        const v = flts[segOff + 2 * i + 1];
        flts[segOff + 2 * i] = flts[segOff + 2 * j];
        flts[segOff + 2 * i + 1] = flts[segOff + 2 * j + 1];
        flts[segOff + 2 * j] = w;
        flts[segOff + 2 * j + 1] = v;
        j--;
      }
    }
    return i;
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
      if (this.searchFeature(node, f)) this.foundConstant.push(f);
      else nonConstant = true;
    }
  }

  /** Search feature f in the node by the node's method; returns true when f is constant in the node. */
  private searchFeature(node: StackEntry, f: number): boolean {
    if (node.lists >= 0) {
      const list = node.lists + f * this.n;
      return this.C ? this.scanClassification(list, f, node.s, node.e) : this.scanRegression(list, f, node.s, node.e);
    }
    let h = node.hist;
    let base = f * this.stride;
    if (!h) {
      h = this.featHist;
      base = 0;
      this.buildHist(h, 0, f, node.s, node.e);
    }
    const cnt = node.e - node.s;
    const occupied = this.C ? this.scanHistCls(h, base, f, cnt) : this.scanHistReg(h, base, f, cnt);
    // All the node's rows in one bin that holds several values: sort them (rare: a large node, a narrow range).
    if (occupied === -1) return this.exactInIdx(f, node.s, node.e);
    return occupied <= 1;
  }

  /** Give the children their histograms: build the smaller child's, subtract it from the parent's for the other. */
  private childHists(parent: StackEntry, left: StackEntry, right: StackEntry): void {
    const ph = parent.hist;
    const nl = left.e - left.s;
    const nr = right.e - right.s;
    const small = nl <= nr ? left : right;
    const large = nl <= nr ? right : left;
    const needSmall = this.needsHist(small.e - small.s, small.depth);
    const needLarge = this.needsHist(large.e - large.s, large.depth);
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

  /** Histograms of every feature for idx[s, e). */
  private buildAllHist(h: Float64Array, s: number, e: number): void {
    for (let f = 0; f < this.d; f++) this.buildHist(h, f * this.stride, f, s, e);
  }

  private buildHist(h: Float64Array, base: number, f: number, s: number, e: number): void {
    const { ints, flts, codes, F, idxOff, segOff } = this;
    const col = f * this.n;
    h.fill(0, base, base + this.nBins[f] * F);
    if (this.C) {
      const cf = this.countField ? this.C : -1;
      for (let j = s; j < e; j++) {
        const b = base + codes[col + ints[idxOff + j]] * F;
        h[b + flts[segOff + 2 * j + 1]] += flts[segOff + 2 * j];
        if (cf >= 0) h[b + cf] += 1;
      }
    } else if (this.countField) {
      for (let j = s; j < e; j++) {
        const b = base + codes[col + ints[idxOff + j]] * 3;
        h[b] += flts[segOff + 2 * j];
        h[b + 1] += flts[segOff + 2 * j + 1];
        h[b + 2] += 1;
      }
    } else {
      for (let j = s; j < e; j++) {
        const b = base + codes[col + ints[idxOff + j]] * 2;
        h[b] += flts[segOff + 2 * j];
        h[b + 1] += flts[segOff + 2 * j + 1];
      }
    }
  }

  /** parent ← parent − child, for every feature's used bins. */
  private subtractHist(parent: Float64Array, child: Float64Array): void {
    for (let f = 0; f < this.d; f++) {
      const base = f * this.stride;
      const end = base + this.nBins[f] * this.F;
      for (let k = base; k < end; k++) parent[k] -= child[k];
    }
  }

  /**
   * Scan a regression histogram; returns the number of occupied bins (≤ 1 means constant), or −1 when all rows fall
   * in one bin that holds several distinct values (the caller searches that feature exactly).
   */
  private scanHistReg(h: Float64Array, base: number, f: number, cnt: number): number {
    const nb = this.nBins[f];
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
    if (occupied === 1 && !this.single[f * MAX_BINS + lastOcc]) return -1;
    if (bestBin >= 0) this.takeBinned(h, base, f, bestBin, best);
    return occupied;
  }

  private scanHistCls(h: Float64Array, base: number, f: number, cnt: number): number {
    const nb = this.nBins[f];
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
    if (occupied === 1 && !this.single[f * MAX_BINS + lastOcc]) return -1;
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
    this.bestProxy = proxy;
    this.bestFeature = f;
    this.bestKind = 'bin';
    this.bestAt = (bin + next - 1) >> 1;
  }

  /**
   * Exact search of feature f over idx[s, e) of a histogram node whose rows all fall in one multi-valued bin: sort
   * their values (with their rows) and scan; returns true when f is constant in the node.
   */
  private exactInIdx(f: number, s: number, e: number): boolean {
    const { vals, perm, ints, idxOff } = this;
    const m = e - s;
    for (let q = 0; q < m; q++) {
      perm[q] = ints[idxOff + s + q];
      vals[q] = this.x(f, perm[q]);
    }
    sortPairs(vals, perm, m, this.sortStack);
    if (vals[m - 1] <= vals[0]) return true;
    const p = this.scanSorted(f, m);
    if (p >= 0) {
      this.bestKind = 'threshold';
      this.bestThreshold = thresholdBetween(vals[p], vals[p + 1]);
    }
    return false;
  }

  /** The exact scan over perm/vals[0, m) (exactInIdx): sets best* and returns the cut's position, or −1 (no better cut). */
  private scanSorted(f: number, m: number): number {
    const { vals, perm, flts, minLeaf, C, crit, clsNode, clsL } = this;
    const W = this.tW;
    let best = this.bestProxy;
    let bestP = -1;
    let wL = 0;
    let sL = 0;
    if (C) clsL.fill(0);
    for (let p = 0; p < m - 1; p++) {
      const r = perm[p];
      wL += flts[2 * r];
      if (C) clsL[flts[2 * r + 1]] += flts[2 * r];
      else sL += flts[2 * r + 1];
      if (vals[p + 1] <= vals[p]) continue;
      if (p + 1 < minLeaf) continue;
      if (m - p - 1 < minLeaf) break;
      const sR = this.tS - sL;
      const proxy = C ? classProxy(crit, clsL, clsNode, C, wL, W - wL) : (sL * sL) / wL + (sR * sR) / (W - wL);
      if (proxy > best) {
        best = proxy;
        bestP = p;
      }
    }
    if (bestP >= 0) {
      this.bestProxy = best;
      this.bestFeature = f;
    }
    return bestP;
  }

  /**
   * Scan feature f's sorted segment (its list at `list`) for the best MSE split; returns true when f is constant in
   * the node. A cut after position k is scored sL²/wL + sR²/wR (larger is better); the comparison with the best so
   * far is multiplied out so that the two divisions are only done for a new best (a division takes several times a
   * multiplication's time).
   */
  private scanRegression(list: number, f: number, s: number, e: number): boolean {
    const { ints, flts, minLeaf } = this;
    const xb = this.xOff + f * this.n;
    const end = list + e - 1;
    let k = list + s;
    let r = ints[k];
    let cur = flts[xb + r];
    if (flts[xb + ints[end]] <= cur) return true;
    const W = this.tW;
    const S = this.tS;
    let best = this.bestProxy;
    let bestK = -1;
    let wL = 0;
    let sL = 0;
    // min_samples_leaf: a cut after position k leaves enough rows on the left from k = first on, and on the right
    // before k = stop.
    for (const first = k + minLeaf - 1; k < first; k++) {
      wL += flts[2 * r];
      sL += flts[2 * r + 1];
      r = ints[k + 1];
    }
    cur = flts[xb + r];
    // `| 0` and `<<` keep index arithmetic in int32 without overflow checks (V8 adds one per `+` otherwise).
    for (const stop = end - minLeaf + 1; k < stop; k++) {
      const i = r << 1;
      wL += flts[i];
      sL += flts[i | 1];
      r = ints[(k + 1) | 0];
      const next = flts[(xb + r) | 0];
      if (next <= cur) continue;
      cur = next;
      const wR = W - wL;
      const sR = S - sL;
      if (sL * sL * wR + sR * sR * wL > best * wL * wR) {
        best = (sL * sL) / wL + (sR * sR) / wR;
        bestK = k;
      }
    }
    if (bestK >= 0) this.takeListCut(f, bestK - list - s, best);
    return false;
  }

  /** As scanRegression, for Gini or entropy. */
  private scanClassification(list: number, f: number, s: number, e: number): boolean {
    const { ints, flts, minLeaf, C, crit, clsNode, clsL } = this;
    const xb = this.xOff + f * this.n;
    let cur = flts[xb + ints[list + s]];
    if (flts[xb + ints[list + e - 1]] <= cur) return true;
    const W = this.tW;
    const cnt = e - s;
    let best = this.bestProxy;
    let bestK = -1;
    let wL = 0;
    clsL.fill(0);
    for (let k = list + s, end = list + e - 1; k < end; k++) {
      const r = ints[k];
      wL += flts[2 * r];
      clsL[flts[2 * r + 1]] += flts[2 * r];
      const next = flts[xb + ints[k + 1]];
      if (next <= cur) continue;
      cur = next;
      const nL = k + 1 - list - s;
      if (nL < minLeaf) continue;
      if (cnt - nL < minLeaf) break;
      const proxy = classProxy(crit, clsL, clsNode, C, wL, W - wL);
      if (proxy > best) {
        best = proxy;
        bestK = k;
      }
    }
    if (bestK >= 0) this.takeListCut(f, bestK - list - s, best);
    return false;
  }

  /** Record a cut of feature f after position p of the node's sorted segment (split() computes the threshold). */
  private takeListCut(f: number, p: number, proxy: number): void {
    this.bestProxy = proxy;
    this.bestFeature = f;
    this.bestKind = 'list';
    this.bestAt = p;
  }

  /**
   * Split the node [s, e) into [s, mid) and [mid, e): every feature's segment is read from the buffer at `src` and
   * written to the one at `dst`, the left child's rows (the first ones of the split feature's segment) first, each
   * side in the order it had, so the children's segments stay sorted. Branch-free: the side of a row is a coin flip
   * that a branch would guess wrong half the time; the destination index is selected arithmetically instead.
   * Features known to be constant in the children are skipped (never scanned again; node totals are read from the
   * split feature's list).
   */
  private partitionLists(src: number, dst: number, s: number, mid: number, e: number, f: number, constant: Uint8Array | null): void {
    const { n, d, ints, markOff } = this;
    for (let k = src + f * n + s, end = src + f * n + mid; k < end; k++) ints[markOff + ints[k]] = 1;
    for (let k = src + f * n + mid, end = src + f * n + e; k < end; k++) ints[markOff + ints[k]] = 0;
    for (let g = 0; g < d; g++) {
      if (constant && constant[g]) continue;
      let l = dst + g * n + s;
      let r = dst + g * n + mid;
      for (let k = src + g * n + s, end = src + g * n + e; k < end; k++) {
        const row = ints[k];
        const left = ints[(markOff + row) | 0];
        ints[(r + ((l - r) & -left)) | 0] = row;
        l = (l + left) | 0;
        r = (r + 1 - left) | 0;
      }
    }
  }

  /** Renumber breadth-first and normalize the importances. */
  private finish(): BuiltTree {
    const rootW = this.rootW;
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

/** Gini (crit 1) or entropy in bits (crit 2) of class totals cls summing to W. */
function classImpurity(crit: number, cls: Float64Array, C: number, W: number): number {
  let imp = 0;
  if (crit === 1) {
    let sq = 0;
    for (let c = 0; c < C; c++) sq += cls[c] * cls[c];
    return 1 - sq / (W * W);
  }
  for (let c = 0; c < C; c++) {
    if (cls[c] > 0) {
      const p = cls[c] / W;
      imp -= p * Math.log2(p);
    }
  }
  return imp;
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

/**
 * Sort vals[0..m) ascending, moving perm along (quicksort, median of three, insertion sort below 16). Equal values
 * end up in an order that depends only on the input.
 */
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
