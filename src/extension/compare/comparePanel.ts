/**
 * "Compare Runs": one editor tab comparing any number of runs (tables of params and metrics with differences and
 * best values, sorting, hiding, a baseline with deltas, and charts). The webview asks for data once it is ready;
 * the panel pushes an update whenever a compared run changes, and lists runs that were deleted as gone (a
 * restored run comes back). Settings (toggles, sort, hidden runs, baseline, chart choices) live in the webview's
 * state, are mirrored here for exports, and come back after a window reload (ComparePanelManager is the serializer).
 * The data is built in compareData.ts (asynchronously: MLflow runs are read through their sources; a newer build
 * cancels an older one), messages are handled in messages.ts, exports are in exports.ts.
 *
 * Runs are named by keys (core/compare/runRefs.ts), so one comparison mixes workspace runs and runs of any MLflow
 * sources, and a restored panel finds each run again by its source URI and run id (or says that its source is gone).
 */
import * as vscode from 'vscode';
import { parseDirectionSetting } from '../../core/compare/directions';
import type { ExportLayout } from '../../core/compare/export';
import type { ChartKind, CompareSettings, Direction } from '../../core/compare/model';
import { parseRefKey } from '../../core/compare/runRefs';
import type { SourceRun } from '../../core/sources/types';
import { AbortError } from '../../core/util/errors';
import type { CompareExportFormat, CompareFromWebview, CompareRunView, CompareToWebview } from '../../shared/protocol';
import { CommandId, ConfigKey, PanelType, setting } from '../keys';
import type { Log } from '../log';
import { DataMessages } from '../webviews/dataMessages';
import { decodePng, PngRequests } from '../webviews/pngExport';
import { WebviewPanelHost } from '../webviews/webviewPanelHost';
import type { MlflowSources } from '../sources/mlflowSources';
import type { WorkspaceStores } from '../workspaceStores';
import { buildCompareData, type CompareData, type CompareSources, workspaceCompareSource } from './compareData';
import { exportText, exportTo } from './exports';
import { type CompareMessageTarget, handleCompareMessage, type RenderedMessage } from './messages';

export type { RenderedMessage } from './messages';

export interface ComparePanelDeps {
  extensionUri: vscode.Uri;
  stores: WorkspaceStores;
  log: Log;
  /** The connected MLflow sources (absent: workspace runs only). */
  mlflow?: MlflowSources;
}

/** The sources a comparison reads, from the panel's dependencies. */
/** A build's result and when it was done (epoch ms). */
type Timed = { data: CompareData; at: number };

export function compareSources(deps: Pick<ComparePanelDeps, 'stores' | 'mlflow'>): CompareSources {
  const { mlflow } = deps;
  const stores = deps.stores.all();
  return {
    workspace: stores.map((s) => workspaceCompareSource(s, stores.length)),
    mlflow(uri) {
      const entry = mlflow?.get(uri);
      if (!mlflow || !entry) return undefined;
      return {
        label: `MLflow · ${entry.label}`,
        open: () => mlflow.source(entry),
        experiment: (id) => entry.experiments?.find((e) => e.id === id),
      };
    },
  };
}

/**
 * From this many runs, a comparison's first data message comes in two when the compared value is the last one: the
 * runs' own values first (read in tens of ms from the store index), drawn at once; then the whole message with the
 * step histories (at 500 runs hundreds of thousands of points read and parsed, megabytes of JSON).
 */
const SPLIT_FROM_RUNS = 100;

/** A locked tab's title says so. */
function tabTitle(title: string, locked: boolean): string {
  return locked ? `[Locked] ${title}` : title;
}

export class ComparePanel extends WebviewPanelHost<CompareToWebview, CompareFromWebview> implements CompareMessageTarget {
  static readonly viewType = PanelType.compare;

  settings: CompareSettings;
  lastRendered: RenderedMessage | undefined;
  /** The runs and metric directions last sent to the webview: what exports show. */
  runs: CompareRunView[] = [];
  directions: Record<string, Direction> = {};
  readonly pngs = new PngRequests();

  private readonly data: DataMessages<CompareSettings>;
  private readonly lastNames: Map<string, string>;
  /** The MLflow runs last read, by key (Open Run from the panel opens them through their source). */
  private mlflowRuns = new Map<string, { run: SourceRun; source: string }>();
  /** The build in flight: a newer update() cancels it. */
  private building: AbortController | undefined;
  /** Resolves when the build in flight has finished (tests, and callers that need the data now). */
  private built: Promise<void> = Promise.resolve();
  private readonly loggedGone = new Set<string>();
  /**
   * The data build started with the panel, before its webview said `ready` (which takes from 30 ms to more than a
   * second: VS Code creates the frame, then our bundle starts), so that the runs are read meanwhile; used by the first
   * build if it is for the same runs and compared value and nothing changed since.
   */
  private prefetch: { key: string; first: Promise<Timed>; light: boolean; ctl: AbortController; startedAt: number } | undefined;
  /** How long the last build took to read the runs (ms; the light message's first), and whether it began before `ready`: for the log. */
  lastBuild: { ms: number; withoutHistories?: boolean; early: boolean } | undefined;
  private readonly lockEmitter = new vscode.EventEmitter<boolean>();
  /** Fires when the tab is locked or unlocked (the manager keeps the editor title's context key in step). */
  readonly onDidChangeLock = this.lockEmitter.event;

