/**
 * What every webview panel of the extension shares (Compare Runs, the drift report, Open Run): the document (the
 * strict-CSP shell with the app inlined, see webviewHtml), the message plumbing (only well-formed messages reach a
 * panel, the last 200 each way are kept for the integration tests, `ready` is tracked, a handler that throws is
 * logged instead of breaking the panel), the start-up watchdog, and disposal (closing the tab disposes the host; a
 * panel manager hears of it through `onDidDispose`).
 */
import * as vscode from 'vscode';
import { isMessage } from '../../shared/protocol';
import type { Log } from '../log';
import { Disposable } from '../util/dispose';
import { webviewHtml } from './webviewHtml';

const KEEP = 200;

export abstract class WebviewPanelHost<To extends { type: string }, From extends { type: string }> extends Disposable {
  /** How long a visible panel may take to say `ready` before the log says it did not start. */
  static loadTimeoutMs = 10_000;

  /**
   * TEST-ONLY SURFACE (the one place product code keeps something for the tests): the last 200 messages posted to the
   * webview and received from it, read by test/integration through the extension's API. Nothing in src/ reads it.
   */
  readonly forTests: { sent: To[]; received: From[] } = { sent: [], received: [] };

  protected ready = false;
  private loadTimer: NodeJS.Timeout | undefined;
  private updateTimer: NodeJS.Timeout | undefined;
  private readonly disposeEmitter = new vscode.EventEmitter<void>();
  /** Fires once, when the panel goes away (its tab closed, or disposed by code). */
  readonly onDidDispose = this.disposeEmitter.event;

  protected constructor(
    readonly panel: vscode.WebviewPanel,
    protected readonly log: Log,
    extensionUri: vscode.Uri,
    app: string,
    title: string,
    /** How the log names this kind of panel ("Compare", "Drift report", …). */
    private readonly kind: string,
  ) {
    super();
    panel.title = title;
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'mlops.svg');
    panel.webview.html = webviewHtml(panel.webview, extensionUri, app, title);
    // Registered first, so disposed first: the subclass's onDispose and the listeners of onDidDispose run while the
    // subclass's own subscriptions still exist.
    this.register({
      dispose: () => {
        if (this.loadTimer) clearTimeout(this.loadTimer);
        if (this.updateTimer) clearTimeout(this.updateTimer);
        this.loadTimer = this.updateTimer = undefined;
        this.onDispose();
        this.disposeEmitter.fire();
      },
    });
    this.register(this.disposeEmitter);
    this.register(panel.onDidChangeViewState(() => this.watchLoad()));
    this.register(panel.webview.onDidReceiveMessage((m) => this.receive(m)));
    this.register(panel.onDidDispose(() => this.dispose()));
    this.watchLoad();
  }

  /** Handle one well-formed message from the webview (for `ready`, `this.ready` is already set). */
  protected abstract handle(m: From): void;

  /** Build the panel's data from the stores now and post it if it changed (nothing before the webview is ready). */
  abstract update(): void;

  /** update() once changes have been quiet for `delayMs`: a burst of store changes becomes one update. */
  protected scheduleUpdate(delayMs: number): void {
    if (!this.ready || this.isDisposed) return;
    if (this.updateTimer) clearTimeout(this.updateTimer);
    this.updateTimer = setTimeout(() => {
      this.updateTimer = undefined;
      this.update();
    }, delayMs);
  }

  /** Called once when the panel goes away, before its disposables and the panel itself are disposed. */
  protected onDispose(): void {}

  protected post(msg: To): void {
    keepLast(this.forTests.sent, msg);
    void this.panel.webview.postMessage(msg);
  }

  private receive(raw: unknown): void {
    if (!isMessage(raw)) return;
    const m = raw as unknown as From;
    keepLast(this.forTests.received, m);
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
    if (this.ready || this.isDisposed || this.loadTimer || !this.panel.visible) return;
    this.loadTimer = setTimeout(() => {
      this.loadTimer = undefined;
      if (this.ready || this.isDisposed || !this.panel.visible) return;
      this.log.warn(`${this.kind}: the webview of '${this.panel.title}' has not started after ${WebviewPanelHost.loadTimeoutMs / 1000} s. If it stays blank, close it and run the command again (or reload the window).`);
    }, WebviewPanelHost.loadTimeoutMs);
  }

  /** Close the panel: onDispose, onDidDispose, every registered disposable, then the webview panel itself. */
  override dispose(): void {
    if (this.isDisposed) return;
    try {
      super.dispose();
    } finally {
      this.panel.dispose();
    }
  }
}

function keepLast<T>(list: T[], item: T): void {
  list.push(item);
  if (list.length > KEEP) list.splice(0, list.length - KEEP);
}
