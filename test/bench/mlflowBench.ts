/**
 * `npm run bench -- mlflow`: our MLflow readers (RunSource) against MLflow's own Python client, on the same data, in
 * the same run: 10,000 runs × 10 metrics × 10 steps (BENCH_MLFLOW_RUNS / _METRICS / _STEPS) in an `mlflow.db` built in
 * MLflow's schema by test/mlflow/make_big_sqlite.py, the same runs written as an `mlruns/` file store by
 * make_big_mlruns.py, and a real tracking server (`mlflow server`, one worker) started on a copy of that database.
 *
 * Figures, each for the server, mlflow.db and mlruns/:
 *   first page     200 runs of the experiment, newest first (what the tree shows first)
 *   all runs       every run, in pages of 1,000 (page_token)
 *   compare 50     50 runs with histories: getRun + the full history of each of the 10 metrics (500 histories)
 *   compare 50 ×8  the same with 8 requests at a time (ours only; compared with the Python client's sequential figure)
 * Two ways: fresh — a new source (ours) / a new MlflowClient with MLflow's per-URI store and HTTP-session caches cleared
 * (Python), so a local store is read from scratch; warm — one source / client, after one untimed first page. Medians
 * of 3 (BENCH_MLFLOW_REPS); a figure whose repetitions pass BENCH_MLFLOW_BUDGET_S seconds (default 90) stops early and
 * says how many it took. Ratio = ours / Python: below 1 we are faster.
 *
 * Then `mlflowSharingBench` (also alone: `npm run bench -- mlflow-push`): push and pull of 1,000 runs × 10 metrics ×
 * 100 steps against a real server, time and HTTP requests a run.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MlflowFileSource } from '../../src/core/sources/mlflowFile/fileStore';
import { MlflowServerSource } from '../../src/core/sources/mlflowServer/source';
import { MlflowSqliteSource } from '../../src/core/sources/mlflowSqlite/sqliteStore';
import type { RunSource } from '../../src/core/sources/types';
import { mlflowPython, mlflowSkipReason, REPO } from '../mlflow/env';
import { countingProxy, startMlflowServer, type CountingProxy, type MlflowServer } from '../mlflow/server';
import { buildManyRuns } from '../mlflow/sharing';
import { MlflowServerWriter } from '../../src/core/sources/mlflowServer/runWrites';
import { pull } from '../../src/core/sharing/pull';
import { push } from '../../src/core/sharing/push';
import { Tracker } from '../../src/core/tracking/tracker';
import { fmtMs, median } from './harness';

const FIGURES = ['first page (200 runs)', 'all runs (pages of 1,000)', 'compare 50 runs + histories', 'compare 50, 8 at a time'] as const;
type Figure = (typeof FIGURES)[number];

interface Timing {
  ms: number[];
  /** what the figure read, to check that both sides did the same work */
  count: number;
}

type Timings = Partial<Record<Figure, { fresh?: Timing; warm?: Timing }>>;

const PY_TIMING = String.raw`
import json, sys, time, warnings, logging
warnings.filterwarnings("ignore"); logging.disable(logging.WARNING)
from mlflow import MlflowClient
import mlflow.tracking._tracking_service.utils as tsu
import mlflow.utils.request_utils as rq
uri, exp, ids, keys, reps, budget = sys.argv[1], sys.argv[2], sys.argv[3].split(","), sys.argv[4].split(","), int(sys.argv[5]), float(sys.argv[6])

def fresh():
    # MLflow caches its store per URI (an lru_cache) and, for servers, its HTTP session: a fresh client starts cold.
    for f in (getattr(type(tsu._tracking_store_registry), "_get_store_with_resolved_uri", None), getattr(rq, "_get_request_session", None), getattr(rq, "_cached_get_request_session", None)):
        if hasattr(f, "cache_clear"): f.cache_clear()
    return MlflowClient(uri)

def first(c):
    return len(c.search_runs([exp], max_results=200))

def all_runs(c):
    n, token = 0, None
    while True:
        page = c.search_runs([exp], max_results=1000, page_token=token)
        n += len(page); token = page.token
        if not token: return n

def compare(c):
    n = 0
    for rid in ids:
        c.get_run(rid)
        for k in keys: n += len(c.get_metric_history(rid, k))
    return n

out = {}
for name, fn in (("first", first), ("all", all_runs), ("compare", compare)):
    res = {}
    for mode in ("fresh", "warm"):
        ms, count, spent = [], 0, 0.0
        warm = None
        if mode == "warm":
            warm = fresh(); first(warm)
        for i in range(reps):
            c = fresh() if mode == "fresh" else warm
            t = time.perf_counter(); count = fn(c); d = time.perf_counter() - t
            ms.append(d * 1000); spent += d
            if spent > budget: break
        res[mode] = {"ms": ms, "count": count}
    out[name] = res
print(json.dumps(out))
`;

