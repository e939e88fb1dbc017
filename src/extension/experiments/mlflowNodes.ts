/**
 * The MLflow part of the Experiments tree: a root per MLflow source → its experiments → runs (MLflow's run names,
 * statuses, nested runs under their parent, the primary metric, ★ best among the loaded runs), 200 at a time with a
 * "Load more" item. Everything is read from MlflowSources' cache; what is not loaded yet shows "Loading…" and the
 * node is redrawn when it arrives (the tree provider stays synchronous, so nothing waits on a slow server).
 */
import * as vscode from 'vscode';
import type { SourceExperiment, SourceRun } from '../../core/sources/types';
import { bestRunOfExperiment } from '../../core/tracking/metricDirection';
import { fmtValue, relativeTime, runTooltip, statusIcon } from '../format';
import { CommandId } from '../keys';
import type { MlflowSourceEntry, MlflowSources } from '../sources/mlflowSources';
import { sourceMessageItem, sourceRootItem } from '../sources/sourceItems';

export type MlflowNode =
  | { kind: 'mlflowSource'; entry: MlflowSourceEntry }
  | { kind: 'mlflowExperiment'; entry: MlflowSourceEntry; experiment: SourceExperiment }
  | { kind: 'mlflowRun'; entry: MlflowSourceEntry; run: SourceRun; childRuns: SourceRun[]; isBest: boolean; bestId?: string; metric?: { key: string; direction: 'min' | 'max' } }
  | { kind: 'mlflowLoadMore'; entry: MlflowSourceEntry; experimentId: string; loaded: number }
  | { kind: 'mlflowMessage'; entry: MlflowSourceEntry; text: string; error?: boolean };

export function mlflowChildren(model: MlflowSources, node: MlflowNode, filter: string | undefined): MlflowNode[] {
  const entry = node.entry;
  switch (node.kind) {
    case 'mlflowSource': {
      const exps = model.experimentsNow(entry);
      if (!exps) return [{ kind: 'mlflowMessage', entry, text: 'Loading…' }];
      const out: MlflowNode[] = entry.error ? [{ kind: 'mlflowMessage', entry, text: entry.error, error: true }] : [];
      if (entry.problems.size) out.push({ kind: 'mlflowMessage', entry, text: `${entry.problems.size} damaged file${entry.problems.size === 1 ? '' : 's'} skipped (see the MLOps output)`, error: true });
      out.push(...exps.map((experiment): MlflowNode => ({ kind: 'mlflowExperiment', entry, experiment })));
      if (!out.length) out.push({ kind: 'mlflowMessage', entry, text: 'No experiments' });
      return out;
    }
    case 'mlflowExperiment': {
      const page = model.runsNow(entry, node.experiment.id, filter);
      if (!page) return [{ kind: 'mlflowMessage', entry, text: 'Loading…' }];
      return runNodes(entry, node.experiment, page.runs, page.nextPageToken !== undefined, filter);
    }
    case 'mlflowRun':
      // The best run may be a nested one (a sweep's child): it is starred where it is.
      return node.childRuns.map((run) => ({ kind: 'mlflowRun', entry, run, childRuns: [], isBest: run.id === node.bestId, bestId: node.bestId, metric: node.metric }));
    default:
      return [];
  }
}

function runNodes(entry: MlflowSourceEntry, experiment: SourceExperiment, runs: SourceRun[], more: boolean, filter: string | undefined): MlflowNode[] {
  const { metric, best } = bestRunOfExperiment(experiment, runs);
  const ids = new Set(runs.map((r) => r.id));
  const children = new Map<string, SourceRun[]>();
  for (const r of runs) {
    if (r.parentRunId && ids.has(r.parentRunId)) children.set(r.parentRunId, [...(children.get(r.parentRunId) ?? []), r]);
  }
  const top = runs.filter((r) => !(r.parentRunId && ids.has(r.parentRunId)));
  const out: MlflowNode[] = top.map((run) => ({ kind: 'mlflowRun', entry, run, childRuns: children.get(run.id) ?? [], isBest: best?.id === run.id, bestId: best?.id, metric }));
  if (!runs.length) out.push({ kind: 'mlflowMessage', entry, text: filter ? 'No runs match the filter' : 'No runs' });
  if (more) out.push({ kind: 'mlflowLoadMore', entry, experimentId: experiment.id, loaded: runs.length });
  return out;
}

export function mlflowTreeItem(node: MlflowNode): vscode.TreeItem {
  switch (node.kind) {
    case 'mlflowSource': {
      const e = node.entry;
      return sourceRootItem(e, e.error ? 'error' : e.kind === 'mlflow-server' ? 'tracking server' : e.kind === 'mlflow-sqlite' ? 'SQLite store' : 'file store', 'mlflow');
    }
    case 'mlflowExperiment': {
      const item = new vscode.TreeItem(node.experiment.name, vscode.TreeItemCollapsibleState.Collapsed);
      item.iconPath = new vscode.ThemeIcon('beaker');
      item.tooltip = `Experiment ${node.experiment.id}${node.experiment.artifactLocation ? `\nArtifacts: ${node.experiment.artifactLocation}` : ''}`;
      item.contextValue = 'mlflowExperiment';
      item.id = `mlflow:${node.entry.uri}:exp:${node.experiment.id}`;
      return item;
    }
    case 'mlflowRun':
      return runItem(node);
    case 'mlflowLoadMore': {
      const item = new vscode.TreeItem('Load more…', vscode.TreeItemCollapsibleState.None);
      item.iconPath = new vscode.ThemeIcon('ellipsis');
      item.description = `${node.loaded} shown`;
      item.contextValue = 'mlflowLoadMore';
      item.command = { command: CommandId.loadMoreRuns, title: 'Load More Runs', arguments: [node] };
      return item;
    }
    case 'mlflowMessage':
      return sourceMessageItem(node.text, node.error);
  }
}

function runItem(node: Extract<MlflowNode, { kind: 'mlflowRun' }>): vscode.TreeItem {
  const r = node.run;
  const item = new vscode.TreeItem(r.name || r.id.slice(0, 8), node.childRuns.length ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
  item.iconPath = statusIcon(r);
  const parts: string[] = [];
  if (node.isBest) parts.push('★ best');
  if (node.metric && r.metrics[node.metric.key] !== undefined) parts.push(`${node.metric.key} ${fmtValue(r.metrics[node.metric.key])}`);
  if (node.childRuns.length) parts.push(`${node.childRuns.length} nested${node.childRuns.some((c) => c.id === node.bestId) ? ' (★ inside)' : ''}`);
  parts.push(relativeTime(r.startTime));
  item.description = parts.join(' · ');
  item.tooltip = runTooltip(r, node.isBest && node.metric ? `Best loaded run by ${node.metric.key} (${node.metric.direction === 'min' ? 'lowest' : 'highest'})` : undefined);
  // A parent of nested runs (a sweep) also offers Compare Sweep on them.
  item.contextValue = node.childRuns.length ? 'mlflowRun.parent' : 'mlflowRun';
  item.id = `mlflow:${node.entry.uri}:run:${r.id}`;
  item.command = { command: CommandId.openRun, title: 'Open Run', arguments: [node] };
  item.accessibilityInformation = { label: `${r.name}, ${r.sourceStatus ?? r.effectiveStatus}${node.isBest ? ', best run' : ''}` };
  return item;
}
