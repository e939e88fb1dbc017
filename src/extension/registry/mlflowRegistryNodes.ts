/**
 * The MLflow part of the Model Registry tree: a root per MLflow source → registered models → stage groups
 * (Production, Staging, None, Archived) → versions with their aliases and source run; loaded from MlflowSources' cache
 * ("Loading…" until it arrives, an error line when it failed). On a tracking server the registry commands apply
 * (contextValue `mlflowModel.writable`, `mlflowVersion.writable.<stage>`: mlflowRegistryCommands.ts); mlflow.db and
 * mlruns/ registries are read-only here, and their root's tooltip says why (core/mlflowRegistry/writable.ts).
 */
import * as vscode from 'vscode';
import { registryWriteRefusal } from '../../core/mlflowRegistry';
import type { SourceModel, SourceModelVersion } from '../../core/sources/types';
import { mdCell, relativeTime } from '../format';
import type { MlflowSourceEntry, MlflowSources } from '../sources/mlflowSources';
import { sourceMessageItem, sourceRootItem, stageIcon } from '../sources/sourceItems';

export type MlflowRegistryNode =
  | { kind: 'mlflowRegSource'; entry: MlflowSourceEntry }
  | { kind: 'mlflowModel'; entry: MlflowSourceEntry; model: SourceModel }
  | { kind: 'mlflowStage'; entry: MlflowSourceEntry; model: SourceModel; stage: string; versions: SourceModelVersion[] }
  | { kind: 'mlflowVersion'; entry: MlflowSourceEntry; model: SourceModel; version: SourceModelVersion }
  | { kind: 'mlflowRegMessage'; entry: MlflowSourceEntry; text: string; error?: boolean };

const STAGES = ['Production', 'Staging', 'None', 'Archived'];

export function mlflowRegistryChildren(model: MlflowSources, node: MlflowRegistryNode): MlflowRegistryNode[] {
  const entry = node.entry;
  switch (node.kind) {
    case 'mlflowRegSource': {
      const models = model.modelsNow(entry);
      if (!models) return [{ kind: 'mlflowRegMessage', entry, text: 'Loading…' }];
      const out: MlflowRegistryNode[] = entry.modelsError ? [{ kind: 'mlflowRegMessage', entry, text: entry.modelsError, error: true }] : [];
      out.push(...[...models].sort((a, b) => a.name.localeCompare(b.name)).map((m): MlflowRegistryNode => ({ kind: 'mlflowModel', entry, model: m })));
      if (!out.length) out.push({ kind: 'mlflowRegMessage', entry, text: 'No registered models' });
      return out;
    }
    case 'mlflowModel': {
      const stages = [...STAGES, ...new Set(node.model.versions.map((v) => v.stage).filter((s) => !STAGES.includes(s)))];
      return stages.map((stage) => ({ kind: 'mlflowStage', entry, model: node.model, stage, versions: node.model.versions.filter((v) => v.stage === stage).sort((a, b) => b.version - a.version) }));
    }
    case 'mlflowStage':
      return node.versions.map((version) => ({ kind: 'mlflowVersion', entry, model: node.model, version }));
    default:
      return [];
  }
}

export function mlflowRegistryItem(node: MlflowRegistryNode): vscode.TreeItem {
  switch (node.kind) {
    case 'mlflowRegSource': {
      const refusal = writeRefusal(node.entry);
      const item = sourceRootItem(node.entry, refusal ? 'read-only' : 'changes audited', 'mlflowreg');
      item.tooltip = `${node.entry.uri}\n${refusal ?? 'Stage transitions, aliases, descriptions, tags, registration and rollback are made through the server and recorded as mlops.audit.* tags on it and in the workspace registry log (Show History).'}`;
      return item;
    }
    case 'mlflowModel': {
      const m = node.model;
      const item = new vscode.TreeItem(m.name, vscode.TreeItemCollapsibleState.Collapsed);
      item.iconPath = new vscode.ThemeIcon('package');
      const prod = m.versions.filter((v) => v.stage === 'Production').map((v) => `v${v.version}`);
      item.description = `${m.versions.length} version${m.versions.length === 1 ? '' : 's'}${prod.length ? ` · Production ${prod.join(', ')}` : ''}`;
      item.tooltip = m.description || m.name;
      item.contextValue = writeRefusal(node.entry) ? 'mlflowModel' : 'mlflowModel.writable';
      item.id = `mlflowreg:${node.entry.uri}:model:${m.name}`;
      return item;
    }
    case 'mlflowStage': {
      const item = new vscode.TreeItem(node.stage, node.versions.length ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
      item.iconPath = stageIcon(node.stage);
      item.description = String(node.versions.length);
      item.contextValue = 'mlflowStage';
      item.id = `mlflowreg:${node.entry.uri}:model:${node.model.name}:stage:${node.stage}`;
      return item;
    }
    case 'mlflowVersion':
      return versionItem(node);
    case 'mlflowRegMessage':
      return sourceMessageItem(node.text, node.error);
  }
}

function versionItem(node: Extract<MlflowRegistryNode, { kind: 'mlflowVersion' }>): vscode.TreeItem {
  const v = node.version;
  const item = new vscode.TreeItem(`v${v.version}`, vscode.TreeItemCollapsibleState.None);
  item.iconPath = stageIcon(v.stage);
  const parts = [...v.aliases.map((a) => `@${a}`)];
  if (v.runId) parts.push(`run ${v.runId.slice(0, 8)}`);
  parts.push(relativeTime(v.createdAt));
  item.description = parts.join(' · ');
  const md = new vscode.MarkdownString(undefined, true);
  md.isTrusted = false;
  md.supportHtml = false;
  md.appendMarkdown(`**${mdCell(node.model.name)} v${v.version}** — ${mdCell(v.stage)}\n\n`);
  if (v.aliases.length) md.appendMarkdown(`Aliases: ${v.aliases.map((a) => `@${mdCell(a)}`).join(', ')}\n\n`);
  if (v.runId) md.appendMarkdown(`Run \`${v.runId}\`\n\n`);
  if (v.source) md.appendMarkdown(`Source: ${mdCell(v.source)}\n\n`);
  if (v.description) md.appendMarkdown(`${mdCell(v.description)}\n\n`);
  item.tooltip = md;
  item.contextValue = writeRefusal(node.entry) ? `mlflowVersion.${v.stage}` : `mlflowVersion.writable.${v.stage}`;
  item.id = `mlflowreg:${node.entry.uri}:model:${node.model.name}:v${v.version}`;
  item.accessibilityInformation = { label: `${node.model.name} version ${v.version}, ${v.stage}${v.aliases.length ? `, aliases ${v.aliases.join(', ')}` : ''}` };
  return item;
}

/** Why the registry of this source is not changed from here (undefined: a server, it is). */
function writeRefusal(entry: MlflowSourceEntry): string | undefined {
  return registryWriteRefusal({ kind: entry.kind, uri: entry.uri });
}
