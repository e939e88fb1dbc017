/**
 * The tracking API over a Store: experiments, runs, params, metrics, tags, artifacts, search and best run.
 * Used by the CLI, the extension and the trainers.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { copyFileAtomic, sha256File, showPath, TEMP_PREFIX, writeFileAtomic } from '../util/atomicFs';
import { UserInputError } from '../util/errors';
import { checkArtifactPath, checkKey, checkName, printable, resolveInside } from '../store/names';
import { currentOwner } from '../store/owner';
import { IndexSnapshot, RunIndex, readMetricSeries, updateLatest } from '../store/runIndex';
import { decodeNumberMap, encodeNumberMap, Store } from '../store/store';
import { captureEnvironment } from './environment';
import { compileFilter, sortRuns } from './filter';
import { bestRunBy, Direction } from './metricDirection';
import type { ArtifactEntry, EnvironmentRecord, Experiment, MetricPoint, ParamValue, Run, RunDocument, RunStatus } from '../store/types';
import { FINISHED_STATUSES } from '../store/types';

export const DEFAULT_EXPERIMENT = 'Default';

/**
 * The run's folder went away while this process was writing it (e.g. `runs delete --force` during training). The
 * writer stops; nothing is written again, so no half-folder is recreated. The CLI prints the message, exit 1.
 */
export class RunDeletedError extends Error {
  constructor(
    readonly runId: string,
    readonly runName: string,
  ) {
    super(`run ${runId} was deleted while training; stopped`);
    this.name = 'RunDeletedError';
  }
}

export interface StartRunOptions {
  experiment?: string;
  name?: string;
  params?: Record<string, ParamValue>;
  tags?: Record<string, string>;
  notes?: string;
  environment?: Partial<EnvironmentRecord>;
  /** Folder whose git state is recorded (default: the store's parent folder). */
  cwd?: string;
  startTime?: number;
}

export interface SearchOptions {
  experiment?: string;
  filter?: string;
  orderBy?: string;
  descending?: boolean;
}

const ADJECTIVES = ['amber', 'bold', 'brisk', 'calm', 'clever', 'crisp', 'eager', 'fair', 'gentle', 'keen', 'lucid', 'merry', 'nimble', 'quiet', 'rapid', 'sharp', 'steady', 'sunny', 'swift', 'vivid'];
const NOUNS = ['otter', 'falcon', 'heron', 'lynx', 'maple', 'comet', 'quartz', 'wafer', 'photon', 'silicon', 'cedar', 'ember', 'harbor', 'meadow', 'orbit', 'pulse', 'river', 'summit', 'tide', 'vector'];

export function generateRunName(): string {
  const pick = <T>(a: T[]) => a[Math.floor(Math.random() * a.length)];
  return `${pick(ADJECTIVES)}-${pick(NOUNS)}-${Math.floor(Math.random() * 1000)}`;
}

function checkParamValue(key: string, v: unknown): ParamValue {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') {
    if (typeof v === 'string' && v.length > 6000) throw new UserInputError(`Param '${key}' value is ${v.length} characters long; the limit is 6000.`);
    return v as ParamValue;
  }
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new UserInputError(`Param '${key}' must be a finite number, got ${v}.`);
    return v;
  }
  throw new UserInputError(`Param '${key}' must be a string, number, boolean or null.`);
}

export class Tracker {
  private index: RunIndex;

  constructor(readonly store: Store) {
    this.index = new RunIndex(store);
  }

  /** Open the store at `root`, creating it when asked. */
  static open(root: string, options: { create?: boolean } = {}): Tracker {
    return new Tracker(Store.open(root, options));
  }

  // ------------------------------------------------------------ experiments

  createExperiment(name: string, init?: Partial<Omit<Experiment, 'id' | 'name'>>): Experiment {
    return this.store.ensureExperiment(name, init);
  }

  listExperiments(): Experiment[] {
    return this.store.listExperiments().experiments;
  }

  getExperimentByName(name: string): Experiment | undefined {
    const id = Store.experimentId(name.trim().normalize('NFC')); // as checkName stores it
    return this.listExperiments().find((e) => e.id === id);
  }

  // ------------------------------------------------------------ runs

