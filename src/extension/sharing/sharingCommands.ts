/**
 * Sharing with MLflow from the trees: **Push to MLflow…** (workspace runs, an experiment, or a model version with its
 * run) into a connected MLflow source or another URI — core/sharing `push`, idempotent and resumable — and **Import
 * from MLflow…** (MLflow runs or an experiment) into a workspace store — core/sharing `pull`. Both run under a progress
 * notification whose Cancel stops them between runs (a cancelled push or pull is finished by the next one). Pushed and
 * imported runs are linked: the tree marks them and **Open in MLflow Source** opens the MLflow run.
 */
import * as vscode from 'vscode';
import { pull } from '../../core/sharing/pull';
import { push } from '../../core/sharing/push';
import type { PullResult, PushResult, SharingProgress } from '../../core/sharing/types';
import { locateSource, sourceUri } from '../../core/sources/locate';
import { openWriter } from '../../core/sources/openWriter';
import { AbortError, UserInputError } from '../../core/util/errors';
import { commandRegistrar } from '../commandRegistrar';
import type { ExperimentsNode } from '../experiments/experimentsTree';
import { CommandId, ConfigKey, setting } from '../keys';
import type { Log } from '../log';
import type { RegistryNode } from '../registry/registryTree';
import type { RunDetailsPanelManager } from '../runDetails/runDetailsPanel';
import { mlflowRunTarget } from '../runDetails/runTargets';
import type { ConnectedSources } from '../sources/connectedSources';
import type { MlflowSourceEntry, MlflowSources } from '../sources/mlflowSources';
import { showInputBox, showQuickPick } from '../util/questions';
import type { WorkspaceStore, WorkspaceStores } from '../workspaceStores';
import { MlflowLinks, type MlflowLink } from './links';

export interface SharingDeps {
  context: vscode.ExtensionContext;
  stores: WorkspaceStores;
  mlflow: MlflowSources;
  connected: ConnectedSources;
  runDetails: RunDetailsPanelManager;
  links: MlflowLinks;
  log: Log;
}

type RunNode = Extract<ExperimentsNode, { kind: 'run' }>;
type ExperimentNode = Extract<ExperimentsNode, { kind: 'experiment' }>;
type VersionNode = Extract<RegistryNode, { kind: 'version' }>;
type PushNode = RunNode | ExperimentNode | VersionNode;
type MlflowRunNode = Extract<ExperimentsNode, { kind: 'mlflowRun' }>;
type MlflowExperimentNode = Extract<ExperimentsNode, { kind: 'mlflowExperiment' }>;
type ImportNode = MlflowRunNode | MlflowExperimentNode;

/** What a push sends, from the tree's selection: runs, one experiment, or model versions (with their runs). */
interface PushSelection {
  store: WorkspaceStore;
  runIds?: string[];
  experiment?: string;
  models: boolean;
  what: string;
}

function pushSelection(nodes: PushNode[]): PushSelection {
  const stores = new Set(nodes.map((n) => n.store));
  if (stores.size !== 1) throw new UserInputError('Push runs of one workspace folder at a time.');
  const store = nodes[0].store;
  const experiments = nodes.filter((n): n is ExperimentNode => n.kind === 'experiment');
  if (experiments.length > 1) throw new UserInputError('Push one experiment at a time (or select its runs).');
  if (experiments.length === 1) return { store, experiment: experiments[0].experiment.name, models: false, what: `experiment ${experiments[0].experiment.name}` };
  const versions = nodes.filter((n): n is VersionNode => n.kind === 'version');
  const runs = nodes.filter((n): n is RunNode => n.kind === 'run');
  const runIds = [...runs.map((n) => n.run.id), ...versions.flatMap((v) => (v.version.runId ? [v.version.runId] : []))];
  const what = versions.length ? versions.map((v) => `${v.model.name} v${v.version.version}`).join(', ') : runs.length === 1 ? `run ${runs[0].run.name}` : `${runs.length} runs`;
  return { store, runIds: [...new Set(runIds)], models: versions.length > 0, what };
}

