/**
 * `mlops drift` (exit 0 = no alert, 3 = at least one alert — drift, performance, or a data-quality finding such as
 * an untested column or a missing-value share — 2 = bad input) and `mlops alerts ...`.
 */
import * as path from 'node:path';
import { Command } from 'commander';
import { currentIdentity } from '../../core/registry/identity';
import { Registry } from '../../core/registry/registry';
import { loadModelByUri } from '../../core/registry/uri';
import { AlertStatus, AlertStore } from '../../core/monitoring/alerts';
import { parseColumnOverride } from '../../core/monitoring/columnOverride';
import { checkDrift, type DriftOptions, type DriftProgress, type DriftReport, MISSING_SHARE_DEFAULT, recordDriftReport } from '../../core/monitoring/monitor';
import type { DriftMethod } from '../../core/monitoring/stats';
import { Store } from '../../core/store/store';
import { printable } from '../../core/store/names';
import { UserInputError } from '../../core/util/errors';
import { warn, warnProblem } from '../warnings';
import { GlobalOptions, openTracker, out, resolveStore, withMlflowSource, type StoreChoice } from '../context';
import { refuseMlflowModel } from '../mlflowReads';
import { fmtNumber, fmtTime, table } from '../format';
import { type Colors, colorsFor, outputMode, paintStatus, Progress } from '../terminal';

export const EXIT_ALERT = 3;

export function registerDriftCommands(program: Command): void {
  registerDriftCommand(program);
  registerAlertCommands(program);
}

function registerDriftCommand(program: Command): void {
  program
    .command('drift')
    .description('compare a current batch with a reference: per-feature drift, prediction drift, performance')
    .requiredOption('--reference <file>', 'reference data, CSV or .parquet (e.g. the training data)')
    .requiredOption('--current <file>', 'the current batch, CSV or .parquet')
    .option('--model <uri>', 'model URI (models:/NAME/Production, ...) for prediction drift and performance')
    .option('--target <column>', 'target column (when no model is given)')
    .option('--drift-share <f>', 'dataset drift when this share of columns drifted, in (0, 1] (default 0.5)')
    .option('--performance-threshold <f>', 'performance alert above this relative degradation, > 0 (default 0.2 = 20 % worse)')
    .option('--missing-share <f>', `missing-value alert when a feature's missing share in the batch exceeds the reference's by more than this, in (0, 1] (default ${MISSING_SHARE_DEFAULT}; 100 % missing is always an alert)`)
    .option('--column <name=method[:threshold]>', 'override a column\'s method and/or threshold, e.g. Temperature=psi:0.2 or Dies_tested=:0.01 (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--no-save', 'do not record the report and alerts in the store')
    .option('--json', 'print the report as JSON')
    .action(async (o, cmd) => {
      const g = cmd.optsWithGlobals() as GlobalOptions;
      let store: StoreChoice | undefined;
      try {
        store = resolveStore(g, false);
      } catch {
        store = undefined;
      }
      // An MLflow source (with --no-save: else main.ts refused it as read-only): its models cannot be loaded here.
      if (store?.kind === 'mlflow' && o.model) await withMlflowSource(store, (s) => refuseMlflowModel(s, o.model as string, 'drift'));
      const storeRoot = store?.kind === 'workspace' ? store.root : undefined;
      const model = o.model ? loadDriftModel(storeRoot, o.model as string) : undefined;
      const thresholds = parseThresholds(o);
      const columns = parseColumnFlags(o.column as string[] | undefined);
      // The store the report goes to is checked before the data are read (a missing store used to show after the check).
      const tracker = o.save !== false && storeRoot ? openTracker(g) : undefined;
      const report = await checkWithProgress(path.resolve(o.reference), path.resolve(o.current), { model, columns, target: o.target, ...thresholds }, new Progress(outputMode(cmd, o.json)));
      if (tracker) recordDriftReport(tracker.store, report, model?.name);
      if (o.json) out.json(report);
      else printReport(report, model, colorsFor(process.stdout, outputMode(cmd)));
      process.exitCode = report.alerts.length ? EXIT_ALERT : 0;
    });
}

