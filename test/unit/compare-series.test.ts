/** Compare Runs' metric histories: series from logged points, the compared value (last, at a step, min, max), LTTB. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildComparison, defaultSettings, normalizeSettings } from '../../src/core/compare/model';
import { comparedLabel, comparedMetrics, comparedValue, lttb, metricSeries, normalizeCompared, seriesBudget, stepHistories } from '../../src/core/compare/series';

const pt = (key: string, step: number, value: number, timestamp = step) => ({ key, step, value, timestamp });

describe('compare series: metricSeries', () => {
  it('one value per step, steps ascending, the later timestamp wins at a step logged twice', () => {
    const s = metricSeries([pt('loss', 20, 4), pt('loss', 0, 5), pt('acc', 1, 0.5), pt('loss', 10, 3, 100), pt('loss', 10, 9, 50)]);
    assert.deepEqual([...s.keys()], ['acc', 'loss']);
    assert.deepEqual(s.get('loss'), { steps: [0, 10, 20], values: [5, 3, 4] });
    assert.deepEqual(s.get('acc'), { steps: [1], values: [0.5] });
  });
});

describe('compare series: comparedValue', () => {
  const s = { steps: [0, 10, 20, 30], values: [5, 3, 4, 2] };
  it('last: the run\'s last value, whatever the series', () => {
    assert.equal(comparedValue(s, 7, { kind: 'last' }), 7);
  });
  it('at step N: the value at the last step at or before N; nothing before the first step', () => {
    assert.equal(comparedValue(s, 2, { kind: 'step', step: 20 }), 4);
    assert.equal(comparedValue(s, 2, { kind: 'step', step: 25 }), 4);
    assert.equal(comparedValue(s, 2, { kind: 'step', step: 0 }), 5);
    assert.equal(comparedValue(s, 2, { kind: 'step', step: 30 }), 2);
    assert.equal(comparedValue(s, 2, { kind: 'step', step: 1000 }), 2);
    assert.equal(comparedValue(s, 2, { kind: 'step', step: -1 }), undefined);
    assert.equal(comparedValue({ steps: [7], values: [1] }, 1, { kind: 'step', step: 6 }), undefined);
    assert.equal(comparedValue({ steps: [7], values: [1] }, 1, { kind: 'step', step: 7 }), 1);
  });
  it('min and max over the whole history, skipping NaN', () => {
    assert.equal(comparedValue(s, 2, { kind: 'min' }), 2);
    assert.equal(comparedValue(s, 2, { kind: 'max' }), 5);
    assert.equal(comparedValue({ steps: [1, 2, 3], values: [NaN, 8, -1] }, -1, { kind: 'max' }), 8);
    assert.equal(comparedValue({ steps: [1, 2, 3], values: [NaN, 8, -1] }, -1, { kind: 'min' }), -1);
  });
  it('without a series: min and max are the last value, a step has none', () => {
    assert.equal(comparedValue(undefined, 3, { kind: 'min' }), 3);
    assert.equal(comparedValue(undefined, 3, { kind: 'max' }), 3);
    assert.equal(comparedValue(undefined, 3, { kind: 'step', step: 5 }), undefined);
  });
  it('comparedMetrics: every metric as chosen, those without a value at the step left out', () => {
    const series = metricSeries([pt('loss', 1, 0.9), pt('loss', 2, 0.4), pt('loss', 3, 0.6), pt('late', 50, 1)]);
    const last = { loss: 0.6, late: 1, only_last: 7 };
    assert.equal(comparedMetrics(last, series, { kind: 'last' }), last);
    assert.deepEqual(comparedMetrics(last, series, { kind: 'min' }), { loss: 0.4, late: 1, only_last: 7 });
    assert.deepEqual(comparedMetrics(last, series, { kind: 'max' }), { loss: 0.9, late: 1, only_last: 7 });
    assert.deepEqual(comparedMetrics(last, series, { kind: 'step', step: 2 }), { loss: 0.4 });
  });
  it('the best-run star follows the compared value', () => {
    const a = metricSeries([pt('loss', 1, 0.1), pt('loss', 2, 0.5)]);
    const b = metricSeries([pt('loss', 1, 0.35), pt('loss', 2, 0.3)]);
    const runs = (c: Parameters<typeof comparedMetrics>[2]) => [
      { id: 'a', name: 'a', params: {}, metrics: comparedMetrics({ loss: 0.5 }, a, c) },
      { id: 'b', name: 'b', params: {}, metrics: comparedMetrics({ loss: 0.3 }, b, c) },
    ];
    const best = (c: Parameters<typeof comparedMetrics>[2]) => buildComparison(runs(c), defaultSettings(), { loss: 'min' }).metrics[0].isBest;
    assert.deepEqual(best({ kind: 'last' }), [false, true]);
    assert.deepEqual(best({ kind: 'min' }), [true, false]);
    assert.deepEqual(best({ kind: 'step', step: 1 }), [true, false]);
    assert.deepEqual(best({ kind: 'max' }), [false, true], 'max: a 0.5, b 0.35, lower is better');
  });
  it('normalizeCompared and the settings: malformed choices are "last"; a step is an integer', () => {
    assert.deepEqual(normalizeCompared(undefined), { kind: 'last' });
    assert.deepEqual(normalizeCompared({ kind: 'step', step: '10' }), { kind: 'last' });
    assert.deepEqual(normalizeCompared({ kind: 'step', step: Infinity }), { kind: 'last' });
    assert.deepEqual(normalizeCompared({ kind: 'step', step: 12.7 }), { kind: 'step', step: 12 });
    assert.deepEqual(normalizeCompared({ kind: 'max', step: 3 }), { kind: 'max' });
    assert.deepEqual(normalizeCompared({ kind: 'median' }), { kind: 'last' });
    assert.deepEqual(normalizeSettings({ compared: { kind: 'min' } }).compared, { kind: 'min' });
    assert.deepEqual(normalizeSettings({}).compared, { kind: 'last' });
    assert.equal(comparedLabel({ kind: 'step', step: 50 }), 'value at step 50');
  });
});

describe('compare series: LTTB downsampling', () => {
  it('keeps a spike that even thinning drops (checked by hand)', () => {
    const pts: [number, number][] = [[0, 0], [1, 1], [2, 0], [3, 5], [4, 0], [5, 1], [6, 0]];
    // every = 2.5; bucket 1 = {1, 2} against the next bucket's mean (4, 2): areas 2 and 4 → (2, 0);
    // bucket 2 = {3, 4, 5} against the last point (6, 0) from (2, 0): areas 20, 0, 4 → (3, 5).
    assert.deepEqual(lttb(pts, 4), [[0, 0], [2, 0], [3, 5], [6, 0]]);
  });
  it('a straight line: the first point of each bucket (no area beats another), first and last kept', () => {
    const pts = Array.from({ length: 10 }, (_, i) => [i, i] as [number, number]);
    assert.deepEqual(lttb(pts, 5).map((p) => p[0]), [0, 1, 3, 6, 9]);
  });
  it('short series and thresholds under 3 come back as they are', () => {
    const pts: [number, number][] = [[0, 1], [1, 2], [2, 3]];
    assert.equal(lttb(pts, 3), pts);
    assert.equal(lttb(pts, 10), pts);
    assert.equal(lttb([[0, 1], [1, 2], [2, 3], [3, 4]], 2).length, 4);
  });
  it('a long series: exactly the threshold, x increasing, first and last kept, the global extremes kept', () => {
    const pts = Array.from({ length: 5000 }, (_, i) => [i, Math.sin(i / 50) + (i === 2345 ? 10 : 0)] as [number, number]);
    const out = lttb(pts, 200);
    assert.equal(out.length, 200);
    assert.deepEqual(out[0], pts[0]);
    assert.deepEqual(out[199], pts[4999]);
    for (let i = 1; i < out.length; i++) assert.ok(out[i][0] > out[i - 1][0]);
    assert.ok(out.some((p) => p[0] === 2345), 'the spike at 2345 is kept');
  });
  it('stepHistories: metrics at two or more steps only, downsampled to the budget; seriesBudget shrinks with the runs', () => {
    const points = [...Array.from({ length: 3000 }, (_, i) => pt('loss', i, 1 / (i + 1))), pt('acc', 5, 0.9)];
    const h = stepHistories(metricSeries(points), 300);
    assert.deepEqual(Object.keys(h), ['loss']);
    assert.equal(h.loss.length, 300);
    assert.deepEqual(h.loss[0], [0, 1]);
    assert.deepEqual(h.loss[299], [2999, 1 / 3000]);
    assert.deepEqual([1, 50, 100, 200, 500, 5000].map(seriesBudget), [1000, 1000, 600, 300, 120, 100]);
  });
});
