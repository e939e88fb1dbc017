/**
 * Chi-square tests.
 *  - chiSquareGof: scipy.stats.chisquare(f_obs, f_exp): statistic Σ (o − e)² / e, df = k − 1 − ddof,
 *    p = χ²_sf(statistic, df). An expected count of 0 with a positive observed count gives statistic ∞ and p 0.
 *  - chiSquareEvidently: Evidently's `chisquare` drift test (chisquare_stattest.py): a goodness-of-fit test of the
 *    current counts against the reference counts scaled to the current size (f_exp = count_ref · n_cur / n_ref)
 *    over the union of categories — not the 2×K contingency test that NannyML and alibi-detect use.
 */
import { type Counts, sortKeys } from './counts';
import { chiSquareSf } from './distributions';

export interface ChiSquareResult {
  statistic: number;
  df: number;
  pValue: number;
}

export function chiSquareGof(fObs: ArrayLike<number>, fExp: ArrayLike<number>, ddof = 0): ChiSquareResult {
  if (fObs.length !== fExp.length) throw new RangeError('chiSquareGof: f_obs and f_exp must have the same length');
  let statistic = 0;
  for (let i = 0; i < fObs.length; i++) {
    const o = fObs[i];
    const e = fExp[i];
    const d = o - e;
    statistic += e === 0 ? (d === 0 ? 0 : Infinity) : (d * d) / e;
  }
  const df = fObs.length - 1 - ddof;
  // With a single category there is nothing to test (scipy returns NaN); report "no evidence of a difference".
  const pValue = df <= 0 ? 1 : statistic === Infinity ? 0 : chiSquareSf(statistic, df);
  return { statistic, df, pValue };
}

/** Evidently's chi-square drift test on category counts (NaN already removed). */
export function chiSquareEvidently(reference: Counts, current: Counts, nRef: number, nCur: number): ChiSquareResult {
  const keys = sortKeys(new Set([...reference.keys(), ...current.keys()]));
  const kNorm = nCur / nRef;
  const fExp = keys.map((k) => (reference.get(k) ?? 0) * kNorm);
  const fObs = keys.map((k) => current.get(k) ?? 0);
  return chiSquareGof(fObs, fExp);
}
