import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileFilter, FilterSyntaxError, parseFilter, sortRuns, validateFilter } from '../../src/core/tracking/filter';
import { fakeRun } from './helpers';

const run = fakeRun;

const runs = [
  run({ name: 'rf-50-5', params: { n_estimators: 50, max_depth: 5 }, metrics: { rmse_test: 3.4, r2_test: 0.7 }, tags: { team: 'yield' } }),
  run({ name: 'rf-100-10', params: { n_estimators: 100, max_depth: 10 }, metrics: { rmse_test: 3.1, r2_test: 0.8 }, tags: { team: 'yield-ops' } }),
  run({ name: 'rf-200-none', params: { n_estimators: 200, max_depth: null }, metrics: { rmse_test: 3.15 }, effectiveStatus: 'failed', status: 'failed' }),
  run({ name: 'baseline', params: { model: 'mean' }, metrics: {}, tags: { 'my tag': 'x' } }),
];
const names = (f: string) => runs.filter(compileFilter(f)).map((r) => r.name);

describe('filter language', () => {
  it('compares metrics and params (MLflow syntax)', () => {
    assert.deepEqual(names('metrics.rmse_test < 3.2 and params.max_depth = 10'), ['rf-100-10']);
    assert.deepEqual(names('metrics.rmse_test >= 3.15'), ['rf-50-5', 'rf-200-none']);
    assert.deepEqual(names("params.max_depth = 'none'"), ['rf-200-none']);
    assert.deepEqual(names('params.n_estimators > 60'), ['rf-100-10', 'rf-200-none']);
    assert.deepEqual(names("params.model = 'mean'"), ['baseline']);
    assert.deepEqual(names('metrics.r2_test != 0.7'), ['rf-100-10']);
  });
  it('supports or, not and parentheses with the usual precedence', () => {
    assert.deepEqual(names("status = 'failed' or metrics.r2_test > 0.75"), ['rf-100-10', 'rf-200-none']);
    assert.deepEqual(names("not status = 'completed'"), ['rf-200-none']);
    assert.deepEqual(names("(params.n_estimators = 50 or params.n_estimators = 200) and status = 'completed'"), ['rf-50-5']);
    assert.deepEqual(names("params.n_estimators = 50 or params.n_estimators = 200 and status = 'completed'"), ['rf-50-5']);
  });
  it('like, ilike, in, backtick keys and attributes', () => {
    assert.deepEqual(names("tags.team like 'yield%'"), ['rf-50-5', 'rf-100-10']);
    assert.deepEqual(names("name ilike 'RF-_0-%'"), ['rf-50-5']);
    assert.deepEqual(names("name not like 'rf%'"), ['baseline']);
    assert.deepEqual(names('params.n_estimators in (50, 200)'), ['rf-50-5', 'rf-200-none']);
    assert.deepEqual(names("tags.`my tag` = 'x'"), ['baseline']);
    assert.deepEqual(names("start_time >= '2025-12-03'"), ['rf-200-none', 'baseline']);
    assert.deepEqual(names("experiment = 'Wafer' and duration = 5"), runs.map((r) => r.name));
    assert.deepEqual(names("attributes.status = 'FAILED'"), ['rf-200-none']);
  });
  it('missing keys never match a comparison', () => {
    assert.deepEqual(names('metrics.r2_test < 100'), ['rf-50-5', 'rf-100-10']);
    assert.deepEqual(names('metrics.r2_test != 0'), ['rf-50-5', 'rf-100-10']);
  });
  it('points at the position of a syntax error', () => {
    const cases: [string, number, RegExp][] = [
      ['metrics.rmse_test <', 19, /Expected a number or a quoted string/],
      ['metrics.rmse_test < 3 and', 25, /Expected a field/],
      ['metrics.rmse_test 3', 18, /Expected a comparison operator/],
      ["metrics.rmse_test = 'x'", 20, /is a number/],
      ['foo = 1', 0, /Unknown field 'foo'/],
      ['(metrics.a < 1', 14, /Expected '\)'/],
      ["name = 'unterminated", 7, /Unterminated string/],
      ['metrics.a < 1 metrics.b < 2', 14, /Expected 'and', 'or'/],
      ["status = 'sleeping'", 9, /Unknown status/],
      ['metrics.a # 1', 10, /Unexpected character/],
    ];
    for (const [src, pos, re] of cases) {
      assert.throws(() => parseFilter(src), (e: unknown) => {
        assert.ok(e instanceof FilterSyntaxError, src);
        assert.equal(e.position, pos, `${src}: position`);
        assert.match(e.message, re);
        assert.match(e.message, new RegExp(`at position ${pos + 1}$`));
        return true;
      });
    }
    assert.equal(validateFilter('metrics.a < 1'), undefined);
    assert.match(validateFilter('metrics.a <')!, /position 12/);
    assert.equal(parseFilter('   '), undefined);
  });
  it('orders by metric, param or attribute with missing values last', () => {
    assert.deepEqual(sortRuns(runs, 'metrics.rmse_test', false).map((r) => r.name), ['rf-100-10', 'rf-200-none', 'rf-50-5', 'baseline']);
    assert.deepEqual(sortRuns(runs, 'metrics.rmse_test', true).map((r) => r.name), ['rf-50-5', 'rf-200-none', 'rf-100-10', 'baseline']);
    assert.deepEqual(sortRuns(runs, 'params.n_estimators', true).map((r) => r.name), ['rf-200-none', 'rf-100-10', 'rf-50-5', 'baseline']);
    assert.deepEqual(sortRuns(runs, 'name', false).map((r) => r.name), ['baseline', 'rf-100-10', 'rf-200-none', 'rf-50-5']);
    assert.deepEqual(sortRuns(runs, undefined, false).map((r) => r.name), ['baseline', 'rf-200-none', 'rf-100-10', 'rf-50-5']);
    assert.throws(() => sortRuns(runs, 'bogus', false), /Unknown field/);
  });
});
