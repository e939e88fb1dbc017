/**
 * The shapes of drift reports and alerts, with no Node import: the store code (monitor.ts, alerts.ts) writes them,
 * and the drift report webview receives them as plain JSON through src/shared/protocol.ts.
 */
import type { ColumnDriftResult, DatasetDriftResult } from './stats/columnDrift';

export type AlertType = 'data_drift' | 'prediction_drift' | 'performance';
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
  performance?: { checks: PerformanceCheck[]; threshold: number; rows: number };
  alerts: AlertCandidate[];
}
