/**
 * The run filter language, MLflow's search syntax extended with `or`, `not` and parentheses:
 *
 *   metrics.rmse_test < 3.2 and params.max_depth = 10
 *   (status = 'failed' or tags.team like 'yield%') and not name = 'baseline'
 *
 * Fields: metrics.KEY, params.KEY, tags.KEY (also metric./param./tag.), attributes: status, name, run_id,
 * experiment, start_time, end_time, duration (seconds), also written attributes.NAME. Keys with other
 * characters go in backticks or double quotes: metrics.`val loss`.
 * Operators: = != < <= > >= (also == and <>), like / ilike with % and _ wildcards, in (...) and not in (...).
 * Values: numbers, 'single' or "double" quoted strings; times also as ISO dates: start_time > '2025-12-01'.
 *
 * A comparison on a key the run does not have is false (as in MLflow). Params compare as numbers when both
 * sides are numeric, as strings otherwise; a number and non-numeric text are never equal nor ordered (only != holds).
 * Numeric means decimal notation only (src/core/util/numbers.ts):
 * a param '0x10', 'Infinity' or 'NaN' is text. Errors carry the 0-based position in the expression.
 *
 * Limits that keep any expression fast: LIKE is matched without backtracking (time ∝ pattern × value length,
 * whatever the wildcards); `(` and `not` nest at most MAX_FILTER_DEPTH levels; long and/or chains are flat lists.
 */
import { UserInputError } from '../util/errors';
import { parseDecimal } from '../util/numbers';
import type { Run } from '../store/types';

/**
 * What the filter and the ordering read from a run: the workspace store's `Run` and every source's `SourceRun`
 * (core/sources/types.ts) both have these fields.
 */
export type FilterableRun = Pick<Run, 'id' | 'name' | 'experimentName' | 'effectiveStatus' | 'startTime' | 'endTime' | 'duration' | 'params' | 'metrics' | 'tags'>;

/** How deep `(` and `not` may nest: far beyond any hand-written filter, far below the call stack's limit. */
export const MAX_FILTER_DEPTH = 100;

/** A syntax error in a filter: bad input (exit code 2), with its position. */
export class FilterSyntaxError extends UserInputError {
  constructor(
    readonly reason: string,
    readonly position: number,
    readonly expression: string,
  ) {
    super(`${reason} at position ${position + 1}`);
    this.name = 'FilterSyntaxError';
  }
  /** The expression with a caret under the error position, for terminals and hovers. */
  pointer(): string {
    return `${this.expression}\n${' '.repeat(Math.min(this.position, this.expression.length))}^`;
  }
}

type TokKind = 'ident' | 'number' | 'string' | 'op' | 'lparen' | 'rparen' | 'comma' | 'dot' | 'quotedKey' | 'eof';
interface Token {
  kind: TokKind;
  text: string;
  value?: string | number;
  pos: number;
}

