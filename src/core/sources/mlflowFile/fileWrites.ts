/**
 * Writing runs into MLflow's file store (`mlruns/`) for `mlops push`, in the layout MLflow's FileStore reads:
 *
 *   <exp>/meta.yaml                       experiment (created with a random 18-digit id, as MLflow does)
 *   <exp>/<run>/meta.yaml                 status as the protobuf enum number (1 RUNNING … 5 KILLED)
 *   <exp>/<run>/params/<key>, tags/<key>  the value as the whole file, no newline
 *   <exp>/<run>/metrics/<key>             lines `timestamp value step`
 *   <exp>/<run>/artifacts/…               (or the run's artifact_uri when it is a folder on this machine)
 *
 * Every file is replaced atomically: written under a temporary name in the run's own folder (never inside params/,
 * tags/, metrics/ or artifacts/, where MLflow would read it as a key or an artifact) and renamed into place. A new run
 * is built in `<exp>/.mlops-tmp-<run>/` with its meta.yaml and tags and renamed into place, so it never shows without
 * its `mlops.run_id` tag. The registry side (`--models`) is in ./fileModelWrites.ts.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { MetricPoint } from '../../store/types';
import { errorMessage } from '../../util/errors';
import { artifactSegments, localPathOf } from '../localArtifacts';
import { MLFLOW_STATUS_BY_NUMBER } from '../mlflowCommon';
import { parsePythonFloat } from '../mlflowRun';
import { SourceError } from '../types';
import { UNLIMITED_BATCH, type LogBatch, type RunWriter, type TargetArtifact, type TargetRun } from '../writeTypes';
import { FileModelWriter } from './fileModelWrites';
import { readMeta, TMP_PREFIX, writeAtomicVia } from './fileAtomic';
import { dumpMetaYaml, type Yaml } from './metaYaml';

const STATUS_NUMBER: Record<string, number> = Object.fromEntries(Object.entries(MLFLOW_STATUS_BY_NUMBER).map(([n, w]) => [w, Number(n)]));
/** A temporary run folder older than this was left by a killed push (building one takes milliseconds). */
const STALE_TMP_MS = 60_000;

/** Python's float text for a metric value (`nan`, `inf`, `-inf`, else the shortest exact decimal). */
export function pythonFloat(v: number): string {
  return Number.isNaN(v) ? 'nan' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : String(v);
}

const text = (v: unknown): string => (v === null || v === undefined ? '' : String(v));

export class MlflowFileWriter implements RunWriter {
  readonly kind = 'mlflow-file' as const;
  readonly uri: string;
  readonly limits = UNLIMITED_BATCH;
  readonly models: FileModelWriter;
  private readonly runDirs = new Map<string, string>();

  constructor(readonly root: string) {
    this.root = path.resolve(root);
    this.uri = pathToFileURL(this.root).href;
    this.models = new FileModelWriter(this.root);
    if (!fs.existsSync(this.root) || !fs.readdirSync(this.root).length) this.createStore();
  }

  async close(): Promise<void> {
    this.runDirs.clear();
  }

  /** A new mlruns/ as MLflow's FileStore makes one: `.trash/` and the Default experiment 0. */
  private createStore(): void {
    fs.mkdirSync(path.join(this.root, '.trash'), { recursive: true });
    this.writeExperiment('0', 'Default');
  }

  private writeExperiment(id: string, name: string): void {
    const dir = path.join(this.root, id);
    fs.mkdirSync(dir);
    const now = Date.now();
    const meta = { artifact_location: pathToFileURL(dir).href, creation_time: now, experiment_id: id, last_update_time: now, lifecycle_stage: 'active', name };
    writeAtomicVia(dir, path.join(dir, 'meta.yaml'), dumpMetaYaml(meta));
  }

  private experimentDirs(): { dir: string; meta: Yaml; trashed: boolean }[] {
    const out: { dir: string; meta: Yaml; trashed: boolean }[] = [];
    for (const [base, trashed] of [[this.root, false], [path.join(this.root, '.trash'), true]] as const) {
      for (const e of readdirOrEmpty(base)) {
        if (!e.isDirectory() || e.name.startsWith('.') || (!trashed && e.name === 'models')) continue;
        const meta = readMeta(path.join(base, e.name, 'meta.yaml'));
        if (meta) out.push({ dir: path.join(base, e.name), meta, trashed });
      }
    }
    return out;
  }

