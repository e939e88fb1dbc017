/**
 * Tree items for damaged store files, shared by the Experiments, Model Registry and Alerts views: a "Problems (n)"
 * group and one item per file (and line), which opens the file at the line. Files are reported, never rewritten.
 */
import * as vscode from 'vscode';
import { BuiltinCommand } from './keys';

export function problemsGroupItem(count: number, opts: { id: string; contextValue: string; description?: string; tooltip?: string }): vscode.TreeItem {
  const it = new vscode.TreeItem(`Problems (${count})`, vscode.TreeItemCollapsibleState.Expanded);
  it.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
  it.description = opts.description;
  it.tooltip = opts.tooltip;
  it.contextValue = opts.contextValue;
  it.id = opts.id;
  return it;
}

export function problemItem(file: string, line: number | undefined, message: string, opts: { contextValue: string; icon?: string; command?: vscode.Command }): vscode.TreeItem {
  const where = `${file}${line ? `:${line}` : ''}`;
  const it = new vscode.TreeItem(`${vscode.workspace.asRelativePath(file, false)}${line ? `:${line}` : ''}`, vscode.TreeItemCollapsibleState.None);
  it.iconPath = new vscode.ThemeIcon(opts.icon ?? 'warning', opts.icon ? undefined : new vscode.ThemeColor('problemsWarningIcon.foreground'));
  it.description = message;
  it.tooltip = `${where}\n${message}`;
  it.resourceUri = vscode.Uri.file(file);
  it.contextValue = opts.contextValue;
  it.command = opts.command ?? { command: BuiltinCommand.open, title: 'Open', arguments: [vscode.Uri.file(file), ...(line ? [{ selection: new vscode.Range(line - 1, 0, line - 1, 0) }] : [])] };
  return it;
}
