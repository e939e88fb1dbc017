/**
 * The one read interface every source of runs and models implements: the workspace store (`.mlops`), an MLflow file
 * store (`mlruns/`), an MLflow SQLite store (`mlflow.db`) and an MLflow tracking server (REST API 2.0). The trees, the
 * filter language, Compare Runs, run details, the registry tree and the CLI read through this interface only.
 *
 * Shapes follow the workspace store's (`store/types.ts`) so the views need no second code path: a `Run` of the
 * workspace store is a `SourceRun`. MLflow values are kept as logged (MLflow params are strings; statuses are mapped to
 * ours and the original is kept in `sourceStatus`). Nothing is invented: what a source does not record is absent.
 */
import type { MetricPoint, ParamValue, RunStatus, StoreProblem } from '../store/types';

export type SourceKind = 'workspace' | 'mlflow-file' | 'mlflow-sqlite' | 'mlflow-server';

export interface SourceExperiment {
  id: string;
  name: string;
  /** ms since the epoch, when the source records it */
  createdAt?: number;
  lifecycle: 'active' | 'deleted';
  /** MLflow: the experiment's artifact location as recorded (may be a stale absolute URI from another machine). */
  artifactLocation?: string;
  tags: Record<string, string>;
  primaryMetric?: { key: string; direction: 'min' | 'max' };
  /** Active runs in the experiment, when the source counts them without reading them (the workspace index does). */
  runCount?: number;
  /** ms since the epoch: the start of its newest run, when known (the trees list experiments newest first by it). */
  lastRunStart?: number;
}

export interface SourceRun {
  id: string;
  experimentId: string;
  experimentName: string;
  /** MLflow: the `mlflow.runName` tag or run_name column. */
  name: string;
  /** Ours: running | completed | failed | cancelled. MLflow RUNNING/SCHEDULED → running, FINISHED → completed,
   *  FAILED → failed, KILLED → cancelled. */
  status: RunStatus;
  effectiveStatus: RunStatus;
  /** MLflow's own status word (FINISHED, FAILED, KILLED, RUNNING, SCHEDULED), absent for the workspace store. */
  sourceStatus?: string;
  interrupted: boolean;
  startTime: number;
  endTime: number | null;
  duration: number;
  params: Record<string, ParamValue>;
  tags: Record<string, string>;
  /** Latest value per metric key (MLflow: latest_metrics / the last line by step then timestamp). */
  metrics: Record<string, number>;
  notes: string;
  /** MLflow: the `mlflow.parentRunId` tag (nested runs). */
  parentRunId?: string;
  lifecycle?: 'active' | 'deleted';
  /** MLflow: artifact_uri as recorded. */
  artifactUri?: string;
  problems: StoreProblem[];
}

export interface SourceArtifact {
  /** Relative to the run's artifact root, '/' separated. */
  path: string;
  isDir: boolean;
  /** bytes; absent for folders and when the source does not say */
  size?: number;
}

export interface SourceModelVersion {
  model: string;
  version: number;
  /** None | Staging | Production | Archived (MLflow's current_stage). */
  stage: string;
  aliases: string[];
  runId?: string;
  /** MLflow: source URI of the model artifacts as recorded. */
  source?: string;
  /** MLflow ≥ 2.x: storage_location as recorded (3.x: the logged model's artifact folder; may be stale). */
  storageLocation?: string;
  description: string;
  tags: Record<string, string>;
  createdAt: number;
  updatedAt?: number;
  status?: string;
  /** The source run as the registry recorded it, where it keeps that (the workspace registry's snapshot at registration). */
  run?: { name: string; experiment: string; metrics: Record<string, number>; datasetSha256?: string };
  /** Who registered it, where the source records that. */
  createdBy?: string;
  /** SHA-256 of the model's bytes, where the source records it (the workspace registry). */
  modelSha256?: string;
}

export interface SourceModel {
  name: string;
  description: string;
  tags: Record<string, string>;
  aliases: Record<string, number>;
  versions: SourceModelVersion[];
  createdAt?: number;
  updatedAt?: number;
  /** Damaged registry files of this model (a version's meta.yaml that does not parse): reported, the rest loads. */
  problems?: StoreProblem[];
}

export interface RunQuery {
  /** Experiment ids; all active experiments when absent. */
  experimentIds?: string[];
  /** Our filter language (core/tracking/filter.ts). Sources may push the AND-able part down and evaluate the rest. */
  filter?: string;
  /** e.g. 'metrics.rmse_val ASC', 'start_time DESC' (MLflow's order_by syntax); newest first when absent. */
  orderBy?: string[];
  /** Page size (sources cap it at what their backend allows). */
  maxResults?: number;
  /** Opaque token from a previous page. */
  pageToken?: string;
  /** Include deleted runs (lifecycle 'deleted'). Default false. */
  includeDeleted?: boolean;
}

export interface RunPage {
  runs: SourceRun[];
  nextPageToken?: string;
  /** Runs matching the query over all pages, when the source knows it without reading them (the workspace index). */
  total?: number;
  /** Damaged files or rows found while reading: reported, the rest still loads. */
  problems: StoreProblem[];
}

