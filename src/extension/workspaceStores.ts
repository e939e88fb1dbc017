/**
 * One store per workspace folder (`mlops.storePath`, default `.mlops`), each watched for changes made by any
 * process: a FileSystemWatcher for quick notice, plus a 1 s poll of the store's `generation` file (which every
 * writer replaces after a change) so a change from the CLI or another window shows within 2 seconds even where
 * file events are not delivered.
 *
 * The store's runs are loaded and queried in a worker thread (core/tracking/storeIndexJob.ts: the persistent
 * StoreIndex), never on the extension host: `summary` (experiments, run counts, problems) and the async queries
 * (`page`, `best`, `filterCounts`, `runsMatching`), behind the store's RunSource (`source()`), are what the views and
 * the commands use. `snapshot` — every run as a `Run`, read on the host when asked (incrementally after the first
 * time, see RunIndex) — is no longer read by any view or command; the integration tests use it as their full scan.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { showQuickPick } from './util/questions';
import { findConfig, loadConfig, type WorkbenchConfig } from '../core/config/config';
import { registryOptions } from '../core/registry/config';
import { Registry } from '../core/registry/registry';
import { IndexSnapshot } from '../core/store/runIndex';
import type { Run } from '../core/store/types';
import type { IndexPageQuery, IndexSummary } from '../core/tracking/storeIndex';
import { StoreIndexClient } from '../core/tracking/storeIndexJob';
import { Tracker } from '../core/tracking/tracker';
import { IndexedWorkspaceSource } from '../core/sources/workspace/workspaceSource';
import { WorkerPool } from '../core/worker/pool';
import { errorMessage, UserInputError } from '../core/util/errors';
import type { Log } from './log';
import { ConfigKey, affects, setting } from './keys';

/**
 * "Indexing the runs of wafer: 37% (370,000 of 1,000,000)" — a first open — or "Checking …" (a full check); without a
 * folder (the tree, where the per cent must fit a narrow side bar) "Indexing runs: 37% (…)".
 */
export function indexProgressText(folder: string | undefined, p: { done: number; total: number; rebuilding: boolean }): string {
  const pct = p.total ? Math.floor((100 * p.done) / p.total) : 0;
  return `${p.rebuilding ? 'Indexing' : 'Checking'} ${folder === undefined ? 'runs' : `the runs of ${folder}`}: ${pct}% (${p.done.toLocaleString('en')} of ${p.total.toLocaleString('en')})`;
}

const EMPTY_SUMMARY: IndexSummary = { experiments: [], runCount: 0, problems: [], runningCount: 0, version: 0 };
const RUN_PATH = /[\\/]runs[\\/]([0-9a-f]{32})(?:[\\/]|$)/;

export class WorkspaceStore implements vscode.Disposable {
  private trackerInstance: Tracker | undefined;
  private sourceInstance: IndexedWorkspaceSource | undefined;
  private snap: IndexSnapshot = { experiments: [], runs: [], problems: [] };
  /** The host-side snapshot is read again at its next use after a change. */
  private snapStale = true;
  private summaryNow: IndexSummary = EMPTY_SUMMARY;
  private indexClient: StoreIndexClient | undefined;
  private indexLoading: Promise<void> | undefined;
  private pendingReload = false;
  private pendingFull = false;
  private hints = new Set<string>();
  private disposed = false;
  private openProblem: string | undefined;
  private lastStamp: string | undefined;
  private lastExists = false;
  private timer: NodeJS.Timeout | undefined;
  private reloadTimer: NodeJS.Timeout | undefined;
  private watcher: vscode.FileSystemWatcher | undefined;
  private lastFullReload = 0;
  /** The runs are loaded after activation, in the worker. */
  private loadedOnce = false;
  private readonly emitter = new vscode.EventEmitter<WorkspaceStore>();
  readonly onDidChange = this.emitter.event;
  /** How far a long check of every run folder is (a first open without an index, a full check); else undefined. */
  indexProgress: { done: number; total: number; rebuilding: boolean } | undefined;
  private readonly progressEmitter = new vscode.EventEmitter<WorkspaceStore>();
  /** Fires as `indexProgress` moves (at most twice a second) and when it ends. */
  readonly onDidIndexProgress = this.progressEmitter.event;
  private endProgress: (() => void) | undefined;

