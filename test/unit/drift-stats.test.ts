/**
 * Drift statistics: KS against scipy's own test vectors (scipy/stats/tests/test_stats.py::TestKSTwoSamples),
 * hand-computed PSI / Wasserstein / chi-square / Jensen–Shannon / Z values, Evidently's method selection and
 * operators, severity, PSI bands, the dataset rule, and missing / non-finite handling.
 * (Bulk comparisons with scipy on generated data: drift-scipy.test.ts.)
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chiSquareEvidently, chiSquareGof } from '../../src/core/monitoring/stats/chisquare';
import { datasetDrift, driftColumn, driftDatasetColumn, psiBand, severity } from '../../src/core/monitoring/stats/columnDrift';
import { jensenShannonDistance } from '../../src/core/monitoring/stats/jensenshannon';
import { computeOuterProbInsideMethod, ks2samp, type KsAlternative, type KsMode } from '../../src/core/monitoring/stats/ks';
import { psiCategorical, psiNumeric } from '../../src/core/monitoring/stats/psi';
import { quantileSorted, sortFloat64 } from '../../src/core/monitoring/stats/samples';
import { decide, defaultMethod, isDrifted } from '../../src/core/monitoring/stats/select';
import { normedWassersteinSorted, wassersteinDistance } from '../../src/core/monitoring/stats/wasserstein';
import { zTestEvidently } from '../../src/core/monitoring/stats/ztest';
import { Rng } from '../../src/core/util/random';

/** numpy.linspace(start, stop, num): i·step + start, last value exactly stop. */
function linspace(start: number, stop: number, num: number): number[] {
  const step = (stop - start) / (num - 1);
  const out = Array.from({ length: num }, (_, i) => i * step + start);
  out[num - 1] = stop;
  return out;
}
const rep = (v: number, k: number): number[] => Array(k).fill(v);

function closeRel(actual: number, expected: number, tol: number, what = ''): void {
  const err = expected === 0 ? Math.abs(actual) : Math.abs(actual - expected) / Math.abs(expected);
  assert.ok(err <= tol, `${what} got ${actual}, expected ${expected} (relative error ${err.toExponential(2)})`);
}

