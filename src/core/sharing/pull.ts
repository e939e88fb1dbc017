/**
 * `mlops pull`: MLflow runs from any source (a tracking server, `mlruns/`, `mlflow.db`: a `RunSource`) into the
 * workspace store, through the store's crash-safe writes (a run folder appears whole with its run.json, metric points
 * are appended, artifacts copied atomically, run.json replaced atomically).
 *
 * Idempotent: a pulled run carries the tag `mlflow.run_id`, and a run we pushed carries `mlops.run_id` in MLflow; either
 * finds the workspace run again, so a second pull adds only what is new (metric points not there yet by key, step,
 * timestamp and value; tags, params and artifacts it lacks) and writes nothing when nothing changed. A run is created
 * with `mlops.pull.state=incomplete`, which the pull removes last: a pull killed half-way is finished by the next one.
 * Metric histories keep their steps and timestamps; MLflow params stay text, as logged.
 */
import type { Registry } from '../registry/registry';
import { Store } from '../store/store';
import type { Experiment, MetricPoint, Run, RunDocument } from '../store/types';
import { updateLatest } from '../store/runIndex';
import { encodeNumberMap } from '../store/store';
import { ActiveRun, type Tracker } from '../tracking/tracker';
import { SourceError, type RunSource, type SourceRun } from '../sources/types';
import { throwIfAborted, UserInputError } from '../util/errors';
import { envFromTags, ENV_TAG_PREFIX, INCOMPLETE, MLFLOW_RUN_ID_TAG, MLOPS_RUN_ID_TAG, pointKey, PULL_SOURCE_TAG, PULL_STATE_TAG, PUSH_DIGEST_TAG, PUSH_STATE_TAG, uniquePoints } from './mlflowShape';
import { pullArtifacts } from './pullArtifacts';
import { pullVersions } from './pullModels';
import { eachLimited, zeroCounts, type ProgressListener, type PulledRun, type PullResult, type SentCounts } from './types';

export interface PullOptions {
  /** Only the runs of this MLflow experiment. */
  experiment?: string;
  /** Only the runs this filter (our filter language) selects. */
  filter?: string;
  /** Also the registered versions of the pulled runs (needs `registry`). */
  models?: boolean;
  registry?: Registry;
  /** Copy artifacts (default true). */
  artifacts?: boolean;
  /** Runs pulled at a time (default 4). */
  concurrency?: number;
  onProgress?: ProgressListener;
  /** Only these MLflow runs (ids), whatever their experiment; with `experiment`/`filter` they must match those too. */
  runIds?: string[];
  /** Cancel: checked before each run; AbortError. */
  signal?: AbortSignal;
}

/** Tags of a run we pushed that the push made up (they are not the run's own). */
const PUSH_MADE = new Set(['mlflow.runName', 'mlflow.source.name', 'mlflow.source.type', 'mlflow.user', 'mlflow.source.git.commit', 'mlflow.note.content', MLOPS_RUN_ID_TAG, PUSH_STATE_TAG, PUSH_DIGEST_TAG]);

export async function pull(tracker: Tracker, source: RunSource, options: PullOptions = {}): Promise<PullResult> {
  const progress = options.onProgress ?? (() => undefined);
  const result: PullResult = { source: source.uri, runs: [], versions: [], skipped: [] };
  const remote = await remoteRuns(source, options);
  const local = localIndex(tracker);
  progress({ phase: 'plan', done: 0, total: remote.length, message: `pulling ${remote.length} run(s) from ${source.uri}` });
  let done = 0;
  await eachLimited(remote, options.concurrency ?? 4, async (r) => {
    throwIfAborted(options.signal, 'The pull was cancelled');
    const pulled = await pullRun(tracker, source, r, local, options.artifacts !== false, progress);
    result.runs.push(pulled);
    const what = pulled.action === 'unchanged' ? 'unchanged' : `${pulled.action}: ${pulled.added.metrics} metric point(s), ${pulled.added.params} param(s), ${pulled.added.tags} tag(s), ${pulled.added.artifacts} artifact(s)`;
    progress({ phase: 'runs', done: ++done, total: remote.length, message: `MLflow run ${r.name || r.id} (${r.id.slice(0, 8)}) → run ${pulled.localId.slice(0, 8)} ${what}` });
  });
  const order = new Map(remote.map((r, i) => [r.id, i]));
  result.runs.sort((a, b) => order.get(a.mlflowRunId)! - order.get(b.mlflowRunId)!);
  tracker.store.flush();
  if (options.models) {
    if (!options.registry) throw new UserInputError('Pulling models needs the workspace registry.');
    const byMlflowId = new Map(result.runs.map((r) => [r.mlflowRunId, r.localId]));
    result.versions = await pullVersions(tracker, options.registry, source, byMlflowId, result.skipped, progress);
  }
  progress({ phase: 'done', done: remote.length, total: remote.length, message: `pulled ${remote.length} run(s) from ${source.uri}` });
  return result;
}

