/**
 * One store per workspace folder (`mlops.storePath`, default `.mlops`), each watched for changes made by any
 * process: a FileSystemWatcher for quick notice, plus a 1 s poll of the store's `generation` file (which every
 * writer replaces after a change) so a change from the CLI or another window shows within 2 seconds even where
 * file events are not delivered. Reloads are incremental (see RunIndex).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { findConfig, loadConfig, type WorkbenchConfig } from '../core/config/config';
import { registryOptions } from '../core/registry/config';
import { Registry } from '../core/registry/registry';
import { IndexSnapshot } from '../core/store/runIndex';
import { Tracker } from '../core/tracking/tracker';
import { errorMessage, UserInputError } from '../core/util/errors';
import type { Log } from './log';
import { ConfigKey, affects, setting } from './keys';

export class WorkspaceStore implements vscode.Disposable {
  private trackerInstance: Tracker | undefined;
  private snap: IndexSnapshot = { experiments: [], runs: [], problems: [] };
  private openProblem: string | undefined;
  private lastStamp: string | undefined;
  private lastExists = false;
  private timer: NodeJS.Timeout | undefined;
  private reloadTimer: NodeJS.Timeout | undefined;
  private watcher: vscode.FileSystemWatcher | undefined;
  private lastFullReload = 0;
  private readonly emitter = new vscode.EventEmitter<WorkspaceStore>();
  readonly onDidChange = this.emitter.event;

  constructor(
    readonly folder: vscode.WorkspaceFolder,
    readonly root: string,
    private readonly log: Log,
  ) {
    try {
      this.watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(root), '**/*'));
      const kick = () => this.scheduleReload(150);
      this.watcher.onDidCreate(kick);
      this.watcher.onDidChange(kick);
      this.watcher.onDidDelete(kick);
    } catch (e) {
      log.warn(`File watcher for ${root} not available (${errorMessage(e)}); relying on polling.`);
    }
    this.reload();
    const interval = setting<number>(ConfigKey.pollIntervalMs);
    this.timer = setInterval(() => this.poll(), Math.max(200, interval));
  }

  get exists(): boolean {
    return fs.existsSync(path.join(this.root, 'store.json'));
  }

  get snapshot(): IndexSnapshot {
    return this.snap;
  }

  /** A store-level problem (e.g. an unreadable store.json) that prevents loading anything. */
  get storeProblem(): string | undefined {
    return this.openProblem;
  }

  /**
   * The model registry of this folder's store, with the options of its mlops.yaml (promoters, archive on promote);
   * with `create`, the store is created when missing. A broken mlops.yaml is reported where a command uses it (and as
   * diagnostics on the file); the registry itself still opens with the defaults.
   */
  registry(create = false): Registry | undefined {
    const t = this.tracker(create);
    if (!t) return undefined;
    let options = {};
    try {
      const cfg = this.config();
      if (cfg) options = registryOptions(cfg);
    } catch {
      /* reported by the command that needs the config (and as diagnostics on the file) */
    }
    return new Registry(t.store, options);
  }

  private configCache: { key: string; value?: WorkbenchConfig; error?: unknown } | undefined;

  /**
   * The folder's mlops.yaml, found and parsed once per change (cached by path, size and modification time, so an edit
   * takes effect at the next use): every command and view reads it here. Undefined when there is none; a broken file
   * throws its error (a ConfigError with line and column), for the command that needed it to show once.
   */
  config(): WorkbenchConfig | undefined {
    const file = findConfig(this.folder.uri.fsPath);
    if (!file) return undefined;
    const st = fs.statSync(file, { throwIfNoEntry: false });
    const key = `${file}:${st?.size}:${st?.mtimeMs}`;
    if (this.configCache?.key !== key) {
      try {
        this.configCache = { key, value: loadConfig(file) };
      } catch (e) {
        this.configCache = { key, error: e };
      }
    }
    if (this.configCache.error) throw this.configCache.error;
    return this.configCache.value;
  }

  /** The tracker for this folder; with `create`, the store is created when missing. */
  tracker(create = false): Tracker | undefined {
    if (this.trackerInstance) return this.trackerInstance;
    if (!create && !this.exists) return undefined;
    try {
      this.trackerInstance = Tracker.open(this.root, { create });
      this.openProblem = undefined;
    } catch (e) {
      this.openProblem = errorMessage(e);
      if (create) throw e;
    }
    return this.trackerInstance;
  }

  private poll(): void {
    const exists = this.exists;
    const stamp = exists ? (this.trackerInstance?.store.generationStamp() ?? 'new') : undefined;
    const hasRunning = this.snap.runs.some((r) => r.effectiveStatus === 'running');
    // Running runs: refresh every few seconds anyway (durations, and to notice a writer that died).
    const periodic = hasRunning && Date.now() - this.lastFullReload > 3000;
    if (exists !== this.lastExists || stamp !== this.lastStamp || periodic) this.reload();
  }

  scheduleReload(delay = 0): void {
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => {
      this.reloadTimer = undefined;
      this.reload();
    }, delay);
  }

  reload(): void {
    this.lastFullReload = Date.now();
    this.lastExists = this.exists;
    const t = this.tracker();
    this.lastStamp = this.lastExists ? (t?.store.generationStamp() ?? 'new') : undefined;
    const before = this.snap;
    if (!t) {
      this.snap = { experiments: [], runs: [], problems: this.openProblem ? [{ file: path.join(this.root, 'store.json'), message: this.openProblem }] : [] };
    } else {
      try {
        this.snap = t.snapshot();
      } catch (e) {
        this.log.error(`Reading the store ${this.root} failed`, e);
        this.snap = { experiments: [], runs: [], problems: [{ file: this.root, message: errorMessage(e) }] };
      }
    }
    const newProblems = this.snap.problems.filter((p) => !before.problems.some((q) => q.file === p.file && q.message === p.message));
    for (const p of newProblems) this.log.warn(`Store problem: ${p.file}: ${p.message}`);
    this.emitter.fire(this);
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    this.watcher?.dispose();
    this.emitter.dispose();
  }
}

