/** The drift report view model: table sort, histogram shares, score bars, monitor history, timeline, saved state. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  changeText,
  defaultFeature,
  driftSummary,
  histogramShares,
  historyEntry,
  monitorHistory,
  negLog10,
  newerReport,
  nextSort,
  normalizeDriftSettings,
  P_FLOOR,
  parseDriftState,
  scoreBars,
  sortColumns,
  timeline,
} from '../../src/core/monitoring/driftView';
import { datasetDrift, type DriftColumnOptions, driftColumn } from '../../src/core/monitoring/stats';
import type { DriftReport, NamedColumnDrift } from '../../src/core/monitoring/types';
import { Rng } from '../../src/core/util/random';

const rng = new Rng(7);
const normal = (n: number, mean: number, sd: number) => Array.from({ length: n }, () => mean + sd * rng.normal());

function col(name: string, ref: ArrayLike<number | string | null>, cur: ArrayLike<number | string | null>, type: 'numeric' | 'categorical' = 'numeric', opts: DriftColumnOptions = {}): NamedColumnDrift {
  return { name, ...driftColumn(ref as never, cur as never, type, opts) };
}

function report(id: string, time: number, columns: NamedColumnDrift[], extra: Partial<DriftReport> = {}): DriftReport {
  return {
    format: 1,
    id,
    time,
    batch: `${id}.csv`,
    reference: { file: '/ws/data/ref.csv', rows: 1000, sha256: 'r' },
    current: { file: `/ws/data/${id}.csv`, rows: 50, sha256: 'c' },
    model: { uri: 'models:/M/Production', name: 'M', version: 1 },
    columns,
    dataset: datasetDrift(columns),
    alerts: [],
    ...extra,
  };
}

// A reference of 1000 rows and a 50-row batch: Temperature shifted by +10 (the sample's sensor), Vdd unchanged,
// Line categorical with a new mix, Empty without current values (not tested).
const refT = normal(1000, 25, 10);
const columns: NamedColumnDrift[] = [
  col('Vdd', normal(1000, 1, 0.05), normal(50, 1, 0.05)),
  col('Temperature', refT, normal(50, 35, 10)),
  col('Line', Array.from({ length: 300 }, (_, i) => ['A', 'B', 'C'][i % 3]), Array.from({ length: 60 }, (_, i) => (i < 40 ? 'C' : 'A')), 'categorical'),
  col('Empty', normal(100, 0, 1), [NaN, NaN, NaN]),
  col('Wide', normal(2000, 0, 1), normal(500, 0.8, 1)), // > 1000 reference rows: Wasserstein (a distance)
];
const byName = (n: string) => columns.find((c) => c.name === n)!;

describe('drift view: the fixture is what the tests assume', () => {
  it('Temperature and Line drifted (p-value tests), Vdd did not, Empty was not tested, Wide is a drifted distance', () => {
    assert.equal(byName('Temperature').method, 'ks');
    assert.equal(byName('Temperature').drifted, true);
    assert.equal(byName('Vdd').drifted, false);
    assert.equal(byName('Line').method, 'chisquare');
    assert.equal(byName('Line').drifted, true);
    assert.equal(byName('Empty').tested, false);
    assert.equal(byName('Wide').method, 'wasserstein');
    assert.equal(byName('Wide').drifted, true);
  });
});

describe('drift view: feature table sort', () => {
  it('keeps the report order without a sort', () => {
    assert.deepEqual(sortColumns(columns, null).map((c) => c.name), ['Vdd', 'Temperature', 'Line', 'Empty', 'Wide']);
  });
  it('sorts by p-value both ways with missing values (distances, untested) last', () => {
    const asc = sortColumns(columns, { key: 'pValue', descending: false }).map((c) => c.name);
    assert.deepEqual(asc.slice(3), ['Empty', 'Wide'], 'no p-value: last, in report order');
    assert.equal(asc[2], 'Vdd', 'the largest p-value last among the tested');
    const desc = sortColumns(columns, { key: 'pValue', descending: true }).map((c) => c.name);
    assert.equal(desc[0], 'Vdd');
    assert.deepEqual(desc.slice(3), ['Empty', 'Wide'], 'still last when descending');
  });
  it('puts missing values last wherever they stand in the report', () => {
    const mixed = [byName('Empty'), byName('Wide'), byName('Vdd'), byName('Temperature')];
    assert.deepEqual(sortColumns(mixed, { key: 'pValue', descending: false }).map((c) => c.name), ['Temperature', 'Vdd', 'Empty', 'Wide']);
    assert.deepEqual(sortColumns(mixed, { key: 'pValue', descending: true }).map((c) => c.name), ['Vdd', 'Temperature', 'Empty', 'Wide']);
  });
  it('sorts by drifted: severity first, untested last', () => {
    const names = sortColumns(columns, { key: 'drifted', descending: true }).map((c) => c.name);
    assert.equal(names.at(-1), 'Empty');
    assert.equal(names.at(-2), 'Vdd');
    assert.ok(['Temperature', 'Line', 'Wide'].includes(names[0]));
  });
  it('sorts by name, text before nothing, case-insensitively and stably', () => {
    assert.deepEqual(sortColumns(columns, { key: 'feature', descending: false }).map((c) => c.name), ['Empty', 'Line', 'Temperature', 'Vdd', 'Wide']);
    assert.deepEqual(sortColumns(columns, { key: 'type', descending: false }).map((c) => c.name), ['Line', 'Vdd', 'Temperature', 'Empty', 'Wide'], 'categorical < numeric, ties in report order');
  });
  it('sorts reference values: numbers before categories', () => {
    const names = sortColumns(columns, { key: 'reference', descending: false }).map((c) => c.name);
    assert.deepEqual(names, ['Wide', 'Empty', 'Vdd', 'Temperature', 'Line']);
  });
  it('a header click: the same key reverses, a new key starts in its natural direction', () => {
    assert.deepEqual(nextSort(null, 'feature'), { key: 'feature', descending: false });
    assert.deepEqual(nextSort(null, 'psi'), { key: 'psi', descending: true });
    assert.deepEqual(nextSort({ key: 'psi', descending: true }, 'psi'), { key: 'psi', descending: false });
    assert.deepEqual(nextSort({ key: 'psi', descending: true }, 'pValue'), { key: 'pValue', descending: false });
  });
  it('the feature shown first is the most drifted one', () => {
    assert.equal(defaultFeature([byName('Vdd'), byName('Temperature'), byName('Empty')]), 'Temperature');
    assert.equal(defaultFeature([byName('Vdd'), { ...byName('Temperature'), severity: 'high' }, { ...byName('Line'), severity: 'critical' }]), 'Line', 'severity first');
    assert.equal(defaultFeature([{ ...byName('Temperature'), pValue: 1e-3, score: 1e-3 }, { ...byName('Line'), pValue: 1e-9, score: 1e-9 }].map((c) => ({ ...c, severity: 'critical' as const }))), 'Line', 'then the strongest evidence');
    assert.equal(defaultFeature([byName('Vdd'), byName('Empty')]), 'Vdd');
    assert.equal(defaultFeature([]), null);
  });
});

describe('drift view: histograms as shares', () => {
  it('numeric: one set of edges for both sides, each side sums to 1 whatever its size', () => {
    const t = byName('Temperature');
    const hs = histogramShares(t.histogram)!;
    assert.equal(hs.kind, 'numeric');
    assert.ok(t.histogram.kind === 'numeric');
    assert.deepEqual(hs.edges, t.histogram.edges);
    assert.equal(hs.reference.length, hs.edges!.length - 1);
    assert.equal(hs.current.length, hs.edges!.length - 1);
    assert.equal(hs.labels.length, hs.edges!.length - 1);
    assert.deepEqual(hs.totals, { reference: 1000, current: 50 });
    const sum = (xs: number[]) => xs.reduce((s, v) => s + v, 0);
    assert.ok(Math.abs(sum(hs.reference) - 1) < 1e-12);
    assert.ok(Math.abs(sum(hs.current) - 1) < 1e-12);
    assert.equal(hs.current[0], t.histogram.current[0] / 50);
    assert.match(hs.labels[0], /^-?[\d.e+-]+–-?[\d.e+-]+$/);
  });
  it('categorical: shares per category', () => {
    const hs = histogramShares(byName('Line').histogram)!;
    assert.equal(hs.kind, 'categorical');
    assert.deepEqual(hs.labels, ['C', 'A', 'B'], 'by reference count, then current count');
    assert.deepEqual(hs.reference, [1 / 3, 1 / 3, 1 / 3]);
    assert.deepEqual(hs.current, [40 / 60, 20 / 60, 0]);
  });
  it('a side without values is all zeros; a malformed histogram is refused', () => {
    const hs = histogramShares(byName('Empty').histogram)!;
    assert.equal(hs.totals.current, 0);
    assert.ok(hs.current.every((v) => v === 0));
    assert.equal(histogramShares({ kind: 'numeric', edges: [0, 1, 2], reference: [1], current: [1, 2] }), null);
    assert.equal(histogramShares(undefined), null);
  });
});

describe('drift view: score bars', () => {
  it('p-value tests as −log10 p against −log10 threshold: past the line exactly when drifted', () => {
    const bars = scoreBars(columns, 'p_value');
    assert.deepEqual(bars.map((b) => b.name), ['Vdd', 'Temperature', 'Line', 'Empty']);
    for (const b of bars) {
      assert.equal(b.thresholdValue, negLog10(0.05));
      if (b.value !== null) assert.equal(b.value >= b.thresholdValue, b.drifted, b.name);
    }
    assert.equal(bars.find((b) => b.name === 'Empty')!.value, null, 'not tested: no bar');
    assert.ok(Math.abs(negLog10(0.05) - 1.30103) < 1e-5);
  });
  it('distances as they are', () => {
    const [w] = scoreBars(columns, 'distance');
    assert.equal(w.name, 'Wide');
    assert.equal(w.value, byName('Wide').score);
    assert.equal(w.thresholdValue, 0.1);
  });
  it('p = 0 is drawn at the floor and flagged', () => {
    const c = { ...byName('Temperature'), pValue: 0, score: 0 };
    const [b] = scoreBars([c], 'p_value');
    assert.equal(b.value, -Math.log10(P_FLOOR));
    assert.equal(b.clipped, true);
  });
});

describe('drift view: monitor history and timeline', () => {
  const r1 = report('r1', 1000, columns);
  const r2 = report('r2', 2000, [byName('Vdd'), { ...byName('Temperature'), drifted: false, severity: null, pValue: 0.3, score: 0.3 }]);
  const r3 = report('r3', 3000, columns);
  const other = report('x', 2500, columns, { reference: { file: '/ws/other.csv', rows: 1, sha256: '' } });
  const noModel = report('n', 2600, columns, { model: undefined });
  const all = [r3, other, r1, noModel, r2];

  it("keeps the monitor's reports (same model and reference), oldest first", () => {
    assert.deepEqual(monitorHistory(all, r2).map((r) => r.id), ['r1', 'r2', 'r3']);
    assert.deepEqual(monitorHistory(all, noModel).map((r) => r.id), ['n']);
    assert.equal(newerReport(all, r1)?.id, 'r3');
    assert.equal(newerReport(all, r3), undefined);
  });
  it('caps the history at the newest reports, unless the report is older than those', () => {
    assert.deepEqual(monitorHistory(all, r3, 2).map((r) => r.id), ['r2', 'r3']);
    assert.deepEqual(monitorHistory(all, r1, 2).map((r) => r.id), ['r1'], 'the window ends at the report');
    assert.deepEqual(monitorHistory(all, r2, 2).map((r) => r.id), ['r2', 'r3'], 'r2 is among the newest two');
  });
  it('history entries carry scores only; an untested NaN score becomes null', () => {
    const e = historyEntry(r1);
    assert.equal(e.columns.find((c) => c.name === 'Empty')!.score, null);
    assert.equal(e.columns.find((c) => c.name === 'Temperature')!.drifted, true);
    assert.ok(!('histogram' in e.columns[0]));
  });
  it("builds each feature's series for one kind of score, drifted points flagged, repeated batch names told apart", () => {
    const h = [historyEntry(r1), { ...historyEntry(r2), batch: 'r1.csv' }, historyEntry(r3)];
    const tl = timeline(h, 'p_value', ['Temperature']);
    assert.deepEqual(tl.labels, ['r1.csv', 'r1.csv (2)', 'r3.csv']);
    assert.deepEqual(tl.ids, ['r1', 'r2', 'r3']);
    assert.deepEqual(tl.series.map((s) => s.feature), ['Temperature', 'Vdd', 'Line'], 'the given order first; Empty has no score');
    const temp = tl.series[0];
    assert.deepEqual(temp.drifted, [true, false, true]);
    assert.equal(temp.values[1], negLog10(0.3));
    const line = tl.series[2];
    assert.equal(line.values[1], null, 'r2 has no Line column');
    const dist = timeline(h, 'distance');
    assert.deepEqual(dist.series.map((s) => s.feature), ['Wide']);
    assert.deepEqual(dist.series[0].values, [byName('Wide').score, null, byName('Wide').score]);
  });
});

describe('drift view: saved state', () => {
  const good = { v: 1, folder: '/home/me/wafers', reportId: '20250101T120000-abc123', feature: 'Temperature', sort: { key: 'psi', descending: true } };
  it('accepts a state it wrote', () => {
    assert.deepEqual(parseDriftState(good), good);
    assert.deepEqual(parseDriftState({ ...good, folder: 'C:\\work\\wafers' })?.folder, 'C:\\work\\wafers');
  });
  it('rejects states that name no valid report', () => {
    for (const bad of [null, 'x', [], {}, { ...good, v: 2 }, { ...good, folder: 'relative/path' }, { ...good, folder: 3 }, { ...good, reportId: '../../etc/passwd' }, { ...good, reportId: 'a/b' }, { ...good, reportId: '' }, { ...good, folder: '/x\0y' }]) {
      assert.equal(parseDriftState(bad), undefined, JSON.stringify(bad));
    }
  });
  it('drops bad choices but keeps the report', () => {
    assert.deepEqual(parseDriftState({ ...good, feature: 5, sort: { key: 'nope' }, extra: '<script>' }), { v: 1, folder: good.folder, reportId: good.reportId, feature: null, sort: null });
    assert.deepEqual(normalizeDriftSettings({ feature: 'x'.repeat(2000), sort: { key: 'drifted', descending: 'yes' } }), { feature: null, sort: { key: 'drifted', descending: false } });
  });
});

describe('drift view: summary text', () => {
  it('says what drifted, the dataset verdict, prediction and performance', () => {
    const r = report('r9', Date.UTC(2025, 0, 2), columns, {
      prediction: driftColumn(normal(1000, 80, 5), normal(50, 70, 5), 'numeric'),
      performance: { checks: [{ metric: 'rmse', reference: 2.9, current: 6.3, degradation: 1.17, degraded: true }], threshold: 0.2, rows: 50 },
    });
    const s = driftSummary(r);
    assert.match(s, /^Drift report: r9\.csv \(2025-01-02T00:00:00\.000Z\)\n/);
    assert.match(s, /50 rows against ref\.csv \(1000 rows\), model M v1/);
    assert.match(s, /Dataset drift: YES: 3 of 4 columns drifted \(share 0\.75, threshold 0\.5\)/);
    assert.match(s, /Drifted: Temperature \(ks p = [^)]+\); Line \(chisquare p = /);
    assert.match(s, /Prediction drift: YES: ks p = /);
    assert.match(s, /Performance: rmse 2\.9 → 6\.3 \(117\.0 % worse, alert\)/);
    assert.equal(changeText(-0.03), '3.0 % better');
    assert.equal(changeText(0), 'no change');
  });
});
