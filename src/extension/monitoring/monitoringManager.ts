/**
 * Monitoring in the editor: "Check Drift" (pick a batch; the reference is the model's training data recorded at
 * registration, or a chosen file; the model is the Production version), the Alerts tree (model → severity →
 * alerts, with acknowledge / dismiss / reopen), a status-bar item while coding ("$(warning) 2 drift alerts", in the
 * error colour when one is critical) that opens the latest drift report, a notification for a new critical alert
 * with "Open Report" and "Retrain", watching of batch folders (`monitoring.monitors[].current` globs in mlops.yaml;
 * debounced; off in Restricted Mode; batches that landed while nothing watched are checked at the next arming, see
 * core/monitoring/batchLog.ts) and drift-triggered retraining (`retrain: true` starts the model's pipeline with
 * trigger `drift`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CONFIG_FILE, ConfigError, type MonitorConfig, resolveConfigPath } from '../../core/config/config';
import { Alert, AlertStatus, AlertStore, Severity } from '../../core/monitoring/alerts';
import { BatchLog, monitorKey } from '../../core/monitoring/batchLog';
import { parseColumnOverride } from '../../core/monitoring/columnOverride';
import { checkDriftInWorker, type DriftJobModel } from '../../core/monitoring/driftJob';
import { DriftReport, listReports, recordDriftReport } from '../../core/monitoring/monitor';
import { globFiles, globToRegExp } from '../../core/util/glob';
import { currentIdentity } from '../../core/registry/identity';
import { resolveModelUri } from '../../core/registry/uri';
import { errorMessage } from '../../core/util/errors';
import { WorkerPool } from '../../core/worker/pool';
import type { Log } from '../log';
import type { PipelineManager } from '../pipelines/pipelineManager';
import type { WorkspaceStore, WorkspaceStores } from '../workspaceStores';
import { CommandId, StatusBarId } from '../keys';
import { problemItem, problemsGroupItem } from '../problemItems';


export type AlertNode =
  | { kind: 'alertModel'; model: string; alerts: Alert[] }
  | { kind: 'alertSeverity'; model: string; severity: Severity; alerts: Alert[] }
  | { kind: 'alert'; alert: Alert; store: WorkspaceStore }
  /** Damaged lines of monitoring/alerts.jsonl (`file:line: reason`): reported, skipped, never rewritten. */
  | { kind: 'alertProblems'; problems: string[] }
  | { kind: 'alertProblem'; problem: string };

const SEV_ORDER: Severity[] = ['critical', 'high', 'medium'];
const SEV_ICON: Record<Severity, [string, string]> = { critical: ['error', 'errorForeground'], high: ['warning', 'problemsWarningIcon.foreground'], medium: ['info', 'problemsInfoIcon.foreground'] };

export class MonitoringManager implements vscode.Disposable, vscode.TreeDataProvider<AlertNode> {
  private readonly emitter = new vscode.EventEmitter<AlertNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  readonly statusBar = vscode.window.createStatusBarItem(StatusBarId.driftAlerts, vscode.StatusBarAlignment.Left, 49);
  private disposables: vscode.Disposable[] = [];
  private watchers: vscode.Disposable[] = [];
  private seen = new Set<string>();
  private pool: WorkerPool | undefined;
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('mlops-monitoring');
  /** What the watchers are armed for (folder → monitors with their globs), for the tests and the log. */
  readonly armed = new Map<string, { model: string; glob: string }[]>();