/** Every active run of the source the options select, oldest first (pages of 1,000). */
async function remoteRuns(source: RunSource, options: PullOptions): Promise<SourceRun[]> {
  let experimentIds: string[] | undefined;
  if (options.experiment !== undefined) {
    const exp = (await source.listExperiments()).find((e) => e.name === options.experiment);
    if (!exp) throw new SourceError('not-found', `No experiment named '${options.experiment}' in ${source.uri}.`, source.uri);
    experimentIds = [exp.id];
  }
  if (options.runIds) {
    const wanted = await Promise.all(options.runIds.map((id) => source.getRun(id)));
    const keep = options.filter || experimentIds ? new Set((await searchAll(source, experimentIds, options.filter)).map((r) => r.id)) : undefined;
    return wanted.filter((r) => r.lifecycle === 'active' && (!keep || keep.has(r.id))).sort((a, b) => a.startTime - b.startTime);
  }
  return searchAll(source, experimentIds, options.filter);
}

async function searchAll(source: RunSource, experimentIds: string[] | undefined, filter: string | undefined): Promise<SourceRun[]> {
  const runs: SourceRun[] = [];
  let pageToken: string | undefined;
  do {
    const page = await source.searchRuns({ ...(experimentIds ? { experimentIds } : {}), ...(filter ? { filter } : {}), orderBy: ['start_time ASC'], maxResults: 1000, ...(pageToken ? { pageToken } : {}) });
    runs.push(...page.runs);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return runs;
}

interface LocalIndex {
  byMlflowId: Map<string, Run>;
  byId: Map<string, Run>;
}

function localIndex(tracker: Tracker): LocalIndex {
  const runs = tracker.snapshot().runs;
  const byMlflowId = new Map<string, Run>();
  for (const r of runs) if (r.tags[MLFLOW_RUN_ID_TAG]) byMlflowId.set(r.tags[MLFLOW_RUN_ID_TAG], r);
  return { byMlflowId, byId: new Map(runs.map((r) => [r.id, r])) };
}

async function pullRun(tracker: Tracker, source: RunSource, remote: SourceRun, index: LocalIndex, artifacts: boolean, progress: ProgressListener): Promise<PulledRun> {
  const store = tracker.store;
  const own = index.byId.get(remote.tags[MLOPS_RUN_ID_TAG] ?? '');
  const existing = index.byMlflowId.get(remote.id) ?? own;
  const points: MetricPoint[] = [];
  for (const key of Object.keys(remote.metrics)) points.push(...(await source.metricHistory(remote.id, key)));
  const added = zeroCounts();
  let action: PulledRun['action'];
  let doc: RunDocument;
  let experiment: Experiment;
  if (!existing) {
    experiment = store.ensureExperiment(remote.experimentName || remote.experimentId);
    doc = newDocument(remote, experiment.id, source.uri);
    store.createRunFolder(doc);
    added.params = Object.keys(doc.params).length;
    added.tags = Object.keys(doc.tags).length;
    action = 'created';
  } else {
    doc = store.readRunDocument(existing.id);
    experiment = tracker.listExperiments().find((e) => e.id === doc.experimentId) ?? { id: doc.experimentId, name: existing.experimentName, createdAt: doc.startTime };
    action = doc.tags[PULL_STATE_TAG] === INCOMPLETE ? 'completed' : 'unchanged';
  }
  const before = JSON.stringify(doc);
  const fresh = uniquePoints(points);
  const have = new Set(action === 'created' ? [] : tracker.metricHistory(doc.id).map(pointKey));
  const newPoints = fresh.filter((p) => !have.has(pointKey(p)));
  if (newPoints.length) store.appendMetricPoints(doc.id, newPoints);
  added.metrics = newPoints.length;
  if (action !== 'created') mergeFields(doc, remote, !!own && !index.byMlflowId.has(remote.id), added);
  if (artifacts) added.artifacts = await pullArtifacts(source, remote, new ActiveRun(store, doc, experiment), progress);
  finishDocument(doc, remote, tracker, !!own && !index.byMlflowId.has(remote.id));
  if (action === 'created' || JSON.stringify(doc) !== before || added.metrics) {
    store.writeRunDocument(doc);
    if (action === 'unchanged') action = 'updated';
  }
  return { mlflowRunId: remote.id, localId: doc.id, name: doc.name, experiment: experiment.name, action, added };
}

/** The run document of a newly pulled run: MLflow's name, times, params as text, tags and notes; the environment from its tags. */
function newDocument(remote: SourceRun, experimentId: string, uri: string): RunDocument {
  return {
    format: 1,
    id: Store.newRunId(),
    experimentId,
    name: remote.name.trim() || remote.id,
    status: remote.status,
    startTime: remote.startTime,
    endTime: remote.status === 'running' ? null : remote.endTime ?? remote.startTime,
    params: { ...(remote.params as Record<string, string>) },
    tags: { ...pulledTags(remote.tags), [MLFLOW_RUN_ID_TAG]: remote.id, [PULL_SOURCE_TAG]: uri, [PULL_STATE_TAG]: INCOMPLETE },
    notes: remote.notes,
    environment: envFromTags(remote.tags),
    artifacts: [],
    owner: null,
  };
}

/** MLflow's tags as a workspace run keeps them: the environment goes to the environment record, a push's bookkeeping is dropped. */
function pulledTags(tags: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(tags).filter(([k]) => !k.startsWith(ENV_TAG_PREFIX) && k !== PUSH_STATE_TAG && k !== PUSH_DIGEST_TAG && k !== MLOPS_RUN_ID_TAG));
}

