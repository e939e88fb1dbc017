/**
 * The MLflow sources this window shows (from ConnectedSources), opened lazily, with what the views have loaded of
 * each: experiments, the pages of runs per experiment (newest first, 200 at a time, "Load more"), registered models.
 * One error line per source (unreachable, 401, a damaged database) is kept for its tree node and logged once.
 *
 * Live: file and SQLite stores are watched (file events under the folder or on the database, plus a slow stat poll);
 * servers are polled every `mlops.mlflow.pollIntervalMs` while an MLOps view is visible: one request per expanded
 * experiment, the experiments list and the registry one poll in SLOW_POLL_EVERY (changedSince). A refresh fires
 * onDidChange only when something shown changed.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { openSource } from '../../core/sources/open';
import type { RunSource, SourceExperiment, SourceModel, SourceRun } from '../../core/sources/types';
import { errorMessage } from '../../core/util/errors';
import { ConfigKey, affects, setting } from '../keys';
import type { Log } from '../log';
import { Disposable } from '../util/dispose';
import type { ConnectedSource, ConnectedSources } from './connectedSources';

export const TREE_PAGE_SIZE = 200;
/** A server's experiments list and registry are polled once in this many polls (30 s at the default 5 s). */
export const SLOW_POLL_EVERY = 6;
/** Stat poll of file and SQLite stores, behind their file events (their readers answer an unchanged store cheaply). */
const FILE_POLL_MS = 1500;

export interface RunPageState {
  runs: SourceRun[];
  nextPageToken?: string;
  /** The filter these pages answer (pages are reloaded when it changes). */
  filter?: string;
}

export class MlflowSourceEntry {
  source: RunSource | undefined;
  error: string | undefined;
  experiments: SourceExperiment[] | undefined;
  readonly pages = new Map<string, RunPageState>();
  models: SourceModel[] | undefined;
  modelsError: string | undefined;
  /** Damaged files or rows the source skipped (a corrupt meta.yaml, …), by file: reported, the rest loads. */
  readonly problems = new Map<string, string>();
  private opening: Promise<RunSource> | undefined;
  /** Polls made of this source (which of them also ask the experiments list and the registry). */
  polls = 0;

  constructor(readonly connected: ConnectedSource) {}

  get uri(): string {
    return this.connected.uri;
  }

  get kind(): ConnectedSource['location']['kind'] {
    return this.connected.location.kind;
  }

  get label(): string {
    const loc = this.connected.location;
    switch (loc.kind) {
      case 'mlflow-server':
        return loc.url.replace(/^https?:\/\//, '');
      case 'mlflow-sqlite':
        return `${path.basename(path.dirname(loc.file))}/${path.basename(loc.file)}`;
      case 'mlflow-file':
        return `${path.basename(path.dirname(loc.dir))}/${path.basename(loc.dir)}`;
      default:
        return this.uri;
    }
  }

  open(credentials: () => Promise<Parameters<typeof openSource>[1]>): Promise<RunSource> {
    if (this.source) return Promise.resolve(this.source);
    this.opening ??= credentials().then((opts) => {
      const s = openSource(this.connected.location, opts);
      this.source = s;
      return s;
    });
    return this.opening.finally(() => {
      this.opening = undefined;
    });
  }
}

export class MlflowSources extends Disposable {
  private readonly changed = this.register(new vscode.EventEmitter<MlflowSourceEntry | undefined>());
  readonly onDidChange = this.changed.event;
  private entries = new Map<string, MlflowSourceEntry>();
  private readonly loggedErrors = new Set<string>();
  private visible = false;
  private serverTimer: NodeJS.Timeout | undefined;
  private fileTimer: NodeJS.Timeout | undefined;
  private watchers: vscode.Disposable[] = [];
  private refreshing = false;

  constructor(
    private readonly connected: ConnectedSources,
    private readonly log: Log,
  ) {
    super();
    this.sync();
    this.register(connected.onDidChange(() => this.sync()));
    this.register(vscode.workspace.onDidChangeConfiguration((e) => {
      if (affects(e, ConfigKey.mlflowPollIntervalMs)) this.schedulePolls();
      if (affects(e, ConfigKey.mlflowRequestTimeoutMs)) this.reopenAll();
    }));
    this.register({ dispose: () => this.stopPolls() });
    this.register({ dispose: () => this.watchers.splice(0).forEach((w) => w.dispose()) });
    this.register({ dispose: () => void this.closeAll([...this.entries.values()]) });
  }

