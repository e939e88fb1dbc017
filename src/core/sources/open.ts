/** Opens the RunSource a location names (see locate.ts). The workspace store is opened by its owner (it writes). */
import { MlflowFileSource } from './mlflowFile/fileStore';
import { MlflowServerSource } from './mlflowServer/source';
import { MlflowSqliteSource } from './mlflowSqlite/sqliteStore';
import type { SourceLocation } from './locate';
import { SourceError, type RunSource, type SourceCredentials } from './types';

export interface OpenSourceOptions {
  /** For servers: never logged, sent only to this server. */
  credentials?: SourceCredentials;
  /** Per request to a server (default 15 s). */
  timeoutMs?: number;
}

export function openSource(loc: SourceLocation, options: OpenSourceOptions = {}): RunSource {
  switch (loc.kind) {
    case 'mlflow-file':
      return new MlflowFileSource(loc.dir);
    case 'mlflow-sqlite':
      return new MlflowSqliteSource(loc.file);
    case 'mlflow-server':
      return new MlflowServerSource(loc.url, { ...(options.credentials ?? {}), ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) });
    case 'workspace':
      throw new SourceError('invalid', `${loc.root}: the workspace store is opened with Tracker.open, not as an MLflow source.`);
  }
}
