/** Shared CLI plumbing: locating the store, output, and exit codes. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Store, STORE_DIRNAME } from '../core/store/store';
import { describeKind, showPath } from '../core/util/atomicFs';
import { Tracker } from '../core/tracking/tracker';
import { UserInputError } from '../core/util/errors';
import { isMlrunsFolder, isSqliteFile, locateSource, redactUrl, sourceUri, type SourceLocation } from '../core/sources/locate';
import { openSource } from '../core/sources/open';
import { credentialsFromEnv, SourceError, type RunSource } from '../core/sources/types';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_BAD_INPUT = 2;

export interface GlobalOptions {
  store?: string;
  /** No progress bars or stage logs on stderr. */
  quiet?: boolean;
  /** Errors print their stack. */
  debug?: boolean;
}

/** Where runs and models come from: the workspace store (read and written) or an MLflow source (read-only). */
export type StoreChoice =
  | { kind: 'workspace'; root: string }
  | { kind: 'mlflow'; location: MlflowLocation; uri: string; origin: string };

export type MlflowLocation = Exclude<SourceLocation, { kind: 'workspace' }>;

/**
 * Which store: --store, then $MLOPS_STORE, then `.mlops` found from the current folder upward, then
 * $MLFLOW_TRACKING_URI. A spec names an MLflow source when it is an `http(s)://`, `sqlite:` or `file:` URI that
 * locateSource reads as one, an `mlflow.db` (an SQLite file) or an `mlruns` folder (experiment folders with meta.yaml,
 * and no store.json of ours); any other path is the workspace store's folder, as before (write commands create it).
 */
export function resolveStore(opts: GlobalOptions, forWrite: boolean): StoreChoice {
  if (opts.store) return classifySpec(opts.store, `--store ${opts.store}`);
  if (process.env.MLOPS_STORE) return classifySpec(process.env.MLOPS_STORE, `MLOPS_STORE=${process.env.MLOPS_STORE}`);
  const found = Store.findUp(process.cwd());
  if (found) return { kind: 'workspace', root: found };
  const tracking = process.env.MLFLOW_TRACKING_URI?.trim();
  if (tracking) {
    const origin = `MLFLOW_TRACKING_URI=${redactUrl(tracking)}`;
    try {
      return fromLocation(locateSource(tracking), origin);
    } catch (e) {
      if (e instanceof SourceError) throw new SourceError(e.code, `${origin}: ${e.message}`, e.where, e.status);
      throw e;
    }
  }
  if (forWrite) return { kind: 'workspace', root: path.resolve(STORE_DIRNAME) };
  throw new UserInputError(`No MLOps store found in ${process.cwd()} or any parent folder. Use --store PATH, set MLOPS_STORE, or run 'mlops init'.`);
}

function fromLocation(loc: SourceLocation, origin: string): StoreChoice {
  if (loc.kind === 'workspace') return { kind: 'workspace', root: loc.root };
  return { kind: 'mlflow', location: loc, uri: sourceUri(loc), origin };
}

