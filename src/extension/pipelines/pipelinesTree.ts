/** The Pipelines tree: pipeline → runs (trigger, status, duration, model version) → stages (✓ ✗ skipped). */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { PipelineRecords, PipelineRunRecord, StageRecord } from '../../core/pipeline/record';
import { relativeTime } from '../format';
import type { PipelineEntry, PipelineManager } from './pipelineManager';
import { CommandId } from '../keys';

export type PipelineNode =
  | { kind: 'pipeline'; entry: PipelineEntry }
  | { kind: 'pipelineRun'; entry: PipelineEntry; record: PipelineRunRecord }
  | { kind: 'stage'; record: PipelineRunRecord; stage: StageRecord };

const STATUS_ICON: Record<string, [string, string]> = {
  passed: ['pass', 'testing.iconPassed'],
  failed: ['error', 'testing.iconFailed'],
  error: ['error', 'testing.iconFailed'],
  cancelled: ['circle-slash', 'disabledForeground'],
  running: ['sync~spin', 'charts.blue'],
  skipped: ['debug-step-over', 'disabledForeground'],
  pending: ['circle-outline', 'disabledForeground'],
};

export class PipelinesTreeProvider implements vscode.TreeDataProvider<PipelineNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<PipelineNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private sub: vscode.Disposable;

  constructor(private readonly manager: PipelineManager) {
    this.sub = manager.onDidChange(() => this.emitter.fire(undefined));
  }

  runsOf(entry: PipelineEntry): PipelineRunRecord[] {
    const t = entry.store.tracker();
    if (!t) return [];
    const name = entry.def?.name ?? path.basename(entry.file).replace(/\.pipeline\.(ya?ml|json)$/i, '');
    return new PipelineRecords(t.store).list(name).runs;
  }

  getChildren(node?: PipelineNode): PipelineNode[] {
    if (!node) return this.manager.all().map((entry) => ({ kind: 'pipeline', entry }));
    if (node.kind === 'pipeline') return this.runsOf(node.entry).slice(0, 50).map((record) => ({ kind: 'pipelineRun', entry: node.entry, record }));
    if (node.kind === 'pipelineRun') return node.record.stages.map((stage) => ({ kind: 'stage', record: node.record, stage }));
    return [];
  }

  getTreeItem(node: PipelineNode): vscode.TreeItem {
    if (node.kind === 'pipeline') {
      const e = node.entry;
      const it = new vscode.TreeItem(e.def?.name ?? path.basename(e.file), vscode.TreeItemCollapsibleState.Expanded);
      it.iconPath = new vscode.ThemeIcon(e.def ? 'server-process' : 'warning', e.def ? undefined : new vscode.ThemeColor('problemsErrorIcon.foreground'));
      const running = this.manager.scheduler.isRunning(e.file);
      const pending = this.manager.scheduler.pendingFor(e.file);
      it.description = e.def ? `${e.def.model}${running ? ' · running' : ''}${pending ? ` · queued (${[pending.trigger, ...pending.coalesced].join(', ')})` : ''}${this.manager.paused ? ' · triggers paused' : ''}` : 'invalid — see Problems';
      it.tooltip = e.error ?? `${vscode.workspace.asRelativePath(e.file)}\ntriggers: ${e.def ? Object.entries(e.def.triggers).filter(([, v]) => v).map(([k]) => k).join(', ') || 'manual only' : ''}`;
      it.resourceUri = vscode.Uri.file(e.file);
      it.contextValue = running ? 'pipeline.running' : 'pipeline';
      it.id = `pipeline:${e.file}`;
      return it;
    }
    if (node.kind === 'pipelineRun') {
      const r = node.record;
      const it = new vscode.TreeItem(`${r.trigger} · ${r.status}`, vscode.TreeItemCollapsibleState.Collapsed);
      const [icon, color] = STATUS_ICON[r.status] ?? STATUS_ICON.pending;
      it.iconPath = new vscode.ThemeIcon(icon, new vscode.ThemeColor(color));
      const dur = r.endTime ? `${((r.endTime - r.startTime) / 1000).toFixed(1)} s` : 'running';
      it.description = `${relativeTime(r.startTime)} · ${dur}${r.modelVersion ? ` · ${r.model} v${r.modelVersion}` : ''}`;
      it.tooltip = `${r.id}\n${r.reason ?? 'every stage passed'}${r.coalesced ? `\ncoalesced triggers: ${r.coalesced.join(', ')}` : ''}`;
      it.contextValue = 'pipelineRun';
      it.id = `prun:${r.id}`;
      it.command = { command: CommandId.openPipelineReport, title: 'Open Report', arguments: [r] };
      return it;
    }
    const s = node.stage;
    const it = new vscode.TreeItem(s.title, vscode.TreeItemCollapsibleState.None);
    const [icon, color] = STATUS_ICON[s.status] ?? STATUS_ICON.pending;
    it.iconPath = new vscode.ThemeIcon(icon, new vscode.ThemeColor(color));
    it.description = `${s.status}${s.durationMs !== null ? ` · ${s.durationMs} ms` : ''}`;
    const md = new vscode.MarkdownString();
    md.appendMarkdown(`**${s.title}** — ${s.status}\n\n`);
    for (const c of s.checks) md.appendMarkdown(`- ${c.passed ? (c.warning ? '⚠' : '✓') : '✗'} ${c.name}: ${c.detail.replace(/[\\`*_[\]<>|]/g, (x) => '\\' + x)}\n`);
    it.tooltip = md;
    it.contextValue = 'pipelineStage';
    return it;
  }

  dispose(): void {
    this.sub.dispose();
    this.emitter.dispose();
  }
}
