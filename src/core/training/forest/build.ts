/**
 * Building a batch of trees from the forest's shared data: used by the worker-thread job (jobs.ts) and by the
 * in-thread mode (workers: 0). The data arrive as SharedArrayBuffers, so a job message copies nothing but the
 * small bin tables, and the trees go back as transferred typed arrays.
 */
import { binFeature, binScratch, type Bins, MAX_BINS } from './binning';
import { type BuiltTree, type TreeConfig, type TreeData, TreeBuilder } from './tree';

export const TREES_JOB = 'forest:trees';
export const BINS_JOB = 'forest:bins';

/** Bin some features of the shared raw data, writing their codes into the shared code matrix. */
export interface BinsJob {
  n: number;
  d: number;
  x: SharedArrayBuffer;
  codes: SharedArrayBuffer;
  features: number[];
}

export interface BinsResult {
  features: number[];
  nBins: Int32Array;
  /** features.length × MAX_BINS */
  edges: Float64Array;
  single: Uint8Array;
}

export function binFeatures(job: BinsJob): BinsResult {
  const { n, d, features } = job;
  const x = new Float64Array(job.x);
  const codes = new Uint8Array(job.codes);
  const bins: Bins = { nBins: new Int32Array(d), edges: new Float64Array(d * MAX_BINS), single: new Uint8Array(d * MAX_BINS) };
  const scratch = binScratch(n);
  const k = features.length;
  const out: BinsResult = { features, nBins: new Int32Array(k), edges: new Float64Array(k * MAX_BINS), single: new Uint8Array(k * MAX_BINS) };
  features.forEach((f, j) => {
    binFeature(x.subarray(f * n, f * n + n), f, n, codes, bins, scratch);
    out.nBins[j] = bins.nBins[f];
    out.edges.set(bins.edges.subarray(f * MAX_BINS, (f + 1) * MAX_BINS), j * MAX_BINS);
    out.single.set(bins.single.subarray(f * MAX_BINS, (f + 1) * MAX_BINS), j * MAX_BINS);
  });
  return out;
}

/** TreeData with its big arrays on SharedArrayBuffers, as posted to workers. */
export interface SharedTreeData {
  n: number;
  d: number;
  x: SharedArrayBuffer;
  codes: SharedArrayBuffer;
  y: SharedArrayBuffer;
  nBins: Int32Array;
  edges: Float64Array;
  single: Uint8Array;
}

export interface TreesJob {
  data: SharedTreeData;
  cfg: TreeConfig;
  /** Indices of the trees to build (each tree's randomness depends on its index only). */
  trees: number[];
}

export interface TreesResult {
  trees: (BuiltTree & { index: number })[];
}

/**
 * Views on the shared arrays (no copy). The data of a forest are always on SharedArrayBuffers, in workers and in
 * the in-thread mode alike: V8 optimizes the hot loops for one kind of backing store, and mixing shared and
 * unshared arrays at the same access sites made them ~3× slower in a test.
 */
export function treeData(s: SharedTreeData): TreeData {
  return {
    n: s.n,
    d: s.d,
    x: new Float64Array(s.x),
    codes: new Uint8Array(s.codes),
    y: new Float64Array(s.y),
    nBins: s.nBins,
    edges: s.edges,
    single: s.single,
  };
}

/** Build the job's trees in order; `onTree` is called after each one. */
export function buildTrees(job: TreesJob, onTree?: (index: number) => void): TreesResult {
  const builder = new TreeBuilder(treeData(job.data), job.cfg);
  const trees: TreesResult['trees'] = [];
  for (const index of job.trees) {
    trees.push({ index, ...builder.build(index) });
    onTree?.(index);
  }
  return { trees };
}
