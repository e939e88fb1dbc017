/**
 * Building a batch of trees from the forest's shared data: used by the worker-thread job (jobs.ts) and by the
 * in-thread mode (workers: 0). The data arrive as SharedArrayBuffers, so a job message copies nothing but the
 * small bin tables, and the trees go back as transferred typed arrays.
 */
import { Rng } from '../../util/random';
import { binFeature, binScratch, type Bins, MAX_BINS } from './binning';
import { type BuiltTree, LIST_ROWS, LISTS_ONLY_MAX, sortedOrder, type TreeConfig, type TreeData, TreeBuilder } from './tree';

export const TREES_JOB = 'forest:trees';
export const FEATURES_JOB = 'forest:features';

/**
 * Prepare some features of the shared raw data: sort them (their rows' order into the shared order matrix) and,
 * for a forest with histogram levels (tree.ts, LISTS_ONLY_MAX), bin them (their codes into the shared code matrix).
 * Throws on a non-finite value.
 */
export interface FeaturesJob {
  n: number;
  d: number;
  x: SharedArrayBuffer;
  codes: SharedArrayBuffer;
  order: SharedArrayBuffer;
  features: number[];
  bin: boolean;
}

export interface FeaturesResult {
  features: number[];
  nBins: Int32Array;
  /** features.length × MAX_BINS */
  edges: Float64Array;
  single: Uint8Array;
}

export function prepareFeatures(job: FeaturesJob): FeaturesResult {
  const { n, d, features } = job;
  const x = new Float64Array(job.x);
  const codes = new Uint8Array(job.codes);
  const order = new Int32Array(job.order);
  const bins: Bins = { nBins: new Int32Array(d), edges: new Float64Array(d * MAX_BINS), single: new Uint8Array(d * MAX_BINS) };
  const scratch = binScratch(n);
  const k = features.length;
  const out: FeaturesResult = { features, nBins: new Int32Array(k), edges: new Float64Array(k * MAX_BINS), single: new Uint8Array(k * MAX_BINS) };
  features.forEach((f, j) => {
    if (job.bin) binFeature(x.subarray(f * n, f * n + n), f, n, codes, bins, scratch);
    sortedOrder(x, n, f, order, scratch.sorted);
    out.nBins[j] = bins.nBins[f];
    out.edges.set(bins.edges.subarray(f * MAX_BINS, (f + 1) * MAX_BINS), j * MAX_BINS);
    out.single.set(bins.single.subarray(f * MAX_BINS, (f + 1) * MAX_BINS), j * MAX_BINS);
  });
  return out;
}

/** The bins of all features from the workers' parts. */
export function mergeBins(d: number, parts: FeaturesResult[]): Bins {
  const bins: Bins = { nBins: new Int32Array(d), edges: new Float64Array(d * MAX_BINS), single: new Uint8Array(d * MAX_BINS) };
  for (const p of parts) {
    p.features.forEach((f, j) => {
      bins.nBins[f] = p.nBins[j];
      bins.edges.set(p.edges.subarray(j * MAX_BINS, (j + 1) * MAX_BINS), f * MAX_BINS);
      bins.single.set(p.single.subarray(j * MAX_BINS, (j + 1) * MAX_BINS), f * MAX_BINS);
    });
  }
  return bins;
}

/** TreeData with its big arrays on SharedArrayBuffers, as posted to workers. */
export interface SharedTreeData extends Bins {
  n: number;
  d: number;
  x: SharedArrayBuffer;
  codes: SharedArrayBuffer;
  order: SharedArrayBuffer;
  y: SharedArrayBuffer;
}

export interface TreesJob {
  /** Which forest (unique in the process that trains): a thread keeps its builder for the forest's next jobs. */
  forest: number;
  data: SharedTreeData;
  cfg: TreeConfig;
  /** Indices of the trees to build (each tree's randomness depends on its index only). */
  trees: number[];
}

export interface TreesResult {
  trees: (BuiltTree & { index: number })[];
}

