/**
 * Two-sample Kolmogorov–Smirnov test, a port of scipy.stats.ks_2samp (scipy 1.10–1.17: same algorithms):
 *  - statistic: ECDF differences at every pooled value (ties advance both samples), by one merge walk over the two
 *    sorted samples — bit-identical to scipy's searchsorted formulation (same i/n1 − j/n2 floating-point values);
 *  - method 'auto' (scipy's default, used by Evidently): exact when max(n1, n2) ≤ 10,000, otherwise asymptotic;
 *  - exact two-sided p: `_compute_prob_outside_square` (n1 = n2) and `_compute_outer_prob_inside_method`
 *    (Hodges' lattice paths with Viehmann's 1 − p recursion); one-sided: the closed form (n1 = n2) and
 *    `_count_paths_outside_method`; the statistic is snapped to h / lcm(n1, n2) as scipy does;
 *  - asymptotic two-sided p: `kstwo.sf(D, round(n1·n2/(n1+n2)))`, the finite-n Kolmogorov distribution
 *    (`scipy/stats/_ksstats.py::_kolmogn`, Simard & L'Ecuyer 2011: Ruben–Gambino, Durbin matrix (Marsaglia–
 *    Tsang–Wang), Pomeranz, Pelz–Good, and 2·smirnov (one-sided exact, `scipy/special/cephes/kolmogorov.c`));
 *    one-sided: Hodges' eq. 5.3 approximation.
 * Differences: scipy's cephes smirnov() sums the Birnbaum–Tingey series in double-double arithmetic; here the terms
 * are summed in log space in double precision (relative error ~1e-10 for n ≤ 1e6, far inside the 1e-6 target).
 * The Durbin-matrix path multiplies in float64 where numpy partly uses long double (differences ~1e-12).
 *
 * Ported from SciPy, which carries this licence:
 *
 * Copyright (c) 2001-2002 Enthought, Inc. 2003, SciPy Developers.
 * All rights reserved.
 *
 * Redistribution and use in source and binary forms, with or without modification, are permitted provided that the
 * following conditions are met:
 * 1. Redistributions of source code must retain the above copyright notice, this list of conditions and the
 *    following disclaimer.
 * 2. Redistributions in binary form must reproduce the above copyright notice, this list of conditions and the
 *    following disclaimer in the documentation and/or other materials provided with the distribution.
 * 3. Neither the name of the copyright holder nor the names of its contributors may be used to endorse or promote
 *    products derived from this software without specific prior written permission.
 *
 * THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS" AND ANY EXPRESS OR IMPLIED WARRANTIES,
 * INCLUDING, BUT NOT LIMITED TO, THE IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
 * DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL,
 * SPECIAL, EXEMPLARY, OR CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR
 * SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER CAUSED AND ON ANY THEORY OF LIABILITY,
 * WHETHER IN CONTRACT, STRICT LIABILITY, OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE
 * USE OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
 */
import { logGamma } from './distributions';
import { sortFloat64 } from './samples';

export type KsAlternative = 'two-sided' | 'less' | 'greater';
export type KsMode = 'auto' | 'exact' | 'asymp';

export interface KsOptions {
  /** Default 'two-sided'. 'greater': D = max(F1 − F2); 'less': D = max(F2 − F1) (scipy's convention). */
  alternative?: KsAlternative;
  /** Default 'auto': exact if max(n1, n2) ≤ 10,000, else asymptotic. */
  mode?: KsMode;
  /** The inputs are already sorted ascending Float64Arrays (skips the copy and sort). */
  sorted?: boolean;
}

export interface KsResult {
  statistic: number;
  pValue: number;
  /** The p-value method actually used (an exact computation that fails falls back to 'asymp', like scipy). */
  method: 'exact' | 'asymp';
  /** Smallest pooled value at which the statistic is attained. */
  statisticLocation: number;
  /** +1 if F1 − F2 attains the statistic, −1 if F2 − F1 does. */
  statisticSign: 1 | -1;
  n1: number;
  n2: number;
}

