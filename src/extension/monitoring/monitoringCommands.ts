/**
 * Check Drift, Open Drift Report (the webview; status-bar item and alerts open it too), Open Drift Report as
 * Markdown, Acknowledge / Dismiss / Reopen Alert. The panels (and their restore) are the DriftReportPanelManager's.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { showQuickPick } from '../util/questions';
import type { DriftReport } from '../../core/monitoring/monitor';
import type { Log } from '../log';
import type { WorkspaceStores } from '../workspaceStores';
import type { DriftOpenOptions, DriftReportPanel, DriftReportPanelManager } from './driftReportPanel';
import type { AlertNode } from './alertsTree';
import type { MonitoringManager } from './monitoringManager';
import { commandRegistrar } from '../commandRegistrar';
import { BuiltinCommand, CommandId } from '../keys';

/** What registerMonitoringCommands gives the extension's API (used by the integration tests). */
export interface DriftApi {
  panels(): DriftReportPanel[];
  /** The open panel showing this report. */
  panelFor(reportId: string, folder?: string): DriftReportPanel | undefined;
  /** Open (or reveal) the report with this id in `folder`'s store. */
  open(folder: string, reportId: string, options?: DriftOpenOptions): DriftReportPanel | undefined;
  serializer: vscode.WebviewPanelSerializer;
}

export const DRIFT_SCHEME = 'mlops-drift-report';

const esc = (s: string) => s.replace(/[\\`*_[\]<>|#]/g, (x) => '\\' + x);
const f = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? String(v ?? '') : Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(2) : String(+v.toFixed(4)));

export function driftMarkdown(r: DriftReport, history: DriftReport[]): string {
  const lines = [
    `# Drift report — ${esc(r.batch)}`,
    '',
    `${r.current.rows} rows against ${esc(path.basename(r.reference.file))} (${r.reference.rows} rows)${r.model ? ` · model ${esc(r.model.name)} v${r.model.version}` : ''} · ${new Date(r.time).toISOString()}`,
    '',
    `**Dataset drift: ${r.dataset.drifted ? 'YES' : 'no'}** — ${r.dataset.count} of ${r.dataset.total} columns drifted (share ${f(r.dataset.share)}, threshold ${r.dataset.threshold})`,
    '',
    '| feature | method | statistic | p-value | threshold | PSI | drifted | reference mean | current mean | missing |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...r.columns.map((c) => {
      const rm = c.referenceSummary.kind === 'numeric' ? f(c.referenceSummary.mean) : esc(String(c.referenceSummary.top));
      const cm = c.currentSummary.kind === 'numeric' ? f(c.currentSummary.mean) : esc(String(c.currentSummary.top));
      return `| ${esc(c.name)} | ${c.method} | ${f(c.statistic)} | ${c.pValue === null ? '' : f(c.pValue)} | ${c.threshold} | ${f(c.psi)} ${c.psiBand ?? ''} | ${c.drifted ? `**yes** (${c.severity})` : 'no'} | ${rm} | ${cm} | ${c.missing.current} |`;
    }),
    '',
  ];
  if (r.prediction) lines.push(`**Prediction drift: ${r.prediction.drifted ? 'YES' : 'no'}** — ${r.prediction.method} statistic ${f(r.prediction.statistic)}, p ${f(r.prediction.pValue)}, PSI ${f(r.prediction.psi)}`, '');
  if (r.performance) {
    lines.push('## Performance', '', '| metric | at registration | this batch | change | alert |', '|---|---|---|---|---|');
    for (const c of r.performance.checks) lines.push(`| ${c.metric} | ${f(c.reference)} | ${f(c.current)} | ${(c.degradation * 100).toFixed(1)} % worse | ${c.degraded ? '**yes**' : 'no'} |`);
    lines.push('');
  }
  if (r.alerts.length) {
    lines.push('## Alerts', '');
    for (const a of r.alerts) lines.push(`- **${a.severity}** ${a.type.replace('_', ' ')} — ${esc(a.subject)}: ${esc(a.recommendation)}`);
    lines.push('');
  }
  if (history.length > 1) {
    const names = r.columns.map((c) => c.name);
    lines.push('## Timeline (score per batch)', '', `| batch | time | ${names.map(esc).join(' | ')} |`, `|---|---|${names.map(() => '---').join('|')}|`);
    for (const h of history) lines.push(`| ${esc(h.batch)} | ${new Date(h.time).toISOString()} | ${names.map((n) => { const c = h.columns.find((x) => x.name === n); return c ? `${f(c.score)}${c.drifted ? ' ⚠' : ''}` : ''; }).join(' | ')} |`);
  }
  return lines.join('\n') + '\n';
}

