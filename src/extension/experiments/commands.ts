/** Commands of the Experiments view: refresh, open, delete/restore/purge, copy id, filter. */
import * as vscode from 'vscode';
import { FilterSyntaxError, validateFilter } from '../../core/tracking/filter';
import type { Log } from '../log';
import { RunDetailsPanel } from '../runDetails/runDetailsPanel';
import type { WorkspaceStore, WorkspaceStores } from '../workspaceStores';
import type { ExperimentsNode, ExperimentsTreeProvider } from './experimentsTree';
import { commandRegistrar } from '../commandRegistrar';
import { BuiltinCommand, CommandId, ContextKey, setContext } from '../keys';

type RunArg = Extract<ExperimentsNode, { kind: 'run' }> | string | undefined;

export interface ExperimentsCommandDeps {
  context: vscode.ExtensionContext;
  stores: WorkspaceStores;
  tree: ExperimentsTreeProvider;
  view: vscode.TreeView<ExperimentsNode>;
  log: Log;
}

/** Find a run by node, or by id or unique prefix across all stores (WorkspaceStores.locateRun). */
function locate(stores: WorkspaceStores, arg: RunArg): { store: WorkspaceStore; runId: string } | undefined {
  if (!arg) return undefined;
  if (typeof arg !== 'string') return { store: arg.store, runId: arg.run.id };
  return stores.locateRun(arg);
}

async function pickRun(stores: WorkspaceStores, placeHolder: string): Promise<{ store: WorkspaceStore; runId: string } | undefined> {
  const items = stores.all().flatMap((store) =>
    store.snapshot.runs
      .slice()
      .sort((a, b) => b.startTime - a.startTime)
      .map((r) => ({ label: r.name, description: `${r.experimentName} · ${r.effectiveStatus}`, detail: r.id, store, runId: r.id })),
  );
  if (!items.length) {
    void vscode.window.showInformationMessage('There are no runs in this workspace yet.');
    return undefined;
  }
  return vscode.window.showQuickPick(items, { placeHolder, matchOnDescription: true, matchOnDetail: true });
}

export function registerExperimentsCommands(deps: ExperimentsCommandDeps): void {
  const { context, stores, tree, view, log } = deps;
  const reg = commandRegistrar(context, log);

  const updateFilterUi = () => {
    view.description = tree.filter ? `filter: ${tree.filter}` : undefined;
    void setContext(ContextKey.filterActive, !!tree.filter);
  };

  reg(CommandId.refresh, () => {
    stores.reloadAll();
    log.info('Refreshed the Experiments view.');
  });

  reg(CommandId.openRun, async (arg: RunArg) => {
    const target = locate(stores, arg) ?? (await pickRun(stores, 'Open which run?'));
    if (!target) return undefined;
    log.info(`Open run ${target.runId}`);
    return RunDetailsPanel.show(context.extensionUri, target.store, target.runId, log);
  });

  reg(CommandId.deleteRun, async (arg: RunArg, selected?: RunArg[]) => {
    const targets = (selected && selected.length ? selected : [arg]).map((a) => locate(stores, a)).filter((x): x is { store: WorkspaceStore; runId: string } => !!x);
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
    const msg = targets.length === 1 ? 'Run moved to the trash.' : `${targets.length} runs moved to the trash.`;
    void vscode.window.showInformationMessage(msg, 'Undo').then((choice) => {
      if (choice === 'Undo') void vscode.commands.executeCommand(CommandId.restoreRun, targets.map((t) => t.runId));
    });
  });

  reg(CommandId.restoreRun, async (arg?: Extract<ExperimentsNode, { kind: 'trashedRun' }> | string | string[]) => {
    let targets: { store: WorkspaceStore; id: string }[] = [];
    if (arg && typeof arg === 'object' && !Array.isArray(arg)) targets = [{ store: arg.store, id: arg.item.id }];
    else if (arg) {
      const ids = Array.isArray(arg) ? arg : [arg];
      for (const id of ids) {
        for (const s of stores.all()) {
          if (s.tracker()?.listTrash().some((i) => i.id.startsWith(id))) {
            targets.push({ store: s, id });
            break;
          }
        }
      }
    } else {
      const items = stores.all().flatMap((store) => (store.tracker()?.listTrash() ?? []).map((i) => ({ label: i.name, description: i.id, store, id: i.id })));
      if (!items.length) {
        void vscode.window.showInformationMessage('The trash is empty.');
        return;
      }
      const picked = await vscode.window.showQuickPick(items, { placeHolder: 'Restore which deleted run?' });
      if (!picked) return;
      targets = [{ store: picked.store, id: picked.id }];
    }
    for (const t of targets) {
      const id = t.store.tracker()!.restoreRun(t.id);
      log.info(`Restored run ${id} in ${t.store.root}`);
      t.store.reload();
    }
  });

  reg(CommandId.purgeRun, async (arg?: Extract<ExperimentsNode, { kind: 'trashedRun' }>, options?: { confirm?: boolean }) => {
    if (!arg) return;
    if (options?.confirm !== false) {
      const answer = await vscode.window.showWarningMessage(`Permanently delete run '${arg.item.name}'? This cannot be undone.`, { modal: true }, 'Delete Permanently');
      if (answer !== 'Delete Permanently') return;
    }
    arg.store.tracker()!.purgeRun(arg.item.id);
    log.info(`Purged run ${arg.item.id} from ${arg.store.root}`);
    arg.store.reload();
  });

  reg(CommandId.copyRunId, async (arg: RunArg) => {
    const target = locate(stores, arg) ?? (await pickRun(stores, 'Copy the id of which run?'));
    if (!target) return undefined;
    await vscode.env.clipboard.writeText(target.runId);
    vscode.window.setStatusBarMessage(`Copied run id ${target.runId}`, 3000);
    return target.runId;
  });

  reg(CommandId.filterRuns, async (text?: string) => {
    let value = typeof text === 'string' ? text : undefined;
    if (value === undefined) {
      value = await vscode.window.showInputBox({
        title: 'Filter Runs',
        prompt: "e.g. metrics.rmse_test < 3.2 and params.max_depth = 10 — or: status = 'failed' or tags.team like 'yield%'",
        value: tree.filter ?? '',
        validateInput: (v) => (v.trim() ? validateFilter(v) : undefined),
      });
      if (value === undefined) return;
    }
    try {
      tree.setFilter(value);
    } catch (e) {
      if (e instanceof FilterSyntaxError) throw new Error(`Invalid filter: ${e.message}`);
      throw e;
    }
    updateFilterUi();
    log.info(tree.filter ? `Filter: ${tree.filter}` : 'Filter cleared');
  });

  reg(CommandId.clearFilter, () => {
    tree.setFilter(undefined);
    updateFilterUi();
  });

  reg(CommandId.openProblemFile, async (arg?: Extract<ExperimentsNode, { kind: 'problem' }>) => {
    if (!arg) return;
    try {
      await vscode.commands.executeCommand(BuiltinCommand.open, vscode.Uri.file(arg.problem.file));
    } catch {
      void vscode.window.showWarningMessage(`${arg.problem.file}: ${arg.problem.message}`);
    }
  });

  reg(CommandId.showOutput, () => log.channel.show());
}
