/**
 * The drift report: one editor tab per report (header and alerts, the per-feature table, score charts against the
 * thresholds, reference-vs-current histograms, prediction distributions, and the monitor's timeline). The webview
 * asks for the data once it is ready; the panel pushes an update when the store changes (a newer report of the same
 * monitor, an alert acknowledged). The user's choices (feature, sort) live in the webview state, are mirrored here,
 * and come back after a window reload: DriftReportPanelManager (below) owns the open panels and is their serializer.
 */
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { driftSummary, historyEntry, monitorHistory, newerReport, normalizeDriftSettings, parseDriftState, REPORT_ID, type DriftViewSettings } from '../../core/monitoring/driftView';
import { listReports, reportsDir } from '../../core/monitoring/monitor';
import type { DriftReport } from '../../core/monitoring/types';
import { errorMessage } from '../../core/util/errors';
import type { DriftAlertView, DriftFromWebview, DriftToWebview } from '../../shared/protocol';
import type { Log } from '../log';
import type { PipelineManager } from '../pipelines/pipelineManager';
import { Disposable } from '../util/dispose';
import { DataMessages } from '../webviews/dataMessages';
import { PanelSet } from '../webviews/panelSet';
import { webviewOptions } from '../webviews/webviewHtml';
import { WebviewPanelHost } from '../webviews/webviewPanelHost';
import { fileSlug, PngRequests, savePngInteractive } from '../webviews/pngExport';
import type { WorkspaceStore, WorkspaceStores } from '../workspaceStores';
import type { MonitoringManager } from './monitoringManager';
import { CommandId, PanelType } from '../keys';

export interface DriftPanelDeps {
  extensionUri: vscode.Uri;
  stores: WorkspaceStores;
  monitoring: MonitoringManager;
  pipelines: PipelineManager;
  log: Log;
}

export interface DriftOpenOptions {
  /** Show this feature's histogram (e.g. opened from a feature's alert). */
  feature?: string;
  /** The choices to start from (restore). */
  settings?: DriftViewSettings;
  /** Epoch ms when the command started: the webview reports how long after it the panel was fully drawn. */
  requestedAt?: number;
}

export type DriftRenderedMessage = Extract<DriftFromWebview, { type: 'rendered' }>;
type DataMessage = Extract<DriftToWebview, { type: 'data' }>;

export function driftPanelTitle(batch: string): string {
  return `Drift: ${batch}`;
}

/** How a panel finds the panel already showing another report (it reveals that one instead of showing it twice). */
interface DriftPanelLookup {
  find(folder: string, reportId: string): DriftReportPanel | undefined;
}

export class DriftReportPanel extends WebviewPanelHost<DriftToWebview, DriftFromWebview> {
  static readonly viewType = PanelType.driftReport;

  settings: DriftViewSettings;
  lastRendered: DriftRenderedMessage | undefined;
  /** The report last sent to the webview. */
  report: DriftReport | undefined;

  private readonly data: DataMessages<DriftViewSettings>;
  private readonly pngs = new PngRequests();
  private goneSent = false;
  private cache: { dir: string; names: string; reports: DriftReport[] } | undefined;

  constructor(
    private readonly deps: DriftPanelDeps,
    private readonly others: DriftPanelLookup,
    panel: vscode.WebviewPanel,
    readonly folder: string,
    private shownId: string,
    title: string,
    settings: DriftViewSettings,
    requestedAt: number | undefined,
  ) {
    super(panel, deps.log, deps.extensionUri, 'drift', title, 'Drift report');
    this.settings = settings;
    this.data = new DataMessages(requestedAt);
    // The monitoring manager refreshes after every store change (a new report from this window, the CLI or a
    // watcher; an alert's status): check for a newer report and changed alerts then.
    this.register(deps.monitoring.onDidChange(() => this.scheduleUpdate(60)));
  }

  /** The id of the shown report. */
  get reportId(): string {
    return this.shownId;
  }

