/**
 * For the push and pull tests (mlflow-push, mlflow-pull, push-crash): a workspace store built with the tracker API
 * (runs with stepped, timed, NaN and infinite metric points, typed params, unicode tags, notes, an environment, nested
 * and binary artifacts, registered versions with stages and aliases), and `DUMP_PY`, which reads what a push wrote
 * back with MLflow's own Python client — every run with the tag `mlops.run_id`, its full metric histories, artifacts
 * (with SHA-256 of their bytes) and model versions — so the tests compare with MLflow's view, not ours.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Registry } from '../../src/core/registry/registry';
import type { MetricPoint, Run } from '../../src/core/store/types';
import { Tracker } from '../../src/core/tracking/tracker';

export interface BuiltStore {
  root: string;
  tracker: Tracker;
  registry: Registry;
  /** The runs as the workspace holds them, by name. */
  runs: Record<string, Run>;
}

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);

/** A fake but well-formed workbench model (model.json records model.bin's SHA-256, as registration checks). */
function logModel(run: ReturnType<Tracker['startRun']>, seed: number): void {
  const bin = crypto.createHash('sha512').update(`model-${seed}`).digest();
  const bytes = Buffer.concat(Array.from({ length: 64 }, () => bin));
  run.logArtifactBytes('model/model.bin', bytes);
  run.logArtifactBytes('model/model.json', JSON.stringify({ format: 1, engine: 'forest', binSha256: crypto.createHash('sha256').update(bytes).digest('hex') }) + '\n', 'json');
}

/** Three runs in two experiments (one with a unicode name), two registered versions (Production @champion, Staging @challenger). */
export function buildStore(dir: string, options: { steps?: number } = {}): BuiltStore {
  const steps = options.steps ?? 60;
  const root = path.join(dir, '.mlops');
  const tracker = Tracker.open(root, { create: true });
  const env = { source: 'cli', dataset: { path: 'data/wafer.csv', sha256: 'ab'.repeat(32), rows: 1000, columns: ['a', 'yield'] }, seed: 7, libraries: { 'mlops-forest': '1.0.0' } };
  const alpha = tracker.startRun({ experiment: 'wafer-yield', name: 'alpha', params: { n_estimators: 200, lr: 0.1, use_gpu: true, depth: null, criterion: 'squared_error' }, tags: { team: 'fab ✓', html: "<b>x</b> & 'q'" }, notes: 'first try — été', environment: env, startTime: T0 });
  for (let s = 0; s < steps; s++) alpha.logMetrics({ rmse_val: 3 - s / steps + (s % 7) / 100, loss: 1 / (s + 1) }, s, T0 + 1000 + s * 10);
  alpha.logMetric('rmse_val', NaN, steps, T0 + 1000 + steps * 10);
  alpha.logMetric('big', Infinity, 0, T0 + 1500);
  alpha.logMetric('big', -Infinity, 1, T0 + 1501);
  alpha.logMetric('loss', 0.25, 3, T0 + 9999); // a second point at step 3, later
  logModel(alpha, 1);
  alpha.logArtifactBytes('reports/summary.txt', 'R² = 0.74\nwafer ✓\n');
  alpha.logArtifactBytes('predictions.bin', crypto.randomBytes(300_000));
  alpha.end('completed', T0 + 60_000);

  const beta = tracker.startRun({ experiment: 'wafer-yield', name: 'beta', params: { n_estimators: 50, lr: 0.3 }, tags: { team: 'fab' }, environment: { source: 'pipeline' }, startTime: T0 + 100_000 });
  for (let s = 0; s < 5; s++) beta.logMetric('rmse_val', 3.5 - s / 10, s, T0 + 100_100 + s);
  logModel(beta, 2);
  beta.end('completed', T0 + 120_000);

  const gamma = tracker.startRun({ experiment: 'données-été ✓', name: 'gamma ✓', params: { kind: 'baseline' }, startTime: T0 + 200_000 });
  gamma.logMetric('accuracy', 0.91, 0, T0 + 200_001);
  gamma.end('failed', T0 + 201_000);

  const registry = new Registry(tracker.store, { identity: { osUser: 'tester', display: 'tester@example.com', email: 'tester@example.com' } });
  registry.register(tracker, alpha.id, 'WaferModel', { description: 'the first one' });
  registry.transition('WaferModel', 1, 'Production', { reason: 'best rmse' });
  registry.setAlias('WaferModel', 'champion', 1);
  registry.register(tracker, beta.id, 'WaferModel');
  registry.transition('WaferModel', 2, 'Staging');
  registry.setAlias('WaferModel', 'challenger', 2);
  tracker.store.flush();
  const runs = Object.fromEntries(tracker.snapshot().runs.map((r) => [r.name, r]));
  return { root, tracker, registry, runs };
}

