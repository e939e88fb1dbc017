/**
 * An incremental, in-memory view of all runs in a store.
 *
 * `refresh()` lists runs/ and stats each run's two files; only files whose size or mtime changed are read
 * again, and a growing metrics log is read from where the last read stopped (append-only), so a refresh
 * while a run trains costs a few stats and one small read. A finished run carries its metrics summary in
 * run.json and its log is not read at all. Corrupt files become problems; every other run still loads.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CorruptFileError } from '../util/errors';
import type { Experiment, MetricPoint, Run, RunDocument, StoreProblem } from './types';
import { isOwnerAlive } from './owner';
import { decodeMetricPoint, decodeNumberMap, folderIdMismatch, parseRunDocument, readRunDocumentFile, Store } from './store';

interface Latest {
  value: number;
  step: number;
  timestamp: number;
}

interface CacheEntry {
  runStat: string;
  doc: RunDocument | undefined;
  docProblem: StoreProblem | undefined;
  metricsStat: string;
  metricsOffset: number;
  metricsCarry: string;
  metricsLine: number;
  latest: Map<string, Latest>;
  metricProblems: StoreProblem[];
  /** The derived Run, reused while nothing it depends on changed (finished runs only). */
  run: Run | undefined;
  runExperimentName: string | undefined;
}

export interface IndexSnapshot {
  experiments: Experiment[];
  runs: Run[];
  problems: StoreProblem[];
}

export function statKey(st: fs.Stats | undefined): string {
  return st ? `${st.ino}:${st.size}:${st.mtimeMs}` : '-';
}

function tryStat(p: string): fs.Stats | undefined {
  return fs.statSync(p, { throwIfNoEntry: false });
}

function readRunDocumentWithStat(file: string): { doc: RunDocument; stat: fs.Stats } {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return { doc: readRunDocumentFile(file), stat: fs.statSync(file) }; // throws the descriptive error
  }
  try {
    const stat = fs.fstatSync(fd);
    const buf = Buffer.allocUnsafe(stat.size);
    let got = 0;
    while (got < stat.size) {
      const n = fs.readSync(fd, buf, got, stat.size - got, got);
      if (n === 0) break;
      got += n;
    }
    return { doc: parseRunDocument(file, buf.toString('utf8', 0, got)), stat };
  } finally {
    fs.closeSync(fd);
  }
}

export function updateLatest(latest: Map<string, Latest>, p: MetricPoint): void {
  const cur = latest.get(p.key);
  if (!cur || p.step > cur.step || (p.step === cur.step && p.timestamp >= cur.timestamp)) {
    latest.set(p.key, { value: p.value, step: p.step, timestamp: p.timestamp });
  }
}

export class RunIndex {
  private cache = new Map<string, CacheEntry>();

  constructor(readonly store: Store) {}

  refresh(): IndexSnapshot {
    const { experiments, problems } = this.store.listExperiments();
    const expNames = new Map(experiments.map((e) => [e.id, e.name]));
    let ids: string[] = [];
    try {
      const entries = this.store.listRunEntries();
      ids = entries.ids;
      for (const n of entries.strays) problems.push({ file: path.join(this.store.runsDir, n), message: 'a file where a run folder is expected (not a run); skipped' });
    } catch (e) {
      problems.push({ file: this.store.runsDir, message: (e as Error).message });
    }
    const seen = new Set<string>();
    const runs: Run[] = [];
    const now = Date.now();
    for (const id of ids) {
      seen.add(id);
      const entry = this.load(id);
      if (entry.docProblem) {
        problems.push(entry.docProblem);
        continue;
      }
      const doc = entry.doc!;
      if (doc.id !== id) {
        problems.push({ file: path.join(this.store.runsDir, id, 'run.json'), message: folderIdMismatch(id, doc.id), runId: id });
        continue;
      }
      problems.push(...entry.metricProblems);
      const expName = expNames.get(doc.experimentId) ?? doc.experimentId;
      if (!entry.run || doc.status === 'running' || entry.runExperimentName !== expName) {
        entry.run = toRun(doc, entry, expNames, now);
        entry.runExperimentName = expName;
      }
      runs.push(entry.run);
    }
    for (const id of this.cache.keys()) if (!seen.has(id)) this.cache.delete(id);
    // Runs whose experiment document is missing still show, under an experiment named by its id.
    for (const r of runs) {
      if (!expNames.has(r.experimentId)) {
        expNames.set(r.experimentId, r.experimentId);
        experiments.push({ id: r.experimentId, name: r.experimentId, createdAt: r.startTime });
        problems.push({ file: this.store.experimentFile(r.experimentId), message: `experiment document missing (run ${r.id} refers to it)`, runId: r.id });
      }
    }
    return { experiments, runs, problems };
  }