/** checkDrift with a bar on a terminal: rows read of each file, then features tested. */
async function checkWithProgress(reference: string, current: string, options: DriftOptions, progress: Progress): Promise<DriftReport> {
  const onProgress = (p: DriftProgress) => {
    if (p.phase === 'features') progress.update({ label: 'Testing features', done: p.done, total: p.total, unit: 'features' });
    else progress.update({ label: `Reading ${path.basename(p.phase === 'reference' ? reference : current)}`, done: p.rows, unit: 'rows' });
  };
  try {
    return await checkDrift(reference, current, options, { onProgress: progress.live ? onProgress : undefined });
  } finally {
    progress.stop();
  }
}

/** The model of `--model URI`, from the store's registry. */
function loadDriftModel(storeRoot: string | undefined, uri: string): NonNullable<DriftOptions['model']> {
  if (!storeRoot) throw new UserInputError('A model URI needs a store with a registry (--store PATH).');
  const registry = new Registry(Store.open(storeRoot), { onProblem: warnProblem });
  const { version, loaded } = loadModelByUri(registry, uri);
  return { uri, name: version.model, version: version.version, loaded };
}

/** `--drift-share`, `--performance-threshold` and `--missing-share`, checked. */
function parseThresholds(o: { driftShare?: unknown; performanceThreshold?: unknown; missingShare?: unknown }): Pick<DriftOptions, 'driftShare' | 'performanceThreshold' | 'missingShare'> {
  // The same ranges and wording as monitoring.monitors[] in mlops.yaml (src/core/config/config.ts); only
  // decimal or scientific notation is a number (not '0x1', '', 'Infinity').
  const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
  const num = (v: unknown, flag: string, ok: (n: number) => boolean, range: string) => {
    if (v === undefined) return undefined;
    const text = String(v).trim();
    const n = DECIMAL.test(text) ? Number(text) : NaN;
    if (!(Number.isFinite(n) && ok(n))) throw new UserInputError(`${flag} must be a number ${range}, got '${printable(String(v))}'.`);
    return n;
  };
  return {
    driftShare: num(o.driftShare, '--drift-share', (n) => n > 0 && n <= 1, 'in (0, 1]'),
    performanceThreshold: num(o.performanceThreshold, '--performance-threshold', (n) => n > 0, '> 0 (0.2 = 20 % worse)'),
    missingShare: num(o.missingShare, '--missing-share', (n) => n > 0 && n <= 1, 'in (0, 1]'),
  };
}

/** `--column NAME=METHOD[:THRESHOLD]` flags as per-column overrides. */
function parseColumnFlags(flags: string[] | undefined): Record<string, { method?: DriftMethod; threshold?: number }> {
  const columns: Record<string, { method?: DriftMethod; threshold?: number }> = {};
  for (const c of flags ?? []) {
    const eq = c.indexOf('=');
    if (eq <= 0) throw new UserInputError(`--column '${c}': expected NAME=METHOD[:THRESHOLD], e.g. Temperature=psi:0.2.`);
    try {
      columns[c.slice(0, eq)] = parseColumnOverride(c.slice(eq + 1));
    } catch (e) {
      throw new UserInputError(`--column ${c}: ${(e as Error).message}`);
    }
  }
  return columns;
}

