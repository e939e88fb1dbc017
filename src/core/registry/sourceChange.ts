/**
 * What the workspace registry log records about the registry of an MLflow source (events of action `mlflow`): a change
 * made from the workbench, a refusal, a change made by someone else and seen on refresh (`observed`), or the state
 * first seen (`baseline`). These events never change the workspace's own models (the replay skips them); the MLflow
 * audit trail (core/mlflowRegistry/) reads them back by source URI and model.
 */
import type { AliasMove } from './registry';

export type SourceChangeOp = 'transition' | 'alias' | 'rollback' | 'describe' | 'tag' | 'register' | 'refused' | 'observed' | 'baseline';

/** A version's stage before and after (null: the version did not exist, or no longer exists). */
export interface SourceStageMove {
  version: number;
  from: string | null;
  to: string | null;
}

/** The stages and aliases of a model at one moment (versions as decimal keys). */
export interface SourceRegistryState {
  stages: Record<string, string>;
  aliases: Record<string, number>;
}

export interface SourceRegistryChange {
  /** The source's canonical URI (`http://host:port`, `sqlite:///…/mlflow.db`, `file:///…/mlruns`). */
  uri: string;
  op: SourceChangeOp;
  /** Stage changes, as the server showed them before and after (a promotion lists the versions it archived). */
  stages?: SourceStageMove[];
  aliases?: AliasMove[];
  /** observed: the previous observation; the change happened after it and at the latest at the event's time. */
  after?: number;
  /** baseline: the state first seen. */
  state?: SourceRegistryState;
  /** The model-version (or model) tag that records the change on the server, `mlops.audit.<epoch-ms>`. */
  auditKey?: string;
  /** Why the audit tag could not be written (the change itself was made). */
  auditError?: string;
}
