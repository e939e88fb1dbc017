/**
 * Watching batch folders: for each monitor with `watch: true` in a folder's mlops.yaml (`monitoring.monitors[]`), a
 * GlobWatcher on its `current` glob starts a drift check for each new batch file, once, after its writes settle.
 * Re-armed when mlops.yaml changes (its errors become diagnostics on the file), when workspace folders change and
 * when the workspace is trusted. Off in Restricted Mode, where only the batch log's baseline is recorded. Batches that
 * landed while nothing watched are checked at the next arming (see core/monitoring/batchLog.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CONFIG_FILE, ConfigError, type MonitorConfig, resolveConfigPath, type WorkbenchConfig } from '../../core/config/config';
import { BatchLog, monitorKey } from '../../core/monitoring/batchLog';
import { globFiles } from '../../core/util/glob';
import { errorMessage } from '../../core/util/errors';
import type { Log } from '../log';
import { GlobWatcher } from '../util/globWatcher';
import type { WorkspaceStore, WorkspaceStores } from '../workspaceStores';
import { ConfigDiagnostics } from './configDiagnostics';
import type { DriftCheckArgs } from './driftChecker';

/** A batch file is checked once no write has touched it for this long (a file written in chunks is checked once). */
const BATCH_DEBOUNCE_MS = 500;
/** The poll that catches batches whose file events are late or missing (network drives, some remote hosts). */
const BATCH_POLL_MS = 2000;
/** mlops.yaml edits re-arm the watchers once the file has been quiet this long. */
const CONFIG_DEBOUNCE_MS = 300;

export type StartCheck = (store: WorkspaceStore, args: DriftCheckArgs) => Promise<unknown>;