const OPS = ['<=', '>=', '!=', '<>', '==', '=', '<', '>'];
// Sticky: matched in place, so a long expression is not copied at every token.
const NUMBER_AT = /[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/y;
const IDENT_AT = /[A-Za-z_][A-Za-z0-9_-]*/y;

function printableChar(c: string, code: number | undefined): string {
  // eslint-disable-next-line no-control-regex -- showing invisible characters escaped is the point
  return /[\0-\x1f\x7f-\x9f]/.test(c) ? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}` : code !== undefined && code > 0xffff ? String.fromCodePoint(code) : c;
}

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (c === '(') { out.push({ kind: 'lparen', text: c, pos: i++ }); continue; }
    if (c === ')') { out.push({ kind: 'rparen', text: c, pos: i++ }); continue; }
    if (c === ',') { out.push({ kind: 'comma', text: c, pos: i++ }); continue; }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (op) {
      out.push({ kind: 'op', text: op === '==' ? '=' : op === '<>' ? '!=' : op, pos: i });
      i += op.length;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') {
      i++;
      let s = '';
      for (;;) {
        if (i >= src.length) throw new FilterSyntaxError(`Unterminated ${c === '`' ? 'backtick key' : 'string'} starting`, start, src);
        const d = src[i];
        if (d === '\\' && i + 1 < src.length) {
          s += src[i + 1];
          i += 2;
          continue;
        }
        if (d === c) {
          if (src[i + 1] === c) { s += c; i += 2; continue; } // doubled quote
          i++;
          break;
        }
        s += d;
        i++;
      }
      out.push({ kind: c === '`' ? 'quotedKey' : 'string', text: src.slice(start, i), value: s, pos: start });
      continue;
    }
    if (/[0-9]/.test(c) || ((c === '-' || c === '+' || c === '.') && /[0-9.]/.test(src[i + 1] ?? ''))) {
      NUMBER_AT.lastIndex = i;
      const m = NUMBER_AT.exec(src);
      if (!m) throw new FilterSyntaxError('Invalid number', i, src);
      // A number directly followed by letters is not a number (e.g. 3abc, 0x10).
      const after = src[i + m[0].length];
      if (after && /[A-Za-z_]/.test(after)) throw new FilterSyntaxError(`Invalid number '${src.slice(i, i + m[0].length + 1)}...' (numbers are decimal: 16, -1.5, 2e-3)`, i, src);
      const value = parseDecimal(m[0]);
      if (value === undefined) throw new FilterSyntaxError(`Number ${m[0].slice(0, 40)} is out of range (beyond ±1.8e308)`, i, src);
      out.push({ kind: 'number', text: m[0], value, pos: i });
      i += m[0].length;
      continue;
    }
    if (c === '.') { out.push({ kind: 'dot', text: c, pos: i++ }); continue; }
    if (/[A-Za-z_]/.test(c)) {
      IDENT_AT.lastIndex = i;
      const m = IDENT_AT.exec(src)!;
      out.push({ kind: 'ident', text: m[0], pos: i });
      i += m[0].length;
      continue;
    }
    throw new FilterSyntaxError(`Unexpected character '${printableChar(c, src.codePointAt(i))}'`, i, src);
  }
  out.push({ kind: 'eof', text: '', pos: src.length });
  return out;
}

export type FieldKind = 'metric' | 'param' | 'tag' | 'attribute';
export const ATTRIBUTES = ['status', 'name', 'run_id', 'experiment', 'start_time', 'end_time', 'duration'] as const;
export type AttributeName = (typeof ATTRIBUTES)[number];
const ATTRIBUTE_ALIASES: Record<string, AttributeName> = {
  status: 'status', name: 'name', run_name: 'name', run_id: 'run_id', id: 'run_id', experiment: 'experiment',
  start_time: 'start_time', end_time: 'end_time', duration: 'duration', created: 'start_time',
};
const PREFIXES: Record<string, FieldKind> = {
  metrics: 'metric', metric: 'metric', params: 'param', param: 'param', tags: 'tag', tag: 'tag',
  attributes: 'attribute', attribute: 'attribute', attr: 'attribute', run: 'attribute',
};

export interface FieldRef {
  kind: FieldKind;
  key: string;
  pos: number;
}

/** A LIKE pattern split into code points: '%' any run of characters, '_' exactly one, anything else itself. */
export interface LikePattern {
  source: string;
  insensitive: boolean;
  /** Code points (case-folded when insensitive); '%' and '_' are the wildcards. */
  chars: string[];
}

export type Expr =
  | { type: 'and' | 'or'; items: Expr[] }
  | { type: 'not'; expr: Expr }
  | { type: 'cmp'; field: FieldRef; op: string; value: string | number; pos: number }
  | { type: 'like'; field: FieldRef; pattern: LikePattern; negate: boolean; pos: number }
  | { type: 'in'; field: FieldRef; values: (string | number)[]; negate: boolean; pos: number; ids?: ReadonlySet<string> };

class Parser {
  private i = 0;
  private depth = 0;
  constructor(
    private toks: Token[],
    private src: string,
  ) {}
  private peek(): Token {
    return this.toks[this.i];
  }
  private next(): Token {
    return this.toks[this.i++];
  }
  private isWord(t: Token, w: string): boolean {
    return t.kind === 'ident' && t.text.toLowerCase() === w;
  }
  private fail(msg: string, t: Token = this.peek()): never {
    throw new FilterSyntaxError(msg, t.pos, this.src);
  }
  private describe(t: Token): string {
    return t.kind === 'eof' ? 'end of expression' : `'${t.text}'`;
  }