function runPython(script: string, args: string[]): Promise<unknown> {
  const py = mlflowPython()!;
  return new Promise((resolve, reject) => {
    const child = spawn(py.python, ['-c', script, ...args], { env: { ...py.env, PYTHONWARNINGS: 'ignore', GIT_PYTHON_REFRESH: 'quiet' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`python exited ${code}:\n${err.split('\n').slice(-15).join('\n')}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? ''));
      } catch {
        reject(new Error(`python printed no JSON:\n${out.slice(-1000)}\n${err.slice(-1000)}`));
      }
    });
  });
}

const now = () => Number(process.hrtime.bigint()) / 1e6;

async function firstPage(s: RunSource, exp: string): Promise<number> {
  return (await s.searchRuns({ experimentIds: [exp], maxResults: 200 })).runs.length;
}

async function allRuns(s: RunSource, exp: string): Promise<number> {
  let n = 0;
  let pageToken: string | undefined;
  do {
    const page = await s.searchRuns({ experimentIds: [exp], maxResults: 1000, ...(pageToken ? { pageToken } : {}) });
    n += page.runs.length;
    pageToken = page.nextPageToken;
  } while (pageToken);
  return n;
}

async function compare(s: RunSource, ids: string[], keys: string[], concurrency: number): Promise<number> {
  let n = 0;
  const tasks = ids.map((id) => async () => {
    await s.getRun(id);
    for (const k of keys) {
      const points = await s.metricHistory(id, k);
      n += points.length;
    }
  });
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < tasks.length) await tasks[next++]();
  }));
  return n;
}

/** Our figures: fresh (a new source per repetition) and warm (one source, after an untimed first page). */
async function ours(open: () => RunSource, exp: string, ids: string[], keys: string[], reps: number, budgetMs: number): Promise<Timings> {
  const fns: Record<Figure, (s: RunSource) => Promise<number>> = {
    'first page (200 runs)': (s) => firstPage(s, exp),
    'all runs (pages of 1,000)': (s) => allRuns(s, exp),
    'compare 50 runs + histories': (s) => compare(s, ids, keys, 1),
    'compare 50, 8 at a time': (s) => compare(s, ids, keys, 8),
  };
  const result: Timings = {};
  for (const figure of FIGURES) {
    const entry: { fresh?: Timing; warm?: Timing } = {};
    for (const mode of ['fresh', 'warm'] as const) {
      const warm = mode === 'warm' ? open() : undefined;
      if (warm) await firstPage(warm, exp);
      const ms: number[] = [];
      let count = 0;
      let spent = 0;
      for (let i = 0; i < reps; i++) {
        const s = warm ?? open();
        const t = now();
        count = await fns[figure](s);
        const d = now() - t;
        if (!warm) await s.close();
        ms.push(d);
        spent += d;
        if (spent > budgetMs) break;
      }
      await warm?.close();
      entry[mode] = { ms, count };
    }
    result[figure] = entry;
  }
  return result;
}

function pyTimings(raw: unknown): Timings {
  const r = raw as Record<'first' | 'all' | 'compare', { fresh: Timing; warm: Timing }>;
  return {
    'first page (200 runs)': r.first,
    'all runs (pages of 1,000)': r.all,
    'compare 50 runs + histories': r.compare,
    'compare 50, 8 at a time': r.compare,
  };
}

function cell(t: Timing | undefined, reps: number): string {
  if (!t || !t.ms.length) return '—';
  return `${fmtMs(median(t.ms))}${t.ms.length < reps ? ` (n=${t.ms.length})` : ''}`;
}

function ratio(a: Timing | undefined, b: Timing | undefined): string {
  if (!a?.ms.length || !b?.ms.length) return '—';
  return `${(median(a.ms) / median(b.ms)).toFixed(2)}×`;
}

function pythonDir(): string {
  const tmp = process.platform === 'linux' && fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
  return fs.mkdtempSync(path.join(tmp, 'mlops-bench-mlflow-'));
}

function runScript(file: string, args: string[]): Promise<void> {
  const py = mlflowPython()!;
  return new Promise((resolve, reject) => {
    const child = spawn(py.python, [file, ...args], { env: { ...py.env, PYTHONWARNINGS: 'ignore' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${path.basename(file)} exited ${code}:\n${err.split('\n').slice(-10).join('\n')}`))));
  });
}

