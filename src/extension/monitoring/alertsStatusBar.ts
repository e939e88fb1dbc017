/**
 * The status-bar item while coding: "$(warning) 2 drift alerts" while alerts are open, in the error colour when one
 * is critical, hidden when none is. Clicking it opens the latest drift report.
 */
import * as vscode from 'vscode';
import type { Alert } from '../../core/monitoring/alerts';
import { CommandId, StatusBarId } from '../keys';

export class AlertsStatusBar implements vscode.Disposable {
  readonly item = vscode.window.createStatusBarItem(StatusBarId.driftAlerts, vscode.StatusBarAlignment.Left, 49);

  constructor() {
    this.item.name = 'MLOps: drift alerts';
    this.item.command = CommandId.openDriftReport;
  }

  /** Show the open alerts (or hide the item when there are none). */
  show(open: Alert[]): void {
    if (!open.length) {
      this.item.hide();
      return;
    }
    const critical = open.some((a) => a.severity === 'critical');
    this.item.text = `$(warning) ${open.length} drift alert${open.length === 1 ? '' : 's'}`;
    this.item.backgroundColor = new vscode.ThemeColor(critical ? 'statusBarItem.errorBackground' : 'statusBarItem.warningBackground');
    this.item.tooltip = `${open.length} open alert(s)${critical ? ', at least one critical' : ''}. Click to open the drift report.`;
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
