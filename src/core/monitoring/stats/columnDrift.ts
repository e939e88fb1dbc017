/**
 * Per-column data drift (Evidently's default methods and thresholds, see select.ts), PSI for every column, the
 * data for a drift chart, and the dataset-level decision.
 *
 * Missing values (NaN, or categorical code −1 / null / undefined) and non-finite numbers (±Infinity) are counted
 * and reported per side; like Evidently (which replaces ±inf by NaN and drops NaN before testing) they are then
 * left out of the tests, the PSI, the summaries and the histogram. A side with no valid value at all cannot be
 * tested: the result says so (`tested: false`, `note`) and is never counted as drifted.
 *
 * Numeric columns are sorted once per side; the KS statistic, Wasserstein distance, PSI bins, histogram and
 * distinct counts are all merge walks or binary searches over the two sorted arrays.
 */
import type { CategoricalColumn, Column, ColumnType } from '../../data/dataset';
import { chiSquareEvidently } from './chisquare';
import { type CategoryKey, type Counts, valueCounts } from './counts';
import { equalWidthEdges, histogramSorted } from './histogram';
import { binCountsEvidently, binNumericEvidently, jensenShannonDistance } from './jensenshannon';
import { type KsAlternative, type KsMode, ks2sampSorted } from './ks';
import { type PsiBand, type PsiBin, type PsiOptions, type PsiResult, psiCategorical, psiNumericSorted } from './psi';
import { countDistinctUnion, mean, populationStd, sortFloat64, splitNumeric } from './samples';
import { chooseMethod, DRIFT_METHODS, type DriftMethod, isDrifted, type ScoreKind } from './select';
import { clipSorted, OUTLIER_FENCE_IQR, outlierFence } from './robust';
import { normedWassersteinSorted } from './wasserstein';
import { zTestEvidently } from './ztest';

export type { PsiBand } from './psi';
export { psiBand } from './psi';

/** Raw numeric values; NaN = missing, ±Infinity = non-finite. */
export type NumericValues = ArrayLike<number>;
/**
 * Raw categorical values: strings or numbers (null, undefined and NaN = missing; ±Infinity = non-finite), or a
 * dataset's categorical encoding (code −1 or out of range = missing).
 */
export type CategoricalValues = ArrayLike<string | number | null | undefined> | { codes: ArrayLike<number>; levels: readonly string[] };
export type ColumnValues = NumericValues | CategoricalValues;

export interface DriftColumnOptions {
  /** Override the method (default: Evidently's choice, see select.ts). */
  method?: DriftMethod;
  /** Override the threshold (default: the method's). */
  threshold?: number;
  /** PSI bins (default 10 reference quantile bins) and ε (default 1e-4). */
  psi?: PsiOptions;
  /** Equal-width bins over the combined range for the chart (default 20). */
  histogramBins?: number;
  /** Categories shown in the chart; the rest are summed into one last bar (default 30). */
  histogramMaxCategories?: number;
  /** KS options when the method is 'ks' (default two-sided, mode auto). */
  ks?: { alternative?: KsAlternative; mode?: KsMode };
}

export type Severity = 'medium' | 'high' | 'critical';

export interface NumericSummary {
  kind: 'numeric';
  count: number;
  /** null when count = 0. std is the population standard deviation (ddof = 0). */
  mean: number | null;
  std: number | null;
  min: number | null;
  max: number | null;
}

export interface CategoricalSummary {
  kind: 'categorical';
  count: number;
  distinct: number;
  /** Most frequent category (ties: the first in sorted order); null when count = 0. */
  top: string | null;
  topShare: number | null;
}

export type ColumnSummary = NumericSummary | CategoricalSummary;

export type DriftHistogram =
  | { kind: 'numeric'; /** bins [e_k, e_{k+1}), the last closed */ edges: number[]; reference: number[]; current: number[] }
  | { kind: 'categorical'; categories: string[]; reference: number[]; current: number[]; /** categories summed into the last bar, 0 if none */ otherCategories: number };