describe('ks2samp reproduces scipy TestKSTwoSamples', () => {
  const x100 = linspace(1, 100, 100);
  const d1 = 1.0 / 10000 / 110 / 2 / 2;
  const d2 = 1.0 / 10000 / 11000 / 2 / 2;
  const cases: { name: string; x: number[]; y: number[]; d: number; p: number; alternative?: KsAlternative; mode?: KsMode; method: 'exact' | 'asymp' }[] = [
    { name: '[0] vs [1]', x: [0], y: [1], d: 1, p: 1.0, method: 'exact' },
    { name: 'testTwoVsThree 1', x: [1.01, 2.01], y: [1, 2, 3], d: 1 / 3, p: 1.0, method: 'exact' },
    { name: 'testTwoVsThree 2', x: [0.99, 1.99], y: [1, 2, 3], d: 2 / 3, p: 0.6, method: 'exact' },
    { name: 'testTwoVsFour 1', x: [1.01, 2.01], y: [1, 2, 3, 4], d: 0.5, p: 14 / 15, method: 'exact' },
    { name: 'testTwoVsFour 2', x: [0.99, 1.99], y: [1, 2, 3, 4], d: 0.75, p: 6 / 15, method: 'exact' },
    { name: 'test100_100 (square)', x: x100, y: x100.map((v) => v + 2.1), d: 0.03, p: 0.9999999999962054, method: 'exact' },
    { name: 'test100_110 +20.1', x: x100, y: linspace(1, 100, 110).map((v) => v + 20.1), d: 232 / 1100, p: 0.015739183865606153, method: 'exact' },
    { name: 'test100_110 +19.9', x: x100, y: linspace(1, 100, 110).map((v) => v + 19.9), d: 229 / 1100, p: 0.01780380386102561, method: 'exact' },
    { name: 'testRepeatedValues (ties) 1', x: [...rep(2, 3), ...rep(3, 4), ...rep(5, 5), ...rep(6, 4)], y: [...rep(3, 3), ...rep(4, 4), ...rep(6, 5), ...rep(7, 4)], d: 5 / 16, p: 0.42629346134549484, method: 'exact' },
    { name: 'testRepeatedValues (ties) 2', x: [...rep(2, 3), ...rep(3, 4), ...rep(5, 10), ...rep(6, 4)], y: [...rep(3, 10), ...rep(4, 2), ...rep(6, 10), ...rep(7, 4)], d: 190 / 546, p: 0.09192457901681189, method: 'exact' },
    { name: 'testLarge 10000 vs 110 (tiny p)', x: linspace(1, 200, 10000).map((v) => v - d1), y: linspace(2, 100, 110), d: 55275 / 110000, p: 6.263465662260858e-26, method: 'exact' },
    { name: '10000 vs 11000, auto → asymptotic kstwo', x: linspace(1, 200, 10000).map((v) => v - d2), y: linspace(2, 200, 11000), d: 563 / 110000, p: 0.9990660108966576, method: 'asymp' },
    { name: '10000 vs 11000, exact', x: linspace(1, 200, 10000).map((v) => v - d2), y: linspace(2, 200, 11000), d: 563 / 110000, p: 0.999045649148862, mode: 'exact', method: 'exact' },
    { name: 'one-sided greater 2 vs 3', x: [1.01, 2.01], y: [1, 2, 3], d: 1 / 3, p: 0.7, alternative: 'greater', method: 'exact' },
    { name: 'one-sided greater 100 vs 110', x: x100, y: linspace(1, 100, 110).map((v) => v + 20.1), d: 232 / 1100, p: 0.007869594319053203, alternative: 'greater', method: 'exact' },
    { name: 'one-sided less 100 vs 110', x: x100, y: linspace(1, 100, 110).map((v) => v + 20.1), d: 0, p: 1.0, alternative: 'less', method: 'exact' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = ks2samp(c.x, c.y, { alternative: c.alternative, mode: c.mode });
      assert.ok(Math.abs(r.statistic - c.d) <= 1e-12, `D ${r.statistic} vs ${c.d}`);
      closeRel(r.pValue, c.p, 1e-9, 'p');
      assert.equal(r.method, c.method);
      // symmetric in the two samples for the two-sided test
      if (!c.alternative) assert.equal(ks2samp(c.y, c.x, { mode: c.mode }).pValue, r.pValue);
    });
  }

  it('linspace here equals numpy.linspace', () => {
    assert.equal(linspace(1, 200, 10000)[1234], 25.55905590559056);
    assert.equal(linspace(2, 200, 11000)[777], 15.987271570142742);
  });

  it('method auto switches at max(n1, n2) = 10,000; statistic sign and location', () => {
    const a = linspace(0, 1, 10000);
    assert.equal(ks2samp(a, linspace(0.01, 1.01, 10000)).method, 'exact');
    assert.equal(ks2samp(a, linspace(0.01, 1.01, 10001)).method, 'asymp');
    const r = ks2samp([1, 2, 3, 4], [3.5, 5, 6, 7]);
    assert.equal(r.statistic, 0.75);
    assert.equal(r.statisticSign, 1); // F1 − F2 is the larger gap
    assert.equal(r.statisticLocation, 3); // smallest pooled value where it is attained
    assert.equal(ks2samp([3.5, 5, 6, 7], [1, 2, 3, 4]).statisticSign, -1);
  });

  it('rejects NaN and empty samples; accepts ±Infinity', () => {
    assert.throws(() => ks2samp([1, NaN], [1, 2]), /NaN/);
    assert.throws(() => ks2samp([], [1, 2]), /non-empty/);
    assert.equal(ks2samp([-Infinity, 1, 2], [1, 2, Infinity]).statistic, 1 / 3);
  });

  it('exact p by hand: D = 1 happens for 2 of the C(n1+n2, n1) orderings', () => {
    closeRel(ks2samp([1, 2], [3, 4]).pValue, 2 / 6, 1e-15); // n1 = n2: _compute_prob_outside_square
    closeRel(ks2samp([1, 2, 3], [4, 5]).pValue, 2 / 10, 1e-15); // n1 ≠ n2: lattice paths
    closeRel(computeOuterProbInsideMethod(3, 2, 1, 6), 2 / 10, 1e-15);
  });

  it('an exact p that round-off pushes above 1 falls back to the asymptotic p, with D snapped (as scipy)', () => {
    const a = Array.from({ length: 1000 }, (_, i) => i);
    const r = ks2samp(a, a.map((v) => v + 1)); // scipy: RuntimeWarning "Exact calculation unsuccessful"
    assert.equal(r.method, 'asymp');
    assert.equal(r.statistic, 0.001);
    assert.equal(r.pValue, 1);
  });
});