/** scipy's MAX_AUTO_N. */
export const KS_MAX_EXACT_N = 10_000;
const INT32_MAX = 2147483647;

/**
 * ks_2samp. NaN inputs are rejected (scipy's result with NaN is meaningless; drop or count them first);
 * ±Infinity is accepted.
 */
export function ks2samp(data1: ArrayLike<number>, data2: ArrayLike<number>, options: KsOptions = {}): KsResult {
  let x: Float64Array;
  let y: Float64Array;
  if (options.sorted) {
    x = data1 instanceof Float64Array ? data1 : Float64Array.from(data1);
    y = data2 instanceof Float64Array ? data2 : Float64Array.from(data2);
  } else {
    x = sortFloat64(Float64Array.from(data1));
    y = sortFloat64(Float64Array.from(data2));
  }
  return ks2sampSorted(x, y, options);
}

/** ks_2samp on two ascending-sorted samples. */
export function ks2sampSorted(x: Float64Array, y: Float64Array, options: KsOptions = {}): KsResult {
  const alternative = options.alternative ?? 'two-sided';
  let mode = options.mode ?? 'auto';
  const n1 = x.length;
  const n2 = y.length;
  if (n1 === 0 || n2 === 0) throw new RangeError('ks2samp: both samples must be non-empty');
  if (Number.isNaN(x[n1 - 1]) || Number.isNaN(y[n2 - 1]) || Number.isNaN(x[0]) || Number.isNaN(y[0])) {
    throw new RangeError('ks2samp: samples contain NaN (remove or count missing values first)');
  }

  // Merge walk: ECDFs at every distinct pooled value.
  let i = 0;
  let j = 0;
  let maxS = -Infinity;
  let maxLoc = NaN;
  let minS = Infinity; // min of F1 − F2
  let minLoc = NaN;
  while (i < n1 || j < n2) {
    const v = j >= n2 || (i < n1 && x[i] <= y[j]) ? x[i] : y[j];
    while (i < n1 && x[i] <= v) i++;
    while (j < n2 && y[j] <= v) j++;
    const diff = i / n1 - j / n2;
    if (diff > maxS) {
      maxS = diff;
      maxLoc = v;
    }
    if (diff < minS) {
      minS = diff;
      minLoc = v;
    }
  }
  const negMin = Math.min(Math.max(-minS, 0), 1);
  let d: number;
  let loc: number;
  let sign: 1 | -1;
  if (alternative === 'less' || (alternative === 'two-sided' && negMin > maxS)) {
    d = negMin;
    loc = minLoc;
    sign = -1;
  } else {
    d = maxS;
    loc = maxLoc;
    sign = 1;
  }

  const g = gcd(n1, n2);
  const n1g = n1 / g;
  const n2g = n2 / g;
  if (mode === 'auto') mode = Math.max(n1, n2) <= KS_MAX_EXACT_N ? 'exact' : 'asymp';
  else if (mode === 'exact' && n1g >= INT32_MAX / n2g) mode = 'asymp';

  let prob = NaN;
  if (mode === 'exact') {
    const r = attemptExact(n1, n2, g, d, alternative);
    d = r.d; // snapped to h / lcm even when the exact computation fails (as scipy)
    if (r.ok) prob = r.prob;
    else mode = 'asymp'; // e.g. round-off put p outside [0, 1]: scipy warns and switches to asymp
  }
  if (mode === 'asymp') {
    const m = Math.max(n1, n2);
    const n = Math.min(n1, n2);
    const en = (m * n) / (m + n);
    if (alternative === 'two-sided') {
      prob = kstwoSf(d, roundHalfEven(en));
    } else {
      const z = Math.sqrt(en) * d;
      const expt = -2 * z * z - (2 * z * (m + 2 * n)) / Math.sqrt(m * n * (m + n)) / 3.0;
      prob = Math.exp(expt);
    }
  }
  prob = Math.min(Math.max(prob, 0), 1);
  return { statistic: d, pValue: prob, method: mode === 'exact' ? 'exact' : 'asymp', statisticLocation: loc, statisticSign: sign, n1, n2 };
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** numpy's np.round: half to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

// ---------------------------------------------------------------------------------------------------------------
// Exact p-values (scipy/stats/_stats_py.py, scipy/stats/_stats_pythran.py)

function attemptExact(n1: number, n2: number, g: number, d: number, alternative: KsAlternative): { ok: boolean; d: number; prob: number } {
  const lcm = (n1 / g) * n2;
  const h = roundHalfEven(d * lcm);
  d = h / lcm;
  if (h === 0) return { ok: true, d, prob: 1.0 };
  let prob: number;
  if (alternative === 'two-sided') {
    prob = n1 === n2 ? computeProbOutsideSquare(n1, h) : computeOuterProbInsideMethod(n1, n2, g, h);
  } else if (n1 === n2) {
    prob = 1;
    for (let k = 0; k < h; k++) prob *= (n1 - k) / (n1 + k + 1.0);
  } else {
    const numPaths = countPathsOutsideMethod(n1, n2, g, h);
    const bin = binom(n1 + n2, n1);
    if (!Number.isFinite(numPaths) || !Number.isFinite(bin) || numPaths > bin) return { ok: false, d, prob: NaN };
    prob = numPaths / bin;
  }
  if (!(prob >= 0 && prob <= 1)) return { ok: false, d, prob };
  return { ok: true, d, prob };
}

/** P(D_{n,n} ≥ h/n), Horner form of 2·Σ (−1)^{k−1} C(2n, n−kh)/C(2n, n). */
export function computeProbOutsideSquare(n: number, h: number): number {
  let P = 0.0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let p1 = 1.0;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    P = p1 * (1.0 - P);
  }
  return 2 * P;
}

