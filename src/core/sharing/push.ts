/**
 * `mlops push`: workspace runs into an MLflow tracking server, file store or SQLite store (any `RunWriter`).
 *
 * Idempotent and resumable. An MLflow run is found again by its tag `mlops.run_id` (the workspace run's id), never
 * created twice; what it already holds is compared and only the difference is sent: params it lacks, metric points
 * not in its history (key, step, timestamp, value), tags that differ, artifacts missing or of another size, then its
 * status and end time. The writes are ordered so a push killed at any moment can be told and finished: a new run is
 * created with all its tags and `mlops.push.state=incomplete` in one request; a changed run is marked incomplete
 * first; then artifacts, status and end time, params and metric points; `mlops.push.digest` (a hash of everything
 * sent) and `mlops.push.state=complete` are written last, at the end of the last log-batch request. A complete
 * run whose digest matches is skipped without a request. MLflow params are immutable: a local value that differs from
 * the pushed one stops the push before anything is written (ParamConflictError, naming the run and the key).
 */
import * as fs from 'node:fs';
import type { Registry } from '../registry/registry';
import type { Tracker } from '../tracking/tracker';
import type { MetricPoint, Run } from '../store/types';
import { SourceError } from '../sources/types';
import { MAX_PARAM_VALUE, MAX_TAG_VALUE, type RunWriter, type TargetRun } from '../sources/writeTypes';
import { throwIfAborted, UserInputError } from '../util/errors';
import { packBatches } from './batches';
import { COMPLETE, INCOMPLETE, MLOPS_RUN_ID_TAG, mlflowParams, mlflowStatus, mlflowTags, pointKey, PULL_SOURCE_TAG, PUSH_DIGEST_TAG, PUSH_STATE_TAG, pushDigest, uniquePoints } from './mlflowShape';
import { checkModelTarget, pushVersions } from './pushModels';
import { readPushRecord, recordPushes } from './pushRecord';
import { eachLimited, ParamConflictError, zeroCounts, type ProgressListener, type PushedRun, type PushResult, type SentCounts } from './types';

export interface PushOptions {
  /** Only the runs of this workspace experiment. */
  experiment?: string;
  /** The MLflow experiment to push into (default: each run's own experiment name). */
  targetExperiment?: string;
  /** Only these runs (ids or unique prefixes). */
  runIds?: string[];
  /** Also the registered versions of the pushed runs (needs `registry`). */
  models?: boolean;
  registry?: Registry;
  /** Send artifacts (default true). */
  artifacts?: boolean;
  /** Runs pushed at a time (default 4). */
  concurrency?: number;
  onProgress?: ProgressListener;
  /** Cancel (VS Code's progress Cancel, Ctrl-C): checked before each run and each model version; AbortError. */
  signal?: AbortSignal;
}

/** One run to push: what the target should hold, and what it holds. */
export interface RunPlan {
  run: Run;
  experimentName: string;
  experimentId: string;
  name: string;
  status: string;
  params: Record<string, string>;
  tags: Record<string, string>;
  points: MetricPoint[];
  digest: string;
  remote?: TargetRun;
}

export async function push(tracker: Tracker, writer: RunWriter, options: PushOptions = {}): Promise<PushResult> {
  const progress = options.onProgress ?? (() => undefined);
  const result: PushResult = { target: writer.uri, runs: [], versions: [], skipped: [] };
  if (options.models) checkModelTarget(writer); // before any write
  const runs = selectRuns(tracker, writer, options, result);
  progress({ phase: 'plan', done: 0, total: runs.length, message: `comparing ${runs.length} run(s) with ${writer.uri}` });
  const plans = await planRuns(tracker, writer, runs, options);
  checkConflicts(plans, writer.uri);
  let done = 0;
  const record = readPushRecord(tracker.store.root);
  await eachLimited(plans, options.concurrency ?? 4, async (plan) => {
    throwIfAborted(options.signal, 'The push was cancelled');
    const pushed = await pushRun(tracker, writer, plan, options.artifacts !== false, progress);
    result.runs.push(pushed);
    recordPushes(tracker.store.root, [{ uri: writer.uri, localId: pushed.localId, mlflowRunId: pushed.mlflowRunId }], record);
    progress({ phase: 'runs', done: ++done, total: plans.length, message: describePushed(pushed) });
  });
  result.runs.sort((a, b) => plans.findIndex((p) => p.run.id === a.localId) - plans.findIndex((p) => p.run.id === b.localId));
  if (options.models) {
    throwIfAborted(options.signal, 'The push was cancelled');
    if (!options.registry) throw new UserInputError('Pushing models needs the workspace registry.');
    const remotes = new Map(plans.map((p) => [p.run.id, p.remote!]));
    result.versions = await pushVersions(options.registry, writer, remotes, progress);
  }
  progress({ phase: 'done', done: plans.length, total: plans.length, message: `pushed ${plans.length} run(s) to ${writer.uri}` });
  return result;
}

