/**
 * A persistent, columnar index of a workspace store, for stores of 100,000 runs and more (issue 15).
 *
 * The run folders stay the source of truth; this is a cache that is never trusted blindly:
 *  - `index/snapshot.bin`: the index's columns (one typed array per metric, dictionary-coded params and tags, start
 *    times, statuses) and each run's file stamps (inode, size, mtime of run.json; of metrics.jsonl where it matters),
 *    written atomically with a checksum. Any reader may write it; the last one wins, and any version is valid.
 *  - `index/journal.jsonl`: writers append `{r: runId, t}` *before* they change a run folder (Store.noteRunChange).
 *
 * `open()` loads the snapshot (an unreadable, damaged or foreign one is reported and ignored: the index is rebuilt
 * from the folders) and then `validate()` compares every run's stamps with the folders (one readdir and one stat per
 * run; only runs whose stamps differ are read again). `refresh()` is the cheap path while the store is open: it reads
 * the journal's new lines and re-checks the runs named by lines of the last JOURNAL_WINDOW_MS (so a writer killed
 * between its journal line and its change, or a change that lands after a refresh, is still seen), the running runs
 * (their metrics logs grow; their owners may die) and any ids the caller passes (file-watcher events). A journal that
 * was replaced or truncated makes the next refresh a full validation.
 *
 * Queries (newest-first pages, sort by any field, the best run, the filter language over all runs) run over the
 * columns; the few runs a page shows are read from their folders at that moment (200 small reads).
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RunIndex, statKey } from '../store/runIndex';
import type { Store } from '../store/store';
import type { Experiment, ParamValue, Run, RunStatus, StoreProblem } from '../store/types';
import { writeFileAtomic } from '../util/atomicFs';
import { parseDecimal } from '../util/numbers';
import { evaluate, type Expr, type FieldKind, type FilterableRun, parseFilter, parseOrderKey } from './filter';
import { metricDirection, preferredMetric, type Direction } from './metricDirection';

/** Journal lines this recent (by their writer's clock) name runs that are re-checked at every refresh. */
export const JOURNAL_WINDOW_MS = 30_000;

/** How far a check of every run folder is; `rebuilding`: the index started empty (none yet, or unusable). */
export type IndexProgress = (p: { done: number; total: number; rebuilding: boolean }) => void;
/** A check of every folder says how far it is once it has taken this long, then this often (env: for tests). */
const progressAfterMs = () => Number(process.env.MLOPS_INDEX_PROGRESS_AFTER_MS ?? 1000);
const progressEveryMs = () => Number(process.env.MLOPS_INDEX_PROGRESS_EVERY_MS ?? 500);
/**
 * A journal bigger than this is compacted when an index is saved (Store.compactJournal): 4 MiB is about 13,000 run
 * changes. `MLOPS_JOURNAL_COMPACT_BYTES` sets it (the crash tests make it small so compaction runs among their kills).
 */
export function journalCompactBytes(): number {
  const v = Number(process.env.MLOPS_JOURNAL_COMPACT_BYTES);
  return Number.isFinite(v) && v > 0 ? v : 4 * 1024 * 1024;
}
const SNAPSHOT_MAGIC = 'MLOPSIX1';
const SNAPSHOT_FORMAT = 1;
const STATUSES: RunStatus[] = ['running', 'completed', 'failed', 'cancelled'];

interface DictColumn {
  codes: Int32Array;
  values: ParamValue[];
  index: Map<string, number>;
}

interface MetricColumn {
  values: Float64Array;
  has: Uint8Array;
}

export interface IndexExperiment extends Experiment {
  /** Runs of this experiment in the index. */
  runCount: number;
  /** The newest run's start time (0 without runs). */
  latestStart: number;
}

export interface IndexSummary {
  experiments: IndexExperiment[];
  runCount: number;
  problems: StoreProblem[];
  /** Runs shown as running (few): their durations change, so the caller refreshes while there are any. */
  runningCount: number;
  /** Bumped whenever what the index holds changed. */
  version: number;
}

export interface IndexPageQuery {
  experimentId?: string;
  filter?: string;
  /** An order key as the filter language names fields (`metrics.rmse`, `start_time`); default newest first. */
  orderBy?: string;
  descending?: boolean;
  offset?: number;
  limit?: number;
}

export interface IndexPage {
  runs: Run[];
  /** Runs matching the query (all of them, not only this page). */
  total: number;
}

export interface OpenReport {
  /** 'snapshot': loaded from index/snapshot.bin; 'rebuilt': read from the run folders. */
  from: 'snapshot' | 'rebuilt';
  /** Why the snapshot was not used (missing, damaged, another format), when it was not. */
  reason?: string;
}

export interface ValidateReport {
  /** Runs read again because their files changed since the index saw them (or were added). */
  reread: number;
  /** Runs the index held that are no longer in runs/. */
  removed: number;
}

function tryStat(p: string): fs.Stats | undefined {
  return fs.statSync(p, { throwIfNoEntry: false });
}

function grow<T extends Float64Array | Int32Array | Uint8Array | Uint32Array>(a: T, cap: number, fill?: number): T {
  const b = new (a.constructor as new (n: number) => T)(cap);
  b.set(a);
  if (fill !== undefined) b.fill(fill, a.length);
  return b;
}

function dictKey(v: ParamValue): string {
  return typeof v === 'string' ? `s${v}` : JSON.stringify(v);
}

