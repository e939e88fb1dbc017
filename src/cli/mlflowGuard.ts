/**
 * MLflow sources are read-only in this version but for the registry of a tracking server: a command that writes to
 * the store, or that reads what only the workspace store records (pipeline runs, alerts, the store check), stops
 * before any work with one line on stderr and exit 2 when the store it would use is an MLflow source. The registry
 * commands (MLFLOW_REGISTRY_WRITES) go on for a tracking server and are refused with the reason for mlflow.db and
 * mlruns/ (core/mlflowRegistry/writable.ts). Called from a preAction hook (main.ts), so that no command can start work
 * first.
 */
import type { Command } from 'commander';
import { registryWriteRefusal } from '../core/mlflowRegistry/writable';
import { SourceError } from '../core/sources/types';
import { GlobalOptions, mlflowKindWord, readOnlyError, resolveStore, type StoreChoice } from './context';

/** Commands that write to the store they are given. */
export const WRITING_COMMANDS: ReadonlySet<string> = new Set([
  'init', // only with --store (else it creates DIR/.mlops, whatever the environment says)
  'train',
  'sweep',
  'reproduce',
  'runs create',
  'runs delete',
  'runs restore',
  'runs purge',
  'experiments create',
  'models register',
  'models transition',
  'models alias',
  'models rollback',
  'models describe',
  'models tag',
  'pipeline run',
  'alerts ack',
  'alerts dismiss',
  'alerts reopen',
  'drift', // unless --no-save: it records its report and alerts
  'pull', // into the workspace store (--from names the MLflow source)
]);

/** Read commands over what only the workspace store records, and why. */
export const WORKSPACE_ONLY_COMMANDS: ReadonlyMap<string, string> = new Map([
  ['pipeline list', 'pipeline runs are recorded in the workspace store'],
  ['alerts list', 'alerts are recorded in the workspace store'],
  ['store check', 'it checks the files of a workspace store'],
  ['push', 'it pushes workspace runs (--to names the MLflow target); to copy runs between MLflow stores, pull them into a workspace first'],
]);

/** Registry changes made on an MLflow tracking server (commands/models.ts → cli/mlflowRegistry.ts). */
export const MLFLOW_REGISTRY_WRITES: ReadonlySet<string> = new Set(['models register', 'models transition', 'models alias', 'models rollback', 'models describe', 'models tag']);

/** `runs create`, `train`, … : the command's names below the program. */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c && c.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

export function guardMlflowSources(action: Command): void {
  const name = commandPath(action);
  const g = action.optsWithGlobals() as GlobalOptions & { save?: boolean };
  const workspaceOnly = WORKSPACE_ONLY_COMMANDS.get(name);
  if (!WRITING_COMMANDS.has(name) && !workspaceOnly) return;
  if (name === 'init' && !g.store) return;
  let store: StoreChoice;
  try {
    store = resolveStore(g, true);
  } catch (e) {
    if (name === 'drift' && !(e instanceof SourceError)) return; // drift runs without a store (nothing recorded)
    throw e;
  }
  if (store.kind !== 'mlflow') return;
  if (MLFLOW_REGISTRY_WRITES.has(name)) {
    const refusal = registryWriteRefusal({ kind: store.location.kind, uri: store.uri });
    if (refusal) throw new SourceError('read-only', refusal, store.uri);
    return;
  }
  if (name === 'drift') {
    if (g.save === false) return;
    throw readOnlyError(store, name, '; add --no-save to only print the report');
  }
  if (workspaceOnly) {
    throw new SourceError('invalid', `${store.uri} is an MLflow ${mlflowKindWord(store)} source: \`mlops ${name}\` works on a workspace store (.mlops) only (${workspaceOnly}).`, store.uri);
  }
  throw readOnlyError(store, name);
}
