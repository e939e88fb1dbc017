/**
 * The drift report view model, pure (no Node, VS Code or DOM) so that the extension, the webview and the unit tests
 * share one definition of: which reports form a monitor's history, the feature table's sort order, histograms as
 * shares on the report's shared bin edges, the values behind the score charts and the timeline, a plain-text
 * summary, and the webview state saved for a window reload (checked field by field when it comes back).
 *
 * Reports arrive as JSON: a NaN written by the store (an untested column) reads back as null, so every number here
 * may be null and is checked before use.
 */
import type { DriftHistogram, Severity } from './stats/columnDrift';
import type { DriftMethod, ScoreKind } from './stats/select';
import type { DriftReport, NamedColumnDrift } from './types';

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Short number text for labels (bin edges, summaries): 4 significant digits, exponent for tiny or huge values. */
export function shortNum(v: number | null | undefined): string {
  if (!finite(v)) return '—';
  if (v === 0 || Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  if (a < 1e-3 || a >= 1e6) return v.toExponential(2);
  return String(Number(v.toPrecision(4)));
}

// ------------------------------------------------------------------------------------------ history

/** How many reports of a monitor the timeline shows at most. */
export const HISTORY_CAP = 50;

/**
 * Reports belong to the same monitor when they check the same model (by name: retrained versions continue the line)
 * against the same reference file; without a model, the reference file alone. Their scores are comparable.
 */
export function monitorKey(r: Pick<DriftReport, 'model' | 'reference'>): string {
  return JSON.stringify([r.model?.name ?? null, r.reference.file]);
}

const byTime = (a: Pick<DriftReport, 'time' | 'id'>, b: Pick<DriftReport, 'time' | 'id'>) => a.time - b.time || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * The report's monitor history, oldest first: at most `cap` reports, the newest ones — unless the report itself is
 * older than those, then the `cap` reports up to and including it (the report is always on its own timeline).
 */
export function monitorHistory<R extends Pick<DriftReport, 'id' | 'time' | 'model' | 'reference'>>(all: readonly R[], report: R, cap = HISTORY_CAP): R[] {
  const key = monitorKey(report);
  const same = all.filter((r) => monitorKey(r) === key && r.id !== report.id);
  same.push(report);
  same.sort(byTime);
  const i = same.indexOf(report);
  const end = i < same.length - cap ? i + 1 : same.length;
  return same.slice(Math.max(0, end - Math.max(1, cap)), end);
}

/** The newest report of the same monitor when it is newer than `report`. */
export function newerReport<R extends Pick<DriftReport, 'id' | 'time' | 'model' | 'reference'>>(all: readonly R[], report: R): R | undefined {
  const key = monitorKey(report);
  const newest = all.filter((r) => monitorKey(r) === key).sort(byTime).at(-1);
  return newest && newest.id !== report.id && byTime(newest, report) > 0 ? newest : undefined;
}

/** A report as the timeline needs it: scores only, no histograms. */
export interface DriftHistoryEntry {
  id: string;
  batch: string;
  time: number;
  rows: number;
  datasetDrifted: boolean;
  columns: { name: string; method: DriftMethod; scoreKind: ScoreKind; score: number | null; threshold: number; drifted: boolean }[];
}

export function historyEntry(r: DriftReport): DriftHistoryEntry {
  return {
    id: r.id,
    batch: r.batch,
    time: r.time,
    rows: r.current.rows,
    datasetDrifted: r.dataset.drifted,
    columns: r.columns.map((c) => ({ name: c.name, method: c.method, scoreKind: c.scoreKind, score: c.tested && finite(c.score) ? c.score : null, threshold: c.threshold, drifted: c.drifted })),
  };
}

// ------------------------------------------------------------------------------------------ feature table

export const DRIFT_SORT_KEYS = ['feature', 'type', 'method', 'statistic', 'pValue', 'threshold', 'psi', 'drifted', 'missing', 'reference', 'current'] as const;
export type DriftSortKey = (typeof DRIFT_SORT_KEYS)[number];
export interface DriftSort {
  key: DriftSortKey;
  descending: boolean;
}

/** Keys whose first click sorts descending: the most drift first (high statistic, PSI, severity, missing). */
const DESCENDING_FIRST = new Set<DriftSortKey>(['statistic', 'psi', 'drifted', 'missing']);

const SEVERITY_RANK: Record<Severity, number> = { medium: 1, high: 2, critical: 3 };

/** Drifted-ness as a number: critical 3, high 2, medium 1, not drifted 0, not tested −1. */
export function driftRank(c: Pick<NamedColumnDrift, 'drifted' | 'severity' | 'tested'>): number {
  if (!c.tested) return -1;
  return c.drifted ? (c.severity ? SEVERITY_RANK[c.severity] : 1) : 0;
}

/** The reference or current value shown in the table: the mean (numeric) or the most frequent category. */
export function summaryValue(c: NamedColumnDrift, side: 'reference' | 'current'): number | string | null {
  const s = side === 'reference' ? c.referenceSummary : c.currentSummary;
  if (!s) return null;
  if (s.kind === 'numeric') return finite(s.mean) ? s.mean : null;
  return s.top ?? null;
}

export function sortValue(c: NamedColumnDrift, key: DriftSortKey): number | string | null {
  switch (key) {
    case 'feature':
      return c.name;
    case 'type':
      return c.columnType;
    case 'method':
      return c.method;
    case 'statistic':
      return finite(c.statistic) ? c.statistic : null;
    case 'pValue':
      return finite(c.pValue) ? c.pValue : null;
    case 'threshold':
      return finite(c.threshold) ? c.threshold : null;
    case 'psi':
      return finite(c.psi) ? c.psi : null;
    case 'drifted':
      return driftRank(c);
    case 'missing':
      return (c.missing?.current ?? 0) + (c.nonFinite?.current ?? 0);
    case 'reference':
      return summaryValue(c, 'reference');
    case 'current':
      return summaryValue(c, 'current');
  }
}

function compareValues(a: number | string, b: number | string): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1; // numbers before text
  if (typeof b === 'number') return 1;
  return a.localeCompare(b, undefined, { numeric: true, sensitivity: 'base' }) || (a < b ? -1 : a > b ? 1 : 0);
}

