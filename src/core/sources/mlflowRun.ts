/** One MLflow run as a `SourceRun`, built the same way by the file-store and SQLite readers. */
import type { StoreProblem } from '../store/types';
import { MLFLOW_NOTE_TAG, MLFLOW_PARENT_RUN_TAG, MLFLOW_RUN_NAME_TAG, MLFLOW_STATUS_BY_NUMBER, mapMlflowStatus } from './mlflowCommon';
import type { SourceRun } from './types';

export interface MlflowRunFields {
  runId: string;
  experimentId: string;
  experimentName: string;
  /** run_name (meta.yaml) or runs.name; the `mlflow.runName` tag when absent. */
  runName?: string | null;
  /** MLflow's status word or the file store's enum number. */
  status: string | number | undefined | null;
  startTime?: number | null;
  endTime?: number | null;
  lifecycleStage?: string | null;
  artifactUri?: string | null;
  params: Record<string, string>;
  tags: Record<string, string>;
  metrics: Record<string, number>;
  problems?: StoreProblem[];
}

export function buildMlflowRun(f: MlflowRunFields, now = Date.now()): SourceRun {
  const word = typeof f.status === 'number' ? MLFLOW_STATUS_BY_NUMBER[f.status] : f.status ?? undefined;
  const status = mapMlflowStatus(f.status ?? undefined);
  const startTime = f.startTime ?? 0;
  // MLflow leaves end_time empty while a run runs (and 0 or null in some old rows).
  const endTime = f.endTime ? f.endTime : null;
  const run: SourceRun = {
    id: f.runId,
    experimentId: f.experimentId,
    experimentName: f.experimentName,
    name: f.runName || f.tags[MLFLOW_RUN_NAME_TAG] || '',
    status,
    effectiveStatus: status,
    interrupted: false,
    startTime,
    endTime,
    duration: Math.max(0, (endTime ?? (status === 'running' ? now : startTime)) - startTime),
    params: f.params,
    tags: f.tags,
    metrics: f.metrics,
    notes: f.tags[MLFLOW_NOTE_TAG] ?? '',
    lifecycle: f.lifecycleStage === 'deleted' ? 'deleted' : 'active',
    problems: f.problems ?? [],
  };
  if (word !== undefined) run.sourceStatus = String(word);
  if (f.tags[MLFLOW_PARENT_RUN_TAG]) run.parentRunId = f.tags[MLFLOW_PARENT_RUN_TAG];
  if (f.artifactUri) run.artifactUri = f.artifactUri;
  return run;
}

/** Python's float text as MLflow writes it (`3.2`, `1e-05`, `nan`, `inf`, `-inf`) → number; undefined when not a number. */
export function parsePythonFloat(s: string): number | undefined {
  const t = s.trim().toLowerCase();
  if (t === 'nan' || t === '-nan') return NaN;
  if (t === 'inf' || t === '+inf' || t === 'infinity') return Infinity;
  if (t === '-inf' || t === '-infinity') return -Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t)) return undefined;
  return Number(t);
}

/** Copy the fields that have a value (not undefined, not '') onto `target`: MLflow leaves many columns empty. */
export function withPresent<T extends object>(target: T, fields: Partial<T>): T {
  for (const [k, v] of Object.entries(fields)) if (v !== undefined && v !== '') (target as Record<string, unknown>)[k] = v;
  return target;
}
