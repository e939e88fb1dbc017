/**
 * `mlops pull` (dist/cli.js, spawned) into fresh workspace stores, checked through our own CLI reading the workspace
 * store (`runs list/show --json`, `models show --json`): the shared MLflow 2.12 and 3.9 fixtures (mlruns/ and mlflow.db)
 * against their expected-*.json, and a real tracking server seeded by the Python client (a 30,000-point history, NaN,
 * unicode, artifacts). A second pull changes no file; points the Python client logs later are added alone; a run we
 * pushed comes back to the same workspace run; a failed or killed pull leaves a store that checks clean and a re-pull
 * completes.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixtureDir, skipUnlessFixtures, skipUnlessMlflow } from '../mlflow/env';
import { SEED_PY } from '../mlflow/seed';
import { freePort, runMlflowPython, startMlflowServer, type MlflowServer } from '../mlflow/server';
import { buildStore } from '../mlflow/sharing';
import { fails, json, mlops, ok, treeState, type RunJson } from './cli-mlflow-helpers';
import { CLI, tempDir } from './helpers';
import { Registry } from '../../src/core/registry/registry';
import { Tracker } from '../../src/core/tracking/tracker';

interface PullJson {
  source: string;
  runs: { mlflowRunId: string; localId: string; name: string; experiment: string; action: string; added: { metrics: number; params: number; tags: number; artifacts: number } }[];
  versions: { model: string; mlflowVersion: number; version: number; action: string }[];
  skipped: { id: string; reason: string }[];
}

interface Expected {
  experiments: string[];
  runs: { name: string; run_id: string; params: Record<string, string>; metrics: Record<string, number>; rmse_val_history?: [number, number][]; tags?: Record<string, string>; status: string; experiment: string; parent_run_id?: string }[];
  deleted_run_id: string;
  models: Record<string, { description: string; versions: Record<string, { stage: string; run_id: string; aliases: string[] }> }>;
}

interface ModelJson {
  description: string;
  aliases: Record<string, number>;
  versions: { version: number; stage: string; aliases: string[]; runId: string; tags: Record<string, string> }[];
}

const pullJson = async (cwd: string, args: string[]): Promise<PullJson> => JSON.parse(await ok(['pull', ...args, '--json'], { cwd })) as PullJson;
const STATUS: Record<string, string> = { FINISHED: 'completed', FAILED: 'failed', KILLED: 'cancelled', RUNNING: 'running' };

for (const version of ['2.12', '3.9'] as const) {
  for (const kind of ['mlruns', 'mlflow.db'] as const) {
    describe(`mlops pull from the MLflow ${version} fixture's ${kind}`, { skip: skipUnlessFixtures() }, () => {
      it('every run as expected-*.json says (through our CLI on the workspace store), the registry with stages and aliases; a re-pull changes nothing', async () => {
        const dir = fixtureDir(version)!;
        const expected = JSON.parse(fs.readFileSync(path.join(dir, kind === 'mlruns' ? 'expected-filestore.json' : 'expected-sqlite.json'), 'utf8')) as Expected;
        const fixtureBefore = treeState(dir);
        const cwd = tempDir('mlops-pull-fixture-');
        const first = await pullJson(cwd, ['--from', path.join(dir, kind), '--models']);
        assert.deepEqual(first.runs.map((r) => r.mlflowRunId).sort(), expected.runs.map((r) => r.run_id).sort(), 'every active run, the deleted one left out');
        assert.ok(first.runs.every((r) => r.action === 'created'));
        const runs = await json<RunJson[]>(['runs', 'list'], { cwd });
        assert.equal(runs.length, expected.runs.length);
        for (const e of expected.runs) {
          const r = runs.find((x) => x.tags['mlflow.run_id'] === e.run_id)!;
          assert.ok(r, `${e.name} pulled`);
          assert.equal(r.name, e.name);
          assert.equal(r.experiment, e.experiment);
          assert.deepEqual(r.params, e.params, `${e.name}: params as text`);
          assert.deepEqual(r.metrics, e.metrics, `${e.name}: latest metrics`);
          for (const [k, v] of Object.entries(e.tags ?? {})) assert.equal(r.tags[k], v);
          assert.equal(r.status, STATUS[e.status]);
          assert.equal(r.tags['mlflow.parentRunId'], e.parent_run_id);
          assert.equal(r.tags['mlops.pull.state'], undefined, 'complete');
          if (e.rmse_val_history) {
            const shown = await json<RunJson>(['runs', 'show', r.id], { cwd });
            assert.deepEqual(shown.metricHistory!.rmse_val.map((p) => [p.step, p.value]), e.rmse_val_history, `${e.name}: the history with its steps`);
            assert.ok(shown.metricHistory!.rmse_val.every((p) => p.timestamp > 1.7e12), 'timestamps kept');
            assert.ok((shown.artifacts ?? []).some((a) => a.path === 'notes/readme.txt'), `${e.name}: artifacts copied`);
          }
        }
        const model = await json<ModelJson>(['models', 'show', 'YieldPredictor'], { cwd });
        const want = expected.models.YieldPredictor;
        assert.equal(model.description, want.description);
        assert.deepEqual(model.versions.map((v) => [v.version, v.stage, v.aliases]), Object.entries(want.versions).map(([n, v]) => [Number(n), v.stage, v.aliases]));
        for (const v of model.versions) assert.equal(runs.find((r) => r.id === v.runId)!.tags['mlflow.run_id'], want.versions[String(v.version)].run_id);
        assert.deepEqual(model.aliases, { champion: 2, challenger: 3 });
        const storeBefore = treeState(path.join(cwd, '.mlops'));
        const again = await pullJson(cwd, ['--from', path.join(dir, kind), '--models']);
        assert.ok(again.runs.every((r) => r.action === 'unchanged') && again.versions.every((v) => v.action === 'unchanged'), JSON.stringify(again));
        assert.equal(treeState(path.join(cwd, '.mlops')), storeBefore, 'a second pull writes nothing');
        assert.equal(treeState(dir), fixtureBefore, 'the fixture is untouched');
        await ok(['store', 'check'], { cwd });
      });
    });
  }
}

interface Seed {
  runs: Record<string, string>;
  longHistory: number;
  png: number[];
}

describe('mlops pull from a real MLflow tracking server', { skip: skipUnlessMlflow() }, () => {
  let server: MlflowServer;
  let seed: Seed;

  before(async () => {
    server = await startMlflowServer();
    seed = await runMlflowPython<Seed>(SEED_PY, [server.url, server.dir]);
  });
  after(async () => {
    await server?.stop();
  });

  it('pulls runs with full histories (30,000 points), NaN, unicode and artifacts; --experiment and --filter choose; points logged later are added alone', async () => {
    const cwd = tempDir('mlops-pull-server-');
    const some = await pullJson(cwd, ['--from', server.url, '--experiment', 'wafer-yield', '--filter', "metrics.rmse_val < 3.5 and name != 'child'"]);
    assert.deepEqual(some.runs.map((r) => r.name).sort(), ['sweep-1', 'sweep-2']);
    const all = await pullJson(cwd, ['--from', server.url, '--experiment', 'wafer-yield']);
    assert.equal(all.runs.filter((r) => r.action === 'created').length, all.runs.length - 2, 'the two pulled before are not pulled twice');
    const s1 = await json<RunJson>(['runs', 'show', all.runs.find((r) => r.name === 'sweep-1')!.localId], { cwd });
    assert.deepEqual(s1.params, { max_depth: '10', learning_rate: '0.1', 'model type': 'random forest' });
    assert.deepEqual(s1.metricHistory!.rmse_val.map((p) => p.value), [3.5, 3.1, 2.9, 2.75]);
    assert.deepEqual(s1.metricHistory!.nan_metric.map((p) => p.value), [null], 'NaN (null in JSON)');
    assert.equal(s1.tags.unicode, 'données été ✓ 🚀 日本語');
    const t = Tracker.open(path.join(cwd, '.mlops'));
    assert.deepEqual([...fs.readFileSync(t.artifactPath(s1.id, 'plots/plot.png'))], seed.png, 'the PNG byte for byte');
    const long = await json<RunJson>(['runs', 'show', all.runs.find((r) => r.name === 'long-history')!.localId], { cwd });
    assert.equal(long.metricHistory!.loss.length, seed.longHistory);
    assert.deepEqual(long.metricHistory!.loss.slice(0, 3).map((p) => [p.step, p.timestamp]), [[0, 1700000000000], [1, 1700000000001], [2, 1700000000002]]);
    assert.equal(all.runs.find((r) => r.name === 'running-run')!.action, 'created');
    assert.equal((await json<RunJson & { notes: string }>(['runs', 'show', all.runs.find((r) => r.name === 'running-run')!.localId], { cwd })).notes, 'still going');

    await runMlflowPython(`import json, sys\nfrom mlflow import MlflowClient\nc = MlflowClient(sys.argv[1])\nc.log_metric(sys.argv[2], "rmse_val", 2.5, step=4, timestamp=1800000000000)\nc.set_tag(sys.argv[2], "reviewed", "yes")\nprint(json.dumps(1))`, [server.url, seed.runs['sweep-1']]);
    const again = await pullJson(cwd, ['--from', server.url, '--experiment', 'wafer-yield']);
    const changed = again.runs.filter((r) => r.action !== 'unchanged');
    assert.deepEqual(changed.map((r) => [r.name, r.action, r.added.metrics, r.added.tags]), [['sweep-1', 'updated', 1, 1]]);
    const s1b = await json<RunJson>(['runs', 'show', s1.id], { cwd });
    assert.deepEqual(s1b.metricHistory!.rmse_val.map((p) => [p.step, p.value]), [[0, 3.5], [1, 3.1], [2, 2.9], [3, 2.75], [4, 2.5]], 'no duplicate point');
    assert.equal(s1b.metrics.rmse_val, 2.5);
    assert.equal(s1b.tags.reviewed, 'yes');
    await ok(['store', 'check'], { cwd });
  });

  it('--models: MLflow versions become registry versions of the pulled run, with stage and aliases; a name the registry cannot hold is skipped with why', async () => {
    const cwd = tempDir('mlops-pull-models-');
    await runMlflowPython(`import json, sys\nfrom mlflow import MlflowClient\nc = MlflowClient(sys.argv[1])\nc.create_registered_model("modèle ✓")\nc.create_model_version("modèle ✓", "runs:/" + sys.argv[2] + "/model", run_id=sys.argv[2])\nprint(json.dumps(1))`, [server.url, seed.runs['sweep-1']]);
    const r = await pullJson(cwd, ['--from', server.url, '--experiment', 'wafer-yield', '--models']);
    assert.deepEqual(r.versions.map((v) => [v.mlflowVersion, v.version, v.action]), [[1, 1, 'created'], [2, 2, 'created'], [3, 3, 'created']]);
    assert.match(r.skipped.find((x) => x.id === 'modèle ✓/1')!.reason, /Invalid model name 'modèle ✓'/);
    const model = await json<ModelJson>(['models', 'show', 'YieldPredictor'], { cwd });
    assert.deepEqual(model.versions.map((v) => [v.version, v.stage, v.aliases]), [[1, 'Archived', []], [2, 'Production', ['champion']], [3, 'Staging', ['challenger']]]);
    assert.equal(model.versions[1].tags.validated, 'yes ✓');
    assert.equal(model.versions[1].tags['mlflow.model_version'], 'YieldPredictor/2');
    const sweep = r.runs.find((x) => x.name === 'sweep-1')!.localId;
    assert.ok(model.versions.every((v) => v.runId === sweep));
    const history = await json<{ action: string; source?: string }[]>(['models', 'history', 'YieldPredictor'], { cwd });
    assert.ok(history.length >= 6, 'registrations, stage moves and aliases are in the registry history');
    fs.writeFileSync(path.join(cwd, 'x.csv'), 'a,b\n1,2\n');
    await fails(['predict', '--model', 'models:/YieldPredictor/2', '--data', 'x.csv', '--out', 'y.csv'], 2, /YieldPredictor v2 is an MLflow model pulled from MLflow/, { cwd });
    const copy = new Registry(Tracker.open(path.join(cwd, '.mlops')).store).getModel('YieldPredictor').versions[1];
    assert.equal(copy.format, 'mlflow');
    const again = await pullJson(cwd, ['--from', server.url, '--experiment', 'wafer-yield', '--models']);
    assert.ok(again.versions.every((v) => v.action === 'unchanged'));
    await ok(['store', 'check'], { cwd });
  });

  it('round trip: pushed runs pulled into a fresh store keep params, histories and the environment; pulled back into the pushing store they are the same runs, unchanged', async () => {
    const home = tempDir('mlops-pull-roundtrip-');
    const built = buildStore(home);
    await ok(['--store', built.root, 'push', '--to', server.url, '--models']);
    const cwd = tempDir('mlops-pull-fresh-');
    const r = await pullJson(cwd, ['--from', server.url, '--experiment', 'wafer-yield', '--models']);
    const alphaId = r.runs.find((x) => x.name === 'alpha')!.localId;
    const t = Tracker.open(path.join(cwd, '.mlops'));
    const alpha = t.getRun(alphaId);
    const orig = built.runs.alpha;
    assert.deepEqual(alpha.params, { n_estimators: '200', lr: '0.1', use_gpu: 'true', depth: 'None', criterion: 'squared_error' });
    assert.equal(alpha.environment.dataset?.sha256, orig.environment.dataset?.sha256);
    assert.deepEqual(alpha.environment.libraries, orig.environment.libraries);
    assert.equal(alpha.environment.seed, 7);
    assert.equal(alpha.notes, orig.notes);
    assert.equal(alpha.tags.team, 'fab ✓');
    const key = (p: { key: string; step: number; timestamp: number; value: number }) => `${p.key} ${p.step} ${p.timestamp} ${Number.isFinite(p.value) || Number.isNaN(p.value) ? p.value : Math.sign(p.value) * Number.MAX_VALUE}`;
    assert.deepEqual(t.metricHistory(alphaId).map(key).sort(), built.tracker.metricHistory(orig.id).map(key).sort());
    const model = await json<ModelJson>(['models', 'show', 'WaferModel'], { cwd });
    assert.deepEqual(model.versions.map((v) => [v.version, v.stage, v.aliases]), [[1, 'Production', ['champion']], [2, 'Staging', ['challenger']]]);
    const copies = new Registry(t.store).getModel('WaferModel').versions;
    assert.deepEqual(copies.map((v) => [v.format, v.modelSha256]), built.registry.getModel('WaferModel').versions.map((v) => ['workbench', v.modelSha256]), 'our own models come back servable, the same bytes');
    const before = treeState(built.root);
    const back = await pullJson(home, ['--from', server.url, '--experiment', 'wafer-yield', '--filter', "tags.mlops.run_id like '%'", '--models']);
    assert.deepEqual(back.runs.map((x) => [x.localId, x.action]).sort(), [[built.runs.alpha.id, 'unchanged'], [built.runs.beta.id, 'unchanged']].sort());
    assert.ok(back.versions.every((v) => v.action === 'unchanged'), JSON.stringify(back.versions));
    assert.equal(treeState(built.root), before, 'the pushing store is untouched');
  });

  it('a failed pull creates nothing; a killed pull leaves a store that checks clean, and the next pull finishes it', async () => {
    const cwd = tempDir('mlops-pull-fail-');
    const port = await freePort();
    await fails(['pull', '--from', `http://127.0.0.1:${port}`], 1, /unreachable \(connection refused\)/, { cwd });
    assert.ok(!fs.existsSync(path.join(cwd, '.mlops')), 'no store made for nothing');
    await fails(['pull', '--from', server.url, '--experiment', 'nope'], 2, /No experiment named 'nope' in http:/, { cwd });
    const bad = await mlops(['pull', '--from', server.url, '--filter', 'metrics.x <'], { cwd });
    assert.equal(bad.code, 2);
    assert.match(bad.err, /^mlops: Invalid filter: Expected a number or a quoted string/);
    await fails(['pull', '--from', 'ftp://x/y'], 2, /unsupported store URI/, { cwd });
    await fails(['--store', server.url, 'pull', '--from', server.url], 2, /is an MLflow tracking server source: read-only in this version \(`mlops pull` writes to the store\)/, { cwd });
    const partial: number[] = [];
    for (const delay of [900, 1600]) {
      const child = spawn(process.execPath, [CLI, 'pull', '--from', server.url], { cwd, stdio: 'ignore' });
      // Listened for from the start: on a fast machine the pull can finish before the kill, and a 'close' that came
      // before the listener was never seen (a fresh-clone CI waited on it until it was stopped).
      const closed = new Promise((r) => child.once('close', r));
      await new Promise((r) => setTimeout(r, delay));
      child.kill('SIGKILL');
      await closed;
      const check = await mlops(['store', 'check', '--json'], { cwd });
      if (fs.existsSync(path.join(cwd, '.mlops'))) {
        const findings = (JSON.parse(check.out) as { findings: { severity: string; kind: string }[] }).findings;
        assert.deepEqual(findings.filter((f) => f.severity === 'error'), [], check.out);
        const listed = await json<RunJson[]>(['runs', 'list'], { cwd });
        partial.push(listed.filter((r) => r.tags['mlops.pull.state'] === undefined).length);
      } else partial.push(0);
    }
    const done = await pullJson(cwd, ['--from', server.url]);
    assert.ok(partial.some((n) => n < done.runs.length), `a kill landed before the pull was done (complete runs after each kill: ${partial.join(', ')} of ${done.runs.length})`);
    const runs = await json<RunJson[]>(['runs', 'list'], { cwd });
    assert.equal(runs.length, done.runs.length, 'one workspace run per MLflow run');
    assert.equal(new Set(runs.map((r) => r.tags['mlflow.run_id'])).size, runs.length, 'no MLflow run pulled twice');
    assert.ok(runs.every((r) => r.tags['mlops.pull.state'] === undefined), 'every run complete');
    const long = runs.find((r) => r.name === 'long-history')!;
    assert.equal((await json<RunJson>(['runs', 'show', long.id], { cwd })).metricHistory!.loss.length, seed.longHistory);
  });
});