/** Proportion of lattice paths that do not stay strictly inside |x/m − y/n| < h/lcm, computed as 1 − p directly. */
export function computeOuterProbInsideMethod(m: number, n: number, g: number, h: number): number {
  if (m < n) [m, n] = [n, m];
  const mg = m / g;
  const ng = n / g;
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const A = new Float64Array(lenA).fill(1.0);
  for (let k = minj; k < maxj; k++) A[k] = 0.0;
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.max(Math.floor((ng * i - h) / mg) + 1, 0);
    minj = Math.min(minj, n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1.0;
    let val = minj === 0 ? 0.0 : 1.0;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      val = (A[jj + minj - lastminj] * i + val * j) / (i + j);
      A[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) A.fill(1, maxj - minj, maxj - minj + (lastlen - curlen));
  }
  return A[maxj - minj - 1];
}

/** Number of lattice paths from (0,0) to (m,n) that go below the diagonal by h/lcm (one-sided exact test). */
function countPathsOutsideMethod(m: number, n: number, g: number, h: number): number {
  if (m < n) [m, n] = [n, m];
  const mg = Math.floor(m / g);
  const ng = Math.floor(n / g);
  const lxj = n + Math.floor((mg - h) / mg);
  if (lxj <= 0) return binom(m + n, n);
  const xj: number[] = [];
  for (let j = 0; j < lxj; j++) xj.push(Math.floor((h + mg * j + ng - 1) / ng));
  const B = new Float64Array(lxj);
  B[0] = 1;
  for (let j = 1; j < lxj; j++) {
    let Bj = binom(xj[j] + j, j);
    for (let i = 0; i < j; i++) Bj -= binom(xj[j] - xj[i] + j - i, j - i) * B[i];
    B[j] = Bj;
  }
  let numPaths = 0;
  for (let j = 0; j < lxj; j++) numPaths += B[j] * binom(m - xj[j] + (n - j), n - j);
  return numPaths;
}

/** Binomial coefficient C(n, k) for integers 0 ≤ k ≤ n, as scipy.special.binom computes it (Infinity on overflow). */
function binom(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  if (k > n / 2) k = n - k;
  if (k < 20) {
    let num = 1.0;
    let den = 1.0;
    for (let i = 1; i <= k; i++) {
      num *= i + n - k;
      den *= i;
      if (Math.abs(num) > 1e50) {
        num /= den;
        den = 1.0;
      }
    }
    return num / den;
  }
  return Math.exp(logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1));
}