export class WorkspaceStores implements vscode.Disposable {
  private stores = new Map<string, WorkspaceStore>();
  private readonly emitter = new vscode.EventEmitter<WorkspaceStore | undefined>();
  readonly onDidChange = this.emitter.event;
  private disposables: vscode.Disposable[] = [];

  constructor(private readonly log: Log) {
    this.sync();
    this.disposables.push(
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.sync()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (affects(e, ConfigKey.storePath) || affects(e, ConfigKey.pollIntervalMs)) this.sync(true);
      }),
    );
  }

  static storeRootFor(folder: vscode.WorkspaceFolder): string {
    const configured = setting<string>(ConfigKey.storePath, folder.uri) || '.mlops';
    return path.resolve(folder.uri.fsPath, configured);
  }

  private sync(recreate = false): void {
    const folders = vscode.workspace.workspaceFolders ?? [];
    const wanted = new Map(folders.map((f) => [f.uri.toString(), f]));
    for (const [key, s] of this.stores) {
      if (!wanted.has(key) || recreate) {
        s.dispose();
        this.stores.delete(key);
      }
    }
    for (const [key, f] of wanted) {
      if (this.stores.has(key)) continue;
      const root = WorkspaceStores.storeRootFor(f);
      const s = new WorkspaceStore(f, root, this.log);
      s.onDidChange((x) => this.emitter.fire(x));
      this.stores.set(key, s);
      this.log.info(`Store for folder '${f.name}': ${root}${s.exists ? '' : ' (not created yet)'}`);
    }
    this.emitter.fire(undefined);
  }

  all(): WorkspaceStore[] {
    const order = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.toString());
    return [...this.stores.entries()].sort((a, b) => order.indexOf(a[0]) - order.indexOf(b[0])).map(([, s]) => s);
  }

  forFolder(folder: vscode.WorkspaceFolder): WorkspaceStore | undefined {
    return this.stores.get(folder.uri.toString());
  }

  /**
   * The one place a command's store is resolved (git's getRepository(hint)/pickRepository()): the workspace folder
   * named by a command argument (its path), else the only folder's store, else the user's pick. An argument naming
   * no workspace folder is an error that says so.
   */
  async resolve(folder: string | undefined, placeHolder?: string): Promise<WorkspaceStore | undefined> {
    if (folder === undefined) return this.pick(placeHolder);
    const s = this.all().find((x) => x.folder.uri.fsPath === folder);
    if (!s) throw new UserInputError(`${folder} is not a folder of this workspace.`);
    return s;
  }

  /** A run by its id or a unique prefix of it (as the CLI and git resolve ids), across every workspace folder's store. */
  locateRun(idOrPrefix: string): { store: WorkspaceStore; runId: string } {
    const found: { store: WorkspaceStore; runId: string }[] = [];
    for (const store of this.all()) {
      const t = store.tracker();
      if (!t) continue;
      try {
        found.push({ store, runId: t.store.resolveRunId(idOrPrefix) });
      } catch (e) {
        if (/ambiguous/.test(errorMessage(e))) throw e; // several runs of one store start with it
      }
    }
    if (found.length === 1) return found[0];
    if (!found.length) throw new UserInputError(`No run id starts with '${idOrPrefix.trim()}' in this workspace.`);
    throw new UserInputError(`Run id prefix '${idOrPrefix.trim()}' is ambiguous: it matches runs in ${found.map((f) => f.store.folder.name).join(', ')}.`);
  }

  /** The store to write to: the only folder's, or the one the user picks. */
  async pick(placeHolder = 'Which workspace folder?'): Promise<WorkspaceStore | undefined> {
    const all = this.all();
    if (all.length <= 1) return all[0];
    const item = await vscode.window.showQuickPick(
      all.map((s) => ({ label: s.folder.name, description: s.root, store: s })),
      { placeHolder },
    );
    return item?.store;
  }

  reloadAll(): void {
    for (const s of this.stores.values()) s.reload();
  }

  dispose(): void {
    for (const s of this.stores.values()) s.dispose();
    this.stores.clear();
    this.emitter.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
