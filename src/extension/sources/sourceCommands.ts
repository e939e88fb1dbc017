/**
 * Commands that add and remove MLflow sources: Connect to MLflow Tracking Server… (URL, then how to sign in; the
 * secret goes to SecretStorage), Open MLflow Store… (an mlruns folder or an mlflow.db), Disconnect, Load More Runs,
 * and the one-time offer of mlruns/ folders and mlflow.db files found in the workspace.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { showQuickPick, showInputBox } from '../util/questions';
import { locateSource, sourceUri } from '../../core/sources/locate';
import { errorMessage, UserInputError } from '../../core/util/errors';
import { commandRegistrar } from '../commandRegistrar';
import { CommandId, StateKey } from '../keys';
import type { Log } from '../log';
import type { ConnectedSources } from './connectedSources';
import type { MlflowSourceEntry, MlflowSources } from './mlflowSources';

export interface SourceCommandDeps {
  context: vscode.ExtensionContext;
  connected: ConnectedSources;
  mlflow: MlflowSources;
  log: Log;
  /** "Load more…" of a workspace store's experiment (the same command as MLflow's). */
  loadMoreWorkspace?: (node: { kind: 'loadMore' }) => Promise<void>;
}

type AuthPick = vscode.QuickPickItem & { auth: 'none' | 'token' | 'basic' | 'env' };

/** Connect to a tracking server. Arguments (for tests and scripts): url and auth; the token never comes as an argument. */
async function connectServer(deps: SourceCommandDeps, urlArg?: string, authArg?: 'none' | 'env'): Promise<string | undefined> {
  const url = urlArg ?? (await showInputBox({
    title: 'Connect to MLflow Tracking Server',
    prompt: 'The tracking server URL, as MLFLOW_TRACKING_URI would name it',
    placeHolder: 'http://127.0.0.1:5000 or https://mlflow.example.com/prefix',
    ignoreFocusOut: true,
    validateInput: (v) => validateServerUrl(v),
  }));
  if (!url) return undefined;
  const problem = validateServerUrl(url);
  if (problem) throw new UserInputError(problem);
  const auth = authArg ?? (await pickAuth());
  if (!auth) return undefined;
  const secret = await askSecret(auth);
  if (secret === undefined) return undefined;
  const added = await deps.connected.connect(url, { auth, ...secret });
  deps.log.info(`Connected MLflow tracking server ${added.uri} (${auth === 'none' ? 'no sign-in' : auth === 'env' ? 'credentials from the environment' : `${auth} kept in SecretStorage`}).`);
  return added.uri;
}

function validateServerUrl(v: string): string | undefined {
  try {
    const loc = locateSource(v);
    return loc.kind === 'mlflow-server' ? undefined : 'A tracking server URL starts with http:// or https://';
  } catch (e) {
    return errorMessage(e);
  }
}

async function pickAuth(): Promise<AuthPick['auth'] | undefined> {
  const items: AuthPick[] = [
    { label: 'No sign-in', auth: 'none', detail: 'The server needs no credentials' },
    { label: 'Token', auth: 'token', detail: 'Sent as Authorization: Bearer (MLFLOW_TRACKING_TOKEN); kept in the OS keychain' },
    { label: 'Username and password', auth: 'basic', detail: 'HTTP Basic (MLFLOW_TRACKING_USERNAME/PASSWORD); kept in the OS keychain' },
    { label: 'From the environment', auth: 'env', detail: 'MLFLOW_TRACKING_TOKEN or MLFLOW_TRACKING_USERNAME/PASSWORD of the extension host' },
  ];
  return (await showQuickPick(items, { title: 'How does this server sign you in?', ignoreFocusOut: true }))?.auth;
}

async function askSecret(auth: AuthPick['auth']): Promise<{ token?: string; username?: string; password?: string } | undefined> {
  if (auth === 'token') {
    const token = await showInputBox({ title: 'MLflow token', password: true, ignoreFocusOut: true, prompt: 'Kept in SecretStorage, sent only to this server' });
    return token ? { token } : undefined;
  }
  if (auth === 'basic') {
    const username = await showInputBox({ title: 'MLflow username', ignoreFocusOut: true });
    if (!username) return undefined;
    const password = await showInputBox({ title: `Password for ${username}`, password: true, ignoreFocusOut: true, prompt: 'Kept in SecretStorage, sent only to this server' });
    return password === undefined ? undefined : { username, password };
  }
  return {};
}