  startRun(opts: StartRunOptions = {}): ActiveRun {
    const exp = this.store.ensureExperiment(opts.experiment ?? DEFAULT_EXPERIMENT);
    const name = opts.name === undefined ? generateRunName() : checkName('Run name', opts.name);
    const params: Record<string, ParamValue> = {};
    for (const [k, v] of Object.entries(opts.params ?? {})) params[checkKey('Param', k)] = checkParamValue(k, v);
    const tags: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.tags ?? {})) tags[checkKey('Tag', k)] = String(v);
    const cwd = opts.cwd ?? path.dirname(this.store.root);
    const doc: RunDocument = {
      format: 1,
      id: Store.newRunId(),
      experimentId: exp.id,
      name,
      status: 'running',
      startTime: opts.startTime ?? Date.now(),
      endTime: null,
      params,
      tags,
      notes: opts.notes ?? '',
      environment: captureEnvironment(cwd, opts.environment),
      artifacts: [],
      owner: currentOwner(),
    };
    try {
      this.store.createRunFolder(doc);
    } catch (e) {
      // Nothing half-made: Store.createRunFolder builds the run in runs/.tmp-<pid>-<id> and renames it into place;
      // when that fails (a full disk, ...) the temporary folder is removed here (the name is Store's convention).
      try {
        fs.rmSync(path.join(this.store.runsDir, `${TEMP_PREFIX}${process.pid}-${doc.id}`), { recursive: true, force: true });
      } catch {
        /* the original error matters more */
      }
      throw e;
    }
    return new ActiveRun(this.store, doc, exp);
  }

  /** Re-attach to an existing run (e.g. a command trainer logging into a run created by the extension). */
  attach(runId: string): ActiveRun {
    const id = this.store.resolveRunId(runId);
    const doc = this.store.readRunDocument(id);
    const exp = this.listExperiments().find((e) => e.id === doc.experimentId) ?? { id: doc.experimentId, name: doc.experimentId, createdAt: doc.startTime };
    const active = new ActiveRun(this.store, doc, exp);
    if (doc.status === 'running' || !doc.metricsSummary) active.replay(readMetricSeries(this.store, id).points);
    return active;
  }

  /** Everything in the store (incremental: unchanged files are not read again). */
  snapshot(): IndexSnapshot {
    return this.index.refresh();
  }

  getRun(idOrPrefix: string): Run {
    const id = this.store.resolveRunId(idOrPrefix);
    const snap = this.snapshot();
    const run = snap.runs.find((r) => r.id === id);
    if (!run) {
      const problem = snap.problems.find((p) => p.runId === id);
      throw new UserInputError(problem ? `Run ${id} cannot be read: ${problem.file}: ${problem.message}` : `No run with id ${id}.`);
    }
    return run;
  }

  metricHistory(runId: string): MetricPoint[] {
    return readMetricSeries(this.store, this.store.resolveRunId(runId)).points;
  }

  searchRuns(opts: SearchOptions = {}): Run[] {
    const matches = compileFilter(opts.filter); // parse first: a bad filter fails before any I/O
    let runs = this.snapshot().runs;
    if (opts.experiment !== undefined) {
      const id = Store.experimentId(checkName('Experiment name', opts.experiment));
      if (!this.listExperiments().some((e) => e.id === id)) throw new UserInputError(`No experiment named '${printable(opts.experiment)}'.`);
      runs = runs.filter((r) => r.experimentId === id);
    }
    return sortRuns(runs.filter(matches), opts.orderBy, opts.descending ?? false);
  }

  bestRun(metric: string, direction: Direction, opts: Omit<SearchOptions, 'orderBy' | 'descending'> = {}): Run | undefined {
    checkKey('Metric', metric);
    return bestRunBy(this.searchRuns(opts), metric, direction);
  }

  deleteRun(idOrPrefix: string, options: { force?: boolean } = {}): string {
    const id = this.store.resolveRunId(idOrPrefix);
    if (!options.force) {
      const run = this.snapshot().runs.find((r) => r.id === id);
      if (run && run.effectiveStatus === 'running') throw new UserInputError(`Run ${id} is still running; stop it before deleting it.`);
    }
    this.store.moveToTrash(id);
    return id;
  }

  restoreRun(idOrPrefix: string): string {
    const id = this.store.resolveRunId(idOrPrefix, 'trash');
    this.store.restoreFromTrash(id);
    return id;
  }

  purgeRun(idOrPrefix: string): string {
    const id = this.store.resolveRunId(idOrPrefix, 'trash');
    this.store.purgeFromTrash(id);
    return id;
  }

  listTrash(): { id: string; name: string; experimentId: string; startTime: number; problem?: string }[] {
    return this.store.listTrashIds().map((id) => {
      try {
        const d = this.store.readTrashedRunDocument(id);
        return { id, name: d.name, experimentId: d.experimentId, startTime: d.startTime };
      } catch (e) {
        return { id, name: id, experimentId: '', startTime: 0, problem: (e as Error).message };
      }
    });
  }

  artifactPath(runId: string, artifact: string): string {
    const id = this.store.resolveRunId(runId);
    return resolveInside(this.store.artifactsDir(id), checkArtifactPath(artifact));
  }
}