export class StoreIndex {
  private readonly runIndex: RunIndex;
  // ---- rows (a row is a slot; removed runs leave a free slot)
  private cap = 0;
  private n = 0;
  private ids: string[] = [];
  private names: string[] = [];
  private runStat: string[] = [];
  private metricsStat: string[] = [];
  private alive = new Uint8Array(0);
  private exp = new Int32Array(0);
  /** effective status code (index into STATUSES) */
  private status = new Uint8Array(0);
  /** bit 1: the document says running (re-checked at every refresh); bit 2: interrupted; bit 4: metrics come from the log */
  private flags = new Uint8Array(0);
  private start = new Float64Array(0);
  private end = new Float64Array(0);
  private duration = new Float64Array(0);
  private metrics = new Map<string, MetricColumn>();
  private params = new Map<string, DictColumn>();
  private tags = new Map<string, DictColumn>();
  private rowOf = new Map<string, number>();
  private free: number[] = [];
  // ---- experiments
  private expIds: string[] = [];
  private expIndex = new Map<string, number>();
  private experimentDocs: Experiment[] = [];
  private experimentProblems: StoreProblem[] = [];
  // ---- problems
  private badRuns = new Map<string, { runStat: string; problems: StoreProblem[] }>();
  private rowProblems = new Map<string, StoreProblem[]>();
  private strays: StoreProblem[] = [];
  // ---- journal
  private journalIno = -1;
  private journalOffset = 0;
  private journalCarry = '';
  private recent = new Map<string, number>();
  private needsValidation = true;
  private version = 0;
  private dirtySinceSave = true;

  constructor(readonly store: Store) {
    this.runIndex = new RunIndex(store);
  }

  get snapshotFile(): string {
    return path.join(this.store.indexDir, 'snapshot.bin');
  }

  get size(): number {
    return this.rowOf.size;
  }

  get changedSinceSave(): boolean {
    return this.dirtySinceSave;
  }

  // ================================================================ open, validate, refresh

  /**
   * Load the snapshot when there is a usable one (else start empty: validate() then reads every run), then validate
   * against the folders. `log` hears why a snapshot was not used and how many runs were stale.
   */
  open(log: (message: string) => void = () => undefined, options: { deferValidation?: boolean; progress?: IndexProgress } = {}): OpenReport & ValidateReport & { validated: boolean } {
    let report: OpenReport;
    const file = this.snapshotFile;
    if (!fs.existsSync(file)) report = { from: 'rebuilt', reason: 'no index yet' };
    else {
      try {
        this.loadSnapshot(fs.readFileSync(file));
        report = { from: 'snapshot' };
      } catch (e) {
        this.clear();
        report = { from: 'rebuilt', reason: `the index ${file} is unusable (${(e as Error).message}); rebuilding it from the run folders (the file is replaced, no run is touched)` };
        log(report.reason!);
      }
    }
    if (report.from === 'snapshot' && options.deferValidation) {
      // Answer from the snapshot now (the tree is drawn); the next refresh() compares it with every run folder.
      this.loadExperiments();
      this.needsValidation = true;
      this.staleLog = log;
      return { ...report, reread: 0, removed: 0, validated: false };
    }
    const v = this.validate(options.progress);
    if (report.from === 'snapshot' && (v.reread || v.removed)) this.sayStale(v, log);
    return { ...report, ...v, validated: true };
  }

  private staleLog: ((message: string) => void) | undefined;

  private sayStale(v: ValidateReport, log: (message: string) => void): void {
    log(`The index of ${this.store.root} was stale: ${v.reread} run(s) changed or added, ${v.removed} removed since it was saved; corrected from the run folders.`);
  }

  /** False between an open with deferred validation and the refresh that validates. */
  get validated(): boolean {
    return !this.needsValidation;
  }

  /**
   * Compare every run's stamps with the folders; read again what differs. The ground truth check. `progress` hears how
   * many run folders are done, once the check has taken a second and then every half second (a first open of a
   * million runs reads a million `run.json` files: minutes from a cold disk).
   */
  validate(progress?: IndexProgress): ValidateReport {
    this.readJournal(true); // moves the offset to the end: everything before is covered by this check
    const expNames = this.loadExperiments();
    let ids: string[] = [];
    this.strays = [];
    try {
      const entries = this.store.listRunEntries();
      ids = entries.ids;
      for (const n of entries.strays) this.strays.push({ file: path.join(this.store.runsDir, n), message: 'a file where a run folder is expected (not a run); skipped' });
    } catch (e) {
      this.strays.push({ file: this.store.runsDir, message: (e as Error).message });
    }
    const now = Date.now();
    let reread = 0;
    const seen = new Set<string>();
    const fresh = this.rowOf.size === 0;
    let next = performance.now() + progressAfterMs();
    for (const [k, id] of ids.entries()) {
      seen.add(id);
      if (this.check(id, expNames, now, true)) reread++;
      if (progress && (k & 255) === 255 && performance.now() >= next) {
        progress({ done: k + 1, total: ids.length, rebuilding: fresh });
        next = performance.now() + progressEveryMs();
      }
    }
    let removed = 0;
    for (const id of [...this.rowOf.keys()]) {
      if (seen.has(id)) continue;
      this.removeRow(id);
      removed++;
    }
    for (const id of [...this.badRuns.keys()]) if (!seen.has(id)) this.badRuns.delete(id);
    this.needsValidation = false;
    if (reread || removed) this.changed();
    return { reread, removed };
  }

  /**
   * The cheap refresh: the journal's new lines, the runs named in its recent window, the running runs, `hints` (run
   * ids from file events) and the experiment documents. A replaced or truncated journal makes it a full validation.
   */
  refresh(hints: Iterable<string> = [], progress?: IndexProgress): { checked: number; changed: number; full: boolean } {
    const before = this.version;
    if (this.needsValidation || !this.readJournal(false)) {
      const deferred = this.staleLog;
      this.staleLog = undefined;
      const v = this.validate(progress);
      if (deferred && (v.reread || v.removed)) this.sayStale(v, deferred);
      return { checked: this.size, changed: v.reread + v.removed, full: true };
    }
    const expNames = this.loadExperiments();
    const now = Date.now();
    const ids = new Set<string>(hints);
    for (const [id, t] of this.recent) {
      if (now - t > JOURNAL_WINDOW_MS) this.recent.delete(id);
      else ids.add(id);
    }
    for (let i = 0; i < this.n; i++) if (this.alive[i] && this.flags[i] & 1) ids.add(this.ids[i]);
    let changed = 0;
    for (const id of ids) if (this.check(id, expNames, now, false)) changed++;
    if (this.version !== before && !changed) changed = 1;
    return { checked: ids.size, changed, full: false };
  }

