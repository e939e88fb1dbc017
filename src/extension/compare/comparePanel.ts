/**
 * "Compare Runs": one editor tab comparing any number of runs (tables of params and metrics with differences and
 * best values, sorting, hiding, a baseline with deltas, and charts). The webview asks for data once it is ready;
 * the panel pushes an update whenever a compared run changes, and lists runs that were deleted as gone (a
 * restored run comes back). Settings (toggles, sort, hidden runs, baseline, chart choices) live in the webview's
 * state, are mirrored here for exports, and come back after a window reload through the serializer.
 */
import * as vscode from 'vscode';
import { comparePrimaryMetric, defaultDirections, parseDirectionSetting } from '../../core/compare/directions';
import { comparisonToCsv, comparisonToMarkdown, type ExportLayout } from '../../core/compare/export';
import { buildComparison, CHART_KINDS, type ChartKind, type CompareSettings, defaultSettings, type Direction, normalizeSettings } from '../../core/compare/model';
import type { Experiment, Run } from '../../core/store/types';
import { errorMessage } from '../../core/util/errors';
import type { CompareExportFormat, CompareFromWebview, CompareRunView, CompareToWebview, CompareWebviewState } from '../../shared/protocol';
import type { Log } from '../log';
import type { WorkspaceStore, WorkspaceStores } from '../workspaceStores';
import { webviewOptions } from '../webviews/webviewHtml';
import { WebviewPanelHost } from '../webviews/webviewPanelHost';
import { decodePng, fileSlug as pngSlug, inWorkspace, PngRequests, savePngInteractive } from '../webviews/pngExport';
import { toCompareRun } from './compareData';
import { BuiltinCommand, CommandId, ConfigKey, ContextKey, PanelType, setContext, setting } from '../keys';

export interface ComparePanelDeps {
  extensionUri: vscode.Uri;
  stores: WorkspaceStores;
  log: Log;
}

export interface CompareOpenOptions {
  title?: string;
  settings?: CompareSettings;
  /** Epoch ms when the command started: the webview reports how long after it the panel was fully drawn. */
  requestedAt?: number;
}

export type RenderedMessage = Extract<CompareFromWebview, { type: 'rendered' }>;
type DataMessage = Extract<CompareToWebview, { type: 'data' }>;

const MAX_RUNS = 2000;
const RUN_ID = /^[0-9a-f]{8,64}$/i;

/** The state a webview saved (untrusted: checked field by field), or undefined when it names no run. */
export function parseState(v: unknown): CompareWebviewState | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  if (!Array.isArray(o.runIds)) return undefined;
  const runIds = [...new Set(o.runIds.filter((x): x is string => typeof x === 'string' && RUN_ID.test(x)))].slice(0, MAX_RUNS);
  if (!runIds.length) return undefined;
  const title = typeof o.title === 'string' && o.title.length <= 300 ? o.title : `Compare: ${runIds.length} runs`;
  return { v: 1, runIds, title, settings: normalizeSettings(o.settings), ...(o.locked === true ? { locked: true } : {}) };
}

function fileSlug(s: string): string {
  return s.replace(/^Compare:\s*/, '').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'comparison';
}

/** A locked tab's title says so. */
function tabTitle(title: string, locked: boolean): string {
  return locked ? `[Locked] ${title}` : title;
}

export class ComparePanel extends WebviewPanelHost<CompareToWebview, CompareFromWebview> {
  static readonly viewType = PanelType.compare;

  settings: CompareSettings;
  lastRendered: RenderedMessage | undefined;

  private sendInit = false;
  private lastKey = '';
  private updateTimer: NodeJS.Timeout | undefined;
  private lastNames = new Map<string, string>();
  private loggedGone = new Set<string>();
  private runs: CompareRunView[] = [];
  private directions: Record<string, Direction> = {};
  private requestedAt: number | undefined;
  private readonly pngs = new PngRequests();
  private readonly renderedEmitter = new vscode.EventEmitter<RenderedMessage>();
  readonly onDidRender = this.renderedEmitter.event;

  /** Open a comparison (or reveal the one already showing exactly these runs). */
  static open(deps: ComparePanelDeps, runIds: string[], options: CompareOpenOptions = {}): ComparePanel {
    const ids = [...new Set(runIds)].slice(0, MAX_RUNS);
    const key = [...ids].sort().join(',');
    for (const p of ComparePanel.recent) {
      if ([...p.runIds].sort().join(',') === key) {
        p.panel.reveal();
        return p;
      }
    }
    const title = options.title ?? `Compare: ${ids.length} runs`;
    // mlops.compare.reuseTab (default on): show the new comparison in the Compare tab used last unless it is locked
    // (like VS Code's Markdown preview) — no new webview to start, which in VS Code for the Web is most of the time
    // an open takes (~0.5–1.5 s against ~0.3 s to redraw an open tab).
    const target = setting<boolean>(ConfigKey.compareReuseTab) ? ComparePanel.reusable() : undefined;
    if (target) {
      target.retarget(ids, title, options.settings ?? defaultSettings(), options.requestedAt);
      target.panel.reveal();
      return target;
    }
    const panel = vscode.window.createWebviewPanel(ComparePanel.viewType, title, vscode.ViewColumn.Active, webviewOptions(deps.extensionUri));
    return new ComparePanel(deps, panel, ids, title, options.settings ?? defaultSettings(), options.requestedAt, false);
  }