  async ensureExperiment(name: string): Promise<{ id: string; created: boolean }> {
    const found = this.experimentDirs().find((e) => text(e.meta.name) === name);
    if (found) {
      if (found.trashed || text(found.meta.lifecycle_stage) === 'deleted') {
        throw new SourceError('invalid', `${this.root}: experiment '${name}' is deleted there (restore it in MLflow, or push into another experiment with --target-experiment)`, this.root);
      }
      return { id: text(found.meta.experiment_id), created: false };
    }
    let id: string;
    do id = String(BigInt('0x' + crypto.randomBytes(8).toString('hex')) % 900_000_000_000_000_000n + 100_000_000_000_000_000n);
    while (fs.existsSync(path.join(this.root, id)) || fs.existsSync(path.join(this.root, '.trash', id)));
    this.writeExperiment(id, name);
    return { id, created: true };
  }

  private experimentDir(id: string): string {
    const dir = path.join(this.root, id);
    if (!/^[0-9]+$/.test(id) || !fs.existsSync(path.join(dir, 'meta.yaml'))) throw new SourceError('not-found', `${this.root}: no experiment ${id}`, this.root);
    return dir;
  }

  async findRunsByTag(experimentId: string, key: string): Promise<TargetRun[]> {
    const expDir = this.experimentDir(experimentId);
    const out: TargetRun[] = [];
    for (const e of readdirOrEmpty(expDir)) {
      if (!e.isDirectory()) continue;
      const dir = path.join(expDir, e.name);
      if (e.name.startsWith(TMP_PREFIX)) {
        removeIfStale(dir);
        continue;
      }
      if (!fs.existsSync(path.join(dir, 'tags', ...artifactSegments(key)))) continue;
      const run = this.readRun(dir);
      if (run && run.lifecycle === 'active') out.push(run.run);
    }
    return out;
  }

  private readRun(dir: string): { run: TargetRun; lifecycle: string } | undefined {
    const meta = readMeta(path.join(dir, 'meta.yaml'));
    if (!meta) return undefined;
    const id = text(meta.run_id ?? meta.run_uuid);
    this.runDirs.set(id, dir);
    const status = typeof meta.status === 'bigint' || typeof meta.status === 'number' ? MLFLOW_STATUS_BY_NUMBER[Number(meta.status)] ?? 'RUNNING' : text(meta.status) || 'RUNNING';
    const tags = readKeyFiles(path.join(dir, 'tags'));
    const run: TargetRun = {
      id,
      experimentId: text(meta.experiment_id),
      name: text(meta.run_name) || tags['mlflow.runName'] || '',
      status,
      startTime: Number(meta.start_time ?? 0),
      endTime: meta.end_time === null || meta.end_time === undefined ? null : Number(meta.end_time),
      params: readKeyFiles(path.join(dir, 'params')),
      tags,
    };
    if (meta.artifact_uri) run.artifactUri = text(meta.artifact_uri);
    return { run, lifecycle: text(meta.lifecycle_stage) || 'active' };
  }

  async createRun(experimentId: string, init: { name: string; startTime: number; tags: Record<string, string> }): Promise<TargetRun> {
    const expDir = this.experimentDir(experimentId);
    const id = crypto.randomBytes(16).toString('hex');
    const tmp = path.join(expDir, `${TMP_PREFIX}${id}`);
    const final = path.join(expDir, id);
    const artifactUri = `${this.artifactLocation(expDir)}/${id}/artifacts`;
    fs.mkdirSync(tmp);
    try {
      for (const [k, v] of Object.entries(init.tags)) writeAtomicVia(tmp, keyPath(tmp, 'tags', k), v);
      const meta = runMeta({ id, experimentId, name: init.name, startTime: init.startTime, endTime: null, status: 'RUNNING', artifactUri });
      writeAtomicVia(tmp, path.join(tmp, 'meta.yaml'), dumpMetaYaml(meta));
      fs.renameSync(tmp, final);
    } catch (e) {
      fs.rmSync(tmp, { recursive: true, force: true });
      throw this.ioError(e, final);
    }
    this.runDirs.set(id, final);
    return { id, experimentId, name: init.name, status: 'RUNNING', startTime: init.startTime, endTime: null, artifactUri, params: {}, tags: { ...init.tags } };
  }

