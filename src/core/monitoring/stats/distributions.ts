/**
 * Special functions for p-values: log-gamma, the regularized incomplete gamma functions, the chi-square survival
 * function and the standard normal CDF / survival function. Written here (no dependency) and checked against
 * scipy (`scipy.special.gammaln`, `gammaincc`, `stats.chi2.sf`, `stats.norm.sf`) in test/unit/drift-stats.test.ts;
 * relative accuracy is ~1e-14 or better over the ranges the drift tests use.
 *
 * (simple-statistics' cumulativeStdNormalProbability is a 2-decimal lookup table and must not be used for p-values.)
 */

// Lanczos approximation, g = 671/128, 14 terms (Numerical Recipes, 3rd ed., §6.1): ~1e-15 relative for x > 0.
const LANCZOS = [
  57.15623566586292, -59.59796035547549, 14.136097974741746, -0.4919138160976202, 3.399464998481189e-5,
  4.652362892704858e-5, -9.837447530487956e-5, 1.580887032249125e-4, -2.1026444172410488e-4,
  2.1743961811521265e-4, -1.643181065367639e-4, 8.441822398385275e-5, -2.6190838401581408e-5,
  3.6899182659531625e-6,
];

/** ln Γ(x) for x > 0. */
export function logGamma(x: number): number {
  if (!(x > 0)) return x === 0 ? Infinity : NaN;
  if (x < 0.5) {
    // Reflection keeps the relative accuracy for tiny x: Γ(x) = Γ(x + 1) / x.
    return logGamma(x + 1) - Math.log(x);
  }
  let y = x;
  let tmp = x + 5.2421875;
  tmp = (x + 0.5) * Math.log(tmp) - tmp;
  let ser = 0.9999999999999971;
  for (let j = 0; j < LANCZOS.length; j++) ser += LANCZOS[j] / ++y;
  return tmp + Math.log((2.5066282746310007 * ser) / x);
}

const EPS = 2.220446049250313e-16;
const TINY = 1e-300;

/** Series for P(a, x), converges fast for x < a + 1. */
function gammaPSeries(a: number, x: number): number {
  let ap = a;
  let sum = 1 / a;
  let del = sum;
  for (let n = 0; n < 100_000; n++) {
    ap += 1;
    del *= x / ap;
    sum += del;
    if (Math.abs(del) < Math.abs(sum) * EPS) break;
  }
  return sum * Math.exp(-x + a * Math.log(x) - logGamma(a));
}

/** Continued fraction (modified Lentz) for Q(a, x), converges fast for x ≥ a + 1. */
function gammaQContinuedFraction(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 100_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) break;
  }
  return Math.exp(-x + a * Math.log(x) - logGamma(a)) * h;
}

/** Regularized lower incomplete gamma P(a, x) (= scipy.special.gammainc). */
export function gammaP(a: number, x: number): number {
  if (Number.isNaN(a) || Number.isNaN(x) || a <= 0 || x < 0) return NaN;
  if (x === 0) return 0;
  if (x === Infinity) return 1;
  return x < a + 1 ? gammaPSeries(a, x) : 1 - gammaQContinuedFraction(a, x);
}

/** Regularized upper incomplete gamma Q(a, x) = 1 − P(a, x) (= scipy.special.gammaincc), accurate in the tail. */
export function gammaQ(a: number, x: number): number {
  if (Number.isNaN(a) || Number.isNaN(x) || a <= 0 || x < 0) return NaN;
  if (x === 0) return 1;
  if (x === Infinity) return 0;
  return x < a + 1 ? 1 - gammaPSeries(a, x) : gammaQContinuedFraction(a, x);
}

/** Chi-square survival function P(X ≥ x), X ~ χ²(df) (= scipy.stats.chi2.sf). */
export function chiSquareSf(x: number, df: number): number {
  if (Number.isNaN(x) || !(df > 0)) return NaN;
  if (x <= 0) return 1;
  return gammaQ(df / 2, x / 2);
}

/** Chi-square CDF P(X ≤ x). */
export function chiSquareCdf(x: number, df: number): number {
  if (Number.isNaN(x) || !(df > 0)) return NaN;
  if (x <= 0) return 0;
  return gammaP(df / 2, x / 2);
}

/** erfc(x) for any x, via erfc(x) = Q(1/2, x²) for x ≥ 0 (full relative accuracy in the upper tail). */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x === 0) return 1;
  return gammaQ(0.5, x * x);
}

/** Standard normal survival function 1 − Φ(z), accurate for large z (no cancellation). */
export function normalSf(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/** Standard normal CDF Φ(z) (= scipy.stats.norm.cdf). */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}
