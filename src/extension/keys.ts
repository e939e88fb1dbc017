/**
 * Every id the extension shares with package.json and VS Code, as typed constants (vscode-dvc's ConfigKey/ContextKey):
 * command ids, view ids, context keys, webview panel types, status-bar item ids, settings, memento keys. Code uses
 * these names, never the strings; test/unit/package.test.ts keeps CommandId, ViewId and ConfigKey equal to
 * package.json's contributes.
 */
import * as vscode from 'vscode';

/** Commands contributed in package.json (contributes.commands). */
export const CommandId = {
  refresh: 'mlops.refresh',
  checkStore: 'mlops.checkStore',
  openRun: 'mlops.openRun',
  deleteRun: 'mlops.deleteRun',
  restoreRun: 'mlops.restoreRun',
  purgeRun: 'mlops.purgeRun',
  copyRunId: 'mlops.copyRunId',
  filterRuns: 'mlops.filterRuns',
  clearFilter: 'mlops.clearFilter',
  openProblemFile: 'mlops.openProblemFile',
  showOutput: 'mlops.showOutput',
  createSampleWorkspace: 'mlops.createSampleWorkspace',
  train: 'mlops.train',
  runSweep: 'mlops.runSweep',
  reproduceRun: 'mlops.reproduceRun',
  runTrainingCommand: 'mlops.runTrainingCommand',
  registerModel: 'mlops.registerModel',
  registerBestRun: 'mlops.registerBestRun',
  promoteToStaging: 'mlops.promoteToStaging',
  promoteToProduction: 'mlops.promoteToProduction',
  archiveVersion: 'mlops.archiveVersion',
  transitionVersion: 'mlops.transitionVersion',
  rollbackProduction: 'mlops.rollbackProduction',
  setAlias: 'mlops.setAlias',
  removeAlias: 'mlops.removeAlias',
  openSourceRun: 'mlops.openSourceRun',
  showHistory: 'mlops.showHistory',
  productionAt: 'mlops.productionAt',
  predict: 'mlops.predict',
  selectStatusBarModel: 'mlops.selectStatusBarModel',
  focusRegistry: 'mlops.focusRegistry',
  refreshRegistry: 'mlops.refreshRegistry',
  runPipeline: 'mlops.runPipeline',
  cancelPipeline: 'mlops.cancelPipeline',
  pausePipelineTriggers: 'mlops.pausePipelineTriggers',
  resumePipelineTriggers: 'mlops.resumePipelineTriggers',
  openPipelineReport: 'mlops.openPipelineReport',
  editDescription: 'mlops.editDescription',
  setVersionTag: 'mlops.setVersionTag',
  compareRuns: 'mlops.compareRuns',
  compareExperiment: 'mlops.compareExperiment',
  compareSweep: 'mlops.compareSweep',
  lockCompareTab: 'mlops.lockCompareTab',
  unlockCompareTab: 'mlops.unlockCompareTab',
  checkDrift: 'mlops.checkDrift',
  openDriftReport: 'mlops.openDriftReport',
  openDriftReportMarkdown: 'mlops.openDriftReportMarkdown',
  acknowledgeAlert: 'mlops.acknowledgeAlert',
  dismissAlert: 'mlops.dismissAlert',
  reopenAlert: 'mlops.reopenAlert',
  connectMlflow: 'mlops.connectMlflow',
  openMlflowStore: 'mlops.openMlflowStore',
  disconnectMlflow: 'mlops.disconnectMlflow',
  loadMoreRuns: 'mlops.loadMoreRuns',
  pushToMlflow: 'mlops.pushToMlflow',
  importFromMlflow: 'mlops.importFromMlflow',
  openInMlflowSource: 'mlops.openInMlflowSource',
  getStarted: 'mlops.getStarted',
} as const;
export type CommandId = (typeof CommandId)[keyof typeof CommandId];

/** VS Code's own commands that the extension runs. */
export const BuiltinCommand = {
  setContext: 'setContext',
  open: 'vscode.open',
  focusRegistryView: 'mlops.registry.focus',
  showProblems: 'workbench.actions.view.problems',
  markdownPreview: 'markdown.showPreview',
  openFolder: 'vscode.openFolder',
  manageTrust: 'workbench.trust.manage',
  openWalkthrough: 'workbench.action.openWalkthrough',
} as const;

