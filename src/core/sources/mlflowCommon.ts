/** What every MLflow reader (file store, SQLite store, tracking server) maps the same way. */
import type { RunStatus } from '../store/types';

/** MLflow's run statuses → ours. RUNNING/SCHEDULED → running, FINISHED → completed, FAILED → failed, KILLED → cancelled. */
export function mapMlflowStatus(status: string | number | undefined): RunStatus {
  // The file store's meta.yaml records the protobuf enum number: 1 RUNNING, 2 SCHEDULED, 3 FINISHED, 4 FAILED, 5 KILLED.
  const word = typeof status === 'number' ? MLFLOW_STATUS_BY_NUMBER[status] : status;
  switch (word) {
    case 'RUNNING':
    case 'SCHEDULED':
      return 'running';
    case 'FINISHED':
      return 'completed';
    case 'KILLED':
      return 'cancelled';
    default:
      return 'failed';
  }
}

export const MLFLOW_STATUS_BY_NUMBER: Record<number, string> = { 1: 'RUNNING', 2: 'SCHEDULED', 3: 'FINISHED', 4: 'FAILED', 5: 'KILLED' };

export const MLFLOW_RUN_NAME_TAG = 'mlflow.runName';
export const MLFLOW_PARENT_RUN_TAG = 'mlflow.parentRunId';
export const MLFLOW_NOTE_TAG = 'mlflow.note.content';