  /** The unlocked Compare tab used most recently: the one a new comparison replaces. */
  static reusable(): ComparePanel | undefined {
    return ComparePanel.recent.find((p) => !p.locked && !p.disposed);
  }

  /** The Compare tab that is the active editor, if any. */
  static active(): ComparePanel | undefined {
    return ComparePanel.recent.find((p) => !p.disposed && p.panel.active);
  }

  /** Restore a panel after a window reload from the state its webview saved. */
  static revive(deps: ComparePanelDeps, panel: vscode.WebviewPanel, state: unknown): ComparePanel | undefined {
    const s = parseState(state);
    if (!s) {
      deps.log.warn('A Compare Runs panel could not be restored (no runs in its saved state); closing it.');
      panel.dispose();
      return undefined;
    }
    panel.webview.options = webviewOptions(deps.extensionUri);
    deps.log.info(`Restored a Compare Runs panel (${s.runIds.length} runs).`);
    return new ComparePanel(deps, panel, s.runIds, s.title, s.settings, undefined, s.locked === true);
  }

  /** The open Compare panels, the one active most recently first. */
  private static recent: ComparePanel[] = [];

  private static touch(p: ComparePanel): void {
    ComparePanel.recent = [p, ...ComparePanel.recent.filter((x) => x !== p)];
  }

  /** Context key for the editor title's Lock / Unlock actions: whether the active Compare tab is locked. */
  private static syncContext(): void {
    void setContext(ContextKey.compareTabLocked, ComparePanel.active()?.locked ?? false);
  }

  /**
   * Lock (or unlock) this tab: a locked tab keeps its runs; new comparisons replace another tab or open a new one.
   * Kept in the webview's state, so a reload restores it.
   */
  setLocked(locked: boolean): void {
    if (this.disposed || this.locked === locked) return;
    this.locked = locked;
    this.panel.title = tabTitle(this.title, locked);
    this.post({ type: 'lock', locked });
    ComparePanel.syncContext();
  }


  /** Show other runs in this panel: a fresh comparison (new settings, the command's time for the render figures). */
  retarget(runIds: string[], title: string, settings: CompareSettings, requestedAt: number | undefined): void {
    this.runIds = runIds;
    this.title = title;
    this.panel.title = tabTitle(title, this.locked);
    this.settings = settings;
    this.requestedAt = requestedAt;
    this.lastNames.clear();
    this.loggedGone.clear();
    this.sendInit = true;
    this.lastKey = '';
    this.update(); // before `ready` the webview asks for the data itself
  }

  static all(): ComparePanel[] {
    return [...ComparePanel.recent];
  }

  static disposeAll(): void {
    for (const p of [...ComparePanel.recent]) p.dispose();
  }