/** Views contributed in package.json (contributes.views). */
export const ViewId = {
  experiments: 'mlops.experiments',
  registry: 'mlops.registry',
  pipelines: 'mlops.pipelines',
  alerts: 'mlops.alerts',
} as const;

/** Context keys set with setContext (package.json when clauses use them). */
export const ContextKey = {
  filterActive: 'mlops.filterActive',
  pipelinesPaused: 'mlops.pipelinesPaused',
  compareTabLocked: 'mlops.compareTabLocked',
  /** Walkthrough steps (package.json contributes.walkthroughs completionEvents): set when the thing happened. */
  walkthroughSampleOpen: 'mlops.walkthrough.sampleOpen',
  walkthroughSweepFinished: 'mlops.walkthrough.sweepFinished',
  walkthroughPromoted: 'mlops.walkthrough.promoted',
  walkthroughPipelineRan: 'mlops.walkthrough.pipelineRan',
  walkthroughDriftChecked: 'mlops.walkthrough.driftChecked',
} as const;
export type ContextKey = (typeof ContextKey)[keyof typeof ContextKey];

export function setContext(key: ContextKey, value: unknown): Thenable<unknown> {
  return vscode.commands.executeCommand(BuiltinCommand.setContext, key, value);
}

/** Webview panel types (activationEvents onWebviewPanel:…, serializers). */
export const PanelType = {
  compare: 'mlops.compare',
  driftReport: 'mlops.driftReport',
  runDetails: 'mlops.runDetails',
} as const;

/** Status-bar item ids. */
export const StatusBarId = {
  productionModel: 'mlops.productionModel',
  driftAlerts: 'mlops.driftAlerts',
} as const;

/** Keys of the extension's workspace state (Memento). */
export const StateKey = {
  statusBarModel: 'mlops.statusBarModel',
  /** MLflow servers and stores connected by hand in this workspace (URIs). */
  mlflowConnected: 'mlops.mlflow.connected',
  /** mlruns/ folders and mlflow.db files found in the workspace and accepted by the user. */
  mlflowDiscovered: 'mlops.mlflow.discovered',
  /** Whether the user has answered the "MLflow stores found" offer in this workspace. */
  mlflowDiscoveryAnswered: 'mlops.mlflow.discoveryAnswered',
  /** Global state: the Get Started walkthrough was opened once by itself (it is not opened by itself again). */
  walkthroughOpened: 'mlops.walkthrough.opened',
} as const;

/** The walkthrough's id in package.json contributes.walkthroughs (VS Code names it `<extension id>#<id>`). */
export const WALKTHROUGH_ID = 'getStarted';

/** Settings contributed in package.json (contributes.configuration), without the `mlops.` section. */
export const ConfigKey = {
  storePath: 'storePath',
  pollIntervalMs: 'pollIntervalMs',
  pipelinesDebounceMs: 'pipelines.debounceMs',
  pipelinesGitPollMs: 'pipelines.gitPollMs',
  pipelinesDataPollMs: 'pipelines.dataPollMs',
  compareReuseTab: 'compare.reuseTab',
  compareMetricDirections: 'compare.metricDirections',
  mlflowSources: 'mlflow.sources',
  mlflowPollIntervalMs: 'mlflow.pollIntervalMs',
  mlflowRequestTimeoutMs: 'mlflow.requestTimeoutMs',
} as const;
export type ConfigKey = (typeof ConfigKey)[keyof typeof ConfigKey];

/**
 * A setting's current value (read each time, so a change takes effect without a reload). The default is package.json's:
 * VS Code returns it for a contributed setting nobody set, so defaults are never repeated in code.
 */
export function setting<T>(key: ConfigKey, scope?: vscode.Uri): T {
  return vscode.workspace.getConfiguration('mlops', scope).get<T>(key) as T;
}

/**
 * VS Code's `workbench.startupEditor`: 'none' means the user wants no page opened by itself at startup (no Welcome
 * page, no walkthrough), which the extension respects too.
 */
export function startupEditor(): string | undefined {
  return vscode.workspace.getConfiguration('workbench', null).get<string>('startupEditor');
}

/** Whether a configuration change touches this setting. */
export function affects(e: vscode.ConfigurationChangeEvent, key: ConfigKey, scope?: vscode.Uri): boolean {
  return e.affectsConfiguration(`mlops.${key}`, scope);
}