export async function mlflowBench(): Promise<void> {
  const runs = Number(process.env.BENCH_MLFLOW_RUNS ?? 10_000);
  const metrics = Number(process.env.BENCH_MLFLOW_METRICS ?? 10);
  const steps = Number(process.env.BENCH_MLFLOW_STEPS ?? 10);
  const reps = Number(process.env.BENCH_MLFLOW_REPS ?? 3);
  const budgetS = Number(process.env.BENCH_MLFLOW_BUDGET_S ?? 90);
  console.log(`\nMLflow sources: ${runs.toLocaleString('en')} runs × ${metrics} metrics × ${steps} steps — ours (RunSource) vs MLflow's Python client, medians of ${reps}`);
  const py = mlflowPython();
  if (!py) {
    console.log(`  MLflow is not available here, so this bench did not run: ${mlflowSkipReason()}`);
    console.log('  (install it with ../shared/mlflow/setup.sh or `pip install mlflow`)');
    return;
  }
  console.log(`  MLflow ${py.version} (${py.python}); load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} on ${os.cpus().length} cores`);
  const base = pythonDir();
  let server: MlflowServer | undefined;
  try {
    let t = now();
    const serverDir = path.join(base, 'server');
    fs.mkdirSync(serverDir, { recursive: true });
    await runScript(path.join(REPO, 'test', 'mlflow', 'make_big_sqlite.py'), [path.join(serverDir, 'mlflow.db'), String(runs), String(metrics), String(steps)]);
    const dbFile = path.join(base, 'sqlite', 'mlflow.db');
    fs.mkdirSync(path.dirname(dbFile));
    fs.copyFileSync(path.join(serverDir, 'mlflow.db'), dbFile);
    console.log(`  built mlflow.db (${(fs.statSync(dbFile).size / 1e6).toFixed(0)} MB) in ${fmtMs(now() - t)}`);
    t = now();
    const mlruns = path.join(base, 'mlruns');
    await runScript(path.join(REPO, 'test', 'mlflow', 'make_big_mlruns.py'), [dbFile, mlruns]);
    console.log(`  wrote the same runs as mlruns/ in ${fmtMs(now() - t)}`);
    t = now();
    server = await startMlflowServer({ dir: serverDir });
    console.log(`  tracking server up at ${server.url} in ${fmtMs(now() - t)}`);

    // The experiment and the 50 newest runs (the same ids in every store).
    const probe = new MlflowSqliteSource(dbFile);
    const exp = (await probe.listExperiments()).find((e) => e.name === 'big')!.id;
    const first = await probe.searchRuns({ experimentIds: [exp], maxResults: 50 });
    const ids = first.runs.map((r) => r.id);
    const keys = Object.keys(first.runs[0].metrics).sort();
    await probe.close();

    const budgetMs = budgetS * 1000;
    const sources: { name: string; uri: string; open: () => RunSource }[] = [
      { name: 'server', uri: server.url, open: () => new MlflowServerSource(server!.url, { timeoutMs: 300_000 }) },
      { name: 'mlflow.db', uri: `sqlite:///${dbFile}`, open: () => new MlflowSqliteSource(dbFile) },
      { name: 'mlruns/', uri: `file://${mlruns}`, open: () => new MlflowFileSource(mlruns) },
    ];
    const rows: string[][] = [];
    // BENCH_MLFLOW_SOURCES=mlflow.db (a comma list of server, mlflow.db, mlruns/) times only those.
    const only = process.env.BENCH_MLFLOW_SOURCES?.split(',').map((x) => x.trim()).filter(Boolean);
    for (const src of sources.filter((x) => !only?.length || only.includes(x.name))) {
      t = now();
      const a = await ours(src.open, exp, ids, keys, reps, budgetMs);
      const oursMs = now() - t;
      t = now();
      const b = pyTimings(await runPython(PY_TIMING, [src.uri, exp, ids.join(','), keys.join(','), String(reps), String(budgetS)]));
      console.log(`  ${src.name}: ours ${fmtMs(oursMs)} in all, Python ${fmtMs(now() - t)} in all`);
      for (const f of FIGURES) {
        const x = a[f]!;
        const y = b[f]!;
        for (const mode of ['fresh', 'warm'] as const) {
          if (x[mode] && y[mode] && x[mode]!.count !== y[mode]!.count) throw new Error(`${src.name} ${f} ${mode}: ours read ${x[mode]!.count}, Python ${y[mode]!.count}`);
        }
        rows.push([src.name, f, cell(x.fresh, reps), cell(y.fresh, reps), ratio(x.fresh, y.fresh), cell(x.warm, reps), cell(y.warm, reps), ratio(x.warm, y.warm)]);
      }
    }
    const headers = ['source', 'figure', 'ours fresh', 'Python fresh', 'ratio', 'ours warm', 'Python warm', 'ratio'];
    const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells: string[]) => '  ' + cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
    console.log('');
    console.log(line(headers));
    console.log(line(widths.map((w) => '-'.repeat(w))));
    for (const r of rows) console.log(line(r));
    console.log('  ratio = ours / Python (below 1: we are faster); "compare 50, 8 at a time" is compared with Python\'s sequential figure.');
  } finally {
    await server?.stop();
    fs.rmSync(base, { recursive: true, force: true });
  }
}