function describePushed(p: PushedRun): string {
  const what = p.action === 'unchanged' ? 'unchanged' : `${p.action}: ${p.sent.metrics} metric point(s), ${p.sent.params} param(s), ${p.sent.tags} tag(s), ${p.sent.artifacts} artifact(s)`;
  return `run ${p.name} (${p.localId.slice(0, 8)}) → MLflow run ${p.mlflowRunId.slice(0, 8)} ${what}`;
}

/** The workspace runs to push: the ones named, else those of the experiment, else all; runs pulled from this target are left out. */
function selectRuns(tracker: Tracker, writer: RunWriter, options: PushOptions, result: PushResult): Run[] {
  let runs: Run[];
  if (options.runIds?.length) {
    runs = [...new Map(options.runIds.map((id) => tracker.getRun(id)).map((r) => [r.id, r])).values()];
    if (options.experiment !== undefined) runs = runs.filter((r) => r.experimentName === options.experiment);
  } else runs = tracker.searchRuns({ experiment: options.experiment, orderBy: 'start_time' });
  return runs.filter((r) => {
    if (r.tags[PULL_SOURCE_TAG] !== writer.uri) return true;
    result.skipped.push({ localId: r.id, name: r.name, reason: `pulled from ${writer.uri} (MLflow run ${r.tags['mlflow.run_id'] ?? '?'})` });
    return false;
  });
}

async function planRuns(tracker: Tracker, writer: RunWriter, runs: Run[], options: PushOptions): Promise<RunPlan[]> {
  const byExperiment = new Map<string, Run[]>();
  for (const r of runs) {
    const name = options.targetExperiment ?? r.experimentName;
    byExperiment.set(name, [...(byExperiment.get(name) ?? []), r]);
  }
  const plans: RunPlan[] = [];
  for (const [experimentName, group] of byExperiment) {
    const { id: experimentId } = await writer.ensureExperiment(experimentName);
    const remotes = pickRemotes(await writer.findRunsByTag(experimentId, MLOPS_RUN_ID_TAG));
    for (const run of group) plans.push(planRun(tracker, run, experimentName, experimentId, remotes.get(run.id), options.artifacts !== false));
  }
  return plans;
}

/** The MLflow run of each workspace run: one per `mlops.run_id` (of two made by concurrent pushes, the complete, else the older). */
function pickRemotes(found: TargetRun[]): Map<string, TargetRun> {
  const out = new Map<string, TargetRun>();
  for (const r of found) {
    const id = r.tags[MLOPS_RUN_ID_TAG];
    const cur = out.get(id);
    const better = !cur || (r.tags[PUSH_STATE_TAG] === COMPLETE) > (cur.tags[PUSH_STATE_TAG] === COMPLETE) || ((r.tags[PUSH_STATE_TAG] === COMPLETE) === (cur.tags[PUSH_STATE_TAG] === COMPLETE) && r.startTime < cur.startTime);
    if (better) out.set(id, r);
  }
  return out;
}

function planRun(tracker: Tracker, run: Run, experimentName: string, experimentId: string, remote: TargetRun | undefined, artifacts: boolean): RunPlan {
  const points = uniquePoints(tracker.metricHistory(run.id));
  const params = mlflowParams(run);
  const tags = mlflowTags(run);
  for (const [k, v] of Object.entries(params)) if (v.length > MAX_PARAM_VALUE) throw new UserInputError(`Run ${run.name} (${run.id}): param '${k}' is ${v.length} characters long; MLflow takes at most ${MAX_PARAM_VALUE}. Nothing was pushed.`);
  for (const [k, v] of Object.entries(tags)) if (v.length > MAX_TAG_VALUE) throw new UserInputError(`Run ${run.name} (${run.id}): tag '${k}' is ${v.length} characters long; MLflow takes at most ${MAX_TAG_VALUE}. Nothing was pushed.`);
  const status = mlflowStatus(run.effectiveStatus);
  const endTime = status === 'RUNNING' ? null : run.endTime ?? run.startTime + run.duration;
  const sentArtifacts = artifacts ? run.artifacts : [{ path: '(artifacts not pushed)', size: 0, sha256: '' }];
  const digest = pushDigest({ name: run.name, status, startTime: run.startTime, endTime, params, tags }, points, sentArtifacts);
  return { run: { ...run, endTime }, experimentName, experimentId, name: run.name, status, params, tags, points, digest, ...(remote ? { remote } : {}) };
}