  protected handle(m: DriftFromWebview): void {
    switch (m.type) {
      case 'ready':
        this.data.restart();
        this.update();
        break;
      case 'settings':
        this.settings = normalizeDriftSettings(m.settings);
        break;
      case 'rendered':
        this.onRendered(m);
        break;
      case 'openMarkdown':
        void vscode.commands.executeCommand(CommandId.openDriftReportMarkdown, { reportId: this.reportId, folder: this.folder });
        break;
      case 'exportJson':
        void this.exportJsonInteractive();
        break;
      case 'copySummary':
        void this.copySummary();
        break;
      case 'retrain':
        void this.retrain();
        break;
      case 'openReport':
        if (typeof m.reportId === 'string' && REPORT_ID.test(m.reportId)) this.showReport(m.reportId);
        break;
      case 'savePng':
        if (typeof m.name === 'string' && typeof m.dataUrl === 'string') {
          const batch = this.report?.batch.replace(/\.[^.]+$/, '') ?? this.reportId;
          void savePngInteractive(this.log, 'Drift report', m.name, `drift-${fileSlug(batch)}-${fileSlug(m.name)}.png`, m.dataUrl);
        }
        break;
      case 'png':
        this.pngs.answer(m);
        break;
    }
  }

  private onRendered(m: DriftRenderedMessage): void {
    const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
    const str = (v: unknown, n: number) => (typeof v === 'string' ? v.slice(0, n) : '');
    const r: DriftRenderedMessage = {
      type: 'rendered',
      reportId: str(m.reportId, 100),
      rows: num(m.rows),
      drifted: num(m.drifted),
      charts: num(m.charts),
      chartNames: Array.isArray(m.chartNames) ? m.chartNames.filter((x): x is string => typeof x === 'string').slice(0, 20).map((x) => x.slice(0, 60)) : [],
      feature: typeof m.feature === 'string' ? m.feature.slice(0, 1000) : null,
      histogramBins: num(m.histogramBins),
      timelinePoints: num(m.timelinePoints),
      sort: normalizeDriftSettings({ sort: m.sort }).sort,
      theme: str(m.theme, 40),
      renderMs: num(m.renderMs),
      sinceRequestMs: typeof m.sinceRequestMs === 'number' && Number.isFinite(m.sinceRequestMs) ? m.sinceRequestMs : null,
    };
    this.lastRendered = r;
    if (r.sinceRequestMs !== null) this.log.info(`Drift report ${r.reportId}: ${r.rows} features, ${r.charts} charts drawn ${Math.round(r.sinceRequestMs)} ms after the command (webview render ${Math.round(r.renderMs)} ms).`);
  }

  /** Show the feature's histogram (the panel is already open). */
  select(feature: string): void {
    this.settings = { ...this.settings, feature };
    if (this.ready) this.post({ type: 'select', feature });
  }

  /** Show another report in this panel (or reveal the panel that shows it). */
  showReport(reportId: string): void {
    if (reportId === this.reportId) return;
    const other = this.others.find(this.folder, reportId);
    if (other) {
      other.panel.reveal();
      return;
    }
    this.shownId = reportId;
    this.goneSent = false;
    this.data.restart();
    this.update();
  }

  private store(): WorkspaceStore | undefined {
    return this.deps.stores.all().find((s) => s.folder.uri.fsPath === this.folder);
  }

  /**
   * The folder's reports. Reports are written once (atomically) and never changed, so they are read again only when
   * the list of report files changed: store changes (a metric logged by a training run) cost one directory listing.
   */
  private reports(store: WorkspaceStore): DriftReport[] {
    const t = store.tracker();
    if (!t) return [];
    const dir = reportsDir(t.store.root);
    let names = '';
    try {
      names = fs.readdirSync(dir).filter((f) => f.endsWith('.json') && !f.startsWith('.')).sort().join('\n');
    } catch {
      names = '';
    }
    if (!this.cache || this.cache.dir !== dir || this.cache.names !== names) this.cache = { dir, names, reports: listReports(t.store.root) };
    return this.cache.reports;
  }

