/**
 * The open Compare tabs, owned by one manager created at activation (like VS Code's Markdown preview manager):
 * it opens a comparison (revealing the tab that already shows those runs, or reusing the unlocked tab used last),
 * keeps the tabs most recently active first, keeps the Lock / Unlock context key in step, and is the serializer
 * that restores the tabs after a window reload from the state their webviews saved.
 */
import * as vscode from 'vscode';
import { type CompareSettings, defaultSettings, normalizeSettings } from '../../core/compare/model';
import { parseRefKey } from '../../core/compare/runRefs';
import type { CompareWebviewState } from '../../shared/protocol';
import { ConfigKey, ContextKey, PanelType, setContext, setting } from '../keys';
import { Disposable } from '../util/dispose';
import { PanelSet } from '../webviews/panelSet';
import { webviewOptions } from '../webviews/webviewHtml';
import { ComparePanel, type ComparePanelDeps } from './comparePanel';

export interface CompareOpenOptions {
  title?: string;
  settings?: CompareSettings;
  /** Epoch ms when the command started: the webview reports how long after it the panel was fully drawn. */
  requestedAt?: number;
}

const MAX_RUNS = 2000;
const MAX_NAME = 300;

/**
 * The state a webview saved (untrusted: checked field by field), or undefined when it names no run. Runs are keys
 * (core/compare/runRefs.ts): a workspace run id, or `<MLflow source URI>#<run id>`.
 */
export function parseState(v: unknown): CompareWebviewState | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  if (!Array.isArray(o.runIds)) return undefined;
  const runIds = [...new Set(o.runIds.filter((x): x is string => parseRefKey(x) !== undefined))].slice(0, MAX_RUNS);
  if (!runIds.length) return undefined;
  const title = typeof o.title === 'string' && o.title.length <= 300 ? o.title : `Compare: ${runIds.length} runs`;
  const names: Record<string, string> = {};
  if (o.names && typeof o.names === 'object' && !Array.isArray(o.names)) {
    const saved = o.names as Record<string, unknown>;
    for (const id of runIds) {
      const n = Object.prototype.hasOwnProperty.call(saved, id) ? saved[id] : undefined;
      if (typeof n === 'string' && n.length <= MAX_NAME) names[id] = n;
    }
  }
  return { v: 1, runIds, title, settings: normalizeSettings(o.settings), ...(o.locked === true ? { locked: true } : {}), ...(Object.keys(names).length ? { names } : {}) };
}

/** A set of runs, in any order. */
function runSetKey(runIds: readonly string[]): string {
  return [...new Set(runIds)].sort().join(',');
}

export class ComparePanelManager extends Disposable implements vscode.WebviewPanelSerializer {
  /** The open Compare tabs, the one active most recently first. */
  private readonly panels = this.register(new PanelSet<ComparePanel>());

  constructor(private readonly deps: ComparePanelDeps) {
    super();
    this.register(vscode.window.registerWebviewPanelSerializer(PanelType.compare, this));
  }

  /** Open a comparison (or reveal the one already showing exactly these runs). */
  open(runIds: string[], options: CompareOpenOptions = {}): ComparePanel {
    const ids = [...new Set(runIds)].slice(0, MAX_RUNS);
    const shown = this.panelFor(ids);
    if (shown) {
      shown.panel.reveal();
      return shown;
    }
    const title = options.title ?? `Compare: ${ids.length} runs`;
    // mlops.compare.reuseTab (default on): show the new comparison in the Compare tab used last unless it is locked
    // (like VS Code's Markdown preview) — no new webview to start, which in VS Code for the Web is most of the time
    // an open takes (~0.5–1.5 s against ~0.3 s to redraw an open tab).
    const target = setting<boolean>(ConfigKey.compareReuseTab) ? this.reusable() : undefined;
    if (target) {
      target.retarget(ids, title, options.settings ?? defaultSettings(), options.requestedAt);
      target.panel.reveal();
      return target;
    }
    const panel = vscode.window.createWebviewPanel(PanelType.compare, title, vscode.ViewColumn.Active, webviewOptions(this.deps.extensionUri));
    return this.track(new ComparePanel(this.deps, panel, ids, title, options.settings ?? defaultSettings(), options.requestedAt, false));
  }

  /** Restore a panel after a window reload from the state its webview saved (a state naming no run closes it). */
  async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    const s = parseState(state);
    if (!s) {
      this.deps.log.warn('A Compare Runs panel could not be restored (no runs in its saved state); closing it.');
      panel.dispose();
      return;
    }
    panel.webview.options = webviewOptions(this.deps.extensionUri);
    this.deps.log.info(`Restored a Compare Runs panel (${s.runIds.length} runs).`);
    this.track(new ComparePanel(this.deps, panel, s.runIds, s.title, s.settings, undefined, s.locked === true, s.names));
  }

  /** The open Compare tabs, the one active most recently first. */
  all(): ComparePanel[] {
    return this.panels.all();
  }

  /** The open tab comparing exactly these runs (any order). */
  panelFor(runIds: readonly string[]): ComparePanel | undefined {
    const key = runSetKey(runIds);
    return this.panels.find((p) => runSetKey(p.runIds) === key);
  }

  /** The Compare tab that is the active editor, if any. */
  active(): ComparePanel | undefined {
    return this.panels.find((p) => p.panel.active);
  }

  /** The unlocked Compare tab used most recently: the one a new comparison replaces. */
  private reusable(): ComparePanel | undefined {
    return this.panels.find((p) => !p.locked);
  }

  private track(p: ComparePanel): ComparePanel {
    this.panels.add(p);
    this.panels.touch(p);
    const viewState = p.panel.onDidChangeViewState((e) => {
      if (e.webviewPanel.active) this.panels.touch(p);
      this.syncContext();
    });
    p.onDidChangeLock(() => this.syncContext());
    p.onDidDispose(() => {
      viewState.dispose();
      this.syncContext();
    });
    this.syncContext();
    return p;
  }

  /** Context key for the editor title's Lock / Unlock actions: whether the active Compare tab is locked. */
  private syncContext(): void {
    void setContext(ContextKey.compareTabLocked, this.active()?.locked ?? false);
  }
}
