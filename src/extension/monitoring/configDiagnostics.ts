/** Errors of mlops.yaml that stop monitoring, as diagnostics on the file at their line and column. */
import * as vscode from 'vscode';
import type { ConfigError } from '../../core/config/config';

export class ConfigDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('mlops-monitoring');

  clear(): void {
    this.collection.clear();
  }

  report(e: ConfigError): void {
    const pos = new vscode.Position(Math.max(0, (e.line ?? 1) - 1), Math.max(0, (e.col ?? 1) - 1));
    const d = new vscode.Diagnostic(new vscode.Range(pos, pos.translate(0, 1)), e.detail, vscode.DiagnosticSeverity.Error);
    d.source = 'MLOps';
    this.collection.set(vscode.Uri.file(e.file), [d]);
  }

  dispose(): void {
    this.collection.dispose();
  }
}
