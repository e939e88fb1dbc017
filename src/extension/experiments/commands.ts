/**
 * Commands of the Experiments view: refresh, open, delete/restore/purge, copy id, filter. Each is one registration
 * line calling a named function below; runs are found by tree node or by id / unique prefix (WorkspaceStores.locateRun).
 */
import * as vscode from 'vscode';
import { showQuickPick, showInputBox } from '../util/questions';
import { FilterSyntaxError, validateFilter } from '../../core/tracking/filter';
import type { Log } from '../log';
import type { RunDetailsPanel, RunDetailsPanelManager } from '../runDetails/runDetailsPanel';
import { mlflowRunTarget, workspaceRunTarget } from '../runDetails/runTargets';
import type { MlflowSources } from '../sources/mlflowSources';
import type { WorkspaceStore, WorkspaceStores } from '../workspaceStores';
import type { ExperimentsNode, ExperimentsTreeProvider } from './experimentsTree';
import { commandRegistrar } from '../commandRegistrar';
import { BuiltinCommand, CommandId, ContextKey, setContext } from '../keys';

type MlflowRunNode = Extract<ExperimentsNode, { kind: 'mlflowRun' }>;
type RunArg = Extract<ExperimentsNode, { kind: 'run' }> | MlflowRunNode | string | undefined;
type TrashedRunNode = Extract<ExperimentsNode, { kind: 'trashedRun' }>;
type RunTarget = { store: WorkspaceStore; runId: string };

export interface ExperimentsCommandDeps {
  context: vscode.ExtensionContext;
  stores: WorkspaceStores;
  tree: ExperimentsTreeProvider;
  view: vscode.TreeView<ExperimentsNode>;
  log: Log;
  runDetails: RunDetailsPanelManager;
  mlflow: MlflowSources;
}

/** Find a run by node, or by id or unique prefix across all stores (WorkspaceStores.locateRun). */
function locate(stores: WorkspaceStores, arg: RunArg): RunTarget | undefined {
  if (!arg || isMlflowRun(arg)) return undefined;
  if (typeof arg !== 'string') return { store: arg.store, runId: arg.run.id };
  return stores.locateRun(arg);
}

/** Runs a picker lists: the newest (a run further back is named by its id or prefix). */
const PICK_LIMIT = 1000;

async function pickRun(stores: WorkspaceStores, placeHolder: string): Promise<RunTarget | undefined> {
  const { runs, total } = await stores.newestRuns(PICK_LIMIT);
  const items = runs.map(({ store, run: r }) => ({ label: r.name, description: `${r.experimentName} · ${r.effectiveStatus}`, detail: r.id, store, runId: r.id }));
  if (!items.length) {
    void vscode.window.showInformationMessage('There are no runs in this workspace yet.');
    return undefined;
  }
  const more = total > items.length ? ` (the newest ${items.length} of ${total}; run MLOps: Open Run with an id for another)` : '';
  return showQuickPick(items, { placeHolder: placeHolder + more, matchOnDescription: true, matchOnDetail: true });
}

function isMlflowRun(arg: RunArg): arg is MlflowRunNode {
  return typeof arg === 'object' && arg.kind === 'mlflowRun';
}

async function openRun(deps: ExperimentsCommandDeps, arg: RunArg): Promise<RunDetailsPanel | undefined> {
  if (isMlflowRun(arg)) {
    deps.log.info(`Open MLflow run ${arg.run.id} of ${arg.entry.label}`);
    return deps.runDetails.show(mlflowRunTarget(deps.mlflow, arg.entry, arg.run.id), arg.run.name);
  }
  const target = locate(deps.stores, arg) ?? (await pickRun(deps.stores, 'Open which run?'));
  if (!target) return undefined;
  deps.log.info(`Open run ${target.runId}`);
  const name = (await target.store.source()?.getRun(target.runId).catch(() => undefined))?.name;
  return deps.runDetails.show(workspaceRunTarget(target.store, target.runId), name);
}

/** Move the selected runs (or the given one, or a picked one) to the trash, with Undo. */
async function deleteRuns(deps: ExperimentsCommandDeps, arg: RunArg, selected?: RunArg[]): Promise<void> {
  const { stores, log } = deps;
  const targets = (selected && selected.length ? selected : [arg]).map((a) => locate(stores, a)).filter((x): x is RunTarget => !!x);
  if (!targets.length) {
    const picked = await pickRun(stores, 'Delete which run?');
    if (!picked) return;
    targets.push(picked);
  }
  for (const t of targets) {
    const tracker = t.store.tracker();
    if (!tracker) continue;
    tracker.deleteRun(t.runId);
    log.info(`Moved run ${t.runId} to the trash of ${t.store.root}`);
  }
  for (const s of new Set(targets.map((t) => t.store))) s.reload();
  await deps.tree.whenLoaded();
  const msg = targets.length === 1 ? 'Run moved to the trash.' : `${targets.length} runs moved to the trash.`;
  void vscode.window.showInformationMessage(msg, 'Undo').then((choice) => {
    if (choice === 'Undo') void vscode.commands.executeCommand(CommandId.restoreRun, targets.map((t) => t.runId));
  });
}

