/**
 * The comparison model behind "Compare Runs": which runs are shown and in what order, the parameter and metric
 * rows (the union of keys), which rows differ across the shown runs, the best value of each metric (lower is
 * better for error-like names, higher otherwise, overridable per metric), and each metric's delta against a
 * pinned baseline run.
 *
 * Pure (no Node, no VS Code; only the dependency-free ../util/numbers): the extension uses it for the CSV/Markdown
 * exports and the webview bundles it for its tables and charts, so both always agree. Default directions come
 * from the caller (see defaultDirections in ./directions, which applies metricDirection and experiments'
 * primary metrics); the user's per-metric overrides live in the settings.
 */
import { parseDecimal } from '../util/numbers';
import { type ComparedValue, normalizeCompared } from './series';

export type { ComparedValue } from './series';

export type Direction = 'min' | 'max';
type Value = string | number | boolean | null;

/** The least a run needs to be compared (RunView and the compare view's runs satisfy it). */
export interface ComparableRun {
  id: string;
  name: string;
  startTime?: number;
  params: Record<string, Value>;
  metrics: Record<string, number>;
}

export type SortBy = 'metric' | 'param' | 'name' | 'startTime';

export interface CompareSort {
  by: SortBy;
  /** Metric or param key (for by = metric | param). */
  key?: string;
  descending: boolean;
}

export type ChartKind = 'bars' | 'history' | 'scatter' | 'pcp' | 'importance';
export const CHART_KINDS: readonly ChartKind[] = ['bars', 'history', 'scatter', 'pcp', 'importance'];

export interface ChartSettings {
  /** The chart tab shown. */
  tab: ChartKind;
  /** One bar chart per metric (empty: the primary metric). */
  barMetrics: string[];
  historyMetric: string | null;
  scatterParam: string | null;
  scatterMetric: string | null;
  pcpParams: string[];
  pcpMetric: string | null;
}

/** Everything the user can change in a comparison; saved with the panel so a window reload restores it. */
export interface CompareSettings {
  paramsDiffOnly: boolean;
  metricsDiffOnly: boolean;
  /** null: the order the runs were given in. */
  sort: CompareSort | null;
  /** Ids of runs hidden from the tables and charts. */
  hidden: string[];
  /** Id of the run every metric's delta is measured against. */
  baseline: string | null;
  /** The user's choice of direction for a metric, over the default. */
  directionOverrides: Record<string, Direction>;
  /** Which value of each metric is compared: the last (default), the value at a step, or the min / max over the history. */
  compared: ComparedValue;
  charts: ChartSettings;
}

export function defaultSettings(): CompareSettings {
  return {
    paramsDiffOnly: false,
    metricsDiffOnly: false,
    sort: null,
    hidden: [],
    baseline: null,
    directionOverrides: {},
    compared: { kind: 'last' },
    charts: { tab: 'bars', barMetrics: [], historyMetric: null, scatterParam: null, scatterMetric: null, pcpParams: [], pcpMetric: null },
  };
}

const MAX_KEYS = 1000;
const MAX_KEY_LENGTH = 500;

function isKey(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= MAX_KEY_LENGTH;
}

function keyList(v: unknown): string[] {
  return Array.isArray(v) ? [...new Set(v.filter(isKey))].slice(0, MAX_KEYS) : [];
}

function keyOrNull(v: unknown): string | null {
  return isKey(v) ? v : null;
}

/**
 * Settings from an untrusted source (a webview message, a panel's saved state), checked field by field:
 * anything missing or malformed takes its default.
 */
