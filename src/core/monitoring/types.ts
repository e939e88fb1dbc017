/**
 * The shapes of drift reports and alerts, with no Node import: the store code (monitor.ts, alerts.ts) writes them,
 * and the drift report webview receives them as plain JSON through src/shared/protocol.ts.
 */
import type { ColumnDriftResult, DatasetDriftResult } from './stats/columnDrift';

/** data_quality: a column that could not be tested, or a feature's missing-value share past its threshold. */
export type AlertType = 'data_drift' | 'prediction_drift' | 'performance' | 'data_quality';
export type Severity = 'medium' | 'high' | 'critical';
export type AlertStatus = 'open' | 'acknowledged' | 'dismissed';

export interface Alert {
  id: string;
  time: number;
  type: AlertType;
  severity: Severity;
  model: string;
  /** The feature (data drift) or metric (performance) concerned; 'prediction' for prediction drift. */
  subject: string;
  method: string;
  referenceValue: number | string | null;
  currentValue: number | string | null;
  score: number;
  threshold: number;
  batch: string;
  reportId: string;
  recommendation: string;
  status: AlertStatus;
  statusBy?: string;
  statusAt?: number;
}


export interface NamedColumnDrift extends ColumnDriftResult {
  name: string;
}

export interface PerformanceCheck {
  metric: string;
  reference: number;
  current: number;
  /** Relative change in the bad direction (0.25 = 25 % worse); negative when better. */
  degradation: number;
  degraded: boolean;
}

/** A performance metric that could not be computed on the batch (too few labelled rows, a constant target, …). */
export interface PerformanceNotComputed {
  metric: string;
  reference: number;
  reason: string;
}

/**
 * A data-quality finding of a report: a column that could not be tested (reason from the column's note), or a
 * feature whose missing-value share (missing and non-finite values over all rows) in the batch is 1, or exceeds
 * the reference's share by more than the threshold. Each finding is also an alert of type 'data_quality'.
 */
export interface DataQualityFinding {
  column: string;
  kind: 'missing_share' | 'untested';
  /** Missing-value shares of the two sides (missing_share findings). */
  referenceShare?: number;
  currentShare?: number;
  reason: string;
}

export type AlertCandidate = Omit<Alert, 'id' | 'time' | 'status' | 'model' | 'reportId' | 'batch'>;

export interface DriftReport {
  format: 1;
  id: string;
  time: number;
  batch: string;
  reference: { file: string; rows: number; sha256: string };
  current: { file: string; rows: number; sha256: string };
  model?: { uri: string; name: string; version?: number };
  target?: string;
  columns: NamedColumnDrift[];
  dataset: DatasetDriftResult;
  prediction?: ColumnDriftResult;
  /** `rows`: labelled rows of the batch that could be predicted. `notComputed` is absent in reports before issue 18. */
  performance?: { checks: PerformanceCheck[]; notComputed?: PerformanceNotComputed[]; threshold: number; rows: number };
  /** Untested columns and missing-value shares (absent in reports written before issue 18). */
  dataQuality?: { missingShareThreshold: number; findings: DataQualityFinding[] };
  alerts: AlertCandidate[];
}