describe('distances and tests against hand-computed values', () => {
  it('Wasserstein: scipy doc values; normed by the reference population std (floor 0.001)', () => {
    assert.equal(wassersteinDistance([0, 1, 2], [1, 2, 3]), 1);
    assert.equal(wassersteinDistance([1, 2, 3, 4, 5], [11, 12, 13, 14, 15]), 10);
    assert.equal(wassersteinDistance([0], [1]), 1);
    assert.equal(wassersteinDistance([1, 2, 3], [2, 1, 3]), 0);
    // |F_u − F_v| = 1/2 on [0, 1): W = 0.5
    assert.equal(wassersteinDistance([0, 1], [1, 1]), 0.5);
    const w = normedWassersteinSorted(Float64Array.of(0, 1, 2), Float64Array.of(1, 2, 3));
    closeRel(w.normed, 1 / Math.sqrt(2 / 3), 1e-15);
    closeRel(normedWassersteinSorted(Float64Array.of(5, 5, 5), Float64Array.of(5, 5, 5.002)).normed, 0.002 / 3 / 0.001, 1e-12); // std 0 → 0.001
  });

  it('Jensen–Shannon distance: natural log by default (max √ln2), base 2 max 1, inputs renormalised', () => {
    closeRel(jensenShannonDistance([1, 0], [0, 1]), Math.sqrt(Math.LN2), 1e-15);
    closeRel(jensenShannonDistance([1, 0], [0, 1], 2), 1, 1e-15);
    const hand = Math.sqrt((Math.log(4 / 3) + 0.5 * Math.log(2 / 3) + 0.5 * Math.log(2)) / 2);
    closeRel(jensenShannonDistance([1, 0], [0.5, 0.5]), hand, 1e-15);
    closeRel(jensenShannonDistance([2, 0], [5, 5]), hand, 1e-15);
    assert.equal(jensenShannonDistance([0.2, 0.8], [0.2, 0.8]), 0);
  });

  it('chi-square (Evidently: goodness of fit against the scaled reference) = 7.0, p = e^−3.5 for df 2', () => {
    const ref = new Map<string, number>([['a', 500], ['b', 300], ['c', 200]]);
    const cur = new Map<string, number>([['a', 40], ['b', 30], ['c', 30]]);
    const r = chiSquareEvidently(ref, cur, 1000, 100);
    assert.equal(r.statistic, 7.0); // (40−50)²/50 + 0 + (30−20)²/20
    assert.equal(r.df, 2);
    closeRel(r.pValue, Math.exp(-3.5), 1e-14); // χ²₂ survival = e^{−x/2}
    closeRel(r.pValue, 0.0301973834223185, 1e-13);
    // unseen category in current: expected 0 → statistic ∞, p 0 (as scipy)
    const unseen = chiSquareEvidently(ref, new Map([['a', 40], ['d', 60]]), 1000, 100);
    assert.equal(unseen.statistic, Infinity);
    assert.equal(unseen.pValue, 0);
    // df 1: χ²₁ sf(x) = erfc(√(x/2)); x = 3.841458820694124 is the 95 % point
    closeRel(chiSquareGof([60, 40], [50, 50]).pValue, 0.04550026389635842, 1e-12);
    closeRel(chiSquareGof([1, 2, 3], [2, 2, 2]).statistic, 1, 1e-15);
  });

  it('Z-test for proportions: binary fixture z = −2.0632416107359917, p = 0.039089678525746', () => {
    const r = zTestEvidently(new Map([[0, 700], [1, 300]]), new Map([[0, 60], [1, 40]]), 1000, 100);
    const P = 340 / 1100;
    const z = (0.3 - 0.4) / Math.sqrt(P * (1 - P) * (1 / 1000 + 1 / 100));
    closeRel(r.statistic, z, 1e-15);
    closeRel(r.statistic, -2.0632416107359917, 1e-15);
    closeRel(r.pValue, 0.03908967852574596, 1e-13); // Evidently's 2·(1 − Φ(|z|)) with scipy
    // same single constant on both sides → p = 1
    assert.deepEqual(zTestEvidently(new Map([['x', 10]]), new Map([['x', 5]]), 10, 5), { statistic: 0, pValue: 1 });
    // different single constants: first sorted key is 0
    assert.equal(zTestEvidently(new Map([['b', 10]]), new Map([['a', 10]]), 10, 10).statistic > 0, true);
  });

  it('PSI: reference deciles fixture 0.7006968806809086 (one empty current decile, eps 1e-4)', () => {
    const ref = Array.from({ length: 1000 }, (_, i) => i / 1000);
    const cur = Array.from({ length: 500 }, (_, i) => (i / 500) * 0.9 + 0.1 + 0.0005);
    const r = psiNumeric(ref, cur);
    closeRel(r.psi, 0.7006968806809086, 1e-13);
    assert.equal(r.bins.length, 10);
    assert.equal(r.bins[0].lower, -Infinity);
    assert.equal(r.bins[9].upper, Infinity);
    assert.equal(r.bins[0].currentCount, 0);
    closeRel(r.bins[0].contribution, (1e-4 - 0.1) * Math.log(1e-4 / 0.1), 1e-14); // ≈ 0.69 on its own
    assert.deepEqual(r.bins.map((b) => b.referenceCount), rep(100, 10));
    assert.equal(r.band, 'significant');
  });

  it('PSI by hand: categorical shares (½, ½) → (¼, ¾) give ¼·ln 3; unseen categories get ε; identical = 0', () => {
    const r = psiCategorical(new Map([['x', 50], ['y', 50]]), new Map([['x', 25], ['y', 75]]), 100, 100);
    closeRel(r.psi, 0.25 * Math.log(3), 1e-15);
    const u = psiCategorical(new Map([['x', 100]]), new Map([['x', 90], ['new', 10]]), 100, 100);
    closeRel(u.psi, (0.9 - 1) * Math.log(0.9) + (0.1 - 1e-4) * Math.log(0.1 / 1e-4), 1e-15);
    assert.equal(psiNumeric([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]).psi, 0);
    // few-valued reference: distinct edges only; bins empty on both sides add 0
    const b = psiNumeric([...rep(0, 700), ...rep(1, 300)], [...rep(0, 60), ...rep(1, 40)]);
    assert.deepEqual(b.bins.map((x) => [x.upper, x.referenceCount, x.currentCount]), [[0, 700, 60], [0.2999999999999545, 0, 0], [1, 300, 40], [Infinity, 0, 0]]);
    closeRel(b.psi, (0.6 - 0.7) * Math.log(0.6 / 0.7) + (0.4 - 0.3) * Math.log(0.4 / 0.3), 1e-14);
  });
});