  /**
   * Read (or re-check) one run now, outside a full refresh: its Run, or the problems that keep it out, and the stamps of
   * its files (what a persistent index compares to notice a change). `keep: false` drops the cached entry afterwards
   * (a finished run needs nothing cached; a running one keeps its metrics offset for the next incremental read).
   */
  loadRun(id: string, expNames: ReadonlyMap<string, string>, now = Date.now(), keep = true): { run?: Run; problems: StoreProblem[]; runStat: string; metricsStat: string } {
    const entry = this.load(id);
    const out = { runStat: entry.runStat, metricsStat: entry.metricsStat };
    if (!keep) this.cache.delete(id);
    if (entry.docProblem) return { ...out, problems: [entry.docProblem] };
    const doc = entry.doc!;
    if (doc.id !== id) return { ...out, problems: [{ file: path.join(this.store.runsDir, id, 'run.json'), message: folderIdMismatch(id, doc.id), runId: id }] };
    const run = toRun(doc, entry, expNames as Map<string, string>, now);
    return { ...out, run, problems: [...entry.metricProblems] };
  }

  /** Drop a run's cached entry (it was removed, or it need not be kept). */
  forget(id: string): void {
    this.cache.delete(id);
  }

  private load(id: string): CacheEntry {
    const runFile = path.join(this.store.runsDir, id, 'run.json');
    const metricsFile = path.join(this.store.runsDir, id, 'metrics.jsonl');
    let entry = this.cache.get(id);
    // A run seen for the first time is read straight away (its stat comes from the open descriptor);
    // a known run is only stat'ed, and read again when it changed.
    const runStat = entry ? statKey(tryStat(runFile)) : '';
    if (!entry || entry.runStat !== runStat) {
      const fresh: CacheEntry = entry ?? {
        runStat,
        doc: undefined,
        docProblem: undefined,
        metricsStat: '',
        metricsOffset: 0,
        metricsCarry: '',
        metricsLine: 0,
        latest: new Map(),
        metricProblems: [],
        run: undefined,
        runExperimentName: undefined,
      };
      fresh.run = undefined;
      try {
        const read = readRunDocumentWithStat(runFile);
        fresh.runStat = statKey(read.stat);
        fresh.doc = read.doc;
        fresh.docProblem = undefined;
      } catch (e) {
        fresh.runStat = statKey(tryStat(runFile));
        fresh.doc = undefined;
        fresh.docProblem = { file: runFile, message: e instanceof CorruptFileError ? e.detail : (e as Error).message, runId: id };
      }
      entry = fresh;
      this.cache.set(id, entry);
    }
    const doc = entry.doc;
    if (doc && (doc.status === 'running' || !doc.metricsSummary)) {
      const st = tryStat(metricsFile);
      const key = statKey(st);
      if (key !== entry.metricsStat) {
        if (!st || st.size < entry.metricsOffset || (entry.metricsStat !== '' && entry.metricsStat.split(':')[0] !== String(st.ino))) {
          // Replaced or truncated (not an append): read it again from the start.
          entry.metricsOffset = 0;
          entry.metricsCarry = '';
          entry.metricsLine = 0;
          entry.latest = new Map();
          entry.metricProblems = [];
        }
        if (st) readMetricsTail(metricsFile, entry, id);
        entry.metricsStat = key;
        entry.run = undefined;
      }
    }
    return entry;
  }
}

