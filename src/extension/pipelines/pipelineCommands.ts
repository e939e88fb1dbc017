/** Run Pipeline, Cancel Pipeline, Pause/Resume Pipeline Triggers, Open Pipeline Report. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { showQuickPick } from '../util/questions';
import type { PipelineRunRecord } from '../../core/pipeline/record';
import type { Log } from '../log';
import type { PipelineManager } from './pipelineManager';
import type { PipelineNode } from './pipelinesTree';
import { commandRegistrar } from '../commandRegistrar';
import { BuiltinCommand, CommandId } from '../keys';

export const REPORT_SCHEME = 'mlops-pipeline-report';

export function reportMarkdown(r: PipelineRunRecord): string {
  const esc = (s: string) => s.replace(/[\\`*_[\]<>|]/g, (x) => '\\' + x);
  const lines = [
    `# Pipeline ${esc(r.pipeline)} — ${r.status.toUpperCase()}`,
    '',
    `Run \`${r.id}\` · trigger **${r.trigger}**${r.coalesced ? ` (coalesced: ${r.coalesced.join(', ')})` : ''} · started ${new Date(r.startTime).toISOString()} · ${r.endTime ? `${((r.endTime - r.startTime) / 1000).toFixed(2)} s` : 'running'}`,
    '',
    r.modelVersion ? `Model **${esc(r.model)} v${r.modelVersion}**${r.promoted ? ` — ${esc(r.promoted.message)}` : ''}` : '',
    r.reason ? `\n> ${esc(r.reason)}\n` : '',
    r.data ? `Data: \`${r.data.file.replace(/`/g, "'")}\` · ${r.data.rows} rows · SHA-256 \`${r.data.sha256.slice(0, 16)}…\`` : '',
    '',
    '| # | stage | status | duration |',
    '|---|---|---|---|',
    ...r.stages.map((s, i) => `| ${i + 1} | ${s.title} | ${s.status === 'passed' ? '✓' : s.status === 'failed' ? '✗' : '–'} ${s.status} | ${s.durationMs !== null ? `${s.durationMs} ms` : ''} |`),
    '',
  ];
  for (const s of r.stages) {
    if (!s.checks.length) continue;
    lines.push(`## ${s.title}`, '', '| check | result | value |', '|---|---|---|');
    for (const c of s.checks) lines.push(`| ${esc(c.name)} | ${c.passed ? (c.warning ? '⚠ warning' : '✓ passed') : '✗ failed'} | ${esc(c.detail)} |`);
    const lat = (s.details as { latency?: { p50_ms: number; p95_ms: number; calls: number; budget_ms: number } }).latency;
    if (lat) lines.push('', `Single-row latency over ${lat.calls} calls: p50 ${lat.p50_ms.toFixed(3)} ms, p95 ${lat.p95_ms.toFixed(3)} ms (budget ${lat.budget_ms} ms).`);
    lines.push('');
  }
  return lines.filter((l, i, a) => !(l === '' && a[i - 1] === '')).join('\n') + '\n';
}

export function registerPipelineCommands(context: vscode.ExtensionContext, manager: PipelineManager, log: Log): void {
  const reg = commandRegistrar(context, log);
  const pick = async (arg?: PipelineNode | string, title = 'Run which pipeline?') => {
    if (typeof arg === 'string') return arg;
    if (arg && arg.kind === 'pipeline') return arg.entry.file;
    const all = manager.all();
    if (!all.length) {
      void vscode.window.showInformationMessage('No pipeline file (*.pipeline.yaml) in this workspace. Create Sample Workspace writes one.');
      return undefined;
    }
    if (all.length === 1) return all[0].file;
    return (await showQuickPick(all.map((e) => ({ label: e.def?.name ?? path.basename(e.file), description: vscode.workspace.asRelativePath(e.file), file: e.file })), { title }))?.file;
  };

  reg(CommandId.runPipeline, async (arg?: PipelineNode | string) => {
    const file = await pick(arg);
    if (!file) return undefined;
    return manager.trigger(file, 'manual');
  });
  reg(CommandId.cancelPipeline, async (arg?: PipelineNode | string) => {
    const file = await pick(arg, 'Cancel which pipeline?');
    return file ? manager.cancel(file) : false;
  });
  reg(CommandId.pausePipelineTriggers, () => manager.setPaused(true));
  reg(CommandId.resumePipelineTriggers, () => manager.setPaused(false));

  const reports = new (class implements vscode.TextDocumentContentProvider {
    records = new Map<string, PipelineRunRecord>();
    provideTextDocumentContent(uri: vscode.Uri): string {
      const r = this.records.get(uri.query);
      return r ? reportMarkdown(r) : '# Report not available\n';
    }
  })();
  context.subscriptions.push(vscode.workspace.registerTextDocumentContentProvider(REPORT_SCHEME, reports));
  reg(CommandId.openPipelineReport, async (arg?: PipelineRunRecord | PipelineNode) => {
    const r = arg && 'kind' in arg && arg.kind === 'pipelineRun' ? arg.record : (arg as PipelineRunRecord | undefined);
    if (!r || !('stages' in r)) return undefined;
    reports.records.set(r.id, r);
    const uri = vscode.Uri.from({ scheme: REPORT_SCHEME, path: `/${r.pipeline} ${r.id}.md`, query: r.id });
    await vscode.commands.executeCommand(BuiltinCommand.markdownPreview, uri);
    return uri;
  });
}