export interface ColumnDriftResult {
  columnType: ColumnType;
  method: DriftMethod;
  scoreKind: ScoreKind;
  /** The test statistic (KS D, chi-square statistic, z) or the distance (normed Wasserstein, JS, PSI). */
  statistic: number;
  /** p-value of the p-value tests (ks, chisquare, z); null for distances. */
  pValue: number | null;
  /** What is compared with the threshold: the p-value, or the distance. */
  score: number;
  threshold: number;
  drifted: boolean;
  /** How far past the threshold (see severity()); null when not drifted. */
  severity: Severity | null;
  /**
   * False when the column could not be tested — a side has no valid value, or the score could not be computed —
   * then statistic/score are NaN, drifted is false and `note` says why. A NaN score is never a verdict.
   */
  tested: boolean;
  /** Why the column was not tested ("not tested: …"), or what was done to test it (gross outliers clipped). */
  note?: string;
  /**
   * Gross outliers (see robust.ts) clipped to the reference's fence for the Wasserstein distance, the Jensen–Shannon
   * bins and the histogram; absent when no value was beyond the fence.
   */
  clipped?: { reference: number; current: number; lower: number; upper: number };
  /** KS p-value method when the method is 'ks'. */
  ksMethod?: 'exact' | 'asymp';
  psi: number | null;
  psiBand: PsiBand | null;
  psiBins: PsiBin[];
  /** Valid values used by the tests. */
  n: { reference: number; current: number };
  missing: { reference: number; current: number };
  nonFinite: { reference: number; current: number };
  /** Distinct valid values of reference ∪ current (drives the method choice). */
  nUnique: number;
  referenceSummary: ColumnSummary;
  currentSummary: ColumnSummary;
  histogram: DriftHistogram;
}

/**
 * Severity of a drifted score, from how far past its threshold it is:
 *  - p-value tests (drift when p is small): p < thr/100 → 'critical'; p < thr/10 → 'high'; otherwise 'medium';
 *  - distances (drift when d is large), by the ratio d/thr: ≥ 4 → 'critical'; ≥ 2 → 'high'; otherwise 'medium'
 *    (a threshold of 0 makes any positive distance 'critical').
 * Meant for drifted scores: a score on the safe side of its threshold also gets 'medium'.
 */
export function severity(scoreKind: ScoreKind, score: number, threshold: number): Severity {
  if (scoreKind === 'p_value') {
    if (score < threshold / 100) return 'critical';
    if (score < threshold / 10) return 'high';
    return 'medium';
  }
  const ratio = threshold > 0 ? score / threshold : score > 0 ? Infinity : 0;
  if (ratio >= 4) return 'critical';
  if (ratio >= 2) return 'high';
  return 'medium';
}

export interface DatasetDriftResult {
  drifted: boolean;
  /** Drifted columns / tested columns (0 when none was tested). */
  share: number;
  /** Drifted columns. */
  count: number;
  /** Tested columns. */
  total: number;
  /** Columns that could not be tested (a side without valid values); not in `total`. */
  untested: number;
  threshold: number;
}

/** Evidently's dataset drift rule: drifted when the share of drifted columns ≥ shareThreshold (default 0.5). */
export function datasetDrift(columns: readonly Pick<ColumnDriftResult, 'drifted' | 'tested'>[], shareThreshold = 0.5): DatasetDriftResult {
  const tested = columns.filter((c) => c.tested);
  const count = tested.filter((c) => c.drifted).length;
  const total = tested.length;
  const share = total ? count / total : 0;
  return { drifted: total > 0 && share >= shareThreshold, share, count, total, untested: columns.length - total, threshold: shareThreshold };
}

/** Drift of one column between a reference and a current sample. */
export function driftColumn(reference: ColumnValues, current: ColumnValues, columnType: ColumnType, options: DriftColumnOptions = {}): ColumnDriftResult {
  return columnType === 'numeric' ? driftNumeric(asNumeric(reference, 'reference'), asNumeric(current, 'current'), options) : driftCategorical(reference, current, options);
}

/**
 * Drift of a dataset column (from loadCsv with missing: 'keep'). If the two sides were typed differently (e.g. a
 * stray text value made the current column categorical), both are compared as categorical, numbers as their
 * JavaScript string form.
 */
export function driftDatasetColumn(reference: Column, current: Column, options: DriftColumnOptions = {}): ColumnDriftResult {
  if (reference.type === 'numeric' && current.type === 'numeric') return driftColumn(reference.values, current.values, 'numeric', options);
  return driftColumn(categoricalValues(reference), categoricalValues(current), 'categorical', options);
}