  /** Where the experiment's runs keep artifacts: its artifact_location when that folder is on this machine, else inside the store. */
  private artifactLocation(expDir: string): string {
    const recorded = text(readMeta(path.join(expDir, 'meta.yaml'))?.artifact_location);
    const local = localPathOf(recorded);
    if (local && fs.existsSync(path.dirname(local))) return pathToFileURL(local).href;
    return pathToFileURL(expDir).href;
  }

  private runDir(runId: string): string {
    const known = this.runDirs.get(runId);
    if (known && fs.existsSync(known)) return known;
    for (const e of this.experimentDirs()) {
      const dir = path.join(e.dir, runId);
      if (/^[0-9a-f]{32}$/.test(runId) && fs.existsSync(path.join(dir, 'meta.yaml'))) {
        this.runDirs.set(runId, dir);
        return dir;
      }
    }
    throw new SourceError('not-found', `${this.root}: no run ${runId}`, this.root);
  }

  async metricHistory(runId: string, key: string): Promise<MetricPoint[]> {
    return parseMetricFile(key, keyPath(this.runDir(runId), 'metrics', key));
  }

  async logBatch(runId: string, batch: LogBatch): Promise<void> {
    const dir = this.runDir(runId);
    try {
      for (const p of batch.params) this.writeParam(dir, runId, p.key, p.value);
      const byKey = new Map<string, MetricPoint[]>();
      for (const m of batch.metrics) byKey.set(m.key, [...(byKey.get(m.key) ?? []), m]);
      for (const [key, points] of byKey) {
        const file = keyPath(dir, 'metrics', key);
        const before = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
        const lines = points.map((m) => `${m.timestamp} ${pythonFloat(m.value)} ${m.step}\n`).join('');
        writeAtomicVia(dir, file, (before && !before.endsWith('\n') ? before + '\n' : before) + lines);
      }
      for (const t of batch.tags) {
        writeAtomicVia(dir, keyPath(dir, 'tags', t.key), t.value);
        if (t.key === 'mlflow.runName') this.rewriteMeta(dir, { run_name: t.value });
      }
    } catch (e) {
      throw this.ioError(e, dir);
    }
  }

  private writeParam(dir: string, runId: string, key: string, value: string): void {
    const file = keyPath(dir, 'params', key);
    if (fs.existsSync(file)) {
      const there = fs.readFileSync(file, 'utf8');
      if (there === value) return;
      throw new SourceError('invalid', `${file}: param '${key}' of run ${runId} is already '${there}'; MLflow params cannot change`, file);
    }
    writeAtomicVia(dir, file, value);
  }

  private rewriteMeta(dir: string, fields: Record<string, string | number | null>): void {
    const meta = readMeta(path.join(dir, 'meta.yaml'));
    if (!meta) throw new SourceError('corrupt', `${path.join(dir, 'meta.yaml')}: cannot be read`, dir);
    const next: Record<string, string | number | null | []> = {};
    for (const [k, v] of Object.entries({ ...meta, ...fields })) {
      next[k] = v === null || v === undefined ? null : Array.isArray(v) ? [] : typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : String(v);
    }
    // experiment_id is text in MLflow's meta.yaml ('390814872595873586'), and a number only in very old stores.
    if (typeof meta.experiment_id !== 'string' && meta.experiment_id !== undefined) next.experiment_id = String(meta.experiment_id);
    writeAtomicVia(dir, path.join(dir, 'meta.yaml'), dumpMetaYaml(next));
  }

  async updateRun(runId: string, update: { status: string; endTime: number | null; name: string }): Promise<void> {
    const dir = this.runDir(runId);
    try {
      this.rewriteMeta(dir, { status: STATUS_NUMBER[update.status] ?? 1, end_time: update.endTime, run_name: update.name });
      writeAtomicVia(dir, keyPath(dir, 'tags', 'mlflow.runName'), update.name);
    } catch (e) {
      throw this.ioError(e, dir);
    }
  }

