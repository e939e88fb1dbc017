/**
 * The Model Registry tree: [folder →] model → stage groups (Production, Staging, None, Archived, with counts) →
 * versions (version, run name, key metric, aliases; an icon per stage). Refreshes with the store (other processes
 * included). Inline actions on versions: promote, archive, set alias, open the source run, show history.
 *
 * A workspace store's models are read through its RunSource (`store.source().listModels()` and its
 * `registryProblems`), as an MLflow source's are: the provider stays synchronous, so each store's models are loaded
 * after a change, then the tree is redrawn (`whenLoaded` settles when that is done). The registry commands act on the
 * registry itself, looked up by the node's model name and version when they run (registryArgs.ts).
 */
import * as vscode from 'vscode';
import type { Stage } from '../../core/registry/registry';
import type { SourceModel, SourceModelVersion } from '../../core/sources/types';
import type { StoreProblem } from '../../core/store/types';
import { preferredMetric } from '../../core/tracking/metricDirection';
import { fmtValue, mdCell, relativeTime } from '../format';
import type { WorkspaceStore, WorkspaceStores } from '../workspaceStores';
import { problemItem, problemsGroupItem } from '../problemItems';
import { StoreViews } from '../util/storeViews';
import type { MlflowSources } from '../sources/mlflowSources';
import { stageIcon } from '../sources/sourceItems';
import { type MlflowRegistryNode, mlflowRegistryChildren, mlflowRegistryItem } from './mlflowRegistryNodes';

export type RegistryNode =
  | { kind: 'folder'; store: WorkspaceStore }
  | { kind: 'model'; store: WorkspaceStore; model: SourceModel }
  | { kind: 'stage'; store: WorkspaceStore; model: SourceModel; stage: Stage; versions: SourceModelVersion[] }
  | { kind: 'version'; store: WorkspaceStore; model: SourceModel; version: SourceModelVersion }
  | { kind: 'message'; text: string }
  /** Damaged lines of registry/events.jsonl (issue 18 #2): reported, skipped, never rewritten. */
  | { kind: 'problems'; store: WorkspaceStore; problems: StoreProblem[] }
  | { kind: 'problem'; store: WorkspaceStore; problem: StoreProblem }
  | MlflowRegistryNode;

const STAGE_ORDER: Stage[] = ['Production', 'Staging', 'None', 'Archived'];

/** The metric shown beside each version: the conventional one of core's ranking (preferredMetric). */
export function keyMetric(m: SourceModel): string | undefined {
  return preferredMetric(m.versions.flatMap((v) => Object.keys(v.run?.metrics ?? {})));
}

/** What a workspace store's registry shows, as its source gave it at the last load. */
interface StoreModels {
  models: SourceModel[];
  problems: StoreProblem[];
  message?: string;
}