/** The columns in table order: the report's order without a sort; a sort is stable and puts missing values last. */
export function sortColumns<C extends NamedColumnDrift>(columns: readonly C[], sort: DriftSort | null): C[] {
  if (!sort) return [...columns];
  const keyed = columns.map((c, i) => ({ c, i, v: sortValue(c, sort.key) }));
  keyed.sort((x, y) => {
    if (x.v === null || y.v === null) return x.v === y.v ? x.i - y.i : x.v === null ? 1 : -1;
    const d = compareValues(x.v, y.v);
    return (sort.descending ? -d : d) || x.i - y.i;
  });
  return keyed.map((k) => k.c);
}

/** A header click: the same key again reverses; a new key starts in its natural direction. */
export function nextSort(current: DriftSort | null, key: DriftSortKey): DriftSort {
  if (current && current.key === key) return { key, descending: !current.descending };
  return { key, descending: DESCENDING_FIRST.has(key) };
}

/** The feature shown first: the most severely drifted one (lowest p-value / highest distance ratio), else the first. */
export function defaultFeature(columns: readonly NamedColumnDrift[]): string | null {
  if (!columns.length) return null;
  const strength = (c: NamedColumnDrift) => (c.scoreKind === 'p_value' ? -Math.log10(Math.max(c.score ?? 1, P_FLOOR)) / -Math.log10(Math.max(c.threshold, P_FLOOR)) : (c.score ?? 0) / (c.threshold || 1));
  const drifted = columns.filter((c) => c.drifted).sort((a, b) => driftRank(b) - driftRank(a) || strength(b) - strength(a));
  return (drifted[0] ?? columns[0]).name;
}

// ------------------------------------------------------------------------------------------ histograms