// ---------------------------------------------------------------------------------------------------------------
// kstwo: the two-sided one-sample Kolmogorov distribution for finite n (scipy/stats/_ksstats.py)

const E128 = 128;
const EP128 = 2 ** 128;
const EM128 = 2 ** -128;
const LOG_2PI = Math.log(2 * Math.PI);
const SQRT2PI = Math.sqrt(2 * Math.PI);
const MIN_LOG = -708;
const SQRT3 = Math.sqrt(3);
const PI_SQUARED = Math.PI ** 2;
const PI_FOUR = Math.PI ** 4;
const PI_SIX = Math.PI ** 6;
const STIRLING_COEFFS = [
  -0.029550653594771242, 0.00641025641025641, -0.0019175269175269176, 8.417508417508417e-4,
  -5.952380952380953e-4, 7.936507936507937e-4, -0.002777777777777778, 0.08333333333333333,
];

function clip01(p: number): number {
  return p < 0 ? 0 : p > 1 ? 1 : p;
}

/** x · 2^e without intermediate overflow/underflow. */
function ldexp(x: number, e: number): number {
  while (e > 1000) {
    x *= 2 ** 1000;
    e -= 1000;
  }
  while (e < -1000) {
    x *= 2 ** -1000;
    e += 1000;
  }
  return x * 2 ** e;
}

/** log(n! / n^n) by Stirling's series with n·log(n) removed up front. */
function logNFactorialDivNPowN(n: number): number {
  const rn = 1.0 / n;
  let poly = 0;
  const t = rn / n;
  for (const c of STIRLING_COEFFS) poly = poly * t + c;
  return Math.log(n) / 2 - n + LOG_2PI / 2 + rn * poly;
}

/** Pr(D_n ≤ d) by the Durbin matrix algorithm as arranged by Marsaglia, Tsang & Wang. */
function kolmognDMTW(n: number, d: number): number {
  if (d >= 1.0) return 1.0;
  const nd = n * d;
  if (nd <= 0.5) return 0.0;
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;
  let H: Float64Array = new Float64Array(m * m);
  const v = new Float64Array(m);
  const w = new Float64Array(m);
  let fac = 1.0;
  for (let j = 1; j <= m; j++) {
    v[j - 1] = 1.0 - h ** j;
    w[j - 1] = fac;
    fac /= j;
    v[j - 1] *= fac;
  }
  const tt = Math.max(2 * h - 1.0, 0) ** m - 2 * h ** m;
  v[m - 1] = (1.0 + tt) * fac;
  for (let i = 1; i < m; i++) for (let r = i - 1; r < m; r++) H[r * m + i] = w[r - i + 1];
  for (let r = 0; r < m; r++) H[r * m] = v[r];
  for (let c = 0; c < m; c++) H[(m - 1) * m + c] = v[m - 1 - c];

  let Hpwr: Float64Array = new Float64Array(m * m);
  for (let r = 0; r < m; r++) Hpwr[r * m + r] = 1;
  let nn = n;
  let expnt = 0;
  let Hexpnt = 0;
  while (nn > 0) {
    if (nn % 2) {
      Hpwr = matmul(Hpwr, H, m);
      expnt += Hexpnt;
    }
    H = matmul(H, H, m);
    Hexpnt *= 2;
    if (Math.abs(H[(k - 1) * m + (k - 1)]) > EP128) {
      for (let q = 0; q < H.length; q++) H[q] /= EP128;
      Hexpnt += E128;
    }
    nn = Math.floor(nn / 2);
  }
  let p = Hpwr[(k - 1) * m + (k - 1)];
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n;
    if (Math.abs(p) < EM128) {
      p *= EP128;
      expnt -= E128;
    }
  }
  if (expnt !== 0) p = ldexp(p, expnt);
  return clip01(p);
}

function matmul(a: Float64Array, b: Float64Array, m: number): Float64Array {
  const out = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    const ri = i * m;
    for (let k = 0; k < m; k++) {
      const aik = a[ri + k];
      if (aik === 0) continue;
      const rk = k * m;
      for (let j = 0; j < m; j++) out[ri + j] += aik * b[rk + j];
    }
  }
  return out;
}

