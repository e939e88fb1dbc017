/**
 * `mlops push` (dist/cli.js, spawned) into a real MLflow 2.12 tracking server, a file store and an SQLite store, each
 * checked with MLflow's own Python client (DUMP_PY): one MLflow run per workspace run, found by `mlops.run_id`, with
 * its name, status, times, params as text, every metric point (step, timestamp, value — NaN and ±Infinity included),
 * our tags plus MLflow's system tags and `mlops.env.*`, artifacts byte for byte; registered versions with stage,
 * aliases and the history tag. A second push sends nothing (counted by a proxy); new points, tags and artifacts are sent
 * alone; a param that changed is refused before any write; the errors are one line with the exit codes of the CLI.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { mlflowPython, skipUnlessMlflow } from '../mlflow/env';
import { countingProxy, freePort, runMlflowPython, startMlflowServer, type MlflowServer } from '../mlflow/server';
import { buildStore, DUMP_PY, dumpedHistory, expectedHistory, sha256, type BuiltStore, type Dump } from '../mlflow/sharing';
import { fails, ok } from './cli-mlflow-helpers';
import { tempDir } from './helpers';
import { sqliteCliAvailable } from '../../src/core/sources/mlflowSqlite/sqliteCli';
import { Tracker } from '../../src/core/tracking/tracker';

interface PushJson {
  target: string;
  runs: { localId: string; name: string; experiment: string; mlflowRunId: string; action: string; sent: { metrics: number; params: number; tags: number; artifacts: number } }[];
  versions: { model: string; version: number; mlflowVersion: number; action: string }[];
  skipped: unknown[];
}

const pushJson = async (dir: string, args: string[], env?: NodeJS.ProcessEnv): Promise<PushJson> => JSON.parse(await ok(['--store', path.join(dir, '.mlops'), 'push', ...args, '--json'], { cwd: dir, env })) as PushJson;

/** Every workspace run is exactly one MLflow run with everything the push sends. */
function checkRuns(dump: Dump, built: BuiltStore, opts: { sqlStore: boolean; artifacts: boolean }): void {
  const tracker = Tracker.open(built.root);
  const local = tracker.snapshot().runs;
  assert.equal(dump.runs.length, local.length, 'one MLflow run per workspace run');
  for (const run of local) {
    const found = dump.runs.filter((d) => d.tags['mlops.run_id'] === run.id);
    assert.equal(found.length, 1, `${run.name}: exactly one MLflow run`);
    const d = found[0];
    assert.equal(d.name, run.name);
    assert.equal(d.experiment, run.experimentName);
    assert.equal(d.status, { completed: 'FINISHED', failed: 'FAILED', cancelled: 'KILLED', running: 'RUNNING' }[run.effectiveStatus]);
    assert.equal(d.start_time, run.startTime);
    assert.equal(d.end_time, run.endTime);
    assert.deepEqual(d.params, Object.fromEntries(Object.entries(run.params).map(([k, v]) => [k, v === null ? 'None' : String(v)])));
    for (const [k, v] of Object.entries(run.tags)) assert.equal(d.tags[k], v, `${run.name}: tag ${k}`);
    assert.equal(d.tags['mlflow.runName'], run.name);
    assert.equal(d.tags['mlflow.source.type'], 'LOCAL');
    assert.match(d.tags['mlflow.source.name'], /^mlops-workbench/);
    assert.equal(d.tags['mlflow.user'], run.environment.user);
    assert.equal(d.tags['mlops.push.state'], 'complete');
    assert.equal(d.tags['mlops.env.node'], run.environment.nodeVersion);
    if (run.notes) assert.equal(d.tags['mlflow.note.content'], run.notes);
    if (run.environment.dataset) assert.equal(d.tags['mlops.env.dataset.sha256'], run.environment.dataset.sha256);
    const points = tracker.metricHistory(run.id);
    assert.deepEqual(Object.keys(d.history).sort(), [...new Set(points.map((p) => p.key))].sort());
    for (const key of Object.keys(d.history)) assert.deepEqual(dumpedHistory(d, key), expectedHistory(points, key, opts.sqlStore), `${run.name}: history of ${key}`);
    if (!opts.artifacts) continue;
    assert.deepEqual(Object.keys(d.artifacts).sort(), run.artifacts.map((a) => a.path).sort(), `${run.name}: artifacts`);
    for (const a of run.artifacts) assert.deepEqual(d.artifacts[a.path], { size: a.size, sha256: sha256(tracker.artifactPath(run.id, a.path)) });
  }
}