  parse(): Expr {
    const e = this.or();
    const t = this.peek();
    if (t.kind !== 'eof') this.fail(`Expected 'and', 'or' or end of expression, found ${this.describe(t)}`);
    return e;
  }
  // and/or chains are flat lists (a chain of 50,000 terms is one node, not 50,000 nested ones).
  private or(): Expr {
    const items = [this.and()];
    while (this.isWord(this.peek(), 'or')) {
      this.next();
      items.push(this.and());
    }
    return items.length === 1 ? items[0] : { type: 'or', items };
  }
  private and(): Expr {
    const items = [this.not()];
    while (this.isWord(this.peek(), 'and')) {
      this.next();
      items.push(this.not());
    }
    return items.length === 1 ? items[0] : { type: 'and', items };
  }
  /** `(` and `not` nest; each level counts, so no expression can exhaust the stack. */
  private enter(t: Token): void {
    if (++this.depth > MAX_FILTER_DEPTH) this.fail(`Expression nests deeper than ${MAX_FILTER_DEPTH} levels of '(' and 'not'`, t);
  }
  private not(): Expr {
    const t = this.peek();
    if (this.isWord(t, 'not')) {
      this.enter(t);
      this.next();
      const e: Expr = { type: 'not', expr: this.not() };
      this.depth--;
      return e;
    }
    return this.primary();
  }
  private primary(): Expr {
    const t = this.peek();
    if (t.kind === 'lparen') {
      this.enter(t);
      this.next();
      const e = this.or();
      if (this.peek().kind !== 'rparen') this.fail(`Expected ')' to close the '(' at position ${t.pos + 1}, found ${this.describe(this.peek())}`);
      this.next();
      this.depth--;
      return e;
    }
    return this.comparison();
  }
  /** A single field and nothing after it (order-by keys). */
  fieldOnly(): FieldRef {
    const f = this.field();
    if (this.peek().kind !== 'eof') this.fail(`Unexpected ${this.describe(this.peek())} after the key`);
    return f;
  }
  private field(): FieldRef {
    const t = this.next();
    if (t.kind !== 'ident') this.fail(`Expected a field such as metrics.rmse, params.max_depth, tags.team or status, found ${this.describe(t)}`, t);
    const lower = t.text.toLowerCase();
    if (this.peek().kind === 'dot') {
      const kind = PREFIXES[lower];
      if (!kind) this.fail(`Unknown field prefix '${t.text}': use metrics., params., tags. or attributes.`, t);
      this.next();
      const k = this.next();
      let key: string;
      if (k.kind === 'quotedKey' || k.kind === 'string') key = String(k.value);
      else if (k.kind === 'ident' || k.kind === 'number') {
        key = k.text;
        // Dotted keys (metrics.val.loss) continue while tokens touch each other.
        while (this.peek().kind === 'dot' || (this.peek().kind === 'number' && String(this.peek().text).startsWith('.'))) {
          const d = this.next();
          if (d.kind === 'number') { key += d.text; continue; }
          const part = this.next();
          if (part.kind !== 'ident' && part.kind !== 'number') this.fail(`Expected a key after '.'`, part);
          key += '.' + part.text;
        }
      } else this.fail(`Expected a key after '${t.text}.'`, k);
      if (kind === 'attribute') {
        const a = ATTRIBUTE_ALIASES[key.toLowerCase()];
        if (!a) this.fail(`Unknown attribute '${key}': use one of ${ATTRIBUTES.join(', ')}`, k);
        return { kind, key: a, pos: t.pos };
      }
      return { kind, key, pos: t.pos };
    }
    const a = ATTRIBUTE_ALIASES[lower];
    if (!a) {
      if (PREFIXES[lower]) this.fail(`Expected '.' and a key after '${t.text}'`, this.peek());
      this.fail(`Unknown field '${t.text}': use metrics.KEY, params.KEY, tags.KEY or one of ${ATTRIBUTES.join(', ')}`, t);
    }
    return { kind: 'attribute', key: a, pos: t.pos };
  }
  private value(): { v: string | number; tok: Token } {
    const t = this.next();
    if (t.kind === 'number' || t.kind === 'string') return { v: t.value!, tok: t };
    if (t.kind === 'ident' && ['true', 'false', 'none', 'null'].includes(t.text.toLowerCase())) return { v: t.text.toLowerCase(), tok: t };
    this.fail(`Expected a number or a quoted string, found ${this.describe(t)}`, t);
  }
  private comparison(): Expr {
    const field = this.field();
    let t = this.peek();
    let negate = false;
    if (this.isWord(t, 'not')) {
      this.next();
      negate = true;
      t = this.peek();
      if (!this.isWord(t, 'like') && !this.isWord(t, 'ilike') && !this.isWord(t, 'in')) this.fail(`Expected 'like', 'ilike' or 'in' after 'not'`);
    }
    if (this.isWord(t, 'like') || this.isWord(t, 'ilike')) {
      this.next();
      const v = this.next();
      if (v.kind !== 'string') this.fail(`'${t.text}' needs a quoted pattern such as '%rf%'`, v);
      if (field.kind === 'metric') this.fail(`'${t.text}' compares text; metrics are numbers`, t);
      return { type: 'like', field, pattern: likePattern(String(v.value), this.isWord(t, 'ilike')), negate, pos: t.pos };
    }
    if (this.isWord(t, 'in')) {
      this.next();
      if (this.peek().kind !== 'lparen') this.fail(`Expected '(' after 'in'`);
      this.next();
      const values: (string | number)[] = [];
      for (;;) {
        values.push(this.value().v);
        const s = this.next();
        if (s.kind === 'rparen') break;
        if (s.kind !== 'comma') this.fail(`Expected ',' or ')' in the value list, found ${this.describe(s)}`, s);
      }
      // `run_id in ('…', …)` (Compare reads its runs so, up to 500 ids over 100,000 runs): a set lookup, which is what
      // the string equality below gives for quoted ids.
      const ids = field.kind === 'attribute' && field.key === 'run_id' && values.every((v) => typeof v === 'string') ? new Set(values as string[]) : undefined;
      return { type: 'in', field, values, negate, pos: t.pos, ...(ids ? { ids } : {}) };
    }
    if (t.kind !== 'op') this.fail(`Expected a comparison operator (=, !=, <, <=, >, >=, like, in) after the field, found ${this.describe(t)}`);
    this.next();
    const { v, tok } = this.value();
    checkTypes(field, t.text, v, tok, this.src);
    return { type: 'cmp', field, op: t.text, value: v, pos: t.pos };
  }
}