  /** Re-check one run against its folder; true when the index changed. */
  private check(id: string, expNames: Map<string, string>, now: number, cheap: boolean): boolean {
    const dir = path.join(this.store.runsDir, id);
    const row = this.rowOf.get(id);
    if (cheap) {
      const rs = statKey(tryStat(path.join(dir, 'run.json')));
      if (row !== undefined && !(this.flags[row] & 1) && this.runStat[row] === rs) {
        if (!(this.flags[row] & 4) || this.metricsStat[row] === statKey(tryStat(path.join(dir, 'metrics.jsonl')))) return false;
      }
      const bad = this.badRuns.get(id);
      if (row === undefined && bad && bad.runStat === rs) return false;
    }
    if (!fs.existsSync(dir)) {
      const had = row !== undefined || this.badRuns.has(id);
      this.removeRow(id);
      this.badRuns.delete(id);
      this.runIndex.forget(id);
      return had;
    }
    const r = this.runIndex.loadRun(id, expNames, now, true);
    if (!r.run) {
      this.removeRow(id);
      this.runIndex.forget(id);
      this.badRuns.set(id, { runStat: r.runStat, problems: r.problems });
      this.changed();
      return true;
    }
    this.badRuns.delete(id);
    const running = r.run.status === 'running';
    if (!running) this.runIndex.forget(id);
    const wasSame = row !== undefined && this.sameAsRow(row, r.run, r.runStat, r.metricsStat);
    if (wasSame) return false;
    this.setRow(r.run, r.runStat, r.metricsStat);
    if (r.problems.length) this.rowProblems.set(id, r.problems);
    else this.rowProblems.delete(id);
    this.changed();
    return true;
  }

  private sameAsRow(row: number, run: Run, runStat: string, metricsStat: string): boolean {
    if (this.runStat[row] !== runStat || this.metricsStat[row] !== metricsStat) return false;
    if (STATUSES[this.status[row]] !== run.effectiveStatus) return false;
    if (run.status === 'running') this.duration[row] = run.duration; // moves with the clock; not a change
    return true;
  }

  /**
   * Read the journal's new lines into `recent`. With `skip`, only move to its end. False when the journal was replaced
   * or truncated since the last read (lines may have been lost: the caller validates).
   */
  private readJournal(skip: boolean): boolean {
    const file = this.store.journalFile;
    const st = tryStat(file);
    if (!st) {
      const lost = !skip && this.journalIno !== -1; // it was there and is gone
      this.journalIno = -1;
      this.journalOffset = 0;
      this.journalCarry = '';
      return !lost;
    }
    let replaced = false;
    if (st.ino !== this.journalIno || st.size < this.journalOffset) {
      replaced = this.journalIno !== -1;
      this.journalIno = st.ino;
      this.journalOffset = 0;
      this.journalCarry = '';
      // A journal that appeared since the last look, or one that replaced it (Store.compactJournal keeps the recent
      // lines), is read from its start: its runs are re-checked for the window even after the caller's validation,
      // which may run before a writer that announced a change has made it.
    }
    if (skip) {
      this.journalOffset = st.size;
      this.journalCarry = '';
      return true;
    }
    if (st.size === this.journalOffset) return !replaced;
    const fd = fs.openSync(file, 'r');
    try {
      const buf = Buffer.allocUnsafe(st.size - this.journalOffset);
      let got = 0;
      while (got < buf.length) {
        const k = fs.readSync(fd, buf, got, buf.length - got, this.journalOffset + got);
        if (k === 0) break;
        got += k;
      }
      this.journalOffset += got;
      const text = this.journalCarry + buf.toString('utf8', 0, got);
      const last = text.lastIndexOf('\n');
      this.journalCarry = text.slice(last + 1); // a torn (or still being written) last line waits for its end
      const now = Date.now();
      for (const line of (last >= 0 ? text.slice(0, last) : '').split('\n')) {
        if (!line) continue;
        try {
          const o = JSON.parse(line) as { r?: unknown; t?: unknown };
          if (typeof o.r === 'string') this.recent.set(o.r.toLowerCase(), Math.max(now, typeof o.t === 'number' ? o.t : now));
        } catch {
          /* a damaged line names nothing: the recent runs and the stamps still hold */
        }
      }
    } finally {
      fs.closeSync(fd);
    }
    return !replaced;
  }

  private loadExperiments(): Map<string, string> {
    const { experiments, problems } = this.store.listExperiments();
    const sig = JSON.stringify(experiments) + JSON.stringify(problems);
    if (sig !== JSON.stringify(this.experimentDocs) + JSON.stringify(this.experimentProblems)) {
      this.experimentDocs = experiments;
      this.experimentProblems = problems;
      this.changed();
    }
    return new Map(experiments.map((e) => [e.id, e.name]));
  }

  private changed(): void {
    this.version++;
    this.dirtySinceSave = true;
  }

  // ================================================================ rows

  private clear(): void {
    this.cap = 0;
    this.n = 0;
    this.ids = [];
    this.names = [];
    this.runStat = [];
    this.metricsStat = [];
    this.alive = new Uint8Array(0);
    this.exp = new Int32Array(0);
    this.status = new Uint8Array(0);
    this.flags = new Uint8Array(0);
    this.start = new Float64Array(0);
    this.end = new Float64Array(0);
    this.duration = new Float64Array(0);
    this.metrics.clear();
    this.params.clear();
    this.tags.clear();
    this.rowOf.clear();
    this.free = [];
    this.expIds = [];
    this.expIndex.clear();
    this.badRuns.clear();
    this.rowProblems.clear();
    this.changed();
  }

  private ensureCapacity(want: number): void {
    if (want <= this.cap) return;
    const cap = Math.max(1024, want, this.cap * 2);
    this.alive = grow(this.alive, cap);
    this.exp = grow(this.exp, cap);
    this.status = grow(this.status, cap);
    this.flags = grow(this.flags, cap);
    this.start = grow(this.start, cap);
    this.end = grow(this.end, cap);
    this.duration = grow(this.duration, cap);
    for (const c of this.metrics.values()) {
      c.values = grow(c.values, cap);
      c.has = grow(c.has, cap);
    }
    for (const c of [...this.params.values(), ...this.tags.values()]) c.codes = grow(c.codes, cap, -1);
    this.cap = cap;
  }

