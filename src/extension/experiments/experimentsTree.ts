/**
 * The Experiments tree: [workspace folder →] experiment → runs, newest first. Each run shows its status icon,
 * name, the experiment's primary metric and a relative time; the best run per experiment is starred. Stores
 * with unreadable files get a "Problems" node listing each file; deleted runs sit under "Trash".
 */
import * as vscode from 'vscode';
import { compileFilter } from '../../core/tracking/filter';
import { bestRunOfExperiment } from '../../core/tracking/metricDirection';
import type { Experiment, Run, StoreProblem } from '../../core/store/types';
import { fmtValue, relativeTime, runTooltip, statusIcon } from '../format';
import type { WorkspaceStore, WorkspaceStores } from '../workspaceStores';
import { CommandId } from '../keys';
import { problemItem, problemsGroupItem } from '../problemItems';

export type ExperimentsNode =
  | { kind: 'folder'; store: WorkspaceStore }
  | { kind: 'experiment'; store: WorkspaceStore; experiment: Experiment; runs: Run[]; best?: Run; metric?: { key: string; direction: 'min' | 'max' } }
  | { kind: 'run'; store: WorkspaceStore; run: Run; isBest: boolean; metric?: { key: string; direction: 'min' | 'max' } }
  | { kind: 'problems'; store: WorkspaceStore; problems: StoreProblem[] }
  | { kind: 'problem'; store: WorkspaceStore; problem: StoreProblem }
  | { kind: 'trash'; store: WorkspaceStore; items: TrashItem[] }
  | { kind: 'trashedRun'; store: WorkspaceStore; item: TrashItem }
  | { kind: 'message'; text: string; tooltip?: string };

export interface TrashItem {
  id: string;
  name: string;
  startTime: number;
  problem?: string;
}

export class ExperimentsTreeProvider implements vscode.TreeDataProvider<ExperimentsNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<ExperimentsNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private filterText: string | undefined;
  private matches: (r: Run) => boolean = () => true;
  private subscription: vscode.Disposable;

  constructor(private readonly stores: WorkspaceStores) {
    this.subscription = stores.onDidChange(() => this.emitter.fire(undefined));
  }

  get filter(): string | undefined {
    return this.filterText;
  }

  /** Set (or clear with undefined) the run filter. Throws FilterSyntaxError for an invalid expression. */
  setFilter(text: string | undefined): void {
    const t = text?.trim() || undefined;
    this.matches = compileFilter(t);
    this.filterText = t;
    this.emitter.fire(undefined);
  }

  refresh(): void {
    this.emitter.fire(undefined);
  }

  getChildren(node?: ExperimentsNode): ExperimentsNode[] {
    if (!node) {
      const stores = this.stores.all();
      if (stores.length === 1) return this.storeChildren(stores[0]);
      return stores.map((store) => ({ kind: 'folder', store }));
    }
    switch (node.kind) {
      case 'folder': {
        const children = this.storeChildren(node.store);
        return children.length ? children : [{ kind: 'message', text: node.store.exists ? 'No runs yet' : 'No store yet', tooltip: node.store.root }];
      }
      case 'experiment':
        return node.runs.map((run) => ({ kind: 'run', store: node.store, run, isBest: node.best?.id === run.id, metric: node.metric }));
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
    const snap = store.snapshot;
    const out: ExperimentsNode[] = [];
    if (snap.problems.length) out.push({ kind: 'problems', store, problems: snap.problems });
    const byExp = new Map<string, Run[]>();
    for (const r of snap.runs) {
      if (!this.matches(r)) continue;
      const list = byExp.get(r.experimentId) ?? [];
      list.push(r);
      byExp.set(r.experimentId, list);
    }
    const experiments = [...snap.experiments]
      .filter((e) => byExp.has(e.id) || !this.filterText)
      .sort((a, b) => latest(byExp.get(b.id)) - latest(byExp.get(a.id)) || a.name.localeCompare(b.name));
    for (const experiment of experiments) {
      const runs = (byExp.get(experiment.id) ?? []).sort((a, b) => b.startTime - a.startTime || a.id.localeCompare(b.id));
      const all = snap.runs.filter((r) => r.experimentId === experiment.id);
      const { metric, best } = bestRunOfExperiment(experiment, all);
      out.push({ kind: 'experiment', store, experiment, runs, best, metric });
    }
    if (this.filterText && experiments.length === 0 && snap.runs.length) out.push({ kind: 'message', text: 'No runs match the filter', tooltip: this.filterText });
    const trash = store.tracker()?.listTrash() ?? [];
    if (trash.length && !this.filterText) out.push({ kind: 'trash', store, items: trash });
    return out;
  }

  getTreeItem(node: ExperimentsNode): vscode.TreeItem {
    switch (node.kind) {
      case 'folder': {
        const item = new vscode.TreeItem(node.store.folder.name, vscode.TreeItemCollapsibleState.Expanded);
        item.iconPath = new vscode.ThemeIcon('root-folder');
        const n = node.store.snapshot.runs.length;
        item.description = `${n} run${n === 1 ? '' : 's'}`;
        item.tooltip = node.store.root;
        item.contextValue = 'folder';
        item.id = `folder:${node.store.folder.uri}`;
        return item;
      }
      case 'experiment': {
        const item = new vscode.TreeItem(node.experiment.name, vscode.TreeItemCollapsibleState.Expanded);
        item.iconPath = new vscode.ThemeIcon('beaker');
        const n = node.runs.length;
        item.description = `${n} run${n === 1 ? '' : 's'}${node.metric ? ` · by ${node.metric.key} (${node.metric.direction === 'min' ? 'lowest' : 'highest'})` : ''}`;
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
        if (node.isBest) parts.push('★ best');
        if (node.metric && r.metrics[node.metric.key] !== undefined) parts.push(`${node.metric.key} ${fmtValue(r.metrics[node.metric.key])}`);
        if (r.interrupted) parts.push('interrupted');
        parts.push(relativeTime(r.startTime));
        item.description = parts.join(' · ');
        item.tooltip = runTooltip(r, node.isBest && node.metric ? `Best run by ${node.metric.key} (${node.metric.direction === 'min' ? 'lowest' : 'highest'})` : undefined);
        item.contextValue = r.effectiveStatus === 'running' ? 'run.running' : 'run';
        item.id = `run:${r.id}`;
        item.command = { command: CommandId.openRun, title: 'Open Run', arguments: [node] };
        item.accessibilityInformation = { label: `${r.name}, ${r.interrupted ? 'interrupted' : r.effectiveStatus}${node.isBest ? ', best run' : ''}` };
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
      case 'message': {
        const item = new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
        item.iconPath = new vscode.ThemeIcon('info');
        item.tooltip = node.tooltip;
        item.contextValue = 'message';
        return item;
      }
    }
  }

  getParent(): undefined {
    return undefined;
  }

  dispose(): void {
    this.subscription.dispose();
    this.emitter.dispose();
  }
}

function latest(runs: Run[] | undefined): number {
  return runs && runs.length ? Math.max(...runs.map((r) => r.startTime)) : 0;
}
