/** The comparison model behind Compare Runs: differences, best values and directions, sorting, baseline deltas, exports. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { comparePrimaryMetric, defaultDirections, parseDirectionSetting } from '../../src/core/compare/directions';
import { comparisonToCsv, comparisonToMarkdown, csvField, mdText, type ExportRun } from '../../src/core/compare/export';
import {
  buildComparison,
  type CompareSettings,
  defaultSettings,
  formatDelta,
  formatPercent,
  normalizeSettings,
  paramValuesDiffer,
  metricValuesDiffer,
  shownMetrics,
  shownParams,
  sortRuns,
} from '../../src/core/compare/model';
import type { Experiment, Run } from '../../src/core/store/types';

interface R extends ExportRun {
  experiment: string;
  status: string;
}

let n = 0;
function run(name: string, params: R['params'], metrics: R['metrics']): R {
  n++;
  return { id: `id${n}`, name, experiment: 'YieldPrediction_RandomForest', status: 'completed', startTime: 1000 + n, params, metrics };
}

// The seed's sweep (n_estimators × max_depth) with its test metrics.
const sweep = [
  run('rf_n50_d5', { n_estimators: 50, max_depth: 5, seed: 42 }, { rmse_test: 3.412, mae_test: 2.71, r2_test: 0.702, fit_seconds: 0.8 }),
  run('rf_n100_d5', { n_estimators: 100, max_depth: 5, seed: 42 }, { rmse_test: 3.387, mae_test: 2.69, r2_test: 0.706, fit_seconds: 1.5 }),
  run('rf_n100_d10', { n_estimators: 100, max_depth: 10, seed: 42 }, { rmse_test: 3.151, mae_test: 2.52, r2_test: 0.749, fit_seconds: 2.1 }),
  run('rf_n200_d10', { n_estimators: 200, max_depth: 10, seed: 42 }, { rmse_test: 3.118, mae_test: 2.49, r2_test: 0.754, fit_seconds: 4.2 }),
  run('rf_n200_dnone', { n_estimators: 200, max_depth: null, seed: 42 }, { rmse_test: 3.164, mae_test: 2.55, r2_test: 0.746, fit_seconds: 5.0 }),
];
const directions = defaultDirections(['rmse_test', 'mae_test', 'r2_test', 'fit_seconds', 'accuracy_test', 'val_loss', 'f1']);

function settings(p: Partial<CompareSettings> = {}): CompareSettings {
  return { ...defaultSettings(), ...p };
}

describe('compare: directions', () => {
  it('lower is better for error-like names, higher otherwise', () => {
    assert.deepEqual(directions, { rmse_test: 'min', mae_test: 'min', r2_test: 'max', fit_seconds: 'min', accuracy_test: 'max', val_loss: 'min', f1: 'max' });
  });
  it("a configured direction beats an experiment's primary metric, which beats the naming rule", () => {
    const exp: Experiment = { id: 'e', name: 'E', createdAt: 0, primaryMetric: { key: 'custom_score', direction: 'min' } };
    assert.deepEqual(defaultDirections(['custom_score', 'rmse_test'], [exp]), { custom_score: 'min', rmse_test: 'min' });
    assert.deepEqual(defaultDirections(['custom_score', 'rmse_test'], [exp], { custom_score: 'max', rmse_test: 'max' }), { custom_score: 'max', rmse_test: 'max' });
    assert.deepEqual(parseDirectionSetting({ a: 'lower', b: 'MAX', c: 'sideways', d: 3 }), { a: 'min', b: 'max' });
    assert.deepEqual(parseDirectionSetting(['x']), {});
  });
  it('the primary metric of the compared runs', () => {
    const r = (metrics: Record<string, number>, experimentId = 'e') => ({ experimentId, metrics }) as unknown as Run;
    assert.deepEqual(comparePrimaryMetric([r({ rmse_test: 1, r2_test: 0.5 })], []), { key: 'rmse_test', direction: 'min' });
    const exp: Experiment = { id: 'e', name: 'E', createdAt: 0, primaryMetric: { key: 'r2_test', direction: 'max' } };
    assert.deepEqual(comparePrimaryMetric([r({ rmse_test: 1, r2_test: 0.5 })], [exp]), { key: 'r2_test', direction: 'max' });
    assert.equal(comparePrimaryMetric([r({})], []), undefined);
  });
});

describe('compare: differences', () => {
  it('flags params that differ across the shown runs; a missing key differs; 10 and "10" are equal', () => {
    assert.equal(paramValuesDiffer([1, 1, 1]), false);
    assert.equal(paramValuesDiffer([1, 2]), true);
    assert.equal(paramValuesDiffer([10, '10']), false);
    assert.equal(paramValuesDiffer([null, 'none']), true);
    assert.equal(paramValuesDiffer([5, undefined]), true);
    assert.equal(paramValuesDiffer([undefined, undefined]), false);
    assert.equal(paramValuesDiffer(['x']), false);
    assert.equal(metricValuesDiffer([3.118, 3.118 + 1e-13]), false, 'float noise is not a difference');
    assert.equal(metricValuesDiffer([3.118, 3.1181]), true);
    assert.equal(metricValuesDiffer([1, undefined]), true);
  });

  it('builds rows over the union of keys, sorted, with difference flags', () => {
    const odd = run('other', { n_estimators: 50, engine: 'mljs' }, { rmse_test: 3.5, accuracy_test: 0.9 });
    const c = buildComparison([...sweep, odd], settings(), directions);
    assert.deepEqual(c.params.map((p) => p.key), ['engine', 'max_depth', 'n_estimators', 'seed']);
    assert.deepEqual(c.params.map((p) => p.differs), [true, true, true, true], 'seed is missing in one run');
    assert.deepEqual(c.params.find((p) => p.key === 'engine')!.values, [undefined, undefined, undefined, undefined, undefined, 'mljs']);
    assert.deepEqual(c.metrics.map((m) => m.key), ['accuracy_test', 'fit_seconds', 'mae_test', 'r2_test', 'rmse_test']);
    const c2 = buildComparison(sweep, settings({ paramsDiffOnly: true }), directions);
    assert.deepEqual(shownParams(c2, { paramsDiffOnly: true }).map((p) => p.key), ['max_depth', 'n_estimators']);
    assert.deepEqual(shownParams(c2, { paramsDiffOnly: false }).map((p) => p.key), ['max_depth', 'n_estimators', 'seed']);
  });

  it('differences are computed over the shown runs only (hidden runs do not count)', () => {
    const c = buildComparison(sweep, settings({ hidden: ['id1', 'id2', 'id5'] }), directions);
    assert.deepEqual(c.runs.map((r) => r.name), ['rf_n100_d10', 'rf_n200_d10']);
    assert.deepEqual(c.hidden.map((r) => r.name), ['rf_n50_d5', 'rf_n100_d5', 'rf_n200_dnone']);
    assert.equal(c.params.find((p) => p.key === 'max_depth')!.differs, false);
    assert.equal(c.params.find((p) => p.key === 'n_estimators')!.differs, true);
    const same = buildComparison([sweep[0], { ...sweep[0], id: 'copy', name: 'copy' }], settings({ metricsDiffOnly: true }), directions);
    assert.deepEqual(shownMetrics(same, { metricsDiffOnly: true }), []);
  });
});

describe('compare: best values', () => {
  it('marks the best value of each metric by its direction', () => {
    const c = buildComparison(sweep, settings(), directions);
    const m = (k: string) => c.metrics.find((x) => x.key === k)!;
    assert.equal(m('rmse_test').direction, 'min');
    assert.equal(m('rmse_test').best, 3.118);
    assert.deepEqual(m('rmse_test').isBest, [false, false, false, true, false]);
    assert.equal(m('r2_test').direction, 'max');
    assert.deepEqual(m('r2_test').isBest, [false, false, false, true, false]);
    assert.deepEqual(m('fit_seconds').isBest, [true, false, false, false, false]);
  });

  it('the user can override a direction; ties mark every best run; nothing is best when all are equal or only one has a value', () => {
    const c = buildComparison(sweep, settings({ directionOverrides: { rmse_test: 'max' } }), directions);
    const rmse = c.metrics.find((x) => x.key === 'rmse_test')!;
    assert.equal(rmse.direction, 'max');
    assert.equal(rmse.overridden, true);
    assert.deepEqual(rmse.isBest, [true, false, false, false, false]);
    const tie = buildComparison([run('a', {}, { acc: 0.9, x: 1 }), run('b', {}, { acc: 0.9, x: 1 }), run('c', {}, { acc: 0.8 })], settings(), {});
    assert.deepEqual(tie.metrics.find((x) => x.key === 'acc')!.isBest, [true, true, false]);
    assert.equal(tie.metrics.find((x) => x.key === 'x')!.best, undefined, 'all equal: nothing to rank');
    assert.deepEqual(tie.metrics.find((x) => x.key === 'x')!.isBest, [false, false, false]);
    const one = buildComparison([run('a', {}, { only: 1 }), run('b', {}, {})], settings(), {});
    assert.equal(one.metrics[0].best, undefined);
    const nan = buildComparison([run('a', {}, { loss: NaN }), run('b', {}, { loss: 0.5 }), run('c', {}, { loss: 0.7 })], settings(), defaultDirections(['loss']));
    assert.deepEqual(nan.metrics[0].isBest, [false, true, false], 'NaN never wins');
  });
});

describe('compare: sorting', () => {
  it('sorts by a metric, a param, the name or the start time; missing values last; stable', () => {
    const names = (s: CompareSettings['sort']) => sortRuns(sweep, s).map((r) => r.name);
    assert.deepEqual(names({ by: 'metric', key: 'rmse_test', descending: false }), ['rf_n200_d10', 'rf_n100_d10', 'rf_n200_dnone', 'rf_n100_d5', 'rf_n50_d5']);
    assert.deepEqual(names({ by: 'metric', key: 'r2_test', descending: true }), ['rf_n200_d10', 'rf_n100_d10', 'rf_n200_dnone', 'rf_n100_d5', 'rf_n50_d5']);
    // max_depth: numbers ascending, then none (unlimited); ties keep the given order.
    assert.deepEqual(names({ by: 'param', key: 'max_depth', descending: false }), ['rf_n50_d5', 'rf_n100_d5', 'rf_n100_d10', 'rf_n200_d10', 'rf_n200_dnone']);
    assert.deepEqual(names({ by: 'param', key: 'n_estimators', descending: true }), ['rf_n200_d10', 'rf_n200_dnone', 'rf_n100_d5', 'rf_n100_d10', 'rf_n50_d5']);
    assert.deepEqual(names({ by: 'name', descending: false }), ['rf_n50_d5', 'rf_n100_d5', 'rf_n100_d10', 'rf_n200_d10', 'rf_n200_dnone']);
    assert.deepEqual(names({ by: 'startTime', descending: true }), sweep.map((r) => r.name).reverse());
    assert.deepEqual(names(null), sweep.map((r) => r.name));
    const partial = [run('none', {}, {}), ...sweep.slice(0, 2)];
    assert.deepEqual(sortRuns(partial, { by: 'metric', key: 'rmse_test', descending: true }).map((r) => r.name), ['rf_n50_d5', 'rf_n100_d5', 'none']);
    assert.deepEqual(sortRuns(partial, { by: 'param', key: 'seed', descending: false }).map((r) => r.name), ['rf_n50_d5', 'rf_n100_d5', 'none']);
  });
});

describe('compare: baseline deltas', () => {
  it('gives each metric its delta against the pinned run, relative delta, and whether it is better', () => {
    const c = buildComparison(sweep, settings({ baseline: 'id1' }), directions);
    assert.equal(c.baseline?.name, 'rf_n50_d5');
    const rmse = c.metrics.find((x) => x.key === 'rmse_test')!;
    assert.equal(rmse.baselineValue, 3.412);
    assert.equal(rmse.deltas[0], 0);
    assert.ok(Math.abs(rmse.deltas[3]! - (3.118 - 3.412)) < 1e-12);
    assert.ok(Math.abs(rmse.relDeltas[3]! - (3.118 - 3.412) / 3.412) < 1e-12);
    assert.deepEqual(rmse.better, [undefined, true, true, true, true], 'lower rmse is better');
    const r2 = c.metrics.find((x) => x.key === 'r2_test')!;
    assert.deepEqual(r2.better, [undefined, true, true, true, true], 'higher r2 is better');
    const fit = c.metrics.find((x) => x.key === 'fit_seconds')!;
    assert.deepEqual(fit.better, [undefined, false, false, false, false], 'slower fits are worse');
  });

  it('a hidden baseline still anchors the deltas; a missing value or a zero baseline gives no (relative) delta', () => {
    const c = buildComparison(sweep, settings({ baseline: 'id4', hidden: ['id4'] }), directions);
    assert.equal(c.runs.length, 4);
    assert.equal(c.baseline?.name, 'rf_n200_d10');
    assert.ok(c.metrics.find((x) => x.key === 'rmse_test')!.deltas.every((d) => d !== undefined && d > 0));
    const z = buildComparison([run('a', {}, { m: 0 }), run('b', {}, { m: 2 }), run('c', {}, {})], settings({ baseline: 'id' + (n - 2) }), {});
    assert.deepEqual(z.metrics[0].deltas, [0, 2, undefined]);
    assert.deepEqual(z.metrics[0].relDeltas, [undefined, undefined, undefined]);
    const none = buildComparison(sweep, settings({ baseline: 'no-such-run' }), directions);
    assert.equal(none.baseline, undefined);
    assert.ok(none.metrics.every((m) => m.deltas.every((d) => d === undefined)));
    assert.equal(formatDelta(-0.294), '-0.294');
    assert.equal(formatDelta(2), '+2');
    assert.equal(formatDelta(0), '±0');
    assert.equal(formatPercent(-0.0861665), '-8.62%');
    assert.equal(formatPercent(0.5), '+50.0%');
  });
});

describe('compare: settings from untrusted state', () => {
  it('keeps valid fields and defaults the rest', () => {
    assert.deepEqual(normalizeSettings(undefined), defaultSettings());
    assert.deepEqual(normalizeSettings('x'), defaultSettings());
    const s = normalizeSettings({
      paramsDiffOnly: true, metricsDiffOnly: 'yes', sort: { by: 'metric', key: 'rmse_test', descending: 1 }, hidden: ['a', 3, 'a', ''], baseline: 7,
      directionOverrides: { rmse_test: 'max', bad: 'up' }, charts: { tab: 'pcp', barMetrics: ['rmse_test', null], pcpParams: 'x', scatterParam: 'n_estimators' },
    });
    assert.equal(s.paramsDiffOnly, true);
    assert.equal(s.metricsDiffOnly, false);
    assert.deepEqual(s.sort, { by: 'metric', key: 'rmse_test', descending: false });
    assert.deepEqual(s.hidden, ['a']);
    assert.equal(s.baseline, null);
    assert.deepEqual(s.directionOverrides, { rmse_test: 'max' });
    assert.equal(s.charts.tab, 'pcp');
    assert.deepEqual(s.charts.barMetrics, ['rmse_test']);
    assert.deepEqual(s.charts.pcpParams, []);
    assert.equal(s.charts.scatterParam, 'n_estimators');
    assert.equal(normalizeSettings({ sort: { by: 'metric' } }).sort, null, 'a metric sort needs a key');
    assert.equal(normalizeSettings({ sort: { by: 'evil' } }).sort, null);
    assert.deepEqual(normalizeSettings({ sort: { by: 'name', descending: true } }).sort, { by: 'name', descending: true });
  });
});

describe('compare: export', () => {
  const xss = run('<img src=x onerror=alert(1)>', { note: '</script><b>bold</b>', formula: '=HYPERLINK("http://x")', n_estimators: 100 }, { rmse_test: 9, r2_test: -0.5 });
  const base = sweep[0];

  it('CSV: one row per run with params.*, metrics.*, delta.*, best.* columns; quoting; formula guard', () => {
    const c = buildComparison([base, xss], settings({ baseline: base.id }), directions);
    const csv = comparisonToCsv(c, settings({ baseline: base.id }));
    const lines = csv.trimEnd().split('\r\n');
    assert.equal(lines.length, 3);
    assert.equal(
      lines[0],
      'run_id,run,experiment,status,baseline,params.formula,params.max_depth,params.n_estimators,params.note,params.seed,' +
        'metrics.fit_seconds,metrics.mae_test,metrics.r2_test,metrics.rmse_test,delta.fit_seconds,delta.mae_test,delta.r2_test,delta.rmse_test,' +
        'best.fit_seconds,best.mae_test,best.r2_test,best.rmse_test',
    );
    assert.equal(lines[1], `${base.id},rf_n50_d5,YieldPrediction_RandomForest,completed,true,,5,50,,42,0.8,2.71,0.702,3.412,0,0,0,0,false,false,true,true`);
    assert.equal(lines[2], `${xss.id},<img src=x onerror=alert(1)>,YieldPrediction_RandomForest,completed,false,"'=HYPERLINK(""http://x"")",,100,</script><b>bold</b>,,,,-0.5,9,,,-1.202,5.588,false,false,false,false`);
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('line\nbreak'), '"line\nbreak"');
    assert.equal(csvField('-5'), '-5', 'a negative number in text is not a formula');
    assert.equal(csvField('@SUM(A1)'), "'@SUM(A1)");
    assert.equal(csvField(null), 'none');
    assert.equal(csvField(undefined), '');
  });

  it('CSV: runs as columns, as on screen, honouring hidden runs and differences only', () => {
    const s = settings({ paramsDiffOnly: true, metricsDiffOnly: true, hidden: ['id5'], sort: { by: 'metric', key: 'rmse_test', descending: false } });
    const csv = comparisonToCsv(buildComparison(sweep, s, directions), s, { layout: 'runs-as-columns' });
    const rows = csv.trimEnd().split('\r\n');
    assert.equal(rows[0], 'section,key,direction,best,rf_n200_d10,rf_n100_d10,rf_n100_d5,rf_n50_d5');
    assert.ok(rows.includes('param,max_depth,,,10,10,5,5'));
    assert.ok(rows.includes('param,n_estimators,,,200,100,100,50'));
    assert.ok(!rows.some((r) => r.startsWith('param,seed')), 'seed is the same everywhere');
    assert.ok(rows.includes('metric,rmse_test,min,3.118,3.118,3.151,3.387,3.412'));
    assert.ok(rows.includes('metric,r2_test,max,0.754,0.754,0.749,0.706,0.702'));
  });

  it('Markdown: runs as columns, best in bold, deltas against the baseline, user text escaped', () => {
    const s = settings({ baseline: base.id });
    const md = comparisonToMarkdown(buildComparison([base, sweep[3], xss], s, directions), s, { title: 'Sweep | 3 runs' });
    assert.match(md, /^## Sweep \\\| 3 runs\n/);
    assert.match(md, /deltas against the baseline rf\\_n50\\_d5 in parentheses/);
    assert.ok(md.includes('| Parameter | rf\\_n50\\_d5 (baseline) | rf\\_n200\\_d10 | \\<img src=x onerror=alert(1)\\> |'), md);
    assert.ok(md.includes('| note | — | — | \\</script\\>\\<b\\>bold\\</b\\> |'), md);
    assert.ok(md.includes('| rmse\\_test ↓ | 3.412 | **3.118** (-0.294, -8.62%) | 9 (+5.588, +164%) |'), md);
    assert.ok(md.includes('| r2\\_test ↑ | 0.702 | **0.754** (+0.052, +7.41%) | -0.5 (-1.202, -171%) |'), md);
    assert.ok(md.includes('| --- | ---: | ---: | ---: |'));
    assert.ok(!/<img|<\/script>|<b>/.test(md.replace(/\\</g, '')), 'no raw HTML tag survives');
    assert.equal(mdText('a|b*c_d`e[f](g)<h>&\nz'), 'a\\|b\\*c\\_d\\`e\\[f\\](g)\\<h\\>\\& z');
  });

  it('Markdown: runs as rows', () => {
    const s = settings({ paramsDiffOnly: true });
    const md = comparisonToMarkdown(buildComparison(sweep.slice(0, 2), s, directions), s, { layout: 'runs-as-rows' });
    assert.ok(md.includes('| Run | n\\_estimators | fit\\_seconds ↓ | mae\\_test ↓ | r2\\_test ↑ | rmse\\_test ↓ |'), md);
    assert.ok(md.includes('| rf\\_n100\\_d5 | 100 | 1.5 | **2.69** | **0.706** | **3.387** |'), md);
    assert.match(md, /only parameters that differ/);
  });
});
