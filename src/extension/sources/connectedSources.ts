/**
 * Which MLflow sources this window shows, next to the workspace stores:
 *   - servers from the setting `mlops.mlflow.sources` (restricted: in Restricted Mode only the user's own value is read,
 *     so a workspace cannot point the editor, and a token, at a server of its choosing);
 *   - servers connected with **Connect to MLflow Tracking Server…** and stores opened with **Open MLflow Store…**
 *     (remembered per workspace);
 *   - `mlruns/` folders and `mlflow.db` files found in the workspace, offered once and remembered per workspace.
 * Credentials live in SecretStorage, keyed by the server URL, so a token is only ever sent to the server it was given
 * for; MLflow's environment variables are used for the server in MLFLOW_TRACKING_URI or when the user chose them.
 */
import * as vscode from 'vscode';
import { locateSource, redactUrl, sourceUri, type SourceLocation } from '../../core/sources/locate';
import { credentialsFromEnv, type SourceCredentials } from '../../core/sources/types';
import { errorMessage } from '../../core/util/errors';
import { ConfigKey, StateKey, affects, setting } from '../keys';

export type AuthChoice = 'none' | 'token' | 'basic' | 'env';

export interface ConnectedSource {
  location: SourceLocation;
  /** Canonical URI (the source's id). */
  uri: string;
  /** Where the entry comes from: the setting, a connect/open command, or discovery in the workspace. */
  origin: 'setting' | 'connected' | 'discovered';
}

interface StoredAuth {
  auth: AuthChoice;
  token?: string;
  username?: string;
  password?: string;
}

const SECRET_PREFIX = 'mlops.mlflow.credentials:';

export class ConnectedSources implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];
  /** Setting entries that could not be read: shown once per value in the log and on the source's tree node. */
  readonly problems = new Map<string, string>();

  constructor(
    private readonly state: vscode.Memento,
    private readonly secrets: vscode.SecretStorage,
    private readonly env: Record<string, string | undefined> = process.env,
  ) {
    this.disposables.push(vscode.workspace.onDidChangeConfiguration((e) => affects(e, ConfigKey.mlflowSources) && this.changed.fire()));
    this.disposables.push(secrets.onDidChange((e) => e.key.startsWith(SECRET_PREFIX) && this.changed.fire()));
  }

  /** Every source to show, without duplicates (a setting entry wins over the same URI connected by hand). */
  list(): ConnectedSource[] {
    this.problems.clear();
    const out = new Map<string, ConnectedSource>();
    const add = (spec: string, origin: ConnectedSource['origin']) => {
      try {
        const location = locateSource(spec, vscode.workspace.workspaceFolders?.[0]?.uri.fsPath);
        const uri = sourceUri(location);
        if (!out.has(uri)) out.set(uri, { location, uri, origin });
      } catch (e) {
        this.problems.set(redactUrl(spec), errorMessage(e));
      }
    };
    for (const s of setting<string[]>(ConfigKey.mlflowSources) ?? []) if (typeof s === 'string') add(s, 'setting');
    for (const s of this.state.get<string[]>(StateKey.mlflowConnected, [])) add(s, 'connected');
    for (const s of this.state.get<string[]>(StateKey.mlflowDiscovered, [])) add(s, 'discovered');
    return [...out.values()];
  }

  /** Adds a server or store to this workspace (after locating it) and keeps its credentials in SecretStorage. */
  async connect(spec: string, auth: StoredAuth = { auth: 'none' }): Promise<ConnectedSource> {
    const location = locateSource(spec, vscode.workspace.workspaceFolders?.[0]?.uri.fsPath);
    const uri = sourceUri(location);
    if (location.kind === 'mlflow-server') await this.secrets.store(SECRET_PREFIX + uri, JSON.stringify(auth));
    const list = this.state.get<string[]>(StateKey.mlflowConnected, []).filter((s) => s !== uri);
    await this.state.update(StateKey.mlflowConnected, [...list, uri]);
    this.changed.fire();
    return { location, uri, origin: 'connected' };
  }

  /** Forgets a connected or discovered source and its credentials. A setting entry stays: say so. */
  async disconnect(uri: string): Promise<'removed' | 'in-setting'> {
    await this.secrets.delete(SECRET_PREFIX + uri);
    for (const key of [StateKey.mlflowConnected, StateKey.mlflowDiscovered]) {
      await this.state.update(key, this.state.get<string[]>(key, []).filter((s) => s !== uri));
    }
    this.changed.fire();
    const inSetting = (setting<string[]>(ConfigKey.mlflowSources) ?? []).some((s) => {
      try {
        return sourceUri(locateSource(s, vscode.workspace.workspaceFolders?.[0]?.uri.fsPath)) === uri;
      } catch {
        return false;
      }
    });
    return inSetting ? 'in-setting' : 'removed';
  }

  /** Discovered stores the user accepted (once per workspace). */
  async acceptDiscovered(specs: string[]): Promise<void> {
    const have = new Set(this.state.get<string[]>(StateKey.mlflowDiscovered, []));
    for (const s of specs) have.add(s);
    await this.state.update(StateKey.mlflowDiscovered, [...have]);
    this.changed.fire();
  }

  /** The credentials for a server: what the user stored for it, else MLflow's environment variables when the server
   *  is MLFLOW_TRACKING_URI's or the user chose "from the environment". Never logged. */
  async credentials(uri: string): Promise<SourceCredentials | undefined> {
    const raw = await this.secrets.get(SECRET_PREFIX + uri);
    let stored: StoredAuth | undefined;
    try {
      stored = raw ? (JSON.parse(raw) as StoredAuth) : undefined;
    } catch {
      stored = undefined;
    }
    const insecureTls = credentialsFromEnv(this.env)?.insecureTls;
    const envUri = this.env.MLFLOW_TRACKING_URI ? safeUri(this.env.MLFLOW_TRACKING_URI) : undefined;
    if (stored?.auth === 'token' && stored.token) return { token: stored.token, insecureTls };
    if (stored?.auth === 'basic' && stored.username) return { username: stored.username, password: stored.password ?? '', insecureTls };
    if (stored?.auth === 'env' || (!stored && envUri === uri)) return credentialsFromEnv(this.env);
    return insecureTls ? { insecureTls } : undefined;
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

function safeUri(spec: string): string | undefined {
  try {
    return sourceUri(locateSource(spec));
  } catch {
    return undefined;
  }
}