export interface HistogramShares {
  kind: 'numeric' | 'categorical';
  /** Bin labels ("20.5–22.1") or categories. */
  labels: string[];
  /** The shared bin edges (numeric), else null. */
  edges: number[] | null;
  /** Each side's counts divided by that side's total: different batch sizes compare. */
  reference: number[];
  current: number[];
  totals: { reference: number; current: number };
}

/**
 * A column's histogram as shares of each side. Both sides use the report's one set of bin edges (equal-width bins over
 * the combined range), so the bars line up; a side without values gets zeros.
 */
export function histogramShares(h: DriftHistogram | null | undefined): HistogramShares | null {
  if (!h) return null;
  const ref = (h.reference ?? []).map((v) => (finite(v) ? v : 0));
  const cur = (h.current ?? []).map((v) => (finite(v) ? v : 0));
  const sum = (xs: number[]) => xs.reduce((s, v) => s + v, 0);
  const totals = { reference: sum(ref), current: sum(cur) };
  const share = (xs: number[], total: number) => xs.map((v) => (total > 0 ? v / total : 0));
  if (h.kind === 'numeric') {
    const edges = (h.edges ?? []).filter(finite);
    const n = Math.max(0, edges.length - 1);
    if (ref.length !== n || cur.length !== n) return null;
    const labels = Array.from({ length: n }, (_, k) => `${shortNum(edges[k])}–${shortNum(edges[k + 1])}`);
    return { kind: 'numeric', labels, edges, reference: share(ref, totals.reference), current: share(cur, totals.current), totals };
  }
  const labels = (h.categories ?? []).map(String);
  if (ref.length !== labels.length || cur.length !== labels.length) return null;
  return { kind: 'categorical', labels, edges: null, reference: share(ref, totals.reference), current: share(cur, totals.current), totals };
}

// ------------------------------------------------------------------------------------------ scores

/** p-values below this are drawn at −log₁₀ = 16 (double precision has nothing finer to say). */
export const P_FLOOR = 1e-16;

export function negLog10(p: number): number {
  return -Math.log10(Math.max(p, P_FLOOR));
}

export interface ScoreBar {
  name: string;
  method: DriftMethod;
  /** What the bar shows: −log₁₀ p (p-value tests) or the distance; null when the column was not tested. */
  value: number | null;
  /** The score itself (the p-value or the distance). */
  score: number | null;
  threshold: number;
  /** The threshold on the bar's scale. */
  thresholdValue: number;
  drifted: boolean;
  severity: Severity | null;
  /** The p-value was below P_FLOOR and the bar is cut there. */
  clipped: boolean;
}

/**
 * The score chart's bars for one kind of score. Both kinds are drawn so that a longer bar means more drift and the
 * bar crosses its threshold line exactly when the column drifted: p-value tests as −log₁₀ p against −log₁₀ threshold,
 * distances as they are against their threshold.
 */
export function scoreBars(columns: readonly NamedColumnDrift[], kind: ScoreKind): ScoreBar[] {
  return columns
    .filter((c) => c.scoreKind === kind)
    .map((c) => {
      const score = c.tested && finite(c.score) ? c.score : null;
      const p = kind === 'p_value';
      return {
        name: c.name,
        method: c.method,
        value: score === null ? null : p ? negLog10(score) : score,
        score,
        threshold: c.threshold,
        thresholdValue: p ? negLog10(c.threshold) : c.threshold,
        drifted: c.drifted,
        severity: c.severity,
        clipped: p && score !== null && score < P_FLOOR,
      };
    });
}

// ------------------------------------------------------------------------------------------ timeline

export interface TimelineSeries {
  feature: string;
  /** On the score chart's scale (−log₁₀ p or distance), one per batch; null where the batch has no such score. */
  values: (number | null)[];
  scores: (number | null)[];
  thresholds: (number | null)[];
  drifted: boolean[];
}

export interface Timeline {
  /** Batch names in time order (a repeated name gets " (2)", " (3)"…). */
  labels: string[];
  ids: string[];
  times: number[];
  series: TimelineSeries[];
}

/**
 * Each feature's score across the batches of a history, for one kind of score. Features come in the order of
 * `order` (the shown report's columns), then any others; a feature with no score of this kind is left out.
 */
