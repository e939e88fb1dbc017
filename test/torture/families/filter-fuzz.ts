/**
 * filter-fuzz: property-based fuzz of the run filter language (issue 18 #8, #9, #16). Random and hostile
 * expressions — deep nesting of ( and not, long chains, LIKE patterns with many wildcards on long values, numbers
 * in hex, octal, binary, 1e400, unicode digits, stray characters — each must finish within the time limit with a
 * result or a FilterSyntaxError (a UserInputError, exit 2) with a position inside the expression, never another
 * exception. Numeric comparisons are checked against a reference strict-decimal interpretation, and LIKE against
 * a dynamic-programming reference matcher.
 */
import { compileFilter, FilterSyntaxError, likeMatch, likePattern } from '../../../src/core/tracking/filter';
import type { Run } from '../../../src/core/store/types';
import { UserInputError } from '../../../src/core/util/errors';
import { prng, Tally, type TortureFamily } from '../family';

const LIMIT_MS = 200;

function makeRun(i: number, p: Partial<Run>): Run {
  return {
    format: 1, id: i.toString(16).padStart(32, '0'), experimentId: 'e', experimentName: 'Wafer', name: `run-${i}`, status: 'completed',
    effectiveStatus: 'completed', interrupted: false, startTime: 1_700_000_000_000 + i, endTime: 1_700_000_005_000 + i, duration: 5000,
    params: {}, metrics: {}, tags: {}, notes: '', environment: { extensionVersion: '0', nodeVersion: 'v20', os: { platform: 'linux', release: '', arch: 'x64' } },
    artifacts: [], owner: null, problems: [], ...p,
  } as Run;
}

/** Param texts of every kind: decimal, scientific, and what Number() would wrongly take for a number. */
const PARAM_TEXTS = ['16', '0x10', '0X10', '0o20', '0b10000', '1.6e1', '+16', '-16', '16.0', '.5', '5.', '1e400', '-1e400', 'Infinity', '-Infinity', 'inf', 'NaN', 'nan', '', ' ', ' 16 ', '1_6', '١٦', '１６', '16px', 'abc', '0', '-0', '1e-400', '2e3'];
const LITERALS = ['16', '-16', '0', '1.6e1', '2000', '0.5', '5', '1e308', '-1e-300', '1e400', '0x10', '0o20', '0b1', '١٦', 'Infinity', 'NaN', "'16'", "'0x10'", "'abc'", "''"];

/** The reference: a param is numeric iff its text is decimal notation with a finite value. */
function refNumber(s: string): number | undefined {
  const t = s.trim();
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}
function refCompare(param: string, op: string, lit: number): boolean {
  const n = refNumber(param);
  if (n === undefined) return op === '!=';
  switch (op) {
    case '=': return n === lit;
    case '!=': return n !== lit;
    case '<': return n < lit;
    case '<=': return n <= lit;
    case '>': return n > lit;
    default: return n >= lit;
  }
}

/** LIKE by dynamic programming over code points (the obviously-correct O(n·m) definition). */
function refLike(pattern: string, text: string, insensitive: boolean): boolean {
  const fold = (c: string) => (insensitive ? c.toUpperCase().toLowerCase() : c);
  const p = Array.from(pattern, (c) => (c === '%' || c === '_' ? c : fold(c)));
  const t = Array.from(text, fold);
  let prev = new Array<boolean>(t.length + 1).fill(false);
  prev[0] = true;
  for (let i = 1; i <= p.length; i++) {
    const cur = new Array<boolean>(t.length + 1).fill(false);
    cur[0] = prev[0] && p[i - 1] === '%';
    for (let j = 1; j <= t.length; j++) {
      if (p[i - 1] === '%') cur[j] = cur[j - 1] || prev[j];
      else cur[j] = prev[j - 1] && (p[i - 1] === '_' || p[i - 1] === t[j - 1]);
    }
    prev = cur;
  }
  return prev[t.length];
}