function categoricalValues(c: Column): CategoricalValues {
  if (c.type === 'categorical') return { codes: c.codes, levels: c.levels } satisfies Pick<CategoricalColumn, 'codes' | 'levels'>;
  return Array.from(c.values, (v) => (Number.isNaN(v) ? null : String(v)));
}

function asNumeric(v: ColumnValues, side: string): NumericValues {
  if (!('length' in v)) throw new TypeError(`driftColumn: the ${side} values of a numeric column must be numbers, not category codes`);
  for (let i = 0; i < Math.min(v.length, 16); i++) {
    if (typeof v[i] !== 'number') throw new TypeError(`driftColumn: the ${side} values of a numeric column must be numbers`);
  }
  return v as NumericValues;
}

// ---------------------------------------------------------------------------------------------------------------

interface Scored {
  statistic: number;
  pValue: number | null;
  ksMethod?: 'exact' | 'asymp';
}

function finish(
  columnType: ColumnType,
  method: DriftMethod,
  threshold: number,
  scored: Scored | undefined,
  psi: PsiResult | undefined,
  rest: Pick<ColumnDriftResult, 'n' | 'missing' | 'nonFinite' | 'nUnique' | 'referenceSummary' | 'currentSummary' | 'histogram' | 'clipped' | 'note'>,
): ColumnDriftResult {
  const info = DRIFT_METHODS[method];
  /** A column that could not be tested: no score, never drifted, the reason in its note. */
  const untested = (note: string, psiPart: Pick<ColumnDriftResult, 'psi' | 'psiBand' | 'psiBins'>): ColumnDriftResult => ({
    columnType,
    method,
    scoreKind: info.scoreKind,
    statistic: NaN,
    pValue: null,
    score: NaN,
    threshold,
    drifted: false,
    severity: null,
    tested: false,
    ...psiPart,
    ...rest,
    note,
  });
  if (!scored) {
    const side = rest.n.reference === 0 ? (rest.n.current === 0 ? 'reference and current have' : 'reference has') : 'current has';
    return untested(`not tested: ${side} no valid values`, { psi: null, psiBand: null, psiBins: [] });
  }
  let score = info.scoreKind === 'p_value' ? scored.pValue! : scored.statistic;
  if (score === Infinity) score = Number.MAX_VALUE; // a distance past every bound (JSON has no Infinity)
  if (!Number.isFinite(score)) {
    // Not expected after the overflow-safe statistics, but a NaN must never read as "no drift".
    const ok = psi && Number.isFinite(psi.psi);
    return untested(`not tested: the ${method} score could not be computed (${String(score)})`, { psi: ok ? psi.psi : null, psiBand: ok ? psi.band : null, psiBins: psi ? psi.bins : [] });
  }
  const drifted = isDrifted(method, score, threshold);
  const out: ColumnDriftResult = {
    columnType,
    method,
    scoreKind: info.scoreKind,
    statistic: scored.statistic,
    pValue: scored.pValue,
    score,
    threshold,
    drifted,
    severity: drifted ? severity(info.scoreKind, score, threshold) : null,
    tested: true,
    psi: psi ? psi.psi : null,
    psiBand: psi ? psi.band : null,
    psiBins: psi ? psi.bins : [],
    ...rest,
  };
  if (scored.ksMethod) out.ksMethod = scored.ksMethod;
  return out;
}

