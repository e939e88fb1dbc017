/** Tree-item pieces the MLflow nodes of the Experiments and Model Registry views share with the workspace ones. */
import * as vscode from 'vscode';
import { CommandId } from '../keys';
import type { MlflowSourceEntry } from './mlflowSources';

/** Icon and colour of a registry stage (an unknown stage of another tool gets the None look). */
export const STAGE_ICON: Record<string, [string, string]> = {
  Production: ['rocket', 'charts.green'],
  Staging: ['beaker', 'charts.yellow'],
  None: ['circle-outline', 'foreground'],
  Archived: ['archive', 'disabledForeground'],
};

export function stageIcon(stage: string): vscode.ThemeIcon {
  const [icon, color] = STAGE_ICON[stage] ?? STAGE_ICON.None;
  return new vscode.ThemeIcon(icon, new vscode.ThemeColor(color));
}

/** "Loading…", "No runs", or a source's one-line error (clicking it shows the MLOps output). */
export function sourceMessageItem(text: string, error: boolean | undefined): vscode.TreeItem {
  const item = new vscode.TreeItem(text, vscode.TreeItemCollapsibleState.None);
  item.iconPath = new vscode.ThemeIcon(error ? 'error' : 'info', error ? new vscode.ThemeColor('problemsErrorIcon.foreground') : undefined);
  item.tooltip = text;
  item.contextValue = error ? 'mlflowError' : 'message';
  if (error) item.command = { command: CommandId.showOutput, title: 'Show Output' };
  return item;
}

/** The root node of an MLflow source. */
export function sourceRootItem(e: MlflowSourceEntry, description: string, idPrefix: string): vscode.TreeItem {
  const item = new vscode.TreeItem(`MLflow · ${e.label}`, vscode.TreeItemCollapsibleState.Expanded);
  item.iconPath = new vscode.ThemeIcon(e.kind === 'mlflow-server' ? 'cloud' : 'database');
  item.description = description;
  item.tooltip = `${e.uri}\n${e.connected.origin === 'setting' ? 'From the setting mlops.mlflow.sources' : 'Connected in this workspace'} · read-only`;
  item.contextValue = `mlflowSource.${e.connected.origin}`;
  item.id = `${idPrefix}:${e.uri}`;
  return item;
}