  /** The report's findings with their status in the store's alert log (matched by type and subject). */
  private alertsOf(store: WorkspaceStore, report: DriftReport): DriftAlertView[] {
    const logged = this.deps.monitoring.allAlerts().filter((a) => a.store === store && a.alert.reportId === report.id).map((a) => a.alert);
    return report.alerts.map((c) => {
      const a = logged.find((x) => x.type === c.type && x.subject === c.subject);
      return { id: a?.id ?? null, type: c.type, severity: c.severity, subject: c.subject, recommendation: c.recommendation, status: a?.status ?? 'open' };
    });
  }

  /** Build the data message from the store now; post it if anything changed since the last one. */
  update(): void {
    if (!this.ready || this.isDisposed) return;
    const store = this.store();
    const all = store ? this.reports(store) : [];
    const report = all.find((r) => r.id === this.reportId);
    if (!store || !report) {
      if (!this.goneSent) {
        this.goneSent = true;
        const reason = store ? `The drift report ${this.reportId} is no longer in the store of ${this.folder}.` : `The workspace folder ${this.folder} is not open.`;
        this.log.info(`Drift report panel: ${reason}`);
        this.post({ type: 'gone', reportId: this.reportId, reason });
      }
      return;
    }
    this.goneSent = false;
    const newer = newerReport(all, report);
    const model = report.model?.name;
    const msg: DataMessage = {
      type: 'data',
      folder: this.folder,
      report,
      history: monitorHistory(all, report).map(historyEntry),
      alerts: this.alertsOf(store, report),
      newer: newer ? { id: newer.id, batch: newer.batch, time: newer.time } : null,
      retrain: model ? { model, pipelines: this.deps.pipelines.all().filter((e) => e.def?.model === model && e.def.triggers.drift).length } : null,
    };
    const out = this.data.next(msg, this.settings);
    if (!out) return;
    this.report = report;
    this.panel.title = driftPanelTitle(report.batch);
    this.post(out);
  }

  // ------------------------------------------------------------------------------------ actions

  /** Write the shown report as JSON to a file (no dialog: for tests and scripted use). */
  async exportJson(target: vscode.Uri): Promise<string> {
    if (!this.report) throw new Error('the drift report is not loaded yet');
    const text = JSON.stringify(this.report, null, 2) + '\n';
    await vscode.workspace.fs.writeFile(target, Buffer.from(text, 'utf8'));
    this.log.info(`Drift report ${this.report.id} exported to ${target.fsPath}`);
    return text;
  }

  private async exportJsonInteractive(): Promise<void> {
    try {
      if (!this.report) return;
      const slug = this.report.batch.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'batch';
      const uri = await vscode.window.showSaveDialog({ title: 'Export the drift report as JSON', defaultUri: vscode.Uri.joinPath(vscode.Uri.file(this.folder), `drift-${slug}-${this.report.id}.json`), filters: { JSON: ['json'] } });
      if (!uri) return;
      await this.exportJson(uri);
      void vscode.window.showInformationMessage(`Saved the drift report to ${vscode.workspace.asRelativePath(uri)}.`);
    } catch (e) {
      this.log.error('Drift report: export failed', e);
      void vscode.window.showErrorMessage(`Export failed: ${errorMessage(e)}`);
    }
  }

  /** Put the plain-text summary of the report on the clipboard. */
  async copySummary(): Promise<string | undefined> {
    if (!this.report) return undefined;
    const text = driftSummary(this.report);
    await vscode.env.clipboard.writeText(text);
    vscode.window.setStatusBarMessage('Copied the drift report summary', 3000);
    return text;
  }