  private expCode(id: string): number {
    let i = this.expIndex.get(id);
    if (i === undefined) {
      i = this.expIds.length;
      this.expIds.push(id);
      this.expIndex.set(id, i);
    }
    return i;
  }

  private metricColumn(key: string): MetricColumn {
    let c = this.metrics.get(key);
    if (!c) {
      c = { values: new Float64Array(this.cap), has: new Uint8Array(this.cap) };
      this.metrics.set(key, c);
    }
    return c;
  }

  private dictColumn(map: Map<string, DictColumn>, key: string): DictColumn {
    let c = map.get(key);
    if (!c) {
      c = { codes: new Int32Array(this.cap).fill(-1), values: [], index: new Map() };
      map.set(key, c);
    }
    return c;
  }

  private static code(c: DictColumn, v: ParamValue): number {
    const k = dictKey(v);
    let i = c.index.get(k);
    if (i === undefined) {
      i = c.values.length;
      c.values.push(v);
      c.index.set(k, i);
    }
    return i;
  }

  private setRow(run: Run, runStat: string, metricsStat: string): void {
    let i = this.rowOf.get(run.id);
    if (i === undefined) {
      i = this.free.pop() ?? this.n++;
      this.ensureCapacity(this.n);
      this.rowOf.set(run.id, i);
    }
    this.alive[i] = 1;
    this.ids[i] = run.id;
    this.names[i] = run.name;
    this.runStat[i] = runStat;
    this.metricsStat[i] = metricsStat;
    this.exp[i] = this.expCode(run.experimentId);
    this.status[i] = Math.max(0, STATUSES.indexOf(run.effectiveStatus));
    this.flags[i] = (run.status === 'running' ? 1 : 0) | (run.interrupted ? 2 : 0) | (run.status === 'running' || !run.metricsSummary ? 4 : 0);
    this.start[i] = run.startTime;
    this.end[i] = run.endTime ?? NaN;
    this.duration[i] = run.duration;
    for (const c of this.metrics.values()) c.has[i] = 0;
    for (const [k, v] of Object.entries(run.metrics)) {
      const c = this.metricColumn(k);
      c.values[i] = v;
      c.has[i] = 1;
    }
    for (const c of this.params.values()) c.codes[i] = -1;
    for (const [k, v] of Object.entries(run.params)) {
      const c = this.dictColumn(this.params, k);
      c.codes[i] = StoreIndex.code(c, v);
    }
    for (const c of this.tags.values()) c.codes[i] = -1;
    for (const [k, v] of Object.entries(run.tags)) {
      const c = this.dictColumn(this.tags, k);
      c.codes[i] = StoreIndex.code(c, v);
    }
  }

  private removeRow(id: string): void {
    const i = this.rowOf.get(id);
    this.rowProblems.delete(id);
    if (i === undefined) return;
    this.rowOf.delete(id);
    this.alive[i] = 0;
    this.free.push(i);
    this.changed();
  }

  // ================================================================ snapshot

