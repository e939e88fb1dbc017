/**
 * What the compare webview gets: for each run its params, metrics, tags, the step series of metrics logged at more
 * than one step, the run's feature importance artifact, and where it comes from; for the comparison the runs that are
 * gone (and why), the metric directions and the primary metric.
 *
 * A compared run is named by a key (core/compare/runRefs.ts): a workspace-store run (read from the store's index;
 * series and importance read from disk once per Run object — the index keeps a finished run's object while its files
 * are unchanged — so a refresh of a 50-run comparison reads nothing again unless a run changed), or a run of an MLflow
 * source (read through its RunSource: mlflowCompareData.ts). The MLflow runs are read concurrently, and a build can be
 * cancelled (`signal`) when a newer one supersedes it.
 */
import * as fs from 'node:fs';
import { comparePrimaryMetric, defaultDirections, type DirectedExperiment, type DirectedRun } from '../../core/compare/directions';
import type { Direction } from '../../core/compare/model';
import { type ComparedValue, comparedMetrics, metricSeries, seriesBudget } from '../../core/compare/series';
import { parseRefKey } from '../../core/compare/runRefs';
import { readMetricSeries } from '../../core/store/runIndex';
import type { SourceRun } from '../../core/sources/types';
import type { Tracker } from '../../core/tracking/tracker';
import type { Run } from '../../core/store/types';
import { errorMessage } from '../../core/util/errors';
import type { CompareRunView, CompareToWebview, FeatureImportanceView } from '../../shared/protocol';
import type { WorkspaceStore } from '../workspaceStores';
import { IMPORTANCE_ARTIFACT, MAX_IMPORTANCE_BYTES, parseImportance, RunSeries } from './compareSeries';
import { checkAborted, type CompareMlflowSource, mapLimit, mlflowCompareRun, type MlflowCompareResult } from './mlflowCompareData';

export { IMPORTANCE_ARTIFACT, MAX_SERIES_POINTS, parseImportance, stepHistories } from './compareSeries';

export type CompareDataMessage = Extract<CompareToWebview, { type: 'data' }>;

/** MLflow runs read at the same time (each is one getRun, its metric histories and an artifact listing). */
const MLFLOW_CONCURRENCY = 8;

interface Extras {
  series: RunSeries;
  importance: FeatureImportanceView | null;
  problems: string[];
}

const cache = new WeakMap<Run, Extras>();

function extras(run: Run, tracker: Tracker | undefined): Extras {
  const hit = cache.get(run);
  if (hit) return hit;
  const e: Extras = { series: new RunSeries(new Map()), importance: null, problems: [] };
  if (tracker) {
    const series = readMetricSeries(tracker.store, run.id);
    e.series = new RunSeries(metricSeries(series.points));
    for (const p of series.problems.slice(0, 3)) e.problems.push(`${p.file}: ${p.message}`);
    if (run.artifacts.some((a) => a.path === IMPORTANCE_ARTIFACT)) {
      try {
        const file = tracker.artifactPath(run.id, IMPORTANCE_ARTIFACT);
        const size = fs.statSync(file).size;
        if (size > MAX_IMPORTANCE_BYTES) throw new Error(`${size} bytes is more than the ${MAX_IMPORTANCE_BYTES} read for a chart`);
        e.importance = parseImportance(fs.readFileSync(file, 'utf8'));
      } catch (err) {
        e.problems.push(`${IMPORTANCE_ARTIFACT} of run ${run.id}: ${errorMessage(err)}`);
      }
    }
  }
  cache.set(run, e);
  return e;
}

/** How a run's values are shown: the compared value, and the points per history series (see seriesBudget). */
export interface ViewOptions {
  compared: ComparedValue;
  budget: number;
}

const LAST: ViewOptions = { compared: { kind: 'last' }, budget: seriesBudget(1) };

/** The compare view of a workspace run; `problems` collects what could not be read (for the output channel). */
export function toCompareRun(run: Run, tracker: Tracker | undefined, problems: string[] = [], source?: string, opts: ViewOptions = LAST): CompareRunView {
  const x = extras(run, tracker);
  problems.push(...x.problems);
  return {
    id: run.id,
    ...(source ? { source, sourceKind: 'workspace' as const } : {}),
    name: run.name,
    experiment: run.experimentName,
    status: run.effectiveStatus,
    interrupted: run.interrupted,
    startTime: run.startTime,
    durationMs: run.duration,
    params: run.params,
    metrics: comparedMetrics(run.metrics, x.series.series, opts.compared),
    tags: run.tags,
    history: x.series.histories(opts.budget),
    importance: x.importance,
  };
}

/** Where the compared runs come from: the workspace folders' stores and the connected MLflow sources. */
export interface CompareSources {
  readonly stores: readonly WorkspaceStore[];
  /** The connected MLflow source with this canonical URI, or undefined when it is not connected (any more). */
  mlflow(uri: string): CompareMlflowSource | undefined;
}