/** The trashed runs a Restore argument names: a trash node, ids or id prefixes of trashed runs (Undo), else a pick. */
async function trashedRunsFrom(stores: WorkspaceStores, arg?: TrashedRunNode | string | string[]): Promise<{ store: WorkspaceStore; id: string }[]> {
  if (arg && typeof arg === 'object' && !Array.isArray(arg)) return [{ store: arg.store, id: arg.item.id }];
  if (arg) {
    const targets: { store: WorkspaceStore; id: string }[] = [];
    for (const id of Array.isArray(arg) ? arg : [arg]) {
      const store = stores.all().find((s) => s.tracker()?.listTrash().some((i) => i.id.startsWith(id)));
      if (store) targets.push({ store, id });
    }
    return targets;
  }
  const items = stores.all().flatMap((store) => (store.tracker()?.listTrash() ?? []).map((i) => ({ label: i.name, description: i.id, store, id: i.id })));
  if (!items.length) {
    void vscode.window.showInformationMessage('The trash is empty.');
    return [];
  }
  const picked = await showQuickPick(items, { placeHolder: 'Restore which deleted run?' });
  return picked ? [{ store: picked.store, id: picked.id }] : [];
}

async function restoreRuns(deps: ExperimentsCommandDeps, arg?: TrashedRunNode | string | string[]): Promise<void> {
  for (const t of await trashedRunsFrom(deps.stores, arg)) {
    const id = t.store.tracker()!.restoreRun(t.id);
    deps.log.info(`Restored run ${id} in ${t.store.root}`);
    t.store.reload();
  }
  await deps.tree.whenLoaded();
}

/** Delete a trashed run for good, after a modal confirmation (skipped with `{ confirm: false }`). */
async function purgeRun(log: Log, arg?: TrashedRunNode, options?: { confirm?: boolean }): Promise<void> {
  if (!arg) return;
  if (options?.confirm !== false) {
    const answer = await vscode.window.showWarningMessage(`Permanently delete run '${arg.item.name}'? This cannot be undone.`, { modal: true }, 'Delete Permanently');
    if (answer !== 'Delete Permanently') return;
  }
  arg.store.tracker()!.purgeRun(arg.item.id);
  log.info(`Purged run ${arg.item.id} from ${arg.store.root}`);
  arg.store.reload();
}

async function copyRunId(stores: WorkspaceStores, arg: RunArg): Promise<string | undefined> {
  const runId = isMlflowRun(arg) ? arg.run.id : (locate(stores, arg) ?? (await pickRun(stores, 'Copy the id of which run?')))?.runId;
  if (!runId) return undefined;
  await vscode.env.clipboard.writeText(runId);
  vscode.window.setStatusBarMessage(`Copied run id ${runId}`, 3000);
  return runId;
}

/** The view's description and the context key that shows Clear Filter follow the tree's filter. */
function showFilter(deps: ExperimentsCommandDeps): void {
  deps.view.description = deps.tree.filter ? `filter: ${deps.tree.filter}` : undefined;
  void setContext(ContextKey.filterActive, !!deps.tree.filter);
}

/** Filter the Experiments view: the given expression, else one typed in an input box that checks it as you type. */
async function filterRuns(deps: ExperimentsCommandDeps, text?: string): Promise<void> {
  const { tree } = deps;
  let value = typeof text === 'string' ? text : undefined;
  if (value === undefined) {
    value = await showInputBox({
      title: 'Filter Runs',
      prompt: "e.g. metrics.rmse_test < 3.2 and params.max_depth = 10 — or: status = 'failed' or tags.team like 'yield%'",
      value: tree.filter ?? '',
      validateInput: (v) => (v.trim() ? validateFilter(v) : undefined),
    });
    if (value === undefined) return;
  }
  try {
    tree.setFilter(value);
    await tree.whenLoaded();
  } catch (e) {
    if (e instanceof FilterSyntaxError) throw new Error(`Invalid filter: ${e.message}`);
    throw e;
  }
  showFilter(deps);
  deps.log.info(tree.filter ? `Filter: ${tree.filter}` : 'Filter cleared');
}

async function clearFilter(deps: ExperimentsCommandDeps): Promise<void> {
  deps.tree.setFilter(undefined);
  showFilter(deps);
  await deps.tree.whenLoaded();
}

/** A damaged store file's node: open the file (or say what is wrong with it when it cannot be opened). */
async function openProblemFile(arg?: Extract<ExperimentsNode, { kind: 'problem' }>): Promise<void> {
  if (!arg) return;
  try {
    await vscode.commands.executeCommand(BuiltinCommand.open, vscode.Uri.file(arg.problem.file));
  } catch {
    void vscode.window.showWarningMessage(`${arg.problem.file}: ${arg.problem.message}`);
  }
}

async function refresh(deps: ExperimentsCommandDeps): Promise<void> {
  deps.stores.reloadAll(true); // every run folder compared with the index
  deps.mlflow.refresh();
  await deps.tree.whenLoaded();
  deps.log.info('Refreshed the Experiments view.');
}

export function registerExperimentsCommands(deps: ExperimentsCommandDeps): void {
  const reg = commandRegistrar(deps.context, deps.log);
  reg(CommandId.refresh, () => refresh(deps));
  reg(CommandId.openRun, (arg: RunArg) => openRun(deps, arg));
  reg(CommandId.deleteRun, (arg: RunArg, selected?: RunArg[]) => deleteRuns(deps, arg, selected));
  reg(CommandId.restoreRun, (arg?: TrashedRunNode | string | string[]) => restoreRuns(deps, arg));
  reg(CommandId.purgeRun, (arg?: TrashedRunNode, options?: { confirm?: boolean }) => purgeRun(deps.log, arg, options));
  reg(CommandId.copyRunId, (arg: RunArg) => copyRunId(deps.stores, arg));
  reg(CommandId.filterRuns, (text?: string) => filterRuns(deps, text));
  reg(CommandId.clearFilter, () => clearFilter(deps));
  reg(CommandId.openProblemFile, (arg?: Extract<ExperimentsNode, { kind: 'problem' }>) => openProblemFile(arg));
  reg(CommandId.showOutput, () => deps.log.channel.show());
}