/** The best run of an experiment and the metric it is ranked by (core/tracking/metricDirection.ts). */
export interface BestOfExperiment {
  metric?: { key: string; direction: 'min' | 'max' };
  bestId?: string;
}

/** Every source implements this; every method may reject with a `SourceError` (one line, says where). */
export interface RunSource {
  readonly kind: SourceKind;
  /** Canonical URI: `file:///…/mlruns`, `sqlite:///…/mlflow.db`, `http(s)://host[:port][/prefix]`, or the store root. */
  readonly uri: string;
  /** Short name for the tree root. */
  readonly label: string;
  /** False until writing to this kind of source is supported. */
  readonly writable: boolean;

  listExperiments(options?: { includeDeleted?: boolean }): Promise<SourceExperiment[]>;
  searchRuns(query?: RunQuery): Promise<RunPage>;
  /** Rejects with SourceError code 'not-found' when the run does not exist (or was deleted meanwhile). */
  getRun(runId: string): Promise<SourceRun>;
  /** Full history of one metric, ordered by step then timestamp. */
  metricHistory(runId: string, key: string): Promise<MetricPoint[]>;
  /** Entries directly under `dir` ('' = the artifact root). */
  listArtifacts(runId: string, dir?: string): Promise<SourceArtifact[]>;
  readArtifact(runId: string, path: string): Promise<Uint8Array>;
  listModels(): Promise<SourceModel[]>;
  /**
   * The files of a model version (its MLmodel folder), '' = that folder's root. Optional: in MLflow 3.x a version's
   * files are a logged model's (`models:/m-…`), not under its run's artifacts, so `listArtifacts` cannot reach them.
   */
  listModelVersionArtifacts?(model: string, version: number, dir?: string): Promise<SourceArtifact[]>;
  readModelVersionArtifact?(model: string, version: number, path: string): Promise<Uint8Array>;
  /** Releases files, sockets and WASM memory. */
  close(): Promise<void>;

  // Optional capabilities. A view uses one when the source has it and falls back to the methods above when not, so
  // every source is read the same way and the cheaper path is taken where one exists.

  /** Damaged entries of the registry's own log (reported with file and line, skipped; the rest loads). */
  registryProblems?(): Promise<StoreProblem[]>;
  /** Each experiment's best run over all of its runs (the trees otherwise rank the runs they have loaded). */
  bestRuns?(experimentIds: string[]): Promise<Record<string, BestOfExperiment>>;
  /** How many runs of each experiment match a filter, over all runs (otherwise: the loaded pages). */
  countRuns?(filter: string): Promise<Record<string, number>>;
  /** Every metric's full history at once, by key, ordered as `metricHistory`'s, and the damaged lines skipped
   *  (otherwise one `metricHistory` per key). */
  metricHistories?(runId: string): Promise<{ histories: Record<string, MetricPoint[]>; problems: StoreProblem[] }>;
  /** An artifact as a file on this machine, to open in place (otherwise it is read and copied to a private folder). */
  localArtifactPath?(runId: string, path: string): Promise<string>;
}

export type SourceErrorCode =
  | 'not-found' // run/experiment/model/artifact missing (HTTP 404, RESOURCE_DOES_NOT_EXIST)
  | 'unauthorized' // HTTP 401/403, with the server's message
  | 'unreachable' // connection refused, DNS, TLS, timeout
  | 'server' // 5xx after retries, or an unexpected answer
  | 'schema' // a table/column/layout this reader needs is missing (names the alembic revision)
  | 'corrupt' // a damaged file or database
  | 'busy' // the SQLite file kept changing while we read it
  | 'invalid' // bad input (a URI we cannot parse, a path escaping the store)
  | 'read-only'; // a write on a source that cannot be written

/** One-line, user-facing errors that say what is wrong and where (file, URL and HTTP status). No stack to the user. */
export class SourceError extends Error {
  constructor(
    readonly code: SourceErrorCode,
    message: string,
    readonly where?: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'SourceError';
  }
}

/** How to authenticate to a tracking server (MLflow's own environment variables name the same things). Never logged. */
export interface SourceCredentials {
  /** MLFLOW_TRACKING_TOKEN: sent as `Authorization: Bearer …`. */
  token?: string;
  /** MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD: sent as HTTP Basic. */
  username?: string;
  password?: string;
  /** MLFLOW_TRACKING_INSECURE_TLS=true: accept any TLS certificate. */
  insecureTls?: boolean;
}

/** MLflow's environment variables as credentials (undefined when none is set). */
export function credentialsFromEnv(env: Record<string, string | undefined>): SourceCredentials | undefined {
  const c: SourceCredentials = {};
  if (env.MLFLOW_TRACKING_TOKEN) c.token = env.MLFLOW_TRACKING_TOKEN;
  if (env.MLFLOW_TRACKING_USERNAME) c.username = env.MLFLOW_TRACKING_USERNAME;
  if (env.MLFLOW_TRACKING_PASSWORD) c.password = env.MLFLOW_TRACKING_PASSWORD;
  if (/^(true|1)$/i.test(env.MLFLOW_TRACKING_INSECURE_TLS ?? '')) c.insecureTls = true;
  return Object.keys(c).length ? c : undefined;
}