function checkVersions(dump: Dump, built: BuiltStore): void {
  const byLocal = new Map(dump.runs.map((d) => [d.tags['mlops.run_id'], d.run_id]));
  const model = built.registry.getModel('WaferModel');
  const mine = dump.versions.filter((v) => v.name === 'WaferModel');
  assert.equal(mine.length, model.versions.length, 'one MLflow version per workspace version');
  for (const v of model.versions) {
    const m = mine.find((x) => x.tags['mlops.version'] === `WaferModel/${v.version}`)!;
    assert.ok(m, `v${v.version} pushed`);
    assert.equal(m.stage, v.stage);
    assert.deepEqual(m.aliases, [...v.aliases].sort());
    assert.equal(m.run_id, byLocal.get(v.run.id));
    assert.match(m.source, new RegExp(`${m.run_id}/artifacts/model$`));
    const history = JSON.parse(m.tags['mlops.history']) as { action: string; user: string }[];
    assert.ok(history.some((h) => h.action === 'register') && history.every((h) => h.user === 'tester@example.com'), m.tags['mlops.history']);
  }
}

describe('mlops push to a real MLflow tracking server', { skip: skipUnlessMlflow() }, () => {
  let server: MlflowServer;
  let dir: string;
  let built: BuiltStore;

  before(async () => {
    server = await startMlflowServer();
    dir = tempDir('mlops-push-');
    built = buildStore(dir);
  });
  after(async () => {
    await server?.stop();
  });

  it('pushes every run (params, full histories, tags, environment, artifacts) and the registered versions; MLflow’s client reads them back', async () => {
    const first = await pushJson(dir, ['--to', server.url, '--models']);
    assert.deepEqual(first.runs.map((r) => r.action), ['created', 'created', 'created']);
    assert.deepEqual(first.versions.map((v) => [v.version, v.mlflowVersion, v.action]), [[1, 1, 'created'], [2, 2, 'created']]);
    const dump = await runMlflowPython<Dump>(DUMP_PY, [server.url]);
    checkRuns(dump, built, { sqlStore: true, artifacts: true });
    checkVersions(dump, built);
    const alpha = dump.runs.find((d) => d.name === 'alpha')!;
    assert.deepEqual(alpha.history.big.map((p) => p[2]), ['1.7976931348623157e+308', '-1.7976931348623157e+308'], '±Infinity as MLflow’s SQL store keeps it');
    assert.equal(alpha.history.rmse_val.at(-1)![2], 'nan');
    assert.equal(alpha.params.use_gpu, 'true');
    assert.equal(alpha.params.depth, 'None');
  });

  it('a second push sends nothing: one search per experiment and the registry reads, no write', async () => {
    const proxy = await countingProxy(server.url);
    try {
      const again = await pushJson(dir, ['--to', proxy.url, '--models']);
      assert.deepEqual(again.runs.map((r) => r.action), ['unchanged', 'unchanged', 'unchanged']);
      assert.deepEqual(again.versions.map((v) => v.action), ['unchanged', 'unchanged']);
      const writes = proxy.requests.filter((r) => /runs\/(create|log-batch|update|set-tag)|model-versions\/(create|set-tag|transition)|alias|^PUT/.test(r));
      assert.deepEqual(writes, []);
      assert.ok(proxy.requests.length <= 8, proxy.requests.join('\n'));
    } finally {
      await proxy.close();
    }
  });

  it('sends only what changed: new metric points, a changed tag, a new artifact, a stage move and an alias', async () => {
    const t = Tracker.open(built.root);
    const beta = t.attach(built.runs.beta.id);
    beta.logMetric('rmse_val', 3.0, 5, Date.UTC(2026, 0, 5, 10));
    beta.logMetric('rmse_val', 2.9, 6, Date.UTC(2026, 0, 5, 10, 1));
    beta.setTag('team', 'fab-β');
    beta.logArtifactBytes('extra/new.txt', 'new ✓\n');
    built.registry.transition('WaferModel', 2, 'Production', { archiveExisting: true });
    built.registry.setAlias('WaferModel', 'champion', 2);
    t.store.flush();
    const proxy = await countingProxy(server.url);
    try {
      const r = await pushJson(dir, ['--to', proxy.url, '--models']);
      assert.deepEqual(r.runs.map((x) => x.action), ['unchanged', 'updated', 'unchanged']);
      assert.deepEqual(r.runs[1].sent, { metrics: 2, params: 0, tags: 1, artifacts: 1 });
      assert.deepEqual(r.versions.map((v) => v.action), ['updated', 'updated']);
      const batches = proxy.requests.filter((x) => x.includes('runs/log-batch'));
      assert.ok(batches.some((b) => b.includes('"step":5') && b.includes('"step":6') && !b.includes('"step":4')), batches.join('\n'));
    } finally {
      await proxy.close();
    }
    const dump = await runMlflowPython<Dump>(DUMP_PY, [server.url]);
    checkRuns(dump, built, { sqlStore: true, artifacts: true });
    checkVersions(dump, built);
  });

  it('a param whose value changed here is refused before anything is written (exit 2, names the run and the key); MLflow keeps its value', async () => {
    const t = Tracker.open(built.root);
    const gamma = t.attach(built.runs['gamma ✓'].id);
    gamma.logParam('kind', 'tuned');
    const alpha = t.attach(built.runs.alpha.id);
    alpha.logMetric('late', 1, 0, Date.UTC(2026, 0, 6));
    const proxy = await countingProxy(server.url);
    try {
      const r = await fails(['--store', built.root, 'push', '--to', proxy.url], 2, /Run gamma ✓ \([0-9a-f]{32}\): param 'kind' is 'tuned' here but 'baseline' in MLflow run [0-9a-f]{32} at http:\/\/127\.0\.0\.1:\d+; MLflow params cannot change, so nothing was pushed/);
      assert.ok(r.err.includes(built.runs['gamma ✓'].id));
      assert.deepEqual(proxy.requests.filter((x) => !/^GET|runs\/search/.test(x)), [], 'no write at all');
    } finally {
      await proxy.close();
    }
    const dump = await runMlflowPython<Dump>(DUMP_PY, [server.url, '--no-artifacts']);
    assert.equal(dump.runs.find((d) => d.name === 'gamma ✓')!.params.kind, 'baseline');
    assert.equal(dump.runs.find((d) => d.name === 'alpha')!.history.late, undefined, 'the other run’s new point was not sent either');
    // Pushing the other runs alone works.
    const only = await pushJson(dir, ['--to', server.url, '--run', built.runs.alpha.id.slice(0, 8)]);
    assert.deepEqual(only.runs.map((x) => [x.name, x.action, x.sent.metrics]), [['alpha', 'updated', 1]]);
  });

  it('--experiment, --target-experiment and --run choose what goes where', async () => {
    const r = await pushJson(dir, ['--to', server.url, '--experiment', 'wafer-yield', '--target-experiment', 'wafer-copy']);
    assert.deepEqual(r.runs.map((x) => [x.name, x.experiment, x.action]), [['alpha', 'wafer-copy', 'created'], ['beta', 'wafer-copy', 'created']]);
    const dump = await runMlflowPython<Dump>(DUMP_PY, [server.url, '--no-artifacts']);
    assert.equal(dump.runs.filter((d) => d.experiment === 'wafer-copy').length, 2);
    assert.equal(dump.runs.filter((d) => d.experiment === 'wafer-yield').length, 2, 'the first copies are untouched');
  });

  it('errors are one line: a bad URI, an unknown run, an unreachable server, refused credentials (with the server’s message)', async () => {
    await fails(['--store', built.root, 'push', '--to', 's3://bucket/x'], 2, /s3:\/\/bucket\/x: unsupported target/);
    await fails(['--store', server.url, 'push', '--to', server.url], 2, /is an MLflow tracking server source: `mlops push` works on a workspace store \(\.mlops\) only/);
    await fails(['--store', built.root, 'push', '--to', server.url, '--run', 'abcdef12'], 2, /No run id starts with 'abcdef12' in /);
    const port = await freePort();
    await fails(['--store', built.root, 'push', '--to', `http://127.0.0.1:${port}`], 1, new RegExp(`MLflow server http://127\\.0\\.0\\.1:${port}/api/2\\.0/mlflow/experiments/get-by-name: unreachable \\(connection refused\\)`));
    const deny = http.createServer((_req, res) => res.writeHead(403, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error_code: 'PERMISSION_DENIED', message: 'Only the platform team may write here.' })));
    await new Promise<void>((r) => deny.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(deny.address() as net.AddressInfo).port}`;
      await fails(['--store', built.root, 'push', '--to', url], 1, /HTTP 403 PERMISSION_DENIED: Only the platform team may write here\./, { env: { MLFLOW_TRACKING_TOKEN: 'tok-secret-123' } });
    } finally {
      deny.closeAllConnections();
      deny.close();
    }
  });
});

/** The sqlite3 program writes mlflow.db; without it that test skips (and fails under MLOPS_REQUIRE_SQLITE3=1, set by .ci/run). */
function skipUnlessSqlite3(): false | string {
  if (sqliteCliAvailable()) return false;
  if (process.env.MLOPS_REQUIRE_SQLITE3 === '1') throw new Error('the sqlite3 program is required here (MLOPS_REQUIRE_SQLITE3=1) but is not on PATH (apt-get install sqlite3)');
  return 'the sqlite3 program (3.33 or later) is not on PATH: apt-get install sqlite3';
}

/** An mlflow.db created by MLflow itself (its schema at this version's alembic head). */
async function mlflowDb(dir: string): Promise<string> {
  const db = path.join(dir, 'mlflow.db');
  // MLflow makes ./mlruns (the Default experiment's artifacts) in the current folder: the database's folder here.
  await runMlflowPython(`import json, os, sys\nos.chdir(os.path.dirname(sys.argv[1]))\nfrom mlflow import MlflowClient\nMlflowClient("sqlite:///" + sys.argv[1]).search_experiments()\nprint(json.dumps(1))`, [db]);
  return db;
}

describe('mlops push to an MLflow file store (mlruns/) and SQLite store (mlflow.db)', { skip: skipUnlessMlflow() }, () => {
  it('mlruns/: created, every run and version written in MLflow’s layout, atomically; MLflow’s client reads it; a second push writes nothing', async () => {
    const dir = tempDir('mlops-push-file-');
    const built = buildStore(dir);
    const mlruns = path.join(dir, 'shared', 'mlruns');
    fs.mkdirSync(path.dirname(mlruns));
    const uri = `file://${mlruns}`;
    const first = await pushJson(dir, ['--to', uri, '--models']);
    assert.deepEqual(first.runs.map((r) => r.action), ['created', 'created', 'created']);
    const dump = await runMlflowPython<Dump>(DUMP_PY, [uri]);
    checkRuns(dump, built, { sqlStore: false, artifacts: true });
    checkVersions(dump, built);
    assert.deepEqual(dump.runs.find((d) => d.name === 'alpha')!.history.big.map((p) => p[2]), ['inf', '-inf'], 'the file store keeps infinities');
    const leftovers = (await listAll(mlruns)).filter((f) => /\.mlops-tmp-|\.tmp-/.test(f));
    assert.deepEqual(leftovers, [], 'no temporary file left');
    const before = await listAll(mlruns, true);
    const again = await pushJson(dir, ['--to', uri, '--models']);
    assert.deepEqual(again.runs.map((r) => r.action), ['unchanged', 'unchanged', 'unchanged']);
    assert.deepEqual(await listAll(mlruns, true), before, 'nothing rewritten');
    // Our own reader sees the same runs.
    const listed = JSON.parse(await ok(['--store', mlruns, 'runs', 'list', '--json'])) as { name: string; tags: Record<string, string> }[];
    assert.deepEqual(listed.map((r) => r.name).sort(), ['alpha', 'beta', 'gamma ✓']);
  });

  it('mlflow.db: rows as MLflow writes them (latest_metrics, registered versions too), while the Python client logs to the same database; refused with one line without sqlite3', { skip: skipUnlessSqlite3() }, async () => {
    const dir = tempDir('mlops-push-sqlite-');
    const built = buildStore(dir);
    const db = await mlflowDb(dir);
    const uri = `sqlite:///${db}`;
    const writer = spawnWriter(db, 150);
    const first = await pushJson(dir, ['--to', uri, '--models']);
    const py = await writer;
    assert.deepEqual(first.runs.map((r) => r.action), ['created', 'created', 'created']);
    assert.deepEqual(first.versions.map((v) => [v.mlflowVersion, v.action]), [[1, 'created'], [2, 'created']]);
    const dump = await runMlflowPython<Dump & { latest?: unknown }>(DUMP_PY, [uri]);
    checkRuns(dump, built, { sqlStore: true, artifacts: true });
    checkVersions(dump, built);
    const concurrent = await runMlflowPython<{ points: number; latest: number }>(`import json, sys\nfrom mlflow import MlflowClient\nc = MlflowClient(sys.argv[1])\nh = c.get_metric_history(sys.argv[2], "x")\nprint(json.dumps({"points": len(h), "latest": c.get_run(sys.argv[2]).data.metrics["x"]}))`, [uri, py.run_id]);
    assert.deepEqual(concurrent, { points: 150, latest: 149 }, 'the concurrent writer lost nothing');
    const latest = await runMlflowPython<Record<string, number | string>>(`import json, sys\nfrom mlflow import MlflowClient\nc = MlflowClient(sys.argv[1])\nr = [r for r in c.search_runs([e.experiment_id for e in c.search_experiments()]) if r.info.run_name == "alpha"][0]\nprint(json.dumps({k: repr(v) for k, v in r.data.metrics.items()}))`, [uri]);
    assert.deepEqual(latest, { rmse_val: 'nan', loss: repr(1 / 60), big: '-1.7976931348623157e+308' }, 'latest_metrics as MLflow computes it: the largest (step, timestamp, value)');
    const again = await pushJson(dir, ['--to', uri, '--models']);
    assert.deepEqual(again.runs.map((r) => r.action), ['unchanged', 'unchanged', 'unchanged']);
    assert.deepEqual(again.versions.map((v) => v.action), ['unchanged', 'unchanged']);
    await fails(['--store', built.root, 'push', '--to', uri], 2, /writing to an mlflow\.db needs the sqlite3 program.*install it \(Debian: apt-get install sqlite3\) or push to a tracking server/, { env: { MLOPS_SQLITE3: '/nonexistent/sqlite3' } });
  });
});

