/**
 * First Wasserstein (earth mover's) distance between two 1-D samples, as scipy.stats.wasserstein_distance
 * (`_cdf_distance` with p = 1: Σ |F_u − F_v| · Δx over the pooled sorted values), computed by one merge walk over
 * the two sorted samples with a compensated sum; and Evidently's normed variant
 * (`wasserstein_distance_norm.py`): W1 / std(reference), std with ddof = 0.
 *
 * Differences from Evidently, both for robustness (issue 18):
 *  - values near ±1.8e308 or below 1e-120 are scaled by a power of two (exact) before the distance and the standard
 *    deviation are computed, so neither overflows (numpy's std gives inf or NaN there, and the score NaN);
 *  - Evidently divides by max(std, 0.001), an absolute floor that makes any column measured in small units
 *    (std < 0.001, e.g. capacitances in farads) never drift; here the floor applies only to a constant reference
 *    (std 0), where W1 / 0.001 is Evidently's number. The score is capped at Number.MAX_VALUE.
 */
import { populationStd, safeScale, sortFloat64, Sum } from './samples';

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

/** Evidently's normed Wasserstein distance (see above); `reference` and `current` ascending-sorted and finite. */
export function normedWassersteinSorted(reference: Float64Array, current: Float64Array): NormedWasserstein {
  const big = Math.max(Math.abs(reference[0]), Math.abs(reference[reference.length - 1]), Math.abs(current[0]), Math.abs(current[current.length - 1]));
  const k = safeScale(big);
  const r = k === 1 ? reference : reference.map((v) => v * k);
  const c = k === 1 ? current : current.map((v) => v * k);
  const d = wassersteinDistanceSorted(r, c);
  const sd = populationStd(r);
  const normed = sd > 0 ? d / sd : d === 0 ? 0 : d / (0.001 * k);
  const cap = (v: number) => Math.min(v, Number.MAX_VALUE);
  return { normed: cap(normed), distance: cap(d / k), referenceStd: sd / k };
}
