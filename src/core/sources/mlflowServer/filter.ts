/**
 * Our filter language (core/tracking/filter.ts) → MLflow's search filter, where it can.
 *
 * MLflow's server filter is an AND of simple comparisons. The top-level AND items of our expression that have an
 * MLflow form are sent to the server; `or`, `not`, `duration`, numbers compared with params/tags and the like stay
 * local. The whole expression is always evaluated locally on what the server returns as well, so a pushed clause only
 * has to keep every run our expression keeps (it may keep more: e.g. SQLite's LIKE ignores ASCII case); `exact` says
 * the server's answer needs no local filtering at all, which lets the pages pass through one to one.
 *
 * Pushed (values without quotes or backslashes, keys without backticks):
 *   metrics.k op N             op in = != < <= > >=, N a finite number in plain or e-minus notation
 *   params.k / tags.k = != 'text', like / ilike 'pattern' (ilike only for ASCII patterns: servers fold ASCII only)
 *   name = != like ilike 'text'           → attributes.run_name
 *   run_id = 'id', run_id in ('a', 'b')   → attributes.run_id
 *   status = / != / in / not in           → attributes.status = 'FINISHED' or != each excluded MLflow status
 *   start_time / end_time op N or 'date'  → attributes.start_time op ms
 *   experiment = 'name', in ('a', 'b')    → narrows the experiment ids instead (the caller must apply it)
 */
import type { Expr, FieldRef } from '../../tracking/filter';

const MLFLOW_STATUSES = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'] as const;
const OUR_STATUS_TO_MLFLOW: Record<string, readonly string[]> = {
  running: ['RUNNING', 'SCHEDULED'],
  completed: ['FINISHED'],
  failed: ['FAILED'],
  cancelled: ['KILLED'],
  finished: ['FINISHED', 'FAILED', 'KILLED'],
};

export interface ServerFilterPlan {
  /** MLflow's filter string ('' = none). */
  filter: string;
  /** True when the server's answer is exactly our expression's (no local filtering needed). */
  exact: boolean;
  /** Experiment names the expression requires (`experiment = 'x'` at the top level), to narrow experiment_ids. */
  experimentNames?: string[];
}

export function planServerFilter(expr: Expr | undefined): ServerFilterPlan {
  if (!expr) return { filter: '', exact: true };
  const items = expr.type === 'and' ? expr.items : [expr];
  const clauses: string[] = [];
  let exact = true;
  let experimentNames: string[] | undefined;
  for (const item of items) {
    const t = translate(item);
    if (!t) {
      exact = false;
      continue;
    }
    if (t.experimentNames) experimentNames = experimentNames ? experimentNames.filter((n) => t.experimentNames!.includes(n)) : t.experimentNames;
    clauses.push(...t.clauses);
    if (!t.exact) exact = false;
  }
  return { filter: clauses.join(' AND '), exact, ...(experimentNames ? { experimentNames } : {}) };
}

interface Translation {
  clauses: string[];
  exact: boolean;
  experimentNames?: string[];
}

