/**
 * Where an open run's details come from: any source — the workspace store or an MLflow source — read through the
 * RunSource interface (sourceRunTarget). The run details panel only talks to a RunTarget.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { SourceError, type RunSource, type SourceArtifact, type SourceRun } from '../../core/sources/types';
import type { MetricPoint, Run } from '../../core/store/types';
import { errorMessage } from '../../core/util/errors';
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

/** A source as a run target needs it: opened on demand, with its change event and a key unique across sources. */
export interface RunSourceRef {
  readonly key: string;
  readonly onDidChange: vscode.Event<unknown>;
  open(): Promise<RunSource>;
}

export function workspaceRunTarget(store: WorkspaceStore, runId: string): RunTarget {
  return sourceRunTarget({
    key: store.root,
    onDidChange: store.onDidChange,
    async open() {
      const source = store.source();
      if (!source) throw new SourceError('not-found', `There is no MLOps store in ${store.folder.name} any more.`, store.root);
      return source;
    },
  }, runId);
}

export function mlflowRunTarget(model: MlflowSources, entry: MlflowSourceEntry, runId: string): RunTarget {
  return sourceRunTarget({ key: entry.uri, onDidChange: model.onDidChange, open: () => model.source(entry) }, runId);
}

/** Most artifacts listed for one run that does not carry its list (a folder walk stops there; the panel says the list is cut). */
const MAX_ARTIFACTS = 500;

/**
 * A run of any source, read through the RunSource interface only: `getRun`, the metric histories (all at once where
 * the source can, else one per key), the artifact list (the run's own where it carries one, as the workspace store's
 * do, else listed), and an artifact opened in place where the source has it as a local file, else copied to a
 * private temporary folder.
 */
export function sourceRunTarget(ref: RunSourceRef, runId: string): RunTarget {
  return {
    runId,
    key: `${ref.key}#${runId}`,
    onDidChange: ref.onDidChange,
    async load() {
      let source: RunSource;
      let run: SourceRun & Partial<Pick<Run, 'environment' | 'artifacts'>>;
      try {
        source = await ref.open();
        run = await source.getRun(runId);
      } catch (e) {
        return { gone: `This run cannot be read: ${errorMessage(e)}` };
      }
      const points: MetricPoint[] = [];
      if (source.metricHistories) {
        const h = await source.metricHistories(run.id);
        for (const series of Object.values(h.histories)) points.push(...series);
      } else {
        for (const key of Object.keys(run.metrics)) points.push(...(await source.metricHistory(run.id, key)));
      }
      const view = toRunView(run);
      if (!run.artifacts) {
        const artifacts = await listAll(source.listArtifacts.bind(source), run.id);
        view.artifacts = artifacts.map((a) => ({ path: a.path, kind: 'file', size: a.size ?? 0, sha256: '' }));
      }
      if (run.sourceStatus) view.status = `${run.effectiveStatus} (MLflow ${run.sourceStatus})`;
      if (!run.environment) view.environment = { source: source.uri, ...(run.artifactUri ? { artifactUri: run.artifactUri } : {}) };
      return { run: view, history: toSeries(points) };
    },
    async artifactFile(rel) {
      const source = await ref.open();
      if (source.localArtifactPath) return vscode.Uri.file(await source.localArtifactPath(runId, rel));
      const bytes = await source.readArtifact(runId, rel);
      // A private copy to open in an editor: <tmp>/mlops-mlflow-artifacts/<hash of source+run>/<path as in the run>.
      const base = path.join(os.tmpdir(), 'mlops-mlflow-artifacts', crypto.createHash('sha256').update(`${ref.key}#${runId}`).digest('hex').slice(0, 16));
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
