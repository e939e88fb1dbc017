/**
 * MLflow's file store (`mlruns/`), read-only, as a `RunSource`. Layouts of MLflow 1.x to 3.x:
 *
 *   <exp_id>/meta.yaml, <exp_id>/tags/<key>             experiments (deleted ones are moved to .trash/<exp_id>/)
 *   <exp_id>/<run_id>/meta.yaml                          a run: status as the protobuf enum number, lifecycle_stage
 *   <exp_id>/<run_id>/{params,tags}/<key>                one file per key, the value as logged ('/' in a key: sub-folders)
 *   <exp_id>/<run_id>/metrics/<key>                      lines `timestamp value step` (1.x: `timestamp value`)
 *   <exp_id>/<run_id>/artifacts/, outputs/, inputs/      artifacts; 3.x links to logged models and datasets
 *   <exp_id>/models/m-<id>/meta.yaml, artifacts/         3.x logged models (not runs)
 *   models/<name>/meta.yaml, aliases/<alias>, tags/      the model registry
 *   models/<name>/version-<n>/meta.yaml, tags/<key>      versions (current_stage Deleted_Internal: deleted)
 *
 * A damaged file (a meta.yaml that does not parse, a metric line that is not `timestamp value step`) is reported as a
 * problem {file, message} and the rest loads. Reads are cached per run by the files' sizes and modification times,
 * so a refresh of an unchanged store reads directory listings and stats, not files.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { MetricPoint, StoreProblem } from '../../store/types';
import { errorMessage } from '../../util/errors';
import { artifactSegments, listArtifactFolder, locateArtifactFolder, readArtifactFile, refuseRemote } from '../localArtifacts';
import { mapMlflowStatus } from '../mlflowCommon';
import { buildMlflowRun, parsePythonFloat, withPresent } from '../mlflowRun';
import { selectRuns } from '../runQuery';
import { parseMetaYaml, type Yaml } from './metaYaml';
import { SourceError, type RunPage, type RunQuery, type RunSource, type SourceArtifact, type SourceExperiment, type SourceModel, type SourceModelVersion, type SourceRun } from '../types';

const TRASH = '.trash';
const REGISTRY = 'models';
/** Folders inside an experiment folder that are not runs. */
const NOT_RUNS = new Set(['tags', 'models', 'datasets', 'traces', 'artifacts']);
const DELETED_STAGE = 'Deleted_Internal';

export interface MlflowFileSourceOptions {
  /**
   * A scan younger than this (ms) answers without looking at the disk again (default 1000). `invalidate()` forgets it
   * (for a file watcher's event). 0: every call looks.
   */
  maxAgeMs?: number;
  /**
   * How often (ms) a scan compares every file of every run (default 30000). Between those, a finished run is compared by
   * its meta.yaml and folder times only: a store of 10,000 runs rescans in a fraction of the time.
   */
  fullCheckMs?: number;
}

interface ExperimentEntry {
  experiment: SourceExperiment;
  dir: string;
}

interface RunEntry {
  run: SourceRun;
  dir: string;
}

interface Snapshot {
  experiments: Map<string, ExperimentEntry>;
  runs: Map<string, RunEntry>;
  problems: StoreProblem[];
}

interface CachedRun {
  /** Sizes and times of meta.yaml and of every param, tag and metric file. */
  signature: string;
  /** meta.yaml's size and time and the times of the params/, tags/ and metrics/ folders. */
  light: string;
  finished: boolean;
  fields: Parameters<typeof buildMlflowRun>[0];
}

function str(v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined;
  return typeof v === 'string' ? v : String(v);
}

function num(v: unknown): number | undefined {
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return Number(v);
  return undefined;
}

/** Lets other work run between chunks of synchronous reads (sync calls are 3x faster than fs.promises for small files). */
const breathe = () => new Promise<void>((resolve) => setImmediate(resolve));

function readdirOrEmpty(dir: string): fs.Dirent[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw e;
  }
}

function mtimeOf(p: string): string {
  try {
    return String(fs.statSync(p).mtimeMs);
  } catch {
    return '-';
  }
}

interface KeyFile {
  key: string;
  file: string;
  stat: fs.Stats;
}

/** The files of a params/, tags/ or metrics/ folder with their keys ('/' for sub-folders, as MLflow's os.walk). */
function keyFiles(dir: string, prefix = ''): KeyFile[] {
  const out: KeyFile[] = [];
  for (const e of readdirOrEmpty(dir)) {
    const file = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...keyFiles(file, `${prefix}${e.name}/`));
    else if (e.isFile()) {
      try {
        out.push({ key: prefix + e.name, file, stat: fs.statSync(file) });
      } catch {
        // removed meanwhile
      }
    }
  }
  return out;
}