export const family: TortureFamily = {
  name: 'filter-fuzz',
  description: 'hostile filter expressions finish in time with a result or a positioned UserInputError; numbers and LIKE match references',
  async run({ quick, seed }) {
    const rnd = prng(seed ^ 0xf11e);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
    const int = (a: number, b: number) => a + Math.floor(rnd() * (b - a + 1));
    const tally = new Tally();
    const runs: Run[] = PARAM_TEXTS.map((t, i) => makeRun(i + 1, { name: 'x'.repeat(int(0, 80)) + pick(['', 'y', 'é', '🚀']), params: { p: t }, metrics: { m: i, big: i === 3 ? 1e300 : -i }, tags: { t: pick(['yield', 'Yield-ops', 'café', 'a_b%c', '']) } }));

    /** Run one expression against every run: within the time limit, a result or a positioned FilterSyntaxError. */
    const attempt = (label: string, src: string, expect?: (r: Run) => boolean) => {
      const t0 = process.hrtime.bigint();
      let problem: string | undefined;
      try {
        const f = compileFilter(src);
        for (const r of runs) {
          const got = f(r);
          if (expect && got !== expect(r)) {
            problem = `run with p=${JSON.stringify(r.params.p)} name=${r.name.length} chars: got ${got}, reference says ${!got}`;
            break;
          }
        }
      } catch (e) {
        if (!(e instanceof FilterSyntaxError) || !(e instanceof UserInputError)) problem = `threw ${(e as Error)?.name}: ${String((e as Error)?.message).slice(0, 200)}`;
        else if (!(e.position >= 0 && e.position <= src.length)) problem = `error position ${e.position} outside 0..${src.length}`;
        else if (!/at position \d+$/.test(e.message)) problem = `message without a position: ${e.message.slice(0, 120)}`;
      }
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (!problem && ms > LIMIT_MS) problem = `took ${ms.toFixed(0)} ms (limit ${LIMIT_MS})`;
      tally.check(`${label}: ${JSON.stringify(src.length > 100 ? src.slice(0, 60) + `…(${src.length} chars)` : src)}`, problem);
    };

    const field = () => pick(['params.p', 'metrics.m', 'metrics.big', 'tags.t', 'name', 'status', 'run_id', 'duration', 'start_time', 'metrics.`a b`', 'params', 'foo', 'tags.']);
    const op = () => pick(['=', '!=', '<', '<=', '>', '>=', '==', '<>', 'like', 'ilike', 'not like', 'in', 'not in', '~', '']);
    const comparison = (): string => {
      const o = op();
      if (o.endsWith('like')) return `${field()} ${o} '${Array.from({ length: int(0, 12) }, () => pick(['%', '_', 'x', 'y', 'é', '🚀', 'a'])).join('')}'`;
      if (o.endsWith('in')) return `${field()} ${o} (${Array.from({ length: int(0, 4) }, () => pick(LITERALS)).join(', ')})`;
      return `${field()} ${o} ${pick(LITERALS)}`;
    };
    const expr = (depth: number): string => {
      const r = rnd();
      if (depth <= 0 || r < 0.4) return comparison();
      if (r < 0.55) return `not ${expr(depth - 1)}`;
      if (r < 0.7) return `(${expr(depth - 1)})`;
      return `${expr(depth - 1)} ${pick(['and', 'or', 'AND', 'Or', 'xor', ''])} ${expr(depth - 1)}`;
    };

    const n = quick ? 40 : 3000;
    // 1. random grammar-shaped expressions (some invalid on purpose)
    for (let i = 0; i < n; i++) attempt('random', expr(int(0, 5)));
    // 2. random junk: any characters, including control, quotes, unicode digits
    const CHARS = ['(', ')', "'", '"', '`', ' ', '.', ',', '=', '<', '>', '!', '%', '_', '\\', '\0', '\n', '\u0007', '0', '1', 'e', 'x', 'a', 'not', 'and', 'or', 'metrics', 'params', '١', '🚀', '\ud800'];
    for (let i = 0; i < n / 2; i++) attempt('junk', Array.from({ length: int(1, 40) }, () => pick(CHARS)).join(''));
    // 3. deep nesting: ( and not, mixed, up to 10,000 levels
    for (let i = 0; i < (quick ? 8 : 200); i++) {
      const d = pick([50, 99, 100, 101, 150, 1000, 10_000, int(1, 20_000)]);
      const kind = pick(['paren', 'not', 'mixed']);
      const open = kind === 'paren' ? '('.repeat(d) : kind === 'not' ? 'not '.repeat(d) : Array.from({ length: d }, () => pick(['(', 'not '])).join('');
      const close = ')'.repeat((open.match(/\(/g) ?? []).length);
      attempt(`nest ${kind} ${d}`, `${open}metrics.m < 3${close}`);
    }
    // 4. long chains of and/or
    for (let i = 0; i < (quick ? 3 : 30); i++) attempt('chain', Array.from({ length: int(100, quick ? 5000 : 10_000) }, (_, k) => `metrics.m = ${k}`).join(pick([' or ', ' and '])));
    // 5. LIKE with many wildcards on long values (the backtracking trap), and the exact issue case
    attempt('issue #8', "name like '%x%x%x%x%x%x%x%x%y'");
    for (let i = 0; i < (quick ? 6 : 300); i++) {
      const pat = Array.from({ length: int(1, 60) }, () => pick(['%', '%x', 'x', '_', '%%', 'y'])).join('');
      attempt('like', `name ${pick(['like', 'ilike', 'not like'])} '${pat}'`);
    }
    // 6. numeric comparisons against the strict-decimal reference
    for (let i = 0; i < (quick ? 20 : 2000); i++) {
      const o = pick(['=', '!=', '<', '<=', '>', '>=']);
      const lit = pick(['16', '-16', '0', '1.6e1', '2000', '0.5', '5', '1e308', '-1e-300', '1e-400', '2e3']);
      attempt('numeric', `params.p ${o} ${lit}`, (r) => refCompare(String(r.params.p), o, Number(lit)));
    }
    // 7. LIKE against the DP reference (including unicode and case folding)
    const ALPH = ['a', 'b', 'A', 'é', 'É', '🚀', '_', '%', 'x'];
    for (let i = 0; i < (quick ? 40 : 5000); i++) {
      const pat = Array.from({ length: int(0, 8) }, () => pick(ALPH)).join('');
      const text = Array.from({ length: int(0, 10) }, () => pick(ALPH.filter((c) => c !== '%'))).join('');
      const ins = rnd() < 0.5;
      const got = likeMatch(likePattern(pat, ins), text);
      const want = refLike(pat, text, ins);
      tally.check(`like reference ${JSON.stringify(pat)} ~ ${JSON.stringify(text)}${ins ? ' (ilike)' : ''}`, got === want ? undefined : `got ${got}, reference ${want}`);
    }
    return tally;
  },
};