describe("Evidently's method selection, thresholds and operators", () => {
  it('selects by reference size, column type and distinct values', () => {
    assert.equal(defaultMethod('numeric', 1000, 6), 'ks');
    assert.equal(defaultMethod('numeric', 1000, 5), 'chisquare');
    assert.equal(defaultMethod('numeric', 1000, 3), 'chisquare');
    assert.equal(defaultMethod('numeric', 1000, 2), 'z');
    assert.equal(defaultMethod('categorical', 1000, 50), 'chisquare');
    assert.equal(defaultMethod('categorical', 10, 2), 'z');
    assert.equal(defaultMethod('numeric', 1001, 6), 'wasserstein');
    assert.equal(defaultMethod('numeric', 1001, 5), 'jensenshannon');
    assert.equal(defaultMethod('categorical', 100000, 2), 'jensenshannon');
  });

  it('driftColumn applies the selection (reference size counts finite values only) and default thresholds', () => {
    const ref = Array.from({ length: 1000 }, (_, i) => i);
    const withGaps = [...ref, NaN, Infinity]; // still 1000 finite → KS
    const r = driftColumn(withGaps, ref.map((v) => v + 50), 'numeric');
    assert.equal(r.method, 'ks');
    assert.equal(r.threshold, 0.05);
    assert.equal(r.scoreKind, 'p_value');
    assert.equal(r.ksMethod, 'exact');
    const big = driftColumn([...ref, 1000], ref, 'numeric');
    assert.equal(big.method, 'wasserstein');
    assert.equal(big.threshold, 0.1);
    assert.equal(big.pValue, null);
    assert.equal(driftColumn(['a', 'b', 'c'], ['a'], 'categorical').method, 'chisquare');
    assert.equal(driftColumn(['a', 'b'], ['a'], 'categorical').method, 'z');
  });

  it("uses Evidently's operators: KS p ≤ thr, chi-square/Z p < thr, distances d ≥ thr", () => {
    assert.equal(isDrifted('ks', 0.05, 0.05), true);
    assert.equal(isDrifted('chisquare', 0.05, 0.05), false);
    assert.equal(isDrifted('z', 0.05, 0.05), false);
    assert.equal(isDrifted('chisquare', 0.0499, 0.05), true);
    assert.equal(isDrifted('wasserstein', 0.1, 0.1), true);
    assert.equal(isDrifted('jensenshannon', 0.0999, 0.1), false);
    assert.equal(isDrifted('psi', 0.1, 0.1), true);
    assert.equal(isDrifted('ks', NaN, 0.05), false);
    assert.deepEqual(decide('ks', 0.01), { method: 'ks', scoreKind: 'p_value', score: 0.01, pValue: 0.01, threshold: 0.05, drifted: true });
    assert.deepEqual(decide('wasserstein', 0.05, 0.04), { method: 'wasserstein', scoreKind: 'distance', score: 0.05, threshold: 0.04, drifted: true });
  });

  it('method and threshold can be overridden per column; numeric-only methods are refused for categories', () => {
    const ref = Array.from({ length: 2000 }, (_, i) => i / 2000);
    const cur = ref.map((v) => v + 0.05);
    const def = driftColumn(ref, cur, 'numeric');
    assert.equal(def.method, 'wasserstein');
    assert.ok(Math.abs(def.statistic - 0.05 / Math.sqrt((2000 * 2000 - 1) / 12 / 2000 / 2000)) < 1e-12); // W = shift, std of a uniform grid
    assert.equal(def.drifted, true); // ≈ 0.173 ≥ 0.1
    assert.equal(def.severity, 'medium');
    const ks = driftColumn(ref, cur, 'numeric', { method: 'ks' });
    assert.equal(ks.method, 'ks');
    assert.equal(ks.ksMethod, 'exact');
    assert.equal(ks.statistic, 0.0505); // scipy: ks_2samp(ref, ref + 0.05) = (0.0505, 0.01217650945050772)
    closeRel(ks.pValue!, 0.01217650945050772, 1e-12);
    const lax = driftColumn(ref, cur, 'numeric', { threshold: 0.5 });
    assert.equal(lax.threshold, 0.5);
    assert.equal(lax.drifted, false);
    const psi = driftColumn(ref, cur, 'numeric', { method: 'psi' });
    assert.equal(psi.statistic, psi.psi);
    assert.throws(() => driftColumn(['a'], ['b'], 'categorical', { method: 'ks' }), /needs a numeric column/);
    assert.throws(() => driftColumn(['a'], ['b'], 'categorical', { threshold: -1 }), /threshold/);
  });
});