  all(): MlflowSourceEntry[] {
    return [...this.entries.values()];
  }

  get(uri: string): MlflowSourceEntry | undefined {
    return this.entries.get(uri);
  }

  /** Called by the views: servers are polled only while one of them is visible. */
  setVisible(visible: boolean): void {
    if (this.visible === visible) return;
    this.visible = visible;
    this.schedulePolls();
  }

  async source(entry: MlflowSourceEntry): Promise<RunSource> {
    return entry.open(async () => ({ credentials: await this.connected.credentials(entry.uri), timeoutMs: setting<number>(ConfigKey.mlflowRequestTimeoutMs) }));
  }

  async experiments(entry: MlflowSourceEntry): Promise<SourceExperiment[]> {
    if (entry.experiments) return entry.experiments;
    const list = await this.guard(entry, async () => (await (await this.source(entry)).listExperiments()).sort((a, b) => a.name.localeCompare(b.name)), []);
    // A failed load is remembered as empty (with entry.error) until Refresh or the next poll, so a view never loops.
    entry.experiments ??= list;
    return entry.experiments;
  }

  /**
   * For synchronous tree providers: what is loaded, or undefined while it loads (onDidChange fires for the entry when
   * it is there). Each load runs once at a time.
   */
  experimentsNow(entry: MlflowSourceEntry): SourceExperiment[] | undefined {
    if (entry.experiments) return entry.experiments;
    this.loadOnce(entry, 'experiments', () => this.experiments(entry));
    return undefined;
  }

  runsNow(entry: MlflowSourceEntry, experimentId: string, filter: string | undefined): RunPageState | undefined {
    const have = entry.pages.get(experimentId);
    if (have && have.filter === filter) return have;
    this.loadOnce(entry, `runs:${experimentId}`, () => this.runs(entry, experimentId, filter));
    return undefined;
  }

  modelsNow(entry: MlflowSourceEntry): SourceModel[] | undefined {
    if (entry.models) return entry.models;
    this.loadOnce(entry, 'models', () => this.models(entry));
    return undefined;
  }

  private readonly loading = new Set<string>();

  private loadOnce(entry: MlflowSourceEntry, what: string, fn: () => Promise<unknown>): void {
    const key = `${entry.uri}\n${what}`;
    if (this.loading.has(key)) return;
    this.loading.add(key);
    void fn().finally(() => {
      this.loading.delete(key);
      if (!this.isDisposed) this.changed.fire(entry);
    });
  }

  /** The loaded pages of an experiment's runs (the first page on first use, or when the filter changed). */
  async runs(entry: MlflowSourceEntry, experimentId: string, filter: string | undefined): Promise<RunPageState> {
    const have = entry.pages.get(experimentId);
    if (have && have.filter === filter) return have;
    const loaded = await this.guard(entry, async () => {
      const s = await this.source(entry);
      const page = await s.searchRuns({ experimentIds: [experimentId], filter, maxResults: TREE_PAGE_SIZE });
      this.noteProblems(entry, page.problems);
      const state: RunPageState = { runs: page.runs, nextPageToken: page.nextPageToken, filter };
      entry.pages.set(experimentId, state);
      return state;
    }, undefined);
    if (loaded) return loaded;
    const failed: RunPageState = { runs: [], filter };
    entry.pages.set(experimentId, failed);
    return failed;
  }

  async loadMore(entry: MlflowSourceEntry, experimentId: string): Promise<void> {
    const have = entry.pages.get(experimentId);
    if (!have?.nextPageToken) return;
    await this.guard(entry, async () => {
      const s = await this.source(entry);
      const page = await s.searchRuns({ experimentIds: [experimentId], filter: have.filter, maxResults: TREE_PAGE_SIZE, pageToken: have.nextPageToken });
      const seen = new Set(have.runs.map((r) => r.id));
      have.runs.push(...page.runs.filter((r) => !seen.has(r.id)));
      have.nextPageToken = page.nextPageToken;
    }, undefined);
    this.changed.fire(entry);
  }