/** How a workspace run's source is named: 'Workspace', or the folder's name in a multi-root workspace. */
export function workspaceSourceLabel(store: WorkspaceStore, storeCount: number): string {
  return storeCount > 1 ? `Workspace · ${store.folder.name}` : 'Workspace';
}

/** Where each compared workspace run is now (runs may sit in different workspace folders' stores), and those stores' experiments. */
function locateRuns(stores: readonly WorkspaceStore[], runIds: ReadonlySet<string>): { found: Map<string, { run: Run; store: WorkspaceStore }>; experiments: DirectedExperiment[] } {
  const found = new Map<string, { run: Run; store: WorkspaceStore }>();
  const experiments: DirectedExperiment[] = [];
  if (!runIds.size) return { found, experiments };
  for (const store of stores) {
    const snap = store.snapshot;
    let any = false;
    for (const run of snap.runs) {
      if (runIds.has(run.id) && !found.has(run.id)) {
        found.set(run.id, { run, store });
        any = true;
      }
    }
    if (any) experiments.push(...snap.experiments);
  }
  return { found, experiments };
}

export interface CompareData {
  msg: CompareDataMessage;
  /** What could not be read (for the output channel). */
  problems: string[];
  /** The MLflow runs as read, by key (Open Run from the panel opens them). */
  mlflowRuns: Map<string, { run: SourceRun; source: string }>;
}

/**
 * The data message for the runs `keys` from the sources as they are now (without the settings and timing of a first
 * message). `names` keeps each run's name as last seen (updated here), so a run deleted since is listed as gone under
 * its name; `configured` is the user's metric directions setting. Rejects with AbortError when `signal` fires first.
 */
export async function buildCompareData(sources: CompareSources, keys: string[], title: string, names: Map<string, string>, configured: Record<string, Direction>, signal?: AbortSignal, compared: ComparedValue = { kind: 'last' }): Promise<CompareData> {
  const opts: ViewOptions = { compared, budget: seriesBudget(keys.length) };
  const refs = keys.map((key) => ({ key, ref: parseRefKey(key) }));
  const { found, experiments } = locateRuns(sources.stores, new Set(refs.filter((r) => r.ref && !r.ref.source).map((r) => r.ref!.runId)));
  const mlflowRefs = refs.filter((r) => r.ref?.source);
  const mlflowResults = new Map<string, MlflowCompareResult>();
  await mapLimit(mlflowRefs, MLFLOW_CONCURRENCY, async ({ key, ref }) => {
    const src = sources.mlflow(ref!.source!);
    mlflowResults.set(key, src
      ? await mlflowCompareRun(src, key, ref!.runId, signal, opts)
      : { ok: false, reason: `the MLflow source ${ref!.source} is not connected (connect it again to compare this run)`, problems: [] });
  }, signal);
  checkAborted(signal);

  const runs: CompareRunView[] = [];
  const present: DirectedRun[] = [];
  const gone: CompareDataMessage['gone'] = [];
  const problems: string[] = [];
  const mlflowRuns = new Map<string, { run: SourceRun; source: string }>();
  const storeCount = sources.stores.length;
  for (const { key, ref } of refs) {
    const lastName = names.get(key);
    if (ref?.source) {
      const r = mlflowResults.get(key)!;
      problems.push(...r.problems);
      if (r.ok) {
        runs.push(r.view);
        names.set(key, r.view.name);
        mlflowRuns.set(key, { run: r.run, source: ref.source });
        // MLflow experiment ids ('0', '1', …) are per source: qualified so they never meet a workspace experiment's.
        present.push({ ...r.run, experimentId: `${ref.source}#${r.run.experimentId}` });
        const exp = sources.mlflow(ref.source)?.experiment(r.run.experimentId);
        if (exp) experiments.push({ id: `${ref.source}#${exp.id}`, primaryMetric: exp.primaryMetric });
      } else {
        gone.push({ id: key, runId: ref.runId, name: lastName ?? ref.runId.slice(0, 8), reason: r.reason });
      }
      continue;
    }
    const f = ref ? found.get(ref.runId) : undefined;
    if (f) {
      present.push(f.run);
      runs.push(toCompareRun(f.run, f.store.tracker(), problems, workspaceSourceLabel(f.store, storeCount), opts));
      names.set(key, f.run.name);
    } else {
      gone.push({ id: key, name: lastName ?? key.slice(0, 8) });
    }
  }
  const metricKeys = new Set<string>();
  for (const r of runs) for (const k of Object.keys(r.metrics)) metricKeys.add(k);
  const directions = defaultDirections(metricKeys, experiments, configured);
  const primaryMetric = comparePrimaryMetric(present, experiments)?.key ?? null;
  return { msg: { type: 'data', title, runIds: keys, runs, gone, directions, primaryMetric, compared }, problems, mlflowRuns };
}
