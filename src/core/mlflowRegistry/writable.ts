/**
 * Which MLflow sources the workbench changes the registry of: tracking servers only. MLflow's own stores take no locks
 * that a Node process can share — the file store (`mlruns/`) takes none at all, and the SQLite store relies on SQLite's
 * POSIX fcntl locks, which Node cannot take without a native module (sql.js works on a copy in memory) — so a change
 * written from here could interleave with a running MLflow's and leave a store MLflow itself would not have written. A
 * tracking server serving the same store makes the change with MLflow's own code and locks.
 */
import type { SourceKind } from '../sources/types';

/** One line saying why the registry of this source is not changed from the workbench and what to do; undefined for a server. */
export function registryWriteRefusal(source: { kind: SourceKind; uri: string }): string | undefined {
  switch (source.kind) {
    case 'mlflow-server':
      return undefined;
    case 'mlflow-sqlite':
      return `${source.uri} is an MLflow SQLite store: the workbench changes an MLflow registry only through a tracking server, because MLflow writes mlflow.db under SQLite's POSIX (fcntl) locks, which this Node process cannot take, so a change from here could collide with a running MLflow's. Serve it with \`mlflow server --backend-store-uri ${source.uri}\` and use --store http://HOST:PORT.`;
    case 'mlflow-file':
      return `${source.uri} is an MLflow mlruns folder: the workbench changes an MLflow registry only through a tracking server, because MLflow's file store takes no locks at all, so a change from here could collide with a running MLflow's and leave half-written meta.yaml files. Serve it with \`mlflow server --backend-store-uri ${source.uri}\` and use --store http://HOST:PORT.`;
    case 'workspace':
      return `${source.uri} is the workspace store: its registry is changed with the workspace registry (mlops models …), not as an MLflow source.`;
  }
}
