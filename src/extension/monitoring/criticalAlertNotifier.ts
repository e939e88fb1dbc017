/**
 * A notification for each new critical alert, from this window, the CLI or a watcher: one per checked batch (a batch
 * that degrades three metrics at once is one message, not three), with "Open Report" and "Retrain". Alerts that
 * exist when the window opens are not new.
 */
import * as vscode from 'vscode';
import type { Alert } from '../../core/monitoring/alerts';
import type { WorkspaceStore } from '../workspaceStores';
import { CommandId } from '../keys';

export class CriticalAlertNotifier {
  private readonly seen = new Set<string>();

  /** `known`: the alerts already there; `retrain`: starts the drift-triggered pipelines of a model. */
  constructor(known: Alert[], private readonly retrain: (model: string) => void) {
    for (const a of known) this.seen.add(a.id);
  }

  /** Notify the open alerts not seen before that are critical, grouped by report. */
  notifyNew(open: { alert: Alert; store: WorkspaceStore }[]): void {
    const fresh = new Map<string, { alerts: Alert[]; store: WorkspaceStore }>();
    for (const { alert, store } of open) {
      if (this.seen.has(alert.id)) continue;
      this.seen.add(alert.id);
      if (alert.severity !== 'critical') continue;
      const group = fresh.get(alert.reportId) ?? { alerts: [], store };
      group.alerts.push(alert);
      fresh.set(alert.reportId, group);
    }
    for (const [reportId, { alerts, store }] of fresh) {
      const a = alerts[0];
      const what = alerts.length === 1 ? `Critical ${a.type.replace('_', ' ')} alert on ${a.model}: ${a.subject}` : `${alerts.length} critical alerts on ${a.model}: ${alerts.map((x) => `${x.type.replace('_', ' ')} ${x.subject}`).join(', ')}`;
      void vscode.window.showWarningMessage(`${what} (${a.batch}).`, 'Open Report', 'Retrain').then((c) => {
        if (c === 'Open Report') void vscode.commands.executeCommand(CommandId.openDriftReport, { reportId, folder: store.folder.uri.fsPath });
        if (c === 'Retrain') this.retrain(a.model);
      });
    }
  }
}