function pomeranzJ1J2(i: number, n: number, ll: number, ceilf: number, roundf: number): [number, number] {
  let j1: number;
  let j2: number;
  if (i === 0) {
    j1 = -ll - ceilf - 1;
    j2 = ll + ceilf - 1;
  } else {
    const ip1div2 = Math.floor((i + 1) / 2);
    const ip1mod2 = (i + 1) % 2;
    if (ip1mod2 === 0) {
      if (ip1div2 === n + 1) {
        j1 = n - ll - ceilf - 1;
        j2 = n + ll + ceilf - 1;
      } else {
        j1 = ip1div2 - 1 - ll - roundf - 1;
        j2 = ip1div2 + ll - 1 + ceilf - 1;
      }
    } else {
      j1 = ip1div2 - 1 - ll - 1;
      j2 = ip1div2 + ll + roundf - 1;
    }
  }
  return [Math.max(j1 + 2, 0), Math.min(j2, n)];
}

/** Pr(D_n ≤ x) by the Pomeranz recursion (used for n ≤ 140). */
function kolmognPomeranz(n: number, x: number): number {
  const t = n * x;
  const ll = Math.floor(t);
  const f = 1.0 * (t - ll);
  const g = Math.min(f, 1.0 - f);
  const ceilf = f > 0 ? 1 : 0;
  const roundf = f > 0.5 ? 1 : 0;
  const npwrs = 2 * (ll + 1);
  const gpower = new Float64Array(npwrs);
  const twogpower = new Float64Array(npwrs);
  const onem2gpower = new Float64Array(npwrs);
  gpower[0] = 1.0;
  twogpower[0] = 1.0;
  onem2gpower[0] = 1.0;
  let expnt = 0;
  const gOverN = g / n;
  const twoGOverN = (2 * g) / n;
  const oneMinusTwoGOverN = (1 - 2 * g) / n;
  for (let m = 1; m < npwrs; m++) {
    gpower[m] = (gpower[m - 1] * gOverN) / m;
    twogpower[m] = (twogpower[m - 1] * twoGOverN) / m;
    onem2gpower[m] = (onem2gpower[m - 1] * oneMinusTwoGOverN) / m;
  }
  let V0: Float64Array = new Float64Array(npwrs);
  let V1: Float64Array = new Float64Array(npwrs);
  V1[0] = 1;
  let V0s = 0;
  let V1s = 0;
  let [j1, j2] = pomeranzJ1J2(0, n, ll, ceilf, roundf);
  for (let i = 1; i < 2 * n + 2; i++) {
    const k1 = j1;
    [V0, V1] = [V1, V0];
    [V0s, V1s] = [V1s, V0s];
    V1.fill(0.0);
    [j1, j2] = pomeranzJ1J2(i, n, ll, ceilf, roundf);
    const pwrs = i === 1 || i === 2 * n + 1 ? gpower : i % 2 ? twogpower : onem2gpower;
    const ln2 = j2 - k1 + 1;
    if (ln2 > 0) {
      // conv = np.convolve(V0[k1 - V0s : k1 - V0s + ln2], pwrs[:ln2]); V1[:conv_len] = conv[conv_start : ...]
      const aStart = k1 - V0s;
      const aLen = Math.max(0, Math.min(ln2, npwrs - aStart));
      const bLen = Math.min(ln2, npwrs);
      const convStart = j1 - k1;
      const convLen = j2 - j1 + 1;
      let vmax = -Infinity;
      for (let q = 0; q < convLen; q++) {
        const tIdx = convStart + q;
        let s = 0;
        const lo = Math.max(0, tIdx - bLen + 1);
        const hi = Math.min(aLen - 1, tIdx);
        for (let a = lo; a <= hi; a++) s += V0[aStart + a] * pwrs[tIdx - a];
        V1[q] = s;
        if (s > vmax) vmax = s;
      }
      for (let q = convLen; q < npwrs; q++) if (V1[q] > vmax) vmax = V1[q];
      if (vmax > 0 && vmax < EM128) {
        for (let q = 0; q < npwrs; q++) V1[q] *= EP128;
        expnt -= E128;
      }
      V1s = V0s + j1 - k1;
    }
  }
  let ans = V1[n - V1s];
  for (let m = 1; m <= n; m++) {
    if (Math.abs(ans) > EP128) {
      ans *= EM128;
      expnt += E128;
    }
    ans *= m;
  }
  if (expnt !== 0) ans = ldexp(ans, expnt);
  return clip01(ans);
}