describe('severity, PSI bands and the dataset rule', () => {
  it('severity: p-values by p relative to thr (/10 high, /100 critical); distances by d/thr (2 high, 4 critical)', () => {
    assert.equal(severity('p_value', 0.04, 0.05), 'medium');
    assert.equal(severity('p_value', 0.005, 0.05), 'medium'); // exactly thr/10 is not past it
    assert.equal(severity('p_value', 0.0049, 0.05), 'high');
    assert.equal(severity('p_value', 0.0005, 0.05), 'high');
    assert.equal(severity('p_value', 0.00049, 0.05), 'critical');
    assert.equal(severity('p_value', 0, 0.05), 'critical');
    assert.equal(severity('distance', 0.15, 0.1), 'medium');
    assert.equal(severity('distance', 0.2, 0.1), 'high');
    assert.equal(severity('distance', 0.39, 0.1), 'high');
    assert.equal(severity('distance', 0.4, 0.1), 'critical');
    assert.equal(severity('distance', 0.01, 0), 'critical');
  });

  it('driftColumn reports severity only for drifted columns', () => {
    const ref = Array.from({ length: 500 }, (_, i) => i);
    assert.equal(driftColumn(ref, ref, 'numeric').severity, null);
    const far = driftColumn(ref, ref.map((v) => v + 400), 'numeric');
    assert.equal(far.drifted, true);
    assert.equal(far.severity, 'critical');
  });

  it('PSI bands: < 0.1 stable, 0.1–0.25 moderate (inclusive), > 0.25 significant', () => {
    assert.equal(psiBand(0), 'stable');
    assert.equal(psiBand(0.0999), 'stable');
    assert.equal(psiBand(0.1), 'moderate');
    assert.equal(psiBand(0.25), 'moderate');
    assert.equal(psiBand(0.2501), 'significant');
  });

  it('dataset drift when the share of drifted (tested) columns ≥ 0.5, configurable', () => {
    const col = (drifted: boolean, tested = true) => ({ drifted, tested });
    assert.deepEqual(datasetDrift([col(true), col(false)]), { drifted: true, share: 0.5, count: 1, total: 2, untested: 0, threshold: 0.5 });
    assert.equal(datasetDrift([col(true), col(false), col(false)]).drifted, false);
    assert.equal(datasetDrift([col(true), col(false), col(false)], 0.3).drifted, true);
    assert.deepEqual(datasetDrift([col(true), col(false, false)]), { drifted: true, share: 1, count: 1, total: 1, untested: 1, threshold: 0.5 });
    assert.equal(datasetDrift([]).drifted, false);
  });
});

