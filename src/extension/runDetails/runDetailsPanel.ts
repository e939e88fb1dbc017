/**
 * "Open Run": a read-only details view of one run (params, metrics, tags, environment, artifacts). One panel per
 * run (RunDetailsPanelManager keeps them); it follows changes to the run (live metrics) and says so when the run is
 * deleted. Artifact links open the file in an editor, after checking the path stays inside the run's artifact folder.
 */
import * as vscode from 'vscode';
import { errorMessage } from '../../core/util/errors';
import type { RunDetailsFromWebview, RunDetailsToWebview } from '../../shared/protocol';
import type { Log } from '../log';
import { webviewOptions } from '../webviews/webviewHtml';
import { WebviewPanelHost } from '../webviews/webviewPanelHost';
import { PanelSet } from '../webviews/panelSet';
import { Disposable } from '../util/dispose';
import type { RunTarget } from './runTargets';
import { BuiltinCommand, PanelType } from '../keys';

export class RunDetailsPanel extends WebviewPanelHost<RunDetailsToWebview, RunDetailsFromWebview> {
  static readonly viewType = PanelType.runDetails;
  private lastSent = '';

  constructor(
    panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    readonly target: RunTarget,
    log: Log,
  ) {
    super(panel, log, extensionUri, 'runDetails', panel.title, 'Open Run');
    this.register(target.onDidChange(() => this.update()));
  }

  get runId(): string {
    return this.target.runId;
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
    this.target.artifactFile(rel).then(
      (uri) => vscode.commands.executeCommand(BuiltinCommand.open, uri, { preview: true }),
      (e: unknown) => {
        this.log.error(`Cannot open artifact '${rel}' of run ${this.runId}`, e);
        void vscode.window.showErrorMessage(`Cannot open artifact: ${errorMessage(e)}`);
      },
    );
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
    this.target.load().then(
      (r) => {
        if (this.isDisposed) return;
        if ('gone' in r) return this.send({ type: 'gone', runId: this.runId, reason: r.gone });
        this.panel.title = `Run: ${r.run.name}`;
        this.send({ type: 'run', run: r.run, history: r.history });
      },
      (e: unknown) => this.send({ type: 'gone', runId: this.runId, reason: `This run cannot be read: ${errorMessage(e)}` }),
    );
  }
}

/** The open run details panels, owned by one manager created at activation (no serializer: they are not restored). */
export class RunDetailsPanelManager extends Disposable {
  private readonly panels = this.register(new PanelSet<RunDetailsPanel>());

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: Log,
  ) {
    super();
  }

  /** Open the run's panel (or reveal the one already showing it). */
  show(target: RunTarget, title?: string): RunDetailsPanel {
    const existing = this.panels.find((p) => p.target.key === target.key);
    if (existing) {
      existing.panel.reveal();
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(RunDetailsPanel.viewType, `Run: ${title ?? target.runId.slice(0, 8)}`, vscode.ViewColumn.Active, webviewOptions(this.extensionUri));
    return this.panels.add(new RunDetailsPanel(panel, this.extensionUri, target, this.log));
  }

  /** The open panel of this run. */
  get(runId: string): RunDetailsPanel | undefined {
    return this.panels.find((p) => p.runId === runId);
  }
}