function checkTypes(field: FieldRef, op: string, v: string | number, tok: Token, src: string): void {
  if (field.kind === 'metric' && typeof v !== 'number') {
    throw new FilterSyntaxError(`metrics.${field.key} is a number; compare it with a number, not ${tok.text}`, tok.pos, src);
  }
  if (field.kind === 'attribute') {
    if ((field.key === 'start_time' || field.key === 'end_time') && typeof v === 'string' && Number.isNaN(Date.parse(v))) {
      throw new FilterSyntaxError(`${field.key} needs a number (ms since 1970) or a date such as '2025-12-01T10:00:00Z', not ${tok.text}`, tok.pos, src);
    }
    if (field.key === 'duration' && typeof v !== 'number') throw new FilterSyntaxError(`duration is in seconds; compare it with a number`, tok.pos, src);
    if (field.key === 'status') {
      if (op !== '=' && op !== '!=') throw new FilterSyntaxError(`status supports = and != (or in/like), not ${op}`, tok.pos, src);
      if (!['running', 'completed', 'failed', 'cancelled', 'finished'].includes(String(v).toLowerCase())) {
        throw new FilterSyntaxError(`Unknown status ${tok.text}: use running, completed, failed or cancelled`, tok.pos, src);
      }
    }
  }
}

/** Case folding for ilike, one code point at a time. */
function fold(c: string): string {
  return c.toUpperCase().toLowerCase();
}

