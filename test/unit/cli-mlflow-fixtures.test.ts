/**
 * The `mlops` CLI (dist/cli.js, spawned) on the shared MLflow fixtures written by the real MLflow 2.12 and 3.9 clients
 * (file store `mlruns/` and SQLite store `mlflow.db`), checked against their expected-*.json: runs list/show/best,
 * experiments, models, predict, the URI forms and the environment; every write command refused; nothing written to
 * the fixtures (the test checks that their folder is unchanged). Also: `runs show --json` has metricHistory on the
 * workspace store. The tracking server: cli-mlflow-server.test.ts.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { type ExpectedRun, fixtureDir, skipUnlessFixtures } from '../mlflow/env';
import { fails, json, mlops, ok, REGISTRY_WRITE_COMMANDS, treeState, WORKSPACE_RUN_KEYS, WRITE_COMMANDS, type RunJson } from './cli-mlflow-helpers';
import { tempDir } from './helpers';


interface Expected {
  experiments: string[];
  runs: ExpectedRun[];
  deleted_run_id: string;
  models: Record<string, { description: string; versions: Record<string, { stage: string; run_id: string; aliases: string[] }> }>;
}

for (const version of ['2.12', '3.9'] as const) {
  for (const kind of ['mlruns', 'mlflow.db'] as const) {
    describe(`mlops CLI on the MLflow ${version} fixture's ${kind}`, { skip: skipUnlessFixtures() }, () => {
      const dir = fixtureDir(version)!;
      const store = dir && path.join(dir, kind);
      const expected: Expected = dir && JSON.parse(fs.readFileSync(path.join(dir, kind === 'mlruns' ? 'expected-filestore.json' : 'expected-sqlite.json'), 'utf8'));
      let before: string;
      const S = () => ['--store', store];

      it('runs list --json: every run as logged (params as strings, latest metrics, tags, statuses, nested run), deleted run absent', async () => {
        before = treeState(dir);
        const runs = await json<RunJson[]>([...S(), 'runs', 'list']);
        assert.deepEqual(runs.map((r) => r.id).sort(), expected.runs.map((r) => r.run_id).sort());
        assert.ok(!runs.some((r) => r.id === expected.deleted_run_id));
        for (const r of runs) {
          const e = expected.runs.find((x) => x.run_id === r.id)!;
          for (const k of WORKSPACE_RUN_KEYS) assert.ok(k in r, `${e.name}: key ${k}`);
          assert.equal(r.name, e.name);
          assert.equal(r.experiment, e.experiment);
          assert.deepEqual(r.params, e.params, `${e.name} params`);
          assert.deepEqual(r.metrics, e.metrics, `${e.name} metrics`);
          for (const [k, v] of Object.entries(e.tags ?? {})) assert.equal(r.tags[k], v, `${e.name} tag ${k}`);
          assert.equal(r.sourceStatus, e.status);
          assert.equal(r.status, { FINISHED: 'completed', FAILED: 'failed', KILLED: 'cancelled', RUNNING: 'running' }[e.status]);
          assert.equal(r.parentRunId, e.parent_run_id ?? null);
          assert.equal(r.environment, null);
          assert.equal(r.artifacts, null, 'not read by a list');
        }
        // Newest first, as for the workspace store; filter, order and limit as there.
        const starts = runs.map((r) => Date.parse((r as unknown as { startTime: string }).startTime));
        assert.deepEqual(starts, [...starts].sort((a, b) => b - a));
        const filtered = await json<RunJson[]>([...S(), 'runs', 'list', '--filter', "metrics.rmse_val < 3 and params.n_estimators = '200'", '--order-by', 'metrics.rmse_val']);
        const want = expected.runs.filter((r) => r.metrics.rmse_val < 3 && r.params.n_estimators === '200').sort((a, b) => a.metrics.rmse_val - b.metrics.rmse_val);
        assert.deepEqual(filtered.map((r) => r.name), want.map((r) => r.name));
        assert.ok(want.length > 0);
        const limited = await json<RunJson[]>([...S(), 'runs', 'list', '--order-by', 'metrics.rmse_val', '--desc', '--limit', '2', '--experiment', 'wafer-yield']);
        const withRmse = expected.runs.filter((r) => r.experiment === 'wafer-yield' && r.metrics.rmse_val !== undefined).sort((a, b) => b.metrics.rmse_val - a.metrics.rmse_val);
        assert.deepEqual(limited.map((r) => r.name), withRmse.slice(0, 2).map((r) => r.name));
        const other = await json<RunJson[]>([...S(), 'runs', 'list', '--experiment', 'données-été ✓']);
        assert.deepEqual(other.map((r) => r.name), expected.runs.filter((r) => r.experiment === 'données-été ✓').map((r) => r.name));
        // runs trash: MLflow's deleted runs, in the workspace's shape.
        const trash = await json<{ id: string; name: string; experimentId: string; startTime: number }[]>([...S(), 'runs', 'trash']);
        assert.deepEqual(trash.map((r) => r.id), [expected.deleted_run_id]);
        assert.deepEqual(Object.keys(trash[0]), ['id', 'name', 'experimentId', 'startTime']);
        const human = await ok([...S(), 'runs', 'list']);
        assert.match(human, /rmse_val/);
        assert.match(human, /rf-00/);
      });

      it('runs show --json: metricHistory of every metric (the logged rmse_val steps), by full id and by prefix; artifacts listed', async () => {
        for (const e of expected.runs.filter((r) => r.rmse_val_history)) {
          const r = await json<RunJson>([...S(), 'runs', 'show', e.run_id]);
          assert.equal(r.name, e.name);
          assert.deepEqual(Object.keys(r.metricHistory!).sort(), Object.keys(e.metrics).sort());
          assert.deepEqual(r.metricHistory!.rmse_val.map((p) => [p.step, p.value]), e.rmse_val_history);
          for (const p of r.metricHistory!.rmse_val) assert.ok(Number.isInteger(p.timestamp) && p.timestamp > 1.6e12);
          assert.ok(Array.isArray(r.artifacts) && r.artifacts.some((a) => a.path === 'notes/readme.txt'), JSON.stringify(r.artifacts));
        }
        const child = expected.runs.find((r) => r.parent_run_id)!;
        const byPrefix = await json<RunJson>([...S(), 'runs', 'show', child.run_id.slice(0, 8)]);
        assert.equal(byPrefix.id, child.run_id);
        assert.equal(byPrefix.parentRunId, child.parent_run_id);
        assert.match(await ok([...S(), 'runs', 'show', child.run_id]), /Parent run: /);
        await fails([...S(), 'runs', 'show', 'ffffffff'], 2, /No run id starts with 'ffffffff'/);
        await fails([...S(), 'runs', 'show', '../etc'], 2, /Invalid run id/);
        // A bad filter: the workspace store's message, with its pointer under the position.
        const bad = await mlops([...S(), 'runs', 'list', '--filter', 'metrics.rmse_val <']);
        assert.equal(bad.code, 2);
        assert.match(bad.err, /^mlops: Invalid filter: .* at position 19\nmetrics\.rmse_val <\n {18}\^/);
      });

      it('runs best and experiments list', async () => {
        const best = await json<RunJson>([...S(), 'runs', 'best', '--metric', 'rmse_val']);
        const min = expected.runs.filter((r) => r.metrics.rmse_val !== undefined).reduce((a, b) => (b.metrics.rmse_val < a.metrics.rmse_val ? b : a));
        assert.equal(best.id, min.run_id);
        const bestR2 = await json<RunJson>([...S(), 'runs', 'best', '--metric', 'r2_test', '--max', '--filter', "params.max_depth != '5'"]);
        const maxR2 = expected.runs.filter((r) => r.metrics.r2_test !== undefined && r.params.max_depth !== '5').reduce((a, b) => (b.metrics.r2_test > a.metrics.r2_test ? b : a));
        assert.equal(bestR2.id, maxR2.run_id);
        await fails([...S(), 'runs', 'best', '--metric', 'nope'], 2, /No run has a value for metric 'nope'/);
        const exps = await json<{ id: string; name: string; runs: number; lastRun: string | null; createdAt: string | null; primaryMetric: null }[]>([...S(), 'experiments', 'list']);
        for (const name of expected.experiments) {
          const e = exps.find((x) => x.name === name);
          assert.ok(e, name);
          assert.equal(e.runs, expected.runs.filter((r) => r.experiment === name).length, name);
          assert.ok(e.lastRun && Date.parse(e.lastRun) > 0);
          assert.deepEqual(Object.keys(e).sort(), ['createdAt', 'id', 'lastRun', 'name', 'primaryMetric', 'runs']);
        }
        await fails([...S(), 'runs', 'list', '--experiment', 'nope'], 2, /No experiment named 'nope'/);
      });

      it('models list, show, at (now only: no audit trail here) and history (none yet), and predict (MLflow flavours: a clear refusal)', async () => {
        const list = await json<{ name: string; versions: number; aliases: Record<string, number>; production: number[]; staging: number[]; latest: number }[]>([...S(), 'models', 'list']);
        const model = expected.models.YieldPredictor;
        const versions = Object.entries(model.versions);
        assert.deepEqual(list.map((m) => m.name), ['YieldPredictor']);
        assert.deepEqual(Object.keys(list[0]), ['name', 'versions', 'aliases', 'production', 'staging', 'latest']);
        assert.equal(list[0].versions, versions.length);
        assert.deepEqual(list[0].production, versions.filter(([, v]) => v.stage === 'Production').map(([n]) => Number(n)));
        assert.deepEqual(list[0].staging, versions.filter(([, v]) => v.stage === 'Staging').map(([n]) => Number(n)));
        assert.equal(list[0].latest, Math.max(...versions.map(([n]) => Number(n))));
        assert.deepEqual(Object.entries(list[0].aliases).sort(), versions.flatMap(([n, v]) => v.aliases.map((a) => [a, Number(n)])).sort());
        const show = await json<{ name: string; description: string; versions: { version: number; stage: string; aliases: string[]; runId: string; runName: string; uri: string; modelSha256: null; stageSince: null; params: Record<string, string> }[] }>([...S(), 'models', 'show', 'YieldPredictor']);
        assert.equal(show.description, model.description);
        assert.deepEqual(show.versions.map((v) => [String(v.version), v.stage, v.runId, [...v.aliases].sort()]), versions.map(([n, v]) => [n, v.stage, v.run_id, [...v.aliases].sort()]));
        for (const v of show.versions) {
          assert.equal(v.runName, expected.runs.find((r) => r.run_id === v.runId)!.name);
          assert.deepEqual(v.params, expected.runs.find((r) => r.run_id === v.runId)!.params);
          assert.equal(v.uri, `models:/YieldPredictor/${v.version}`);
          assert.equal(v.modelSha256, null);
          assert.equal(v.stageSince, null);
        }
        const prod = versions.find(([, v]) => v.stage === 'Production')![0];
        const at = await json<{ versions: { version: number }[]; note: string }>([...S(), 'models', 'at', 'YieldPredictor', '--time', 'now']);
        assert.deepEqual(at.versions.map((v) => v.version), [Number(prod)]);
        assert.match(at.note, /mlflow\/mlflow#2169/);
        const champion = await json<{ versions: { version: number }[] }>([...S(), 'models', 'at', 'YieldPredictor', '--time', new Date(Date.now() + 3_600_000).toISOString(), '--alias', 'champion']);
        assert.deepEqual(champion.versions.map((v) => v.version), [Number(versions.find(([, v]) => v.aliases.includes('champion'))![0])]);
        await fails([...S(), 'models', 'at', 'YieldPredictor', '--time', '2025-01-01T00:00:00Z'], 2, /keeps no registry history \(mlflow\/mlflow#2169\).*only for now/);
        const history = await ok([...S(), 'models', 'history', 'YieldPredictor']);
        assert.match(history, /No complete trail of YieldPredictor on .* yet: MLflow keeps no registry history \(mlflow\/mlflow#2169\)/);
        await fails([...S(), 'models', 'show', 'Nope'], 2, /No registered model named 'Nope'\. Registered models: YieldPredictor\./);
        await fails([...S(), 'predict', '--model', 'models:/YieldPredictor/Production', '--data', 'x.csv', '--out', 'y.csv'], 2, /YieldPredictor v\d \(models:\/YieldPredictor\/Production\) is an MLflow model with flavour python_function \(loader mlflow\.pyfunc\.model\): `mlops predict` cannot load MLflow flavours/);
        await fails([...S(), 'predict', '--model', 'models:/YieldPredictor@ghost', '--data', 'x.csv', '--out', 'y.csv'], 2, /has no alias 'ghost'/);
      });

      it('every writing command is refused before any work (exit 2, one line; the registry commands with the reason); nothing in the fixture changed', async () => {
        const word = kind === 'mlruns' ? 'mlruns' : 'SQLite';
        for (const args of WRITE_COMMANDS) {
          const r = await fails([...S(), ...args], 2, new RegExp(`is an MLflow ${word} source: read-only in this version`));
          assert.ok(r.ms < 20_000);
        }
        const storeWord = kind === 'mlruns' ? 'mlruns folder' : 'SQLite store';
        const why = kind === 'mlruns' ? /file store takes no locks at all/ : /SQLite's POSIX \(fcntl\) locks, which this Node process cannot take/;
        for (const args of REGISTRY_WRITE_COMMANDS) {
          const r = await fails([...S(), ...args], 2, new RegExp(`is an MLflow ${storeWord}: the workbench changes an MLflow registry only through a tracking server`));
          assert.match(r.err, why);
          assert.match(r.err, /Serve it with `mlflow server --backend-store-uri .*` and use --store http:\/\/HOST:PORT\./);
        }
        await fails([...S(), 'init'], 2, /read-only in this version/);
        await fails([...S(), 'pipeline', 'list'], 2, /works on a workspace store \(\.mlops\) only/);
        await fails([...S(), 'store', 'check'], 2, /works on a workspace store \(\.mlops\) only/);
        // drift --no-save without a model needs no store: it runs (and fails on its missing files, not on the store).
        await fails([...S(), 'drift', '--reference', 'a.csv', '--current', 'b.csv', '--no-save'], 2, /a\.csv/);
        await fails([...S(), 'drift', '--reference', 'a.csv', '--current', 'b.csv', '--no-save', '--model', 'models:/YieldPredictor/1'], 2, /is an MLflow model with flavour python_function/);
        assert.equal(treeState(dir), before, 'the fixture is unchanged');
      });

      it(`the URI forms, $MLOPS_STORE and $MLFLOW_TRACKING_URI name the same ${kind}`, async () => {
        const uri = kind === 'mlruns' ? `file://${store}` : `sqlite:///${store}`;
        const ids = (runs: RunJson[]) => runs.map((r) => r.id).sort();
        const want = expected.runs.map((r) => r.run_id).sort();
        assert.deepEqual(ids(await json<RunJson[]>(['--store', uri, 'runs', 'list'])), want);
        assert.deepEqual(ids(await json<RunJson[]>(['runs', 'list'], { env: { MLOPS_STORE: store } })), want);
        assert.deepEqual(ids(await json<RunJson[]>(['runs', 'list'], { env: { MLFLOW_TRACKING_URI: uri } })), want);
        // A workspace store found upward wins over $MLFLOW_TRACKING_URI.
        const ws = tempDir('mlops-cli-mlflow-ws-');
        await ok(['init', ws]);
        await ok(['runs', 'create', '-n', 'local-run', '-m', 'loss=0.5@0', '-m', 'loss=0.25@1'], { cwd: ws });
        const local = await json<RunJson[]>(['runs', 'list'], { cwd: ws, env: { MLFLOW_TRACKING_URI: uri } });
        assert.deepEqual(local.map((r) => r.name), ['local-run']);
      });
    });
  }
}

describe('mlops CLI on the workspace store: runs show --json has metricHistory too', () => {
  it('groups the logged points by key, in step order, next to the unchanged fields', async () => {
    const ws = tempDir('mlops-cli-history-');
    await ok(['init', ws]);
    const id = (await ok(['runs', 'create', '-n', 'h', '-m', 'loss=0.5@0', '-m', 'loss=0.25@1', '-m', 'loss=0.125@2', '-m', 'acc=0.9', '-p', 'depth=3'], { cwd: ws })).trim();
    const r = await json<RunJson & { history?: unknown[] }>(['runs', 'show', id], { cwd: ws });
    assert.deepEqual(Object.keys(r.metricHistory!), ['acc', 'loss']);
    assert.deepEqual(r.metricHistory!.loss.map((p) => [p.step, p.value]), [[0, 0.5], [1, 0.25], [2, 0.125]]);
    assert.deepEqual(Object.keys(r.metricHistory!.loss[0]).sort(), ['step', 'timestamp', 'value']);
    assert.equal(r.params.depth, 3, 'workspace params stay typed');
    assert.ok(r.environment && typeof r.environment === 'object');
    assert.equal(r.history, undefined);
    const withFlat = await json<{ history: { key: string }[] }>(['runs', 'show', id, '--history'], { cwd: ws });
    assert.equal(withFlat.history.length, 4);
    for (const k of WORKSPACE_RUN_KEYS) assert.ok(k in r, k);
  });

  it('a --store path that only looks like a URI (a:b) is still a workspace store folder, created by a write', async () => {
    const cwd = tempDir('mlops-cli-colon-');
    await ok(['--store', 'a:b', 'runs', 'create', '-n', 'colon'], { cwd });
    assert.ok(fs.existsSync(path.join(cwd, 'a:b', 'store.json')));
    assert.deepEqual((await json<RunJson[]>(['--store', 'a:b', 'runs', 'list'], { cwd })).map((r) => r.name), ['colon']);
  });
});

