/**
 * Watching the files of a glob in a workspace folder, the one way monitoring (new batch files, mlops.yaml edits) and
 * pipelines (data_update triggers, *.pipeline.yaml files) do it: VS Code's file events, an optional poll that compares
 * the matching files' sizes and modification times (file events can be late or missing: network drives, some remote
 * hosts, folders created after the watcher), and a debounce, so that a file written in several chunks, or a burst of
 * files, settles once. Dispose it to stop everything (events, poll, pending timers).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { globFiles, globToRegExp } from '../../core/util/glob';

export interface GlobWatchOptions {
  /** Quiet time (ms) after a change before it settles; a function is read at each change (a setting's current value). */
  debounceMs: number | (() => number);
  /** Interval (ms) of the poll that backs up the file events; no poll when absent. */
  pollMs?: number;
  /** 'file': each file settles on its own, one call per file; 'burst' (the default): one call per burst of changes. */
  settle?: 'file' | 'burst';
  /** Which changed paths count (relative to the folder, with '/'); default: the ones the glob matches. */
  matches?: (rel: string) => boolean;
}

/** `size:mtime` of each file the glob matches under `dir`; a file that goes while it is listed is left out. */
export function globStats(dir: string, glob: string): Map<string, string> {
  const stats = new Map<string, string>();
  for (const f of globFiles(dir, glob)) {
    const st = fs.statSync(f, { throwIfNoEntry: false });
    if (st) stats.set(f, `${st.size}:${st.mtimeMs}`);
  }
  return stats;
}

/** One string for the state of the glob's files: it changes when a file appears or goes, or changes size or time. */
export function globSignature(dir: string, glob: string): string {
  try {
    return [...globStats(dir, glob)].map(([f, s]) => `${f}:${s}`).sort().join('|');
  } catch {
    return '';
  }
}

export class GlobWatcher implements vscode.Disposable {
  private readonly dir: string;
  private readonly matches: (rel: string) => boolean;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly disposables: vscode.Disposable[] = [];
  /** What the poll saw last (file → size:mtime), so that it reports only what changed since. */
  private seen = new Map<string, string>();

  /** Watch `glob` (relative to `folder`); `onSettled` gets a changed file once its changes (or its burst's) settle. */
  constructor(
    folder: vscode.WorkspaceFolder,
    private readonly glob: string,
    private readonly options: GlobWatchOptions,
    private readonly onSettled: (file: string) => void,
  ) {
    this.dir = folder.uri.fsPath;
    const re = globToRegExp(glob);
    this.matches = options.matches ?? ((rel) => re.test(rel));
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, glob));
    const onEvent = (u: vscode.Uri) => this.onEvent(u.fsPath);
    this.disposables.push(watcher, watcher.onDidCreate(onEvent), watcher.onDidChange(onEvent), watcher.onDidDelete(onEvent));
    if (options.pollMs !== undefined) {
      this.seen = this.statsOrUndefined() ?? new Map();
      const poll = setInterval(() => this.poll(), options.pollMs);
      this.disposables.push({ dispose: () => clearInterval(poll) });
    }
  }

  /** Count `file` as changed now, as a file event would (for files found otherwise, e.g. batches that came while nothing watched). */
  changed(file: string): void {
    const key = this.options.settle === 'file' ? file : '';
    clearTimeout(this.timers.get(key));
    const debounce = this.options.debounceMs;
    this.timers.set(key, setTimeout(() => {
      this.timers.delete(key);
      this.onSettled(file);
    }, typeof debounce === 'function' ? debounce() : debounce));
  }

  private onEvent(file: string): void {
    if (!this.matches(path.relative(this.dir, file).split(path.sep).join('/'))) return;
    if (this.options.pollMs !== undefined) {
      // What the event reported, the poll need not report again.
      const st = fs.statSync(file, { throwIfNoEntry: false });
      if (st) this.seen.set(file, `${st.size}:${st.mtimeMs}`);
      else this.seen.delete(file);
    }
    this.changed(file);
  }

  private poll(): void {
    const now = this.statsOrUndefined();
    if (!now) return;
    const before = this.seen;
    this.seen = now;
    for (const [f, s] of now) if (before.get(f) !== s) this.changed(f);
    for (const f of before.keys()) if (!now.has(f)) this.changed(f);
  }

  /** The glob's files now; undefined when the folder cannot be listed (the next poll tries again). */
  private statsOrUndefined(): Map<string, string> | undefined {
    try {
      return globStats(this.dir, this.glob);
    } catch {
      return undefined;
    }
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const d of this.disposables) d.dispose();
  }
}