export function timeline(history: readonly DriftHistoryEntry[], kind: ScoreKind, order: readonly string[] = []): Timeline {
  const seen = new Map<string, number>();
  const labels = history.map((h) => {
    const n = (seen.get(h.batch) ?? 0) + 1;
    seen.set(h.batch, n);
    return n > 1 ? `${h.batch} (${n})` : h.batch;
  });
  const names = [...new Set([...order, ...history.flatMap((h) => h.columns.map((c) => c.name))])];
  const series: TimelineSeries[] = [];
  for (const feature of names) {
    const cols = history.map((h) => h.columns.find((c) => c.name === feature && c.scoreKind === kind));
    if (!cols.some((c) => c && c.score !== null)) continue;
    series.push({
      feature,
      scores: cols.map((c) => (c && finite(c.score) ? c.score : null)),
      values: cols.map((c) => (c && finite(c.score) ? (kind === 'p_value' ? negLog10(c.score) : c.score) : null)),
      thresholds: cols.map((c) => (c ? (kind === 'p_value' ? negLog10(c.threshold) : c.threshold) : null)),
      drifted: cols.map((c) => !!c?.drifted),
    });
  }
  return { labels, ids: history.map((h) => h.id), times: history.map((h) => h.time), series };
}

// ------------------------------------------------------------------------------------------ summary

function describeScore(c: Pick<NamedColumnDrift, 'method' | 'pValue' | 'score' | 'scoreKind'>): string {
  return c.scoreKind === 'p_value' ? `${c.method} p = ${shortNum(c.pValue)}` : `${c.method} distance ${shortNum(c.score)}`;
}

/** The report in a few plain-text lines (Copy summary): the headline numbers, the drifted features, the alerts. */
export function driftSummary(r: DriftReport): string {
  const base = (f: string) => f.split(/[\\/]/).pop() ?? f;
  const lines = [
    `Drift report: ${r.batch} (${new Date(r.time).toISOString()})`,
    `${r.current.rows} rows against ${base(r.reference.file)} (${r.reference.rows} rows)${r.model ? `, model ${r.model.name}${r.model.version !== undefined ? ` v${r.model.version}` : ''}` : ''}`,
    `Dataset drift: ${r.dataset.drifted ? 'YES' : 'no'}: ${r.dataset.count} of ${r.dataset.total} columns drifted (share ${shortNum(r.dataset.share)}, threshold ${r.dataset.threshold})`,
  ];
  const drifted = r.columns.filter((c) => c.drifted);
  lines.push(drifted.length ? `Drifted: ${drifted.map((c) => `${c.name} (${describeScore(c)}, PSI ${shortNum(c.psi)}, ${c.severity ?? 'medium'})`).join('; ')}` : 'Drifted: none');
  if (r.prediction) lines.push(`Prediction drift: ${r.prediction.drifted ? 'YES' : 'no'}: ${describeScore(r.prediction)}, PSI ${shortNum(r.prediction.psi)}`);
  const perf = performanceRows(r);
  if (perf.length) lines.push(`Performance: ${perf.map((c) => (c.current === null ? `${c.metric} not computed (${c.note})` : `${c.metric} ${shortNum(c.reference)} → ${shortNum(c.current)} (${changeText(c.degradation ?? NaN)}${c.degraded ? ', alert' : ''})`)).join('; ')}`);
  const dq = dataQualityFindings(r);
  if (dq.length) lines.push(`Data quality: ${dq.map((f) => `${f.column}: ${f.text}`).join('; ')}`);
  lines.push(r.alerts.length ? `Alerts (${r.alerts.length}): ${r.alerts.map((a) => `[${a.severity}] ${a.type.replace('_', ' ')} ${a.subject}`).join('; ')}` : 'Alerts: none');
  return lines.join('\n') + '\n';
}

/** A row of the performance table: a computed check, or a metric that could not be computed (current null). */
export interface PerformanceRow {
  metric: string;
  reference: number | null;
  current: number | null;
  degradation: number | null;
  degraded: boolean;
  /** Why the metric was not computed ("not enough rows: 1 labelled row, at least 2 needed"). */
  note: string | null;
}

