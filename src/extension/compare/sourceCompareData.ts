/**
 * The compare view of a run of any source — a workspace store, an `mlruns/` folder, an `mlflow.db`, a tracking server —
 * read through its RunSource only: the run (`getRun`, or a page of `searchRuns` for several at once) for params,
 * latest metrics, tags and status; the step series (`metricHistories` where the source has it, else `metricHistory`
 * per key); the run's `feature_importance.json` artifact when (and only when) the run has one at its artifact root.
 *
 * Async I/O (a server answers over HTTP), so the panel builds its data off the hot path and may cancel a build that a
 * newer one supersedes (`signal`). Histories and the importance artifact are cached per run while the run is
 * finished and its latest metrics, status and end time are unchanged, so a refresh costs one run read per run.
 *
 * MLflow's system tags (`mlflow.*`: run name, user, source, the logged-model history…) are left out of an MLflow
 * run's tags table, as MLflow's own run page does; params stay strings as logged.
 */
import type { RunSource, SourceArtifact, SourceExperiment, SourceRun } from '../../core/sources/types';
import { SourceError } from '../../core/sources/types';
import type { MetricPoint } from '../../core/store/types';
import { AbortError, errorMessage } from '../../core/util/errors';
import type { CompareRunView, FeatureImportanceView } from '../../shared/protocol';
import { comparedMetrics, metricSeries } from '../../core/compare/series';
import { IMPORTANCE_ARTIFACT, MAX_IMPORTANCE_BYTES, parseImportance, RunSeries } from './compareSeries';
import type { ViewOptions } from './compareData';

/** A source as the comparison needs it: a workspace folder's store, or a connected MLflow source. */
export interface CompareSource {
  /** How the comparison names it: 'Workspace', 'Workspace · folder', 'MLflow · mlflow-3.9/mlflow.db'. */
  readonly label: string;
  open(): Promise<RunSource>;
  /** The experiment, if the views have loaded it (for its declared primary metric); never a request. */
  experiment(id: string): SourceExperiment | undefined;
}

export type SourceCompareResult =
  /** pending: read without its step histories and importance (ViewOptions.histories false, nothing cached). */
  | { ok: true; run: SourceRun; view: CompareRunView; problems: string[]; pending?: boolean }
  | { ok: false; reason: string; problems: string[] };

interface Extras {
  signature: string;
  series: RunSeries;
  importance: FeatureImportanceView | null;
  problems: string[];
}

/** Parallel metric-history requests per run (a run rarely has more than a few stepped metrics). */
const HISTORY_CONCURRENCY = 4;
const CACHE_MAX = 2000;
const cache = new Map<string, Extras>();

function remember(key: string, e: Extras): void {
  cache.delete(key);
  cache.set(key, e);
  if (cache.size > CACHE_MAX) cache.delete(cache.keys().next().value as string);
}

/** Forget what was read (tests; a source that was disconnected and connected again is read afresh anyway). */
export function clearCompareCache(): void {
  cache.clear();
}

export function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError('superseded by a newer comparison');
}

/** How long a chain of reads may hold the event loop before it lets other work (messages, I/O) run. */
const SLICE_MS = 10;

