/**
 * The registry commands about one version: stage transitions (promote to Staging/Production, archive, any stage),
 * aliases, description, tags, and Open Source Run. Each resolves its version through RegistryArgs, then calls the core.
 */
import * as vscode from 'vscode';
import { showQuickPick, showInputBox } from '../util/questions';
import { ModelVersion, Stage, STAGES } from '../../core/registry/registry';
import { CommandId } from '../keys';
import { isNode, ModelNode, ModelRef, registryOf, RegistryCommandContext, VersionNode, VersionRef } from './registryArgs';

/** A version argument that may carry the reason to record (then nothing is asked). */
export type TransitionArg = VersionNode | (VersionRef & { reason?: string });

/** Move a version to `to` (or a stage the user picks), asking for a reason when `askReason` and none was given. */
async function transition({ args, log }: RegistryCommandContext, arg: TransitionArg | undefined, to: Stage | undefined, askReason: boolean): Promise<ModelVersion | undefined> {
  const target = await args.version(arg, to ? `Move which version to ${to}?` : 'Transition which version?', (v) => v.stage !== to);
  if (!target) return undefined;
  const label = `${target.model.name} v${target.version.version}`;
  let stage = to;
  if (!stage) {
    const picked = await showQuickPick(STAGES.filter((s) => s !== target.version.stage), { title: `${label}: move from ${target.version.stage} to…` });
    if (!picked) return undefined;
    stage = picked as Stage;
  }
  let reason = isNode(arg) ? undefined : arg?.reason;
  if (reason === undefined && askReason) {
    reason = await showInputBox({ title: `${label} → ${stage}`, prompt: 'Reason (optional, recorded in the history)' });
    if (reason === undefined) return undefined;
  }
  const v = registryOf(target.store).transition(target.model.name, target.version.version, stage, { reason: reason || undefined });
  log.info(`${target.model.name} v${v.version} → ${v.stage}${reason ? ` (${reason})` : ''}`);
  target.store.reload();
  return v;
}

export const promoteToStaging = (ctx: RegistryCommandContext, arg?: TransitionArg) => transition(ctx, arg, 'Staging', false);
/** From the tree or the palette, asks for the reason; a caller passing {model, version} gives it or not. */
export const promoteToProduction = (ctx: RegistryCommandContext, arg?: TransitionArg) => transition(ctx, arg, 'Production', !arg || isNode(arg));
export const archiveVersion = (ctx: RegistryCommandContext, arg?: TransitionArg) => transition(ctx, arg, 'Archived', false);
export const transitionVersion = (ctx: RegistryCommandContext, arg?: TransitionArg, stage?: Stage) => transition(ctx, arg, stage, !stage);

export async function setAlias({ args }: RegistryCommandContext, arg?: VersionNode | (VersionRef & { alias?: string })): Promise<string | undefined> {
  const target = await args.version(arg, 'Set an alias on which version?');
  if (!target) return undefined;
  const given = isNode(arg) ? undefined : arg?.alias;
  const alias = given ?? (await showInputBox({ title: `Alias for ${target.model.name} v${target.version.version}`, value: 'champion', prompt: 'An alias points to one version; setting it here moves it' }));
  if (!alias) return undefined;
  registryOf(target.store).setAlias(target.model.name, alias, target.version.version);
  target.store.reload();
  return alias;
}

/** Remove an alias: one of a version node's (picked when it has several), or the {model, alias} given. */
export async function removeAlias({ args }: RegistryCommandContext, arg?: VersionNode | (ModelRef & { alias: string })): Promise<string | undefined> {
  if (!arg) return undefined;
  const target = await args.model(arg, 'Remove an alias of which model?');
  const aliases = isNode(arg) ? arg.version.aliases : [];
  const alias = isNode(arg) ? (aliases.length === 1 ? aliases[0] : await showQuickPick(aliases, { title: 'Remove which alias?' })) : arg.alias;
  if (!target || !alias) return undefined;
  registryOf(target.store).setAlias(target.name, alias, null);
  target.store.reload();
  return alias;
}

/** The model or version whose description to edit, and its current text (to edit from). */
async function describedTarget({ args }: RegistryCommandContext, arg: VersionNode | ModelNode | (ModelRef & { version?: number }) | undefined) {
  if (isNode(arg)) return { store: arg.store, name: arg.model.name, version: arg.kind === 'version' ? arg.version.version : undefined, current: arg.kind === 'version' ? arg.version.description : arg.model.description };
  if (arg) {
    const t = await args.model(arg, 'Edit the description of which model?');
    return t && { ...t, version: arg.version, current: '' };
  }
  const p = await args.version(undefined, 'Edit the description of which version?');
  return p && { store: p.store, name: p.model.name, version: p.version.version, current: p.version.description };
}

export async function editDescription(ctx: RegistryCommandContext, arg?: VersionNode | ModelNode | (ModelRef & { version?: number; description?: string })): Promise<string | undefined> {
  const target = await describedTarget(ctx, arg);
  if (!target) return undefined;
  const given = isNode(arg) ? undefined : arg?.description;
  const text = given ?? (await showInputBox({ title: `Description of ${target.name}${target.version ? ` v${target.version}` : ''}`, value: target.current }));
  if (text === undefined) return undefined;
  registryOf(target.store).describe(target.name, target.version, text);
  target.store.reload();
  return text;
}

export async function setVersionTag({ args }: RegistryCommandContext, arg?: VersionNode | (VersionRef & { key?: string; value?: string })): Promise<Record<string, string | undefined> | undefined> {
  const target = await args.version(arg, 'Tag which version?');
  if (!target) return undefined;
  let [key, value] = isNode(arg) ? [undefined, undefined] : [arg?.key, arg?.value];
  if (key === undefined) {
    const kv = await showInputBox({ title: `Tag ${target.model.name} v${target.version.version}`, prompt: 'KEY=VALUE', validateInput: (v) => (/^[^=\s]+=.*$/.test(v) ? undefined : 'Use KEY=VALUE') });
    if (!kv) return undefined;
    [key, value] = [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)];
  }
  registryOf(target.store).setTags(target.model.name, target.version.version, { [key]: value ?? '' });
  target.store.reload();
  return { [key]: value };
}

export async function openSourceRun({ args }: RegistryCommandContext, arg?: VersionNode | VersionRef): Promise<unknown> {
  const target = await args.version(arg, 'Open the source run of which version?');
  if (!target) return undefined;
  return vscode.commands.executeCommand(CommandId.openRun, target.version.run.id);
}
