/**
 * The Alerts view: model → severity (critical first) → alert, with the damaged lines of the alert logs in a
 * "Problems" group. Acknowledged alerts show a check; dismissed ones leave the tree. An alert opens its drift report
 * (a feature's alert with that feature's histogram shown). It re-reads the alerts whenever monitoring changes.
 */
import * as vscode from 'vscode';
import type { Alert, Severity } from '../../core/monitoring/alerts';
import type { WorkspaceStore } from '../workspaceStores';
import { CommandId } from '../keys';
import { problemItem, problemsGroupItem } from '../problemItems';
import type { MonitoringManager } from './monitoringManager';

export type AlertNode =
  | { kind: 'alertModel'; model: string; alerts: Alert[] }
  | { kind: 'alertSeverity'; model: string; severity: Severity; alerts: Alert[] }
  | { kind: 'alert'; alert: Alert; store: WorkspaceStore }
  /** Damaged lines of monitoring/alerts.jsonl (`file:line: reason`): reported, skipped, never rewritten. */
  | { kind: 'alertProblems'; problems: string[] }
  | { kind: 'alertProblem'; problem: string };

const SEV_ORDER: Severity[] = ['critical', 'high', 'medium'];
const SEV_ICON: Record<Severity, [string, string]> = { critical: ['error', 'errorForeground'], high: ['warning', 'problemsWarningIcon.foreground'], medium: ['info', 'problemsInfoIcon.foreground'] };

export class AlertsTreeProvider implements vscode.TreeDataProvider<AlertNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<AlertNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly monitoring: MonitoringManager) {
    this.subscription = monitoring.onDidChange(() => this.emitter.fire(undefined));
  }

  getChildren(node?: AlertNode): AlertNode[] {
    const all = this.monitoring.allAlerts().filter((a) => a.alert.status !== 'dismissed');
    if (!node) {
      const models = [...new Set(all.map((a) => a.alert.model))].sort();
      const problems = this.monitoring.alertProblems();
      return [
        ...(problems.length ? [{ kind: 'alertProblems' as const, problems }] : []),
        ...models.map((model): AlertNode => ({ kind: 'alertModel', model, alerts: all.filter((a) => a.alert.model === model).map((a) => a.alert) })),
      ];
    }
    if (node.kind === 'alertProblems') return node.problems.map((problem) => ({ kind: 'alertProblem', problem }));
    if (node.kind === 'alertModel') return SEV_ORDER.map((severity) => ({ kind: 'alertSeverity' as const, model: node.model, severity, alerts: node.alerts.filter((a) => a.severity === severity) })).filter((n) => n.alerts.length);
    if (node.kind === 'alertSeverity') return node.alerts.map((alert) => ({ kind: 'alert', alert, store: all.find((a) => a.alert.id === alert.id)!.store }));
    return [];
  }

  getTreeItem(node: AlertNode): vscode.TreeItem {
    if (node.kind === 'alertProblems') return problemsGroupItem(node.problems.length, { id: 'alertProblems', contextValue: 'alertProblems', tooltip: 'Damaged lines of the alert log: skipped, never rewritten. Run MLOps: Check Store for the whole store.' });
    if (node.kind === 'alertProblem') {
      const m = /^(.*?):(\d+): (.*)$/.exec(node.problem);
      return m ? problemItem(m[1], Number(m[2]), m[3], { contextValue: 'alertProblem' }) : problemItem(node.problem, undefined, '', { contextValue: 'alertProblem' });
    }
    if (node.kind === 'alertModel') {
      const it = new vscode.TreeItem(node.model, vscode.TreeItemCollapsibleState.Expanded);
      it.iconPath = new vscode.ThemeIcon('package');
      it.description = `${node.alerts.filter((a) => a.status === 'open').length} open`;
      return it;
    }
    if (node.kind === 'alertSeverity') {
      const it = new vscode.TreeItem(node.severity, vscode.TreeItemCollapsibleState.Expanded);
      const [icon, color] = SEV_ICON[node.severity];
      it.iconPath = new vscode.ThemeIcon(icon, new vscode.ThemeColor(color));
      it.description = String(node.alerts.length);
      return it;
    }
    return alertItem(node.alert, node.store);
  }

  dispose(): void {
    this.subscription.dispose();
    this.emitter.dispose();
  }
}

function alertItem(a: Alert, store: WorkspaceStore): vscode.TreeItem {
  const it = new vscode.TreeItem(`${a.subject}`, vscode.TreeItemCollapsibleState.None);
  const [icon, color] = SEV_ICON[a.severity];
  it.iconPath = new vscode.ThemeIcon(a.status === 'acknowledged' ? 'check' : icon, new vscode.ThemeColor(color));
  it.description = `${a.type.replace('_', ' ')} · ${a.batch}${a.status !== 'open' ? ` · ${a.status}` : ''}`;
  const md = new vscode.MarkdownString();
  const esc = (s: string) => s.replace(/[\\`*_[\]<>|#]/g, (x) => '\\' + x);
  md.appendMarkdown(`**${esc(a.type)}** on ${esc(a.model)} — ${a.severity}\n\n${esc(a.subject)}: ${esc(a.method)} score ${a.score} (threshold ${a.threshold}); reference ${esc(String(a.referenceValue))}, current ${esc(String(a.currentValue))}\n\n${esc(a.recommendation)}`);
  it.tooltip = md;
  it.contextValue = `alert.${a.status}`;
  // A feature's alert opens the report with that feature's histogram shown.
  const feature = (a.type === 'data_drift' || a.type === 'data_quality') && a.subject !== '(dataset)' ? { feature: a.subject } : {};
  it.command = { command: CommandId.openDriftReport, title: 'Open Report', arguments: [{ reportId: a.reportId, folder: store.folder.uri.fsPath, ...feature }] };
  return it;
}
