/**
 * Quantile binning, computed once per forest (the features split over the workers) and shared by every tree and
 * worker; trees search their large nodes with histograms over these bins (tree.ts).
 *
 * Each feature gets at most MAX_BINS (256) bins, so a bin code fits a uint8 and the bin matrix of 100,000 × 20
 * rows is 2 MB. A feature with ≤ 256 distinct values gets one bin per value (binned splits are then exact);
 * otherwise bins hold about equal numbers of rows (quantiles of the training column). Between bin b and b+1 the
 * edge `edges[f * MAX_BINS + b]` is a real number with  max(bin b) ≤ edge < min(bin b+1),  chosen as the
 * midpoint of those two observed values, or a float32 next to it when one fits in that gap (it nearly always
 * does), so that the model can store thresholds as float32 and a split made on bin codes during training sends
 * every training row the same way as `x <= threshold` does at prediction time.
 */
import { thresholdBetween } from './threshold';

export const MAX_BINS = 256;

export interface Bins {
  /** Number of bins per feature (1..MAX_BINS). */
  nBins: Int32Array;
  /** d × MAX_BINS: edges[f * MAX_BINS + b] separates bin b from bin b + 1 (b < nBins[f] − 1). */
  edges: Float64Array;
  /** d × MAX_BINS: 1 when bin b of feature f holds a single distinct value. */
  single: Uint8Array;
}

/**
 * Bin every column. `codes` (n × d, column-major, codes[f * n + i]) receives the bin of each value; it may live on
 * a SharedArrayBuffer. Throws on a non-finite value.
 */
export function computeBins(columns: Float64Array[], n: number, codes: Uint8Array, maxBins = MAX_BINS): Bins {
  const d = columns.length;
  const bins: Bins = { nBins: new Int32Array(d), edges: new Float64Array(d * MAX_BINS), single: new Uint8Array(d * MAX_BINS) };
  const scratch = binScratch(n);
  for (let f = 0; f < d; f++) binFeature(columns[f], f, n, codes, bins, scratch, maxBins);
  return bins;
}

export interface BinScratch {
  sorted: Float64Array;
  distinct: Float64Array;
  counts: Int32Array;
}

export function binScratch(n: number): BinScratch {
  return { sorted: new Float64Array(n), distinct: new Float64Array(n), counts: new Int32Array(n) };
}

/** Bin column `col` as feature f: fills nBins[f], its edges and single flags, and codes[f·n .. f·n + n). */
export function binFeature(col: Float64Array, f: number, n: number, codes: Uint8Array, bins: Bins, scratch: BinScratch, maxBins = MAX_BINS): void {
  const { sorted, distinct, counts } = scratch;
  const { edges, single } = bins;
  for (let i = 0; i < n; i++) {
    const v = col[i];
    if (!Number.isFinite(v)) throw new Error(`feature ${f}, row ${i}: ${v} is not a finite number`);
    sorted[i] = v;
  }
  const view = sorted.subarray(0, n);
  view.sort();
  let nd = 0;
  for (let i = 0; i < n; i++) {
    if (nd > 0 && view[i] === distinct[nd - 1]) counts[nd - 1]++;
    else {
      distinct[nd] = view[i];
      counts[nd++] = 1;
    }
  }
  const off = f * MAX_BINS;
  let nb = 0;
  if (nd <= maxBins) {
    for (let k = 0; k < nd; k++) {
      if (k < nd - 1) edges[off + k] = thresholdBetween(distinct[k], distinct[k + 1]);
      single[off + k] = 1;
    }
    nb = nd;
  } else {
    // Greedy equal-frequency bins: close the current bin when it has reached (or is closest to) the share of
    // the rows still to place per bin still available; a distinct value never straddles two bins.
    let remainingRows = n;
    let remainingBins = maxBins;
    let acc = 0;
    let values = 0;
    for (let k = 0; k < nd; k++) {
      acc += counts[k];
      values++;
      if (k === nd - 1) break;
      const target = remainingRows / remainingBins;
      const next = acc + counts[k + 1];
      if (remainingBins > 1 && (acc >= target || (next > target && next - target > target - acc))) {
        edges[off + nb] = thresholdBetween(distinct[k], distinct[k + 1]);
        single[off + nb] = values === 1 ? 1 : 0;
        nb++;
        remainingRows -= acc;
        remainingBins--;
        acc = 0;
        values = 0;
      }
    }
    single[off + nb] = values === 1 ? 1 : 0;
    nb++;
  }
  bins.nBins[f] = nb;
  // Codes by binary search over the edges: the bin of v is the first b with v <= edges[b].
  const base = f * n;
  const last = nb - 1;
  for (let i = 0; i < n; i++) {
    const v = col[i];
    let lo = 0;
    let hi = last;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (v <= edges[off + mid]) hi = mid;
      else lo = mid + 1;
    }
    codes[base + i] = lo;
  }
}
