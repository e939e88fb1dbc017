/**
 * What the compare webview gets: for each run its params, metrics, tags, the step series of metrics logged at more
 * than one step, the run's feature importance artifact, and where it comes from; for the comparison the runs that are
 * gone (and why), the metric directions and the primary metric.
 *
 * A compared run is named by a key (core/compare/runRefs.ts): a workspace-store run or a run of an MLflow source.
 * Every run is read through its source's RunSource (sourceCompareData.ts): the workspace stores answer from their index
 * in the worker, and a finished run's series and importance are read once while it is unchanged, so a refresh of a
 * 50-run comparison reads nothing again unless a run changed. Runs are read concurrently, and a build can be cancelled
 * (`signal`) when a newer one supersedes it.
 */
import { comparePrimaryMetric, defaultDirections, type DirectedExperiment, type DirectedRun } from '../../core/compare/directions';
import type { Direction } from '../../core/compare/model';
import { type ComparedValue, seriesBudget } from '../../core/compare/series';
import { parseRefKey } from '../../core/compare/runRefs';
import { type RunSource, SourceError, type SourceRun } from '../../core/sources/types';
import type { CompareRunView, CompareToWebview } from '../../shared/protocol';
import type { WorkspaceStore } from '../workspaceStores';
import { checkAborted, compareRunOf, type CompareSource, compareView, mapLimit, type SourceCompareResult } from './sourceCompareData';

export { IMPORTANCE_ARTIFACT, MAX_SERIES_POINTS, parseImportance, stepHistories } from './compareSeries';

export type CompareDataMessage = Extract<CompareToWebview, { type: 'data' }>;

/** Runs read at the same time (an MLflow run is one getRun, its metric histories and an artifact listing). */
const MLFLOW_CONCURRENCY = 8;

/** How a run's values are shown: the compared value, and the points per history series (see seriesBudget). */
export interface ViewOptions {
  compared: ComparedValue;
  budget: number;
  /** false: runs whose histories are not cached yet are shown without them (and marked pending). Default true. */
  histories?: boolean;
}

/** Where the compared runs come from: the workspace folders' stores and the connected MLflow sources. */
export interface CompareSources {
  /** One per workspace folder with a store: a workspace run (keyed by its id alone) is looked up in each in turn. */
  readonly workspace: readonly CompareSource[];
  /** The connected MLflow source with this canonical URI, or undefined when it is not connected (any more). */
  mlflow(uri: string): CompareSource | undefined;
}

/** How a workspace run's source is named: 'Workspace', or the folder's name in a multi-root workspace. */
export function workspaceSourceLabel(store: WorkspaceStore, storeCount: number): string {
  return storeCount > 1 ? `Workspace · ${store.folder.name}` : 'Workspace';
}

/** A workspace folder's store as a comparison source (its RunSource: the index in the worker answers). */
export function workspaceCompareSource(store: WorkspaceStore, storeCount: number): CompareSource {
  return {
    label: workspaceSourceLabel(store, storeCount),
    async open() {
      const source = store.source();
      if (!source) throw new SourceError('not-found', `There is no MLOps store in ${store.folder.name}.`, store.root);
      return source;
    },
    experiment(id) {
      const e = store.summary.experiments.find((x) => x.id === id);
      return e && { id: e.id, name: e.name, lifecycle: 'active', tags: {}, ...(e.primaryMetric ? { primaryMetric: e.primaryMetric } : {}) };
    },
  };
}

/**
 * Where each workspace run is (runs may sit in different workspace folders' stores): one `searchRuns` with
 * `run_id in (…)` per store, through the RunSource interface, until every id is found.
 */
async function locateWorkspaceRuns(sources: readonly CompareSource[], runIds: readonly string[], signal?: AbortSignal): Promise<Map<string, { run: SourceRun; src: CompareSource; source: RunSource }>> {
  const found = new Map<string, { run: SourceRun; src: CompareSource; source: RunSource }>();
  for (const src of sources) {
    const missing = runIds.filter((id) => !found.has(id));
    if (!missing.length) break;
    let source: RunSource;
    try {
      source = await src.open();
    } catch {
      continue; // a folder without a store holds none of them
    }
    checkAborted(signal);
    const page = await source.searchRuns({ filter: `run_id in (${missing.map((id) => `'${id}'`).join(', ')})`, maxResults: missing.length });
    checkAborted(signal);
    for (const run of page.runs) if (!found.has(run.id)) found.set(run.id, { run, src, source });
  }
  return found;
}