export function likePattern(source: string, insensitive: boolean): LikePattern {
  const chars = Array.from(source, (c) => (insensitive && c !== '%' && c !== '_' ? fold(c) : c));
  // Consecutive '%' mean the same as one.
  const squeezed = chars.filter((c, i) => !(c === '%' && chars[i - 1] === '%'));
  return { source, insensitive, chars: squeezed };
}

/**
 * Does `text` match the LIKE pattern? The classic two-pointer wildcard match: on a mismatch it only moves back to
 * the last '%' (never to earlier ones), so the work is at most pattern × text steps — no exponential backtracking
 * as a regular expression has with patterns like '%x%x%x%x%y'. Hand-written: it is twenty lines, and the libraries
 * for this are glob matchers with other syntax.
 */
export function likeMatch(p: LikePattern, text: string): boolean {
  const t = Array.from(text, (c) => (p.insensitive ? fold(c) : c));
  const pc = p.chars;
  let i = 0; // in text
  let j = 0; // in pattern
  let star = -1; // pattern index of the last '%'
  let mark = 0; // text index that '%' has matched up to
  while (i < t.length) {
    if (j < pc.length && pc[j] !== '%' && (pc[j] === '_' || pc[j] === t[i])) {
      i++;
      j++;
    } else if (j < pc.length && pc[j] === '%') {
      star = j++;
      mark = i;
    } else if (star >= 0) {
      j = star + 1;
      i = ++mark;
    } else return false;
  }
  while (j < pc.length && pc[j] === '%') j++;
  return j === pc.length;
}

export function parseFilter(src: string): Expr | undefined {
  if (!src.trim()) return undefined;
  return new Parser(tokenize(src), src).parse();
}

/** Returns a message with the position when the expression is invalid, undefined when it is valid. */
export function validateFilter(src: string): string | undefined {
  try {
    parseFilter(src);
    return undefined;
  } catch (e) {
    return e instanceof FilterSyntaxError ? e.message : String(e);
  }
}

// ---------------------------------------------------------------- evaluation

type Value = string | number | undefined;

export function fieldValue(run: FilterableRun, f: { kind: FieldKind; key: string }): Value {
  switch (f.kind) {
    case 'metric':
      return Object.prototype.hasOwnProperty.call(run.metrics, f.key) ? run.metrics[f.key] : undefined;
    case 'param': {
      if (!Object.prototype.hasOwnProperty.call(run.params, f.key)) return undefined;
      const p = run.params[f.key];
      return p === null ? 'none' : typeof p === 'boolean' ? String(p) : p;
    }
    case 'tag':
      return Object.prototype.hasOwnProperty.call(run.tags, f.key) ? run.tags[f.key] : undefined;
    case 'attribute':
      switch (f.key as AttributeName) {
        case 'status':
          return run.effectiveStatus;
        case 'name':
          return run.name;
        case 'run_id':
          return run.id;
        case 'experiment':
          return run.experimentName;
        case 'start_time':
          return run.startTime;
        case 'end_time':
          return run.endTime ?? undefined;
        case 'duration':
          return run.duration / 1000;
      }
  }
  return undefined;
}

/** Numbers as they are; text only when it is decimal notation (a param '0x10' is text, not 16). */
function asNumber(v: string | number): number | undefined {
  return typeof v === 'number' ? v : parseDecimal(v);
}