  /** The run's artifact folder on this machine: its artifact_uri when local, else `<run>/artifacts`. */
  private artifactDir(run: TargetRun): string {
    const local = localPathOf(run.artifactUri);
    if (local && fs.existsSync(path.dirname(local))) return local;
    if (run.artifactUri && !local) throw new SourceError('invalid', `${this.root}: run ${run.id} keeps its artifacts at ${run.artifactUri}, which this push cannot write (push without artifacts: --no-artifacts)`, this.root);
    return path.join(this.runDir(run.id), 'artifacts');
  }

  async listArtifactFiles(run: TargetRun): Promise<TargetArtifact[]> {
    const base = this.artifactDir(run);
    const out: TargetArtifact[] = [];
    const walk = (dir: string, rel: string): void => {
      for (const e of readdirOrEmpty(dir)) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p, `${rel}${e.name}/`);
        else if (e.isFile() && !e.name.startsWith(TMP_PREFIX)) out.push({ path: rel + e.name, size: fs.statSync(p).size });
      }
    };
    walk(base, '');
    return out;
  }

  async writeArtifact(run: TargetRun, relPath: string, file: string): Promise<void> {
    const base = this.artifactDir(run);
    const target = path.join(base, ...artifactSegments(relPath));
    const runDir = this.runDir(run.id);
    // The temporary copy sits in the run's folder when the artifacts are under it (MLflow never lists that folder itself).
    const tmpDir = path.relative(runDir, base).startsWith('..') ? path.dirname(target) : runDir;
    try {
      fs.mkdirSync(tmpDir, { recursive: true });
      writeAtomicVia(tmpDir, target, fs.readFileSync(file));
    } catch (e) {
      throw this.ioError(e, target);
    }
  }

  private ioError(e: unknown, where: string): unknown {
    if (e instanceof SourceError) return e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return new SourceError('read-only', `${where}: cannot write (${code}: ${errorMessage(e)})`, where);
    return e;
  }
}

function runMeta(r: { id: string; experimentId: string; name: string; startTime: number; endTime: number | null; status: string; artifactUri: string }): Record<string, string | number | null | []> {
  let user = '';
  try {
    user = os.userInfo().username;
  } catch {
    /* unknown */
  }
  return {
    artifact_uri: r.artifactUri, end_time: r.endTime, entry_point_name: '', experiment_id: r.experimentId, lifecycle_stage: 'active', run_id: r.id,
    run_name: r.name, run_uuid: r.id, source_name: '', source_type: 4, source_version: '', start_time: r.startTime, status: STATUS_NUMBER[r.status] ?? 1, tags: [], user_id: user,
  };
}

/** `<run>/<kind>/<key>`, with '/' in a key as sub-folders (as MLflow does); keys that would leave the folder are refused. */
function keyPath(dir: string, kind: 'params' | 'tags' | 'metrics', key: string): string {
  const segs = artifactSegments(key);
  if (!segs.length || segs.some((s) => s === '..' || s === '.')) throw new SourceError('invalid', `Key '${key}' cannot be a file name in an MLflow file store`);
  return path.join(dir, kind, ...segs);
}

function readdirOrEmpty(dir: string): fs.Dirent[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

function readKeyFiles(dir: string, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirOrEmpty(dir)) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) Object.assign(out, readKeyFiles(p, `${prefix}${e.name}/`));
    else if (e.isFile() && !e.name.startsWith(TMP_PREFIX)) out[prefix + e.name] = fs.readFileSync(p, 'utf8');
  }
  return out;
}

function parseMetricFile(key: string, file: string): MetricPoint[] {
  let content: string;
  try {
    content = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const points: MetricPoint[] = [];
  for (const line of content.split('\n')) {
    const [t, v, s] = line.trim().split(/\s+/);
    const value = v === undefined ? undefined : parsePythonFloat(v);
    if (!t || value === undefined) continue;
    points.push({ key, timestamp: Number(t), value, step: s === undefined ? 0 : Number(s) });
  }
  return points;
}

function removeIfStale(dir: string): void {
  try {
    if (Date.now() - fs.statSync(dir).mtimeMs > STALE_TMP_MS) fs.rmSync(dir, { recursive: true, force: true });
  } catch {
    /* gone meanwhile */
  }
}