export class BatchWatchers implements vscode.Disposable {
  /** What is armed (folder → monitors with their globs), for the tests and the log. */
  readonly armed = new Map<string, { model: string; glob: string }[]>();
  private readonly diagnostics = new ConfigDiagnostics();
  private batchWatchers: vscode.Disposable[] = [];
  private configWatchers: vscode.Disposable[] = [];
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly stores: WorkspaceStores,
    private readonly log: Log,
    private readonly startCheck: StartCheck,
    /** Where damaged batch logs are reported (once per file). */
    private readonly reportProblem: (file: string, message: string) => void,
  ) {
    this.disposables.push(
      this.diagnostics,
      stores.onDidChange((s) => {
        if (s) return;
        this.watchConfigs(); // workspace folders changed
        this.arm();
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.arm()),
    );
    this.watchConfigs();
    this.arm();
  }

  /** (Re-)arm a watcher for every watched monitor of every folder. */
  arm(): void {
    for (const w of this.batchWatchers) w.dispose();
    this.batchWatchers = [];
    this.armed.clear();
    this.diagnostics.clear();
    for (const store of this.stores.all()) {
      const armed = this.armStore(store);
      if (!armed.length) continue;
      this.armed.set(store.folder.uri.fsPath, armed);
      this.log.info(`Monitoring ${store.folder.name}: watching ${armed.map((a) => `${a.glob} (${a.model})`).join(', ')}`);
    }
  }

  private watchConfigs(): void {
    for (const w of this.configWatchers) w.dispose();
    this.configWatchers = this.stores.all().map((store) => new GlobWatcher(store.folder, CONFIG_FILE, { debounceMs: CONFIG_DEBOUNCE_MS }, () => this.arm()));
  }

  /** The monitors armed in `store`'s folder (none in Restricted Mode, where their baselines are recorded). */
  private armStore(store: WorkspaceStore): { model: string; glob: string }[] {
    const cfg = this.configOf(store);
    if (!cfg) return [];
    const tracker = store.tracker();
    const batchLog = tracker ? new BatchLog(tracker.store.root, this.reportProblem) : undefined;
    const folderPath = store.folder.uri.fsPath;
    const watched = cfg.monitors.filter((m) => m.watch && m.current).map((m) => ({ m, rel: relativePath(folderPath, resolveConfigPath(cfg, m.current!)) }));
    // Watching runs checks on files as they appear: nothing starts by itself in Restricted Mode. The batch log
    // still gets its baseline there, so that batches arriving now are checked once the workspace is trusted.
    if (!vscode.workspace.isTrusted) {
      for (const { m, rel } of watched) {
        try {
          batchLog?.arm(monitorKey(m.model, rel), globFiles(folderPath, rel).map((f) => relativePath(folderPath, f))); // records a baseline only the first time
        } catch (e) {
          this.log.warn(`Monitoring: could not record the batches of ${rel}: ${errorMessage(e)}`);
        }
      }
      return [];
    }
    for (const { m, rel } of watched) this.batchWatchers.push(this.watchMonitor(store, cfg, m, rel, batchLog));
    return watched.map(({ m, rel }) => ({ model: m.model, glob: rel }));
  }

  /** The folder's config; undefined when there is none, or when it is broken (then logged and a diagnostic). */
  private configOf(store: WorkspaceStore): WorkbenchConfig | undefined {
    try {
      return store.config();
    } catch (e) {
      this.log.warn(`Monitoring is not watching ${store.folder.name}: ${errorMessage(e)}`);
      if (e instanceof ConfigError) this.diagnostics.report(e);
      return undefined;
    }
  }

  /**
   * Watch one monitor's glob. Batches that arrived while no trusted window watched it (VS Code closed, Restricted
   * Mode, the monitor off) are checked now; on its first arming the files present are its baseline, not checked.
   */
  private watchMonitor(store: WorkspaceStore, cfg: WorkbenchConfig, m: MonitorConfig, rel: string, batchLog: BatchLog | undefined): vscode.Disposable {
    const folderPath = store.folder.uri.fsPath;
    const key = monitorKey(m.model, rel);
    const known = new Set<string>(); // each file is a batch, checked once
    const watcher = new GlobWatcher(store.folder, rel, { debounceMs: BATCH_DEBOUNCE_MS, pollMs: BATCH_POLL_MS, settle: 'file' }, (file) => {
      if (!fs.existsSync(file) || known.has(file)) return;
      known.add(file);
      const r = relativePath(folderPath, file);
      try {
        batchLog?.mark(key, [r], 'checked');
      } catch (e) {
        this.log.warn(`Monitoring: could not record ${r} in the batch log: ${errorMessage(e)}`);
      }
      this.log.info(`New batch ${r} for the ${m.model} monitor: checking drift`);
      this.check(store, cfg, m, file, r);
    });
    const present = globFiles(folderPath, rel);
    let missed: string[] = [];
    try {
      missed = batchLog ? batchLog.arm(key, present.map((f) => relativePath(folderPath, f))) : [];
    } catch (e) {
      this.log.warn(`Monitoring: could not read the batch log of ${store.folder.name}: ${errorMessage(e)}`);
    }
    for (const f of present) if (!missed.includes(relativePath(folderPath, f))) known.add(f);
    if (missed.length) this.log.info(`Monitoring ${store.folder.name}: ${missed.length} batch(es) of ${rel} arrived while ${m.model} was not watched (${missed.join(', ')}): checking them`);
    for (const f of missed) watcher.changed(path.join(folderPath, f));
    return watcher;
  }

  /** Check a new batch with its monitor's settings; a failure is logged and shown. */
  private check(store: WorkspaceStore, cfg: WorkbenchConfig, m: MonitorConfig, file: string, rel: string): void {
    const args: DriftCheckArgs = { current: file, reference: m.reference ? resolveConfigPath(cfg, m.reference) : undefined, modelUri: m.model_uri, model: m.model, retrain: m.retrain, driftShare: m.drift_share, performanceThreshold: m.performance_threshold, missingShare: m.missing_share, columns: m.columns };
    this.startCheck(store, args).catch((e) => {
      this.log.error(`Drift check of ${rel} failed`, e);
      void vscode.window.showErrorMessage(`MLOps: the drift check of ${rel} failed: ${errorMessage(e)}`);
    });
  }

  dispose(): void {
    for (const d of [...this.disposables, ...this.batchWatchers, ...this.configWatchers]) d.dispose();
  }
}

/** `abs` relative to `folder`, `/`-separated (how globs and the batch log name files). */
function relativePath(folder: string, abs: string): string {
  return path.relative(folder, abs).split(path.sep).join('/');
}