function driftNumeric(refRaw: NumericValues, curRaw: NumericValues, options: DriftColumnOptions): ColumnDriftResult {
  const rs = splitNumeric(refRaw);
  const cs = splitNumeric(curRaw);
  const r = sortFloat64(rs.finite);
  const c = sortFloat64(cs.finite);
  const nUnique = countDistinctUnion(r, c);
  const { method, threshold } = chooseMethod('numeric', r.length, nUnique, options);
  // Gross outliers are clipped for the magnitude-based statistics only (see robust.ts).
  const fence = outlierFence(r);
  const rc = clipSorted(r, fence);
  const cc = clipSorted(c, fence);
  const rest: Pick<ColumnDriftResult, 'n' | 'missing' | 'nonFinite' | 'nUnique' | 'referenceSummary' | 'currentSummary' | 'histogram' | 'clipped' | 'note'> = {
    n: { reference: r.length, current: c.length },
    missing: { reference: rs.missing, current: cs.missing },
    nonFinite: { reference: rs.nonFinite, current: cs.nonFinite },
    nUnique,
    referenceSummary: numericSummary(r),
    currentSummary: numericSummary(c),
    histogram: numericHistogram(rc.values, cc.values, options.histogramBins ?? 20),
  };
  if (fence && rc.clipped + cc.clipped > 0) {
    rest.clipped = { reference: rc.clipped, current: cc.clipped, lower: fence.lower, upper: fence.upper };
    rest.note = `${rc.clipped} reference and ${cc.clipped} current value(s) beyond ${OUTLIER_FENCE_IQR} IQR of the reference quartiles (outside [${fence.lower.toPrecision(4)}, ${fence.upper.toPrecision(4)}]) were clipped to that range for the distance and the histogram`;
  }
  if (r.length === 0 || c.length === 0) return finish('numeric', method, threshold, undefined, undefined, rest);

  const psi = psiNumericSorted(r, c, options.psi);
  let scored: Scored;
  switch (method) {
    case 'ks': {
      const ks = ks2sampSorted(r, c, { alternative: options.ks?.alternative, mode: options.ks?.mode });
      scored = { statistic: ks.statistic, pValue: ks.pValue, ksMethod: ks.method };
      break;
    }
    case 'wasserstein':
      scored = { statistic: normedWassersteinSorted(rc.values, cc.values).normed, pValue: null };
      break;
    case 'chisquare': {
      const t = chiSquareEvidently(valueCounts(r), valueCounts(c), r.length, c.length);
      scored = { statistic: t.statistic, pValue: t.pValue };
      break;
    }
    case 'z': {
      const t = zTestEvidently(valueCounts(r), valueCounts(c), r.length, c.length);
      scored = { statistic: t.statistic, pValue: t.pValue };
      break;
    }
    case 'jensenshannon': {
      const b = binNumericEvidently(rc.values, cc.values);
      scored = { statistic: jensenShannonDistance(b.reference, b.current), pValue: null };
      break;
    }
    case 'psi':
      scored = { statistic: psi.psi, pValue: null };
      break;
  }
  return finish('numeric', method, threshold, scored, psi, rest);
}

interface CategoricalCounts {
  counts: Counts;
  n: number;
  missing: number;
  nonFinite: number;
}

function toCounts(values: CategoricalValues): CategoricalCounts {
  const counts: Counts = new Map();
  let missing = 0;
  let nonFinite = 0;
  if (!('length' in values)) {
    const { codes, levels } = values;
    const byCode = new Float64Array(levels.length);
    for (let i = 0; i < codes.length; i++) {
      const code = codes[i];
      if (code >= 0 && code < levels.length && Number.isInteger(code)) byCode[code]++;
      else missing++;
    }
    levels.forEach((l, k) => {
      if (byCode[k]) counts.set(l, (counts.get(l) ?? 0) + byCode[k]);
    });
  } else {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) missing++;
      else if (v === Infinity || v === -Infinity) nonFinite++;
      else counts.set(v, (counts.get(v) ?? 0) + 1);
    }
  }
  let n = 0;
  for (const k of counts.values()) n += k;
  return { counts, n, missing, nonFinite };
}

