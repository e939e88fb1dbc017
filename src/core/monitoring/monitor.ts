/**
 * A drift check: a reference data set (the training data recorded at registration, or a chosen file) against a
 * current batch, optionally with the model. Per-feature drift with Evidently's default methods and scipy-exact
 * numbers (./stats), PSI for every column, dataset drift by the share of drifted columns, prediction drift (the
 * model's predictions on the batch against its predictions on the reference: KS + PSI), and — when the batch has
 * the target — performance against the model's registered test metrics. Each finding past its threshold becomes
 * an alert with a severity and a concrete recommendation.
 *
 * Unlike the seed's monitor (mean shift in reference standard deviations, which misses a +10 °C sensor shift on a
 * 50-row batch), the tests compare whole distributions.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type ColumnSource, openColumnSource } from '../data/columnSource';
import type { Column, Dataset } from '../data/dataset';
import type { LoadedModel } from '../training/modelBundle';
import { classificationMetrics, mae, r2, rmse } from '../training/metrics';
import { encodeForPrediction } from '../training/prepare';
import { writeJsonAtomic } from '../util/atomicFs';
import { printable } from '../store/names';
import type { Store } from '../store/store';
import { UserInputError } from '../util/errors';
import { AlertStore } from './alerts';
import { type DriftControl, driftColumnsOf, DriftProgressMeter } from './driftRead';
import { ColumnDriftResult, datasetDrift, driftColumn, DriftMethod } from './stats';
import { DRIFT_METHODS } from './stats/select';
import type { AlertCandidate, AlertType, DataQualityFinding, DriftReport, NamedColumnDrift, PerformanceCheck, PerformanceNotComputed, Severity } from './types';

export interface DriftOptions {
  /** Dataset drift when the share of drifted columns ≥ this (default 0.5, Evidently's). */
  driftShare?: number;
  /** Performance alert when a metric degrades by more than this share (default 0.2). */
  performanceThreshold?: number;
  /**
   * Missing-value alert when a feature's share of missing (and non-finite) values in the batch exceeds the
   * reference's share by more than this (default 0.1 = 10 percentage points); a feature missing in every row of the
   * batch is always an alert.
   */
  missingShare?: number;
  /** Per-column overrides. */
  columns?: Record<string, { method?: DriftMethod; threshold?: number }>;
  /** The target column (when no model says which). */
  target?: string;
  model?: { uri: string; name: string; version?: number; loaded: LoadedModel };
  batch?: string;
}

export type { AlertCandidate, DataQualityFinding, DriftReport, NamedColumnDrift, PerformanceCheck, PerformanceNotComputed } from './types';

/** Default of DriftOptions.missingShare. */
export const MISSING_SHARE_DEFAULT = 0.1;
/** Performance metrics need at least this many labelled rows (R², like any metric, is undefined for one row). */
export const PERFORMANCE_MIN_ROWS = 2;

const fmt = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? String(v) : Math.abs(v) >= 1000 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : String(+v.toFixed(4)));

function summaryValue(r: ColumnDriftResult, side: 'referenceSummary' | 'currentSummary'): number | string | null {
  const s = r[side];
  return s.kind === 'numeric' ? s.mean : s.top;
}

function describeScore(r: ColumnDriftResult): string {
  return r.pValue !== null ? `${r.method} p = ${fmt(r.pValue)} (threshold ${r.threshold})` : `${r.method} distance ${fmt(r.score)} (threshold ${r.threshold})`;
}

/** The columns a model check reads (missing values kept). */
interface Loaded {
  info: { rows: number; path: string };
  columns: Column[];
}

/** A dataset's column by name (the caller has checked it exists). */
const col = (ds: { columns: Column[] }, n: string) => ds.columns.find((c) => c.name === n) as Column;

export type { DriftControl, DriftProgress } from './driftRead';

