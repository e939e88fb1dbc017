/**
 * Exports of a comparison as the Compare panel shows it (shown runs, their order, toggles, baseline): CSV or
 * Markdown text built by the core (the CLI's `mlops compare` writes the same), to a file or the clipboard.
 */
import * as vscode from 'vscode';
import { comparisonToCsv, comparisonToMarkdown, type ExportLayout } from '../../core/compare/export';
import { buildComparison, type CompareSettings, type Direction } from '../../core/compare/model';
import { errorMessage } from '../../core/util/errors';
import type { CompareExportFormat, CompareRunView } from '../../shared/protocol';
import { BuiltinCommand } from '../keys';
import type { Log } from '../log';
import { inWorkspace } from '../webviews/pngExport';

/** What an export reads from the panel: the runs last sent, the webview's settings, the metric directions. */
export interface ShownComparison {
  readonly title: string;
  readonly runs: CompareRunView[];
  readonly settings: CompareSettings;
  readonly directions: Record<string, Direction>;
}

const formatName = (format: CompareExportFormat) => (format === 'csv' ? 'CSV' : 'Markdown');

/** A file name from the comparison's title (without its `Compare:` prefix). */
export function comparisonFileSlug(title: string): string {
  return title.replace(/^Compare:\s*/, '').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'comparison';
}

/** The comparison as CSV or Markdown text. */
export function exportText(c: ShownComparison, format: CompareExportFormat, layout?: ExportLayout): string {
  const comparison = buildComparison(c.runs, c.settings, c.directions);
  return format === 'csv' ? comparisonToCsv(comparison, c.settings, { layout }) : comparisonToMarkdown(comparison, c.settings, { layout, title: c.title.replace(/^Compare:\s*/, 'Comparison: ') });
}

/** Write the export to a file, or put it on the clipboard; resolves with the text. */
export async function exportTo(log: Log, c: ShownComparison, format: CompareExportFormat, target: vscode.Uri | 'clipboard', layout?: ExportLayout): Promise<string> {
  const text = exportText(c, format, layout);
  if (target === 'clipboard') await vscode.env.clipboard.writeText(text);
  else await vscode.workspace.fs.writeFile(target, Buffer.from(text, 'utf8'));
  log.info(`Compare: exported ${formatName(format)} (${c.runs.length} runs) to ${target === 'clipboard' ? 'the clipboard' : target.fsPath}`);
  return text;
}

/** The webview's Export buttons: the clipboard, or a file chosen in a Save dialog. Errors are shown, never thrown. */
export async function exportInteractive(log: Log, c: ShownComparison, format: CompareExportFormat, target: 'file' | 'clipboard'): Promise<void> {
  try {
    if (target === 'clipboard') {
      await exportTo(log, c, format, 'clipboard');
      vscode.window.setStatusBarMessage(`Copied the comparison as ${formatName(format)}`, 3000);
      return;
    }
    const uri = await vscode.window.showSaveDialog({
      title: `Export the comparison as ${formatName(format)}`,
      defaultUri: inWorkspace(`${comparisonFileSlug(c.title)}.${format === 'csv' ? 'csv' : 'md'}`),
      filters: format === 'csv' ? { CSV: ['csv'] } : { Markdown: ['md'] },
    });
    if (!uri) return;
    await exportTo(log, c, format, uri);
    void vscode.window.showInformationMessage(`Saved the comparison to ${vscode.workspace.asRelativePath(uri)}.`, 'Open').then((choice) => {
      if (choice === 'Open') void vscode.commands.executeCommand(BuiltinCommand.open, uri);
    });
  } catch (e) {
    log.error('Compare: export failed', e);
    void vscode.window.showErrorMessage(`Export failed: ${errorMessage(e)}`);
  }
}
