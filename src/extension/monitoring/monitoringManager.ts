/**
 * Monitoring in the editor: the alerts and drift reports of every workspace store, "Check Drift" and what follows a
 * check (the report and alerts recorded, the views refreshed, drift-triggered retraining: `retrain: true` starts the
 * model's pipeline with trigger `drift`). It owns the units that show and feed them: the status-bar item
 * (AlertsStatusBar), the notification for new critical alerts (CriticalAlertNotifier), the batch-folder watchers
 * (BatchWatchers) and the worker that runs checks (DriftChecker). The Alerts view (AlertsTreeProvider) and the drift
 * report panels listen to onDidChange.
 */
import * as vscode from 'vscode';
import { Alert, AlertStatus, AlertStore } from '../../core/monitoring/alerts';
import { DriftReport, listReports } from '../../core/monitoring/monitor';
import { currentIdentity } from '../../core/registry/identity';
import type { Log } from '../log';
import type { PipelineManager } from '../pipelines/pipelineManager';
import type { WorkspaceStore, WorkspaceStores } from '../workspaceStores';
import type { AlertNode } from './alertsTree';
import { AlertsStatusBar } from './alertsStatusBar';
import { BatchWatchers } from './batchWatchers';
import { CriticalAlertNotifier } from './criticalAlertNotifier';
import { type DriftCheckArgs, DriftChecker } from './driftChecker';

/** An alert and the workspace store whose log holds it. */
export interface StoreAlert {
  alert: Alert;
  store: WorkspaceStore;
}

export class MonitoringManager implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<void>();
  /** The alerts or reports may have changed: a check, a status change, or any store change (this window, the CLI, another). */
  readonly onDidChange = this.emitter.event;
  readonly statusBar = new AlertsStatusBar();
  readonly batchWatchers: BatchWatchers;
  private readonly notifier: CriticalAlertNotifier;
  private readonly checker = new DriftChecker();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly stores: WorkspaceStores,
    private readonly pipelines: PipelineManager,
    private readonly log: Log,
  ) {
    this.notifier = new CriticalAlertNotifier(this.allAlerts().map((a) => a.alert), (model) => void pipelines.triggerDrift(model));
    this.batchWatchers = new BatchWatchers(stores, log, (store, args) => this.check(store, args), this.reportProblem);
    this.disposables.push(this.statusBar, this.batchWatchers, this.checker, stores.onDidChange(() => this.refresh()));
    this.refresh();
  }

  allAlerts(): StoreAlert[] {
    return this.stores.all().flatMap((store) => {
      const t = store.tracker();
      return t ? new AlertStore(t.store).list().alerts.map((alert) => ({ alert, store })) : [];
    });
  }

  /** Damaged lines of the alert logs of every store. */
  alertProblems(): string[] {
    return this.stores.all().flatMap((store) => {
      const t = store.tracker();
      return t ? new AlertStore(t.store).list().problems : [];
    });
  }

  /** Show the open alerts in the status bar, notify the new critical ones, and tell the views. */
  refresh(): void {
    const open = this.allAlerts().filter((a) => a.alert.status === 'open');
    this.statusBar.show(open.map((a) => a.alert));
    this.notifier.notifyNew(open);
    this.emitter.fire();
  }

  setStatus(node: AlertNode | { id: string } | undefined, status: AlertStatus): Alert | undefined {
    const id = node && 'kind' in node ? (node.kind === 'alert' ? node.alert.id : undefined) : node?.id;
    if (!id) return undefined;
    const hit = this.allAlerts().find((a) => a.alert.id === id);
    if (!hit) throw new Error(`No alert ${id}.`);
    const t = hit.store.tracker()!;
    const r = new AlertStore(t.store).setStatus(id, status, currentIdentity(hit.store.folder.uri.fsPath).display);
    hit.store.reload();
    this.refresh();
    return r;
  }

  /** Run a check (in a worker thread), record its report and alerts, and retrain when the monitor says so. */
  async check(store: WorkspaceStore, args: DriftCheckArgs): Promise<DriftReport> {
    const { report, model } = await this.checker.run(store, args);
    this.log.info(`Drift check ${report.id}: ${report.batch} — ${report.alerts.length} alert(s); drifted: ${report.columns.filter((c) => c.drifted).map((c) => c.name).join(', ') || 'none'}`);
    store.reload();
    this.refresh();
    if (args.retrain && report.alerts.length && model) {
      this.log.info(`Drift-triggered retraining of ${model.name}`);
      void this.pipelines.triggerDrift(model.name);
    }
    return report;
  }

  private readonly reportedProblems = new Set<string>();
  /** Damaged monitoring files (reports, the batch log) are logged once per file. */
  private readonly reportProblem = (file: string, message: string) => {
    if (this.reportedProblems.has(file)) return;
    this.reportedProblems.add(file);
    this.log.warn(`${file}: ${message}`);
  };

  /** The report `reportId` (or, without one, the newest report of the folder or of any folder) and its folder. */
  locateReport(folder?: string, reportId?: string): { report: DriftReport; folder: string } | undefined {
    let best: { report: DriftReport; folder: string } | undefined;
    for (const s of this.stores.all()) {
      if (folder && s.folder.uri.fsPath !== folder) continue;
      const t = s.tracker();
      if (!t) continue;
      const all = listReports(t.store.root, this.reportProblem);
      const r = reportId ? all.find((x) => x.id === reportId) : all.at(-1);
      if (r && reportId) return { report: r, folder: s.folder.uri.fsPath };
      if (r && (!best || r.time > best.report.time)) best = { report: r, folder: s.folder.uri.fsPath };
    }
    return best;
  }

  reportsOf(folder?: string): DriftReport[] {
    const s = this.stores.all().find((x) => !folder || x.folder.uri.fsPath === folder);
    const t = s?.tracker();
    return t ? listReports(t.store.root, this.reportProblem) : [];
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
    this.emitter.dispose();
  }
}