function repr(v: number): string {
  return String(v);
}

/** Everything under dir (with sizes and times when `stat`). */
async function listAll(dir: string, stat = false): Promise<string[]> {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(stat ? `${path.relative(dir, p)} ${fs.statSync(p).size} ${fs.statSync(p).mtimeMs}` : path.relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

/** The real Python client logging `n` points to a run of its own in the same mlflow.db, one commit each. */
function spawnWriter(db: string, n: number): Promise<{ run_id: string }> {
  const py = mlflowPython()!;
  const script = `import json, os, sys, time\nos.chdir(os.path.dirname(sys.argv[1]))\nfrom mlflow import MlflowClient\nc = MlflowClient("sqlite:///" + sys.argv[1])\ne = c.create_experiment("concurrent")\nr = c.create_run(e)\nfor i in range(int(sys.argv[2])):\n    c.log_metric(r.info.run_id, "x", float(i), step=i)\nc.set_terminated(r.info.run_id)\nprint(json.dumps({"run_id": r.info.run_id}))`;
  return new Promise((resolve, reject) => {
    const child = spawn(py.python, ['-c', script, db, String(n)], { env: { ...py.env, PYTHONWARNINGS: 'ignore' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!) as { run_id: string }) : reject(new Error(err.slice(-2000)))));
  });
}