export function registerMonitoringCommands(context: vscode.ExtensionContext, stores: WorkspaceStores, monitoring: MonitoringManager, log: Log, panels: DriftReportPanelManager): DriftApi {
  const reg = commandRegistrar(context, log);
  const docs = new (class implements vscode.TextDocumentContentProvider {
    provideTextDocumentContent(uri: vscode.Uri): string {
      const q = new URLSearchParams(uri.query);
      const folder = q.get('folder') ?? undefined;
      const r = monitoring.locateReport(folder, q.get('report') ?? undefined)?.report;
      return r ? driftMarkdown(r, monitoring.reportsOf(folder)) : '# No drift report yet\n\nRun **MLOps: Check Drift** to compare a batch with the reference.\n';
    }
  })();
  context.subscriptions.push(vscode.workspace.registerTextDocumentContentProvider(DRIFT_SCHEME, docs));

  reg(CommandId.checkDrift, async (args?: { folder?: string; current?: string; reference?: string; model?: string; modelUri?: string; retrain?: boolean }) => {
    const store = await stores.resolve(args?.folder, 'Check drift in which workspace folder?');
    if (!store) return undefined;
    let current = args?.current ? path.resolve(store.folder.uri.fsPath, args.current) : undefined;
    if (!current) {
      const picked = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'Data (CSV, Parquet)': ['csv', 'parquet'] }, defaultUri: store.folder.uri, openLabel: 'Check Drift', title: 'Current batch' });
      current = picked?.[0]?.fsPath;
      if (!current) return undefined;
    }
    let model = args?.model;
    const modelUri = args?.modelUri;
    if (!model && !modelUri) {
      const models = store.registry()?.listModels().filter((m) => m.versions.some((v) => v.stage === 'Production')) ?? [];
      if (models.length === 1) model = models[0].name;
      else if (models.length > 1) model = (await showQuickPick(models.map((m) => m.name), { title: 'Check drift against which model (its Production version)?' })) ?? undefined;
    }
    const report = await monitoring.check(store, { current, reference: args?.reference ? path.resolve(store.folder.uri.fsPath, args.reference) : undefined, model, modelUri, retrain: args?.retrain, interactive: true });
    if (!args) {
      const msg = report.alerts.length ? `${report.alerts.length} drift alert(s) for ${report.batch}: ${report.columns.filter((c) => c.drifted).map((c) => c.name).join(', ') || 'performance/predictions'}` : `No drift in ${report.batch}.`;
      void vscode.window.showInformationMessage(msg, 'Open Report').then((c) => c && vscode.commands.executeCommand(CommandId.openDriftReport, { reportId: report.id, folder: store.folder.uri.fsPath }));
    }
    return report;
  });

  const open = (folder: string, reportId: string, options: DriftOpenOptions = {}): DriftReportPanel | undefined => {
    const found = monitoring.locateReport(folder, reportId);
    if (!found) return undefined;
    return panels.open(found.folder, found.report, { requestedAt: Date.now(), ...options });
  };

  // The report in the webview: a given report (alerts, notifications), else the newest one (the status-bar item).
  reg(CommandId.openDriftReport, async (args?: { reportId?: string; folder?: string; feature?: string }) => {
    const found = monitoring.locateReport(args?.folder, args?.reportId);
    if (!found) {
      const what = args?.reportId ? `The drift report ${args.reportId} is not in the store (deleted?).` : 'No drift report yet: Check Drift compares a batch with the reference.';
      void vscode.window.showInformationMessage(what, 'Check Drift').then((c) => c && vscode.commands.executeCommand(CommandId.checkDrift));
      return undefined;
    }
    log.info(`Open drift report ${found.report.id} (${found.report.batch})`);
    return panels.open(found.folder, found.report, { requestedAt: Date.now(), feature: typeof args?.feature === 'string' ? args.feature : undefined });
  });

  reg(CommandId.openDriftReportMarkdown, async (args?: { reportId?: string; folder?: string }) => {
    const q = new URLSearchParams({ ...(args?.folder ? { folder: args.folder } : {}), ...(args?.reportId ? { report: args.reportId } : {}) });
    const uri = vscode.Uri.from({ scheme: DRIFT_SCHEME, path: `/drift report ${args?.reportId ?? 'latest'}.md`, query: q.toString() });
    await vscode.commands.executeCommand(BuiltinCommand.markdownPreview, uri);
    return uri;
  });

  reg(CommandId.acknowledgeAlert, (n?: AlertNode) => monitoring.setStatus(n, 'acknowledged'));
  reg(CommandId.dismissAlert, (n?: AlertNode) => monitoring.setStatus(n, 'dismissed'));
  reg(CommandId.reopenAlert, (n?: AlertNode) => monitoring.setStatus(n, 'open'));

  return {
    panels: () => panels.all(),
    panelFor: (reportId, folder) => panels.panelFor(reportId, folder),
    open,
    serializer: panels,
  };
}