/** Views on the shared arrays (no copy); TreeBuilder copies what its loops read. */
export function treeData(s: SharedTreeData): TreeData {
  return { n: s.n, d: s.d, x: new Float64Array(s.x), codes: new Uint8Array(s.codes), order: new Int32Array(s.order), y: new Float64Array(s.y), nBins: s.nBins, edges: s.edges, single: s.single };
}

/**
 * The builder of the forest this thread built trees for last. Why keep it: a builder copies the data and allocates
 * its lists (about 45 MB at 100,000 × 20), and a forest comes in about 16 jobs (several per worker, so that the
 * cores stay busy to the end); making one per job more than doubled the peak memory and cost ~1.6× the time.
 */
let last: { forest: number; builder: TreeBuilder } | undefined;

/** Build the job's trees in order; `onTree` is called after each one. */
export function buildTrees(job: TreesJob, onTree?: (index: number) => void): TreesResult {
  if (last?.forest !== job.forest) last = { forest: job.forest, builder: treeBuilder(job.data, job.cfg) };
  const builder = last.builder;
  const trees: TreesResult['trees'] = [];
  for (const index of job.trees) {
    trees.push({ index, ...builder.build(index) });
    onTree?.(index);
  }
  return { trees };
}

/** Criteria (and whether with histogram levels) whose code this thread has already run on warm-up data. */
const warmed = new Set<string>();

/**
 * A tree builder for the shared data, after building a few trees on made-up rows with the same settings once per
 * thread, criterion and method. Why: V8 compiles a long-running loop while it runs (on-stack replacement) with the
 * type feedback gathered so far; code after the loop that had not run yet has none, so the compiled code bails out
 * there ("insufficient type feedback"), and in Node 20 it can keep being entered and bailing out on every later call
 * (seen as hundreds of deoptimizations of the split scan per forest, a forest taking up to ~30 % longer, at random).
 * On small data every path (histogram levels too, when this forest has them) runs end to end in the interpreter
 * first, so the compiled code is complete.
 */
export function treeBuilder(data: SharedTreeData, cfg: TreeConfig): TreeBuilder {
  const hist = data.n * data.d > LISTS_ONLY_MAX;
  const key = `${cfg.criterion} ${hist}`;
  if (!warmed.has(key)) {
    warmed.add(key);
    const warmCfg = { ...cfg, nClasses: Math.max(2, cfg.nClasses), maxFeatures: Math.min(cfg.maxFeatures, 3), minSamplesSplit: Math.min(cfg.minSamplesSplit, 4), minSamplesLeaf: Math.min(cfg.minSamplesLeaf, 2) };
    const builder = new TreeBuilder(treeData(warmUpData(cfg, hist ? 3 * LIST_ROWS : 64)), warmCfg, hist ? 0 : LISTS_ONLY_MAX);
    for (let t = 0; t < 3; t++) builder.build(t);
  }
  return new TreeBuilder(treeData(data), cfg);
}

/** n made-up rows (enough for a root searched with histograms: 3 × LIST_ROWS): two continuous features, a 40-valued one. */
function warmUpData(cfg: TreeConfig, n: number): SharedTreeData {
  const d = 3;
  const rng = new Rng(1);
  const nClasses = Math.max(2, cfg.nClasses);
  const xs = new SharedArrayBuffer(n * d * 8);
  const codes = new SharedArrayBuffer(n * d);
  const order = new SharedArrayBuffer(n * d * 4);
  const ys = new SharedArrayBuffer(n * 8);
  const x = new Float64Array(xs);
  const y = new Float64Array(ys);
  for (let i = 0; i < n * d; i++) x[i] = i >= n && i < 2 * n ? rng.int(0, 40) : rng.next();
  for (let i = 0; i < n; i++) y[i] = cfg.classification ? Math.min(nClasses - 1, Math.floor(x[i] * nClasses)) : x[i] + x[n + i] / 40 + rng.next();
  const bins = mergeBins(d, [prepareFeatures({ n, d, x: xs, codes, order, features: [0, 1, 2], bin: true })]);
  return { n, d, x: xs, codes, order, y: ys, ...bins };
}
