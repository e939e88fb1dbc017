/**
 * The registry commands about a whole model: Rollback Production, Show History (a Markdown preview) and "which
 * version was in Production at T". Each resolves its model through RegistryArgs, then calls the core.
 */
import * as vscode from 'vscode';
import { showInputBox } from '../util/questions';
import { parseHistoryTime } from '../../core/registry/history';
import type { Registry } from '../../core/registry/registry';
import { BuiltinCommand, CommandId } from '../keys';
import { isNode, ModelNode, ModelRef, registryOf, RegistryCommandContext, VersionNode } from './registryArgs';

type ModelArg<Extra> = ModelNode | VersionNode | (ModelRef & Extra);


export async function rollbackProduction({ args, log }: RegistryCommandContext, arg?: ModelArg<{ reason?: string }>): Promise<ReturnType<Registry['rollback']> | undefined> {
  const target = await args.model(arg, 'Roll back which model?');
  if (!target) return undefined;
  const { store, name } = target;
  let reason = isNode(arg) ? undefined : arg?.reason;
  if (reason === undefined) {
    reason = await showInputBox({ title: `Rollback ${name}: put back the previous Production version`, prompt: 'Reason (recorded in the history)' });
    if (reason === undefined) return undefined;
  }
  const t0 = Date.now();
  const r = registryOf(store).rollback(name, { reason: reason || undefined });
  log.info(`Rollback ${name}: v${r.restored.version} in Production, archived v${r.archived.join(', v')} (${Date.now() - t0} ms)`);
  store.reload();
  void vscode.window.showInformationMessage(`Rolled back ${name}: v${r.restored.version} is in Production.`);
  return r;
}

export async function showHistory({ args, history }: RegistryCommandContext, arg?: ModelArg<{ at?: string }>): Promise<vscode.Uri | undefined> {
  const target = await args.model(arg, 'Show the history of which model?');
  if (!target) return undefined;
  const uri = history.uriFor(target.store, target.name, isNode(arg) ? undefined : arg?.at);
  await vscode.commands.executeCommand(BuiltinCommand.markdownPreview, uri);
  return uri;
}

export async function productionAt({ args }: RegistryCommandContext, arg?: ModelNode | (ModelRef & { time?: string })): Promise<number[] | undefined> {
  const target = await args.model(arg, 'Which model?');
  if (!target) return undefined;
  const { store, name } = target;
  const time = (isNode(arg) ? undefined : arg?.time) ?? (await showInputBox({ title: `Which version of ${name} was in Production at…`, value: new Date().toISOString().slice(0, 10), prompt: 'An ISO 8601 time (a bare date means the end of that day)', validateInput: (v) => (Number.isNaN(Date.parse(v)) ? 'Not an ISO 8601 time' : undefined) }));
  if (!time) return undefined;
  const t = parseHistoryTime(time);
  const versions = registryOf(store).at(name, t, { stage: 'Production' }).versions;
  const msg = `At ${new Date(t).toISOString()}, ${name} had ${versions.length ? versions.map((v) => `v${v}`).join(', ') : 'no version'} in Production.`;
  void vscode.window.showInformationMessage(msg, 'Show History').then((c) => {
    if (c) void vscode.commands.executeCommand(CommandId.showHistory, { model: name, folder: store.folder.uri.fsPath, at: new Date(t).toISOString() });
  });
  return versions;
}
