/**
 * Gross outliers: values so far from the bulk of the reference that they can only be data errors or a different
 * unit (a `1e200` among readings around 25). Such a value dominates every magnitude-based statistic — it inflates
 * the reference standard deviation that normalises the Wasserstein distance (one 1e200 in 5,000 rows made a 5σ
 * shift score 1e-198), and it stretches equal-width bins (Jensen–Shannon's Sturges bins, the chart) until all
 * other values share one bin. Rank- and count-based statistics (KS, PSI on reference quantiles, chi-square, Z) are
 * not affected and use the raw values.
 *
 * The fence is Tukey's, far out: [Q1 − 20·IQR, Q3 + 20·IQR] of the reference (for a normal distribution ±27σ, which
 * real readings do not reach; for a log-normal with σ = 1 about 1 value in 3,000 lies beyond it). When the IQR is 0
 * (three quarters of the reference share one value), the 1 %–99 % range takes its place; when that is 0 too, there
 * is no fence. Values beyond the fence are clipped to it (winsorised), on both sides with the reference's fence —
 * clipping never moves two samples apart (it is a contraction), so it cannot create drift, and a batch that moved
 * far beyond the fence still lies at the fence, far from the reference. Nothing changes when no value is beyond it,
 * so ordinary data keep Evidently's numbers. Written here because no statistics package in use has it.
 */
import { quantileSorted } from './samples';

export const OUTLIER_FENCE_IQR = 20;

export interface OutlierFence {
  lower: number;
  upper: number;
}

/** The gross-outlier fence of an ascending-sorted finite reference, or null when there is none. */
export function outlierFence(reference: Float64Array): OutlierFence | null {
  if (reference.length < 2) return null;
  for (const [lo, hi] of [
    [0.25, 0.75],
    [0.01, 0.99],
  ]) {
    const a = quantileSorted(reference, lo);
    const b = quantileSorted(reference, hi);
    const spread = b - a;
    if (!Number.isFinite(spread)) return null; // the bulk itself spans the whole double range: nothing is an outlier
    if (spread > 0) {
      const lower = Math.max(a - OUTLIER_FENCE_IQR * spread, -Number.MAX_VALUE);
      const upper = Math.min(b + OUTLIER_FENCE_IQR * spread, Number.MAX_VALUE);
      return { lower, upper };
    }
  }
  return null;
}

/** An ascending-sorted array clipped to the fence (the same array when nothing is beyond it) and how many moved. */
export function clipSorted(sorted: Float64Array, fence: OutlierFence | null): { values: Float64Array; clipped: number } {
  const n = sorted.length;
  if (!fence || n === 0 || (sorted[0] >= fence.lower && sorted[n - 1] <= fence.upper)) return { values: sorted, clipped: 0 };
  const out = Float64Array.from(sorted);
  let clipped = 0;
  for (let i = 0; i < n; i++) {
    if (out[i] < fence.lower) {
      out[i] = fence.lower;
      clipped++;
    } else if (out[i] > fence.upper) {
      out[i] = fence.upper;
      clipped++;
    }
  }
  return { values: out, clipped };
}