function signatureOf(files: readonly KeyFile[]): string {
  return files.map((f) => `${f.key}:${f.stat.size}:${f.stat.mtimeMs}`).join('|');
}

function readKeyValues(files: readonly KeyFile[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of files) {
    try {
      out[f.key] = fs.readFileSync(f.file, 'utf8');
    } catch {
      // removed meanwhile
    }
  }
  return out;
}

interface ParsedMetric {
  points: MetricPoint[];
  problems: string[];
}

/** Lines `timestamp value [step]`. A torn last line (no newline yet: a write in progress) is not a problem. */
function parseMetricLines(key: string, text: string): ParsedMetric {
  const points: MetricPoint[] = [];
  const problems: string[] = [];
  const lines = text.split('\n');
  const complete = text.endsWith('\n');
  lines.forEach((line, i) => {
    const t = line.trim();
    if (t === '') return;
    const parts = t.split(/\s+/);
    const timestamp = parts[0] !== undefined && /^-?\d+$/.test(parts[0]) ? Number(parts[0]) : undefined;
    const value = parts[1] !== undefined ? parsePythonFloat(parts[1]) : undefined;
    const step = parts.length >= 3 ? (/^-?\d+$/.test(parts[2]) ? Number(parts[2]) : undefined) : 0;
    if (parts.length < 2 || timestamp === undefined || value === undefined || step === undefined) {
      if (i === lines.length - 1 && !complete) return;
      problems.push(`line ${i + 1} is not 'timestamp value step': ${JSON.stringify(t.slice(0, 80))}`);
      return;
    }
    points.push({ key, value, step, timestamp });
  });
  return { points, problems };
}

/** MLflow's latest value: the largest (step, timestamp, value). */
function latestPoint(points: readonly MetricPoint[]): MetricPoint | undefined {
  let best: MetricPoint | undefined;
  for (const p of points) {
    if (!best || p.step > best.step || (p.step === best.step && (p.timestamp > best.timestamp || (p.timestamp === best.timestamp && p.value > best.value)))) best = p;
  }
  return best;
}