  constructor(
    private readonly stores: WorkspaceStores,
    private readonly pipelines: PipelineManager,
    private readonly log: Log,
  ) {
    this.statusBar.name = 'MLOps: drift alerts';
    this.statusBar.command = CommandId.openDriftReport;
    for (const a of this.allAlerts()) this.seen.add(a.alert.id);
    // mlops.yaml edits re-arm the watchers (debounced); its errors show as diagnostics on the file.
    const configWatcher = vscode.workspace.createFileSystemWatcher(`**/${CONFIG_FILE}`);
    let rearm: NodeJS.Timeout | undefined;
    const onConfig = () => {
      clearTimeout(rearm);
      rearm = setTimeout(() => this.armWatchers(), 300);
    };
    this.disposables.push(
      this.statusBar,
      this.diagnostics,
      configWatcher,
      configWatcher.onDidCreate(onConfig),
      configWatcher.onDidChange(onConfig),
      configWatcher.onDidDelete(onConfig),
      { dispose: () => clearTimeout(rearm) },
      stores.onDidChange((s) => {
        if (!s) this.armWatchers(); // workspace folders changed
        this.refresh();
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.armWatchers()),
    );
    this.armWatchers();
    this.refresh();
  }

  allAlerts(): { alert: Alert; store: WorkspaceStore }[] {
    return this.stores.all().flatMap((store) => {
      const t = store.tracker();
      return t ? new AlertStore(t.store).list().alerts.map((alert) => ({ alert, store })) : [];
    });
  }

  refresh(): void {
    const open = this.allAlerts().filter((a) => a.alert.status === 'open');
    if (open.length) {
      const critical = open.some((a) => a.alert.severity === 'critical');
      this.statusBar.text = `$(warning) ${open.length} drift alert${open.length === 1 ? '' : 's'}`;
      this.statusBar.backgroundColor = new vscode.ThemeColor(critical ? 'statusBarItem.errorBackground' : 'statusBarItem.warningBackground');
      this.statusBar.tooltip = `${open.length} open alert(s)${critical ? ', at least one critical' : ''}. Click to open the drift report.`;
      this.statusBar.show();
    } else this.statusBar.hide();
    // New critical alerts (from this window, the CLI or a watcher) get a notification: one per checked batch, so
    // a batch that degrades three metrics at once is one message, not three.
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
        if (c === 'Retrain') void this.pipelines.triggerDrift(a.model);
      });
    }
    this.emitter.fire(undefined);
  }

  // ---------------------------------------------------------------- tree

  /** Damaged lines of the alert logs of every store. */
  alertProblems(): string[] {
    return this.stores.all().flatMap((store) => {
      const t = store.tracker();
      return t ? new AlertStore(t.store).list().problems : [];
    });
  }

  getChildren(node?: AlertNode): AlertNode[] {
    const all = this.allAlerts().filter((a) => a.alert.status !== 'dismissed');
    if (!node) {
      const models = [...new Set(all.map((a) => a.alert.model))].sort();
      const problems = this.alertProblems();
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
    const a = node.alert;
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
    it.command = { command: CommandId.openDriftReport, title: 'Open Report', arguments: [{ reportId: a.reportId, folder: node.store.folder.uri.fsPath, ...feature }] };
    return it;
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

  // ---------------------------------------------------------------- checks

  monitors(store: WorkspaceStore): { file: string; dir: string; monitors: MonitorConfig[] } | undefined {
    const cfg = store.config();
    return cfg ? { file: cfg.file, dir: cfg.dir, monitors: cfg.monitors } : undefined;
  }

  /**
   * Run a check and record its report and alerts in the store. The check itself (parsing both files, the tests,
   * the model's predictions) runs in a worker thread: a million-row batch never blocks the extension host. A
   * check started by a person shows a cancellable notification; one started by a watcher shows in the status bar.
   */
  async check(store: WorkspaceStore, args: { current: string; reference?: string; modelUri?: string; model?: string; retrain?: boolean; driftShare?: number; performanceThreshold?: number; missingShare?: number; columns?: Record<string, string>; interactive?: boolean }): Promise<DriftReport> {
    const tracker = store.tracker(true)!;
    const registry = store.registry(true)!;
    let model: DriftJobModel | undefined;
    const uri = args.modelUri ?? (args.model ? `models:/${args.model}/Production` : undefined);
    if (uri) {
      const version = resolveModelUri(registry, uri);
      model = { uri, name: version.model, version: version.version, dir: registry.artifactDir(version), sha256: version.modelSha256 };
    }
    let reference = args.reference;
    if (!reference && model) {
      const ds = registry.getModel(model.name).versions.find((v) => v.version === model!.version)?.run.dataset;
      if (ds) reference = path.resolve(store.folder.uri.fsPath, ds);
    }
    if (!reference) throw new Error('No reference data: register the model from a training run, or choose a reference file.');
    const title = `Checking drift of ${path.basename(args.current)}`;
    const columns = Object.fromEntries(Object.entries(args.columns ?? {}).map(([k, v]) => [k, parseColumnOverride(v)]));
    const options = { model, columns, driftShare: args.driftShare, performanceThreshold: args.performanceThreshold, missingShare: args.missingShare };
    this.pool ??= new WorkerPool(1);
    const pool = this.pool;
    const report = args.interactive
      ? await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (_p, token) => {
          const ac = new AbortController();
          token.onCancellationRequested(() => ac.abort());
          return checkDriftInWorker(pool, reference!, args.current, options, ac.signal);
        })
      : await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title }, () => checkDriftInWorker(pool, reference!, args.current, options));
    recordDriftReport(tracker.store, report, model?.name);
    this.log.info(`Drift check ${report.id}: ${report.batch} — ${report.alerts.length} alert(s); drifted: ${report.columns.filter((c) => c.drifted).map((c) => c.name).join(', ') || 'none'}`);
    store.reload();
    this.refresh();
    if (args.retrain && report.alerts.length && model) {
      this.log.info(`Drift-triggered retraining of ${model.name}`);
      void this.pipelines.triggerDrift(model.name);
    }
    return report;
  }

  private armWatchers(): void {
    for (const w of this.watchers) w.dispose();
    this.watchers = [];
    this.armed.clear();
    this.diagnostics.clear();
    for (const store of this.stores.all()) {
      let cfg: ReturnType<MonitoringManager['monitors']>;
      try {
        cfg = this.monitors(store);
      } catch (e) {
        this.log.warn(`Monitoring is not watching ${store.folder.name}: ${errorMessage(e)}`);
        if (e instanceof ConfigError) {
          const pos = new vscode.Position(Math.max(0, (e.line ?? 1) - 1), Math.max(0, (e.col ?? 1) - 1));
          const d = new vscode.Diagnostic(new vscode.Range(pos, pos.translate(0, 1)), e.detail, vscode.DiagnosticSeverity.Error);
          d.source = 'MLOps';
          this.diagnostics.set(vscode.Uri.file(e.file), [d]);
        }
        continue;
      }
      const tracker = store.tracker();
      const batchLog = tracker ? new BatchLog(tracker.store.root, this.reportProblem) : undefined;
      const folderPath = store.folder.uri.fsPath;
      const relOf = (abs: string) => path.relative(folderPath, abs).split(path.sep).join('/');
      const watched = (cfg?.monitors ?? []).filter((m) => m.watch && m.current).map((m) => ({ m, rel: relOf(resolveConfigPath({ dir: cfg!.dir } as never, m.current!)) }));
      // Watching runs checks on files as they appear: nothing starts by itself in Restricted Mode. The batch log
      // still gets its baseline there, so that batches arriving now are checked once the workspace is trusted.
      if (!vscode.workspace.isTrusted) {
        for (const { m, rel } of watched) {
          try {
            batchLog?.arm(monitorKey(m.model, rel), globFiles(folderPath, rel).map(relOf)); // records a baseline only the first time
          } catch (e) {
            this.log.warn(`Monitoring: could not record the batches of ${rel}: ${errorMessage(e)}`);
          }
        }
        continue;
      }
      const armed: { model: string; glob: string }[] = [];
      for (const { m, rel } of watched) {
        armed.push({ model: m.model, glob: rel });
        const re = globToRegExp(rel);
        const key = monitorKey(m.model, rel);
        const present = globFiles(folderPath, rel);
        // Batches that arrived while no trusted window watched this monitor (VS Code closed, Restricted Mode, the
        // monitor off) are checked now; on its first arming the files present are its baseline, not checked.
        let missed: string[] = [];
        try {
          missed = batchLog ? batchLog.arm(key, present.map(relOf)) : [];
        } catch (e) {
          this.log.warn(`Monitoring: could not read the batch log of ${store.folder.name}: ${errorMessage(e)}`);
        }
        const known = new Set(present.filter((f) => !missed.includes(relOf(f))));
        const pending = new Map<string, NodeJS.Timeout>();
        const onFile = (u: vscode.Uri) => {
          const r = relOf(u.fsPath);
          if (!re.test(r) || known.has(u.fsPath)) return;
          // Debounced: a file written in several chunks is checked once, after the writes stop.
          clearTimeout(pending.get(u.fsPath));
          pending.set(u.fsPath, setTimeout(() => {
            pending.delete(u.fsPath);
            if (!fs.existsSync(u.fsPath) || known.has(u.fsPath)) return;
            known.add(u.fsPath); // each new file is a new batch, checked once
            try {
              batchLog?.mark(key, [r], 'checked');
            } catch (e) {
              this.log.warn(`Monitoring: could not record ${r} in the batch log: ${errorMessage(e)}`);
            }
            this.log.info(`New batch ${r} for the ${m.model} monitor: checking drift`);
            void this.check(store, { current: u.fsPath, reference: m.reference ? resolveConfigPath({ dir: cfg!.dir } as never, m.reference) : undefined, modelUri: m.model_uri, model: m.model, retrain: m.retrain, driftShare: m.drift_share, performanceThreshold: m.performance_threshold, missingShare: m.missing_share, columns: m.columns }).catch((e) => {
              this.log.error(`Drift check of ${r} failed`, e);
              void vscode.window.showErrorMessage(`MLOps: the drift check of ${r} failed: ${errorMessage(e)}`);
            });
          }, 500));
        };
        if (missed.length) this.log.info(`Monitoring ${store.folder.name}: ${missed.length} batch(es) of ${rel} arrived while ${m.model} was not watched (${missed.join(', ')}): checking them`);
        for (const f of missed) onFile(vscode.Uri.file(path.join(folderPath, f)));
        const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(store.folder, rel));
        // File events can be late or missing (network drives, some remote hosts): a slow poll catches those.
        const poll = setInterval(() => {
          for (const f of globFiles(folderPath, rel)) if (!known.has(f) && !pending.has(f)) onFile(vscode.Uri.file(f));
        }, 2000);
        this.watchers.push(w, w.onDidCreate(onFile), w.onDidChange(onFile), { dispose: () => { clearInterval(poll); for (const t of pending.values()) clearTimeout(t); } });
      }
      if (armed.length) {
        this.armed.set(store.folder.uri.fsPath, armed);
        this.log.info(`Monitoring ${store.folder.name}: watching ${armed.map((a) => `${a.glob} (${a.model})`).join(', ')}`);
      }
    }
  }

  private readonly reportedProblems = new Set<string>();
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
    for (const d of [...this.disposables, ...this.watchers]) d.dispose();
    void this.pool?.dispose();
    this.emitter.dispose();
  }
}