export function normalizeSettings(v: unknown): CompareSettings {
  const d = defaultSettings();
  if (typeof v !== 'object' || v === null) return d;
  const o = v as Record<string, unknown>;
  const out: CompareSettings = {
    paramsDiffOnly: typeof o.paramsDiffOnly === 'boolean' ? o.paramsDiffOnly : d.paramsDiffOnly,
    metricsDiffOnly: typeof o.metricsDiffOnly === 'boolean' ? o.metricsDiffOnly : d.metricsDiffOnly,
    sort: null,
    hidden: keyList(o.hidden),
    baseline: keyOrNull(o.baseline),
    directionOverrides: {},
    compared: normalizeCompared(o.compared),
    charts: d.charts,
  };
  const s = o.sort as Record<string, unknown> | null | undefined;
  if (s && typeof s === 'object' && ['metric', 'param', 'name', 'startTime'].includes(s.by as string)) {
    const by = s.by as SortBy;
    const needsKey = by === 'metric' || by === 'param';
    if (!needsKey || isKey(s.key)) out.sort = { by, ...(needsKey ? { key: s.key as string } : {}), descending: s.descending === true };
  }
  const dir = o.directionOverrides;
  if (dir && typeof dir === 'object') {
    for (const [k, val] of Object.entries(dir as Record<string, unknown>).slice(0, MAX_KEYS)) {
      if (isKey(k) && (val === 'min' || val === 'max')) out.directionOverrides[k] = val;
    }
  }
  const c = o.charts as Record<string, unknown> | undefined;
  if (c && typeof c === 'object') {
    out.charts = {
      tab: CHART_KINDS.includes(c.tab as ChartKind) ? (c.tab as ChartKind) : d.charts.tab,
      barMetrics: keyList(c.barMetrics),
      historyMetric: keyOrNull(c.historyMetric),
      scatterParam: keyOrNull(c.scatterParam),
      scatterMetric: keyOrNull(c.scatterMetric),
      pcpParams: keyList(c.pcpParams),
      pcpMetric: keyOrNull(c.pcpMetric),
    };
  }
  return out;
}

// ------------------------------------------------------------------------------------------ values

/** Metric values this close (relative) count as equal: they print the same and are the same result. */
const REL_TOLERANCE = 1e-9;

export function numbersEqual(a: number, b: number): boolean {
  if (a === b) return true;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return Number.isNaN(a) && Number.isNaN(b);
  return Math.abs(a - b) <= REL_TOLERANCE * Math.max(Math.abs(a), Math.abs(b));
}

/** A param value as compared: 10 and '10' are the same value; a missing key differs from every value. */
function paramIdentity(v: Value | undefined): string {
  if (v === undefined) return '\u0000missing';
  if (v === null) return '\u0000null';
  return String(v);
}

export function paramsEqual(a: Value | undefined, b: Value | undefined): boolean {
  return paramIdentity(a) === paramIdentity(b);
}

/** True when the values are not all the same (a missing value counts as different from any value). */
export function paramValuesDiffer(values: (Value | undefined)[]): boolean {
  if (values.length < 2) return false;
  const first = paramIdentity(values[0]);
  return values.some((v) => paramIdentity(v) !== first);
}

export function metricValuesDiffer(values: (number | undefined)[]): boolean {
  if (values.length < 2) return false;
  const first = values[0];
  return values.some((v) => (v === undefined || first === undefined ? v !== first : !numbersEqual(v, first)));
}

/** Is a better than b in this direction (strictly)? */
export function isBetter(a: number, b: number, direction: Direction): boolean {
  if (numbersEqual(a, b)) return false;
  return direction === 'min' ? a < b : a > b;
}

export function directionOf(key: string, directions: Record<string, Direction>, settings?: Pick<CompareSettings, 'directionOverrides'>): Direction {
  return settings?.directionOverrides[key] ?? directions[key] ?? 'max';
}

// ------------------------------------------------------------------------------------------ sorting

/** One shared collator: localeCompare with options builds a new one per call, which is slow for 50 × 40 keys. */
const collator = new Intl.Collator(undefined, { numeric: true });
export const compareText = (a: string, b: string): number => collator.compare(a, b);

