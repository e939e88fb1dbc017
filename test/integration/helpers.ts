import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { MlopsApi } from '../../src/extension/extension';
import type { ExperimentsNode } from '../../src/extension/experiments/experimentsTree';

export const REPO = process.env.MLOPS_REPO ?? path.resolve(__dirname, '..', '..', '..');
export const CLI = path.join(REPO, 'dist', 'cli.js');
export const FIXTURES = path.join(REPO, 'out', 'test', 'fixtures');

export function workspaceDir(): string {
  const f = vscode.workspace.workspaceFolders?.[0];
  if (!f) throw new Error('the integration tests need a workspace folder');
  return f.uri.fsPath;
}

/** Run the real CLI in the workspace folder (another process, as a user's terminal would). */
export function mlops(...args: string[]): { code: number | null; out: string; err: string } {
  // The extension host's process.execPath is Node (server) or Electron (desktop): ELECTRON_RUN_AS_NODE makes both work.
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: workspaceDir(), encoding: 'utf8', env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', MLOPS_STORE: '' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

export async function api(): Promise<MlopsApi> {
  const ext = vscode.extensions.getExtension<MlopsApi>('mlops-workbench.mlops-workbench');
  if (!ext) throw new Error('extension mlops-workbench.mlops-workbench not found');
  return ext.isActive ? ext.exports : await ext.activate();
}

export async function waitFor<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 5000, everyMs = 50): Promise<{ value: T; ms: number }> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return { value: v as T, ms: Date.now() - t0 };
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The labels of tree items under a node, as the view renders them. */
export function labels(a: MlopsApi, node?: ExperimentsNode): string[] {
  return a.experimentsTree.getChildren(node).map((n) => {
    const l = a.experimentsTree.getTreeItem(n).label;
    return typeof l === 'string' ? l : (l?.label ?? '');
  });
}

/** A node's tree item as VS Code shows it on hover (with what resolveTreeItem adds: a run's tooltip). */
export function item(a: MlopsApi, node: ExperimentsNode): vscode.TreeItem {
  return a.experimentsTree.resolveTreeItem(a.experimentsTree.getTreeItem(node), node);
}
