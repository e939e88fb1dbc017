/**
 * The one place the registry commands resolve their arguments (git's getRepository(hint)/pickRepository()): a tree
 * node, an object naming a model (and version, and workspace folder), or the user's pick → the store, model and version.
 */
import * as vscode from 'vscode';
import { showQuickPick } from '../util/questions';
import type { ModelVersion, RegisteredModel, Registry } from '../../core/registry/registry';
import { UserInputError } from '../../core/util/errors';
import type { Log } from '../log';
import type { HistoryDocuments } from './historyDocuments';
import type { WorkspaceStore, WorkspaceStores } from '../workspaceStores';
import type { RegistryNode } from './registryTree';

export type VersionNode = Extract<RegistryNode, { kind: 'version' }>;
export type ModelNode = Extract<RegistryNode, { kind: 'model' }>;

/** A model named by a command argument; without `folder`, the first workspace folder's. */
export interface ModelRef {
  model: string;
  folder?: string;
}
export interface VersionRef extends ModelRef {
  version: number;
}

export interface ModelTarget {
  store: WorkspaceStore;
  name: string;
}
export interface VersionTarget {
  store: WorkspaceStore;
  model: RegisteredModel;
  version: ModelVersion;
}

/** What every registry command function gets. */
export interface RegistryCommandContext {
  stores: WorkspaceStores;
  args: RegistryArgs;
  history: HistoryDocuments;
  log: Log;
}

export const isNode = (arg: unknown): arg is ModelNode | VersionNode => typeof arg === 'object' && arg !== null && 'kind' in arg;

/** The registry of a store; an error when the folder has no store yet (unless `create`). */
export function registryOf(store: WorkspaceStore, create = false): Registry {
  const r = store.registry(create);
  if (!r) throw new Error(`There is no MLOps store in ${store.folder.name} yet.`);
  return r;
}

/** Version `version` of model `name` in the store's registry; an error naming both when there is none. */
function versionIn(store: WorkspaceStore, name: string, version: number): VersionTarget {
  const model = registryOf(store).getModel(name);
  const v = model.versions.find((x) => x.version === version);
  if (!v) throw new Error(`Model '${name}' has no version ${version}.`);
  return { store, model, version: v };
}

const stageAndAliases = (v: ModelVersion): string => `${v.stage}${v.aliases.length ? ' · ' + v.aliases.map((a) => '@' + a).join(' ') : ''}`;

export class RegistryArgs {
  constructor(private readonly stores: WorkspaceStores) {}

  /** The store a command argument names by its folder (a folder outside the workspace is an error), else the first. */
  private async storeOf(folder: string | undefined): Promise<WorkspaceStore | undefined> {
    return folder !== undefined ? this.stores.resolve(folder) : this.stores.all()[0];
  }

  /** The version a command is about: a version node, a {model, version, folder?} argument, or the user's pick. */
  async version(arg: VersionNode | VersionRef | undefined, title: string, filter?: (v: ModelVersion) => boolean): Promise<VersionTarget | undefined> {
    // A node shows the version as its source listed it; the command acts on the registry as it is now.
    if (isNode(arg) && arg.kind === 'version') return versionIn(arg.store, arg.model.name, arg.version.version);
    if (arg && typeof (arg as VersionRef).version === 'number') {
      const ref = arg as VersionRef;
      const store = await this.storeOf(ref.folder);
      if (!store) throw new UserInputError('There is no workspace folder.');
      return versionIn(store, ref.model, ref.version);
    }
    return this.pickVersion(title, filter);
  }

  /** The model a command is about: a model or version node, a {model, folder?} argument, or the user's pick. */
  async model(arg: ModelNode | VersionNode | ModelRef | undefined, title: string): Promise<ModelTarget | undefined> {
    if (isNode(arg)) return { store: arg.store, name: arg.model.name };
    if (arg && typeof arg.model === 'string') {
      const store = await this.storeOf(arg.folder);
      return store ? { store, name: arg.model } : undefined;
    }
    return this.pickModel(title);
  }

  private async pickVersion(title: string, filter?: (v: ModelVersion) => boolean): Promise<VersionTarget | undefined> {
    const items = this.stores.all().flatMap((store) =>
      (store.registry()?.listModels() ?? []).flatMap((model) =>
        model.versions.filter((v) => !filter || filter(v)).map((version) => ({ label: `${model.name} v${version.version}`, description: stageAndAliases(version), detail: version.run.name, store, model, version })),
      ),
    );
    if (!items.length) {
      void vscode.window.showInformationMessage('No registered model versions match.');
      return undefined;
    }
    return showQuickPick(items, { title });
  }

  private async pickModel(title: string): Promise<ModelTarget | undefined> {
    const items = this.stores.all().flatMap((store) => (store.registry()?.listModels() ?? []).map((model) => ({ label: model.name, description: `${model.versions.length} versions`, store, name: model.name })));
    if (!items.length) {
      void vscode.window.showInformationMessage('No registered models yet. Register one from a run (Register Model).');
      return undefined;
    }
    return items.length === 1 ? items[0] : showQuickPick(items, { title });
  }
}
