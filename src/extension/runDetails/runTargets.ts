/**
 * Where an open run's details come from: the workspace store (read from the index, artifacts opened in place) or an
 * MLflow source (read through the RunSource interface; artifacts copied to a private temporary folder to open them).
 * The run details panel only talks to a RunTarget.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readMetricSeries } from '../../core/store/runIndex';
import type { SourceArtifact, SourceRun } from '../../core/sources/types';
import type { MetricPoint } from '../../core/store/types';
import type { MetricSeriesView, RunView } from '../../shared/protocol';
import type { MlflowSourceEntry, MlflowSources } from '../sources/mlflowSources';
import type { WorkspaceStore } from '../workspaceStores';
import { toRunView, toSeries } from './runView';

export interface RunTarget {
  readonly runId: string;
  /** Unique across sources: one panel per key. */
  readonly key: string;
  readonly onDidChange: vscode.Event<unknown>;
  /** The run and its metric histories, or why it cannot be shown. */
  load(): Promise<{ run: RunView; history: MetricSeriesView[] } | { gone: string }>;
  /** A file to open for an artifact (checked to stay inside the run's artifacts). */
  artifactFile(rel: string): Promise<vscode.Uri>;
}

export function workspaceRunTarget(store: WorkspaceStore, runId: string): RunTarget {
  return {
    runId,
    key: `${store.root}#${runId}`,
    onDidChange: store.onDidChange,
    async load() {
      const run = store.snapshot.runs.find((r) => r.id === runId);
      const t = store.tracker();
      if (!run || !t) return { gone: 'This run was deleted or can no longer be read (see the MLOps output).' };
      return { run: toRunView(run), history: toSeries(readMetricSeries(t.store, run.id).points) };
    },
    async artifactFile(rel) {
      const t = store.tracker();
      if (!t) throw new Error('The store is gone.');
      return vscode.Uri.file(t.artifactPath(runId, rel));
    },
  };
}

/** Most artifacts listed for one MLflow run (a folder walk stops there; the panel says the list is cut). */
const MAX_ARTIFACTS = 500;

export function mlflowRunTarget(model: MlflowSources, entry: MlflowSourceEntry, runId: string): RunTarget {
  return {
    runId,
    key: `${entry.uri}#${runId}`,
    onDidChange: model.onDidChange,
    async load() {
      const source = await model.source(entry);
      let run: SourceRun;
      try {
        run = await source.getRun(runId);
      } catch (e) {
        return { gone: `This MLflow run cannot be read: ${(e as Error).message}` };
      }
      const points: MetricPoint[] = [];
      for (const key of Object.keys(run.metrics)) points.push(...(await source.metricHistory(runId, key)));
      const artifacts = await listAll(source.listArtifacts.bind(source), runId);
      const view = toRunView(run);
      view.artifacts = artifacts.map((a) => ({ path: a.path, kind: 'file', size: a.size ?? 0, sha256: '' }));
      if (run.sourceStatus) view.status = `${run.effectiveStatus} (MLflow ${run.sourceStatus})`;
      view.environment = { source: entry.uri, ...(run.artifactUri ? { artifactUri: run.artifactUri } : {}) };
      return { run: view, history: toSeries(points) };
    },
    async artifactFile(rel) {
      const source = await model.source(entry);
      const bytes = await source.readArtifact(runId, rel);
      // A private copy to open in an editor: <tmp>/mlops-mlflow-artifacts/<hash of source+run>/<path as in the run>.
      const base = path.join(os.tmpdir(), 'mlops-mlflow-artifacts', crypto.createHash('sha256').update(`${entry.uri}#${runId}`).digest('hex').slice(0, 16));
      const file = path.resolve(base, ...rel.split('/'));
      if (!file.startsWith(base + path.sep)) throw new Error(`Artifact path '${rel}' leaves the run's artifacts.`);
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      fs.writeFileSync(file, bytes, { mode: 0o600 });
      return vscode.Uri.file(file);
    },
  };
}

async function listAll(list: (runId: string, dir?: string) => Promise<SourceArtifact[]>, runId: string): Promise<SourceArtifact[]> {
  const out: SourceArtifact[] = [];
  const queue = [''];
  while (queue.length && out.length < MAX_ARTIFACTS) {
    const dir = queue.shift() as string;
    for (const a of await list(runId, dir || undefined)) {
      if (a.isDir) queue.push(a.path);
      else out.push(a);
      if (out.length >= MAX_ARTIFACTS) break;
    }
  }
  return out.sort((a, b) => a.path.localeCompare(b.path));
}
