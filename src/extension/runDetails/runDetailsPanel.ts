/**
 * "Open Run": a read-only details view of one run (params, metrics, tags, environment, artifacts). One panel per
 * run; it follows changes to the run (live metrics) and says so when the run is deleted. Artifact links open the
 * file in an editor, after checking the path stays inside the run's artifact folder.
 */
import * as vscode from 'vscode';
import { readMetricSeries } from '../../core/store/runIndex';
import { errorMessage } from '../../core/util/errors';
import type { RunDetailsFromWebview, RunDetailsToWebview } from '../../shared/protocol';
import type { Log } from '../log';
import type { WorkspaceStore } from '../workspaceStores';
import { webviewOptions } from '../webviews/webviewHtml';
import { WebviewPanelHost } from '../webviews/webviewPanelHost';
import { toRunView, toSeries } from './runView';
import { BuiltinCommand, PanelType } from '../keys';

export class RunDetailsPanel extends WebviewPanelHost<RunDetailsToWebview, RunDetailsFromWebview> {
  static readonly viewType = PanelType.runDetails;
  private static panels = new Map<string, RunDetailsPanel>();
  private lastSent = '';

  static show(extensionUri: vscode.Uri, store: WorkspaceStore, runId: string, log: Log): RunDetailsPanel {
    const existing = RunDetailsPanel.panels.get(runId);
    if (existing) {
      existing.panel.reveal();
      return existing;
    }
    const run = store.snapshot.runs.find((r) => r.id === runId);
    const panel = vscode.window.createWebviewPanel(RunDetailsPanel.viewType, `Run: ${run?.name ?? runId.slice(0, 8)}`, vscode.ViewColumn.Active, webviewOptions(extensionUri));
    const p = new RunDetailsPanel(panel, extensionUri, store, runId, log);
    RunDetailsPanel.panels.set(runId, p);
    return p;
  }

  static get(runId: string): RunDetailsPanel | undefined {
    return RunDetailsPanel.panels.get(runId);
  }

  private constructor(
    panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly store: WorkspaceStore,
    readonly runId: string,
    log: Log,
  ) {
    super(panel, log, extensionUri, 'runDetails', panel.title, 'Open Run');
    this.disposables.push(store.onDidChange(() => this.update()));
  }

  protected handle(m: RunDetailsFromWebview): void {
    switch (m.type) {
      case 'ready':
        this.lastSent = '';
        this.update();
        break;
      case 'openArtifact':
        if (typeof m.path === 'string') this.openArtifact(m.path);
        break;
      case 'copy':
        if (typeof m.text === 'string') void vscode.env.clipboard.writeText(m.text);
        break;
    }
  }

  private openArtifact(rel: string): void {
    const t = this.store.tracker();
    if (!t) return;
    try {
      const file = t.artifactPath(this.runId, rel);
      void vscode.commands.executeCommand(BuiltinCommand.open, vscode.Uri.file(file), { preview: true });
    } catch (e) {
      this.log.error(`Cannot open artifact '${rel}' of run ${this.runId}`, e);
      void vscode.window.showErrorMessage(`Cannot open artifact: ${errorMessage(e)}`);
    }
  }

  /** Post only what changed (store changes come often while a run trains). */
  private send(msg: RunDetailsToWebview): void {
    const key = JSON.stringify(msg);
    if (key === this.lastSent) return;
    this.lastSent = key;
    this.post(msg);
  }

  update(): void {
    if (!this.ready) return;
    const run = this.store.snapshot.runs.find((r) => r.id === this.runId);
    const t = this.store.tracker();
    if (!run || !t) {
      this.send({ type: 'gone', runId: this.runId, reason: 'This run was deleted or can no longer be read (see the MLOps output).' });
      return;
    }
    this.panel.title = `Run: ${run.name}`;
    const series = readMetricSeries(t.store, run.id);
    this.send({ type: 'run', run: toRunView(run), history: toSeries(series.points) });
  }

  protected override onDispose(): void {
    RunDetailsPanel.panels.delete(this.runId);
  }

  static disposeAll(): void {
    for (const p of [...RunDetailsPanel.panels.values()]) p.dispose();
  }
}