  constructor(
    private readonly deps: ComparePanelDeps,
    panel: vscode.WebviewPanel,
    public runIds: string[],
    public title: string,
    settings: CompareSettings,
    requestedAt: number | undefined,
    public locked: boolean,
    names: Record<string, string> = {},
  ) {
    super(panel, deps.log, deps.extensionUri, 'compare', tabTitle(title, locked), 'Compare');
    this.settings = settings;
    this.lastNames = new Map(Object.entries(names));
    this.data = new DataMessages(requestedAt);
    this.register(this.lockEmitter);
    this.register(deps.stores.onDidChange(() => this.changed(40)));
    // An MLflow source changed (a poll saw new values, it was refreshed, connected or disconnected): when it is one of
    // this comparison's, read its runs again (one getRun each; histories only for runs that changed).
    if (deps.mlflow) this.register(deps.mlflow.onDidChange((entry) => (!entry || this.usesSource(entry.uri)) && this.changed(250)));
    this.register({ dispose: () => this.building?.abort() });
    this.register({ dispose: () => this.dropPrefetch() });
    this.register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(PanelType.compare)) this.changed(40);
      }),
    );
    this.startPrefetch();
  }

  /** Something the comparison reads changed: a build started before `ready` is stale; after it, update soon. */
  private changed(delayMs: number): void {
    if (!this.ready) this.dropPrefetch();
    this.scheduleUpdate(delayMs);
  }

  private prefetchKey(): string {
    return JSON.stringify([this.runIds, this.settings.compared]);
  }

  /** Whether the next message is the first of a big comparison, sent in two (see SPLIT_FROM_RUNS). */
  private splits(): boolean {
    return this.runIds.length >= SPLIT_FROM_RUNS && this.settings.compared.kind === 'last';
  }

  /** The runs read now (without histories not yet cached when `histories` is false), with the time it was done. */
  private read(signal: AbortSignal, histories: boolean): Promise<Timed> {
    const configured = parseDirectionSetting(setting<unknown>(ConfigKey.compareMetricDirections));
    return buildCompareData(compareSources(this.deps), this.runIds, this.title, this.lastNames, configured, signal, this.settings.compared, histories)
      .then((data) => ({ data, at: Date.now() }));
  }

  private startPrefetch(): void {
    this.dropPrefetch();
    if (this.ready || this.isDisposed) return;
    const ctl = new AbortController();
    // A big comparison reads only the light message now: the histories are read once it is posted, so that they do
    // not take the CPU from VS Code while it creates the webview.
    const light = this.splits();
    const first = this.read(ctl.signal, !light);
    first.catch(() => undefined); // a failure is met again (and reported) by the build that would have used it
    this.prefetch = { key: this.prefetchKey(), first, light, ctl, startedAt: Date.now() };
  }

  private dropPrefetch(): void {
    this.prefetch?.ctl.abort();
    this.prefetch = undefined;
  }

  /**
   * Lock (or unlock) this tab: a locked tab keeps its runs; new comparisons replace another tab or open a new one.
   * Kept in the webview's state, so a reload restores it.
   */
  setLocked(locked: boolean): void {
    if (this.isDisposed || this.locked === locked) return;
    this.locked = locked;
    this.panel.title = tabTitle(this.title, locked);
    this.post({ type: 'lock', locked });
    this.lockEmitter.fire(locked);
  }

  /** Show other runs in this panel: a fresh comparison (new settings, the command's time for the render figures). */
  retarget(runIds: string[], title: string, settings: CompareSettings, requestedAt: number | undefined): void {
    this.runIds = runIds;
    this.title = title;
    this.panel.title = tabTitle(title, this.locked);
    this.settings = settings;
    this.data.requestedAt = requestedAt;
    this.lastNames.clear();
    this.loggedGone.clear();
    this.data.restart();
    if (this.ready) this.update();
    else this.startPrefetch(); // the webview asks for the data once it is ready: read it meanwhile
  }

  onWebviewReady(): void {
    this.data.restart();
    if (this.locked) this.post({ type: 'lock', locked: true });
    this.update();
  }

  protected handle(m: CompareFromWebview): void {
    handleCompareMessage(this, this.log, m);
  }

  private usesSource(uri: string): boolean {
    return this.runIds.some((k) => parseRefKey(k)?.source === uri);
  }

  /**
   * Build the data message from the sources now (asynchronously, off the extension host's hot path: MLflow runs are
   * read over HTTP or from their files) and post it if anything changed since the last one. A build still in flight
   * is cancelled: only the newest request's data reaches the webview.
   */
  update(): void {
    if (!this.ready || this.isDisposed) return;
    this.building?.abort();
    const ctl = new AbortController();
    this.building = ctl;
    this.built = this.build(ctl.signal).catch((e: unknown) => {
      if (e instanceof AbortError || ctl.signal.aborted || this.isDisposed) return;
      this.log.error('Compare: reading the compared runs failed', e);
    }).finally(() => {
      if (this.building === ctl) this.building = undefined;
    });
  }

  /** Resolves once the data build in flight (if any) has finished and its message was posted. */
  async settled(): Promise<void> {
    let last: Promise<void> | undefined;
    while (last !== this.built) {
      last = this.built;
      await last;
    }
  }

  private async build(signal: AbortSignal): Promise<void> {
    let pre = this.prefetch;
    this.prefetch = undefined;
    if (pre && pre.key !== this.prefetchKey()) {
      pre.ctl.abort();
      pre = undefined;
    }
    const t0 = pre?.startedAt ?? Date.now();
    if (this.data.fresh && this.splits()) {
      const light = await (pre?.light ? pre.first : this.read(signal, false)).catch(() => undefined);
      if (signal.aborted || this.isDisposed) return;
      if (light?.data.pending) {
        this.lastBuild = { ms: light.at - t0, withoutHistories: true, early: pre !== undefined };
        this.publish(light.data, true);
      }
    }
    const full = (pre && !pre.light ? await pre.first.catch(() => undefined) : undefined) ?? (await this.read(signal, true));
    this.lastBuild = { ms: full.at - t0, early: pre !== undefined };
    if (signal.aborted || this.isDisposed) return;
    this.publish(full.data, false);
  }

  /** Post the data (when it changed), as the light first message of a big comparison when `pending`. */
  private publish(result: CompareData, pending: boolean): void {
    const { msg, problems, mlflowRuns } = result;
    this.mlflowRuns = mlflowRuns;
    this.runs = msg.runs;
    this.directions = msg.directions;
    for (const r of msg.runs) this.loggedGone.delete(r.id);
    const out = this.data.next(msg, this.settings);
    if (!out) return;
    if (pending) out.historiesPending = true;
    for (const p of problems) this.log.warn(`Compare: ${p}`);
    for (const g of out.gone) {
      if (this.loggedGone.has(g.id)) continue;
      this.loggedGone.add(g.id);
      this.log.info(`Compare: run ${g.id} (${g.name}) is gone: ${g.reason ?? 'deleted or unreadable'}.`);
    }
    this.post(out);
  }

  /** Open Run for a compared run (the panel's run links): a workspace run by id, an MLflow run through its source. */
  async openRun(key: string): Promise<void> {
    const ref = parseRefKey(key);
    if (!ref) return;
    if (!ref.source) {
      await vscode.commands.executeCommand(CommandId.openRun, ref.runId);
      return;
    }
    const entry = this.deps.mlflow?.get(ref.source);
    const seen = this.mlflowRuns.get(key);
    if (!entry || !seen) {
      void vscode.window.showInformationMessage(entry ? `MLflow run ${ref.runId} can no longer be read (see the Compare tab).` : `The MLflow source ${ref.source} is not connected: connect it again to open this run.`);
      return;
    }
    await vscode.commands.executeCommand(CommandId.openRun, { kind: 'mlflowRun', entry, run: seen.run, childRuns: [], isBest: false });
  }

  /** The comparison as the panel shows it (shown runs, order, toggles, baseline), as CSV or Markdown. */
  exportText(format: CompareExportFormat, layout?: ExportLayout): string {
    return exportText(this, format, layout);
  }

  /** Write the export to a file, or put it on the clipboard. */
  exportTo(format: CompareExportFormat, target: vscode.Uri | 'clipboard', layout?: ExportLayout): Promise<string> {
    return exportTo(this.log, this, format, target, layout);
  }

  /** Decode a PNG data URL from the webview (kept here for the tests: see webviews/pngExport). */
  static decodePng(dataUrl: string): Buffer {
    return decodePng(dataUrl);
  }

  /**
   * Ask the webview for a chart as PNG (the chart tab `chart`, its `index`-th chart) and write it to `target`
   * (no dialog: for tests and scripted use). Resolves with the chart's name and the image bytes.
   */
  async saveChartPng(chart: ChartKind, target: vscode.Uri | undefined, index = 0, timeoutMs = 15_000): Promise<{ name: string; png: Buffer }> {
    if (!this.ready) throw new Error('the compare webview is not ready');
    const request = (requestId: number) => this.post({ type: 'requestPng', requestId, chart, index });
    const { name, png } = await this.pngs.save(request, `the ${chart} chart`, `the webview has no ${chart} chart #${index} to export`, target, timeoutMs);
    return { name: name ?? chart, png };
  }

  protected override onDispose(): void {
    this.pngs.clear();
  }
}