/** Open an mlruns folder or an mlflow.db file (a path argument, else a file dialog). */
async function openStore(deps: SourceCommandDeps, spec?: string): Promise<string | undefined> {
  let chosen = spec;
  if (!chosen) {
    const picked = await vscode.window.showOpenDialog({
      title: 'Open MLflow Store (an mlruns folder or an mlflow.db file)',
      canSelectFiles: true,
      canSelectFolders: true,
      canSelectMany: false,
      defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
    });
    chosen = picked?.[0]?.fsPath;
  }
  if (!chosen) return undefined;
  const loc = locateSource(chosen, vscode.workspace.workspaceFolders?.[0]?.uri.fsPath);
  if (loc.kind === 'workspace' || loc.kind === 'mlflow-server') throw new UserInputError(`${chosen}: not an MLflow mlruns folder or mlflow.db file.`);
  const added = await deps.connected.connect(chosen);
  deps.log.info(`Opened MLflow store ${added.uri}.`);
  return added.uri;
}

async function disconnect(deps: SourceCommandDeps, arg?: { entry: MlflowSourceEntry } | string): Promise<void> {
  let uri = typeof arg === 'string' ? arg : arg?.entry.uri;
  if (!uri) {
    const items = deps.mlflow.all().map((e) => ({ label: e.label, description: e.uri, uri: e.uri }));
    if (!items.length) return void vscode.window.showInformationMessage('No MLflow source is connected.');
    uri = (await showQuickPick(items, { placeHolder: 'Disconnect which MLflow source?' }))?.uri;
  }
  if (!uri) return;
  const r = await deps.connected.disconnect(uri);
  deps.log.info(`Disconnected MLflow source ${uri}.`);
  if (r === 'in-setting') void vscode.window.showInformationMessage(`${uri} is listed in the setting mlops.mlflow.sources: remove it there to hide it.`);
}

async function loadMore(deps: SourceCommandDeps, node?: { entry: MlflowSourceEntry; experimentId: string }): Promise<void> {
  if (node) await deps.mlflow.loadMore(node.entry, node.experimentId);
}

/** Offer, once per workspace, the mlruns/ folders and mlflow.db files found in it. */
export async function offerDiscoveredStores(deps: SourceCommandDeps): Promise<void> {
  const state = deps.context.workspaceState;
  if (state.get<boolean>(StateKey.mlflowDiscoveryAnswered) || !vscode.workspace.isTrusted) return;
  const found = await vscode.workspace.findFiles('{**/mlruns/*/meta.yaml,**/mlflow.db}', '{**/node_modules/**,**/.git/**,**/.mlops/**}', 50);
  const specs = [...new Set(found.map((u) => (path.basename(u.fsPath) === 'mlflow.db' ? u.fsPath : path.dirname(path.dirname(u.fsPath)))))];
  const known = new Set(deps.connected.list().map((c) => c.uri));
  const fresh = specs.filter((s) => {
    try {
      return !known.has(sourceUri(locateSource(s)));
    } catch {
      return false;
    }
  });
  if (!fresh.length) return;
  const names = fresh.map((s) => vscode.workspace.asRelativePath(s)).join(', ');
  const choice = await vscode.window.showInformationMessage(`MLflow store${fresh.length === 1 ? '' : 's'} found in this workspace: ${names}. Show ${fresh.length === 1 ? 'it' : 'them'} in the MLOps views (read-only)?`, 'Show', 'Not Now', 'Never');
  if (choice === 'Show') await deps.connected.acceptDiscovered(fresh);
  if (choice === 'Show' || choice === 'Never') await state.update(StateKey.mlflowDiscoveryAnswered, true);
}

export function registerSourceCommands(deps: SourceCommandDeps): void {
  const reg = commandRegistrar(deps.context, deps.log);
  reg(CommandId.connectMlflow, (url?: string, auth?: 'none' | 'env') => connectServer(deps, url, auth));
  reg(CommandId.openMlflowStore, (spec?: string) => openStore(deps, spec));
  reg(CommandId.disconnectMlflow, (arg?: { entry: MlflowSourceEntry } | string) => disconnect(deps, arg));
  reg(CommandId.loadMoreRuns, (node?: { entry: MlflowSourceEntry; experimentId: string } | { kind: 'loadMore' }) =>
    node && 'kind' in node && node.kind === 'loadMore' ? deps.loadMoreWorkspace?.(node) : loadMore(deps, node as { entry: MlflowSourceEntry; experimentId: string } | undefined),
  );
}