/**
 * A drift check of `currentFile` against `referenceFile` (CSV or Parquet, by extension). The files' column names and
 * the options are checked before any row is read; then the reference, then the batch are read one column at a time
 * (see driftRead.ts), with progress and Cancel through `control`.
 */
export async function checkDrift(referenceFile: string, currentFile: string, opts: DriftOptions = {}, control: DriftControl = {}): Promise<DriftReport> {
  const sources: ColumnSource[] = [];
  try {
    const ref = openColumnSource(referenceFile, { float64Budget: control.float64Budget });
    sources.push(ref);
    const cur = openColumnSource(currentFile, { float64Budget: control.float64Budget });
    sources.push(cur);
    const { target, features } = checkDriftInputs(referenceFile, currentFile, ref.names, cur.names, opts);
    const meter = new DriftProgressMeter(control.onProgress, sources);
    await ref.prepare(features, { signal: control.signal, onProgress: meter.reading(ref, 'reference') });
    await checkOverrideTypes(ref, opts);
    const curTarget = opts.model && target !== undefined && cur.names.includes(target) ? target : undefined;
    await cur.prepare(curTarget ? [...features, curTarget] : features, { signal: control.signal, onProgress: meter.reading(cur, 'current') });
    const { columns, kept } = await driftColumnsOf(ref, cur, features, opts.columns ?? {}, control, meter, opts.model !== undefined);
    const report = driftReport(referenceFile, currentFile, opts, target, columns, { ref: ref.rows, cur: cur.rows }, { ref: await ref.sha256(), cur: await cur.sha256() });
    if (opts.model) {
      const curColumns = curTarget ? [...kept.cur, await cur.column(curTarget, { signal: control.signal })] : kept.cur;
      addModelChecks(report, opts.model.loaded, { info: { rows: ref.rows, path: referenceFile }, columns: kept.ref }, { info: { rows: cur.rows, path: currentFile }, columns: curColumns }, opts.performanceThreshold ?? 0.2);
    }
    meter.done(features.length);
    return report;
  } finally {
    for (const s of sources) s.close();
  }
}

/** The report of the column results: dataset drift, data quality and the alerts (the model's are added after). */
function driftReport(referenceFile: string, currentFile: string, opts: DriftOptions, target: string | undefined, columns: NamedColumnDrift[], rows: { ref: number; cur: number }, sha256: { ref: string; cur: string }): DriftReport {
  const dataset = datasetDrift(columns, opts.driftShare ?? 0.5);
  const missingShare = opts.missingShare ?? MISSING_SHARE_DEFAULT;
  const quality = dataQualityFindings(columns, rows.ref, rows.cur, missingShare);
  const alerts: AlertCandidate[] = [...columns.filter((c) => c.drifted).map(columnDriftAlert), ...quality.alerts];
  if (dataset.drifted) alerts.push(datasetDriftAlert(dataset));
  return {
    format: 1,
    id: `${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${crypto.randomBytes(3).toString('hex')}`,
    time: Date.now(),
    batch: opts.batch ?? path.basename(currentFile),
    reference: { file: referenceFile, rows: rows.ref, sha256: sha256.ref },
    current: { file: currentFile, rows: rows.cur, sha256: sha256.cur },
    model: opts.model ? { uri: opts.model.uri, name: opts.model.name, version: opts.model.version } : undefined,
    target,
    columns,
    dataset,
    alerts,
    dataQuality: { missingShareThreshold: missingShare, findings: quality.findings },
  };
}

/** A method override that needs numbers on a column the reference holds as text (read before the batch is). */
async function checkOverrideTypes(ref: ColumnSource, opts: DriftOptions): Promise<void> {
  for (const [name, o] of Object.entries(opts.columns ?? {})) {
    if (!o.method || !DRIFT_METHODS[o.method].numericOnly) continue;
    const type = ref.knownType(name) ?? (await ref.column(name)).type;
    if (type !== 'numeric') throw new UserInputError(`Column override '${name}': ${o.method} needs a numeric column, and ${name} is categorical (use chisquare, jensenshannon or psi).`);
  }
}