/** Pelz–Good approximation to Pr(D_n ≤ x). */
function kolmognPelzGood(n: number, x: number): number {
  if (x <= 0.0) return 0.0;
  if (x >= 1.0) return 1.0;
  const z = Math.sqrt(n) * x;
  const zsquared = z ** 2;
  const zthree = z ** 3;
  const zfour = z ** 4;
  const zsix = z ** 6;
  const qlog = -PI_SQUARED / 8 / zsquared;
  if (qlog < MIN_LOG) return 0.0;
  let q = Math.exp(qlog);
  const k1a = -zsquared;
  const k1b = PI_SQUARED / 4;
  const k2a = 6 * zsix + 2 * zfour;
  const k2b = ((2 * zfour - 5 * zsquared) * PI_SQUARED) / 4;
  const k2c = (PI_FOUR * (1 - 2 * zsquared)) / 16;
  const k3d = (PI_SIX * (5 - 30 * zsquared)) / 64;
  const k3c = (PI_FOUR * (-60 * zsquared + 212 * zfour)) / 16;
  const k3b = (PI_SQUARED * (135 * zfour - 96 * zsix)) / 4;
  const k3a = -30 * zsix - 90 * z ** 8;
  const K = [0, 0, 0, 0];
  const maxk = Math.ceil((16 * z) / Math.PI);
  for (let k = maxk; k > 0; k--) {
    const m = 2 * k - 1;
    const msquared = m ** 2;
    const mfour = m ** 4;
    const msix = m ** 6;
    const qpower = q ** (8 * k);
    const coeffs = [1.0, k1a + k1b * msquared, k2a + k2b * msquared + k2c * mfour, k3a + k3b * msquared + k3c * mfour + k3d * msix];
    for (let c = 0; c < 4; c++) K[c] = K[c] * qpower + coeffs[c];
  }
  const div = [z, 6 * zfour, 72 * z ** 7, 6480 * z ** 10];
  for (let c = 0; c < 4; c++) K[c] = (K[c] * q * SQRT2PI) / div[c];
  q = Math.exp(-PI_SQUARED / 2 / zsquared);
  const sqrt3z = SQRT3 * z;
  let k2extra = 0;
  let k3extra = 0;
  for (let k = maxk; k > 0; k--) {
    const ksq = k * k;
    const qp = q ** ksq;
    k2extra += ksq * qp;
    const kspi = Math.PI * k;
    k3extra += (sqrt3z + kspi) * (sqrt3z - kspi) * ksq * qp;
  }
  k2extra *= (PI_SQUARED * SQRT2PI) / (-36 * zthree);
  K[2] += k2extra;
  k3extra *= (PI_SQUARED * SQRT2PI) / (216 * zsix);
  K[3] += k3extra;
  for (let c = 0; c < 4; c++) K[c] /= Math.pow(n * 1.0, c / 2.0);
  return K[0] + K[1] + K[2] + K[3];
}

/**
 * Survival function of the one-sided (Smirnov) statistic, Pr(D_n^+ ≥ x), as scipy.special.smirnov (cephes
 * kolmogorov.c, van Mulbregt 2018): special cases as there, otherwise the Birnbaum–Tingey sum
 * x · Σ_{v=0}^{⌊n(1−x)⌋} C(n,v) (x + v/n)^{v−1} (1 − x − v/n)^{n−v}, here summed in log space.
 */