  /** Write index/snapshot.bin atomically (any reader may; the last one wins, every version is a valid cache). */
  save(): void {
    // Never bring back a store that was deleted (or moved) while the index was open.
    if (!fs.existsSync(path.join(this.store.root, 'store.json'))) return;
    try {
      fs.mkdirSync(this.store.indexDir); // not recursive: the store folder itself is never made here
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    writeFileAtomic(this.snapshotFile, this.encodeSnapshot(), { durable: false });
    this.dirtySinceSave = false;
    // The journal only has to cover the readers' recheck window: keep it small (every reader then validates once).
    this.store.compactJournal(journalCompactBytes(), 2 * JOURNAL_WINDOW_MS);
  }

  private encodeSnapshot(): Buffer {
    const rows: number[] = [];
    for (let i = 0; i < this.n; i++) if (this.alive[i]) rows.push(i);
    const m = rows.length;
    const blobs: Buffer[] = [];
    const layout: [string, string, number, number][] = [];
    let offset = 0;
    const add = (name: string, type: string, src: Float64Array | Int32Array | Uint8Array) => {
      const gathered = new (src.constructor as new (n: number) => typeof src)(m);
      for (let j = 0; j < m; j++) gathered[j] = src[rows[j]];
      const b = Buffer.from(gathered.buffer, gathered.byteOffset, gathered.byteLength);
      const pad = (8 - (b.length % 8)) % 8;
      layout.push([name, type, offset, m]);
      blobs.push(b, Buffer.alloc(pad));
      offset += b.length + pad;
    };
    add('exp', 'i32', this.exp);
    add('status', 'u8', this.status);
    add('flags', 'u8', this.flags);
    add('start', 'f64', this.start);
    add('end', 'f64', this.end);
    add('duration', 'f64', this.duration);
    const metricKeys = [...this.metrics.keys()];
    metricKeys.forEach((k, j) => {
      add(`m${j}`, 'f64', this.metrics.get(k)!.values);
      add(`h${j}`, 'u8', this.metrics.get(k)!.has);
    });
    const dict = (map: Map<string, DictColumn>, prefix: string) =>
      [...map.entries()].map(([k, c], j) => {
        add(`${prefix}${j}`, 'i32', c.codes);
        return { key: k, values: c.values };
      });
    const params = dict(this.params, 'p');
    const tags = dict(this.tags, 't');
    const body = Buffer.concat(blobs);
    const header = {
      format: SNAPSHOT_FORMAT,
      root: this.store.root,
      savedAt: Date.now(),
      rows: m,
      expIds: this.expIds,
      ids: rows.map((i) => this.ids[i]),
      names: rows.map((i) => this.names[i]),
      runStat: rows.map((i) => this.runStat[i]),
      metricsStat: rows.map((i) => this.metricsStat[i]),
      metricKeys,
      params,
      tags,
      badRuns: [...this.badRuns.entries()],
      rowProblems: [...this.rowProblems.entries()],
      layout,
      bodyLength: body.length,
      bodySum: crypto.createHash('sha1').update(body).digest('hex'),
    };
    const h = Buffer.from(JSON.stringify(header), 'utf8');
    const pre = Buffer.alloc(16);
    pre.write(SNAPSHOT_MAGIC, 0, 'latin1');
    pre.writeUInt32LE(h.length, 8);
    const pad = (8 - ((16 + h.length) % 8)) % 8;
    return Buffer.concat([pre, h, Buffer.alloc(pad), body]);
  }

  private loadSnapshot(buf: Buffer): void {
    if (buf.length < 16 || buf.toString('latin1', 0, 8) !== SNAPSHOT_MAGIC) throw new Error('not an MLOps index');
    const hl = buf.readUInt32LE(8);
    if (16 + hl > buf.length) throw new Error('truncated header');
    const header = JSON.parse(buf.toString('utf8', 16, 16 + hl)) as {
      format: number; rows: number; expIds: string[]; ids: string[]; names: string[]; runStat: string[]; metricsStat: string[];
      metricKeys: string[]; params: { key: string; values: ParamValue[] }[]; tags: { key: string; values: ParamValue[] }[];
      badRuns: [string, { runStat: string; problems: StoreProblem[] }][]; rowProblems: [string, StoreProblem[]][];
      layout: [string, string, number, number][]; bodyLength: number; bodySum: string;
    };
    if (header.format !== SNAPSHOT_FORMAT) throw new Error(`index format ${header.format}, expected ${SNAPSHOT_FORMAT}`);
    const bodyStart = 16 + hl + ((8 - ((16 + hl) % 8)) % 8);
    const body = buf.subarray(bodyStart);
    if (body.length !== header.bodyLength) throw new Error(`truncated: ${body.length} of ${header.bodyLength} bytes`);
    if (crypto.createHash('sha1').update(body).digest('hex') !== header.bodySum) throw new Error('checksum mismatch');
    const m = header.rows;
    for (const a of [header.ids, header.names, header.runStat, header.metricsStat]) if (!Array.isArray(a) || a.length !== m) throw new Error('row count mismatch');
    const blobs = new Map(header.layout.map(([name, type, off, len]) => [name, { type, off, len }]));
    const read = <T extends Float64Array | Int32Array | Uint8Array>(name: string, Ctor: new (n: number) => T): T => {
      const b = blobs.get(name);
      if (!b || b.len !== m) throw new Error(`column ${name} missing`);
      const out = new Ctor(Math.max(m, 1024));
      const bytes = (out as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT * m;
      if (b.off + bytes > body.length) throw new Error(`column ${name} out of bounds`);
      new Uint8Array(out.buffer, 0, bytes).set(body.subarray(b.off, b.off + bytes));
      return out;
    };
    this.clear();
    this.cap = Math.max(m, 1024);
    this.n = m;
    this.ids = header.ids;
    this.names = header.names;
    this.runStat = header.runStat;
    this.metricsStat = header.metricsStat;
    this.alive = new Uint8Array(this.cap).fill(1, 0, m);
    this.exp = read('exp', Int32Array);
    this.status = read('status', Uint8Array);
    this.flags = read('flags', Uint8Array);
    this.start = read('start', Float64Array);
    this.end = read('end', Float64Array);
    this.duration = read('duration', Float64Array);
    header.metricKeys.forEach((k, j) => this.metrics.set(k, { values: read(`m${j}`, Float64Array), has: read(`h${j}`, Uint8Array) }));
    const dicts = (list: { key: string; values: ParamValue[] }[], map: Map<string, DictColumn>, prefix: string) =>
      list.forEach((d, j) => {
        const codes = read(`${prefix}${j}`, Int32Array);
        codes.fill(-1, m);
        map.set(d.key, { codes, values: d.values, index: new Map(d.values.map((v, x) => [dictKey(v), x])) });
      });
    dicts(header.params, this.params, 'p');
    dicts(header.tags, this.tags, 't');
    this.expIds = header.expIds;
    this.expIds.forEach((id, i) => this.expIndex.set(id, i));
    for (let i = 0; i < m; i++) {
      if (this.rowOf.has(this.ids[i])) throw new Error(`run ${this.ids[i]} twice`);
      if (this.exp[i] < 0 || this.exp[i] >= this.expIds.length || this.status[i] >= STATUSES.length) throw new Error('a column holds an impossible value');
      this.rowOf.set(this.ids[i], i);
    }
    this.badRuns = new Map(header.badRuns);
    this.rowProblems = new Map(header.rowProblems);
    this.dirtySinceSave = false;
  }

  // ================================================================ queries

  summary(): IndexSummary {
    const counts = new Map<number, { n: number; latest: number }>();
    let running = 0;
    for (let i = 0; i < this.n; i++) {
      if (!this.alive[i]) continue;
      const c = counts.get(this.exp[i]) ?? { n: 0, latest: 0 };
      c.n++;
      if (this.start[i] > c.latest) c.latest = this.start[i];
      counts.set(this.exp[i], c);
      if (this.status[i] === 0) running++;
    }
    const problems: StoreProblem[] = [...this.experimentProblems, ...this.strays];
    for (const b of this.badRuns.values()) problems.push(...b.problems);
    for (const p of this.rowProblems.values()) problems.push(...p);
    const experiments: IndexExperiment[] = this.experimentDocs.map((e) => {
      const c = counts.get(this.expIndex.get(e.id) ?? -1);
      return { ...e, runCount: c?.n ?? 0, latestStart: c?.latest ?? 0 };
    });
    const known = new Set(this.experimentDocs.map((e) => e.id));
    // Runs whose experiment document is missing still show, under an experiment named by its id (as RunIndex does).
    for (const [code, c] of counts) {
      const id = this.expIds[code];
      if (known.has(id)) continue;
      const first = this.firstRowOf(code);
      experiments.push({ id, name: id, createdAt: this.start[first], runCount: c.n, latestStart: c.latest });
      problems.push({ file: this.store.experimentFile(id), message: `experiment document missing (run ${this.ids[first]} refers to it)`, runId: this.ids[first] });
    }
    return { experiments, runCount: this.size, problems, runningCount: running, version: this.version };
  }

  private firstRowOf(code: number): number {
    for (let i = 0; i < this.n; i++) if (this.alive[i] && this.exp[i] === code) return i;
    return -1;
  }

  /** Rows of an experiment (all experiments when undefined), optionally filtered: a list of row numbers. */
  private select(experimentId: string | undefined, filter: string | undefined): Uint32Array {
    const code = experimentId === undefined ? -1 : (this.expIndex.get(experimentId) ?? -2);
    if (code === -2) return new Uint32Array(0);
    const mask = filter ? this.filterMask(filter) : undefined;
    const out = new Uint32Array(this.size);
    let k = 0;
    for (let i = 0; i < this.n; i++) {
      if (!this.alive[i] || (code >= 0 && this.exp[i] !== code) || (mask && !mask[i])) continue;
      out[k++] = i;
    }
    return out.subarray(0, k);
  }

  /** The run ids of the query's page, in order, and how many runs match (without reading a run folder). */
  pageIds(q: IndexPageQuery = {}): { ids: string[]; total: number } {
    const offset = Math.max(0, q.offset ?? 0);
    const limit = Math.max(0, q.limit ?? 200);
    const rows = this.select(q.experimentId, q.filter);
    const ordered = this.orderRows(rows, q.orderBy, q.orderBy ? !!q.descending : true, offset + limit);
    const ids: string[] = [];
    for (let j = offset; j < Math.min(ordered.length, offset + limit); j++) ids.push(this.ids[ordered[j]]);
    return { ids, total: rows.length };
  }

  /** Ties: newest first, then by id (as sortRunsBy). */
  private tie = (a: number, b: number): number => this.start[b] - this.start[a] || (this.ids[a] < this.ids[b] ? -1 : this.ids[a] > this.ids[b] ? 1 : 0);

  /**
   * At least the first `need` rows in the order of `orderBy` (default: newest first), without sorting all of them when
   * the key is numeric: rows without a value and NaNs are set apart, and within the numbers only the rows up to the
   * need-th value (found by sorting the bare values, which needs no comparison function) are sorted in full.
   */
  private orderRows(rows: Uint32Array, orderBy: string | undefined, descending: boolean, need: number): Uint32Array {
    const f = orderBy ? parseOrderKey(orderBy) : { kind: 'attribute' as FieldKind, key: 'start_time' };
    const numeric = this.numericColumn(f);
    if (!numeric) {
      const all = rows.slice();
      this.sortRows(all, f, descending);
      return all;
    }
    const { values, has } = numeric;
    const nums = new Uint32Array(rows.length);
    const nans: number[] = [];
    const missing: number[] = [];
    let k = 0;
    for (const i of rows) {
      if (has && !has[i]) missing.push(i);
      else if (Number.isNaN(values[i])) nans.push(i);
      else nums[k++] = i;
    }
    const dir = descending ? -1 : 1;
    const groups: [Uint32Array, Float64Array, number, (a: number, b: number) => number][] = [];
    const byValue = (a: number, b: number) => (values[a] - values[b]) * dir || this.tie(a, b);
    const numbers: (typeof groups)[number] = [nums.subarray(0, k), values, dir, byValue];
    const nanGroup: (typeof groups)[number] = [Uint32Array.from(nans), this.start, -1, this.tie];
    // sortRunsBy: NaN after the numbers ascending, before them descending; rows without the value always last.
    if (descending) groups.push(nanGroup, numbers);
    else groups.push(numbers, nanGroup);
    groups.push([Uint32Array.from(missing), this.start, -1, this.tie]);
    const out: number[] = [];
    for (const [g, key, d, cmp] of groups) {
      if (out.length >= need) break;
      for (const i of topK(g, key, d, need - out.length, cmp)) out.push(i);
    }
    return Uint32Array.from(out);
  }

  /** A page of runs, read from their folders now (full Run objects for the views). */
  page(q: IndexPageQuery = {}): IndexPage {
    const { ids, total } = this.pageIds(q);
    return { runs: this.readRuns(ids), total };
  }

  /** Full runs by id, read from their folders (runs that vanished or are unreadable are left out). */
  readRuns(ids: readonly string[]): Run[] {
    const expNames = new Map(this.experimentDocs.map((e) => [e.id, e.name]));
    const now = Date.now();
    const out: Run[] = [];
    for (const id of ids) {
      const cached = this.flags[this.rowOf.get(id) ?? -1] & 1; // running runs stay cached for incremental reads
      const r = this.runIndex.loadRun(id, expNames, now, !!cached);
      if (r.run) out.push(r.run);
    }
    return out;
  }

  /** Sort rows in place by an order key (missing values last whatever the direction; ties newest first, then id). */
  private sortRows(rows: Uint32Array, f: { kind: FieldKind; key: string }, descending: boolean): void {
    const dir = descending ? -1 : 1;
    const start = this.start;
    const ids = this.ids;
    const tie = (a: number, b: number) => start[b] - start[a] || (ids[a] < ids[b] ? -1 : ids[a] > ids[b] ? 1 : 0);
    const numeric = this.numericColumn(f);
    if (numeric) {
      const { values, has } = numeric;
      rows.sort((a, b) => {
        const ha = has ? has[a] : 1;
        const hb = has ? has[b] : 1;
        if (!ha || !hb) return ha === hb ? tie(a, b) : ha ? -1 : 1;
        let c = values[a] - values[b];
        if (Number.isNaN(c)) c = Number.isNaN(values[a]) ? (Number.isNaN(values[b]) ? 0 : 1) : -1;
        return c * dir || tie(a, b);
      });
      return;
    }
    // Text-like fields: a value per row once, then the same comparison as sortRunsBy's.
    const vals: (string | number | undefined)[] = new Array(this.n);
    const probe = this.probe();
    for (const i of rows) vals[i] = probeValue(probe, this, i, f);
    rows.sort((a, b) => {
      const va = vals[a];
      const vb = vals[b];
      if (va === undefined || vb === undefined) return va === vb ? tie(a, b) : va === undefined ? 1 : -1;
      const na = typeof va === 'number' ? va : parseDecimal(va);
      const nb = typeof vb === 'number' ? vb : parseDecimal(vb);
      let c = na !== undefined && nb !== undefined ? na - nb : String(va).localeCompare(String(vb));
      if (Number.isNaN(c)) c = Number.isNaN(na as number) ? (Number.isNaN(nb as number) ? 0 : 1) : -1;
      return c * dir || tie(a, b);
    });
  }

  private numericColumn(f: { kind: FieldKind; key: string }): { values: Float64Array; has?: Uint8Array } | undefined {
    if (f.kind === 'metric') {
      const c = this.metrics.get(f.key);
      return c ? c : { values: this.start, has: new Uint8Array(this.n) };
    }
    if (f.kind === 'attribute' && f.key === 'start_time') return { values: this.start };
    return undefined;
  }

  /**
   * The experiment's ranking metric (declared, else conventional, else the most common key over all its runs) and
   * its best completed run — the same answer as `bestRunOfExperiment` over a full scan.
   */
  best(experimentId: string, metricOverride?: { key: string; direction: Direction }): { metric?: { key: string; direction: Direction }; bestId?: string } {
    const code = this.expIndex.get(experimentId);
    if (code === undefined) return {};
    const exp = this.experimentDocs.find((e) => e.id === experimentId);
    let metric = metricOverride ?? exp?.primaryMetric;
    if (!metric) {
      // Which keys the experiment's runs have (stopping at the first run with it): a conventional one ranks.
      const present: string[] = [];
      for (const [k, c] of this.metrics) {
        for (let i = 0; i < this.n; i++) {
          if (c.has[i] && this.alive[i] && this.exp[i] === code) {
            present.push(k);
            break;
          }
        }
      }
      const conventional = preferredMetric(present);
      if (conventional) metric = { key: conventional, direction: metricDirection(conventional) };
    }
    if (!metric) {
      const counts = new Map<string, number>();
      for (const [k, c] of this.metrics) {
        let n = 0;
        for (let i = 0; i < this.n; i++) if (c.has[i] && this.alive[i] && this.exp[i] === code) n++;
        if (n) counts.set(k, n);
      }
      if (!counts.size) return {};
      const pref = preferredMetric(counts.keys());
      const key = pref ?? [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0][0];
      metric = { key, direction: metricDirection(key) };
    }
    const col = this.metrics.get(metric.key);
    if (!col) return { metric };
    let best = -1;
    const min = metric.direction === 'min';
    for (let i = 0; i < this.n; i++) {
      if (!this.alive[i] || this.exp[i] !== code || this.status[i] !== 1 || !col.has[i]) continue;
      const v = col.values[i];
      if (!Number.isFinite(v)) continue;
      if (best < 0) { best = i; continue; }
      const b = col.values[best];
      if (min ? v < b : v > b) best = i;
      else if (v === b && this.start[i] < this.start[best]) best = i;
    }
    return { metric, bestId: best >= 0 ? this.ids[best] : undefined };
  }

  /** How many runs of each experiment match a filter (all runs, not a loaded page). Throws FilterSyntaxError. */
  filterCounts(filter: string): Map<string, number> {
    const mask = this.filterMask(filter);
    const counts = new Map<string, number>();
    for (let i = 0; i < this.n; i++) {
      if (!this.alive[i] || !mask[i]) continue;
      const id = this.expIds[this.exp[i]];
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    return counts;
  }

  /** Ids of every run matching the filter (all experiments). */
  filterIds(filter: string | undefined, experimentId?: string): string[] {
    return [...this.select(experimentId, filter)].map((i) => this.ids[i]);
  }

  /** One byte per row: 1 where the run matches. Leaves are evaluated over columns with the filter's own semantics. */
  filterMask(filter: string): Uint8Array {
    const e = parseFilter(filter);
    const mask = new Uint8Array(this.n);
    if (!e) {
      mask.set(this.alive.subarray(0, this.n));
      return mask;
    }
    const m = this.exprMask(e);
    for (let i = 0; i < this.n; i++) mask[i] = this.alive[i] & m[i];
    return mask;
  }

  private exprMask(e: Expr): Uint8Array {
    switch (e.type) {
      case 'and':
      case 'or': {
        const out = this.exprMask(e.items[0]);
        for (const x of e.items.slice(1)) {
          const m = this.exprMask(x);
          if (e.type === 'and') for (let i = 0; i < this.n; i++) out[i] &= m[i];
          else for (let i = 0; i < this.n; i++) out[i] |= m[i];
        }
        return out;
      }
      case 'not': {
        const m = this.exprMask(e.expr);
        for (let i = 0; i < this.n; i++) m[i] ^= 1;
        return m;
      }
      default:
        return this.leafMask(e);
    }
  }

  private leafMask(e: Exclude<Expr, { type: 'and' | 'or' | 'not' }>): Uint8Array {
    const out = new Uint8Array(this.n);
    const f = e.field;
    if (f.kind === 'metric') {
      const c = this.metrics.get(f.key);
      if (!c) return out; // a key no run has: false (as for a run without it)
      if (e.type === 'cmp') {
        const rn = typeof e.value === 'number' ? e.value : parseDecimal(e.value);
        const { values, has } = c;
        const n = this.n;
        if (rn === undefined) {
          if (e.op === '!=') for (let i = 0; i < n; i++) out[i] = has[i];
          return out;
        }
        switch (e.op) {
          case '=': for (let i = 0; i < n; i++) out[i] = has[i] && values[i] === rn ? 1 : 0; break;
          case '!=': for (let i = 0; i < n; i++) out[i] = has[i] && values[i] !== rn ? 1 : 0; break;
          case '<': for (let i = 0; i < n; i++) out[i] = has[i] && values[i] < rn ? 1 : 0; break;
          case '<=': for (let i = 0; i < n; i++) out[i] = has[i] && values[i] <= rn ? 1 : 0; break;
          case '>': for (let i = 0; i < n; i++) out[i] = has[i] && values[i] > rn ? 1 : 0; break;
          case '>=': for (let i = 0; i < n; i++) out[i] = has[i] && values[i] >= rn ? 1 : 0; break;
        }
        return out;
      }
      const probe = emptyProbe();
      for (let i = 0; i < this.n; i++) {
        if (!c.has[i]) continue;
        probe.metrics = { [f.key]: c.values[i] };
        out[i] = evaluate(e, probe) ? 1 : 0;
      }
      return out;
    }
    if (f.kind === 'param' || f.kind === 'tag') {
      const c = (f.kind === 'param' ? this.params : this.tags).get(f.key);
      if (!c) return out;
      // Each distinct value once, with the filter's own evaluation; then a lookup per row.
      const probe = emptyProbe();
      const truth = c.values.map((v) => {
        if (f.kind === 'param') probe.params = { [f.key]: v };
        else probe.tags = { [f.key]: v as string };
        return evaluate(e, probe) ? 1 : 0;
      });
      const codes = c.codes;
      for (let i = 0; i < this.n; i++) out[i] = codes[i] >= 0 ? truth[codes[i]] : 0;
      return out;
    }
    const probe = this.probe();
    for (let i = 0; i < this.n; i++) {
      if (!this.alive[i]) continue;
      fillAttributes(probe, this, i);
      out[i] = evaluate(e, probe) ? 1 : 0;
    }
    return out;
  }

  private probe(): Probe {
    return { ...emptyProbe(), expNames: new Map(this.experimentDocs.map((e) => [e.id, e.name])) };
  }

  /** Internal columns for the attribute probe (module functions below). */
  attributeAt(i: number): { id: string; name: string; experimentId: string; status: RunStatus; start: number; end: number | null; duration: number } {
    return { id: this.ids[i], name: this.names[i], experimentId: this.expIds[this.exp[i]], status: STATUSES[this.status[i]], start: this.start[i], end: Number.isNaN(this.end[i]) ? null : this.end[i], duration: this.duration[i] };
  }

  paramAt(i: number, kind: 'param' | 'tag', key: string): ParamValue | undefined {
    const c = (kind === 'param' ? this.params : this.tags).get(key);
    return c && c.codes[i] >= 0 ? c.values[c.codes[i]] : undefined;
  }

  metricAt(i: number, key: string): number | undefined {
    const c = this.metrics.get(key);
    return c && c.has[i] ? c.values[i] : undefined;
  }

  /** The index's view of every run (for tests: compared with a full scan). */
  rowsForTest(): { id: string; name: string; experimentId: string; effectiveStatus: RunStatus; interrupted: boolean; startTime: number; metrics: Record<string, number>; params: Record<string, ParamValue>; tags: Record<string, string> }[] {
    const out = [];
    for (const [id, i] of this.rowOf) {
      const metrics: Record<string, number> = {};
      for (const [k, c] of this.metrics) if (c.has[i]) metrics[k] = c.values[i];
      const params: Record<string, ParamValue> = {};
      for (const [k, c] of this.params) if (c.codes[i] >= 0) params[k] = c.values[c.codes[i]];
      const tags: Record<string, string> = {};
      for (const [k, c] of this.tags) if (c.codes[i] >= 0) tags[k] = c.values[c.codes[i]] as string;
      out.push({ id, name: this.names[i], experimentId: this.expIds[this.exp[i]], effectiveStatus: STATUSES[this.status[i]], interrupted: !!(this.flags[i] & 2), startTime: this.start[i], metrics, params, tags });
    }
    return out.sort((a, b) => a.id.localeCompare(b.id));
  }

  /** Bytes held by the columns (typed arrays; strings and dictionaries estimated). */
  memoryEstimate(): number {
    let bytes = this.cap * (1 + 4 + 1 + 1 + 8 * 3);
    for (const c of this.metrics.values()) bytes += c.values.byteLength + c.has.byteLength;
    for (const c of [...this.params.values(), ...this.tags.values()]) bytes += c.codes.byteLength + c.values.length * 32;
    bytes += this.size * (2 * 32 + 64 + 40 + 32 * 2); // ids, names, stat keys, map entries
    return bytes;
  }
}

/**
 * The first `k` of `rows` ordered by `key` (direction `dir`: 1 ascending, -1 descending) with `cmp` deciding ties.
 * Sorting the bare keys (a typed array: no comparison function) finds the k-th key; only rows up to it are then
 * sorted with `cmp` — a page of 200 out of 100,000 rows sorts a few hundred.
 */
function topK(rows: Uint32Array, key: Float64Array, dir: number, k: number, cmp: (a: number, b: number) => number): Uint32Array {
  if (k <= 0 || !rows.length) return new Uint32Array(0);
  if (rows.length <= Math.max(2048, 4 * k)) return rows.slice().sort(cmp).subarray(0, k);
  const vals = new Float64Array(rows.length);
  for (let j = 0; j < rows.length; j++) vals[j] = key[rows[j]];
  vals.sort();
  const bound = dir > 0 ? vals[Math.min(k, vals.length) - 1] : vals[vals.length - Math.min(k, vals.length)];
  const cand: number[] = [];
  for (const i of rows) if (dir > 0 ? key[i] <= bound : key[i] >= bound) cand.push(i);
  return Uint32Array.from(cand).sort(cmp).subarray(0, k);
}

type Probe = FilterableRun & { expNames?: Map<string, string> };

function emptyProbe(): Probe {
  return { id: '', name: '', experimentName: '', effectiveStatus: 'completed', startTime: 0, endTime: null, duration: 0, params: {}, metrics: {}, tags: {} };
}

function fillAttributes(p: Probe, index: StoreIndex, i: number): void {
  const a = index.attributeAt(i);
  p.id = a.id;
  p.name = a.name;
  p.experimentName = p.expNames?.get(a.experimentId) ?? a.experimentId;
  p.effectiveStatus = a.status;
  p.startTime = a.start;
  p.endTime = a.end;
  p.duration = a.duration;
}

function probeValue(p: Probe, index: StoreIndex, i: number, f: { kind: FieldKind; key: string }): string | number | undefined {
  if (f.kind === 'metric') return index.metricAt(i, f.key);
  if (f.kind === 'param' || f.kind === 'tag') {
    const v = index.paramAt(i, f.kind, f.key);
    return v === undefined ? undefined : v === null ? 'none' : typeof v === 'boolean' ? String(v) : v;
  }
  fillAttributes(p, index, i);
  switch (f.key) {
    case 'status': return p.effectiveStatus;
    case 'name': return p.name;
    case 'run_id': return p.id;
    case 'experiment': return p.experimentName;
    case 'start_time': return p.startTime;
    case 'end_time': return p.endTime ?? undefined;
    case 'duration': return p.duration / 1000;
  }
  return undefined;
}