/** The target and the feature columns of a check; throws UserInputError when the two files and the options disagree. */
function checkDriftInputs(referenceFile: string, currentFile: string, refNames: string[], curNames: string[], opts: DriftOptions): { target: string | undefined; features: string[] } {
  const modelTarget = opts.model?.loaded.meta.encoding.target;
  if (opts.target !== undefined) {
    if (modelTarget !== undefined && opts.target !== modelTarget) throw new UserInputError(`--target '${printable(opts.target)}' is not the model's target '${printable(modelTarget)}' (leave --target out with --model).`);
    if (!refNames.includes(opts.target)) throw new UserInputError(`${referenceFile}: no column '${printable(opts.target)}' (--target); the columns are ${refNames.map(printable).join(', ')}.`);
  }
  const target = modelTarget ?? opts.target;
  const features = opts.model ? opts.model.loaded.meta.encoding.inputs.map((i) => i.name) : refNames.filter((n) => n !== target);
  const missingCols = features.filter((f) => !curNames.includes(f));
  if (missingCols.length) throw new UserInputError(`${currentFile}: column${missingCols.length > 1 ? 's' : ''} ${missingCols.join(', ')} of the reference ${missingCols.length > 1 ? 'are' : 'is'} missing from the current batch.`);
  const refMissing = features.filter((f) => !refNames.includes(f));
  if (refMissing.length) throw new UserInputError(`${referenceFile}: the model's feature column${refMissing.length > 1 ? 's' : ''} ${refMissing.join(', ')} ${refMissing.length > 1 ? 'are' : 'is'} missing from the reference.`);
  for (const name of Object.keys(opts.columns ?? {})) {
    if (!features.includes(name)) throw new UserInputError(`${referenceFile}: Column override '${printable(name)}': no such feature column (the features are ${features.map(printable).join(', ')}).`);
  }
  return { target, features };
}

/** The data_drift alert of a drifted column. */
function columnDriftAlert(c: NamedColumnDrift): AlertCandidate {
  const shift = c.referenceSummary.kind === 'numeric' && c.currentSummary.kind === 'numeric' && c.referenceSummary.mean !== null && c.currentSummary.mean !== null ? ` Its mean moved from ${fmt(c.referenceSummary.mean)} to ${fmt(c.currentSummary.mean)}${c.referenceSummary.std ? ` (${fmt((c.currentSummary.mean - c.referenceSummary.mean) / c.referenceSummary.std)} reference standard deviations)` : ''}; its spread from ${fmt(c.referenceSummary.std)} to ${fmt(c.currentSummary.std)}.` : '';
  return {
    type: 'data_drift', severity: c.severity ?? 'medium', subject: c.name, method: c.method, referenceValue: summaryValue(c, 'referenceSummary'), currentValue: summaryValue(c, 'currentSummary'), score: c.score, threshold: c.threshold,
    recommendation: `${c.name} drifted: ${describeScore(c)}, PSI ${fmt(c.psi)} (${c.psiBand}).${shift}${c.clipped ? ` Gross outliers: ${c.note} (the means and spreads above include them).` : ''} Check the source of ${c.name} (sensor calibration, test program, upstream change) first; if the change is real and lasting, retrain on recent data.`,
  };
}

