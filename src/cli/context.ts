/** Shared CLI plumbing: locating the store, output, and exit codes. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Store, STORE_DIRNAME } from '../core/store/store';
import { describeKind, showPath } from '../core/util/atomicFs';
import { Tracker } from '../core/tracking/tracker';
import { UserInputError } from '../core/util/errors';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_BAD_INPUT = 2;

export interface GlobalOptions {
  store?: string;
}

/** Which store: --store, then $MLOPS_STORE, then `.mlops` found from the current folder upward. */
export function resolveStorePath(opts: GlobalOptions, forWrite: boolean): string {
  if (opts.store) return path.resolve(opts.store);
  if (process.env.MLOPS_STORE) return path.resolve(process.env.MLOPS_STORE);
  const found = Store.findUp(process.cwd());
  if (found) return found;
  if (forWrite) return path.resolve(STORE_DIRNAME);
  throw new UserInputError(`No MLOps store found in ${process.cwd()} or any parent folder. Use --store PATH, set MLOPS_STORE, or run 'mlops init'.`);
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