function translate(e: Expr): Translation | undefined {
  switch (e.type) {
    case 'cmp':
      return translateCmp(e.field, e.op, e.value);
    case 'like': {
      if (e.negate) return undefined;
      const pattern = e.pattern.source;
      if (!safeText(pattern) || (e.pattern.insensitive && !/^[\x20-\x7e]*$/.test(pattern))) return undefined;
      const op = e.pattern.insensitive ? 'ILIKE' : 'LIKE';
      const key = columnOf(e.field);
      if (!key) return undefined;
      // Servers match LIKE at least as loosely as we do (SQLite/MySQL may ignore case): never exact.
      return { clauses: [`${key} ${op} ${quote(pattern)}`], exact: false };
    }
    case 'in': {
      if (e.field.kind !== 'attribute') return undefined;
      if (e.field.key === 'status') return statusClauses(e.values, e.negate);
      if (e.negate) return undefined;
      if (e.field.key === 'run_id') {
        if (!e.values.every((v) => typeof v === 'string' && safeText(v))) return undefined;
        return { clauses: [`attributes.run_id IN (${e.values.map((v) => quote(String(v))).join(', ')})`], exact: true };
      }
      if (e.field.key === 'experiment' && e.values.every((v) => typeof v === 'string')) {
        return { clauses: [], exact: true, experimentNames: e.values.map(String) };
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

function translateCmp(f: FieldRef, op: string, value: string | number): Translation | undefined {
  switch (f.kind) {
    case 'metric': {
      const n = typeof value === 'number' ? numberLiteral(value) : undefined;
      const key = columnOf(f);
      if (n === undefined || !key) return undefined;
      return { clauses: [`${key} ${op} ${n}`], exact: true };
    }
    case 'param':
    case 'tag': {
      // A number compares numerically here (10 = '10.0'); MLflow compares text: only text values go to the server.
      if (typeof value !== 'string' || !safeText(value) || (op !== '=' && op !== '!=')) return undefined;
      const key = columnOf(f);
      if (!key) return undefined;
      return { clauses: [`${key} ${op} ${quote(value)}`], exact: true };
    }
    case 'attribute':
      switch (f.key) {
        case 'status': {
          if (op !== '=' && op !== '!=') return undefined;
          return statusClauses([value], op === '!=');
        }
        case 'name':
        case 'run_id': {
          if (typeof value !== 'string' || !safeText(value) || (op !== '=' && op !== '!=')) return undefined;
          const column = f.key === 'name' ? 'attributes.run_name' : 'attributes.run_id';
          return { clauses: [`${column} ${op} ${quote(value)}`], exact: true };
        }
        case 'start_time':
        case 'end_time': {
          const ms = typeof value === 'number' ? value : Date.parse(value);
          const n = numberLiteral(ms);
          if (n === undefined) return undefined;
          return { clauses: [`attributes.${f.key} ${op} ${n}`], exact: true };
        }
        case 'experiment':
          if (op !== '=' || typeof value !== 'string') return undefined;
          return { clauses: [], exact: true, experimentNames: [value] };
      }
  }
  return undefined;
}

/** status = x / != x / in (…) / not in (…) as MLflow clauses: = one status, or != each status left out. */
function statusClauses(values: (string | number)[], negate: boolean): Translation | undefined {
  const chosen = new Set<string>();
  for (const v of values) {
    const mapped = OUR_STATUS_TO_MLFLOW[String(v).toLowerCase()];
    if (!mapped) return undefined;
    for (const s of mapped) chosen.add(s);
  }
  const allowed = MLFLOW_STATUSES.filter((s) => chosen.has(s) !== negate);
  if (allowed.length === MLFLOW_STATUSES.length) return { clauses: [], exact: true };
  if (allowed.length === 1) return { clauses: [`attributes.status = ${quote(allowed[0])}`], exact: true };
  return { clauses: MLFLOW_STATUSES.filter((s) => !allowed.includes(s)).map((s) => `attributes.status != ${quote(s)}`), exact: true };
}

function columnOf(f: FieldRef): string | undefined {
  if (f.kind === 'attribute') return f.key === 'name' ? 'attributes.run_name' : undefined;
  if (f.key.includes('`') || !f.key) return undefined;
  const prefix = f.kind === 'metric' ? 'metrics' : f.kind === 'param' ? 'params' : 'tags';
  return `${prefix}.\`${f.key}\``;
}

/** Text MLflow's filter parser takes in single quotes as is: no quotes, no backslash, no control characters. */
function safeText(s: string): boolean {
  // eslint-disable-next-line no-control-regex -- control characters are what this rejects
  return !/['"\\\x00-\x1f]/.test(s);
}

function quote(s: string): string {
  return `'${s}'`;
}

/** A number as MLflow's filter parser reads it: plain decimals and 1e-7 pass; 1e+21, NaN and Infinity do not. */
export function numberLiteral(n: number): string | undefined {
  if (!Number.isFinite(n)) return undefined;
  const s = String(n);
  return s.includes('e+') ? undefined : s;
}