/** The MLflow target: a connected source (picked), or a URI typed in. An argument (tests, scripts) skips the pick. */
async function pickTarget(deps: SharingDeps, uriArg?: string): Promise<{ uri: string; label: string } | undefined> {
  if (uriArg) return { uri: uriArg, label: uriArg };
  const items: (vscode.QuickPickItem & { uri?: string })[] = deps.mlflow.all().map((e) => ({ label: e.label, description: e.uri, uri: e.uri }));
  items.push({ label: '$(edit) Another MLflow URI…', description: 'http(s)://…, file:///…/mlruns or sqlite:///…/mlflow.db' });
  const picked = await showQuickPick(items, { title: 'Push to which MLflow?', ignoreFocusOut: true });
  if (!picked) return undefined;
  if (picked.uri) return { uri: picked.uri, label: picked.label };
  const typed = await showInputBox({ title: 'Push to MLflow', prompt: 'A tracking server URL, an mlruns folder or an mlflow.db', ignoreFocusOut: true, placeHolder: 'http://127.0.0.1:5000' });
  return typed ? { uri: typed.trim(), label: typed.trim() } : undefined;
}

/** Runs `work` under a cancellable progress notification; its SharingProgress lines become the notification's text. */
function withSharingProgress<T>(title: string, work: (signal: AbortSignal, onProgress: (p: SharingProgress) => void) => Promise<T>): Thenable<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
    const ac = new AbortController();
    const sub = token.onCancellationRequested(() => ac.abort());
    let reported = 0;
    try {
      return await work(ac.signal, (p) => {
        const pct = p.total ? Math.floor((100 * p.done) / p.total) : 0;
        progress.report({ message: p.message, increment: p.phase === 'runs' ? Math.max(0, pct - reported) : undefined });
        if (p.phase === 'runs') reported = Math.max(reported, pct);
      });
    } finally {
      sub.dispose();
    }
  });
}

async function pushToMlflow(deps: SharingDeps, node?: PushNode, selected?: PushNode[], uriArg?: string): Promise<PushResult | undefined> {
  const nodes = (selected?.length ? selected : node ? [node] : []).filter((n) => n.kind === 'run' || n.kind === 'experiment' || n.kind === 'version');
  if (!nodes.length) throw new UserInputError('Select runs, an experiment or a model version in the MLOps views to push them to MLflow.');
  const sel = pushSelection(nodes);
  const tracker = sel.store.tracker();
  if (!tracker) throw new UserInputError(`${sel.store.folder.name} has no store yet: nothing to push.`);
  const target = await pickTarget(deps, uriArg);
  if (!target) return undefined;
  const credentials = await deps.connected.credentials(target.uri);
  const writer = openWriter(target.uri, { credentials, timeoutMs: setting<number>(ConfigKey.mlflowRequestTimeoutMs) }, sel.store.folder.uri.fsPath);
  try {
    const registry = sel.models ? sel.store.registry() : undefined;
    const result = await withSharingProgress(`Push ${sel.what} to ${target.label}`, (signal, onProgress) =>
      push(tracker, writer, { ...(sel.runIds ? { runIds: sel.runIds } : {}), ...(sel.experiment ? { experiment: sel.experiment } : {}), models: sel.models, registry, signal, onProgress }),
    );
    deps.links.pushRecorded();
    deps.log.info(`Pushed to ${writer.uri}: ${summarize(result.runs)}${result.versions.length ? `; ${result.versions.length} model version(s)` : ''}.`);
    for (const e of deps.mlflow.all().filter((x) => x.uri === writer.uri)) deps.mlflow.refresh(e);
    void vscode.window.showInformationMessage(`Pushed to ${target.label}: ${summarize(result.runs)}${result.versions.length ? `, ${result.versions.length} model version(s)` : ''}.`);
    return result;
  } catch (e) {
    if (e instanceof AbortError) {
      deps.log.info(`Push to ${writer.uri} cancelled; push again to finish it (nothing is sent twice).`);
      void vscode.window.showInformationMessage('Push cancelled. Push again to finish it: what was sent is not sent twice.');
      return undefined;
    }
    throw e;
  } finally {
    await writer.close();
  }
}

function summarize(runs: { action: string }[]): string {
  const count = (a: string) => runs.filter((r) => r.action === a).length;
  const parts = [`${count('created')} created`, `${count('updated') + count('completed')} updated`, `${count('unchanged')} unchanged`];
  return `${runs.length} run(s) (${parts.join(', ')})`;
}