/** MLflow params never change: a local value that differs from the pushed one stops the push before any write. */
function checkConflicts(plans: RunPlan[], uri: string): void {
  for (const p of plans) {
    for (const [k, v] of Object.entries(p.params)) {
      const there = p.remote?.params[k];
      if (there !== undefined && there !== v) {
        throw new ParamConflictError(`Run ${p.name} (${p.run.id}): param '${k}' is '${v}' here but '${there}' in MLflow run ${p.remote!.id} at ${uri}; MLflow params cannot change, so nothing was pushed (log the new value in a new run).`, uri);
      }
    }
  }
}

async function pushRun(tracker: Tracker, writer: RunWriter, plan: RunPlan, artifacts: boolean, progress: ProgressListener): Promise<PushedRun> {
  const sent = zeroCounts();
  const base = { localId: plan.run.id, name: plan.name, experiment: plan.experimentName };
  let remote = plan.remote;
  if (remote && remote.tags[PUSH_STATE_TAG] === COMPLETE && remote.tags[PUSH_DIGEST_TAG] === plan.digest) return { ...base, mlflowRunId: remote.id, action: 'unchanged', sent };
  let action: PushedRun['action'];
  if (!remote) {
    remote = await writer.createRun(plan.experimentId, { name: plan.name, startTime: plan.run.startTime, tags: { ...plan.tags, [PUSH_STATE_TAG]: INCOMPLETE } });
    sent.tags += Object.keys(plan.tags).length;
    action = 'created';
  } else {
    action = remote.tags[PUSH_STATE_TAG] === COMPLETE ? 'updated' : 'completed';
    if (remote.tags[PUSH_STATE_TAG] !== INCOMPLETE) await writer.logBatch(remote.id, { metrics: [], params: [], tags: [{ key: PUSH_STATE_TAG, value: INCOMPLETE }] });
  }
  plan.remote = remote;
  if (artifacts) await sendArtifacts(tracker, writer, plan, remote, action === 'created', sent, progress);
  if (remote.status !== plan.status || (remote.endTime ?? null) !== plan.run.endTime || remote.name !== plan.name) {
    await writer.updateRun(remote.id, { status: plan.status, endTime: plan.run.endTime, name: plan.name });
  }
  await sendData(writer, plan, remote, action === 'created', sent);
  return { ...base, mlflowRunId: remote.id, action, sent };
}

/**
 * Params the run lacks, metric points not in its history, tags that differ: in log-batch requests, params first, and
 * last of all — in the last request — the digest and `mlops.push.state=complete` (MLflow writes a batch's params,
 * metrics and tags in that order, so the run is marked complete only once the rest is there).
 */
async function sendData(writer: RunWriter, plan: RunPlan, remote: TargetRun, fresh: boolean, sent: SentCounts): Promise<void> {
  const params = Object.entries(plan.params).filter(([k]) => remote.params[k] === undefined).map(([key, value]) => ({ key, value }));
  const tags = fresh ? [] : Object.entries(plan.tags).filter(([k, v]) => remote.tags[k] !== v).map(([key, value]) => ({ key, value }));
  const metrics = fresh ? plan.points : await missingPoints(writer, remote.id, plan.points);
  const done = [{ key: PUSH_DIGEST_TAG, value: plan.digest }, { key: PUSH_STATE_TAG, value: COMPLETE }];
  for (const batch of packBatches({ params, metrics, tags: [...tags, ...done] }, writer.limits)) await writer.logBatch(remote.id, batch);
  sent.params += params.length;
  sent.tags += tags.length;
  sent.metrics += metrics.length;
}

/** The local points the target's history of each key lacks (compared as MLflow keeps them). */
async function missingPoints(writer: RunWriter, runId: string, points: MetricPoint[]): Promise<MetricPoint[]> {
  const keys = [...new Set(points.map((p) => p.key))];
  const there = new Set<string>();
  for (const key of keys) for (const p of await writer.metricHistory(runId, key)) there.add(pointKey(p));
  return points.filter((p) => !there.has(pointKey(p)));
}

async function sendArtifacts(tracker: Tracker, writer: RunWriter, plan: RunPlan, remote: TargetRun, fresh: boolean, sent: SentCounts, progress: ProgressListener): Promise<void> {
  if (!plan.run.artifacts.length) return;
  const there = new Map((fresh ? [] : await writer.listArtifactFiles(remote)).map((a) => [a.path, a.size]));
  for (const a of plan.run.artifacts) {
    if (there.get(a.path) === a.size) continue;
    const file = tracker.artifactPath(plan.run.id, a.path);
    if (!fs.existsSync(file)) {
      progress({ phase: 'runs', done: 0, total: 0, message: `warning: run ${plan.name} (${plan.run.id}): artifact ${a.path} is recorded but missing from the store (mlops store check); not pushed` });
      continue;
    }
    try {
      await writer.writeArtifact(remote, a.path, file);
    } catch (e) {
      if (e instanceof SourceError) throw new SourceError(e.code, `${e.message} (artifact ${a.path} of run ${plan.name})`, e.where, e.status);
      throw e;
    }
    sent.artifacts++;
  }
}