  async models(entry: MlflowSourceEntry): Promise<SourceModel[]> {
    if (entry.models) return entry.models;
    try {
      const s = await this.source(entry);
      entry.models = await s.listModels();
      entry.modelsError = undefined;
      for (const m of entry.models) this.noteProblems(entry, (m as { problems?: { file: string; message: string }[] }).problems ?? []);
    } catch (e) {
      entry.modelsError = errorMessage(e);
      this.logOnce(entry, entry.modelsError);
      entry.models = [];
    }
    return entry.models;
  }

  /** A model as a change on the source answered (registry commands): put in the loaded list at once, views told. */
  updateModel(entry: MlflowSourceEntry, model: SourceModel): void {
    if (entry.models) {
      const i = entry.models.findIndex((m) => m.name === model.name);
      entry.models = i >= 0 ? entry.models.map((m, j) => (j === i ? model : m)) : [...entry.models, model];
    }
    this.changed.fire(entry);
  }

  /** Forget what was loaded and ask again (Refresh). */
  refresh(entry?: MlflowSourceEntry): void {
    for (const e of entry ? [entry] : this.all()) {
      e.experiments = undefined;
      e.models = undefined;
      e.pages.clear();
      e.problems.clear();
      e.error = undefined;
      this.loggedErrors.delete(e.uri);
    }
    this.changed.fire(entry);
  }

  /** Re-ask what is loaded; fire only for the sources whose answers changed. */
  async poll(kinds: ReadonlySet<string>): Promise<void> {
    if (this.refreshing) return;
    this.refreshing = true;
    try {
      for (const entry of this.all()) {
        if (!kinds.has(entry.kind) || (!entry.experiments && !entry.models)) continue;
        if (await this.changedSince(entry)) this.changed.fire(entry);
      }
    } finally {
      this.refreshing = false;
    }
  }

  /**
   * One poll of a source. A server is asked as little as a live view allows: each poll one runs/search per expanded
   * experiment (usually one request in all: new runs and the metrics of running ones show within the interval), the
   * experiments list every SLOW_POLL_EVERY polls and the registry (registered-models + model-versions) every
   * SLOW_POLL_EVERY polls half a cycle later; Refresh asks everything at once. File and SQLite stores answer an
   * unchanged store from their cache, so they are asked everything each time.
   */
  private async changedSince(entry: MlflowSourceEntry): Promise<boolean> {
    const before = signature(entry);
    const pages = [...entry.pages.entries()];
    const tick = entry.polls++;
    const server = entry.kind === 'mlflow-server';
    const askExperiments = !server || tick % SLOW_POLL_EVERY === SLOW_POLL_EVERY - 1;
    const askModels = !server || tick % SLOW_POLL_EVERY === Math.floor(SLOW_POLL_EVERY / 2) - 1;
    try {
      const s = await this.source(entry);
      const experiments = entry.experiments && askExperiments ? (await s.listExperiments()).sort((a, b) => a.name.localeCompare(b.name)) : undefined;
      for (const [id, st] of pages) {
        const page = await s.searchRuns({ experimentIds: [id], filter: st.filter, maxResults: Math.max(TREE_PAGE_SIZE, st.runs.length) });
        entry.pages.set(id, { runs: page.runs, nextPageToken: page.nextPageToken, filter: st.filter });
      }
      if (experiments) entry.experiments = experiments;
      if (entry.models && askModels) entry.models = await s.listModels();
      const wasError = entry.error !== undefined;
      entry.error = undefined;
      return wasError || signature(entry) !== before;
    } catch (e) {
      const msg = errorMessage(e);
      const changed = entry.error !== msg;
      entry.error = msg;
      this.logOnce(entry, msg);
      return changed;
    }
  }

  private async guard<T>(entry: MlflowSourceEntry, fn: () => Promise<T>, fallback: T): Promise<T> {
    try {
      const r = await fn();
      if (entry.error !== undefined) {
        entry.error = undefined;
        this.loggedErrors.delete(entry.uri);
      }
      return r;
    } catch (e) {
      entry.error = errorMessage(e);
      this.logOnce(entry, entry.error);
      return fallback;
    }
  }

  private noteProblems(entry: MlflowSourceEntry, problems: readonly { file: string; message: string }[]): void {
    for (const p of problems) {
      if (entry.problems.has(p.file)) continue;
      entry.problems.set(p.file, p.message);
      this.logOnce(entry, `${p.file}: ${p.message} (skipped; the rest loads)`);
    }
  }

