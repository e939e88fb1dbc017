/**
 * The workspace store (`.mlops`) as a RunSource: the same data the Tracker and the Registry give, in the shapes every
 * source shares. Two flavours:
 *
 * - `WorkspaceSource` reads through the Tracker (the CLI: one process, one query, the run index read incrementally);
 * - `IndexedWorkspaceSource` answers the listing queries from the store index in a worker thread (the extension: a
 *   100,000-run store is never loaded on the extension host), and reads one run's histories and artifacts from its
 *   folder, as `WorkspaceSource` does.
 *
 * The workspace's runs are `Run`s — a `Run` is a `SourceRun` with the environment record and the artifact list — so
 * the narrower return types below let a view that asked through the interface keep them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Registry } from '../../registry/registry';
import { readMetricSeries, RunIndex } from '../../store/runIndex';
import type { MetricPoint, Run, StoreProblem } from '../../store/types';
import type { IndexPage, IndexPageQuery, IndexSummary } from '../../tracking/storeIndex';
import type { Tracker } from '../../tracking/tracker';
import { compileFilter, sortRunsBy } from '../../tracking/filter';
import { errorMessage } from '../../util/errors';
import { decodePageToken, encodePageToken, pageSize, parseOrderBy, selectRuns } from '../runQuery';
import { SourceError } from '../types';
import type { BestOfExperiment, RunPage, RunQuery, RunSource, SourceArtifact, SourceExperiment, SourceModel } from '../types';

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

  async searchRuns(query: RunQuery = {}): Promise<Omit<RunPage, 'runs'> & { runs: Run[] }> {
    const snap = this.tracker.snapshot();
    const page = selectRuns(snap.runs, query, new Set(snap.experiments.map((e) => e.id)));
    return { runs: page.runs as Run[], ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}), problems: snap.problems };
  }

  async getRun(runId: string): Promise<Run> {
    try {
      return this.tracker.getRun(runId);
    } catch (e) {
      throw new SourceError('not-found', errorMessage(e), this.tracker.store.root);
    }
  }

  async metricHistory(runId: string, key: string): Promise<MetricPoint[]> {
    return (await this.metricHistories(runId)).histories[key] ?? [];
  }

  async metricHistories(runId: string): Promise<{ histories: Record<string, MetricPoint[]>; problems: StoreProblem[] }> {
    const id = this.resolveId(runId);
    const series = readMetricSeries(this.tracker.store, id);
    const histories: Record<string, MetricPoint[]> = {};
    for (const p of series.points) (histories[p.key] ??= []).push(p);
    for (const points of Object.values(histories)) points.sort((a, b) => a.step - b.step || a.timestamp - b.timestamp);
    return { histories, problems: series.problems };
  }

  async listArtifacts(runId: string, dir = ''): Promise<SourceArtifact[]> {
    const id = this.resolveId(runId);
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

  /** The artifact's file in the run's folder (checked to stay inside the run's artifacts). */
  async localArtifactPath(runId: string, artifact: string): Promise<string> {
    return this.tracker.artifactPath(runId, artifact);
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
        run: { name: v.run.name, experiment: v.run.experiment, metrics: { ...v.run.metrics }, ...(v.run.datasetSha256 ? { datasetSha256: v.run.datasetSha256 } : {}) },
        createdBy: v.createdBy,
        modelSha256: v.modelSha256,
      })),
    }));
  }

  /** Damaged lines of the registry log (registry/events.jsonl), each with its file and line. */
  async registryProblems(): Promise<StoreProblem[]> {
    return (this.registry()?.state().problems ?? []).map((p) => ({ file: p.file, line: p.line, message: p.message }));
  }

  async close(): Promise<void> {
    // Nothing held open: the index reads files on demand.
  }

  /** A full run id (a unique prefix is resolved); 'not-found' when there is none. */
  protected resolveId(runId: string): string {
    try {
      return this.tracker.store.resolveRunId(runId);
    } catch (e) {
      throw new SourceError('not-found', errorMessage(e), this.tracker.store.root);
    }
  }
}

/** The queries the store index answers (WorkspaceStore in the extension: StoreIndexClient in a worker thread). */
export interface WorkspaceIndex {
  /** What the index holds now (experiments with run counts, problems). */
  summary(): IndexSummary;
  page(query: IndexPageQuery): Promise<IndexPage>;
  best(experimentIds: string[]): Promise<Record<string, BestOfExperiment>>;
  filterCounts(filter: string): Promise<Record<string, number>>;
}

