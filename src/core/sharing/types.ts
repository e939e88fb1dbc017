/** What push and pull report: progress as they go, and what they did. */
import { SourceError } from '../sources/types';

export interface SharingProgress {
  phase: 'plan' | 'runs' | 'models' | 'done';
  /** runs (or versions) handled so far, of `total` */
  done: number;
  total: number;
  /** One line: what just happened (`pushed run rf-01 (3f2a…): 1,000 metric points, 4 params`). */
  message: string;
}

export type ProgressListener = (p: SharingProgress) => void;

export interface SentCounts {
  metrics: number;
  params: number;
  tags: number;
  artifacts: number;
}

export interface PushedRun {
  localId: string;
  name: string;
  experiment: string;
  mlflowRunId: string;
  /** created: a new MLflow run; completed: an earlier push's incomplete run, finished; updated: changes sent; unchanged: nothing to send. */
  action: 'created' | 'completed' | 'updated' | 'unchanged';
  sent: SentCounts;
}

export interface PushedVersion {
  model: string;
  version: number;
  mlflowVersion: number;
  action: 'created' | 'updated' | 'unchanged';
}

export interface PushResult {
  target: string;
  runs: PushedRun[];
  versions: PushedVersion[];
  /** Runs left out, with why (pulled from this same target). */
  skipped: { localId: string; name: string; reason: string }[];
}

export interface PulledRun {
  mlflowRunId: string;
  localId: string;
  name: string;
  experiment: string;
  action: 'created' | 'completed' | 'updated' | 'unchanged';
  added: SentCounts;
}

export interface PulledVersion {
  model: string;
  mlflowVersion: number;
  version: number;
  action: 'created' | 'updated' | 'unchanged';
}

export interface PullResult {
  source: string;
  runs: PulledRun[];
  versions: PulledVersion[];
  skipped: { id: string; name: string; reason: string }[];
}

/** A local param whose value differs from the one already in the MLflow run (MLflow params cannot change). */
export class ParamConflictError extends SourceError {
  constructor(message: string, where: string) {
    super('invalid', message, where);
    this.name = 'ParamConflictError';
  }
}

export const zeroCounts = (): SentCounts => ({ metrics: 0, params: 0, tags: 0, artifacts: 0 });

/** Runs `fn` over `items`, `limit` at a time, in order of start; the first failure stops the rest (and is thrown). */
export async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async (): Promise<void> => {
    while (failed === undefined && next < items.length) {
      const i = next++;
      try {
        await fn(items[i], i);
      } catch (e) {
        if (failed === undefined) failed = e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failed !== undefined) throw failed;
}