function readMetricsTail(file: string, entry: CacheEntry, runId: string): void {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    entry.metricProblems = [{ file, message: (e as Error).message, runId }];
    return;
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size <= entry.metricsOffset) return;
    const buf = Buffer.allocUnsafe(size - entry.metricsOffset);
    let got = 0;
    while (got < buf.length) {
      const n = fs.readSync(fd, buf, got, buf.length - got, entry.metricsOffset + got);
      if (n === 0) break;
      got += n;
    }
    entry.metricsOffset += got;
    const text = entry.metricsCarry + buf.subarray(0, got).toString('utf8');
    const last = text.lastIndexOf('\n');
    const complete = last >= 0 ? text.slice(0, last) : '';
    entry.metricsCarry = last >= 0 ? text.slice(last + 1) : text;
    if (!complete && last < 0) return;
    for (const line of complete.split('\n')) {
      entry.metricsLine++;
      if (!line.trim()) continue;
      try {
        updateLatest(entry.latest, decodeMetricPoint(line));
      } catch (e) {
        if (entry.metricProblems.length < 20) {
          entry.metricProblems.push({ file, message: `line ${entry.metricsLine}: ${(e as Error).message}; the line is skipped`, runId });
        }
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** A `running` run owned by another host with no metric or document change for this long is shown as interrupted. */
export const STALE_FOREIGN_RUN_MS = 24 * 60 * 60 * 1000;

function toRun(doc: RunDocument, entry: CacheEntry, expNames: Map<string, string>, now: number): Run {
  let metrics: Record<string, number>;
  if (doc.status !== 'running' && doc.metricsSummary) {
    metrics = decodeNumberMap(doc.metricsSummary);
  } else {
    metrics = {};
    for (const [k, v] of entry.latest) metrics[k] = v.value;
  }
  let effectiveStatus = doc.status;
  let interrupted = false;
  // An interrupted run's last sign of life is its last logged metric (or its start, or its document's change).
  const docMtime = Number(entry.runStat.split(':')[2]);
  const lastActivity = Math.max(doc.startTime, ...[...entry.latest.values()].map((l) => l.timestamp));
  if (doc.status === 'running') {
    const alive = isOwnerAlive(doc.owner);
    // The owner on another host cannot be asked (a store restored from a CI cache, a shared folder): a run of
    // another host with no sign of life for STALE_FOREIGN_RUN_MS is shown as interrupted, not running forever.
    if (alive === false || (alive === undefined && now - Math.max(lastActivity, Number.isFinite(docMtime) ? docMtime : 0) > STALE_FOREIGN_RUN_MS)) {
      effectiveStatus = 'failed';
      interrupted = true;
    }
  }
  const end = doc.endTime ?? (interrupted ? lastActivity : now);
  return {
    ...doc,
    experimentName: expNames.get(doc.experimentId) ?? doc.experimentId,
    metrics,
    effectiveStatus,
    interrupted,
    duration: Math.max(0, end - doc.startTime),
    problems: [...entry.metricProblems],
  };
}

/** Read every metric point of a run (for charts and the run view). Skips corrupt lines, reporting them. */
export function readMetricSeries(store: Store, runId: string): { points: MetricPoint[]; problems: StoreProblem[] } {
  const file = store.metricsFile(runId);
  const points: MetricPoint[] = [];
  const problems: StoreProblem[] = [];
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') problems.push({ file, message: (e as Error).message, runId });
    return { points, problems };
  }
  const last = text.lastIndexOf('\n');
  const lines = last >= 0 ? text.slice(0, last).split('\n') : [];
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    try {
      points.push(decodeMetricPoint(line));
    } catch (e) {
      problems.push({ file, message: `line ${i + 1}: ${(e as Error).message}`, runId });
    }
  });
  return { points, problems };
}