/** A run being written by this process. */
export class ActiveRun {
  private latest = new Map<string, { value: number; step: number; timestamp: number }>();
  private count = 0;
  private gone = false;

  constructor(
    private readonly store: Store,
    private doc: RunDocument,
    readonly experiment: Experiment,
  ) {
    if (doc.metricsSummary) {
      for (const [k, v] of Object.entries(decodeNumberMap(doc.metricsSummary))) this.latest.set(k, { value: v, step: -Infinity, timestamp: 0 });
      this.count = doc.metricsCount ?? 0;
    }
  }

  get id(): string {
    return this.doc.id;
  }

  /** Rebuild the latest values from an existing metrics log (when re-attaching to a run). */
  replay(points: MetricPoint[]): void {
    for (const p of points) updateLatest(this.latest, p);
    this.count = points.length;
  }
  get name(): string {
    return this.doc.name;
  }
  get status(): RunStatus {
    return this.doc.status;
  }
  get document(): Readonly<RunDocument> {
    return this.doc;
  }
  get folder(): string {
    return this.store.runDir(this.doc.id);
  }
  latestMetrics(): Record<string, number> {
    return Object.fromEntries([...this.latest].map(([k, v]) => [k, v.value]));
  }

  /** False once the run's folder is gone (deleted or moved to the trash by someone else). */
  folderExists(): boolean {
    if (this.gone) return false;
    if (!fs.existsSync(this.folder)) this.gone = true;
    return !this.gone;
  }

  /** True when the run's folder went away under this writer (every later write throws RunDeletedError). */
  get deleted(): boolean {
    return this.gone;
  }

