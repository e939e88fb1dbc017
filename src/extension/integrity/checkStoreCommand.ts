/**
 * **MLOps: Check Store**: runs the store's fsck (src/core/integrity/storeCheck.ts) on a workspace folder's store,
 * lists every finding in the MLOps output and in the Problems panel (file and line, so a damaged log line opens at
 * its place), and offers to remove what is provably garbage (after a confirmation). Nothing else is changed.
 */
import * as vscode from 'vscode';
import { checkStore, CheckResult, Finding, formatFinding } from '../../core/integrity/storeCheck';
import { commandRegistrar } from '../commandRegistrar';
import type { Log } from '../log';
import type { WorkspaceStores } from '../workspaceStores';
import { BuiltinCommand, CommandId } from '../keys';

const SEVERITY: Record<Finding['severity'], vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
};

/** The command returns its CheckResult (for scripts and tests); the findings are also in the Problems panel and the log. */
export function registerCheckStore(context: vscode.ExtensionContext, stores: WorkspaceStores, log: Log): void {
  const diagnostics = vscode.languages.createDiagnosticCollection('mlops-store');
  context.subscriptions.push(diagnostics);
  const reg = commandRegistrar(context, log);

  const publish = (result: CheckResult) => {
    const byFile = new Map<string, vscode.Diagnostic[]>();
    for (const f of result.findings) {
      if (f.repaired) continue;
      const line = Math.max(0, (f.line ?? 1) - 1);
      const d = new vscode.Diagnostic(new vscode.Range(line, 0, line, 0), f.message, SEVERITY[f.severity]);
      d.source = 'MLOps store check';
      d.code = f.kind;
      const list = byFile.get(f.file) ?? [];
      list.push(d);
      byFile.set(f.file, list);
    }
    // Replace this store's earlier findings, keep other stores'.
    diagnostics.forEach((uri) => {
      if (uri.fsPath.startsWith(result.store)) diagnostics.delete(uri);
    });
    for (const [file, list] of byFile) diagnostics.set(vscode.Uri.file(file), list);
  };

  /** `mlops.checkStore` (optional argument: `{ repair: true }` for scripts and tests, skips the question). */
  reg(CommandId.checkStore, async (arg?: { repair?: boolean; folder?: string }) => {
    const store = await stores.resolve(arg?.folder, 'Check the store of which workspace folder?');
    if (!store) return undefined;
    const tracker = store.tracker();
    if (!tracker) {
      void vscode.window.showInformationMessage(`There is no MLOps store in ${store.folder.name} yet.`);
      return undefined;
    }
    const run = (repair: boolean) =>
      vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Checking the MLOps store of ${store.folder.name}`, cancellable: true }, async (progress, token) => {
        // The check reads synchronously; yield between its steps so the extension host stays responsive.
        await new Promise((r) => setImmediate(r));
        return checkStore(tracker.store, {
          repair,
          onProgress: (step) => {
            if (token.isCancellationRequested) throw Object.assign(new Error('Store check cancelled.'), { name: 'AbortError' });
            progress.report({ message: `${step}…` });
          },
        });
      });
    const result = await run(arg?.repair === true);
    publish(result);
    log.info(`Store check of ${result.store}: ${result.findings.length} finding(s)`);
    for (const f of result.findings) log.info(`  ${formatFinding(f)}`);
    const open = result.findings.filter((f) => !f.repaired && f.severity !== 'info');
    const removable = result.findings.filter((f) => f.removable && !f.repaired).length;
    if (!open.length) {
      void vscode.window.showInformationMessage(`MLOps store of ${store.folder.name}: no problems (${result.checked.runs} runs, ${result.checked.registryEvents} registry events checked).`);
      return result;
    }
    const actions = ['Show Problems', ...(removable && arg?.repair === undefined ? [`Remove ${removable} Leftover${removable === 1 ? '' : 's'}…`] : [])];
    // Not awaited: the command returns its result while the notification waits for the user.
    void vscode.window.showWarningMessage(`MLOps store of ${store.folder.name}: ${open.length} problem(s) found. Damaged files are left as they are.`, ...actions).then(async (choice) => {
      if (choice === 'Show Problems') await vscode.commands.executeCommand(BuiltinCommand.showProblems);
      else if (choice?.startsWith('Remove')) {
        const sure = await vscode.window.showWarningMessage(`Remove ${removable} temporary file(s) and unreferenced model copies left by interrupted writes? Only what no process can still use is removed.`, { modal: true }, 'Remove');
        if (sure !== 'Remove') return;
        const repaired = await run(true);
        publish(repaired);
        log.info(`Store repair of ${repaired.store}: ${repaired.findings.filter((f) => f.repaired).length} removed`);
      }
    });
    return result;
  });
}