/** Data quality: missing-value shares and columns that could not be tested (never silence, issue 18). */
function dataQualityFindings(columns: NamedColumnDrift[], refRows: number, curRows: number, missingShare: number): { findings: DataQualityFinding[]; alerts: AlertCandidate[] } {
  const findings: DataQualityFinding[] = [];
  const alerts: AlertCandidate[] = [];
  const share = (missing: number, rows: number) => (rows > 0 ? missing / rows : 0);
  for (const c of columns) {
    const refShare = share(c.missing.reference + c.nonFinite.reference, refRows);
    const curShare = share(c.missing.current + c.nonFinite.current, curRows);
    const rise = curShare - refShare;
    if (curRows > 0 && (curShare === 1 || rise > missingShare)) {
      const pct = (v: number) => `${+(v * 100).toFixed(1)} %`;
      const reason = curShare === 1 ? `${c.name} is missing in every row of the batch (reference: ${pct(refShare)} missing)` : `${c.name} is missing in ${pct(curShare)} of the batch's rows against ${pct(refShare)} of the reference's (more than ${pct(missingShare)} higher)`;
      findings.push({ column: c.name, kind: 'missing_share', referenceShare: refShare, currentShare: curShare, reason });
      alerts.push({ type: 'data_quality', severity: curShare === 1 ? 'critical' : rise > 0.5 ? 'high' : 'medium', subject: c.name, method: 'missing-value share', referenceValue: refShare, currentValue: curShare, score: rise, threshold: missingShare, recommendation: `${reason}. Rows with a missing feature cannot be predicted. Check the source of ${c.name} (a disconnected sensor, a renamed field, an export that drops values) before trusting this batch.` });
    } else if (!c.tested) {
      const reason = (c.note ?? 'not tested').replace(/^not tested: /, '');
      findings.push({ column: c.name, kind: 'untested', reason });
      alerts.push({ type: 'data_quality', severity: 'high', subject: c.name, method: 'untested', referenceValue: null, currentValue: null, score: 0, threshold: 0, recommendation: `${c.name} was not tested for drift: ${reason}. A column that cannot be tested is not monitored: fix the ${c.n.reference === 0 ? 'reference data' : 'batch'} or leave the column out.` });
    }
  }
  return { findings, alerts };
}

function datasetDriftAlert(dataset: DriftReport['dataset']): AlertCandidate {
  return { type: 'data_drift', severity: dataset.share >= 0.75 ? 'critical' : 'high', subject: '(dataset)', method: 'share of drifted columns', referenceValue: null, currentValue: dataset.share, score: dataset.share, threshold: dataset.threshold, recommendation: `${dataset.count} of ${dataset.total} columns drifted (share ${fmt(dataset.share)} ≥ ${dataset.threshold}): the batch no longer looks like the training data. Retrain the model on recent data before trusting its predictions.` };
}

/** Rows with a missing feature value cannot be predicted (they are counted in the column results): the other rows. */
function predictableRows(ds: Loaded, m: LoadedModel): Dataset {
  const ok = new Uint8Array(ds.info.rows).fill(1);
  for (const f of m.meta.encoding.inputs) {
    const c = col(ds, f.name);
    for (let i = 0; i < ds.info.rows; i++) if (c.type === 'numeric' ? !Number.isFinite(c.values[i]) : c.codes[i] < 0) ok[i] = 0;
  }
  const rows = Uint32Array.from({ length: ds.info.rows }, (_, i) => i).filter((i) => ok[i]);
  return { info: { ...ds.info, rows: rows.length }, columns: ds.columns.map((c) => (c.type === 'numeric' ? { ...c, values: Float64Array.from(rows, (i) => c.values[i]) } : { ...c, codes: Int32Array.from(rows, (i) => c.codes[i]) })) } as Dataset;
}