  /**
   * Every write into the run's folder goes through here: once the folder is gone, a RunDeletedError (never a raw
   * ENOENT), and no write is tried again.
   */
  private write<T>(fn: () => T): T {
    if (this.gone) throw new RunDeletedError(this.doc.id, this.doc.name);
    try {
      return fn();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException)?.code;
      if ((code === 'ENOENT' || code === 'ENOTDIR') && !this.folderExists()) throw new RunDeletedError(this.doc.id, this.doc.name);
      throw e;
    }
  }

  /** Create `dir` (inside the run's folder) one level at a time, so a vanished run folder is never recreated. */
  private mkdirInRun(dir: string): void {
    const rel = path.relative(this.folder, dir);
    let cur = this.folder;
    for (const part of rel.split(path.sep).filter(Boolean)) {
      cur = path.join(cur, part);
      try {
        fs.mkdirSync(cur);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
    }
  }

  private save(): void {
    this.write(() => this.store.writeRunDocument(this.doc));
  }

  logParams(params: Record<string, unknown>): void {
    for (const [k, v] of Object.entries(params)) this.doc.params[checkKey('Param', k)] = checkParamValue(k, v);
    this.save();
  }

  logParam(key: string, value: unknown): void {
    this.logParams({ [key]: value });
  }

  setTags(tags: Record<string, string>): void {
    for (const [k, v] of Object.entries(tags)) this.doc.tags[checkKey('Tag', k)] = String(v);
    this.save();
  }

  setTag(key: string, value: string): void {
    this.setTags({ [key]: value });
  }

  setNotes(notes: string): void {
    this.doc.notes = notes;
    this.save();
  }

  setEnvironment(extra: Partial<EnvironmentRecord>): void {
    this.doc.environment = { ...this.doc.environment, ...extra, libraries: { ...this.doc.environment.libraries, ...extra.libraries } };
    this.save();
  }

  logMetric(key: string, value: number, step = 0, timestamp = Date.now()): void {
    this.logMetrics({ [key]: value }, step, timestamp);
  }

  logMetrics(values: Record<string, number>, step = 0, timestamp = Date.now()): void {
    if (!Number.isInteger(step)) throw new UserInputError(`Metric step must be an integer, got ${step}.`);
    const points: MetricPoint[] = Object.entries(values).map(([k, v]) => {
      checkKey('Metric', k);
      if (typeof v !== 'number') throw new UserInputError(`Metric '${k}' must be a number.`);
      return { key: k, value: v, step, timestamp };
    });
    this.write(() => this.store.appendMetricPoints(this.doc.id, points));
    for (const p of points) updateLatest(this.latest, p);
    this.count += points.length;
    if (this.doc.status !== 'running') this.writeSummary(); // logging into a finished run keeps its summary true
  }

  private writeSummary(): void {
    this.doc.metricsSummary = encodeNumberMap(this.latestMetrics());
    this.doc.metricsCount = this.count;
    this.save();
  }

  /** Copy a file into the run's artifacts (atomically) and record its size and SHA-256. */
  logArtifactFile(source: string, name?: string): ArtifactEntry {
    const st = checkArtifactSource(source);
    const rel = checkArtifactPath(name ?? path.basename(source));
    const target = resolveInside(this.store.artifactsDir(this.doc.id), rel);
    const sha = this.write(() => {
      this.mkdirInRun(path.dirname(target));
      copyFileAtomic(source, target);
      return sha256File(target);
    });
    return this.recordArtifact({ path: rel, kind: 'file', size: st.size, sha256: sha, loggedAt: Date.now() });
  }

  /** Store a JSON value as an artifact (name gets a .json extension when it has none). */
  logArtifactJson(name: string, value: unknown): ArtifactEntry {
    let rel = checkArtifactPath(name);
    if (!/\.json$/i.test(rel)) rel += '.json';
    return this.logArtifactBytes(rel, JSON.stringify(value, null, 1) + '\n', 'json');
  }

  logArtifactBytes(name: string, data: string | Uint8Array, kind: 'file' | 'json' = 'file'): ArtifactEntry {
    const rel = checkArtifactPath(name);
    const target = resolveInside(this.store.artifactsDir(this.doc.id), rel);
    const sha = this.write(() => {
      this.mkdirInRun(path.dirname(target));
      writeFileAtomic(target, data);
      return sha256File(target);
    });
    const size = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
    return this.recordArtifact({ path: rel, kind, size, sha256: sha, loggedAt: Date.now() });
  }

  private recordArtifact(entry: ArtifactEntry): ArtifactEntry {
    this.doc.artifacts = this.doc.artifacts.filter((a) => a.path !== entry.path);
    this.doc.artifacts.push(entry);
    this.save();
    return entry;
  }

  artifactFile(name: string): string {
    return resolveInside(this.store.artifactsDir(this.doc.id), checkArtifactPath(name));
  }

  /** Finish the run: status, end time and the metrics summary in one atomic write. */
  end(status: Exclude<RunStatus, 'running'> = 'completed', endTime = Date.now()): void {
    if (!FINISHED_STATUSES.includes(status)) throw new UserInputError(`Cannot end a run with status '${status}'.`);
    this.doc.status = status;
    this.doc.endTime = endTime;
    this.doc.metricsSummary = encodeNumberMap(this.latestMetrics());
    this.doc.metricsCount = this.count;
    this.save();
    this.store.flush();
  }
}

/**
 * A file to copy into a run must exist and be a regular file: checked (with the path in the message, exit 2 in the
 * CLI) before anything is written. Returns its stats.
 */
export function checkArtifactSource(source: string): fs.Stats {
  let st: fs.Stats;
  try {
    st = fs.statSync(source);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new UserInputError(`Artifact ${showPath(source)} does not exist.`);
    throw e;
  }
  if (!st.isFile()) throw new UserInputError(`Artifact ${showPath(source)} is not a regular file.`);
  return st;
}