  private logOnce(entry: MlflowSourceEntry, message: string): void {
    const key = `${entry.uri}\n${message}`;
    if (this.loggedErrors.has(key)) return;
    this.loggedErrors.add(key);
    this.log.warn(`MLflow source ${entry.label}: ${message}`);
  }

  /** Match the entries to ConnectedSources' list: open new ones lazily, close removed ones. */
  private sync(): void {
    const wanted = new Map(this.connected.list().map((c) => [c.uri, c]));
    const removed = this.all().filter((e) => !wanted.has(e.uri));
    for (const e of removed) this.entries.delete(e.uri);
    void this.closeAll(removed);
    for (const [uri, c] of wanted) if (!this.entries.has(uri)) this.entries.set(uri, new MlflowSourceEntry(c));
    for (const [spec, problem] of this.connected.problems) this.log.warn(`mlops.mlflow.sources: ${spec}: ${problem}`);
    this.watchFiles();
    this.schedulePolls();
    this.changed.fire(undefined);
  }

  private reopenAll(): void {
    const entries = this.all();
    void this.closeAll(entries);
    this.entries = new Map(entries.map((e) => [e.uri, new MlflowSourceEntry(e.connected)]));
    this.changed.fire(undefined);
  }

  private async closeAll(entries: MlflowSourceEntry[]): Promise<void> {
    for (const e of entries) {
      const s = e.source;
      e.source = undefined;
      try {
        await s?.close();
      } catch {
        // closing a source that failed to open: nothing to release
      }
    }
  }

  private watchFiles(): void {
    for (const w of this.watchers.splice(0)) w.dispose();
    for (const e of this.all()) {
      const loc = e.connected.location;
      const pattern =
        loc.kind === 'mlflow-file' ? new vscode.RelativePattern(vscode.Uri.file(loc.dir), '**')
        : loc.kind === 'mlflow-sqlite' ? new vscode.RelativePattern(vscode.Uri.file(path.dirname(loc.file)), `${path.basename(loc.file)}*`)
        : undefined;
      if (!pattern) continue;
      const w = vscode.workspace.createFileSystemWatcher(pattern);
      let timer: NodeJS.Timeout | undefined;
      const onEvent = () => {
        if (timer) clearTimeout(timer);
        timer = setTimeout(() => void this.poll(new Set([e.kind])), 250);
      };
      this.watchers.push(w, w.onDidChange(onEvent), w.onDidCreate(onEvent), w.onDidDelete(onEvent), { dispose: () => timer && clearTimeout(timer) });
    }
  }

  private schedulePolls(): void {
    this.stopPolls();
    const all = this.all();
    if (all.some((e) => e.kind !== 'mlflow-server')) {
      this.fileTimer = setInterval(() => void this.poll(new Set(['mlflow-file', 'mlflow-sqlite'])), FILE_POLL_MS);
    }
    if (this.visible && all.some((e) => e.kind === 'mlflow-server')) {
      const every = Math.max(1000, setting<number>(ConfigKey.mlflowPollIntervalMs) ?? 5000);
      this.serverTimer = setInterval(() => void this.poll(new Set(['mlflow-server'])), every);
    }
  }

  private stopPolls(): void {
    if (this.serverTimer) clearInterval(this.serverTimer);
    if (this.fileTimer) clearInterval(this.fileTimer);
    this.serverTimer = this.fileTimer = undefined;
  }
}

/** What the views show of a source, as one string: compared before and after a poll. */
function signature(entry: MlflowSourceEntry): string {
  const parts: string[] = [entry.error ?? ''];
  for (const e of entry.experiments ?? []) parts.push(`e:${e.id}:${e.name}:${e.lifecycle}`);
  for (const [id, st] of entry.pages) {
    parts.push(`p:${id}:${st.nextPageToken ?? ''}`);
    for (const r of st.runs) parts.push(`${r.id}:${r.status}:${r.endTime}:${r.name}:${JSON.stringify(r.metrics)}:${JSON.stringify(r.tags)}`);
  }
  for (const m of entry.models ?? []) parts.push(`m:${m.name}:${JSON.stringify(m.aliases)}:${m.versions.map((v) => `${v.version}${v.stage}`).join(',')}`);
  return parts.join('\n');
}