describe('missing and non-finite values are counted and reported, not silently dropped', () => {
  it('numeric: NaN counted as missing, ±Infinity as non-finite, both left out of the test and the summaries', () => {
    const r = driftColumn([1, 2, NaN, 3, Infinity, 4, 5, 6, 7], [NaN, NaN, 2, 3, -Infinity, 4, 5, 6, 7, 8], 'numeric');
    assert.deepEqual(r.missing, { reference: 1, current: 2 });
    assert.deepEqual(r.nonFinite, { reference: 1, current: 1 });
    assert.deepEqual(r.n, { reference: 7, current: 7 });
    assert.deepEqual(r.referenceSummary, { kind: 'numeric', count: 7, mean: 4, std: 2, min: 1, max: 7 });
    const clean = driftColumn([1, 2, 3, 4, 5, 6, 7], [2, 3, 4, 5, 6, 7, 8], 'numeric');
    assert.equal(r.statistic, clean.statistic);
    assert.equal(r.pValue, clean.pValue);
    assert.equal(r.psi, clean.psi);
  });

  it('categorical: null / undefined / NaN and code −1 are missing', () => {
    const r = driftColumn(['a', null, 'b', undefined, 'a'], { codes: Int32Array.of(0, -1, 1, 1, 0, 7), levels: ['a', 'b'] }, 'categorical');
    assert.deepEqual(r.missing, { reference: 2, current: 2 });
    assert.deepEqual(r.n, { reference: 3, current: 4 });
    assert.deepEqual(r.currentSummary, { kind: 'categorical', count: 4, distinct: 2, top: 'a', topShare: 0.5 });
  });

  it('a side with no valid value is reported as not tested and never drifted', () => {
    const r = driftColumn([1, 2, 3], [NaN, NaN], 'numeric');
    assert.equal(r.tested, false);
    assert.equal(r.drifted, false);
    assert.ok(Number.isNaN(r.statistic));
    assert.equal(r.psi, null);
    assert.match(r.note!, /current has no valid values/);
    assert.deepEqual(r.missing, { reference: 0, current: 2 });
  });
});

