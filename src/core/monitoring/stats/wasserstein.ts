/**
 * First Wasserstein (earth mover's) distance between two 1-D samples, as scipy.stats.wasserstein_distance
 * (`_cdf_distance` with p = 1: Σ |F_u − F_v| · Δx over the pooled sorted values), computed by one merge walk over
 * the two sorted samples with a compensated sum; and Evidently's normed variant
 * (`wasserstein_distance_norm.py`): W1 / max(std(reference), 0.001), std with ddof = 0.
 */
import { populationStd, sortFloat64, Sum } from './samples';

/** W1 between two ascending-sorted finite samples. */
export function wassersteinDistanceSorted(u: Float64Array, v: Float64Array): number {
  const nu = u.length;
  const nv = v.length;
  if (nu === 0 || nv === 0) throw new RangeError('wasserstein: both samples must be non-empty');
  let i = 0;
  let j = 0;
  const sum = new Sum();
  let prev = NaN;
  let cu = 0;
  let cv = 0;
  while (i < nu || j < nv) {
    const x = j >= nv || (i < nu && u[i] <= v[j]) ? u[i] : v[j];
    if (i > 0 || j > 0) sum.add(Math.abs(cu - cv) * (x - prev));
    while (i < nu && u[i] <= x) i++;
    while (j < nv && v[j] <= x) j++;
    cu = i / nu;
    cv = j / nv;
    prev = x;
  }
  return sum.value;
}

/** W1 between two finite samples (copies and sorts them). */
export function wassersteinDistance(u: ArrayLike<number>, v: ArrayLike<number>): number {
  return wassersteinDistanceSorted(sortFloat64(Float64Array.from(u)), sortFloat64(Float64Array.from(v)));
}

export interface NormedWasserstein {
  /** W1 / max(std(reference), 0.001): Evidently's 'wasserstein' score. */
  normed: number;
  distance: number;
  referenceStd: number;
}

/** Evidently's normed Wasserstein distance; `reference` and `current` ascending-sorted and finite. */
export function normedWassersteinSorted(reference: Float64Array, current: Float64Array): NormedWasserstein {
  const distance = wassersteinDistanceSorted(reference, current);
  const referenceStd = populationStd(reference);
  return { normed: distance / Math.max(referenceStd, 0.001), distance, referenceStd };
}
