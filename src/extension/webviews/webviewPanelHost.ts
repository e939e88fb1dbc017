/**
 * What every webview panel of the extension shares (Compare Runs, the drift report, Open Run): the document (the
 * strict-CSP shell with the app inlined, see webviewHtml), the message plumbing (only well-formed messages reach a
 * panel, the last 200 each way are kept for the integration tests, `ready` is tracked, a handler that throws is
 * logged instead of breaking the panel), the start-up watchdog, and disposal.
 */
import * as vscode from 'vscode';
import { isMessage } from '../../shared/protocol';
import type { Log } from '../log';
import { webviewHtml } from './webviewHtml';

const KEEP = 200;

export abstract class WebviewPanelHost<To extends { type: string }, From extends { type: string }> implements vscode.Disposable {
  /** How long a visible panel may take to say `ready` before the log says it did not start. */
  static loadTimeoutMs = 10_000;

  /** Messages posted to the webview and received from it (the last 200 of each), kept for the integration tests. */
  readonly sent: To[] = [];
  readonly received: From[] = [];

  protected disposables: vscode.Disposable[] = [];
  protected ready = false;
  protected disposed = false;
  private loadTimer: NodeJS.Timeout | undefined;

  protected constructor(
    readonly panel: vscode.WebviewPanel,
    protected readonly log: Log,
    extensionUri: vscode.Uri,
    app: string,
    title: string,
    /** How the log names this kind of panel ("Compare", "Drift report", …). */
    private readonly kind: string,
  ) {
    panel.title = title;
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'mlops.svg');
    panel.webview.html = webviewHtml(panel.webview, extensionUri, app, title);
    this.disposables.push(
      panel.onDidChangeViewState(() => this.watchLoad()),
      panel.webview.onDidReceiveMessage((m) => this.receive(m)),
      panel.onDidDispose(() => this.dispose()),
    );
    this.watchLoad();
  }

  /** Handle one well-formed message from the webview (for `ready`, `this.ready` is already set). */
  protected abstract handle(m: From): void;

  /** Called once when the panel goes away, before its disposables and the panel itself are disposed. */
  protected onDispose(): void {}

  protected post(msg: To): void {
    this.sent.push(msg);
    if (this.sent.length > KEEP) this.sent.splice(0, this.sent.length - KEEP);
    void this.panel.webview.postMessage(msg);
  }

  private receive(raw: unknown): void {
    if (!isMessage(raw)) return;
    const m = raw as unknown as From;
    this.received.push(m);
    if (this.received.length > KEEP) this.received.splice(0, this.received.length - KEEP);
    try {
      if (m.type === 'ready') {
        this.ready = true;
        if (this.loadTimer) clearTimeout(this.loadTimer);
        this.loadTimer = undefined;
      }
      this.handle(m);
    } catch (e) {
      this.log.error(`${this.kind} panel: handling '${m.type}' failed`, e);
    }
  }

  /**
   * VS Code in a browser sometimes never starts a new webview: its frame waits for the webview service worker, which
   * cannot take over while another webview's fetch is pending (microsoft/vscode#125993 and related; ours fetch
   * nothing, other extensions' may). Say so in the log instead of failing silently.
   */
  private watchLoad(): void {
    if (this.ready || this.disposed || this.loadTimer || !this.panel.visible) return;
    this.loadTimer = setTimeout(() => {
      this.loadTimer = undefined;
      if (this.ready || this.disposed || !this.panel.visible) return;
      this.log.warn(`${this.kind}: the webview of '${this.panel.title}' has not started after ${WebviewPanelHost.loadTimeoutMs / 1000} s. If it stays blank, close it and run the command again (or reload the window).`);
    }, WebviewPanelHost.loadTimeoutMs);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.onDispose();
    if (this.loadTimer) clearTimeout(this.loadTimer);
    for (const d of this.disposables) d.dispose();
    this.disposables = [];
    this.panel.dispose();
  }
}