/** The performance checks, then the metrics that could not be computed (issue 18: never a verdict on one row). */
export function performanceRows(r: Pick<DriftReport, 'performance'>): PerformanceRow[] {
  const p = r.performance;
  if (!p) return [];
  return [
    ...(p.checks ?? []).map((c) => ({ metric: c.metric, reference: finite(c.reference) ? c.reference : null, current: finite(c.current) ? c.current : null, degradation: finite(c.degradation) ? c.degradation : null, degraded: !!c.degraded, note: finite(c.current) ? null : 'not a finite number' })),
    ...(p.notComputed ?? []).map((c) => ({ metric: c.metric, reference: finite(c.reference) ? c.reference : null, current: null, degradation: null, degraded: false, note: String(c.reason ?? 'not computed') })),
  ];
}

/**
 * The data-quality findings as text, one per column: the report's own findings (missing-value shares, untested
 * columns); for reports written before issue 18, the untested columns from their notes.
 */
export function dataQualityFindings(r: Pick<DriftReport, 'dataQuality' | 'columns'>): { column: string; kind: 'missing_share' | 'untested'; text: string }[] {
  if (r.dataQuality && Array.isArray(r.dataQuality.findings)) return r.dataQuality.findings.map((f) => ({ column: f.column, kind: f.kind, text: f.kind === 'untested' ? `not tested: ${f.reason}` : f.reason }));
  return (r.columns ?? []).filter((c) => !c.tested).map((c) => ({ column: c.name, kind: 'untested' as const, text: c.note ?? 'not tested' }));
}

/** A performance change as text: "21.4 % worse" / "3.0 % better". */
export function changeText(degradation: number): string {
  if (!finite(degradation)) return '—';
  const pct = Math.abs(degradation * 100).toFixed(1);
  return degradation > 0 ? `${pct} % worse` : degradation < 0 ? `${pct} % better` : 'no change';
}

// ------------------------------------------------------------------------------------------ state

/** What the user chose in the panel (kept with the webview state and restored after a reload). */
export interface DriftViewSettings {
  feature: string | null;
  sort: DriftSort | null;
}

/** The drift report webview's saved state: which report of which workspace folder, and the user's choices. */
export interface DriftPanelState extends DriftViewSettings {
  v: 1;
  folder: string;
  reportId: string;
}

/** Report ids are `YYYYMMDDTHHMMSS-xxxxxx`; anything path-like is refused (ids name files in the store). */
export const REPORT_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$/;
const MAX_FEATURE = 1000;
const MAX_FOLDER = 4096;

export function isAbsoluteFolder(s: string): boolean {
  return s.length > 0 && s.length <= MAX_FOLDER && !s.includes('\0') && (s.startsWith('/') || /^[A-Za-z]:[\\/]/.test(s) || s.startsWith('\\\\'));
}

export function normalizeDriftSettings(v: unknown): DriftViewSettings {
  const out: DriftViewSettings = { feature: null, sort: null };
  if (typeof v !== 'object' || v === null) return out;
  const o = v as Record<string, unknown>;
  if (typeof o.feature === 'string' && o.feature.length <= MAX_FEATURE) out.feature = o.feature;
  const s = o.sort as Record<string, unknown> | null | undefined;
  if (s && typeof s === 'object' && (DRIFT_SORT_KEYS as readonly unknown[]).includes(s.key)) out.sort = { key: s.key as DriftSortKey, descending: s.descending === true };
  return out;
}

/** The state a webview saved (untrusted: checked field by field), or undefined when it names no valid report. */
export function parseDriftState(v: unknown): DriftPanelState | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  if (o.v !== 1) return undefined;
  if (typeof o.folder !== 'string' || !isAbsoluteFolder(o.folder)) return undefined;
  if (typeof o.reportId !== 'string' || !REPORT_ID.test(o.reportId)) return undefined;
  return { v: 1, folder: o.folder, reportId: o.reportId, ...normalizeDriftSettings(o) };
}