/** With a model: prediction drift (the model on the reference vs on the batch) and, when the batch has the target, performance. */
function addModelChecks(report: DriftReport, m: LoadedModel, ref: Loaded, cur: Loaded, threshold: number): void {
  const curOk = predictableRows(cur, m);
  const pRef = m.model.predict(encodeForPrediction(predictableRows(ref, m), m.meta.encoding));
  const pCur = m.model.predict(encodeForPrediction(curOk, m.meta.encoding));
  const classes = m.meta.encoding.classes;
  const pd = m.meta.task === 'regression' ? driftColumn(pRef, pCur, 'numeric', { method: 'ks' }) : driftColumn(Array.from(pRef, (k) => classes![k]), Array.from(pCur, (k) => classes![k]), 'categorical');
  report.prediction = pd;
  if (!pd.tested) {
    const reason = (pd.note ?? 'not tested').replace(/^not tested: /, '');
    report.dataQuality!.findings.push({ column: 'prediction', kind: 'untested', reason: `${reason} (rows with a missing feature value cannot be predicted)` });
    report.alerts.push({ type: 'data_quality', severity: 'high', subject: 'prediction', method: 'untested', referenceValue: null, currentValue: null, score: 0, threshold: 0, recommendation: `Prediction drift was not tested: ${reason}; rows with a missing feature value cannot be predicted. See the missing-value findings of the features.` });
  }
  if (pd.drifted) {
    report.alerts.push({ type: 'prediction_drift', severity: pd.severity ?? 'medium', subject: 'prediction', method: pd.method, referenceValue: summaryValue(pd, 'referenceSummary'), currentValue: summaryValue(pd, 'currentSummary'), score: pd.score, threshold: pd.threshold, recommendation: `The model's predictions on this batch are distributed differently from its predictions on the reference (${describeScore(pd)}, PSI ${fmt(pd.psi)}): possible concept drift or a shifted input. Get labels for recent wafers to measure the real error, and retrain if it grew.` });
  }
  const t = report.target ? curOk.columns.find((c) => c.name === report.target) : undefined;
  if (!t) return;
  report.performance = performanceOf(m, t, pCur, threshold);
  for (const c of report.performance.checks.filter((x) => x.degraded)) report.alerts.push(performanceAlert(c, threshold, report.target!));
}

/** The labelled rows' true values and predictions, for the metrics of the model's task. */
function labelledPairs(m: LoadedModel, t: Column, pCur: Float64Array): { y: Float64Array; p: Float64Array; rows: number } | undefined {
  if (m.meta.task === 'regression' && t.type === 'numeric') {
    const y = t.values;
    const valid = Uint32Array.from({ length: y.length }, (_, i) => i).filter((i) => Number.isFinite(y[i]) && Number.isFinite(pCur[i]));
    return { y: Float64Array.from(valid, (i) => y[i]), p: Float64Array.from(valid, (i) => pCur[i]), rows: valid.length };
  }
  const classes = m.meta.encoding.classes;
  if (m.meta.task !== 'classification' || !classes) return undefined;
  const labels = t.type === 'categorical' ? Array.from(t.codes, (k) => (k >= 0 ? t.levels[k] : null)) : Array.from(t.values, (v) => (Number.isNaN(v) ? null : String(v)));
  // Rows without a label are left out (they used to count as the first class).
  const valid = labels.map((l, i) => (l === null ? -1 : i)).filter((i) => i >= 0);
  return { y: Float64Array.from(valid, (i) => classes.indexOf(labels[i]!)), p: Float64Array.from(valid, (i) => pCur[i]), rows: valid.length };
}