function driftCategorical(refRaw: CategoricalValues, curRaw: CategoricalValues, options: DriftColumnOptions): ColumnDriftResult {
  const rc = toCounts(refRaw);
  const cc = toCounts(curRaw);
  const nUnique = new Set([...rc.counts.keys(), ...cc.counts.keys()]).size;
  const { method, threshold } = chooseMethod('categorical', rc.n, nUnique, options);
  const rest = {
    n: { reference: rc.n, current: cc.n },
    missing: { reference: rc.missing, current: cc.missing },
    nonFinite: { reference: rc.nonFinite, current: cc.nonFinite },
    nUnique,
    referenceSummary: categoricalSummary(rc.counts, rc.n),
    currentSummary: categoricalSummary(cc.counts, cc.n),
    histogram: categoricalHistogram(rc.counts, cc.counts, options.histogramMaxCategories ?? 30),
  };
  if (rc.n === 0 || cc.n === 0) return finish('categorical', method, threshold, undefined, undefined, rest);

  const psi = psiCategorical(rc.counts, cc.counts, rc.n, cc.n, options.psi);
  let scored: Scored;
  switch (method) {
    case 'chisquare': {
      const t = chiSquareEvidently(rc.counts, cc.counts, rc.n, cc.n);
      scored = { statistic: t.statistic, pValue: t.pValue };
      break;
    }
    case 'z': {
      const t = zTestEvidently(rc.counts, cc.counts, rc.n, cc.n);
      scored = { statistic: t.statistic, pValue: t.pValue };
      break;
    }
    case 'jensenshannon': {
      const b = binCountsEvidently(rc.counts, cc.counts, rc.n, cc.n);
      scored = { statistic: jensenShannonDistance(b.reference, b.current), pValue: null };
      break;
    }
    case 'psi':
      scored = { statistic: psi.psi, pValue: null };
      break;
    default:
      throw new RangeError(`Drift method '${method}' needs a numeric column`);
  }
  return finish('categorical', method, threshold, scored, psi, rest);
}

// ---------------------------------------------------------------------------------------------------------------

function numericSummary(sorted: Float64Array): NumericSummary {
  if (sorted.length === 0) return { kind: 'numeric', count: 0, mean: null, std: null, min: null, max: null };
  return { kind: 'numeric', count: sorted.length, mean: mean(sorted), std: populationStd(sorted), min: sorted[0], max: sorted[sorted.length - 1] };
}

function categoricalSummary(counts: Counts, n: number): CategoricalSummary {
  let top: CategoryKey | null = null;
  let topN = 0;
  for (const [k, c] of counts) {
    if (c > topN || (c === topN && top !== null && String(k) < String(top))) {
      top = k;
      topN = c;
    }
  }
  return { kind: 'categorical', count: n, distinct: counts.size, top: top === null ? null : String(top), topShare: n ? topN / n : null };
}

/** Equal-width bins over the combined finite range (numpy's rule: a zero range becomes [v − 0.5, v + 0.5]). */
function numericHistogram(r: Float64Array, c: Float64Array, bins: number): DriftHistogram {
  if (r.length === 0 && c.length === 0) return { kind: 'numeric', edges: [], reference: [], current: [] };
  const min = Math.min(r.length ? r[0] : Infinity, c.length ? c[0] : Infinity);
  const max = Math.max(r.length ? r[r.length - 1] : -Infinity, c.length ? c[c.length - 1] : -Infinity);
  // numpy widens a zero range by ±0.5; for |v| ≥ 2^52 that is absorbed (v − 0.5 = v), so widen relatively there.
  const pad = Math.max(0.5, Math.abs(min) * 2 ** -40);
  const edges = min === max ? equalWidthEdges(Math.max(min - pad, -Number.MAX_VALUE), Math.min(max + pad, Number.MAX_VALUE), bins) : equalWidthEdges(min, max, bins);
  return { kind: 'numeric', edges, reference: histogramSorted(r, edges), current: histogramSorted(c, edges) };
}

/** Categories by reference count, then current count (descending), then name; the tail summed into one bar. */
function categoricalHistogram(ref: Counts, cur: Counts, maxCategories: number): DriftHistogram {
  const keys = [...new Set([...ref.keys(), ...cur.keys()])];
  keys.sort((a, b) => (ref.get(b) ?? 0) - (ref.get(a) ?? 0) || (cur.get(b) ?? 0) - (cur.get(a) ?? 0) || (String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0));
  const shown = keys.length > maxCategories ? keys.slice(0, Math.max(maxCategories - 1, 0)) : keys;
  const rest = keys.slice(shown.length);
  const categories = shown.map(String);
  const reference = shown.map((k) => ref.get(k) ?? 0);
  const current = shown.map((k) => cur.get(k) ?? 0);
  if (rest.length) {
    categories.push(`(${rest.length} others)`);
    reference.push(rest.reduce<number>((s, k) => s + (ref.get(k) ?? 0), 0));
    current.push(rest.reduce<number>((s, k) => s + (cur.get(k) ?? 0), 0));
  }
  return { kind: 'categorical', categories, reference, current, otherCategories: rest.length };
}
