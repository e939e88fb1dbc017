/**
 * The workspace store (`.mlops`) as a RunSource: the same data the Tracker and the Registry give, in the shapes every
 * source shares. Reads are synchronous underneath (the run index is incremental); the interface is async so a view
 * treats this store and an MLflow server alike.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Registry } from '../../registry/registry';
import type { MetricPoint } from '../../store/types';
import type { Tracker } from '../../tracking/tracker';
import { errorMessage } from '../../util/errors';
import { selectRuns } from '../runQuery';
import { SourceError } from '../types';
import type { RunPage, RunQuery, RunSource, SourceArtifact, SourceExperiment, SourceModel, SourceRun } from '../types';

export class WorkspaceSource implements RunSource {
  readonly kind = 'workspace' as const;
  readonly uri: string;
  readonly label: string;
  readonly writable = true;

  constructor(
    readonly tracker: Tracker,
    private readonly registry: () => Registry | undefined,
    label?: string,
  ) {
    this.uri = pathToFileURL(tracker.store.root).href;
    this.label = label ?? path.basename(path.dirname(tracker.store.root));
  }

  async listExperiments(): Promise<SourceExperiment[]> {
    return this.tracker.listExperiments().map((e) => ({
      id: e.id, name: e.name, createdAt: e.createdAt, lifecycle: 'active' as const, tags: {},
      ...(e.primaryMetric ? { primaryMetric: e.primaryMetric } : {}),
    }));
  }

  async searchRuns(query: RunQuery = {}): Promise<RunPage> {
    const snap = this.tracker.snapshot();
    const page = selectRuns(snap.runs, query, new Set(snap.experiments.map((e) => e.id)));
    return { runs: page.runs, ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}), problems: snap.problems };
  }

  async getRun(runId: string): Promise<SourceRun> {
    try {
      return this.tracker.getRun(runId);
    } catch (e) {
      throw new SourceError('not-found', errorMessage(e), this.tracker.store.root);
    }
  }

  async metricHistory(runId: string, key: string): Promise<MetricPoint[]> {
    return this.tracker.metricHistory(runId).filter((p) => p.key === key).sort((a, b) => a.step - b.step || a.timestamp - b.timestamp);
  }

  async listArtifacts(runId: string, dir = ''): Promise<SourceArtifact[]> {
    const id = this.tracker.store.resolveRunId(runId);
    const folder = dir ? this.tracker.artifactPath(id, dir) : this.tracker.store.artifactsDir(id);
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(folder, { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    return entries
      .filter((d) => d.isFile() || d.isDirectory())
      .map((d) => {
        const rel = dir ? `${dir.replace(/\/+$/, '')}/${d.name}` : d.name;
        return d.isDirectory() ? { path: rel, isDir: true } : { path: rel, isDir: false, size: fs.statSync(path.join(folder, d.name)).size };
      })
      .sort((a, b) => a.path.localeCompare(b.path));
  }

  async readArtifact(runId: string, artifact: string): Promise<Uint8Array> {
    return fs.readFileSync(this.tracker.artifactPath(runId, artifact));
  }

  async listModels(): Promise<SourceModel[]> {
    const reg = this.registry();
    if (!reg) return [];
    return reg.listModels().map((m) => ({
      name: m.name,
      description: m.description,
      tags: {},
      aliases: { ...m.aliases },
      versions: m.versions.map((v) => ({
        model: v.model, version: v.version, stage: v.stage, aliases: [...v.aliases], runId: v.run.id,
        description: v.description, tags: { ...v.tags }, createdAt: v.createdAt, updatedAt: v.stageSince,
      })),
    }));
  }

  async close(): Promise<void> {
    // Nothing held open: the index reads files on demand.
  }
}
