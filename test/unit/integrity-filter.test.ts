/** Issue 18, defects 8, 9 and 16: LIKE is linear, nesting is limited, and only decimal text is a number. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileFilter, FilterSyntaxError, parseFilter, sortRuns } from '../../src/core/tracking/filter';
import { UserInputError } from '../../src/core/util/errors';
import { fakeRun } from './helpers';

const run = fakeRun;

function timed<T>(fn: () => T): { value: T; ms: number } {
  const t0 = process.hrtime.bigint();
  const value = fn();
  return { value, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
}

describe('filter integrity (issue 18)', () => {
  it('8: LIKE with many wildcards on a long name is instant (no backtracking)', () => {
    const r = run({ name: 'x'.repeat(60) });
    const { value, ms } = timed(() => compileFilter("name like '%x%x%x%x%x%x%x%x%y'")(r));
    assert.equal(value, false);
    assert.ok(ms < 200, `took ${ms.toFixed(0)} ms`);
    const big = run({ name: 'ab'.repeat(5000) });
    const t = timed(() => compileFilter(`name like '${'%a'.repeat(500)}%c'`)(big));
    assert.equal(t.value, false);
    assert.ok(t.ms < 500, `took ${t.ms.toFixed(0)} ms`);
  });

  it('8: LIKE keeps its meaning: % any run of characters, _ one character, ilike ignores case', () => {
    const r = run({ name: 'Café-é-🚀-rf_10', tags: { t: 'a\nb' } });
    const m = (f: string) => compileFilter(f)(r);
    assert.equal(m("name like 'Caf_-%'"), true);
    assert.equal(m("name like '%🚀%'"), true);
    assert.equal(m("name like '%-_-rf%'"), true);
    assert.equal(m("name like 'Café-é-_-rf_10'"), true);
    assert.equal(m("name like 'café%'"), false);
    assert.equal(m("name ilike 'CAFÉ%RF_10'"), true);
    assert.equal(m("name like '%'"), true);
    assert.equal(m("name like ''"), false);
    assert.equal(m("name like 'Café'"), false);
    assert.equal(m("name not like '%x%'"), true);
    assert.equal(m("tags.t like 'a_b'"), true);
    assert.equal(m("tags.t like 'a%b'"), true);
    assert.equal(m("name like '%%%%_10'"), true);
  });

  it('9: 10,000 nested ( or not is a syntax error at a position, not a stack overflow', () => {
    for (const src of ['('.repeat(10_000) + 'status = \'failed\'' + ')'.repeat(10_000), 'not '.repeat(10_000) + "status = 'failed'", '(not '.repeat(5000) + 'metrics.a < 1' + ')'.repeat(5000)]) {
      assert.throws(() => parseFilter(src), (e: unknown) => {
        assert.ok(e instanceof FilterSyntaxError, String(e));
        assert.ok(e instanceof UserInputError, 'a filter error is bad input (exit 2)');
        assert.match(e.message, /nest.*100/);
        assert.match(e.message, /at position \d+$/);
        assert.ok(e.position > 0 && e.position < src.length);
        return true;
      });
    }
    // 100 levels are fine.
    assert.equal(compileFilter('('.repeat(99) + "status = 'completed'" + ')'.repeat(99))(run({})), true);
    assert.equal(compileFilter('not '.repeat(98) + "status = 'completed'")(run({})), true);
  });

  it('9: a very long and/or chain evaluates without recursion', () => {
    const src = Array.from({ length: 50_000 }, (_, i) => `metrics.m = ${i}`).join(' or ');
    const f = compileFilter(src);
    assert.equal(f(run({ metrics: { m: 49_999 } })), true);
    assert.equal(f(run({ metrics: { m: -1 } })), false);
    const and = Array.from({ length: 50_000 }, () => 'metrics.m >= 0').join(' and ');
    assert.equal(compileFilter(and)(run({ metrics: { m: 1 } })), true);
  });

  it('16: hex, octal, binary, Infinity and other Number() forms in params are text, not numbers', () => {
    const runs = [
      run({ name: 'hex', params: { lr: '0x10' } }),
      run({ name: 'oct', params: { lr: '0o20' } }),
      run({ name: 'bin', params: { lr: '0b10000' } }),
      run({ name: 'dec', params: { lr: '16' } }),
      run({ name: 'sci', params: { lr: '1.6e1' } }),
      run({ name: 'num', params: { lr: 16 } }),
      run({ name: 'pad', params: { lr: ' 16 ' } }),
      run({ name: 'inf', params: { lr: 'Infinity' } }),
      run({ name: 'nan', params: { lr: 'NaN' } }),
      run({ name: 'sep', params: { lr: '1_6' } }),
    ];
    const names = (f: string) => runs.filter(compileFilter(f)).map((r) => r.name);
    assert.deepEqual(names('params.lr = 16'), ['dec', 'sci', 'num', 'pad']);
    assert.deepEqual(names('params.lr > 1e300'), []);
    assert.deepEqual(names('params.lr in (16)'), ['dec', 'sci', 'num', 'pad']);
    assert.deepEqual(names("params.lr = '0x10'"), ['hex']);
    // ordering compares hex text as text, not as the number 16
    const sorted = sortRuns(runs.filter((r) => ['hex', 'sci'].includes(r.name)), 'params.lr', false).map((r) => r.name);
    assert.deepEqual(sorted, ['hex', 'sci']);
  });

  it('16: numbers in the expression are decimal only; 1e400 and hex literals are errors at their position', () => {
    for (const [src, pos] of [['metrics.a < 1e400', 12], ['metrics.a < 0x10', 12], ['metrics.a < -1e999', 12]] as const) {
      assert.throws(() => parseFilter(src), (e: unknown) => e instanceof FilterSyntaxError && e.position === pos, src);
    }
    assert.equal(compileFilter('metrics.a < 1e308')(run({ metrics: { a: 1 } })), true);
  });
});
