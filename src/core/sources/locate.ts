/**
 * What a source spec names, before anything is opened: the CLI's `--store`, `$MLOPS_STORE`, `$MLFLOW_TRACKING_URI`,
 * the setting `mlops.mlflow.sources` and the Connect command all go through `locateSource`.
 *
 *   a folder holding `.mlops/` or a `.mlops` folder        → the workspace store
 *   an `mlruns` folder, `file:///…/mlruns`, `file:./mlruns` → an MLflow file store
 *   an `mlflow.db` file, `sqlite:///rel.db`, `sqlite:////abs.db` (SQLAlchemy's spelling, as MLflow) → an MLflow SQLite store
 *   `http(s)://host[:port][/prefix]`                         → an MLflow tracking server
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SourceError } from './types';

export type SourceLocation =
  | { kind: 'workspace'; root: string }
  | { kind: 'mlflow-file'; dir: string }
  | { kind: 'mlflow-sqlite'; file: string }
  | { kind: 'mlflow-server'; url: string };

const SQLITE_MAGIC = 'SQLite format 3\0';

export function locateSource(spec: string, cwd = process.cwd()): SourceLocation {
  const s = spec.trim();
  if (!s) throw new SourceError('invalid', 'Empty store location.');
  if (/^https?:\/\//i.test(s)) return { kind: 'mlflow-server', url: checkServerUrl(s) };
  if (/^sqlite:/i.test(s)) return { kind: 'mlflow-sqlite', file: sqliteUriPath(s, cwd) };
  if (/^file:/i.test(s)) return locatePath(fileUriPath(s, cwd), s);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) {
    throw new SourceError('invalid', `${redactUrl(s)}: unsupported store URI (use a folder, file://, sqlite:// or http(s)://).`);
  }
  return locatePath(path.resolve(cwd, s), s);
}

function locatePath(p: string, spec: string): SourceLocation {
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch {
    throw new SourceError('not-found', `${spec}: no such file or folder.`, p);
  }
  if (st.isFile()) {
    if (isSqliteFile(p)) return { kind: 'mlflow-sqlite', file: p };
    throw new SourceError('invalid', `${p}: not an SQLite database (an mlflow.db starts with "SQLite format 3").`, p);
  }
  if (path.basename(p) === '.mlops' && fs.existsSync(path.join(p, 'store.json'))) return { kind: 'workspace', root: p };
  if (fs.existsSync(path.join(p, '.mlops', 'store.json'))) return { kind: 'workspace', root: path.join(p, '.mlops') };
  if (isMlrunsFolder(p)) return { kind: 'mlflow-file', dir: p };
  throw new SourceError('invalid', `${p}: not a workspace store (.mlops), an MLflow mlruns folder or an mlflow.db file.`, p);
}

export function isSqliteFile(file: string): boolean {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const b = Buffer.alloc(16);
      return fs.readSync(fd, b, 0, 16, 0) === 16 && b.toString('latin1') === SQLITE_MAGIC;
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return false;
  }
}

/** An MLflow file store: experiment folders holding meta.yaml (0/ is the Default experiment), models/ or .trash/. */
export function isMlrunsFolder(dir: string): boolean {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return false;
  }
  if (path.basename(dir) === 'mlruns' && (names.length === 0 || names.includes('.trash'))) return true;
  return names.some((n) => /^\d+$/.test(n) && fs.existsSync(path.join(dir, n, 'meta.yaml')));
}

function sqliteUriPath(uri: string, cwd: string): string {
  // SQLAlchemy: sqlite:///relative/path.db, sqlite:////absolute/path.db; a query string (?mode=ro) is dropped.
  const m = /^sqlite:\/\/\/(.*?)(\?.*)?$/i.exec(uri);
  if (!m || !m[1]) throw new SourceError('invalid', `${uri}: a SQLite store URI is sqlite:///relative.db or sqlite:////absolute/mlflow.db.`);
  return path.resolve(cwd, decodeURIComponent(m[1]));
}

function fileUriPath(uri: string, cwd: string): string {
  if (/^file:\/\//i.test(uri)) {
    try {
      return fileURLToPath(uri);
    } catch (e) {
      throw new SourceError('invalid', `${uri}: ${(e as Error).message}`);
    }
  }
  return path.resolve(cwd, decodeURIComponent(uri.slice('file:'.length)));
}

function checkServerUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new SourceError('invalid', `${redactUrl(raw)}: not a valid URL.`);
  }
  if (u.username || u.password) {
    throw new SourceError('invalid', `${redactUrl(raw)}: put credentials in MLFLOW_TRACKING_TOKEN or MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD, not in the URL.`);
  }
  if (u.search || u.hash) throw new SourceError('invalid', `${raw}: a tracking server URL has no query or fragment.`);
  return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
}

/** A URL fit for messages and logs: user info removed. */
export function redactUrl(raw: string): string {
  return raw.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1***@');
}

/** The canonical URI of a location (shown as the source's id). */
export function sourceUri(loc: SourceLocation): string {
  switch (loc.kind) {
    case 'workspace':
    case 'mlflow-file':
      return pathToFileURL(loc.kind === 'workspace' ? loc.root : loc.dir).href;
    case 'mlflow-sqlite':
      return `sqlite:///${loc.file}`;
    case 'mlflow-server':
      return loc.url;
  }
}
