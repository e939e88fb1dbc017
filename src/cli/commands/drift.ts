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
import { checkDrift, MISSING_SHARE_DEFAULT, recordDriftReport } from '../../core/monitoring/monitor';
import type { DriftMethod } from '../../core/monitoring/stats';
import { Store } from '../../core/store/store';
import { printable } from '../../core/store/names';
import { UserInputError } from '../../core/util/errors';
import { warn, warnProblem } from '../warnings';
import { GlobalOptions, openTracker, out, resolveStorePath } from '../context';
import { fmtNumber, fmtTime, table } from '../format';

export const EXIT_ALERT = 3;

export function registerDriftCommands(program: Command): void {
  program
    .command('drift')
    .description('compare a current batch with a reference: per-feature drift, prediction drift, performance')
    .requiredOption('--reference <csv>', 'reference data (e.g. the training data)')
    .requiredOption('--current <csv>', 'the current batch')
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
      let storeRoot: string | undefined;
      try {
        storeRoot = resolveStorePath(g, false);
      } catch {
        storeRoot = undefined;
      }
      let model;
      if (o.model) {
        if (!storeRoot) throw new UserInputError('A model URI needs a store with a registry (--store PATH).');
        const registry = new Registry(Store.open(storeRoot), { onProblem: warnProblem });
        const { version, loaded } = loadModelByUri(registry, o.model);
        model = { uri: o.model as string, name: version.model, version: version.version, loaded };
      }
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
      const driftShare = num(o.driftShare, '--drift-share', (n) => n > 0 && n <= 1, 'in (0, 1]');
      const performanceThreshold = num(o.performanceThreshold, '--performance-threshold', (n) => n > 0, '> 0 (0.2 = 20 % worse)');
      const missingShare = num(o.missingShare, '--missing-share', (n) => n > 0 && n <= 1, 'in (0, 1]');
      const columns: Record<string, { method?: DriftMethod; threshold?: number }> = {};
      for (const c of (o.column as string[] | undefined) ?? []) {
        const eq = c.indexOf('=');
        if (eq <= 0) throw new UserInputError(`--column '${c}': expected NAME=METHOD[:THRESHOLD], e.g. Temperature=psi:0.2.`);
        try {
          columns[c.slice(0, eq)] = parseColumnOverride(c.slice(eq + 1));
        } catch (e) {
          throw new UserInputError(`--column ${c}: ${(e as Error).message}`);
        }
      }
      const report = await checkDrift(path.resolve(o.reference), path.resolve(o.current), { model, columns, target: o.target, driftShare, performanceThreshold, missingShare });
      if (o.save !== false && storeRoot) {
        const t = openTracker(g);
        recordDriftReport(t.store, report, model?.name);
      }
      if (o.json) out.json(report);
      else {
        out.line(`Drift of ${report.batch} (${report.current.rows} rows) against ${path.basename(report.reference.file)} (${report.reference.rows} rows)${model ? ` with ${model.name} v${model.version}` : ''}`);
        out.line(table(['column', 'method', 'statistic', 'p-value', 'threshold', 'PSI', 'drifted', 'missing'], report.columns.map((c) => [c.name, c.method, c.tested ? fmtNumber(c.statistic) : '', c.pValue === null ? '' : fmtNumber(c.pValue), String(c.threshold), `${fmtNumber(c.psi ?? undefined)} ${c.psiBand ?? ''}`, !c.tested ? 'not tested' : c.drifted ? `yes (${c.severity})` : 'no', `${c.missing.current}`])));
        out.line(`Dataset drift: ${report.dataset.drifted ? 'YES' : 'no'} (${report.dataset.count}/${report.dataset.total} columns, share ${fmtNumber(report.dataset.share)}, threshold ${report.dataset.threshold}${report.dataset.untested ? `; ${report.dataset.untested} not tested` : ''})`);
        const untested = report.columns.filter((c) => !c.tested);
        if (untested.length) out.line(`Not tested: ${untested.map((c) => `${c.name} (${(c.note ?? '').replace(/^not tested: /, '')})`).join('; ')}`);
        for (const c of report.columns) if (c.clipped) out.line(`Outliers in ${c.name}: ${c.note}.`);
        if (report.prediction && !report.prediction.tested) out.line(`Prediction drift: not tested (${(report.prediction.note ?? '').replace(/^not tested: /, '')})`);
        else if (report.prediction) out.line(`Prediction drift: ${report.prediction.drifted ? 'YES' : 'no'} (${report.prediction.method} p = ${fmtNumber(report.prediction.pValue ?? undefined)}, PSI ${fmtNumber(report.prediction.psi ?? undefined)})`);
        if (report.performance) {
          const parts = [
            ...report.performance.checks.map((c) => `${c.metric} ${fmtNumber(c.reference)} → ${fmtNumber(c.current)} (${(c.degradation * 100).toFixed(1)} %${c.degraded ? ', DEGRADED' : ''})`),
            ...(report.performance.notComputed ?? []).map((c) => `${c.metric} not computed (${c.reason})`),
          ];
          if (parts.length) out.line(`Performance (${report.performance.rows} labelled rows): ${parts.join('; ')}`);
        }
        out.line(report.alerts.length ? `\n${report.alerts.length} alert(s):\n${report.alerts.map((a) => `  [${a.severity}] ${a.type} ${a.subject}: ${a.recommendation}`).join('\n')}` : '\nNo alerts.');
      }
      process.exitCode = report.alerts.length ? EXIT_ALERT : 0;
    });

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