  /** Start the model's pipelines that have the drift trigger (what a drift alert's "Retrain" does). */
  async retrain(): Promise<number> {
    const model = this.report?.model?.name;
    if (!model) return 0;
    const count = this.deps.pipelines.all().filter((e) => e.def?.model === model && e.def.triggers.drift).length;
    if (!count) {
      void vscode.window.showInformationMessage(`No pipeline of ${model} has the drift trigger (triggers: drift: true in its *.pipeline.yaml).`);
      return 0;
    }
    this.log.info(`Drift report ${this.reportId}: retraining ${model} (${count} pipeline(s) with the drift trigger)`);
    void vscode.window.showInformationMessage(`Retraining ${model}: started ${count} pipeline${count === 1 ? '' : 's'} with the drift trigger (see the Pipelines view).`);
    void this.deps.pipelines.triggerDrift(model).catch((e) => this.log.error(`Drift-triggered retraining of ${model} failed`, e));
    return count;
  }

  /**
   * Ask the webview for a drawn chart (`histogram`, `scores-p_value`, `timeline-distance`, …: the names in
   * `rendered.chartNames`) as PNG and write it to `target` (no dialog: for tests and scripted use).
   */
  async saveChartPng(chart: string, target: vscode.Uri | undefined, timeoutMs = 15_000): Promise<Buffer> {
    if (!this.ready) throw new Error('the drift report webview is not ready');
    const request = (requestId: number) => this.post({ type: 'requestPng', requestId, chart });
    return (await this.pngs.save(request, `the ${chart} chart`, `the drift report shows no ${chart} chart`, target, timeoutMs)).png;
  }

  protected override onDispose(): void {
    this.pngs.clear();
  }
}

/**
 * The open drift report panels, owned by one manager created at activation (like VS Code's Markdown preview
 * manager): it opens a report (revealing the panel that already shows it) and is the serializer that restores the
 * panels after a window reload from the state their webviews saved.
 */
export class DriftReportPanelManager extends Disposable implements vscode.WebviewPanelSerializer, DriftPanelLookup {
  private readonly panels = this.register(new PanelSet<DriftReportPanel>());

  constructor(private readonly deps: DriftPanelDeps) {
    super();
    this.register(vscode.window.registerWebviewPanelSerializer(PanelType.driftReport, this));
  }

  /** Open a report (or reveal the panel already showing it). */
  open(folder: string, report: Pick<DriftReport, 'id' | 'batch'>, options: DriftOpenOptions = {}): DriftReportPanel {
    const open = this.find(folder, report.id);
    if (open) {
      open.panel.reveal();
      if (options.feature) open.select(options.feature);
      return open;
    }
    const title = driftPanelTitle(report.batch);
    const panel = vscode.window.createWebviewPanel(PanelType.driftReport, title, vscode.ViewColumn.Active, webviewOptions(this.deps.extensionUri));
    const settings = options.settings ?? { feature: null, sort: null };
    if (options.feature) settings.feature = options.feature;
    return this.panels.add(new DriftReportPanel(this.deps, this, panel, folder, report.id, title, settings, options.requestedAt));
  }

  /** Restore a panel after a window reload from the state its webview saved (a bad state, or a folder no longer open, closes it). */
  async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    const { deps } = this;
    const s = parseDriftState(state);
    const store = s && deps.stores.all().find((x) => x.folder.uri.fsPath === s.folder);
    if (!s || !store) {
      deps.log.warn(`A drift report panel could not be restored (${s ? `the folder ${s.folder} is not open` : 'no report in its saved state'}); closing it.`);
      panel.dispose();
      return;
    }
    panel.webview.options = webviewOptions(deps.extensionUri);
    deps.log.info(`Restored the drift report panel of ${s.reportId}.`);
    this.panels.add(new DriftReportPanel(deps, this, panel, s.folder, s.reportId, panel.title || driftPanelTitle(s.reportId), { feature: s.feature, sort: s.sort }, undefined));
  }

  find(folder: string, reportId: string): DriftReportPanel | undefined {
    return this.panels.find((p) => p.folder === folder && p.reportId === reportId);
  }

  /** The open panel showing this report (in `folder`'s store, when given). */
  panelFor(reportId: string, folder?: string): DriftReportPanel | undefined {
    return this.panels.find((p) => p.reportId === reportId && (!folder || p.folder === folder));
  }

  all(): DriftReportPanel[] {
    return this.panels.all();
  }
}