describe('chart data', () => {
  it('numeric histogram: 20 equal-width bins over the combined range, shared edges', () => {
    const r = driftColumn([0, 1, 2, 3], [5, 10], 'numeric');
    assert.ok(r.histogram.kind === 'numeric');
    assert.equal(r.histogram.edges.length, 21);
    assert.equal(r.histogram.edges[0], 0);
    assert.equal(r.histogram.edges[20], 10);
    assert.equal(r.histogram.reference.reduce((s, v) => s + v, 0), 4);
    assert.equal(r.histogram.current[19], 1); // the last bin is closed
    assert.equal(r.histogram.current[10], 1);
    const flat = driftColumn([3, 3], [3], 'numeric', { histogramBins: 2 });
    assert.ok(flat.histogram.kind === 'numeric');
    assert.deepEqual(flat.histogram.edges, [2.5, 3, 3.5]);
  });

  it('categorical histogram: categories by reference frequency, tail summed into one bar', () => {
    const ref = [...rep(0, 5), ...rep(1, 3), ...rep(2, 1)].map((k) => ['a', 'b', 'c'][k]);
    const r = driftColumn(ref, ['c', 'c', 'd'], 'categorical', { histogramMaxCategories: 3 });
    assert.deepEqual(r.histogram, { kind: 'categorical', categories: ['a', 'b', '(2 others)'], reference: [5, 3, 1], current: [0, 0, 3], otherCategories: 2 });
  });

  it('dataset columns of different types are compared as categories', () => {
    const r = driftDatasetColumn({ name: 'x', type: 'numeric', values: Float64Array.of(1, 2, NaN) }, { name: 'x', type: 'categorical', codes: Int32Array.of(0, 1, -1), levels: ['1', 'oops'] });
    assert.equal(r.columnType, 'categorical');
    assert.deepEqual(r.missing, { reference: 1, current: 1 });
    assert.equal(r.nUnique, 3);
  });
});

describe('helpers', () => {
  it('sortFloat64 (radix) orders exactly as Float64Array.prototype.sort, incl. −0, ±Infinity, subnormals, ties', () => {
    const rng = new Rng(11);
    const special = [0, -0, Infinity, -Infinity, 5e-324, -5e-324, Number.MAX_VALUE, -Number.MAX_VALUE, 1, -1, 2.2250738585072014e-308];
    const arrays = [
      Float64Array.from({ length: 50_000 }, (_, i) => (i % 5 === 0 ? special[rng.int(0, special.length)] : (rng.next() - 0.5) * 10 ** rng.int(-300, 300))),
      Float64Array.from({ length: 20_000 }, () => Math.round(rng.normal() * 10) / 10),
      Float64Array.from({ length: 10_000 }, (_, i) => -i),
      new Float64Array(5000).fill(2),
      Float64Array.from({ length: 5000 }, (_, i) => (i % 3 === 0 ? NaN : i)), // NaN: falls back to the built-in sort
      Float64Array.from({ length: 100 }, () => rng.normal()),
    ];
    for (const a of arrays) {
      const expected = Float64Array.from(a).sort();
      const got = sortFloat64(Float64Array.from(a));
      assert.ok(expected.every((v, i) => Object.is(v, got[i])));
    }
  });

  it('quantiles are numpy type 7 (linear), with numpy’s lerp', () => {
    const x = Float64Array.of(1, 2, 3, 4, 10);
    assert.equal(quantileSorted(x, 0.5), 3);
    assert.equal(quantileSorted(x, 0.9), 7.6000000000000005); // numpy: np.quantile([1,2,3,4,10], 0.9)
    assert.equal(quantileSorted(x, 0), 1);
    assert.equal(quantileSorted(x, 1), 10);
  });
});
