/**
 * Artifacts of MLflow stores read from the local disk (the file store `mlruns/` and the SQLite store's artifact
 * folder), for the MLflow file and SQLite readers.
 *
 * Stores copied from another machine (a cluster) record absolute `file://` locations of that machine
 * (`file:///srv/fab-cluster/mlruns/1/<run>/artifacts`): when the recorded folder does not exist here, the same path is
 * looked for relative to the store — its longest tail that exists under one of the store's base folders, a tail that
 * still names the run (or logged model), so that a run never borrows another folder — then the store's conventional
 * places. Listing and reading never leave the artifact root: `..`, absolute paths and symbolic links that lead out
 * of it are refused.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SourceError, type SourceArtifact } from './types';

/** The local path of a `file:` URI or an absolute path; undefined for other schemes (s3:, mlflow-artifacts:, runs:…). */
export function localPathOf(uri: string | undefined | null): string | undefined {
  if (!uri) return undefined;
  if (uri.startsWith('file:')) {
    try {
      // file:///abs and file:/abs (MLflow writes both); a host part (file://server/share) is not local here.
      return fileURLToPath(new URL(uri));
    } catch {
      return undefined;
    }
  }
  if (path.isAbsolute(uri)) return uri;
  return undefined;
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await fs.promises.stat(p)).isDirectory();
  } catch {
    return false;
  }
}

export interface LocateOptions {
  /** Folders the recorded path's tail is looked for under: the store folder first. */
  bases: readonly string[];
  /** A path segment the tail must keep (the run id, the logged model id): a shorter tail could be another run's folder. */
  mustKeep?: string;
  /** Conventional places tried last (`<mlruns>/<exp>/<run>/artifacts`). */
  fallbacks?: readonly string[];
}

/**
 * The folder on this machine for a recorded artifact location: the recorded folder when it exists, else its tail
 * under a base folder (longest first), else a fallback; undefined when none exists (a run that logged no
 * artifacts has no folder).
 */
export async function locateArtifactFolder(recorded: string | undefined | null, opts: LocateOptions): Promise<string | undefined> {
  const local = localPathOf(recorded);
  if (local && (await isDir(local))) return local;
  if (local) {
    const segments = local.split(/[\\/]+/).filter((s) => s !== '');
    for (let i = 0; i < segments.length; i++) {
      const tail = segments.slice(i);
      if (opts.mustKeep && !tail.includes(opts.mustKeep)) break;
      if (tail.some((s) => s === '..' || s === '.')) continue;
      for (const base of opts.bases) {
        const candidate = path.join(base, ...tail);
        if (await isDir(candidate)) return candidate;
      }
    }
  }
  for (const f of opts.fallbacks ?? []) if (await isDir(f)) return f;
  return undefined;
}

/**
 * SourceError 'not-found' for artifacts recorded in a remote store (s3://, gs://, wasbs://, hdfs:, dbfs:…), which a
 * reader of local stores cannot open; nothing for local or proxied (mlflow-artifacts:) locations.
 */
export function refuseRemote(uri: string | undefined | null, what: string): void {
  const scheme = uri && /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri)?.[1].toLowerCase();
  if (scheme && scheme !== 'file' && scheme !== 'mlflow-artifacts' && !/^[a-z]$/.test(scheme)) {
    throw new SourceError('not-found', `${what}: the artifacts are at ${uri}, which this reader of local stores cannot open`, uri);
  }
}

/** Splits a path relative to an artifact root; refuses absolute paths, `..`, backslashes and NUL. '' is the root. */
export function artifactSegments(rel: string | undefined): string[] {
  const p = rel ?? '';
  if (p.includes('\0')) throw new SourceError('invalid', 'Artifact path contains a NUL character');
  if (p.startsWith('/') || p.includes('\\') || /^[A-Za-z]:/.test(p)) throw new SourceError('invalid', `Artifact path '${p}' must be relative to the run's artifacts (no leading '/', no '\\')`);
  const segments = p.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) throw new SourceError('invalid', `Artifact path '${p}' must not contain '..'`);
  return segments;
}

function within(root: string, target: string): boolean {
  return target === root || target.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

/** The real path of `rel` under `root`, refusing what leads out of the root (symbolic links included). */
async function resolveInside(root: string, rel: string | undefined, what: string): Promise<{ real: string; stat: fs.Stats; segments: string[] }> {
  const segments = artifactSegments(rel);
  let realRoot: string;
  try {
    realRoot = await fs.promises.realpath(root);
  } catch {
    throw new SourceError('not-found', `${what}: the artifact folder ${root} does not exist`, root);
  }
  const target = path.join(root, ...segments);
  let real: string;
  try {
    real = await fs.promises.realpath(target);
  } catch {
    throw new SourceError('not-found', `${what}: no artifact '${segments.join('/')}'`, target);
  }
  if (!within(realRoot, real)) throw new SourceError('invalid', `${what}: artifact '${segments.join('/')}' leads out of the artifact folder (a symbolic link to ${real})`, target);
  return { real, stat: await fs.promises.stat(real), segments };
}

/** Entries directly under `dir` of the artifact folder `root` (undefined root: none), sorted by path. */
export async function listArtifactFolder(root: string | undefined, dir: string | undefined, what: string): Promise<SourceArtifact[]> {
  if (!root) {
    artifactSegments(dir);
    return [];
  }
  let resolved: Awaited<ReturnType<typeof resolveInside>>;
  try {
    resolved = await resolveInside(root, dir, what);
  } catch (e) {
    // An empty run has no artifact folder at all: nothing to list (as MLflow's list_artifacts).
    if (e instanceof SourceError && e.code === 'not-found' && artifactSegments(dir).length === 0) return [];
    throw e;
  }
  if (!resolved.stat.isDirectory()) throw new SourceError('invalid', `${what}: '${resolved.segments.join('/')}' is a file, not a folder`);
  const realRoot = await fs.promises.realpath(root);
  const out: SourceArtifact[] = [];
  for (const e of await fs.promises.readdir(resolved.real, { withFileTypes: true })) {
    const rel = [...resolved.segments, e.name].join('/');
    let st: fs.Stats;
    try {
      const real = await fs.promises.realpath(path.join(resolved.real, e.name));
      if (!within(realRoot, real)) continue; // a link out of the artifact folder is not the run's
      st = await fs.promises.stat(real);
    } catch {
      continue; // a dangling link
    }
    out.push(st.isDirectory() ? { path: rel, isDir: true } : { path: rel, isDir: false, size: st.size });
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The bytes of one artifact file under `root`. */
export async function readArtifactFile(root: string | undefined, rel: string, what: string): Promise<Uint8Array> {
  if (!root) {
    const segments = artifactSegments(rel);
    throw new SourceError('not-found', `${what}: no artifact '${segments.join('/')}' (the run has no artifact folder on this machine)`);
  }
  const { real, stat, segments } = await resolveInside(root, rel, what);
  if (segments.length === 0 || stat.isDirectory()) throw new SourceError('invalid', `${what}: '${segments.join('/') || '.'}' is a folder, not a file`);
  return new Uint8Array(await fs.promises.readFile(real));
}