  constructor(
    readonly folder: vscode.WorkspaceFolder,
    readonly root: string,
    private readonly log: Log,
    private readonly pool: WorkerPool,
  ) {
    try {
      this.watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(root), '**/*'));
      const kick = (uri: vscode.Uri) => {
        const m = RUN_PATH.exec(uri.fsPath.slice(root.length));
        if (m) this.hints.add(m[1]);
        this.scheduleReload(150);
      };
      this.watcher.onDidCreate(kick);
      this.watcher.onDidChange(kick);
      this.watcher.onDidDelete(kick);
    } catch (e) {
      log.warn(`File watcher for ${root} not available (${errorMessage(e)}); relying on polling.`);
    }
    // Not during activation: right after it (onDidChange then tells the views), or sooner if something asks.
    this.reloadTimer = setTimeout(() => {
      this.reloadTimer = undefined;
      if (!this.loadedOnce) this.reload();
    }, 0);
    const interval = setting<number>(ConfigKey.pollIntervalMs);
    this.timer = setInterval(() => this.poll(), Math.max(200, interval));
  }

  get exists(): boolean {
    return fs.existsSync(path.join(this.root, 'store.json'));
  }

  /**
   * Every run of the store, read on the extension host at this call when the store changed since the last one (a
   * 10,000-run store takes a second the first time): for commands that need all runs. Views use `summary` and the
   * queries, answered by the worker.
   */
  get snapshot(): IndexSnapshot {
    if (this.snapStale) {
      this.snapStale = false;
      const t = this.tracker();
      if (!t || !this.exists) {
        this.snap = { experiments: [], runs: [], problems: this.openProblem ? [{ file: path.join(this.root, 'store.json'), message: this.openProblem }] : [] };
      } else {
        try {
          this.snap = t.snapshot();
        } catch (e) {
          this.log.error(`Reading the store ${this.root} failed`, e);
          this.snap = { experiments: [], runs: [], problems: [{ file: this.root, message: errorMessage(e) }] };
        }
      }
    }
    return this.snap;
  }

  /** What the index in the worker said last: experiments with run counts, problems (empty until the first load). */
  get summary(): IndexSummary {
    return this.summaryNow;
  }

  /** True once the worker answered for this store (or the store does not exist). */
  get loaded(): boolean {
    return this.loadedOnce;
  }

  /** A store-level problem (e.g. an unreadable store.json) that prevents loading anything. */
  get storeProblem(): string | undefined {
    this.tracker();
    return this.openProblem;
  }

  /** Settles when the reloads in flight (and those they chained) are done; starts the first load if it is not done yet. */
  async whenLoaded(): Promise<void> {
    if (!this.loadedOnce && !this.indexLoading) this.reload();
    while (this.indexLoading) await this.indexLoading;
  }

  /** A page of runs (full Run objects), from the index in the worker. */
  async page(query: IndexPageQuery): Promise<{ runs: Run[]; total: number }> {
    const c = this.client();
    if (!c) return { runs: [], total: 0 };
    return (await c.page(query)).page!;
  }

  /** The ranking metric and best run id of each experiment (over all its runs). */
  async best(experimentIds: string[]): Promise<NonNullable<Awaited<ReturnType<StoreIndexClient['best']>>['best']>> {
    const c = this.client();
    if (!c || !experimentIds.length) return {};
    return (await c.best(experimentIds)).best!;
  }

  /** How many runs of each experiment match a filter, over all runs. Rejects with FilterSyntaxError's message. */
  async filterCounts(filter: string): Promise<Record<string, number>> {
    const c = this.client();
    if (!c) return {};
    return (await c.filterCounts(filter)).counts!;
  }

  /**
   * This store as a RunSource, the one interface the views read every source through (its listing queries answered
   * by the index in the worker); undefined while the folder has no store.
   */
  source(): IndexedWorkspaceSource | undefined {
    const t = this.tracker();
    if (!t || !this.exists) return undefined;
    if (this.sourceInstance?.tracker !== t) {
      this.sourceInstance = new IndexedWorkspaceSource(t, () => this.registry(), {
        summary: () => this.summaryNow,
        page: (q) => this.page(q),
        best: (ids) => this.best(ids),
        filterCounts: (f) => this.filterCounts(f),
      }, this.folder.name);
    }
    return this.sourceInstance;
  }

  /** Runs matching a filter (any experiment), newest first, at most `limit`. */
  async runsMatching(filter: string, limit = 1000): Promise<Run[]> {
    return (await this.page({ filter, limit })).runs;
  }

  private client(): StoreIndexClient | undefined {
    if (!this.exists || !this.tracker()) return undefined;
    this.indexClient ??= new StoreIndexClient(this.pool, this.root);
    return this.indexClient;
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
    const hasRunning = this.summaryNow.runningCount > 0;
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

  /**
   * Read the store's changes: in the worker (the index's refresh: the journal, the running runs, the runs named by file
   * events), then fire onDidChange. With `full`, every run folder is compared with the index (the Refresh command).
   * The host-side `snapshot` is read again at its next use.
   */
  reload({ full = false } = {}): void {
    this.snapStale = true;
    this.lastFullReload = Date.now();
    this.pendingFull ||= full;
    if (this.indexLoading) {
      this.pendingReload = true;
      return;
    }
    this.indexLoading = this.reloadNow().finally(() => {
      this.indexLoading = undefined;
      if (this.pendingReload && !this.disposed) {
        this.pendingReload = false;
        this.reload();
      }
    });
  }

  private async reloadNow(): Promise<void> {
    this.lastExists = this.exists;
    const t = this.tracker();
    this.lastStamp = this.lastExists ? (t?.store.generationStamp() ?? 'new') : undefined;
    const before = this.summaryNow;
    const c = this.client();
    if (!c) {
      // The store is gone (or not made yet): let the worker drop what it held of it.
      if (this.indexClient) void this.indexClient.close().catch(() => undefined);
      this.indexClient = undefined;
      this.summaryNow = { ...EMPTY_SUMMARY, problems: this.openProblem ? [{ file: path.join(this.root, 'store.json'), message: this.openProblem }] : [], version: before.version + 1 };
    } else {
      const hints = [...this.hints];
      this.hints.clear();
      const full = this.pendingFull;
      this.pendingFull = false;
      try {
        const answer = await c.refresh(hints, full, (p) => this.progressed(p)).finally(() => this.progressed(undefined));
        if (answer.opened) this.log.info(`Store index of ${this.root}: ${answer.opened.from === 'snapshot' ? 'loaded from its snapshot' : 'built from the run folders'}, ${answer.summary.runCount} runs, in ${answer.ms.toFixed(0)} ms (in a worker thread)`);
        for (const m of answer.messages) this.log.warn(m);
        this.summaryNow = answer.summary;
        if (answer.validated === false) this.pendingReload = true; // drawn from the snapshot: now check it against the folders
      } catch (e) {
        if (this.disposed) return;
        this.log.error(`Reading the store ${this.root} failed`, e);
        this.summaryNow = { ...EMPTY_SUMMARY, problems: [{ file: this.root, message: errorMessage(e) }], version: before.version + 1 };
      }
    }
    if (this.disposed) return;
    this.loadedOnce = true;
    const newProblems = this.summaryNow.problems.filter((p) => !before.problems.some((q) => q.file === p.file && q.message === p.message));
    for (const p of newProblems) this.log.warn(`Store problem: ${p.file}: ${p.message}`);
    this.emitter.fire(this);
  }

  /**
   * A long check of every run folder moved on (or ended: undefined). The first report opens a progress in the status
   * bar ("Indexing the runs of <folder>: 37% (370,000 of 1,000,000)"), and the Experiments tree says the same while it has
   * nothing to show yet.
   */
  private progressed(p: { done: number; total: number; rebuilding: boolean } | undefined): void {
    if (this.disposed) return;
    this.indexProgress = p;
    if (p && !this.endProgress) {
      let report: ((message: string) => void) | undefined;
      const ended = new Promise<void>((resolve) => (this.endProgress = resolve));
      void vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'MLOps' }, (progress) => {
        report = (message) => progress.report({ message });
        report(indexProgressText(this.folder.name, this.indexProgress ?? p));
        return ended;
      });
      this.reportProgress = (q) => report?.(indexProgressText(this.folder.name, q));
    } else if (p) this.reportProgress?.(p);
    else {
      this.endProgress?.();
      this.endProgress = undefined;
      this.reportProgress = undefined;
    }
    this.progressEmitter.fire(this);
  }

  private reportProgress: ((p: { done: number; total: number; rebuilding: boolean }) => void) | undefined;

  dispose(): void {
    this.disposed = true;
    this.endProgress?.();
    this.progressEmitter.dispose();
    if (this.timer) clearInterval(this.timer);
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    this.watcher?.dispose();
    this.emitter.dispose();
    this.closing = this.indexClient?.close().catch(() => undefined); // saves the index's snapshot
  }

  /** Settles when the index's last save after dispose() is done. */
  closing: Promise<unknown> | undefined;
}