/** Performance on the batch's labelled rows against the model's registered test metrics. */
function performanceOf(m: LoadedModel, t: Column, pCur: Float64Array, threshold: number): NonNullable<DriftReport['performance']> {
  const recorded = m.meta.metrics ?? {};
  const checks: PerformanceCheck[] = [];
  const notComputed: PerformanceNotComputed[] = [];
  const pairs = labelledPairs(m, t, pCur);
  const labelled = pairs?.rows ?? 0;
  /** One metric against its registered value; undefined on too few rows, with `why`, or when not finite. */
  const add = (metric: string, reference: number | undefined, lowerIsBetter: boolean, compute: () => number, why?: string) => {
    if (reference === undefined || !Number.isFinite(reference)) return;
    if (labelled < PERFORMANCE_MIN_ROWS) why = `not enough rows: ${labelled} labelled row${labelled === 1 ? '' : 's'}, at least ${PERFORMANCE_MIN_ROWS} needed`;
    const current = why === undefined ? compute() : NaN;
    if (why === undefined && !Number.isFinite(current)) why = 'could not be computed (the result is not a finite number)';
    if (why !== undefined) {
      notComputed.push({ metric, reference, reason: why });
      return;
    }
    const degradation = lowerIsBetter ? (current - reference) / Math.abs(reference || 1e-12) : (reference - current) / Math.abs(reference || 1e-12);
    checks.push({ metric, reference, current, degradation, degraded: degradation > threshold });
  };
  if (pairs && m.meta.task === 'regression') {
    const { y, p } = pairs;
    const constant = y.every((v) => v === y[0]);
    add('rmse', recorded.rmse_test, true, () => rmse(y, p));
    add('mae', recorded.mae_test, true, () => mae(y, p));
    add('r2', recorded.r2_test, false, () => r2(y, p), constant ? 'constant target: R² is undefined' : undefined);
  } else if (pairs) {
    const cm = labelled ? classificationMetrics(pairs.y.map((v) => (v < 0 ? 0 : v)), pairs.p, m.meta.encoding.classes!.length) : { accuracy: NaN, f1: NaN };
    add('accuracy', recorded.accuracy_test, false, () => cm.accuracy);
    add('f1', recorded.f1_test, false, () => cm.f1);
  }
  return { checks, notComputed, threshold, rows: labelled };
}

function performanceAlert(c: PerformanceCheck, threshold: number, target: string): AlertCandidate {
  // The seed's severity bands for performance: > 50 % critical, > 30 % high, else medium.
  const sev: Severity = c.degradation > 0.5 ? 'critical' : c.degradation > 0.3 ? 'high' : 'medium';
  return { type: 'performance' as AlertType, severity: sev, subject: c.metric, method: 'degradation vs registered test metric', referenceValue: c.reference, currentValue: c.current, score: c.degradation, threshold, recommendation: `${c.metric} is ${(c.degradation * 100).toFixed(1)} % worse than at registration (${fmt(c.reference)} → ${fmt(c.current)}). The relationship between the inputs and ${target} has changed (concept drift, e.g. a new chip design): retrain the model with labelled recent data and compare it with Production before promoting.` };
}

export function reportsDir(storeRoot: string): string {
  return path.join(storeRoot, 'monitoring', 'reports');
}

export function saveReport(storeRoot: string, r: DriftReport): string {
  const f = path.join(reportsDir(storeRoot), `${r.id}.json`);
  fs.mkdirSync(path.dirname(f), { recursive: true });
  writeJsonAtomic(f, r);
  return f;
}

/**
 * Record a finished check in the store: the report (monitoring/reports/<id>.json), then each of its alerts in the
 * alert log, attributed to the model (or '(no model)'). The CLI and the extension both record checks this way.
 */
export function recordDriftReport(store: Store, report: DriftReport, modelName: string | undefined): void {
  saveReport(store.root, report);
  const alerts = new AlertStore(store);
  for (const a of report.alerts) alerts.raise({ ...a, model: modelName ?? '(no model)', batch: report.batch, reportId: report.id });
}

/** Every saved report, oldest first. An unreadable report file is left in place and passed to `onProblem`. */
export function listReports(storeRoot: string, onProblem?: (file: string, message: string) => void): DriftReport[] {
  const dir = reportsDir(storeRoot);
  let files: string[] = [];
  try {
    files = fs.readdirSync(dir).filter((f) => f.endsWith('.json') && !f.startsWith('.'));
  } catch {
    return [];
  }
  const out: DriftReport[] = [];
  for (const f of files) {
    try {
      out.push(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as DriftReport);
    } catch (e) {
      onProblem?.(path.join(dir, f), `unreadable drift report (${(e as Error).message}); left in place`);
    }
  }
  return out.sort((a, b) => a.time - b.time);
}

/** True when the report has at least one alert (a drifted feature, dataset drift, prediction drift or performance). */
export function hasAlerts(r: DriftReport): boolean {
  return r.alerts.length > 0;
}
