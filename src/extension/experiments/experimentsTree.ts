/**
 * The Experiments tree: [workspace folder →] experiment → runs, newest first. Each run shows its status icon,
 * name, the experiment's primary metric and a relative time; the best run per experiment is starred. Stores
 * with unreadable files get a "Problems" node listing each file; deleted runs sit under "Trash".
 *
 * A workspace store's runs come from its index in the worker (WorkspaceStore.page/best/filterCounts): an experiment
 * shows its newest PAGE_SIZE runs and a "Load more…" item (as MLflow sources do), the best run is ranked over all of
 * the experiment's runs, and the filter runs over all runs. The provider stays synchronous: getChildren reads what
 * the last load of each store brought (`views`), and a store's change loads it again, then redraws.
 */
import * as vscode from 'vscode';
import { compileFilter } from '../../core/tracking/filter';
import type { Experiment, Run, StoreProblem } from '../../core/store/types';
import { errorMessage } from '../../core/util/errors';
import type { RunSource } from '../../core/sources/types';
import { fmtValue, relativeTime, runTooltip, statusIcon } from '../format';
import { indexProgressText, type WorkspaceStore, type WorkspaceStores } from '../workspaceStores';
import { CommandId } from '../keys';
import { problemItem, problemsGroupItem } from '../problemItems';
import { StoreViews } from '../util/storeViews';
import type { MlflowSources } from '../sources/mlflowSources';
import { type MlflowNode, mlflowChildren, mlflowTreeItem } from './mlflowNodes';

export type ExperimentsNode =
  | { kind: 'folder'; store: WorkspaceStore }
  | { kind: 'experiment'; store: WorkspaceStore; experiment: Experiment; runs: Run[]; best?: Run; metric?: { key: string; direction: 'min' | 'max' }; total: number }
  | { kind: 'loadMore'; store: WorkspaceStore; experimentId: string; loaded: number; total: number }
  | { kind: 'run'; store: WorkspaceStore; run: Run; isBest: boolean; metric?: { key: string; direction: 'min' | 'max' }; pinned?: boolean }
  | { kind: 'problems'; store: WorkspaceStore; problems: StoreProblem[] }
  | { kind: 'problem'; store: WorkspaceStore; problem: StoreProblem }
  | { kind: 'trash'; store: WorkspaceStore; items: TrashItem[] }
  | { kind: 'trashedRun'; store: WorkspaceStore; item: TrashItem }
  | { kind: 'message'; text: string; tooltip?: string }
  | MlflowNode;

/** The store's damaged files, as its source reports them with any page of runs. */
async function storeProblems(source: RunSource): Promise<StoreProblem[]> {
  return (await source.searchRuns({ maxResults: 1 })).problems;
}

export interface TrashItem {
  id: string;
  name: string;
  startTime: number;
  problem?: string;
}

/** Runs an experiment shows at first, and how many more each "Load more…" adds. */
export const PAGE_SIZE = 200;

interface StoreView {
  experiments: Extract<ExperimentsNode, { kind: 'experiment' }>[];
  problems: StoreProblem[];
  runCount: number;
  message?: string;
}