function classifySpec(spec: string, origin: string): StoreChoice {
  // A URI (http(s):, sqlite:, file: or any scheme://): locateSource says what it names, or why not. Anything else
  // (`a:b`, a Windows drive letter) is a path, as before.
  if (/^(https?|sqlite|file):/i.test(spec.trim()) || /^[a-z][a-z0-9+.-]*:\/\//i.test(spec.trim())) return fromLocation(locateSource(spec), origin);
  const p = path.resolve(spec);
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch {
    return { kind: 'workspace', root: p }; // not there yet: a write command creates the workspace store
  }
  if (st.isFile() && isSqliteFile(p)) return fromLocation({ kind: 'mlflow-sqlite', file: p }, origin);
  if (st.isDirectory() && !fs.existsSync(path.join(p, 'store.json')) && !fs.existsSync(path.join(p, STORE_DIRNAME, 'store.json')) && isMlrunsFolder(p)) {
    return fromLocation({ kind: 'mlflow-file', dir: p }, origin);
  }
  return { kind: 'workspace', root: p };
}

/** The workspace store's folder (see resolveStore); an MLflow source here is refused with one line (exit 2). */
export function resolveStorePath(opts: GlobalOptions, forWrite: boolean): string {
  const choice = resolveStore(opts, forWrite);
  if (choice.kind === 'mlflow') throw new SourceError('invalid', `${choice.uri} is an MLflow ${mlflowKindWord(choice)} source: this command works on a workspace store (.mlops) only.`, choice.uri);
  return choice.root;
}

/** 'mlruns', 'SQLite' or 'tracking server': the kind of MLflow source in messages. */
export function mlflowKindWord(choice: { location: MlflowLocation }): string {
  return choice.location.kind === 'mlflow-file' ? 'mlruns' : choice.location.kind === 'mlflow-sqlite' ? 'SQLite' : 'tracking server';
}

/** The one line for a write on an MLflow source (exit 2), before any work. */
export function readOnlyError(choice: Extract<StoreChoice, { kind: 'mlflow' }>, command: string, hint = ''): SourceError {
  return new SourceError('read-only', `${choice.uri} is an MLflow ${mlflowKindWord(choice)} source: read-only in this version (\`mlops ${command}\` writes to the store${hint}).`, choice.uri);
}

/** MLflow's MLFLOW_HTTP_REQUEST_TIMEOUT (seconds) as a per-request timeout; the source's default (15 s) otherwise. */
export function requestTimeoutMs(): number | undefined {
  const s = Number(process.env.MLFLOW_HTTP_REQUEST_TIMEOUT);
  return Number.isFinite(s) && s > 0 ? s * 1000 : undefined;
}

/** Opens an MLflow source with the MLflow client's credentials from the environment (never printed). */
export function openMlflowSource(choice: Extract<StoreChoice, { kind: 'mlflow' }>): RunSource {
  const timeoutMs = requestTimeoutMs();
  return openSource(choice.location, { credentials: credentialsFromEnv(process.env), ...(timeoutMs ? { timeoutMs } : {}) });
}

/** Runs `fn` on the opened source and closes it (files, sockets, WASM memory) whatever happens. */
export async function withMlflowSource<T>(choice: Extract<StoreChoice, { kind: 'mlflow' }>, fn: (source: RunSource) => Promise<T>): Promise<T> {
  const source = openMlflowSource(choice);
  try {
    return await fn(source);
  } finally {
    await source.close();
  }
}

/** How the store was named, for messages: `--store X`, `MLOPS_STORE=X` or `Store`. */
function storeLabel(opts: GlobalOptions): string {
  if (opts.store) return `--store ${opts.store}`;
  if (process.env.MLOPS_STORE) return `MLOPS_STORE=${process.env.MLOPS_STORE}`;
  return 'Store';
}

/** The path's stats, or undefined when nothing is there (missing, or under a file); other errors are thrown. */
function statIfPresent(p: string): fs.Stats | undefined {
  try {
    return fs.statSync(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw e;
    return undefined;
  }
}

/**
 * A store folder must be a folder, or creatable: a file, a device or a path under a file is bad input (exit 2) with
 * one line naming it, found before anything is written.
 */
export function checkStoreLocation(root: string, label = 'Store'): void {
  const shown = showPath(label);
  const st = statIfPresent(root);
  if (st) {
    if (!st.isDirectory()) throw new UserInputError(`${shown}: ${showPath(root)} is ${describeKind(st)}, not a folder.`);
    return;
  }
  for (let dir = path.dirname(root); ; dir = path.dirname(dir)) {
    const up = statIfPresent(dir);
    if (up) {
      if (!up.isDirectory()) throw new UserInputError(`${shown}: cannot be created because ${showPath(dir)} is ${describeKind(up)}, not a folder.`);
      return;
    }
    if (path.dirname(dir) === dir) return;
  }
}

export function openTracker(opts: GlobalOptions, forWrite = false): Tracker {
  const root = resolveStorePath(opts, forWrite);
  checkStoreLocation(root, storeLabel(opts));
  return Tracker.open(root, { create: forWrite });
}

export const out = {
  line(s = ''): void {
    process.stdout.write(s + '\n');
  },
  json(v: unknown): void {
    process.stdout.write(JSON.stringify(v, null, 2) + '\n');
  },
};

/** Parse repeated KEY=VALUE options. */
export function parseAssignments(list: string[] | undefined, what: string): [string, string][] {
  return (list ?? []).map((s) => {
    const i = s.indexOf('=');
    if (i <= 0) throw new UserInputError(`${what} '${s}' must look like KEY=VALUE.`);
    return [s.slice(0, i), s.slice(i + 1)];
  });
}

/** A param value from the command line: numbers, booleans and none/null are typed, the rest stays text. */
export function parseParamValue(s: string): string | number | boolean | null {
  const t = s.trim();
  if (/^(none|null)$/i.test(t)) return null;
  if (/^(true|false)$/i.test(t)) return t.toLowerCase() === 'true';
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
  return s;
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