const RUN_ID = /^[0-9a-f]{1,32}$/;

export class IndexedWorkspaceSource extends WorkspaceSource {
  constructor(
    tracker: Tracker,
    registry: () => Registry | undefined,
    private readonly index: WorkspaceIndex,
    label?: string,
  ) {
    super(tracker, registry, label);
  }

  override async listExperiments(): Promise<SourceExperiment[]> {
    return this.index.summary().experiments.map((e) => ({
      id: e.id, name: e.name, createdAt: e.createdAt, lifecycle: 'active' as const, tags: {},
      ...(e.primaryMetric ? { primaryMetric: e.primaryMetric } : {}),
      runCount: e.runCount, lastRunStart: e.latestStart,
    }));
  }

  /**
   * One page from the index. The index sorts by one key: a second `orderBy` key is refused. Several experiments are
   * read one page each and merged (the views ask for one at a time).
   */
  override async searchRuns(query: RunQuery = {}): Promise<Omit<RunPage, 'runs' | 'total'> & { runs: Run[]; total: number }> {
    compileFilter(query.filter); // a syntax error fails here, with its position
    const order = parseOrderBy(query.orderBy);
    if (order.length > 1) throw new SourceError('invalid', `The workspace store sorts by one key, not ${order.length} (${query.orderBy!.join(', ')})`);
    const size = pageSize(query.maxResults);
    const offset = query.pageToken ? decodePageToken(query.pageToken, query) : 0;
    const base: IndexPageQuery = { ...(query.filter ? { filter: query.filter } : {}), ...(order[0] ? { orderBy: order[0].key, descending: order[0].descending } : {}) };
    const ids = query.experimentIds?.map(String);
    let runs: Run[];
    let total: number;
    if (!ids || ids.length === 1) {
      const page = await this.index.page({ ...base, ...(ids ? { experimentId: ids[0] } : {}), offset, limit: size });
      ({ runs, total } = page);
    } else {
      const pages = await Promise.all(ids.map((experimentId) => this.index.page({ ...base, experimentId, offset: 0, limit: offset + size })));
      total = pages.reduce((n, p) => n + p.total, 0);
      const merged = pages.flatMap((p) => p.runs);
      runs = (order[0] ? sortRunsBy(merged, order) : merged.sort((a, b) => b.startTime - a.startTime)).slice(offset, offset + size) as Run[];
    }
    return {
      runs,
      total,
      ...(offset + size < total ? { nextPageToken: encodePageToken(offset + size, query) } : {}),
      problems: this.index.summary().problems,
    };
  }

  /** One run from the index (a unique prefix of its id is enough). */
  override async getRun(runId: string): Promise<Run> {
    const id = runId.trim().toLowerCase();
    if (!RUN_ID.test(id)) throw new SourceError('not-found', `No run with id '${runId.slice(0, 40)}'.`, this.tracker.store.root);
    const page = await this.index.page(id.length === 32 ? { filter: `run_id = '${id}'`, limit: 1 } : { filter: `run_id LIKE '${id}%'`, limit: 2 });
    if (page.runs.length === 1) return page.runs[0];
    if (page.runs.length > 1) throw new SourceError('invalid', `Run id prefix '${id}' matches more than one run: give more of it.`, this.tracker.store.root);
    // Not in the index (yet): a run written since its last refresh (by the CLI a moment ago) is read from its folder.
    const full = this.resolveId(id);
    const experiments = new Map(this.tracker.store.listExperiments().experiments.map((e) => [e.id, e.name]));
    const read = new RunIndex(this.tracker.store).loadRun(full, experiments, Date.now(), false);
    if (read.run) return read.run;
    const problem = read.problems[0] ?? this.index.summary().problems.find((p) => p.runId === full);
    throw new SourceError('not-found', problem ? `Run ${full} cannot be read: ${problem.file}: ${problem.message}` : `No run with id ${full}.`, this.tracker.store.root);
  }

  async bestRuns(experimentIds: string[]): Promise<Record<string, BestOfExperiment>> {
    return experimentIds.length ? this.index.best(experimentIds) : {};
  }

  async countRuns(filter: string): Promise<Record<string, number>> {
    return this.index.filterCounts(filter);
  }
}