export class ExperimentsTreeProvider implements vscode.TreeDataProvider<ExperimentsNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<ExperimentsNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private filterText: string | undefined;
  private subscription: vscode.Disposable;
  private readonly views: StoreViews<StoreView>;
  /** How many runs each experiment shows (PAGE_SIZE, more after "Load more…"), by store root and experiment id. */
  private limits = new Map<string, number>();
  private linkOf?: (run: Run) => { uri: string; how: 'pushed' | 'imported' } | undefined;

  constructor(
    private readonly stores: WorkspaceStores,
    private readonly mlflow?: MlflowSources,
  ) {
    this.views = new StoreViews(stores, (store) => this.read(store), (reason) => ({ experiments: [], problems: [], runCount: 0, message: `Could not read the store: ${reason}` }));
    this.subscription = vscode.Disposable.from(
      this.views,
      this.views.changed(() => this.emitter.fire(undefined)),
      stores.onDidChange((s) => {
        if (s) void this.views.load(s);
        else this.views.loadAll();
      }),
      mlflow?.onDidChange(() => this.emitter.fire(undefined)) ?? { dispose: () => undefined },
      // A first open of a big store: its "Indexing … 37%" line moves (only while the store has nothing to show yet).
      stores.onDidIndexProgress((s) => {
        if (!this.views.get(s)) this.emitter.fire(undefined);
      }),
    );
  }

  get filter(): string | undefined {
    return this.filterText;
  }

  /** Set (or clear with undefined) the run filter. Throws FilterSyntaxError for an invalid expression. */
  setFilter(text: string | undefined): void {
    const t = text?.trim() || undefined;
    compileFilter(t); // a syntax error throws here, before anything changes
    this.filterText = t;
    this.views.loadAll();
    this.emitter.fire(undefined);
  }

  refresh(): void {
    this.emitter.fire(undefined);
  }

  /** Settles when every store's view has been loaded since the last change (for tests and commands). */
  whenLoaded(): Promise<void> {
    return this.views.whenLoaded();
  }

  /** "Load more…" on a workspace experiment: PAGE_SIZE more of its runs. */
  loadMore(node: { store: WorkspaceStore; experimentId: string; loaded: number }): Promise<void> {
    this.limits.set(`${node.store.root}\0${node.experimentId}`, node.loaded + PAGE_SIZE);
    return this.views.load(node.store);
  }

  /**
   * What a workspace store shows, read through its RunSource (store.source(): the index in the worker answers) as an
   * MLflow source is: the experiments newest first, the matching count of each, the best run over all of its runs, and
   * its newest `limit` runs.
   */
  private async read(store: WorkspaceStore): Promise<StoreView> {
    await store.whenLoaded();
    const source = store.source();
    if (!source) return { experiments: [], problems: [], runCount: 0 };
    const filter = this.filterText;
    const all = await source.listExperiments();
    const runCount = all.reduce((n, e) => n + (e.runCount ?? 0), 0);
    let counts: Record<string, number> | undefined;
    if (filter) {
      try {
        counts = await source.countRuns(filter);
      } catch (e) {
        return { experiments: [], problems: await storeProblems(source), runCount, message: errorMessage(e) };
      }
    }
    const experiments = all
      .filter((e) => (counts ? (counts[e.id] ?? 0) > 0 : true))
      .sort((a, b) => (b.lastRunStart ?? 0) - (a.lastRunStart ?? 0) || a.name.localeCompare(b.name));
    const best = await source.bestRuns(experiments.map((e) => e.id));
    const nodes: Extract<ExperimentsNode, { kind: 'experiment' }>[] = [];
    let problems: StoreProblem[] | undefined;
    for (const e of experiments) {
      const limit = this.limits.get(`${store.root}\0${e.id}`) ?? PAGE_SIZE;
      const page = await source.searchRuns({ experimentIds: [e.id], filter, maxResults: limit });
      problems ??= page.problems;
      const b = best[e.id] ?? {};
      let bestRun = b.bestId ? page.runs.find((r) => r.id === b.bestId) : undefined;
      if (b.bestId && !bestRun) bestRun = await source.getRun(b.bestId).catch(() => undefined);
      const experiment: Experiment = { id: e.id, name: e.name, createdAt: e.createdAt ?? 0, ...(e.primaryMetric ? { primaryMetric: e.primaryMetric } : {}) };
      nodes.push({ kind: 'experiment', store, experiment, runs: page.runs, total: page.total, best: bestRun, metric: b.metric });
    }
    return { experiments: nodes, problems: problems ?? (await storeProblems(source)), runCount };
  }

  /** How a run is linked to MLflow (pushed or imported): marked in the tree, followed by Open in MLflow Source. */
  setLinks(linkOf: (run: Run) => { uri: string; how: 'pushed' | 'imported' } | undefined): void {
    this.linkOf = linkOf;
  }

  getChildren(node?: ExperimentsNode): ExperimentsNode[] {
    if (!node) {
      const stores = this.stores.all();
      const sources = (this.mlflow?.all() ?? []).map((entry): ExperimentsNode => ({ kind: 'mlflowSource', entry }));
      // One workspace store and no MLflow source: its experiments at the top, as before sources existed.
      if (stores.length === 1 && !sources.length) return this.storeChildren(stores[0]);
      const folders = stores.filter((s) => s.exists || !sources.length).map((store): ExperimentsNode => ({ kind: 'folder', store }));
      return [...folders, ...sources];
    }
    if (node.kind.startsWith('mlflow')) return this.mlflow ? mlflowChildren(this.mlflow, node as MlflowNode, this.filterText) : [];
    switch (node.kind) {
      case 'folder': {
        const children = this.storeChildren(node.store);
        return children.length ? children : [{ kind: 'message', text: node.store.exists ? 'No runs yet' : 'No store yet', tooltip: node.store.root }];
      }
      case 'experiment': {
        const out: ExperimentsNode[] = node.runs.map((run) => ({ kind: 'run', store: node.store, run, isBest: node.best?.id === run.id, metric: node.metric }));
        // The best run of all the experiment's runs, older than the loaded page: shown first, so it is never hidden
        // behind "Load more…" (once a page reaches it, it is starred in its place instead). Not under a filter: the
        // best is ranked over all runs, and one that does not match has no place in a filtered list.
        const best = node.best;
        if (best && !this.filterText && !node.runs.some((r) => r.id === best.id)) out.unshift({ kind: 'run', store: node.store, run: best, isBest: true, metric: node.metric, pinned: true });
        if (node.total > node.runs.length) out.push({ kind: 'loadMore', store: node.store, experimentId: node.experiment.id, loaded: node.runs.length, total: node.total });
        return out;
      }
      case 'problems':
        return node.problems.map((problem) => ({ kind: 'problem', store: node.store, problem }));
      case 'trash':
        return node.items.map((item) => ({ kind: 'trashedRun', store: node.store, item }));
      default:
        return [];
    }
  }

  /** Everything a store shows at its top level. Empty when the store has nothing (the welcome view shows). */
  private storeChildren(store: WorkspaceStore): ExperimentsNode[] {
    const view = this.views.get(store);
    if (!view) {
      if (!store.exists) return [];
      void this.views.load(store);
      const p = store.indexProgress;
      return [{ kind: 'message', text: p ? `${indexProgressText(undefined, p)}…` : 'Loading runs…', tooltip: p ? `${indexProgressText(store.folder.name, p)}: the first open of this store reads every run folder once (${store.root})` : store.root }];
    }
    const out: ExperimentsNode[] = [];
    if (view.problems.length) out.push({ kind: 'problems', store, problems: view.problems });
    if (view.message) out.push({ kind: 'message', text: view.message, tooltip: this.filterText });
    out.push(...view.experiments);
    if (this.filterText && !view.message && view.experiments.length === 0 && view.runCount) out.push({ kind: 'message', text: 'No runs match the filter', tooltip: this.filterText });
    const trash = store.tracker()?.listTrash() ?? [];
    if (trash.length && !this.filterText) out.push({ kind: 'trash', store, items: trash });
    return out;
  }

  getTreeItem(node: ExperimentsNode): vscode.TreeItem {
    switch (node.kind) {
      case 'folder': {
        const item = new vscode.TreeItem(node.store.folder.name, vscode.TreeItemCollapsibleState.Expanded);
        item.iconPath = new vscode.ThemeIcon('root-folder');
        const n = node.store.summary.runCount;
        item.description = `${n.toLocaleString('en')} run${n === 1 ? '' : 's'}`;
        item.tooltip = node.store.root;
        item.contextValue = 'folder';
        item.id = `folder:${node.store.folder.uri}`;
        return item;
      }
      case 'experiment': {
        const item = new vscode.TreeItem(node.experiment.name, vscode.TreeItemCollapsibleState.Expanded);
        item.iconPath = new vscode.ThemeIcon('beaker');
        const n = node.total;
        item.description = `${n.toLocaleString('en')} run${n === 1 ? '' : 's'}${this.filterText ? ' match' : ''}${node.metric ? ` · by ${node.metric.key} (${node.metric.direction === 'min' ? 'lowest' : 'highest'})` : ''}`;
        item.tooltip = new vscode.MarkdownString(`Experiment \`${node.experiment.id}\``);
        item.contextValue = 'experiment';
        item.id = `exp:${node.store.folder.uri}:${node.experiment.id}`;
        return item;
      }
      case 'run': {
        const r = node.run;
        const item = new vscode.TreeItem(r.name, vscode.TreeItemCollapsibleState.None);
        item.iconPath = statusIcon(r);
        const parts: string[] = [];
        if (node.isBest) parts.push(node.pinned ? '★ best (pinned)' : '★ best');
        if (node.metric && r.metrics[node.metric.key] !== undefined) parts.push(`${node.metric.key} ${fmtValue(r.metrics[node.metric.key])}`);
        if (r.interrupted) parts.push('interrupted');
        const link = this.linkOf?.(r);
        if (link) parts.push(link.how === 'pushed' ? '⇄ in MLflow' : '⇄ from MLflow');
        parts.push(relativeTime(r.startTime));
        item.description = parts.join(' · ');
        // The tooltip (a table of every param and metric) is built on hover, in resolveTreeItem: 200 of them per page
        // built and sent at once kept the extension host busy for tens of milliseconds.
        item.contextValue = r.effectiveStatus === 'running' ? 'run.running' : link ? 'run.linked' : 'run';
        item.id = `run:${r.id}`;
        item.command = { command: CommandId.openRun, title: 'Open Run', arguments: [node] };
        item.accessibilityInformation = { label: `${r.name}, ${r.interrupted ? 'interrupted' : r.effectiveStatus}${node.isBest ? `, best run${node.pinned ? ', older than the runs listed after it' : ''}` : ''}` };
        return item;
      }
      case 'problems':
        return problemsGroupItem(node.problems.length, { id: `problems:${node.store.folder.uri}`, contextValue: 'problems', description: 'unreadable store files, left in place' });
      case 'problem':
        return problemItem(node.problem.file, undefined, node.problem.message, { contextValue: 'problem', icon: 'file', command: { command: CommandId.openProblemFile, title: 'Open File', arguments: [node] } });
      case 'trash': {
        const item = new vscode.TreeItem(`Trash (${node.items.length})`, vscode.TreeItemCollapsibleState.Collapsed);
        item.iconPath = new vscode.ThemeIcon('trash');
        item.contextValue = 'trash';
        item.id = `trash:${node.store.folder.uri}`;
        return item;
      }
      case 'trashedRun': {
        const item = new vscode.TreeItem(node.item.name, vscode.TreeItemCollapsibleState.None);
        item.iconPath = new vscode.ThemeIcon('history');
        item.description = node.item.problem ? node.item.problem : `${node.item.id.slice(0, 8)} · ${relativeTime(node.item.startTime)}`;
        item.contextValue = 'trashedRun';
        item.id = `trashed:${node.item.id}`;
        return item;
      }
      case 'loadMore': {
        const item = new vscode.TreeItem('Load more…', vscode.TreeItemCollapsibleState.None);
        item.iconPath = new vscode.ThemeIcon('ellipsis');
        item.description = `${node.loaded} of ${node.total} shown`;
        item.contextValue = 'loadMore';
        item.id = `more:${node.store.folder.uri}:${node.experimentId}`;
        item.command = { command: CommandId.loadMoreRuns, title: 'Load More Runs', arguments: [node] };
        return item;
      }
      case 'message': {
        const item = new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
        item.iconPath = new vscode.ThemeIcon('info');
        item.tooltip = node.tooltip;
        item.contextValue = 'message';
        return item;
      }
      default:
        return mlflowTreeItem(node);
    }
  }

  /** What a tree item shows on hover, built when it is asked for (a run's params and metrics). */
  resolveTreeItem(item: vscode.TreeItem, node: ExperimentsNode): vscode.TreeItem {
    if (node.kind === 'run' && !item.tooltip) {
      item.tooltip = runTooltip(node.run, node.isBest && node.metric ? `Best run by ${node.metric.key} (${node.metric.direction === 'min' ? 'lowest' : 'highest'})` : undefined);
    }
    return item;
  }

  getParent(): undefined {
    return undefined;
  }

  dispose(): void {
    this.subscription.dispose();
    this.emitter.dispose();
  }
}
