/**
 * The Model Registry's commands, one line each: argument resolution is in registryArgs.ts, the commands in
 * registration.ts (Register Model, Register Best Run), versionCommands.ts (transitions, aliases, description, tags,
 * Open Source Run), modelCommands.ts (Rollback Production, Show History, Production at T) and predictCommand.ts; the
 * status-bar item in productionStatusBar.ts and the history documents in historyDocuments.ts.
 */
import * as vscode from 'vscode';
import { commandRegistrar } from '../commandRegistrar';
import type { Stage } from '../../core/registry/registry';
import { BuiltinCommand, CommandId } from '../keys';
import type { Log } from '../log';
import type { WorkspaceStores } from '../workspaceStores';
import { HistoryDocuments } from './historyDocuments';
import { productionAt, rollbackProduction, showHistory } from './modelCommands';
import { predict } from './predictCommand';
import { ProductionStatusBar } from './productionStatusBar';
import { registerBestRun, registerModel } from './registration';
import {
  editDescriptionMlflow,
  isMlflowArg,
  MlflowHistoryDocuments,
  type MlflowRegistryCommandContext,
  openSourceRunMlflow,
  productionAtMlflow,
  registerMlflowRun,
  removeAliasMlflow,
  rollbackMlflow,
  setAliasMlflow,
  setVersionTagMlflow,
  showHistoryMlflow,
  transitionMlflow,
} from './mlflowRegistryCommands';
import { RegistryArgs, RegistryCommandContext } from './registryArgs';
import type { RunDetailsPanelManager } from '../runDetails/runDetailsPanel';
import type { RegistryTreeProvider } from './registryTree';
import { archiveVersion, editDescription, openSourceRun, promoteToProduction, promoteToStaging, removeAlias, setAlias, setVersionTag, transitionVersion } from './versionCommands';

interface Deps {
  context: vscode.ExtensionContext;
  stores: WorkspaceStores;
  tree: RegistryTreeProvider;
  runDetails: RunDetailsPanelManager;
  log: Log;
}

/** Reload every store and redraw the Model Registry tree. */
function refreshRegistry(stores: WorkspaceStores, tree: RegistryTreeProvider): void {
  stores.reloadAll();
  tree.refresh();
}

export function registerRegistryCommands({ context, stores, tree, runDetails, log }: Deps): { statusBar: vscode.StatusBarItem; history: HistoryDocuments } {
  const reg = commandRegistrar(context, log);
  const history = new HistoryDocuments(stores);
  const ctx: RegistryCommandContext = { stores, args: new RegistryArgs(stores), history, log };
  /** A command function with its context bound: what the command receives goes after it. */
  const bind = <A extends unknown[]>(fn: (c: RegistryCommandContext, ...args: A) => unknown) => (...args: A) => fn(ctx, ...args);
  const statusBar = new ProductionStatusBar(context.workspaceState, tree.onDidChangeTreeData, () => tree.workspaceModels(), tree.mlflow);
  context.subscriptions.push(history, statusBar);
  // The same commands on an MLflow source's models and versions (its nodes, or { source, model, version? }).
  const mlflow = tree.mlflow;
  const mlflowHistory = mlflow && new MlflowHistoryDocuments(stores, mlflow);
  if (mlflowHistory) context.subscriptions.push(mlflowHistory);
  const mctx: MlflowRegistryCommandContext | undefined = mlflow && mlflowHistory && { stores, mlflow, runDetails, history: mlflowHistory, log };
  /** `bind(local)`, or `remote` when the first argument is about an MLflow source. */
  const either =
    <A extends unknown[]>(local: (c: RegistryCommandContext, ...args: A) => unknown, remote: (c: MlflowRegistryCommandContext, arg: never, extra?: never) => unknown) =>
    (...args: A) =>
      mctx && isMlflowArg(args[0]) ? remote(mctx, args[0] as never, args[1] as never) : local(ctx, ...args);

  reg(CommandId.registerModel, either(registerModel, registerMlflowRun));
  reg(CommandId.registerBestRun, bind(registerBestRun));
  reg(CommandId.promoteToStaging, either(promoteToStaging, (c, a) => transitionMlflow(c, a, 'Staging', false)));
  reg(CommandId.promoteToProduction, either(promoteToProduction, (c, a: { kind?: string }) => transitionMlflow(c, a as never, 'Production', a.kind !== undefined)));
  reg(CommandId.archiveVersion, either(archiveVersion, (c, a) => transitionMlflow(c, a, 'Archived', false)));
  reg(CommandId.transitionVersion, either(transitionVersion, (c, a, stage?: Stage) => transitionMlflow(c, a, stage, !stage)));
  reg(CommandId.rollbackProduction, either(rollbackProduction, rollbackMlflow));
  reg(CommandId.setAlias, either(setAlias, setAliasMlflow));
  reg(CommandId.removeAlias, either(removeAlias, removeAliasMlflow));
  reg(CommandId.editDescription, either(editDescription, editDescriptionMlflow));
  reg(CommandId.setVersionTag, either(setVersionTag, setVersionTagMlflow));
  reg(CommandId.openSourceRun, either(openSourceRun, openSourceRunMlflow));
  reg(CommandId.showHistory, either(showHistory, showHistoryMlflow));
  reg(CommandId.productionAt, either(productionAt, productionAtMlflow));
  reg(CommandId.predict, bind(predict));
  reg(CommandId.selectStatusBarModel, (name?: string) => statusBar.select(name));
  reg(CommandId.focusRegistry, () => vscode.commands.executeCommand(BuiltinCommand.focusRegistryView));
  reg(CommandId.refreshRegistry, () => refreshRegistry(stores, tree));
  return { statusBar: statusBar.item, history };
}
