/** The tracking data model shared by the store, the CLI, the extension and the webviews. */
import type { ProcessOwner } from './owner';

export type RunStatus = 'running' | 'completed' | 'failed' | 'cancelled';
export const RUN_STATUSES: readonly RunStatus[] = ['running', 'completed', 'failed', 'cancelled'];
export const FINISHED_STATUSES: readonly RunStatus[] = ['completed', 'failed', 'cancelled'];

export type ParamValue = string | number | boolean | null;

export interface MetricPoint {
  key: string;
  value: number;
  step: number;
  /** ms since the epoch */
  timestamp: number;
}

export interface ArtifactEntry {
  /** Relative path inside the run's artifacts folder, '/' separated. */
  path: string;
  kind: 'file' | 'json';
  size: number;
  sha256: string;
  loggedAt: number;
}

export interface EnvironmentRecord {
  git?: { commit: string; dirty: boolean; branch?: string } | null;
  extensionVersion: string;
  nodeVersion: string;
  os: { platform: string; release: string; arch: string };
  host?: string;
  user?: string;
  /** Library name -> version, e.g. the trainer engine. */
  libraries?: Record<string, string>;
  dataset?: { path: string; sha256: string; rows?: number; columns?: string[]; types?: Record<string, string> } | null;
  seed?: number | null;
  /** How the run was started: cli, extension, pipeline, ... */
  source?: string;
}

export interface Experiment {
  id: string;
  name: string;
  createdAt: number;
  description?: string;
  /** The metric that ranks runs in this experiment (shown in the tree). */
  primaryMetric?: { key: string; direction: 'min' | 'max' };
}

/** The run document as stored in runs/<id>/run.json. */
export interface RunDocument {
  format: 1;
  id: string;
  experimentId: string;
  name: string;
  status: RunStatus;
  startTime: number;
  endTime: number | null;
  params: Record<string, ParamValue>;
  tags: Record<string, string>;
  notes: string;
  environment: EnvironmentRecord;
  artifacts: ArtifactEntry[];
  owner: ProcessOwner | null;
  /** Latest value per metric key, written when the run ends (the series is in metrics.jsonl). */
  metricsSummary?: Record<string, number | string>;
  /** Number of metric records in metrics.jsonl when the summary was written. */
  metricsCount?: number;
}

/** A run as read back: the document plus derived values. */
export interface Run extends RunDocument {
  experimentName: string;
  /** Latest value per metric key (highest step; ties broken by the later timestamp). */
  metrics: Record<string, number>;
  /** Status as seen by readers: a `running` run whose process is gone is shown as `failed` with interrupted=true. */
  effectiveStatus: RunStatus;
  interrupted: boolean;
  /** Duration in ms (to now for running runs). */
  duration: number;
  /** Problems found reading this run's files (a corrupt metrics log, ...). The run is still listed. */
  problems: StoreProblem[];
}

export interface StoreProblem {
  file: string;
  message: string;
  runId?: string;
  /** 1-based line of a damaged line in a log file (the registry's events.jsonl). */
  line?: number;
}