/**
 * Run `fn` over `items`, at most `limit` at a time, results in order; stops starting new ones once aborted. A workspace
 * run's histories are read synchronously behind a promise, so awaiting them alone never gives the event loop back:
 * every SLICE_MS the chain yields (setImmediate), and the extension host keeps answering while 500 runs are read.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>, signal?: AbortSignal): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  let sliceStart = performance.now();
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      checkAborted(signal);
      const i = next++;
      out[i] = await fn(items[i], i);
      if (performance.now() - sliceStart > SLICE_MS) {
        await new Promise<void>((r) => setImmediate(r));
        sliceStart = performance.now();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

function signatureOf(run: SourceRun): string {
  return JSON.stringify([run.status, run.endTime, run.metrics]);
}

async function readExtras(source: RunSource, label: string, run: ComparedRun, signal: AbortSignal | undefined): Promise<Extras> {
  const problems: string[] = [];
  const points: MetricPoint[] = [];
  if (source.metricHistories) {
    try {
      const h = await source.metricHistories(run.id);
      for (const s of Object.values(h.histories)) points.push(...s);
      for (const p of h.problems.slice(0, 3)) problems.push(`${p.file}: ${p.message}`);
    } catch (e) {
      problems.push(`metric histories of run ${run.id} in ${label}: ${errorMessage(e)}`);
    }
  } else {
    const keys = Object.keys(run.metrics).sort();
    const series = await mapLimit(keys, HISTORY_CONCURRENCY, async (key) => {
      try {
        return await source.metricHistory(run.id, key);
      } catch (e) {
        problems.push(`metric history ${key} of run ${run.id} in ${label}: ${errorMessage(e)}`);
        return [];
      }
    }, signal);
    for (const s of series) points.push(...s);
  }
  let importance: FeatureImportanceView | null = null;
  try {
    // A run that carries its artifact list (the workspace store's) is not listed again.
    const root: SourceArtifact[] = run.artifacts
      ? run.artifacts.map((a) => ({ path: a.path, isDir: false, size: a.size }))
      : await source.listArtifacts(run.id);
    const entry = root.find((a) => !a.isDir && a.path === IMPORTANCE_ARTIFACT);
    if (entry) {
      if (entry.size !== undefined && entry.size > MAX_IMPORTANCE_BYTES) throw new Error(`${entry.size} bytes is more than the ${MAX_IMPORTANCE_BYTES} read for a chart`);
      checkAborted(signal);
      const bytes = await source.readArtifact(run.id, IMPORTANCE_ARTIFACT);
      if (bytes.byteLength > MAX_IMPORTANCE_BYTES) throw new Error(`${bytes.byteLength} bytes is more than the ${MAX_IMPORTANCE_BYTES} read for a chart`);
      importance = parseImportance(new TextDecoder().decode(bytes));
    }
  } catch (e) {
    if (e instanceof AbortError) throw e;
    // A run without an artifact folder (or one in a remote store we do not read) simply has no importance chart.
    if (!(e instanceof SourceError && e.code === 'not-found')) problems.push(`${IMPORTANCE_ARTIFACT} of run ${run.id} in ${label}: ${errorMessage(e)}`);
  }
  return { signature: signatureOf(run), series: new RunSeries(metricSeries(points)), importance, problems };
}

function userTags(tags: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags)) if (!k.startsWith('mlflow.')) out[k] = v;
  return out;
}

/** A run as a source gives it; the workspace store's carry their artifact list. */
export type ComparedRun = SourceRun & { artifacts?: { path: string; size: number }[] };

/**
 * Run `runId` of `src` under the comparison key `key`, read with getRun, or why it cannot be shown (deleted, the
 * server unreachable, …: one line, for the panel's "gone" list). Rejects only with AbortError.
 */
export async function compareRunOf(src: CompareSource, key: string, runId: string, signal?: AbortSignal, opts: ViewOptions = { compared: { kind: 'last' }, budget: 1000 }): Promise<SourceCompareResult> {
  let source: RunSource;
  let run: SourceRun;
  try {
    source = await src.open();
    checkAborted(signal);
    run = await source.getRun(runId);
    checkAborted(signal);
  } catch (e) {
    if (e instanceof AbortError) throw e;
    const reason = e instanceof SourceError && e.code === 'not-found' ? `it was deleted from ${src.label} (or is no longer there)` : `${src.label}: ${errorMessage(e)}`;
    return { ok: false, reason, problems: [] };
  }
  return compareView(src, source, key, run, signal, opts);
}

/** The compare view of `run`, read from `source` (its histories and importance cached under `key`). Rejects only with AbortError. */
export async function compareView(src: CompareSource, source: RunSource, key: string, run: ComparedRun, signal?: AbortSignal, opts: ViewOptions = { compared: { kind: 'last' }, budget: 1000 }): Promise<SourceCompareResult> {
  if (run.lifecycle === 'deleted') return { ok: false, reason: `it was deleted in ${src.label}`, problems: [] };
  let extras = cache.get(key);
  const stale = !extras || extras.signature !== signatureOf(run) || run.status === 'running';
  if (stale && opts.histories === false) {
    // Without histories (the light first message of a big comparison): the run's own values only.
    extras = { signature: '', series: new RunSeries(new Map()), importance: null, problems: [] };
    return { ok: true, run, view: viewOf(src, source, key, run, extras, opts), problems: [], pending: true };
  }
  if (stale || !extras) {
    extras = await readExtras(source, src.label, run, signal);
    checkAborted(signal);
    remember(key, extras);
  }
  return { ok: true, run, view: viewOf(src, source, key, run, extras, opts), problems: extras.problems };
}

function viewOf(src: CompareSource, source: RunSource, key: string, run: ComparedRun, extras: Extras, opts: ViewOptions): CompareRunView {
  return {
    id: key,
    ...(key !== run.id ? { runId: run.id } : {}),
    source: src.label,
    sourceKind: source.kind,
    name: run.name || run.id.slice(0, 8),
    experiment: run.experimentName,
    status: run.effectiveStatus,
    interrupted: run.interrupted,
    startTime: run.startTime,
    durationMs: run.duration,
    params: run.params,
    metrics: comparedMetrics(run.metrics, extras.series.series, opts.compared),
    tags: source.kind === 'workspace' ? run.tags : userTags(run.tags),
    history: extras.series.histories(opts.budget),
    importance: extras.importance,
  };
}