/** The report as text: the column table, dataset and prediction drift, performance and the alerts (in colour on a terminal). */
function printReport(report: DriftReport, model: DriftOptions['model'], c: Colors): void {
  const drifted = (yes: boolean) => (yes ? c.red('YES') : c.green('no'));
  out.line(`Drift of ${report.batch} (${report.current.rows} rows) against ${path.basename(report.reference.file)} (${report.reference.rows} rows)${model ? ` with ${model.name} v${model.version}` : ''}`);
  const paintDrifted = (cell: string, _row: number, col: number) => (col === 6 ? paintStatus(c, cell) : cell);
  out.line(table(['column', 'method', 'statistic', 'p-value', 'threshold', 'PSI', 'drifted', 'missing'], report.columns.map((col) => [col.name, col.method, col.tested ? fmtNumber(col.statistic) : '', col.pValue === null ? '' : fmtNumber(col.pValue), String(col.threshold), `${fmtNumber(col.psi ?? undefined)} ${col.psiBand ?? ''}`, !col.tested ? 'not tested' : col.drifted ? `yes (${col.severity})` : 'no', `${col.missing.current}`]), paintDrifted));
  out.line(`Dataset drift: ${drifted(report.dataset.drifted)} (${report.dataset.count}/${report.dataset.total} columns, share ${fmtNumber(report.dataset.share)}, threshold ${report.dataset.threshold}${report.dataset.untested ? `; ${report.dataset.untested} not tested` : ''})`);
  const untested = report.columns.filter((col) => !col.tested);
  if (untested.length) out.line(`Not tested: ${untested.map((col) => `${col.name} (${(col.note ?? '').replace(/^not tested: /, '')})`).join('; ')}`);
  for (const col of report.columns) if (col.clipped) out.line(`Outliers in ${col.name}: ${col.note}.`);
  if (report.prediction && !report.prediction.tested) out.line(`Prediction drift: not tested (${(report.prediction.note ?? '').replace(/^not tested: /, '')})`);
  else if (report.prediction) out.line(`Prediction drift: ${drifted(report.prediction.drifted)} (${report.prediction.method} p = ${fmtNumber(report.prediction.pValue ?? undefined)}, PSI ${fmtNumber(report.prediction.psi ?? undefined)})`);
  if (report.performance) {
    const parts = [
      ...report.performance.checks.map((ch) => `${ch.metric} ${fmtNumber(ch.reference)} → ${fmtNumber(ch.current)} (${(ch.degradation * 100).toFixed(1)} %${ch.degraded ? `, ${c.red('DEGRADED')}` : ''})`),
      ...(report.performance.notComputed ?? []).map((ch) => `${ch.metric} not computed (${ch.reason})`),
    ];
    if (parts.length) out.line(`Performance (${report.performance.rows} labelled rows): ${parts.join('; ')}`);
  }
  const alert = (a: DriftReport['alerts'][number]) => `  ${paintStatus(c, a.severity, `[${a.severity}]`)} ${a.type} ${a.subject}: ${a.recommendation}`;
  out.line(report.alerts.length ? `\n${c.red(`${report.alerts.length} alert(s)`)}:\n${report.alerts.map(alert).join('\n')}` : `\n${c.green('No alerts.')}`);
}

/** `mlops alerts list|ack|dismiss|reopen` */
function registerAlertCommands(program: Command): void {
  const alerts = program.command('alerts').description('drift and performance alerts recorded in the store');
  alerts
    .command('list')
    .option('--all', 'include acknowledged and dismissed alerts')
    .option('--json', 'print JSON')
    .action((o, cmd) => {
      const t = openTracker(cmd.optsWithGlobals() as GlobalOptions);
      const read = new AlertStore(t.store).list();
      for (const p of read.problems) warn(p); // damaged lines of alerts.jsonl, with file and line
      const list = read.alerts.filter((a) => o.all || a.status === 'open');
      if (o.json) out.json(list);
      else out.line(list.length ? table(['id', 'time', 'severity', 'type', 'model', 'subject', 'status'], list.map((a) => [a.id, fmtTime(a.time), a.severity, a.type, a.model, a.subject, a.status])) : 'No alerts.');
    });
  for (const [name, status] of [['ack', 'acknowledged'], ['dismiss', 'dismissed'], ['reopen', 'open']] as const) {
    alerts
      .command(`${name} <id>`)
      .action((id: string, _o, cmd) => {
        const t = openTracker(cmd.optsWithGlobals() as GlobalOptions);
        const a = new AlertStore(t.store).setStatus(id, status as AlertStatus, currentIdentity(path.dirname(t.store.root)).display);
        out.line(`Alert ${a.id} is ${a.status}.`);
      });
  }
}