export interface CompareData {
  msg: CompareDataMessage;
  /** What could not be read (for the output channel). */
  problems: string[];
  /** The MLflow runs as read, by key (Open Run from the panel opens them). */
  mlflowRuns: Map<string, { run: SourceRun; source: string }>;
  /** Some runs were read without their step histories and importance (`histories` false). */
  pending: boolean;
}

/**
 * The data message for the runs `keys` from the sources as they are now (without the settings and timing of a first
 * message). `names` keeps each run's name as last seen (updated here), so a run deleted since is listed as gone under
 * its name; `configured` is the user's metric directions setting. Rejects with AbortError when `signal` fires first.
 */
export async function buildCompareData(sources: CompareSources, keys: string[], title: string, names: Map<string, string>, configured: Record<string, Direction>, signal?: AbortSignal, compared: ComparedValue = { kind: 'last' }, histories = true): Promise<CompareData> {
  const opts: ViewOptions = { compared, budget: seriesBudget(keys.length), histories };
  const refs = keys.map((key) => ({ key, ref: parseRefKey(key) }));
  // Workspace runs (keyed by their id) are found with one query per store; MLflow runs are read one getRun each,
  // MLFLOW_CONCURRENCY at a time. Either way, the view of a run is built the same way (compareView).
  const found = await locateWorkspaceRuns(sources.workspace, refs.filter((r) => r.ref && !r.ref.source).map((r) => r.ref!.runId), signal);
  const results = new Map<string, SourceCompareResult>();
  await mapLimit(refs.filter((r) => r.ref), MLFLOW_CONCURRENCY, async ({ key, ref }) => {
    if (!ref!.source) {
      const f = found.get(ref!.runId);
      if (f) results.set(key, await compareView(f.src, f.source, key, f.run, signal, opts));
      return;
    }
    const src = sources.mlflow(ref!.source);
    results.set(key, src
      ? await compareRunOf(src, key, ref!.runId, signal, opts)
      : { ok: false, reason: `the MLflow source ${ref!.source} is not connected (connect it again to compare this run)`, problems: [] });
  }, signal);
  checkAborted(signal);

  const runs: CompareRunView[] = [];
  const present: DirectedRun[] = [];
  const experiments: DirectedExperiment[] = [];
  const seenExperiments = new Set<string>();
  const gone: CompareDataMessage['gone'] = [];
  const problems: string[] = [];
  const mlflowRuns = new Map<string, { run: SourceRun; source: string }>();
  let pending = false;
  for (const { key, ref } of refs) {
    const lastName = names.get(key);
    const r = results.get(key);
    problems.push(...(r?.problems ?? []));
    if (!r?.ok) {
      // A workspace run that is not found in any store: gone without a reason (the panel says it was deleted).
      if (ref?.source) gone.push({ id: key, runId: ref.runId, name: lastName ?? ref.runId.slice(0, 8), reason: r?.reason ?? 'not read' });
      else gone.push({ id: key, name: lastName ?? key.slice(0, 8), ...(r && !r.ok ? { reason: r.reason } : {}) });
      continue;
    }
    runs.push(r.view);
    pending ||= r.pending === true;
    names.set(key, r.view.name);
    const src = ref!.source ? sources.mlflow(ref!.source) : found.get(ref!.runId)?.src;
    // MLflow experiment ids ('0', '1', …) are per source: qualified so they never meet a workspace experiment's.
    const expKey = ref!.source ? `${ref!.source}#${r.run.experimentId}` : r.run.experimentId;
    present.push({ ...r.run, experimentId: expKey });
    if (ref!.source) mlflowRuns.set(key, { run: r.run, source: ref!.source });
    const exp = src?.experiment(r.run.experimentId);
    if (exp && !seenExperiments.has(expKey)) {
      seenExperiments.add(expKey);
      experiments.push({ id: expKey, primaryMetric: exp.primaryMetric });
    }
  }
  const metricKeys = new Set<string>();
  for (const r of runs) for (const k of Object.keys(r.metrics)) metricKeys.add(k);
  const directions = defaultDirections(metricKeys, experiments, configured);
  const primaryMetric = comparePrimaryMetric(present, experiments)?.key ?? null;
  return { msg: { type: 'data', title, runIds: keys, runs, gone, directions, primaryMetric, compared }, problems, mlflowRuns, pending };
}
