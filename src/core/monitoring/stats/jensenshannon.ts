/**
 * Jensen–Shannon distance as scipy.spatial.distance.jensenshannon (inputs renormalised to sum 1, natural log by
 * default, so the range is [0, √ln2 ≈ 0.8326]), and Evidently's `jensenshannon` drift score: the distance between
 * the binned reference and current shares (`get_binned_data(..., feel_zeroes=False)`): numerical columns with more
 * than 20 distinct reference values are binned with numpy's Sturges edges over reference ∪ current, everything else
 * gets one bin per distinct value of reference ∪ current.
 */
import { type CategoryKey, type Counts, sortKeys, valueCounts } from './counts';
import { equalWidthEdges, histogramSorted } from './histogram';
import { countDistinct } from './samples';

function relEntr(x: number, y: number): number {
  if (x > 0 && y > 0) return x * Math.log(x / y);
  if (x === 0 && y >= 0) return 0;
  return Infinity;
}

/** scipy.spatial.distance.jensenshannon(p, q, base). */
export function jensenShannonDistance(p: ArrayLike<number>, q: ArrayLike<number>, base?: number): number {
  if (p.length !== q.length) throw new RangeError('jensenShannonDistance: p and q must have the same length');
  let sp = 0;
  let sq = 0;
  for (let i = 0; i < p.length; i++) {
    sp += p[i];
    sq += q[i];
  }
  let left = 0;
  let right = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i] / sp;
    const qi = q[i] / sq;
    const m = (pi + qi) / 2.0;
    left += relEntr(pi, m);
    right += relEntr(qi, m);
  }
  let js = left + right;
  if (base !== undefined) js /= Math.log(base);
  return Math.sqrt(js / 2.0);
}

export interface BinnedShares {
  /** Bin edges (numeric Sturges bins) — absent for per-value bins. */
  edges?: number[];
  /** Bin keys (per-value bins) — absent for numeric Sturges bins. */
  keys?: CategoryKey[];
  reference: number[];
  current: number[];
}

/**
 * numpy.histogram_bin_edges(reference ∪ current, bins='sturges'): equal-width edges from min to max,
 * ceil(ptp / (ptp / (log2(n) + 1))) bins.
 */
export function sturgesEdges(reference: Float64Array, current: Float64Array): number[] {
  const n = reference.length + current.length;
  const min = Math.min(reference[0], current[0]);
  const max = Math.max(reference[reference.length - 1], current[current.length - 1]);
  const ptp = max - min;
  const width = ptp / (Math.log2(n) + 1.0);
  const first = min === max ? min - 0.5 : min;
  const last = min === max ? max + 0.5 : max;
  // A range across ±1e308 overflows to Infinity: numpy's bin count is then ceil(log2(n) + 1) by its definition.
  const nBins = !Number.isFinite(ptp) ? Math.ceil(Math.log2(n) + 1.0) : width ? Math.ceil((last - first) / width) : 1;
  return equalWidthEdges(first, last, nBins);
}

/** Evidently's get_binned_data (no zero fill) for a numeric column; inputs ascending-sorted and finite. */
export function binNumericEvidently(reference: Float64Array, current: Float64Array): BinnedShares {
  if (countDistinct(reference) > 20) {
    const edges = sturgesEdges(reference, current);
    return {
      edges,
      reference: histogramSorted(reference, edges).map((c) => c / reference.length),
      current: histogramSorted(current, edges).map((c) => c / current.length),
    };
  }
  return binCountsEvidently(valueCounts(reference), valueCounts(current), reference.length, current.length);
}

/** One bin per distinct value of reference ∪ current (Evidently's categorical binning). */
export function binCountsEvidently(reference: Counts, current: Counts, nRef: number, nCur: number): BinnedShares {
  const keys = sortKeys(new Set([...reference.keys(), ...current.keys()]));
  return {
    keys,
    reference: keys.map((k) => (reference.get(k) ?? 0) / nRef),
    current: keys.map((k) => (current.get(k) ?? 0) / nCur),
  };
}
