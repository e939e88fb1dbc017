/**
 * Extension entry point. Activation is lazy (the MLOps view, a command, or a workspace that has `.mlops/`)
 * and cheap: it wires providers and commands; stores are read on first use, incrementally.
 */
import * as vscode from 'vscode';
import { registerExperimentsCommands } from './experiments/commands';
import { ExperimentsNode, ExperimentsTreeProvider } from './experiments/experimentsTree';
import { Log } from './log';
import { type CompareApi, registerCompare } from './compare/compareCommands';
import { RunDetailsPanel } from './runDetails/runDetailsPanel';
import { registerTrainingCommands } from './training/trainingCommands';
import { registerPipelineCommands } from './pipelines/pipelineCommands';
import { PipelineManager } from './pipelines/pipelineManager';
import { PipelineNode, PipelinesTreeProvider } from './pipelines/pipelinesTree';
import { type DriftApi, registerMonitoringCommands } from './monitoring/monitoringCommands';
import { MonitoringManager } from './monitoring/monitoringManager';
import { registerRegistryCommands } from './registry/registryCommands';
import { RegistryNode, RegistryTreeProvider } from './registry/registryTree';
import { registerCheckStore } from './integrity/checkStoreCommand';
import { WorkspaceStores } from './workspaceStores';
import { ViewId } from './keys';

/** What activate() returns: used by the integration tests to look at the real providers. */
export interface MlopsApi {
  stores: WorkspaceStores;
  experimentsTree: ExperimentsTreeProvider;
  experimentsView: vscode.TreeView<ExperimentsNode>;
  log: Log;
  runDetailsPanel(runId: string): RunDetailsPanel | undefined;
  compare: CompareApi;
  registryTree: RegistryTreeProvider;
  registryView: vscode.TreeView<RegistryNode>;
  statusBar: vscode.StatusBarItem;
  pipelines: PipelineManager;
  pipelinesTree: PipelinesTreeProvider;
  pipelinesView: vscode.TreeView<PipelineNode>;
  monitoring: MonitoringManager;
  drift: DriftApi;
}

export function activate(context: vscode.ExtensionContext): MlopsApi {
  const started = Date.now();
  const log = new Log();
  const stores = new WorkspaceStores(log);
  const experimentsTree = new ExperimentsTreeProvider(stores);
  const experimentsView = vscode.window.createTreeView(ViewId.experiments, {
    treeDataProvider: experimentsTree,
    showCollapseAll: true,
    canSelectMany: true,
  });
  context.subscriptions.push(log, stores, experimentsTree, experimentsView, { dispose: () => RunDetailsPanel.disposeAll() });
  registerExperimentsCommands({ context, stores, tree: experimentsTree, view: experimentsView, log });
  registerTrainingCommands({ context, stores, log });
  const compare = registerCompare({ context, stores, view: experimentsView, log });
  const registryTree = new RegistryTreeProvider(stores);
  const registryView = vscode.window.createTreeView(ViewId.registry, { treeDataProvider: registryTree, showCollapseAll: true });
  context.subscriptions.push(registryTree, registryView);
  const { statusBar } = registerRegistryCommands({ context, stores, tree: registryTree, log });
  const pipelines = new PipelineManager(stores, log, context);
  const pipelinesTree = new PipelinesTreeProvider(pipelines);
  const pipelinesView = vscode.window.createTreeView(ViewId.pipelines, { treeDataProvider: pipelinesTree, showCollapseAll: true });
  context.subscriptions.push(pipelines, pipelinesTree, pipelinesView);
  registerPipelineCommands(context, pipelines, log);
  const monitoring = new MonitoringManager(stores, pipelines, log);
  const alertsView = vscode.window.createTreeView(ViewId.alerts, { treeDataProvider: monitoring, showCollapseAll: true });
  context.subscriptions.push(monitoring, alertsView);
  const drift = registerMonitoringCommands(context, stores, monitoring, pipelines, log);
  registerCheckStore(context, stores, log);
  log.info(`MLOps Workbench activated in ${Date.now() - started} ms (${stores.all().length} workspace folder(s)).`);
  return {
    stores,
    experimentsTree,
    experimentsView,
    log,
    runDetailsPanel: (id) => RunDetailsPanel.get(id),
    compare,
    registryTree,
    registryView,
    statusBar,
    pipelines,
    pipelinesTree,
    pipelinesView,
    monitoring,
    drift,
  };
}

export function deactivate(): void {
  /* everything is disposed through context.subscriptions */
}