/** Order of param values: numbers ascending, then none (null: e.g. max_depth none = unlimited), then text. */
export function compareParamValues(a: Value, b: Value): number {
  // Text is numeric only in decimal notation (`0x10` is text, as in the filter and CSVs).
  const na = typeof a === 'number' ? a : typeof a === 'boolean' ? Number(a) : typeof a === 'string' ? parseDecimal(a) : undefined;
  const nb = typeof b === 'number' ? b : typeof b === 'boolean' ? Number(b) : typeof b === 'string' ? parseDecimal(b) : undefined;
  const rank = (n: number | undefined, v: Value) => (n !== undefined ? 0 : v === null ? 1 : 2);
  const ra = rank(na, a);
  const rb = rank(nb, b);
  if (ra !== rb) return ra - rb;
  if (ra === 0) return na! - nb!;
  if (ra === 1) return 0;
  return compareText(String(a), String(b));
}

/**
 * The runs in the order of `sort` (stable: ties keep the given order). Runs without the sort key come last,
 * whichever the direction.
 */
export function sortRuns<R extends ComparableRun>(runs: readonly R[], sort: CompareSort | null): R[] {
  const indexed = runs.map((r, i) => ({ r, i }));
  if (!sort) return runs.slice();
  const sign = sort.descending ? -1 : 1;
  const key = sort.key ?? '';
  indexed.sort((x, y) => {
    let c = 0;
    switch (sort.by) {
      case 'metric': {
        const a = x.r.metrics[key];
        const b = y.r.metrics[key];
        const ha = typeof a === 'number' && !Number.isNaN(a);
        const hb = typeof b === 'number' && !Number.isNaN(b);
        if (ha !== hb) return ha ? -1 : 1;
        c = ha && hb ? (a < b ? -1 : a > b ? 1 : 0) * sign : 0;
        break;
      }
      case 'param': {
        const ha = Object.prototype.hasOwnProperty.call(x.r.params, key);
        const hb = Object.prototype.hasOwnProperty.call(y.r.params, key);
        if (ha !== hb) return ha ? -1 : 1;
        c = ha && hb ? compareParamValues(x.r.params[key], y.r.params[key]) * sign : 0;
        break;
      }
      case 'name':
        c = compareText(x.r.name, y.r.name) * sign;
        break;
      case 'startTime':
        c = ((x.r.startTime ?? 0) - (y.r.startTime ?? 0)) * sign;
        break;
    }
    return c || x.i - y.i;
  });
  return indexed.map((x) => x.r);
}

// ------------------------------------------------------------------------------------------ the model

export interface ParamRow {
  key: string;
  /** One per shown run (undefined: the run has no such param). */
  values: (Value | undefined)[];
  differs: boolean;
}

export interface MetricRow {
  key: string;
  direction: Direction;
  /** The direction is the user's override, not the default. */
  overridden: boolean;
  /** One per shown run (undefined: not logged). */
  values: (number | undefined)[];
  differs: boolean;
  /** The best value among the shown runs; undefined when there is nothing to rank (fewer than two values, or all equal). */
  best: number | undefined;
  /** Per shown run: holds the best value (ties: every run that has it). */
  isBest: boolean[];
  /** The baseline run's value (undefined: no baseline, or it has no value). */
  baselineValue: number | undefined;
  /** Per shown run: value − baseline value (undefined without both). */
  deltas: (number | undefined)[];
  /** Per shown run: delta / |baseline value| (undefined when the baseline value is 0). */
  relDeltas: (number | undefined)[];
  /** Per shown run: whether the delta goes the good way (undefined: no delta, or none). */
  better: (boolean | undefined)[];
}

export interface Comparison<R extends ComparableRun> {
  /** The shown runs, in display order. */
  runs: R[];
  /** Runs hidden by the user. */
  hidden: R[];
  /** The pinned baseline run (it may be hidden; it still anchors the deltas). */
  baseline: R | undefined;
  params: ParamRow[];
  metrics: MetricRow[];
}

function unionKeys(maps: Record<string, unknown>[]): string[] {
  const keys = new Set<string>();
  for (const m of maps) for (const k of Object.keys(m)) keys.add(k);
  return [...keys].sort(compareText);
}

/**
 * Build the comparison of `runs` under `settings`. `directions` holds each metric's default direction (see
 * defaultDirections); a metric missing there is higher-is-better unless overridden.
 */