/** A history ordered by step then timestamp; points logged twice with the same step, time and value count once. */
export function orderHistory(points: readonly MetricPoint[]): MetricPoint[] {
  const seen = new Set<string>();
  const unique = points.filter((p) => {
    const k = `${p.step}\u0000${p.timestamp}\u0000${Object.is(p.value, NaN) ? 'nan' : p.value}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  return unique.sort((a, b) => a.step - b.step || a.timestamp - b.timestamp);
}

export class MlflowFileSource implements RunSource {
  readonly kind = 'mlflow-file' as const;
  readonly writable = false;
  readonly uri: string;
  readonly label: string;
  readonly root: string;
  private readonly maxAgeMs: number;
  private snapshot?: Snapshot;
  private loadedAt = 0;
  private loading?: Promise<Snapshot>;
  private readonly runCache = new Map<string, CachedRun>();
  private readonly fullCheckMs: number;
  private lastFullCheck = 0;
  private fullCheckNext = false;
  /** Run folders to compare file by file at the next scan (from `invalidate(path)`). */
  private dirty = new Set<string>();

  constructor(root: string, options: MlflowFileSourceOptions = {}) {
    this.root = path.resolve(root);
    this.uri = pathToFileURL(this.root).href;
    this.label = `${path.basename(path.dirname(this.root))}/${path.basename(this.root)}`;
    this.maxAgeMs = options.maxAgeMs ?? 1000;
    this.fullCheckMs = options.fullCheckMs ?? 30_000;
  }

  /**
   * Forget the last scan: the next call looks at the disk. A file watcher passes the path that changed (any file
   * inside a run folder: that run is compared file by file); without a path every run is.
   */
  invalidate(changed?: string): void {
    this.loadedAt = 0;
    const rel = changed === undefined ? undefined : path.relative(this.root, path.resolve(changed)).split(path.sep);
    if (!rel) this.fullCheckNext = true;
    else if (rel[0] !== '..') {
      const parts = rel[0] === TRASH ? rel.slice(1) : rel;
      if (parts.length >= 2) this.dirty.add(path.join(this.root, ...(rel[0] === TRASH ? [TRASH] : []), parts[0], parts[1]));
    }
  }

  async listExperiments(options: { includeDeleted?: boolean } = {}): Promise<SourceExperiment[]> {
    const s = await this.fresh();
    return [...s.experiments.values()]
      .map((e) => e.experiment)
      .filter((e) => options.includeDeleted || e.lifecycle === 'active')
      .sort((a, b) => a.id.length - b.id.length || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)); // numeric ids in order
  }

  async searchRuns(query: RunQuery = {}): Promise<RunPage> {
    const s = await this.fresh();
    const active = new Set([...s.experiments.values()].filter((e) => e.experiment.lifecycle === 'active').map((e) => e.experiment.id));
    const page = selectRuns([...s.runs.values()].map((r) => r.run), query, active);
    return { ...page, problems: s.problems };
  }

  async getRun(runId: string): Promise<SourceRun> {
    return (await this.runEntry(runId)).run;
  }

  async metricHistory(runId: string, key: string): Promise<MetricPoint[]> {
    const { dir } = await this.runEntry(runId);
    const segments = artifactSegments(key);
    if (segments.length === 0) throw new SourceError('invalid', 'A metric key is needed');
    const file = path.join(dir, 'metrics', ...segments);
    let text: string;
    try {
      text = await fs.promises.readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new SourceError('corrupt', `${file}: ${errorMessage(e)}`, file);
    }
    return orderHistory(parseMetricLines(key, text).points);
  }

  async listArtifacts(runId: string, dir?: string): Promise<SourceArtifact[]> {
    const entry = await this.runEntry(runId);
    return listArtifactFolder(await this.runArtifactFolder(entry), dir, `Run ${runId}`);
  }

  async readArtifact(runId: string, artifactPath: string): Promise<Uint8Array> {
    const entry = await this.runEntry(runId);
    return readArtifactFile(await this.runArtifactFolder(entry), artifactPath, `Run ${runId}`);
  }

  async listModels(): Promise<SourceModel[]> {
    const dir = path.join(this.root, REGISTRY);
    const models: SourceModel[] = [];
    for (const e of readdirOrEmpty(dir)) {
      if (!e.isDirectory()) continue;
      models.push(this.readModel(path.join(dir, e.name), e.name));
    }
    return models.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async listModelVersionArtifacts(model: string, version: number, dir?: string): Promise<SourceArtifact[]> {
    return listArtifactFolder(await this.modelVersionFolder(model, version), dir, `${model} version ${version}`);
  }

  async readModelVersionArtifact(model: string, version: number, artifactPath: string): Promise<Uint8Array> {
    return readArtifactFile(await this.modelVersionFolder(model, version), artifactPath, `${model} version ${version}`);
  }

  async close(): Promise<void> {
    this.snapshot = undefined;
    this.runCache.clear();
  }

  // ------------------------------------------------------------------ scanning

  private async fresh(): Promise<Snapshot> {
    if (this.snapshot && Date.now() - this.loadedAt < this.maxAgeMs) return this.snapshot;
    if (!this.loading) {
      const started = Date.now();
      this.loading = this.scan().then(
        (s) => {
          this.snapshot = s;
          this.loadedAt = started;
          this.loading = undefined;
          return s;
        },
        (e: unknown) => {
          this.loading = undefined;
          throw e;
        },
      );
    }
    return this.loading;
  }

  /** A run as it is now: looked at again on its own when the last scan has it, else after a new scan. */
  private async runEntry(runId: string): Promise<RunEntry> {
    let s = this.snapshot ?? (await this.fresh());
    let entry = s.runs.get(runId);
    if (!entry) {
      this.invalidate();
      s = await this.fresh();
      entry = s.runs.get(runId);
    }
    if (!entry) throw new SourceError('not-found', `No run ${runId} in ${this.root}`, this.root);
    const exp = [...s.experiments.values()].find((e) => e.dir === path.dirname(entry!.dir));
    const again = exp && this.readRun(entry.dir, exp, [], true);
    if (!again) {
      this.invalidate();
      throw new SourceError('not-found', `Run ${runId} is no longer in ${this.root}`, this.root);
    }
    entry = { run: again, dir: entry.dir };
    s.runs.set(runId, entry);
    return entry;
  }

  private async scan(): Promise<Snapshot> {
    let st: fs.Stats;
    try {
      st = fs.statSync(this.root);
    } catch {
      throw new SourceError('not-found', `No MLflow file store at ${this.root} (the folder does not exist)`, this.root);
    }
    if (!st.isDirectory()) throw new SourceError('invalid', `${this.root} is not a folder (an MLflow file store is a folder such as mlruns/)`, this.root);
    const full = this.fullCheckNext || Date.now() - this.lastFullCheck >= this.fullCheckMs;
    const started = Date.now();
    this.fullCheckNext = false;
    const dirty = this.dirty;
    this.dirty = new Set();
    const problems: StoreProblem[] = [];
    const folders: { dir: string; trashed: boolean }[] = [];
    for (const e of readdirOrEmpty(this.root)) {
      if (e.isDirectory() && !e.name.startsWith('.') && e.name !== REGISTRY) folders.push({ dir: path.join(this.root, e.name), trashed: false });
    }
    for (const e of readdirOrEmpty(path.join(this.root, TRASH))) {
      if (e.isDirectory()) folders.push({ dir: path.join(this.root, TRASH, e.name), trashed: true });
    }
    const experiments = new Map<string, ExperimentEntry>();
    for (const f of folders) {
      const entry = this.readExperiment(f.dir, f.trashed, problems);
      if (!entry) continue;
      const existing = experiments.get(entry.experiment.id);
      // The same id in mlruns/ and .trash/ (restored, or deleted again): the active one is the experiment.
      if (!existing || (existing.experiment.lifecycle === 'deleted' && entry.experiment.lifecycle === 'active')) experiments.set(entry.experiment.id, entry);
    }
    const runs = new Map<string, RunEntry>();
    const seenDirs = new Set<string>();
    let sinceBreath = 0;
    for (const exp of experiments.values()) {
      for (const e of readdirOrEmpty(exp.dir)) {
        if (!e.isDirectory() || NOT_RUNS.has(e.name) || e.name.startsWith('.')) continue;
        const dir = path.join(exp.dir, e.name);
        seenDirs.add(dir);
        const run = this.readRun(dir, exp, problems, full || dirty.has(dir));
        if (run) runs.set(run.id, { run, dir });
        if (++sinceBreath >= 64) {
          sinceBreath = 0;
          await breathe();
        }
      }
    }
    for (const dir of this.runCache.keys()) if (!seenDirs.has(dir)) this.runCache.delete(dir);
    if (full) this.lastFullCheck = started;
    return { experiments, runs, problems };
  }

  private readExperiment(dir: string, trashed: boolean, problems: StoreProblem[]): ExperimentEntry | undefined {
    const metaFile = path.join(dir, 'meta.yaml');
    let text: string;
    try {
      text = fs.readFileSync(metaFile, 'utf8');
    } catch {
      return undefined; // not an experiment folder (or one being created)
    }
    let meta: Yaml;
    try {
      meta = parseMetaYaml(text);
    } catch (e) {
      problems.push({ file: metaFile, message: `experiment meta.yaml does not parse: ${errorMessage(e).split('\n')[0]}` });
      return undefined;
    }
    const id = str(meta.experiment_id);
    const name = str(meta.name);
    if (!id || name === undefined) {
      problems.push({ file: metaFile, message: `experiment meta.yaml has no ${!id ? 'experiment_id' : 'name'}` });
      return undefined;
    }
    const experiment: SourceExperiment = {
      id,
      name,
      lifecycle: trashed || str(meta.lifecycle_stage) === 'deleted' ? 'deleted' : 'active',
      tags: readKeyValues(keyFiles(path.join(dir, 'tags'))),
    };
    const created = num(meta.creation_time);
    if (created !== undefined) experiment.createdAt = created;
    const location = str(meta.artifact_location);
    if (location) experiment.artifactLocation = location;
    return { experiment, dir };
  }

  /**
   * One run, from the cache when its files did not change. `full`: compare every file's size and time; else a finished
   * run is compared by its meta.yaml and the times of its params/, tags/ and metrics/ folders only (new keys, not a
   * line appended to an existing metric — `invalidate(path)` or the periodic full check sees those).
   */
  private readRun(dir: string, exp: ExperimentEntry, problems: StoreProblem[], full: boolean): SourceRun | undefined {
    const metaFile = path.join(dir, 'meta.yaml');
    let metaStat: fs.Stats;
    try {
      metaStat = fs.statSync(metaFile);
    } catch {
      return undefined; // a folder without meta.yaml is not a run (or is being created)
    }
    const light = [`${metaStat.size}:${metaStat.mtimeMs}`, ...['params', 'tags', 'metrics'].map((d) => mtimeOf(path.join(dir, d)))].join('#');
    const cached = this.runCache.get(dir);
    let fields: CachedRun['fields'];
    if (cached && !full && cached.finished && cached.light === light) fields = cached.fields;
    else {
      const [paramFiles, tagFiles, metricFiles] = ['params', 'tags', 'metrics'].map((d) => keyFiles(path.join(dir, d)));
      const signature = [light, signatureOf(paramFiles), signatureOf(tagFiles), signatureOf(metricFiles)].join('#');
      if (cached && cached.signature === signature) fields = cached.fields;
      else {
        const read = this.readRunFiles(dir, metaFile, paramFiles, tagFiles, metricFiles);
        if ('unreadable' in read) {
          this.runCache.delete(dir);
          problems.push(read.unreadable);
          return undefined;
        }
        fields = read;
      }
      this.runCache.set(dir, { signature, light, fields, finished: mapMlflowStatus(fields.status ?? undefined) !== 'running' });
    }
    problems.push(...(fields.problems ?? []));
    // The experiment's name (and its lifecycle, for runs of a deleted experiment) may change without the run changing.
    return buildMlflowRun({ ...fields, experimentId: exp.experiment.id, experimentName: exp.experiment.name, lifecycleStage: exp.experiment.lifecycle === 'deleted' ? 'deleted' : fields.lifecycleStage });
  }

  private readRunFiles(dir: string, metaFile: string, paramFiles: KeyFile[], tagFiles: KeyFile[], metricFiles: KeyFile[]): CachedRun['fields'] | { unreadable: StoreProblem } {
    let meta: Yaml;
    try {
      meta = parseMetaYaml(fs.readFileSync(metaFile, 'utf8'));
    } catch (e) {
      return { unreadable: { file: metaFile, message: `run meta.yaml does not parse: ${errorMessage(e).split('\n')[0]}`, runId: path.basename(dir) } };
    }
    const folder = path.basename(dir);
    const runId = str(meta.run_id) ?? str(meta.run_uuid);
    if (!runId || runId !== folder) {
      return { unreadable: { file: metaFile, message: runId ? `run meta.yaml names run ${runId} but is in the folder of run ${folder}` : 'run meta.yaml has no run_id', runId: folder } };
    }
    const problems: StoreProblem[] = [];
    const metrics: Record<string, number> = {};
    for (const f of metricFiles) {
      let text: string;
      try {
        text = fs.readFileSync(f.file, 'utf8');
      } catch (e) {
        problems.push({ file: f.file, message: errorMessage(e), runId });
        continue;
      }
      const parsed = parseMetricLines(f.key, text);
      for (const p of parsed.problems) problems.push({ file: f.file, message: `metric ${f.key}: ${p}`, runId });
      const latest = latestPoint(parsed.points);
      if (latest) metrics[f.key] = latest.value;
    }
    return {
      runId,
      experimentId: str(meta.experiment_id) ?? '',
      experimentName: '',
      runName: str(meta.run_name) ?? (str(meta.name) || undefined),
      status: typeof meta.status === 'bigint' ? Number(meta.status) : (meta.status as string | number | undefined),
      startTime: num(meta.start_time),
      endTime: num(meta.end_time),
      lifecycleStage: str(meta.lifecycle_stage),
      artifactUri: str(meta.artifact_uri),
      params: readKeyValues(paramFiles),
      tags: readKeyValues(tagFiles),
      metrics,
      problems,
    };
  }

  // ------------------------------------------------------------------ artifacts

  private runArtifactFolder(entry: RunEntry): Promise<string | undefined> {
    refuseRemote(entry.run.artifactUri, `Run ${entry.run.id}`);
    return locateArtifactFolder(entry.run.artifactUri, {
      bases: [this.root, path.dirname(this.root)],
      mustKeep: entry.run.id,
      fallbacks: [path.join(entry.dir, 'artifacts')],
    });
  }

  /** The folder holding a version's model files: `runs:/<run>/<path>` (2.x), a 3.x logged model `models:/m-…`, or its storage location. */
  private async modelVersionFolder(model: string, version: number): Promise<string | undefined> {
    const m = (await this.listModels()).find((x) => x.name === model);
    const v = m?.versions.find((x) => x.version === version);
    if (!v) throw new SourceError('not-found', `No version ${version} of model '${model}' in ${path.join(this.root, REGISTRY)}`);
    const source = v.source ?? '';
    const runsUri = /^runs:\/([^/]+)\/?(.*)$/.exec(source);
    if (runsUri) {
      const entry = await this.runEntry(runsUri[1]);
      const root = await this.runArtifactFolder(entry);
      const sub = artifactSegments(runsUri[2]);
      return root && path.join(root, ...sub);
    }
    const logged = /^models:\/(m-[A-Za-z0-9]+)$/.exec(source);
    if (logged) {
      const found = await this.loggedModel(logged[1]);
      if (found) return locateArtifactFolder(found.artifactLocation, { bases: [this.root, path.dirname(this.root)], mustKeep: logged[1], fallbacks: [path.join(found.dir, 'artifacts')] });
    }
    const stored = v.storageLocation ?? source;
    return locateArtifactFolder(stored, { bases: [this.root, path.dirname(this.root)], mustKeep: logged?.[1] ?? v.runId });
  }

  /** A 3.x logged model: <exp>/models/<model_id>/meta.yaml. */
  private async loggedModel(modelId: string): Promise<{ dir: string; artifactLocation?: string } | undefined> {
    for (const exp of (await this.fresh()).experiments.values()) {
      const dir = path.join(exp.dir, 'models', modelId);
      try {
        const meta = parseMetaYaml(fs.readFileSync(path.join(dir, 'meta.yaml'), 'utf8'));
        return { dir, artifactLocation: str(meta.artifact_location) };
      } catch {
        // not in this experiment
      }
    }
    return undefined;
  }

  // ------------------------------------------------------------------ registry

  private readModel(dir: string, folderName: string): SourceModel & { problems: StoreProblem[] } {
    const problems: StoreProblem[] = [];
    const metaFile = path.join(dir, 'meta.yaml');
    let meta: Yaml = {};
    try {
      meta = parseMetaYaml(fs.readFileSync(metaFile, 'utf8'));
    } catch (e) {
      problems.push({ file: metaFile, message: `registered model meta.yaml does not parse: ${errorMessage(e).split('\n')[0]}` });
    }
    const name = str(meta.name) ?? folderName;
    // Aliases: one file per alias holding the version (what MLflow reads); meta.yaml's mapping when there is no folder.
    const aliases: Record<string, number> = {};
    const aliasFiles = keyFiles(path.join(dir, 'aliases'));
    if (aliasFiles.length) {
      for (const [alias, v] of Object.entries(readKeyValues(aliasFiles))) {
        const n = num(v);
        if (n !== undefined) aliases[alias] = n;
        else problems.push({ file: path.join(dir, 'aliases', alias), message: `alias ${alias} does not hold a version number` });
      }
    } else if (meta.aliases && typeof meta.aliases === 'object' && !Array.isArray(meta.aliases)) {
      for (const [alias, v] of Object.entries(meta.aliases as Yaml)) {
        const n = num(v);
        if (n !== undefined) aliases[alias] = n;
      }
    }
    const versions: SourceModelVersion[] = [];
    for (const e of readdirOrEmpty(dir)) {
      const m = /^version-(\d+)$/.exec(e.name);
      if (!e.isDirectory() || !m) continue;
      const vFile = path.join(dir, e.name, 'meta.yaml');
      let vm: Yaml;
      try {
        vm = parseMetaYaml(fs.readFileSync(vFile, 'utf8'));
      } catch (err) {
        problems.push({ file: vFile, message: `model version meta.yaml does not parse: ${errorMessage(err).split('\n')[0]}` });
        continue;
      }
      const stage = str(vm.current_stage) ?? 'None';
      if (stage === DELETED_STAGE) continue;
      const version = num(vm.version) ?? Number(m[1]);
      const v: SourceModelVersion = {
        model: name,
        version,
        stage,
        aliases: Object.entries(aliases).filter(([, n]) => n === version).map(([a]) => a).sort(),
        description: str(vm.description) ?? '',
        tags: readKeyValues(keyFiles(path.join(dir, e.name, 'tags'))),
        createdAt: num(vm.creation_timestamp) ?? 0,
      };
      withPresent(v, { runId: str(vm.run_id), source: str(vm.source), storageLocation: str(vm.storage_location), updatedAt: num(vm.last_updated_timestamp), status: str(vm.status) });
      versions.push(v);
    }
    versions.sort((a, b) => a.version - b.version);
    const model: SourceModel & { problems: StoreProblem[] } = {
      name,
      description: str(meta.description) ?? '',
      tags: readKeyValues(keyFiles(path.join(dir, 'tags'))),
      aliases,
      versions,
      problems,
    };
    const created = num(meta.creation_timestamp);
    if (created !== undefined) model.createdAt = created;
    const updated = num(meta.last_updated_timestamp);
    if (updated !== undefined) model.updatedAt = updated;
    return model;
  }
}