/** Many small runs for the crash and bench tests: `n` runs × `metrics` keys × `steps` points, one small artifact each. */
export function buildManyRuns(dir: string, n: number, metrics: number, steps: number, experiment = 'bulk'): Tracker {
  const tracker = Tracker.open(path.join(dir, '.mlops'), { create: true });
  for (let i = 0; i < n; i++) {
    const run = tracker.startRun({ experiment, name: `run-${String(i).padStart(4, '0')}`, params: { i, lr: 0.01 * (i % 10) }, tags: { parity: i % 2 ? 'odd' : 'even' }, startTime: T0 + i * 1000 });
    const points: MetricPoint[] = [];
    for (let s = 0; s < steps; s++) for (let k = 0; k < metrics; k++) points.push({ key: `m${k}`, value: Math.sin(i + s * 0.1 + k), step: s, timestamp: T0 + i * 1000 + s });
    tracker.store.appendMetricPoints(run.id, points);
    run.replay(points);
    run.logArtifactBytes('notes.txt', `run ${i}\n`);
    run.end('completed', T0 + i * 1000 + steps + 1);
  }
  tracker.store.flush();
  return tracker;
}

export interface DumpedRun {
  run_id: string;
  experiment: string;
  name: string;
  status: string;
  start_time: number;
  end_time: number | null;
  params: Record<string, string>;
  tags: Record<string, string>;
  /** key → [step, timestamp, repr(value)] as MLflow returns them */
  history: Record<string, [number, number, string][]>;
  artifacts: Record<string, { size: number; sha256: string }>;
}

export interface Dump {
  runs: DumpedRun[];
  versions: { name: string; version: number; stage: string; aliases: string[]; run_id: string; source: string; tags: Record<string, string> }[];
}

/** argv: tracking URI, then `--no-artifacts` to skip artifacts. Prints {runs, versions}. */
export const DUMP_PY = String.raw`
import hashlib, json, os, sys, tempfile
import mlflow
from mlflow import MlflowClient
uri = sys.argv[1]
with_artifacts = "--no-artifacts" not in sys.argv
mlflow.set_tracking_uri(uri)
c = MlflowClient(uri)
exps = {e.experiment_id: e.name for e in c.search_experiments()}
out = {"runs": [], "versions": []}
token = None
runs = []
while True:
    page = c.search_runs(list(exps), filter_string="tags.\"mlops.run_id\" LIKE '%'", max_results=1000, page_token=token)
    runs += page
    token = page.token
    if not token: break
tmp = tempfile.mkdtemp()
def files(run_id, p=None):
    res = {}
    for a in c.list_artifacts(run_id, p):
        if a.is_dir: res.update(files(run_id, a.path))
        else:
            local = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=a.path, dst_path=tempfile.mkdtemp(dir=tmp))
            with open(local, "rb") as f: data = f.read()
            res[a.path] = {"size": a.file_size, "sha256": hashlib.sha256(data).hexdigest()}
    return res
for r in runs:
    history = {}
    for k in r.data.metrics:
        history[k] = [[m.step, m.timestamp, repr(m.value)] for m in c.get_metric_history(r.info.run_id, k)]
    out["runs"].append({
        "run_id": r.info.run_id, "experiment": exps[r.info.experiment_id], "name": r.info.run_name, "status": r.info.status,
        "start_time": r.info.start_time, "end_time": r.info.end_time, "params": r.data.params, "tags": r.data.tags, "history": history,
        "artifacts": files(r.info.run_id) if with_artifacts else {},
    })
try:
    for m in c.search_registered_models():
        for v in c.search_model_versions("name='%s'" % m.name):
            full = c.get_model_version(v.name, v.version)  # search leaves aliases out in 2.12
            out["versions"].append({"name": v.name, "version": int(v.version), "stage": v.current_stage, "aliases": sorted(full.aliases), "run_id": v.run_id, "source": v.source, "tags": v.tags})
except Exception as e:
    out["versions_error"] = str(e)
print(json.dumps(out))
`;

/** Python's repr of a float → the number. */
export function pyFloat(s: string): number {
  if (s === 'nan') return NaN;
  if (s === 'inf') return Infinity;
  if (s === '-inf') return -Infinity;
  return Number(s);
}

/** A workspace history as MLflow's SQL stores return it: [step, timestamp, value], ±Infinity as ±max double, sorted. */
export function expectedHistory(points: readonly MetricPoint[], key: string, sqlStore: boolean): [number, number, number][] {
  const seen = new Set<string>();
  const out: [number, number, number][] = [];
  for (const p of points) {
    if (p.key !== key) continue;
    const v = sqlStore && p.value === Infinity ? Number.MAX_VALUE : sqlStore && p.value === -Infinity ? -Number.MAX_VALUE : p.value;
    const k = `${p.step} ${p.timestamp} ${Object.is(v, NaN) ? 'nan' : v}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push([p.step, p.timestamp, v]);
  }
  return sortHistory(out);
}

export function sortHistory(h: [number, number, number][]): [number, number, number][] {
  return [...h].sort((a, b) => a[0] - b[0] || a[1] - b[1] || (Number.isNaN(a[2]) ? 1 : Number.isNaN(b[2]) ? -1 : a[2] - b[2]));
}

export function dumpedHistory(d: DumpedRun, key: string): [number, number, number][] {
  return sortHistory((d.history[key] ?? []).map(([s, t, v]) => [s, t, pyFloat(v)]));
}

export function sha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}