export function buildComparison<R extends ComparableRun>(runs: readonly R[], settings: CompareSettings, directions: Record<string, Direction> = {}): Comparison<R> {
  const hiddenIds = new Set(settings.hidden);
  const ordered = sortRuns(runs, settings.sort);
  const shown = ordered.filter((r) => !hiddenIds.has(r.id));
  const hidden = ordered.filter((r) => hiddenIds.has(r.id));
  const baseline = settings.baseline ? runs.find((r) => r.id === settings.baseline) : undefined;

  const params: ParamRow[] = unionKeys(shown.map((r) => r.params)).map((key) => {
    const values = shown.map((r) => (Object.prototype.hasOwnProperty.call(r.params, key) ? r.params[key] : undefined));
    return { key, values, differs: paramValuesDiffer(values) };
  });

  const metrics: MetricRow[] = unionKeys(shown.map((r) => r.metrics)).map((key) => {
    const direction = directionOf(key, directions, settings);
    const values = shown.map((r) => {
      const v = r.metrics[key];
      return typeof v === 'number' ? v : undefined;
    });
    const finite = values.filter((v): v is number => v !== undefined && Number.isFinite(v));
    let best: number | undefined;
    for (const v of finite) if (best === undefined || isBetter(v, best, direction)) best = v;
    const rankable = finite.length >= 2 && finite.some((v) => !numbersEqual(v, finite[0]));
    if (!rankable) best = undefined;
    const isBest = values.map((v) => best !== undefined && v !== undefined && numbersEqual(v, best));
    const bv = baseline?.metrics[key];
    const baselineValue = typeof bv === 'number' && Number.isFinite(bv) ? bv : undefined;
    const deltas = values.map((v) => (baselineValue !== undefined && v !== undefined && Number.isFinite(v) ? v - baselineValue : undefined));
    const relDeltas = deltas.map((d) => (d !== undefined && baselineValue !== undefined && baselineValue !== 0 ? d / Math.abs(baselineValue) : undefined));
    const better = values.map((v, i) => (deltas[i] === undefined || v === undefined || numbersEqual(v, baselineValue!) ? undefined : isBetter(v, baselineValue!, direction)));
    return { key, direction, overridden: settings.directionOverrides[key] !== undefined, values, differs: metricValuesDiffer(values), best, isBest, baselineValue, deltas, relDeltas, better };
  });

  return { runs: shown, hidden, baseline, params, metrics };
}

/** The parameter rows the table shows (all, or only those that differ). */
export function shownParams<R extends ComparableRun>(c: Comparison<R>, settings: Pick<CompareSettings, 'paramsDiffOnly'>): ParamRow[] {
  return settings.paramsDiffOnly ? c.params.filter((r) => r.differs) : c.params;
}

/** The metric rows the table shows (all, or only those that differ). */
export function shownMetrics<R extends ComparableRun>(c: Comparison<R>, settings: Pick<CompareSettings, 'metricsDiffOnly'>): MetricRow[] {
  return settings.metricsDiffOnly ? c.metrics.filter((r) => r.differs) : c.metrics;
}

// ------------------------------------------------------------------------------------------ formatting

/** A number as the tables show it: integers as is, otherwise 5 significant digits, exponents for tiny/huge. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(3);
  return String(Number(v.toPrecision(5)));
}

export function formatValue(v: Value | undefined): string {
  if (v === undefined) return '';
  if (v === null) return 'none';
  if (typeof v === 'number') return formatNumber(v);
  return String(v);
}

/** A delta with its sign: +0.012, -3 (ASCII minus, so exports stay machine-readable). */
export function formatDelta(d: number): string {
  if (d === 0) return '±0';
  return (d > 0 ? '+' : '-') + formatNumber(Math.abs(d));
}

export function formatPercent(rel: number): string {
  const p = rel * 100;
  const a = Math.abs(p);
  const s = a >= 100 ? a.toFixed(0) : a >= 10 ? a.toFixed(1) : a.toFixed(2);
  return `${p > 0 ? '+' : p < 0 ? '-' : '±'}${s}%`;
}