function compare(left: Value, op: string, right: string | number, f: FieldRef): boolean {
  if (left === undefined) return false;
  let r = right;
  if (f.kind === 'attribute' && (f.key === 'start_time' || f.key === 'end_time') && typeof r === 'string') r = Date.parse(r);
  if (f.kind === 'attribute' && f.key === 'status' && String(r).toLowerCase() === 'finished') {
    const fin = left !== 'running';
    return op === '=' ? fin : !fin;
  }
  const ln = asNumber(left);
  const rn = asNumber(r);
  if (ln !== undefined && rn !== undefined && (typeof left === 'number' || typeof r === 'number')) {
    switch (op) {
      case '=': return ln === rn;
      case '!=': return ln !== rn;
      case '<': return ln < rn;
      case '<=': return ln <= rn;
      case '>': return ln > rn;
      case '>=': return ln >= rn;
    }
  }
  if (typeof left === 'number' || typeof r === 'number') {
    // A number against text that is not decimal notation ('0x10', 'Infinity', 'abc'): never equal, never ordered.
    return op === '!=';
  }
  const ls = String(left);
  const rs = String(r);
  const eqInsensitive = f.kind === 'attribute' && f.key === 'status';
  switch (op) {
    case '=': return eqInsensitive ? ls.toLowerCase() === rs.toLowerCase() : ls === rs;
    case '!=': return eqInsensitive ? ls.toLowerCase() !== rs.toLowerCase() : ls !== rs;
    case '<': return ls < rs;
    case '<=': return ls <= rs;
    case '>': return ls > rs;
    case '>=': return ls >= rs;
  }
  return false;
}

export function evaluate(e: Expr, run: FilterableRun): boolean {
  switch (e.type) {
    case 'and':
      return e.items.every((x) => evaluate(x, run));
    case 'or':
      return e.items.some((x) => evaluate(x, run));
    case 'not':
      return !evaluate(e.expr, run);
    case 'cmp':
      return compare(fieldValue(run, e.field), e.op, e.value, e.field);
    case 'like': {
      const v = fieldValue(run, e.field);
      if (v === undefined) return false;
      return likeMatch(e.pattern, String(v)) !== e.negate;
    }
    case 'in': {
      if (e.ids) return e.ids.has(run.id) !== e.negate;
      const v = fieldValue(run, e.field);
      if (v === undefined) return false;
      return e.values.some((x) => compare(v, '=', x, e.field)) !== e.negate;
    }
  }
}

/** `value` as a quoted string of the filter language ('it''s', a backslash doubled): for filters built from names. */
export function quoteFilterString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

export function compileFilter(src: string | undefined): (run: FilterableRun) => boolean {
  const e = src ? parseFilter(src) : undefined;
  return e ? (run) => evaluate(e, run) : () => true;
}

// ---------------------------------------------------------------- ordering

/** Parse an order-by key: metrics.X, params.X, tags.X or an attribute name. */
export function parseOrderKey(key: string): { kind: FieldKind; key: string } {
  const src = key.trim();
  return new Parser(tokenize(src), src).fieldOnly();
}

export function sortRuns<R extends FilterableRun>(runs: R[], orderBy: string | undefined, descending: boolean): R[] {
  return sortRunsBy(runs, orderBy ? [{ key: orderBy, descending }] : []);
}

/** Order by several keys in turn (missing values last whatever the direction), then newest first. */
export function sortRunsBy<R extends FilterableRun>(runs: R[], keys: { key: string; descending: boolean }[]): R[] {
  const compares = keys.map((k) => fieldComparator(parseOrderKey(k.key), k.descending ? -1 : 1));
  return [...runs].sort((a, b) => {
    for (const c of compares) {
      const r = c(a, b);
      if (r !== 0) return r;
    }
    return b.startTime - a.startTime || a.id.localeCompare(b.id);
  });
}

function fieldComparator(f: { kind: FieldKind; key: string }, dir: number): (a: FilterableRun, b: FilterableRun) => number {
  return (a, b) => {
    const va = fieldValue(a, f);
    const vb = fieldValue(b, f);
    if (va === undefined && vb === undefined) return 0;
    if (va === undefined) return 1; // missing values last, whatever the direction
    if (vb === undefined) return -1;
    const na = asNumber(va);
    const nb = asNumber(vb);
    let c: number;
    if (na !== undefined && nb !== undefined) c = na - nb;
    else c = String(va).localeCompare(String(vb));
    // NaN after every number; two NaNs are equal (the next key decides), so the comparison stays consistent.
    if (Number.isNaN(c)) c = Number.isNaN(na as number) ? (Number.isNaN(nb as number) ? 0 : 1) : -1;
    return c * dir;
  };
}
