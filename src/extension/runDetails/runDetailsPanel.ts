/**
 * "Open Run": a read-only details view of one run (params, metrics, tags, environment, artifacts). One panel per
 * run; it follows changes to the run (live metrics) and says so when the run is deleted. Artifact links open the
 * file in an editor, after checking the path stays inside the run's artifact folder.
 */
import * as vscode from 'vscode';
import { readMetricSeries } from '../../core/store/runIndex';
import { errorMessage } from '../../core/util/errors';
import { isMessage, type RunDetailsToWebview } from '../../shared/protocol';
import type { Log } from '../log';
import type { WorkspaceStore } from '../workspaceStores';
import { webviewHtml, webviewOptions } from '../webviews/webviewHtml';
import { toRunView, toSeries } from './runView';

export class RunDetailsPanel implements vscode.Disposable {
  static readonly viewType = 'mlops.runDetails';
  private static panels = new Map<string, RunDetailsPanel>();
  private disposables: vscode.Disposable[] = [];
  private ready = false;
  private lastSent = '';
  /** Messages posted to the webview, kept for the integration tests. */
  readonly sent: RunDetailsToWebview[] = [];

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
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly store: WorkspaceStore,
    readonly runId: string,
    private readonly log: Log,
  ) {
    panel.webview.html = webviewHtml(panel.webview, extensionUri, 'runDetails', panel.title);
    this.disposables.push(
      panel.webview.onDidReceiveMessage((m) => this.onMessage(m)),
      store.onDidChange(() => this.update()),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  private onMessage(m: unknown): void {
    if (!isMessage(m)) return;
    switch (m.type) {
      case 'ready':
        this.ready = true;
        this.lastSent = '';
        this.update();
        break;
      case 'openArtifact': {
        const rel = (m as { path?: unknown }).path;
        if (typeof rel !== 'string') return;
        this.openArtifact(rel);
        break;
      }
      case 'copy': {
        const text = (m as { text?: unknown }).text;
        if (typeof text === 'string') void vscode.env.clipboard.writeText(text);
        break;
      }
    }
  }

  private openArtifact(rel: string): void {
    const t = this.store.tracker();
    if (!t) return;
    try {
      const file = t.artifactPath(this.runId, rel);
      void vscode.commands.executeCommand('vscode.open', vscode.Uri.file(file), { preview: true });
    } catch (e) {
      this.log.error(`Cannot open artifact '${rel}' of run ${this.runId}`, e);
      void vscode.window.showErrorMessage(`Cannot open artifact: ${errorMessage(e)}`);
    }
  }

  private post(msg: RunDetailsToWebview): void {
    const key = JSON.stringify(msg);
    if (key === this.lastSent) return;
    this.lastSent = key;
    this.sent.push(msg);
    void this.panel.webview.postMessage(msg);
  }

  update(): void {
    if (!this.ready) return;
    const run = this.store.snapshot.runs.find((r) => r.id === this.runId);
    const t = this.store.tracker();
    if (!run || !t) {
      this.post({ type: 'gone', runId: this.runId, reason: 'This run was deleted or can no longer be read (see the MLOps output).' });
      return;
    }
    this.panel.title = `Run: ${run.name}`;
    const series = readMetricSeries(t.store, run.id);
    this.post({ type: 'run', run: toRunView(run), history: toSeries(series.points) });
  }

  dispose(): void {
    RunDetailsPanel.panels.delete(this.runId);
    for (const d of this.disposables) d.dispose();
    this.disposables = [];
    this.panel.dispose();
  }

  static disposeAll(): void {
    for (const p of [...RunDetailsPanel.panels.values()]) p.dispose();
  }
}