export class WorkspaceStores implements vscode.Disposable {
  private stores = new Map<string, WorkspaceStore>();
  private readonly emitter = new vscode.EventEmitter<WorkspaceStore | undefined>();
  readonly onDidChange = this.emitter.event;
  private readonly progressEmitter = new vscode.EventEmitter<WorkspaceStore>();
  /** A store's `indexProgress` moved or ended. */
  readonly onDidIndexProgress = this.progressEmitter.event;
  private disposables: vscode.Disposable[] = [];
  /** One worker thread holds every folder's store index (its jobs run one at a time, in order). */
  private readonly indexPool = new WorkerPool(1);

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
      const s = new WorkspaceStore(f, root, this.log, this.indexPool);
      s.onDidChange((x) => this.emitter.fire(x));
      s.onDidIndexProgress((x) => this.progressEmitter.fire(x));
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

  /**
   * The newest runs matching `filter` over every folder's store (at most `limit` in all), read through each store's
   * RunSource (the index in the worker answers), and how many match in all: for pickers, which never list a whole
   * 100,000-run store.
   */
  async newestRuns(limit: number, filter?: string): Promise<{ runs: { store: WorkspaceStore; run: Run }[]; total: number }> {
    const pages = await Promise.all(this.all().map(async (store) => {
      await store.whenLoaded();
      const source = store.source();
      if (!source) return { store, runs: [] as Run[], total: 0 };
      const page = await source.searchRuns({ ...(filter ? { filter } : {}), maxResults: limit });
      return { store, runs: page.runs, total: page.total };
    }));
    const runs = pages.flatMap((p) => p.runs.map((run) => ({ store: p.store, run }))).sort((a, b) => b.run.startTime - a.run.startTime).slice(0, limit);
    return { runs, total: pages.reduce((n, p) => n + p.total, 0) };
  }

  /** The store to write to: the only folder's, or the one the user picks. */
  async pick(placeHolder = 'Which workspace folder?'): Promise<WorkspaceStore | undefined> {
    const all = this.all();
    if (all.length <= 1) return all[0];
    const item = await showQuickPick(
      all.map((s) => ({ label: s.folder.name, description: s.root, store: s })),
      { placeHolder },
    );
    return item?.store;
  }

  /** Read every store again; with `full`, compare every run folder with the index (the Refresh command). */
  reloadAll(full = false): void {
    for (const s of this.stores.values()) s.reload({ full });
  }

  dispose(): void {
    for (const s of this.stores.values()) s.dispose();
    const pool = this.indexPool;
    void Promise.allSettled([...this.stores.values()].map((s) => s.closing)).then(() => pool.dispose()); // after the last saves
    this.stores.clear();
    this.emitter.dispose();
    this.progressEmitter.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