async function importFromMlflow(deps: SharingDeps, node?: ImportNode, selected?: ImportNode[], folderArg?: string): Promise<PullResult | undefined> {
  const nodes = (selected?.length ? selected : node ? [node] : []).filter((n) => n.kind === 'mlflowRun' || n.kind === 'mlflowExperiment');
  if (!nodes.length) throw new UserInputError('Select MLflow runs or an MLflow experiment in the Experiments view to import them.');
  const entries = new Set(nodes.map((n) => n.entry));
  if (entries.size !== 1) throw new UserInputError('Import from one MLflow source at a time.');
  const entry = nodes[0].entry;
  const experiments = nodes.filter((n): n is MlflowExperimentNode => n.kind === 'mlflowExperiment');
  const runIds = nodes.filter((n): n is MlflowRunNode => n.kind === 'mlflowRun').map((n) => n.run.id);
  const store = await deps.stores.resolve(folderArg, 'Import into which workspace folder?');
  if (!store) return undefined;
  const tracker = store.tracker(true);
  if (!tracker) throw new UserInputError(`Cannot create a store in ${store.folder.name}.`);
  const source = await deps.mlflow.source(entry);
  const what = experiments.length === 1 && !runIds.length ? `experiment ${experiments[0].experiment.name}` : `${runIds.length} run(s)`;
  try {
    const result = await withSharingProgress(`Import ${what} from ${entry.label}`, (signal, onProgress) =>
      pull(tracker, source, { ...(experiments.length === 1 && !runIds.length ? { experiment: experiments[0].experiment.name } : { runIds }), signal, onProgress }),
    );
    store.reload();
    deps.log.info(`Imported from ${entry.uri}: ${summarize(result.runs)}.`);
    void vscode.window.showInformationMessage(`Imported from ${entry.label} into ${store.folder.name}: ${summarize(result.runs)}.`);
    return result;
  } catch (e) {
    if (e instanceof AbortError) {
      void vscode.window.showInformationMessage('Import cancelled. Import again to finish it: nothing is imported twice.');
      return undefined;
    }
    throw e;
  }
}

/** Opens the MLflow run a workspace run is linked to, connecting its source first when it is a store on this machine. */
async function openInMlflowSource(deps: SharingDeps, node?: RunNode | string): Promise<void> {
  const runId = typeof node === 'string' ? deps.stores.locateRun(node).runId : node?.run.id;
  if (!runId) throw new UserInputError('Select a workspace run that was pushed to or imported from MLflow.');
  const run = typeof node === 'object' ? node.run : deps.stores.locateRun(runId).store.tracker()?.getRun(runId);
  const link = run ? deps.links.linkOf(run) : undefined;
  if (!link) throw new UserInputError(`Run ${runId.slice(0, 8)} is not linked to an MLflow run: push it, or import runs from MLflow.`);
  const entry = await connectedEntry(deps, link);
  if (!entry) return;
  await deps.runDetails.show(mlflowRunTarget(deps.mlflow, entry, link.mlflowRunId), run?.name ?? link.mlflowRunId);
}

async function connectedEntry(deps: SharingDeps, link: MlflowLink): Promise<MlflowSourceEntry | undefined> {
  const uri = sourceUri(locateSource(link.uri));
  const have = deps.mlflow.get(uri);
  if (have) return have;
  const isServer = /^https?:/i.test(uri);
  const choice = await vscode.window.showInformationMessage(`The MLflow source ${uri} is not connected.`, isServer ? 'Connect…' : 'Open Store');
  if (!choice) return undefined;
  if (isServer) await vscode.commands.executeCommand(CommandId.connectMlflow, uri);
  else await deps.connected.connect(uri);
  return deps.mlflow.get(uri);
}

export function registerSharingCommands(deps: SharingDeps): void {
  const reg = commandRegistrar(deps.context, deps.log);
  reg(CommandId.pushToMlflow, (node?: PushNode, selected?: PushNode[], uri?: string) => pushToMlflow(deps, node, selected, uri));
  reg(CommandId.importFromMlflow, (node?: ImportNode, selected?: ImportNode[], folder?: string) => importFromMlflow(deps, node, selected, folder));
  reg(CommandId.openInMlflowSource, (node?: RunNode | string) => openInMlflowSource(deps, node));
}
