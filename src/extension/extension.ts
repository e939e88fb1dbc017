/**
 * Extension entry point. Activation is lazy (the MLOps view, a command, or a workspace that has `.mlops/`)
 * and cheap: it wires providers and commands; stores are read on first use, incrementally.
 */
import * as vscode from 'vscode';
import { registerExperimentsCommands } from './experiments/commands';
import { ExperimentsNode, ExperimentsTreeProvider } from './experiments/experimentsTree';
import { Log } from './log';
import { type CompareApi, registerCompare } from './compare/compareCommands';
import { ComparePanelManager } from './compare/comparePanelManager';
import { type RunDetailsPanel, RunDetailsPanelManager } from './runDetails/runDetailsPanel';
import { DriftReportPanelManager } from './monitoring/driftReportPanel';
import { registerTrainingCommands } from './training/trainingCommands';
import { registerPipelineCommands } from './pipelines/pipelineCommands';
import { PipelineManager } from './pipelines/pipelineManager';
import { PipelineNode, PipelinesTreeProvider } from './pipelines/pipelinesTree';
import { type DriftApi, registerMonitoringCommands } from './monitoring/monitoringCommands';
import { MonitoringManager } from './monitoring/monitoringManager';
import { AlertsTreeProvider } from './monitoring/alertsTree';
import { registerRegistryCommands } from './registry/registryCommands';
import { RegistryNode, RegistryTreeProvider } from './registry/registryTree';
import { registerCheckStore } from './integrity/checkStoreCommand';
import { WorkspaceStores } from './workspaceStores';
import { ConnectedSources } from './sources/connectedSources';
import { MlflowSources } from './sources/mlflowSources';
import { offerDiscoveredStores, registerSourceCommands } from './sources/sourceCommands';
import { MlflowLinks } from './sharing/links';
import { registerSharingCommands } from './sharing/sharingCommands';
import { ViewId } from './keys';
import { registerWalkthrough, type WalkthroughProgress } from './walkthrough/walkthrough';

/** What activate() returns: used by the integration tests to look at the real providers. */
export interface MlopsApi {
  stores: WorkspaceStores;
  mlflow: MlflowSources;
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
  alertsTree: AlertsTreeProvider;
  drift: DriftApi;
  walkthrough: WalkthroughProgress;
  /** How long activate() took; also in the MLOps output channel. */
  activation: ActivationTiming;
}

/** Milliseconds (performance.now()) from the start of activate() to its four tree views created, and to its end. */
export interface ActivationTiming {
  treesMs: number;
  totalMs: number;
}

export function activate(context: vscode.ExtensionContext): MlopsApi {
  const started = performance.now();
  const log = new Log();
  const stores = new WorkspaceStores(log);
  // MLflow sources (servers, mlruns folders, mlflow.db files) shown next to the workspace stores, read-only.
  const connected = new ConnectedSources(context.workspaceState, context.secrets);
  const mlflow = new MlflowSources(connected, log);
  context.subscriptions.push(connected, mlflow);
  const experimentsTree = new ExperimentsTreeProvider(stores, mlflow);
  const experimentsView = vscode.window.createTreeView(ViewId.experiments, {
    treeDataProvider: experimentsTree,
    showCollapseAll: true,
    canSelectMany: true,
  });
  // The panel managers own their panels (and restore them after a reload); disposing one closes its panels.
  const runDetails = new RunDetailsPanelManager(context.extensionUri, log);
  const comparePanels = new ComparePanelManager({ extensionUri: context.extensionUri, stores, log, mlflow });
  context.subscriptions.push(log, stores, experimentsTree, experimentsView, runDetails, comparePanels);
  context.subscriptions.push(experimentsView.onDidChangeVisibility((e) => mlflow.setVisible(e.visible || registryView.visible)));
  mlflow.setVisible(experimentsView.visible);
  registerExperimentsCommands({ context, stores, tree: experimentsTree, view: experimentsView, log, runDetails, mlflow });
  const sourceDeps = { context, connected, mlflow, log, loadMoreWorkspace: (node: { kind: 'loadMore' }) => experimentsTree.loadMore(node as unknown as Parameters<typeof experimentsTree.loadMore>[0]) };
  registerSourceCommands(sourceDeps);
  const links = new MlflowLinks(stores);
  context.subscriptions.push(links, links.onDidChange(() => experimentsTree.refresh()));
  experimentsTree.setLinks((run) => links.linkOf(run));
  registerSharingCommands({ context, stores, mlflow, connected, runDetails, links, log });
  void offerDiscoveredStores(sourceDeps).catch((e: unknown) => log.warn(`Looking for MLflow stores in the workspace failed: ${(e as Error).message}`));
  registerTrainingCommands({ context, stores, log });
  const compare = registerCompare({ context, stores, view: experimentsView, log, panels: comparePanels, mlflow });
  const registryTree = new RegistryTreeProvider(stores, mlflow);
  const registryView = vscode.window.createTreeView(ViewId.registry, { treeDataProvider: registryTree, showCollapseAll: true });
  context.subscriptions.push(registryTree, registryView);
  context.subscriptions.push(registryView.onDidChangeVisibility((e) => mlflow.setVisible(e.visible || experimentsView.visible)));
  const { statusBar } = registerRegistryCommands({ context, stores, tree: registryTree, runDetails, log });
  const pipelines = new PipelineManager(stores, log, context);
  const pipelinesTree = new PipelinesTreeProvider(pipelines);
  const pipelinesView = vscode.window.createTreeView(ViewId.pipelines, { treeDataProvider: pipelinesTree, showCollapseAll: true });
  context.subscriptions.push(pipelines, pipelinesTree, pipelinesView);
  registerPipelineCommands(context, pipelines, log);
  const monitoring = new MonitoringManager(stores, pipelines, log);
  const alertsTree = new AlertsTreeProvider(monitoring);
  const alertsView = vscode.window.createTreeView(ViewId.alerts, { treeDataProvider: alertsTree, showCollapseAll: true });
  const driftPanels = new DriftReportPanelManager({ extensionUri: context.extensionUri, stores, monitoring, pipelines, log });
  const treesMs = performance.now() - started; // the last of the four tree views is registered
  context.subscriptions.push(monitoring, alertsTree, alertsView, driftPanels);
  const drift = registerMonitoringCommands(context, stores, monitoring, log, driftPanels);
  registerCheckStore(context, stores, log);
  const walkthrough = registerWalkthrough(context, stores, log);
  const activation = { treesMs, totalMs: performance.now() - started };
  log.info(`MLOps Workbench activated in ${activation.totalMs.toFixed(1)} ms (trees registered after ${treesMs.toFixed(1)} ms; ${stores.all().length} workspace folder(s)).`);
  return {
    stores,
    mlflow,
    experimentsTree,
    experimentsView,
    log,
    runDetailsPanel: (id) => runDetails.get(id),
    compare,
    registryTree,
    registryView,
    statusBar,
    pipelines,
    pipelinesTree,
    pipelinesView,
    monitoring,
    alertsTree,
    drift,
    walkthrough,
    activation,
  };
}

export function deactivate(): void {
  /* everything is disposed through context.subscriptions */
}
