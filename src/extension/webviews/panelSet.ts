/**
 * The open panels of one kind, held by their panel manager (like the preview stores of VS Code's Markdown preview):
 * a panel joins when the manager creates or restores it and leaves by itself when it is disposed (its tab closed);
 * disposing the set disposes every panel still open.
 */
import type * as vscode from 'vscode';
import { Disposable, disposeAll } from '../util/dispose';

export interface ManagedPanel {
  readonly onDidDispose: vscode.Event<void>;
  dispose(): void;
}

export class PanelSet<P extends ManagedPanel> extends Disposable {
  private panels: P[] = [];

  /** Keep `panel` (at the end: the open order) until it is disposed. */
  add(panel: P): P {
    this.panels.push(panel);
    panel.onDidDispose(() => {
      this.panels = this.panels.filter((p) => p !== panel);
    });
    return panel;
  }

  /** Move `panel` to the front (for a most-recently-used-first order). */
  touch(panel: P): void {
    if (this.panels.includes(panel)) this.panels = [panel, ...this.panels.filter((p) => p !== panel)];
  }

  /** The open panels, in the set's order (a copy: disposing one while iterating is fine). */
  all(): P[] {
    return [...this.panels];
  }

  find(predicate: (panel: P) => boolean): P | undefined {
    return this.panels.find(predicate);
  }

  override dispose(): void {
    if (this.isDisposed) return;
    super.dispose();
    const open = this.panels;
    this.panels = [];
    disposeAll(open);
  }
}