/** What MLflow has that the workspace run lacks: params (MLflow's never change), tags (MLflow's win, except on a run we pushed). */
function mergeFields(doc: RunDocument, remote: SourceRun, ownRun: boolean, added: SentCounts): void {
  for (const [k, v] of Object.entries(remote.params)) {
    if (doc.params[k] !== undefined) continue;
    doc.params[k] = v;
    added.params++;
  }
  for (const [k, v] of Object.entries(pulledTags(remote.tags))) {
    if (ownRun && (PUSH_MADE.has(k) || doc.tags[k] !== undefined)) continue;
    if (doc.tags[k] === v) continue;
    doc.tags[k] = v;
    added.tags++;
  }
}

/** Status, end time and the metrics summary from every point now in the run; the pull's incomplete mark removed last. */
function finishDocument(doc: RunDocument, remote: SourceRun, tracker: Tracker, ownRun: boolean): void {
  if (!ownRun) {
    doc.status = remote.status;
    doc.endTime = remote.status === 'running' ? null : remote.endTime ?? remote.startTime;
    if (remote.notes) doc.notes = remote.notes;
  }
  delete doc.tags[PULL_STATE_TAG];
  if (doc.status === 'running') {
    delete doc.metricsSummary;
    delete doc.metricsCount;
    return;
  }
  const latest = new Map<string, { value: number; step: number; timestamp: number }>();
  const all = tracker.metricHistory(doc.id);
  for (const p of all) updateLatest(latest, p);
  doc.metricsSummary = encodeNumberMap(Object.fromEntries([...latest].map(([k, v]) => [k, v.value])));
  doc.metricsCount = all.length;
}
