/**
 * The one typed message protocol between the extension and its webviews. Both sides import this file:
 * the extension (src/extension/...) and the webview apps (webview/...). Keep it free of Node and VS Code imports.
 *
 * Flow: the webview posts `ready` once its script runs; the extension answers with the data message for that
 * view and pushes updates later (a run changed or was deleted). User strings travel as data and are rendered
 * with textContent on the webview side, never as HTML.
 */
import type { ChartKind, CompareSettings, Direction } from '../core/compare/model';
import type { ComparedValue } from '../core/compare/series';
import type { DriftHistoryEntry, DriftSort, DriftViewSettings } from '../core/monitoring/driftView';
import type { AlertStatus, AlertType, DriftReport, Severity } from '../core/monitoring/types';

export type ParamValue = string | number | boolean | null;

/** A run as the webviews see it (plain JSON, times in ms). */
export interface RunView {
  id: string;
  name: string;
  experiment: string;
  status: string;
  interrupted: boolean;
  startTime: number;
  endTime: number | null;
  durationMs: number;
  params: Record<string, ParamValue>;
  metrics: Record<string, number>;
  tags: Record<string, string>;
  notes: string;
  environment: Record<string, unknown>;
  artifacts: { path: string; kind: string; size: number; sha256: string }[];
  problems: { file: string; message: string }[];
}

export interface MetricSeriesView {
  key: string;
  points: { step: number; value: number; timestamp: number }[];
}

// ---------------------------------------------------------------- run details view

export type RunDetailsToWebview =
  | { type: 'run'; run: RunView; history: MetricSeriesView[] }
  | { type: 'gone'; runId: string; reason: string };

export type RunDetailsFromWebview =
  | { type: 'ready' }
  | { type: 'openArtifact'; path: string }
  | { type: 'copy'; text: string };

// ---------------------------------------------------------------- compare runs view

export type { ChartKind, CompareSettings, CompareSort, Direction } from '../core/compare/model';
export type { ComparedValue } from '../core/compare/series';

export interface FeatureImportanceView {
  method: string;
  features: { feature: string; importance: number }[];
}

/** A compared run: what the tables and charts need, no environment or artifact list. */
export interface CompareRunView {
  /** Unique across sources (core/compare/runRefs.ts): a workspace run's id, or `<MLflow source URI>#<run id>`. */
  id: string;
  /** The run's id in its source, when `id` is a source-qualified key (MLflow runs). */
  runId?: string;
  /** Where the run comes from, as the trees name it ('Workspace', 'MLflow · mlruns-copy/mlflow.db', …). */
  source?: string;
  /** The kind of that source (the panel's icon for it). */
  sourceKind?: 'workspace' | 'mlflow-file' | 'mlflow-sqlite' | 'mlflow-server';
  name: string;
  experiment: string;
  status: string;
  interrupted: boolean;
  startTime: number;
  durationMs: number;
  params: Record<string, ParamValue>;
  /**
   * Each metric's compared value (the data message's `compared`: the last value, the value at a step, or the min / max
   * over the history), computed from the full histories; a metric without a value at the chosen step is left out.
   */
  metrics: Record<string, number>;
  tags: Record<string, string>;
  /** Metrics logged at more than one step: [step, value] pairs by step (long series downsampled with LTTB, fewer points each as runs add up). */
  history: Record<string, [number, number][]>;
  /** The run's feature_importance.json artifact, when it has one. */
  importance: FeatureImportanceView | null;
}

export type CompareExportFormat = 'csv' | 'markdown';

/** What the compare webview keeps with setState; the serializer gets it back after a window reload. */
export interface CompareWebviewState {
  v: 1;
  runIds: string[];
  title: string;
  settings: CompareSettings;
  /** A locked tab is never replaced by a new comparison (mlops.compare.reuseTab). */
  locked?: boolean;
  /** Run names as last shown, by key: a run whose source is gone after a reload is still named. */
  names?: Record<string, string>;
}

export type CompareToWebview =
  | {
      type: 'data';
      title: string;
      /** Every run asked for (also those gone), in the order given: saved with the panel for a reload. */
      runIds: string[];
      runs: CompareRunView[];
      /** Runs asked for that were deleted or can no longer be read (name as last seen; why, when it is known). */
      gone: { id: string; name: string; runId?: string; reason?: string }[];
      /** Default direction of every metric (the user's overrides are in the settings). */
      directions: Record<string, Direction>;
      primaryMetric: string | null;
      /** Which value of each metric `runs[].metrics` holds (the settings' `compared` when this message was built). */
      compared: ComparedValue;
      /** Sent with the first data message after `ready` only: the settings to start from. */
      settings?: CompareSettings;
      /** Epoch ms when the command that opened the panel started (first data message only): for timing. */
      requestedAt?: number;
      /**
       * The first message of a big comparison comes in two: this one with the runs' own values only (each run's
       * `history` empty, no importance), drawn at once, then the whole message (without settings) once it is read.
       */
      historiesPending?: boolean;
    }
  /** Ask for a chart as PNG (the export command and tests); answered with `png`. */
  | { type: 'requestPng'; requestId: number; chart: ChartKind; index: number }
  /** The tab was locked or unlocked: kept in the webview state (restored after a reload) and shown in the header. */
  | { type: 'lock'; locked: boolean };