export class RegistryTreeProvider implements vscode.TreeDataProvider<RegistryNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<RegistryNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private sub: vscode.Disposable;
  private readonly views: StoreViews<StoreModels>;

  constructor(
    private readonly stores: WorkspaceStores,
    readonly mlflow?: MlflowSources,
  ) {
    this.views = new StoreViews(stores, (store) => this.read(store), (reason) => ({ models: [], problems: [], message: `Could not read the registry: ${reason}` }));
    this.sub = vscode.Disposable.from(
      this.views,
      this.views.changed(() => this.emitter.fire(undefined)),
      stores.onDidChange((s) => {
        if (s) void this.views.load(s);
        else this.views.loadAll();
      }),
      mlflow?.onDidChange(() => this.emitter.fire(undefined)) ?? { dispose: () => undefined },
    );
  }

  /** Read every store's registry again (after a command changed one), then redraw. */
  refresh(): void {
    this.views.loadAll();
    this.emitter.fire(undefined);
  }

  /** Settles when every store's models have been loaded since the last change (for tests and commands). */
  whenLoaded(): Promise<void> {
    return this.views.whenLoaded();
  }

  /** Every workspace store's models as last loaded through its RunSource (the status bar's Production model reads them). */
  workspaceModels(): SourceModel[] {
    return this.stores.all().flatMap((s) => this.views.get(s)?.models ?? []);
  }

  /** A store's models and damaged log lines, through its RunSource. */
  private async read(store: WorkspaceStore): Promise<StoreModels> {
    const source = store.source();
    if (!source) return { models: [], problems: [] };
    const [models, problems] = await Promise.all([source.listModels(), source.registryProblems()]);
    return { models: [...models].sort((a, b) => a.name.localeCompare(b.name)), problems };
  }

  /** The models of a store, after a Problems node when its log has damaged lines. */
  private storeChildren(store: WorkspaceStore, emptyMessage: boolean): RegistryNode[] {
    const view = this.views.get(store);
    if (!view) {
      if (!store.exists) return emptyMessage ? [{ kind: 'message', text: 'No registered models' }] : [];
      void this.views.load(store);
      return [{ kind: 'message', text: 'Loading models…' }];
    }
    const out: RegistryNode[] = view.problems.length ? [{ kind: 'problems', store, problems: view.problems }] : [];
    if (view.message) out.push({ kind: 'message', text: view.message });
    out.push(...view.models.map((model): RegistryNode => ({ kind: 'model', store, model })));
    if (!view.models.length && emptyMessage && !view.message) out.push({ kind: 'message', text: 'No registered models' });
    return out;
  }

  getChildren(node?: RegistryNode): RegistryNode[] {
    if (!node) {
      const all = this.stores.all();
      const sources = (this.mlflow?.all() ?? []).map((entry): RegistryNode => ({ kind: 'mlflowRegSource', entry }));
      if (all.length === 1 && !sources.length) return this.storeChildren(all[0], false);
      return [...all.filter((s) => s.exists || !sources.length).map((store): RegistryNode => ({ kind: 'folder', store })), ...sources];
    }
    switch (node.kind) {
      case 'folder':
        return this.storeChildren(node.store, true);
      case 'problems':
        return node.problems.map((problem) => ({ kind: 'problem', store: node.store, problem }));
      case 'model':
        return STAGE_ORDER.map((stage) => ({ kind: 'stage', store: node.store, model: node.model, stage, versions: node.model.versions.filter((v) => v.stage === stage).sort((a, b) => b.version - a.version) }));
      case 'stage':
        return node.versions.map((version) => ({ kind: 'version', store: node.store, model: node.model, version }));
      case 'message':
      case 'version':
      case 'problem':
        return [];
      default:
        return this.mlflow ? mlflowRegistryChildren(this.mlflow, node) : [];
    }
  }

  getTreeItem(node: RegistryNode): vscode.TreeItem {
    switch (node.kind) {
      case 'folder': {
        const it = new vscode.TreeItem(node.store.folder.name, vscode.TreeItemCollapsibleState.Expanded);
        it.iconPath = new vscode.ThemeIcon('root-folder');
        return it;
      }
      case 'model': {
        const it = new vscode.TreeItem(node.model.name, vscode.TreeItemCollapsibleState.Expanded);
        it.iconPath = new vscode.ThemeIcon('package');
        const prod = node.model.versions.filter((v) => v.stage === 'Production').map((v) => `v${v.version}`);
        it.description = `${node.model.versions.length} version${node.model.versions.length === 1 ? '' : 's'}${prod.length ? ` · Production ${prod.join(', ')}` : ''}`;
        it.tooltip = node.model.description || undefined;
        it.contextValue = 'model';
        it.id = `model:${node.store.folder.uri}:${node.model.name}`;
        return it;
      }
      case 'stage': {
        const it = new vscode.TreeItem(node.stage, node.versions.length ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
        it.iconPath = stageIcon(node.stage);
        it.description = String(node.versions.length);
        it.contextValue = `stage.${node.stage}`;
        it.id = `stage:${node.store.folder.uri}:${node.model.name}:${node.stage}`;
        if (node.stage === 'Archived' && node.versions.length) it.collapsibleState = vscode.TreeItemCollapsibleState.Collapsed;
        return it;
      }
      case 'version': {
        const v = node.version;
        const it = new vscode.TreeItem(`v${v.version}`, vscode.TreeItemCollapsibleState.None);
        it.iconPath = stageIcon(v.stage);
        const km = keyMetric(node.model);
        const parts = [v.run?.name ?? v.runId?.slice(0, 8) ?? ''];
        if (km && v.run?.metrics[km] !== undefined) parts.push(`${km} ${fmtValue(v.run.metrics[km])}`);
        if (v.aliases.length) parts.push(v.aliases.map((a) => `@${a}`).join(' '));
        it.description = parts.join(' · ');
        const since = v.updatedAt ?? v.createdAt;
        const md = new vscode.MarkdownString();
        md.appendMarkdown(`**${mdCell(v.model)} v${v.version}** — ${v.stage} since ${mdCell(new Date(since).toLocaleString())} (${relativeTime(since)})\n\n`);
        if (v.run) md.appendMarkdown(`From run **${mdCell(v.run.name)}** (\`${v.runId ?? ''}\`) in ${mdCell(v.run.experiment)}${v.createdBy ? `; registered by ${mdCell(v.createdBy)}` : ''}\n\n`);
        if (v.modelSha256) md.appendMarkdown(`Model SHA-256 \`${v.modelSha256.slice(0, 16)}…\`${v.run?.datasetSha256 ? ` · data set \`${v.run.datasetSha256.slice(0, 12)}…\`` : ''}\n\n`);
        md.appendMarkdown('| metric | value |\n|---|---|\n');
        for (const [k, val] of Object.entries(v.run?.metrics ?? {}).sort()) md.appendMarkdown(`| ${mdCell(k)} | ${mdCell(fmtValue(val))} |\n`);
        if (v.description) md.appendMarkdown(`\n${mdCell(v.description)}\n`);
        it.tooltip = md;
        it.contextValue = `version.${v.stage}`;
        it.id = `version:${node.store.folder.uri}:${v.model}:${v.version}`;
        return it;
      }
      case 'message': {
        const it = new vscode.TreeItem(node.text);
        it.iconPath = new vscode.ThemeIcon('info');
        return it;
      }
      case 'problems':
        return problemsGroupItem(node.problems.length, { id: `registryProblems:${node.store.folder.uri}`, contextValue: 'registryProblems', tooltip: 'Damaged lines of the registry log: skipped, never rewritten. Every other line keeps its meaning. Run MLOps: Check Store for the whole store.' });
      case 'problem':
        return problemItem(node.problem.file, node.problem.line, node.problem.message, { contextValue: 'registryProblem' });
      default:
        return mlflowRegistryItem(node);
    }
  }

  dispose(): void {
    this.sub.dispose();
    this.emitter.dispose();
  }
}