/** `/api/2.0/mlflow/runs/log-batch` from a counted request line (`POST /api/…?q {body}`). */
function endpointOf(request: string): string {
  const [method, url] = request.split(' ');
  const p = (url ?? '').split('?')[0].replace(/^\/api\/2\.0\/mlflow\//, '').replace(/^\/api\/2\.0\/mlflow-artifacts\/artifacts\/.*/, 'mlflow-artifacts (upload/download)');
  return `${method} ${p}`;
}

function requestTable(requests: string[], runs: number): string {
  const counts = new Map<string, number>();
  for (const r of requests) counts.set(endpointOf(r), (counts.get(endpointOf(r)) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]).map(([e, n]) => `      ${e.padEnd(44)} ${String(n).padStart(7)}  (${(n / runs).toFixed(2)} a run)`).join('\n');
}

/**
 * `mlops push` and `mlops pull` against a real tracking server: BENCH_MLFLOW_PUSH_RUNS (1,000) runs ×
 * BENCH_MLFLOW_PUSH_METRICS (10) metrics × BENCH_MLFLOW_PUSH_STEPS (100) steps, one small artifact each, pushed (4 runs at
 * a time), pushed again (nothing to send), then pulled into a fresh workspace store; time and HTTP requests a run,
 * counted by a proxy in front of the server. Run alone with `npm run bench -- mlflow-push`.
 */
export async function mlflowSharingBench(): Promise<void> {
  const runs = Number(process.env.BENCH_MLFLOW_PUSH_RUNS ?? 1000);
  const metrics = Number(process.env.BENCH_MLFLOW_PUSH_METRICS ?? 10);
  const steps = Number(process.env.BENCH_MLFLOW_PUSH_STEPS ?? 100);
  console.log(`\nMLflow push and pull: ${runs.toLocaleString('en')} runs × ${metrics} metrics × ${steps} steps (+ one small artifact each) against a real tracking server (one worker, SQLite, proxied artifacts)`);
  const py = mlflowPython();
  if (!py) {
    console.log(`  MLflow is not available here, so this bench did not run: ${mlflowSkipReason()}`);
    return;
  }
  console.log(`  MLflow ${py.version}; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} on ${os.cpus().length} cores (other work on the machine slows the server: figures vary)`);
  const base = pythonDir();
  let server: MlflowServer | undefined;
  let proxy: CountingProxy | undefined;
  try {
    let t = now();
    const tracker = buildManyRuns(path.join(base, 'local'), runs, metrics, steps, 'bench-push');
    console.log(`  built the workspace store in ${fmtMs(now() - t)}`);
    server = await startMlflowServer({ dir: path.join(base, 'server') });
    proxy = await countingProxy(server.url);
    const writer = new MlflowServerWriter(proxy.url, { timeoutMs: 300_000 });
    try {
      t = now();
      const pushed = await push(tracker, writer, {});
      const pushMs = now() - t;
      if (pushed.runs.some((r) => r.action !== 'created' || r.sent.metrics !== metrics * steps)) throw new Error('push: not every run was created whole');
      console.log(`  push          ${fmtMs(pushMs).padStart(10)}  ${(pushMs / runs).toFixed(1)} ms a run, ${(proxy.requests.length / runs).toFixed(2)} requests a run (${proxy.requests.length} in all):`);
      console.log(requestTable(proxy.requests, runs));
      proxy.requests.length = 0;
      t = now();
      const again = await push(tracker, writer, {});
      const againMs = now() - t;
      if (again.runs.some((r) => r.action !== 'unchanged')) throw new Error('second push: runs not unchanged');
      console.log(`  push again    ${fmtMs(againMs).padStart(10)}  nothing to send: ${proxy.requests.length} request(s) in all`);
    } finally {
      await writer.close();
    }
    proxy.requests.length = 0;
    const fresh = Tracker.open(path.join(base, 'pulled', '.mlops'), { create: true });
    const source = new MlflowServerSource(proxy.url, { timeoutMs: 300_000 });
    try {
      t = now();
      const pulled = await pull(fresh, source, { experiment: 'bench-push' });
      const pullMs = now() - t;
      if (pulled.runs.length !== runs || pulled.runs.some((r) => r.added.metrics !== metrics * steps || r.added.artifacts !== 1)) throw new Error('pull: not every run came back whole');
      console.log(`  pull          ${fmtMs(pullMs).padStart(10)}  ${(pullMs / runs).toFixed(1)} ms a run, ${(proxy.requests.length / runs).toFixed(2)} requests a run (${proxy.requests.length} in all):`);
      console.log(requestTable(proxy.requests, runs));
      proxy.requests.length = 0;
      t = now();
      const repull = await pull(fresh, source, { experiment: 'bench-push' });
      if (repull.runs.some((r) => r.action !== 'unchanged')) throw new Error('second pull: runs not unchanged');
      console.log(`  pull again    ${fmtMs(now() - t).padStart(10)}  nothing new: ${(proxy.requests.length / runs).toFixed(2)} requests a run (every history is compared)`);
    } finally {
      await source.close();
    }
  } finally {
    await proxy?.close();
    await server?.stop();
    fs.rmSync(base, { recursive: true, force: true });
  }
}
