/**
 * The MLflow target a push writes to, from its URI: `http(s)://…` a tracking server, `file:///…/mlruns` (or a path)
 * a file store — created when it does not exist yet, as MLflow creates one — and `sqlite:///…/mlflow.db` an SQLite
 * store, which must exist (MLflow creates its schema; we do not).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMlrunsFolder, isSqliteFile, locateSource, redactUrl } from './locate';
import { MlflowFileWriter } from './mlflowFile/fileWrites';
import { MlflowServerWriter } from './mlflowServer/runWrites';
import { MlflowSqliteWriter } from './mlflowSqlite/sqliteWrites';
import type { OpenSourceOptions } from './open';
import { SourceError } from './types';
import type { RunWriter } from './writeTypes';

export function openWriter(spec: string, options: OpenSourceOptions = {}, cwd = process.cwd()): RunWriter {
  const s = spec.trim();
  if (/^https?:\/\//i.test(s)) {
    const loc = locateSource(s, cwd);
    if (loc.kind !== 'mlflow-server') throw new SourceError('invalid', `${redactUrl(s)}: not a tracking server URL`);
    return new MlflowServerWriter(loc.url, { ...(options.credentials ?? {}), ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) });
  }
  if (/^sqlite:/i.test(s)) {
    const loc = locateSource(s, cwd);
    if (loc.kind !== 'mlflow-sqlite') throw new SourceError('invalid', `${s}: not an SQLite store URI`);
    if (!fs.existsSync(loc.file)) throw new SourceError('not-found', `${loc.file}: no such mlflow.db (MLflow creates the database and its schema: open it once with MLflow, e.g. \`mlflow.set_tracking_uri("${s}")\` and create an experiment, or push to a folder or a server)`, loc.file);
    if (!isSqliteFile(loc.file)) throw new SourceError('invalid', `${loc.file}: not an SQLite database`, loc.file);
    return new MlflowSqliteWriter(loc.file);
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s) && !/^file:/i.test(s)) throw new SourceError('invalid', `${redactUrl(s)}: unsupported target (use http(s)://, file:///…/mlruns or sqlite:///…/mlflow.db)`);
  return new MlflowFileWriter(fileTarget(s, cwd));
}

/** The mlruns folder a file: URI or a path names: an existing MLflow file store, an empty folder, or a new folder. */
function fileTarget(spec: string, cwd: string): string {
  let dir: string;
  try {
    dir = /^file:\/\//i.test(spec) ? fileURLToPath(spec) : path.resolve(cwd, decodeURIComponent(spec.replace(/^file:/i, '')));
  } catch (e) {
    throw new SourceError('invalid', `${spec}: ${(e as Error).message}`);
  }
  const st = fs.statSync(dir, { throwIfNoEntry: false });
  if (!st) {
    if (!fs.statSync(path.dirname(dir), { throwIfNoEntry: false })?.isDirectory()) throw new SourceError('not-found', `${spec}: its parent folder ${path.dirname(dir)} does not exist`, dir);
    return dir;
  }
  if (st.isFile()) throw new SourceError('invalid', `${dir}: a file, not an mlruns folder${isSqliteFile(dir) ? ' (an SQLite database: use sqlite:///' + dir + ')' : ''}`, dir);
  if (fs.existsSync(path.join(dir, 'store.json')) || fs.existsSync(path.join(dir, '.mlops', 'store.json'))) throw new SourceError('invalid', `${dir}: a workspace store, not an MLflow mlruns folder`, dir);
  if (fs.readdirSync(dir).length && !isMlrunsFolder(dir)) throw new SourceError('invalid', `${dir}: not an MLflow mlruns folder (no experiment folders with meta.yaml) and not empty`, dir);
  return dir;
}