export function smirnovSf(n: number, x: number): number {
  if (!(n > 0 && x >= 0.0 && x <= 1.0)) return NaN;
  if (n === 1) return 1 - x;
  if (x === 0.0) return 1.0;
  if (x === 1.0) return 0.0;
  const nx = n * x;
  let nxfl = Math.floor(nx);
  let alpha = nx - nxfl;
  if (alpha >= 1) {
    nxfl += 1;
    alpha = 0;
  }
  if (nxfl === 0 || (nxfl === 1 && alpha === 0)) {
    const cdf = x * Math.exp((n - 1) * Math.log1p(x));
    return clip01(1 - cdf);
  }
  if (-2 * n * x * x < -708.3964185322641) return 0;
  if (nxfl >= n - 1) return clip01(Math.exp(n * Math.log1p(-x)));
  if (n > 1_000_000) return clip01(Math.exp(-((6 * n * x + 1.0) ** 2) / 18.0 / n));
  let n1mxfl = n - nxfl - (alpha === 0 ? 0 : 1);
  if (alpha === 0) n1mxfl -= 1;
  const nTerms = n1mxfl + 1;
  const logX = Math.log(x);
  // v = 0: (1 − x)^n / x
  let sum = Math.exp(n * Math.log1p(-x) - logX);
  let logC = 0; // log C(n, v), summed with Neumaier compensation (the running sum reaches ~0.7·n)
  let logCc = 0;
  for (let v = 1; v < nTerms; v++) {
    const inc = Math.log((n - v + 1) / v);
    const s = logC + inc;
    logCc += Math.abs(logC) >= Math.abs(inc) ? logC - s + inc : inc - s + logC;
    logC = s;
    const evn = x + v / n;
    const omevn = 1 - evn;
    let term = 0;
    if (omevn > 0) {
      const t = logC + logCc + (v - 1) * Math.log(evn) + (n - v) * Math.log1p(-evn);
      term = t > -745 ? Math.exp(t) : 0;
    }
    sum += term;
    if (term !== 0) {
      if (4 * (nTerms - v) * term < EPSILON * sum && v !== nTerms - 1) break;
    } else if (v > n / 2) {
      break;
    }
  }
  return clip01(x * sum);
}

const EPSILON = 2.220446049250313e-16;

/**
 * scipy.stats.kstwo.sf(d, n): Pr(D_n ≥ d) for the two-sided one-sample KS statistic with n observations
 * (scipy's `_kolmogn(n, d, cdf=False)`).
 */
export function kstwoSf(d: number, n: number): number {
  if (Number.isNaN(n) || Number.isNaN(d)) return NaN;
  if (!Number.isInteger(n) || n <= 0) return NaN;
  if (d >= 1.0) return 0.0;
  if (d <= 0.0) return 1.0;
  const t = n * d;
  if (t <= 1.0) {
    if (t <= 0.5) return 1.0;
    let prob: number;
    if (n <= 140) {
      prob = 1;
      for (let i = 1; i <= n; i++) prob *= i * (1.0 / n) * (2 * t - 1);
    } else {
      prob = Math.exp(logNFactorialDivNPowN(n) + n * Math.log(2 * t - 1));
    }
    return clip01(1.0 - prob);
  }
  if (t >= n - 1) return clip01(2 * (1.0 - d) ** n);
  if (d >= 0.5) return clip01(2 * smirnovSf(n, d));
  const nxsquared = t * d;
  if (n <= 140) {
    if (nxsquared <= 0.754693) return clip01(1.0 - kolmognDMTW(n, d));
    if (nxsquared <= 4) return clip01(1.0 - kolmognPomeranz(n, d));
    return clip01(2 * smirnovSf(n, d));
  }
  if (nxsquared >= 370.0) return 0.0;
  if (nxsquared >= 2.2) return clip01(2 * smirnovSf(n, d));
  let cdfprob: number;
  if (nxsquared >= 18.0) cdfprob = 1.0;
  else if (n <= 100000 && n * d ** 1.5 <= 1.4) cdfprob = kolmognDMTW(n, d);
  else cdfprob = kolmognPelzGood(n, d);
  return clip01(1.0 - cdfprob);
}
