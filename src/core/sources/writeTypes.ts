/**
 * The write side of MLflow sources, for `mlops push`: what a tracking server (REST API 2.0), a file store (`mlruns/`)
 * and an SQLite store (`mlflow.db`) let us do to runs and registered models. Each writer implements `RunWriter`; the
 * push logic (core/sharing/) decides what to send and in which order, the writers only carry it out.
 *
 * Every method may reject with a `SourceError` (one line, names the URI or file).
 */
import type { MetricPoint } from '../store/types';
import type { SourceKind } from './types';

/** A run in the target, as the push compares it. */
export interface TargetRun {
  /** MLflow's run id. */
  id: string;
  experimentId: string;
  name: string;
  /** MLflow's status word: RUNNING, SCHEDULED, FINISHED, FAILED, KILLED. */
  status: string;
  startTime: number;
  endTime: number | null;
  /** artifact_uri as recorded. */
  artifactUri?: string;
  params: Record<string, string>;
  tags: Record<string, string>;
}

/** One log-batch: metric points, params and tags of one run. */
export interface LogBatch {
  metrics: MetricPoint[];
  params: { key: string; value: string }[];
  tags: { key: string; value: string }[];
}

/** MLflow's runs/log-batch limits (mlflow/utils/validation.py), the same in 2.x and 3.x. */
export interface BatchLimits {
  metrics: number;
  params: number;
  tags: number;
  /** metrics + params + tags */
  entities: number;
  /** request body, bytes */
  bytes: number;
}

export const MLFLOW_BATCH_LIMITS: BatchLimits = { metrics: 1000, params: 100, tags: 100, entities: 1000, bytes: 1_000_000 };
/** A store written directly (files, SQL): no request to keep small, one batch per run is best. */
export const UNLIMITED_BATCH: BatchLimits = { metrics: Infinity, params: Infinity, tags: Infinity, entities: Infinity, bytes: Infinity };

/** Value limits MLflow validates (2.12 and 3.x): a longer value is refused by the server. */
export const MAX_PARAM_VALUE = 6000;
export const MAX_TAG_VALUE = 5000;

export interface TargetArtifact {
  /** '/'-separated, relative to the run's artifact root. */
  path: string;
  size: number;
}

export interface RunWriter {
  readonly kind: Exclude<SourceKind, 'workspace'>;
  /** Canonical URI of the target (no credentials). */
  readonly uri: string;
  readonly limits: BatchLimits;
  /** The experiment with this name (active), created when missing. */
  ensureExperiment(name: string): Promise<{ id: string; created: boolean }>;
  /** Active runs of the experiment that carry the tag `key` (any value). */
  findRunsByTag(experimentId: string, key: string): Promise<TargetRun[]>;
  /** A new run (status RUNNING) with its name, start time and tags, in one step: it never exists without its tags. */
  createRun(experimentId: string, init: { name: string; startTime: number; tags: Record<string, string> }): Promise<TargetRun>;
  /** Every point of one metric (step, timestamp, value). */
  metricHistory(runId: string, key: string): Promise<MetricPoint[]>;
  /** Within `limits`; points already there are not written twice by callers (they compare first). */
  logBatch(runId: string, batch: LogBatch): Promise<void>;
  updateRun(runId: string, update: { status: string; endTime: number | null; name: string }): Promise<void>;
  /** Every file under the run's artifact root, recursively. */
  listArtifactFiles(run: TargetRun): Promise<TargetArtifact[]>;
  /** Copy a local file to `relPath` under the run's artifact root (replacing what is there). */
  writeArtifact(run: TargetRun, relPath: string, file: string): Promise<void>;
  /** The registry side, when this target can take registered model versions. */
  readonly models?: ModelWriter;
  close(): Promise<void>;
}

export interface TargetModelVersion {
  name: string;
  version: number;
  stage: string;
  aliases: string[];
  runId?: string;
  source?: string;
  tags: Record<string, string>;
}

export interface ModelWriter {
  /** The registered model, created (with its description) when missing. */
  ensureModel(name: string, description: string): Promise<void>;
  /** Every version of the model (with its tags and aliases). */
  listVersions(name: string): Promise<TargetModelVersion[]>;
  createVersion(name: string, init: { source: string; runId: string; description: string; tags: Record<string, string> }): Promise<TargetModelVersion>;
  setVersionTag(name: string, version: number, key: string, value: string): Promise<void>;
  /** None | Staging | Production | Archived; never archives other versions (the push sets each version's stage). */
  transitionStage(name: string, version: number, stage: string): Promise<void>;
  setAlias(name: string, alias: string, version: number): Promise<void>;
}