export type CompareFromWebview =
  | { type: 'ready' }
  | { type: 'settings'; settings: CompareSettings }
  /** Posted after the tables and the shown chart are drawn (after each data message and theme change). */
  | {
      type: 'rendered';
      runs: number;
      params: number;
      metrics: number;
      charts: number;
      chart: ChartKind;
      theme: string;
      /** From the data message's arrival to the painted frame. */
      renderMs: number;
      /** From the command (requestedAt) to the painted frame: first render of a panel only. */
      sinceRequestMs: number | null;
      /**
       * First render only, where the time went (ms): command → webview document created (VS Code), document → script
       * ready (of which hostWorker: the document's navigation waiting for VS Code's webview service worker to start; in a
       * browser-hosted VS Code about a second for every webview after the first of a page), ready → data, data → painted.
       */
      phases?: { webviewStart: number; script: number; hostWorker: number; data: number; draw: number };
    }
  | { type: 'export'; format: CompareExportFormat; target: 'file' | 'clipboard' }
  /** The Lock / Unlock button in the panel's toolbar (same as the editor title actions). */
  | { type: 'setLock'; locked: boolean }
  | { type: 'savePng'; name: string; dataUrl: string }
  | { type: 'png'; requestId: number; name: string; dataUrl: string | null }
  | { type: 'openRun'; runId: string };

// ---------------------------------------------------------------- drift report view

export type { DriftHistoryEntry, DriftSort, DriftSortKey, DriftViewSettings, DriftPanelState as DriftWebviewState } from '../core/monitoring/driftView';
export type { DriftReport } from '../core/monitoring/types';

/** An alert of the shown report: the report's finding with its status in the store's alert log. */
export interface DriftAlertView {
  /** The alert's id in the store (null when the report's alerts were not recorded, e.g. `mlops drift --no-save`). */
  id: string | null;
  type: AlertType;
  severity: Severity;
  subject: string;
  recommendation: string;
  status: AlertStatus;
}

export type DriftToWebview =
  | {
      type: 'data';
      /** The workspace folder whose store holds the report (saved with the panel for a reload). */
      folder: string;
      /** The report as stored (plain JSON: an untested column's NaN scores arrive as null). */
      report: DriftReport;
      /** Reports of the same monitor (same model and reference), oldest first, at most HISTORY_CAP, this one included. */
      history: DriftHistoryEntry[];
      alerts: DriftAlertView[];
      /** The newest report of the same monitor, when it is newer than this one. */
      newer: { id: string; batch: string; time: number } | null;
      /** Retraining through the model's pipelines with the drift trigger (null without a model). */
      retrain: { model: string; pipelines: number } | null;
      /** Sent with the first data message after `ready` (and when another report is shown): the choices to start from. */
      settings?: DriftViewSettings;
      /** Epoch ms when the command that opened the panel started (first data message only): for timing. */
      requestedAt?: number;
    }
  /** The shown report was deleted (or its folder closed). */
  | { type: 'gone'; reportId: string; reason: string }
  /** Show this feature's histogram (the panel was opened again for one feature, e.g. from an alert). */
  | { type: 'select'; feature: string }
  /** Ask for a drawn chart (by its name, as in `rendered.chartNames`) as PNG; answered with `png`. */
  | { type: 'requestPng'; requestId: number; chart: string };

export type DriftFromWebview =
  | { type: 'ready' }
  | { type: 'settings'; settings: DriftViewSettings }
  /** Posted after the header, the table and the charts are drawn (after each data message, choice and theme change). */
  | {
      type: 'rendered';
      reportId: string;
      /** Feature rows in the table, and how many of them are marked drifted. */
      rows: number;
      drifted: number;
      /** Charts drawn, and their names (scores-p_value, scores-distance, histogram, prediction, timeline-p_value, …). */
      charts: number;
      chartNames: string[];
      /** The feature whose histogram is shown, and its bins. */
      feature: string | null;
      histogramBins: number;
      /** Batches on the timeline. */
      timelinePoints: number;
      sort: DriftSort | null;
      theme: string;
      /** From the data message's arrival to the painted frame. */
      renderMs: number;
      /** From the command (requestedAt) to the painted frame: first render of a panel only. */
      sinceRequestMs: number | null;
    }
  | { type: 'openMarkdown' }
  | { type: 'exportJson' }
  | { type: 'copySummary' }
  | { type: 'retrain' }
  /** Show another report of the same monitor (the "newer report" link, a batch on the timeline). */
  | { type: 'openReport'; reportId: string }
  /** A chart's PNG button: the extension asks where to save it. */
  | { type: 'savePng'; name: string; dataUrl: string }
  /** The answer to `requestPng` (dataUrl null: no such chart is drawn). */
  | { type: 'png'; requestId: number; name: string; dataUrl: string | null };

/** Any message a webview may post; the extension validates `type` before acting. */
export type FromWebview = RunDetailsFromWebview | CompareFromWebview | DriftFromWebview;
export type ToWebview = RunDetailsToWebview | CompareToWebview | DriftToWebview;

export function isMessage(v: unknown): v is { type: string } {
  return typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string';
}