  private constructor(
    private readonly deps: ComparePanelDeps,
    panel: vscode.WebviewPanel,
    public runIds: string[],
    public title: string,
    settings: CompareSettings,
    requestedAt: number | undefined,
    public locked: boolean,
  ) {
    super(panel, deps.log, deps.extensionUri, 'compare', tabTitle(title, locked), 'Compare');
    this.settings = settings;
    this.requestedAt = requestedAt;
    ComparePanel.touch(this);
    ComparePanel.syncContext();
    this.disposables.push(
      panel.onDidChangeViewState((e) => {
        if (e.webviewPanel.active) ComparePanel.touch(this);
        ComparePanel.syncContext();
      }),
      deps.stores.onDidChange(() => this.scheduleUpdate()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(PanelType.compare)) this.scheduleUpdate();
      }),
      this.renderedEmitter,
    );
  }

  protected handle(m: CompareFromWebview): void {
    switch (m.type) {
      case 'ready':
        this.sendInit = true;
        this.lastKey = '';
        if (this.locked) this.post({ type: 'lock', locked: true });
        this.update();
        break;
      case 'settings':
        this.settings = normalizeSettings(m.settings);
        break;
      case 'rendered':
        this.onRendered(m);
        break;
      case 'export':
        if ((m.format === 'csv' || m.format === 'markdown') && (m.target === 'file' || m.target === 'clipboard')) void this.exportInteractive(m.format, m.target);
        break;
      case 'savePng':
        if (typeof m.name === 'string' && typeof m.dataUrl === 'string') void this.savePngInteractive(m.name, m.dataUrl);
        break;
      case 'png':
        this.pngs.answer(m);
        break;
      case 'setLock':
        if (typeof m.locked === 'boolean') this.setLocked(m.locked);
        break;
      case 'openRun':
        if (typeof m.runId === 'string' && this.runIds.includes(m.runId)) void vscode.commands.executeCommand(CommandId.openRun, m.runId);
        break;
    }
  }

  private onRendered(m: RenderedMessage): void {
    const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
    const r: RenderedMessage = {
      type: 'rendered',
      runs: num(m.runs),
      params: num(m.params),
      metrics: num(m.metrics),
      charts: num(m.charts),
      chart: CHART_KINDS.includes(m.chart) ? m.chart : 'bars',
      theme: typeof m.theme === 'string' ? m.theme.slice(0, 40) : '',
      renderMs: num(m.renderMs),
      sinceRequestMs: typeof m.sinceRequestMs === 'number' && Number.isFinite(m.sinceRequestMs) ? m.sinceRequestMs : null,
    };
    const ph = m.phases;
    if (ph && typeof ph === 'object') r.phases = { webviewStart: num(ph.webviewStart), script: num(ph.script), scriptFetch: num(ph.scriptFetch), data: num(ph.data), draw: num(ph.draw) };
    this.lastRendered = r;
    if (r.sinceRequestMs !== null) {
      const p = r.phases;
      this.log.info(`Compare: ${r.runs} runs × ${r.metrics} metrics drawn ${Math.round(r.sinceRequestMs)} ms after the command (webview render ${Math.round(r.renderMs)} ms${p ? `; webview start ${p.webviewStart} ms, script ${p.script} ms (download ${p.scriptFetch} ms), ready → data ${p.data} ms, data → drawn ${p.draw} ms` : ''}).`);
    }
    this.renderedEmitter.fire(r);
  }

  private scheduleUpdate(): void {
    if (!this.ready || this.disposed) return;
    if (this.updateTimer) clearTimeout(this.updateTimer);
    this.updateTimer = setTimeout(() => {
      this.updateTimer = undefined;
      this.update();
    }, 40);
  }

  /** Where each compared run is now (runs may sit in different workspace folders' stores). */
  private locate(): { found: Map<string, { run: Run; store: WorkspaceStore }>; experiments: Experiment[] } {
    const want = new Set(this.runIds);
    const found = new Map<string, { run: Run; store: WorkspaceStore }>();
    const experiments: Experiment[] = [];
    for (const store of this.deps.stores.all()) {
      const snap = store.snapshot;
      let any = false;
      for (const run of snap.runs) {
        if (want.has(run.id) && !found.has(run.id)) {
          found.set(run.id, { run, store });
          any = true;
        }
      }
      if (any) experiments.push(...snap.experiments);
    }
    return { found, experiments };
  }

  /** Build the data message from the stores now; post it if anything changed since the last one. */
  update(): void {
    if (!this.ready || this.disposed) return;
    const { found, experiments } = this.locate();
    const runs: CompareRunView[] = [];
    const present: Run[] = [];
    const gone: { id: string; name: string }[] = [];
    const problems: string[] = [];
    for (const id of this.runIds) {
      const f = found.get(id);
      if (f) {
        present.push(f.run);
        runs.push(toCompareRun(f.run, f.store.tracker(), problems));
        this.lastNames.set(id, f.run.name);
        this.loggedGone.delete(id);
      } else {
        gone.push({ id, name: this.lastNames.get(id) ?? id.slice(0, 8) });
      }
    }
    const keys = new Set<string>();
    for (const r of runs) for (const k of Object.keys(r.metrics)) keys.add(k);
    const configured = parseDirectionSetting(setting<unknown>(ConfigKey.compareMetricDirections));
    const directions = defaultDirections(keys, experiments, configured);
    const primary = comparePrimaryMetric(present, experiments)?.key ?? null;
    this.runs = runs;
    this.directions = directions;
    const msg: DataMessage = { type: 'data', title: this.title, runIds: this.runIds, runs, gone, directions, primaryMetric: primary };
    const key = JSON.stringify(msg);
    if (!this.sendInit && key === this.lastKey) return;
    this.lastKey = key;
    if (this.sendInit) {
      msg.settings = this.settings;
      if (this.requestedAt !== undefined) msg.requestedAt = this.requestedAt;
      this.requestedAt = undefined;
      this.sendInit = false;
    }
    for (const p of problems) this.log.warn(`Compare: ${p}`);
    for (const g of gone) {
      if (this.loggedGone.has(g.id)) continue;
      this.loggedGone.add(g.id);
      this.log.info(`Compare: run ${g.id} (${g.name}) is gone (deleted or unreadable).`);
    }
    this.post(msg);
  }

  // ------------------------------------------------------------------------------------ exports

  /** The comparison as the panel shows it (shown runs, order, toggles, baseline), as CSV or Markdown. */
  exportText(format: CompareExportFormat, layout?: ExportLayout): string {
    const c = buildComparison(this.runs, this.settings, this.directions);
    return format === 'csv' ? comparisonToCsv(c, this.settings, { layout }) : comparisonToMarkdown(c, this.settings, { layout, title: this.title.replace(/^Compare:\s*/, 'Comparison: ') });
  }

  /** Write the export to a file, or put it on the clipboard. */
  async exportTo(format: CompareExportFormat, target: vscode.Uri | 'clipboard', layout?: ExportLayout): Promise<string> {
    const text = this.exportText(format, layout);
    if (target === 'clipboard') await vscode.env.clipboard.writeText(text);
    else await vscode.workspace.fs.writeFile(target, Buffer.from(text, 'utf8'));
    this.log.info(`Compare: exported ${format === 'csv' ? 'CSV' : 'Markdown'} (${this.runs.length} runs) to ${target === 'clipboard' ? 'the clipboard' : target.fsPath}`);
    return text;
  }

  private async exportInteractive(format: CompareExportFormat, target: 'file' | 'clipboard'): Promise<void> {
    try {
      if (target === 'clipboard') {
        await this.exportTo(format, 'clipboard');
        vscode.window.setStatusBarMessage(`Copied the comparison as ${format === 'csv' ? 'CSV' : 'Markdown'}`, 3000);
        return;
      }
      const ext = format === 'csv' ? 'csv' : 'md';
      const uri = await vscode.window.showSaveDialog({
        title: `Export the comparison as ${format === 'csv' ? 'CSV' : 'Markdown'}`,
        defaultUri: inWorkspace(`${fileSlug(this.title)}.${ext}`),
        filters: format === 'csv' ? { CSV: ['csv'] } : { Markdown: ['md'] },
      });
      if (!uri) return;
      await this.exportTo(format, uri);
      void vscode.window.showInformationMessage(`Saved the comparison to ${vscode.workspace.asRelativePath(uri)}.`, 'Open').then((c) => {
        if (c === 'Open') void vscode.commands.executeCommand(BuiltinCommand.open, uri);
      });
    } catch (e) {
      this.log.error('Compare: export failed', e);
      void vscode.window.showErrorMessage(`Export failed: ${errorMessage(e)}`);
    }
  }

  /** Decode a PNG data URL from the webview (kept here for the tests: see webviews/pngExport). */
  static decodePng(dataUrl: string): Buffer {
    return decodePng(dataUrl);
  }

  private savePngInteractive(name: string, dataUrl: string): Promise<void> {
    return savePngInteractive(this.log, 'Compare', name, `${fileSlug(this.title)}-${pngSlug(name)}.png`, dataUrl);
  }

  /**
   * Ask the webview for a chart as PNG (the chart tab `chart`, its `index`-th chart) and write it to `target`
   * (no dialog: for tests and scripted use). Resolves with the chart's name and the image bytes.
   */
  async saveChartPng(chart: ChartKind, target: vscode.Uri | undefined, index = 0, timeoutMs = 15_000): Promise<{ name: string; png: Buffer }> {
    if (!this.ready) throw new Error('the compare webview is not ready');
    const answer = await this.pngs.ask((requestId) => this.post({ type: 'requestPng', requestId, chart, index }), `the ${chart} chart`, timeoutMs);
    if (!answer.dataUrl) throw new Error(`the webview has no ${chart} chart #${index} to export`);
    const png = decodePng(answer.dataUrl);
    if (target) await vscode.workspace.fs.writeFile(target, png);
    return { name: typeof answer.name === 'string' ? answer.name : chart, png };
  }

  /** Resolves with the next `rendered` message (or the last one, if `since` is before it). */
  waitForRender(timeoutMs = 20_000): Promise<RenderedMessage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        sub.dispose();
        reject(new Error(`the compare webview did not render within ${timeoutMs} ms`));
      }, timeoutMs);
      const sub = this.onDidRender((r) => {
        clearTimeout(timer);
        sub.dispose();
        resolve(r);
      });
    });
  }

  protected override onDispose(): void {
    ComparePanel.recent = ComparePanel.recent.filter((p) => p !== this);
    ComparePanel.syncContext();
    if (this.updateTimer) clearTimeout(this.updateTimer);
    this.pngs.clear();
  }

}
