/**
 * Evidently's `z` drift test (z_stattest.py): two-sample Z-test for proportions. The first value of the sorted
 * union of categories counts as 0, every other value as 1; p1, p2 are the shares of 1s, P the pooled share;
 * z = (p1 − p2) / √(P(1 − P)(1/n1 + 1/n2)), two-sided p = 2·(1 − Φ(|z|)). If both samples are the same single
 * constant, p = 1.
 * Difference: p is computed as 2·Φc(|z|) (no cancellation), so it stays accurate for |z| > 8.3 where Evidently's
 * 2·(1 − Φ(|z|)) rounds to 0; otherwise the two differ by ~1e-16 in absolute terms (Evidently's rounding).
 */
import { type Counts, sortKeys } from './counts';
import { normalSf } from './distributions';

export interface ZTestResult {
  statistic: number;
  pValue: number;
}

/** Two-sample Z-test for proportions from success counts. */
export function zTestProportions(x1: number, n1: number, x2: number, n2: number): ZTestResult {
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  const P = (p1 * n1 + p2 * n2) / (n1 + n2);
  const z = (p1 - p2) / Math.sqrt(P * (1 - P) * (1.0 / n1 + 1.0 / n2));
  if (Number.isNaN(z)) return { statistic: 0, pValue: 1 }; // P(1 − P) = 0 and p1 = p2: no difference
  return { statistic: z, pValue: Math.min(1, 2 * normalSf(Math.abs(z))) };
}

export function zTestEvidently(reference: Counts, current: Counts, nRef: number, nCur: number): ZTestResult {
  if (reference.size === 1 && current.size === 1 && [...reference.keys()][0] === [...current.keys()][0]) {
    return { statistic: 0, pValue: 1 };
  }
  const first = sortKeys(new Set([...reference.keys(), ...current.keys()]))[0];
  return zTestProportions(nRef - (reference.get(first) ?? 0), nRef, nCur - (current.get(first) ?? 0), nCur);
}
