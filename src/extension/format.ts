/** Small display helpers for tree items, tooltips and messages. */
import * as vscode from 'vscode';
import type { SourceRun } from '../core/sources/types';
import { fmtValue } from '../shared/format';
export { fmtValue };

export function relativeTime(ms: number, now = Date.now()): string {
  const s = Math.round((now - ms) / 1000);
  if (s < 45) return 'just now';
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.round(m / 60);
  if (h < 24) return `${h} h ago`;
  const d = Math.round(h / 24);
  if (d < 30) return `${d} d ago`;
  return new Date(ms).toISOString().slice(0, 10);
}


/** Escape text for a Markdown table cell (no HTML, no links, no pipes). */
export function mdCell(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, (c) => '\\' + c).replace(/\r?\n/g, ' ');
}

export function runTooltip(run: SourceRun, bestNote?: string): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.isTrusted = false;
  md.supportHtml = false;
  md.appendMarkdown(`**${mdCell(run.name)}** — ${mdCell(statusText(run))}\n\n`);
  md.appendMarkdown(`Run \`${run.id}\` in ${mdCell(run.experimentName)}, started ${mdCell(new Date(run.startTime).toLocaleString())}\n\n`);
  if (bestNote) md.appendMarkdown(`★ ${mdCell(bestNote)}\n\n`);
  const table = (title: string, o: Record<string, unknown>) => {
    const keys = Object.keys(o).sort();
    if (!keys.length) return;
    md.appendMarkdown(`| ${title} | value |\n|---|---|\n`);
    for (const k of keys) md.appendMarkdown(`| ${mdCell(k)} | ${mdCell(fmtValue(o[k]))} |\n`);
    md.appendMarkdown('\n');
  };
  table('param', run.params);
  table('metric', run.metrics);
  if (Object.keys(run.tags).length) table('tag', run.tags);
  for (const p of run.problems) md.appendMarkdown(`⚠ ${mdCell(p.file)}: ${mdCell(p.message)}\n\n`);
  return md;
}

export function statusText(run: Pick<SourceRun, 'interrupted' | 'effectiveStatus'>): string {
  return run.interrupted ? 'interrupted (writer process gone)' : run.effectiveStatus;
}

export function statusIcon(run: Pick<SourceRun, 'interrupted' | 'effectiveStatus'>): vscode.ThemeIcon {
  if (run.interrupted) return new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
  switch (run.effectiveStatus) {
    case 'running':
      return new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor('charts.blue'));
    case 'completed':
      return new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed'));
    case 'failed':
      return new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed'));
    case 'cancelled':
      return new vscode.ThemeIcon('circle-slash', new vscode.ThemeColor('disabledForeground'));
  }
}
