/**
 * The `mlops` CLI (dist/cli.js, spawned) against a real MLflow tracking server (test/mlflow/server.ts) seeded with the
 * real Python client (test/mlflow/seed.ts): runs with their metric histories, paging past 1,000 runs,
 * $MLFLOW_TRACKING_URI, a proxy that demands a token (never printed), write commands refused, an unreachable URL.
 */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { skipUnlessMlflow } from '../mlflow/env';
import { BULK_PY, SEED_PY } from '../mlflow/seed';
import { freePort, runMlflowPython, startMlflowServer, type MlflowServer } from '../mlflow/server';
import { fails, json, mlops, ok, WRITE_COMMANDS, type RunJson } from './cli-mlflow-helpers';
import { tempDir } from './helpers';

interface Seed {
  runs: Record<string, string>;
  experiments: Record<string, string>;
  longHistory: number;
}

/** A small reverse proxy in front of the real server that demands `Authorization: Bearer <token>`. */
async function tokenProxy(target: string, token: string): Promise<{ url: string; close: () => Promise<void>; seen: string[] }> {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    const auth = req.headers.authorization ?? '';
    seen.push(auth);
    if (auth !== `Bearer ${token}`) {
      res.writeHead(401, { 'Content-Type': 'application/json', 'WWW-Authenticate': 'Bearer' }).end(JSON.stringify({ error_code: 'UNAUTHENTICATED', message: 'A valid token is needed: ask the platform team.' }));
      return;
    }
    const url = new URL(req.url ?? '/', target);
    const headers = { ...req.headers, host: url.host };
    delete headers.authorization;
    const up = http.request(url, { method: req.method, headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.writeHead(502).end());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    seen,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

describe('mlops CLI against a real MLflow tracking server', { skip: skipUnlessMlflow() }, () => {
  let server: MlflowServer;
  let seed: Seed;
  const BULK = 1050;
  let bulk: { experiment: string; ids: string[] };

  before(async () => {
    server = await startMlflowServer();
    seed = await runMlflowPython<Seed>(SEED_PY, [server.url, server.dir]);
    bulk = await runMlflowPython(BULK_PY, [server.url, String(BULK)]);
  });
  after(async () => {
    await server?.stop();
  });

  it('runs list and show: what the Python client logged, with metricHistory (a 30,000-point history over two get-history pages)', async () => {
    const runs = await json<RunJson[]>(['--store', server.url, 'runs', 'list', '--experiment', 'wafer-yield']);
    const names = runs.map((r) => r.name).sort();
    assert.deepEqual(names, ['child', 'failed-run', 'killed-run', 'long-history', 'parent', 'running-run', 'sweep-1', 'sweep-2']);
    const s1 = runs.find((r) => r.name === 'sweep-1')!;
    assert.equal(s1.id, seed.runs['sweep-1']);
    assert.deepEqual(s1.params, { max_depth: '10', learning_rate: '0.1', 'model type': 'random forest' });
    assert.equal(s1.metrics.rmse_val, 2.75);
    assert.equal(s1.tags.unicode, 'données été ✓ 🚀 日本語');
    assert.equal(s1.tags.html, "<b>bold</b> & <script>alert('x')</script>");
    assert.equal(runs.find((r) => r.name === 'killed-run')!.status, 'cancelled');
    assert.equal(runs.find((r) => r.name === 'child')!.parentRunId, seed.runs.parent);

    const show = await json<RunJson>(['--store', server.url, 'runs', 'show', seed.runs['sweep-1']]);
    assert.deepEqual(show.metricHistory!.rmse_val.map((p) => [p.step, p.value]), [[0, 3.5], [1, 3.1], [2, 2.9], [3, 2.75]]);
    assert.deepEqual(show.metricHistory!.acc.map((p) => p.value), [0.91]);
    assert.deepEqual(show.metricHistory!.nan_metric.map((p) => p.value), [null], 'NaN is null in JSON');
    assert.deepEqual(show.artifacts!.map((a) => a.path).sort(), ['notes.txt', 'plots/plot.png']);
    const long = await json<RunJson>(['--store', server.url, 'runs', 'show', seed.runs['long-history'].slice(0, 10)]);
    assert.equal(long.metricHistory!.loss.length, seed.longHistory);
    assert.deepEqual(long.metricHistory!.loss.slice(0, 2).map((p) => p.step), [0, 1]);

    const best = await json<RunJson>(['--store', server.url, 'runs', 'best', '-m', 'rmse_val', '-e', 'wafer-yield']);
    assert.equal(best.name, 'child'); // 2.5
    const models = await json<{ name: string; production: number[]; staging: number[] }[]>(['--store', server.url, 'models', 'list']);
    assert.deepEqual(models.map((m) => [m.name, m.production, m.staging]), [['EmptyModel', [], []], ['YieldPredictor', [2], [3]]]);
    const ym = await json<{ versions: { version: number; stage: string; aliases: string[]; tags: Record<string, string> }[] }>(['--store', server.url, 'models', 'show', 'YieldPredictor']);
    assert.deepEqual(ym.versions.map((v) => [v.version, v.stage, v.aliases]), [[1, 'Archived', []], [2, 'Production', ['champion']], [3, 'Staging', ['challenger']]]);
    assert.equal(ym.versions[1].tags.validated, 'yes ✓');
  });

  it(`pages through more than one page of runs (${BULK} runs, pages of 1,000)`, async () => {
    const runs = await json<RunJson[]>(['--store', server.url, 'runs', 'list', '--experiment', 'bulk']);
    assert.deepEqual(runs.map((r) => r.id), [...bulk.ids].reverse());
    const exps = await json<{ name: string; runs: number }[]>(['--store', server.url, 'experiments', 'list']);
    assert.equal(exps.find((e) => e.name === 'bulk')!.runs, BULK);
    const limited = await json<RunJson[]>(['--store', server.url, 'runs', 'list', '--experiment', 'bulk', '--limit', '3']);
    assert.deepEqual(limited.map((r) => r.name), ['bulk-1049', 'bulk-1048', 'bulk-1047']);
    // A filter the server cannot take (or) is finished locally over every page.
    const odd = await json<RunJson[]>(['--store', server.url, 'runs', 'list', '--experiment', 'bulk', '--filter', "tags.parity = 'odd' or name = 'bulk-0000'"]);
    assert.equal(odd.length, BULK / 2 + 1);
  });

  it('$MLFLOW_TRACKING_URI is used when no store is named and no .mlops is found', async () => {
    const cwd = tempDir('mlops-cli-mlflow-uri-');
    const runs = await json<RunJson[]>(['runs', 'list', '-e', 'données-été ✓'], { cwd, env: { MLFLOW_TRACKING_URI: server.url } });
    assert.deepEqual(runs.map((r) => [r.name, r.params]), [['run-été', { ville: 'Zürich' }]]);
    await fails(['runs', 'list'], 2, /No MLOps store found/, { cwd });
    // --store wins over the environment.
    await fails(['--store', path.join(cwd, 'nowhere'), 'runs', 'list'], 2, /No MLOps store at/, { cwd, env: { MLFLOW_TRACKING_URI: server.url } });
  });

  it('a server behind a token: 401 without MLFLOW_TRACKING_TOKEN (exit 1, the server message), read with it; the token is never printed', async () => {
    const token = 's3cret-t0ken-cli';
    const proxy = await tokenProxy(server.url, token);
    try {
      const r = await fails(['--store', proxy.url, 'runs', 'list'], 1, /HTTP 401 UNAUTHENTICATED: A valid token is needed: ask the platform team\./);
      assert.ok(r.err.includes(proxy.url));
      const wrong = await fails(['--store', proxy.url, 'runs', 'show', seed.runs['sweep-1']], 1, /401/, { env: { MLFLOW_TRACKING_TOKEN: 'wr0ng-t0ken' } });
      assert.ok(!wrong.err.includes('wr0ng-t0ken'));
      const out = await ok(['--store', proxy.url, 'runs', 'show', seed.runs['sweep-1'], '--json'], { env: { MLFLOW_TRACKING_TOKEN: token } });
      assert.equal((JSON.parse(out) as RunJson).name, 'sweep-1');
      const human = await mlops(['--store', proxy.url, 'runs', 'list', '-e', 'wafer-yield'], { env: { MLFLOW_TRACKING_TOKEN: token } });
      assert.equal(human.code, 0, human.err);
      const debug = await mlops(['--store', proxy.url, 'models', 'list'], { env: { MLFLOW_TRACKING_TOKEN: token, MLOPS_DEBUG: '1' } });
      assert.equal(debug.code, 0, debug.err);
      for (const x of [out, human.out, human.err, debug.out, debug.err]) assert.ok(!x.includes(token), 'the token is never printed');
      assert.ok(proxy.seen.includes(`Bearer ${token}`));
      // A token via MLFLOW_TRACKING_URI as well.
      const viaEnv = await json<RunJson[]>(['runs', 'list', '-e', 'données-été ✓'], { env: { MLFLOW_TRACKING_URI: proxy.url, MLFLOW_TRACKING_TOKEN: token } });
      assert.equal(viaEnv.length, 1);
      // Write commands are refused before any request: no token needed to be told so.
      const before = proxy.seen.length;
      await fails(['--store', proxy.url, 'runs', 'create', '-n', 'x'], 2, /is an MLflow tracking server source: read-only in this version/);
      assert.equal(proxy.seen.length, before, 'no request was made');
    } finally {
      await proxy.close();
    }
  });

  it('every writing command on a server is refused (exit 2, one line), and nothing was logged to it', async () => {
    const count = async () => (await json<RunJson[]>(['--store', server.url, 'runs', 'list'])).length;
    const n = await count();
    for (const args of WRITE_COMMANDS) await fails(['--store', server.url, ...args], 2, /is an MLflow tracking server source: read-only in this version/);
    await fails(['runs', 'create', '-n', 'x'], 2, /read-only in this version/, { env: { MLFLOW_TRACKING_URI: server.url } });
    assert.equal(await count(), n);
    const models = await json<{ name: string; production: number[] }[]>(['--store', server.url, 'models', 'list']);
    assert.deepEqual(models.find((m) => m.name === 'YieldPredictor')!.production, [2]);
  });

  it('an unreachable URL: one line naming it, exit 1, fast', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    for (const args of [['runs', 'list'], ['runs', 'show', '0123456789abcdef0123456789abcdef'], ['models', 'list'], ['experiments', 'list']]) {
      const r = await fails(['--store', url, ...args], 1, new RegExp(`${url.replace(/\./g, '\\.')}.*unreachable \\(connection refused\\)`));
      assert.ok(r.ms < 5000, `${args.join(' ')}: ${r.ms} ms`);
    }
    const env = await fails(['runs', 'list'], 1, /unreachable/, { env: { MLFLOW_TRACKING_URI: url } });
    assert.ok(env.ms < 5000);
    await fails(['--store', 'ftp://example.com/x', 'runs', 'list'], 2, /unsupported store URI/);
    const inUrl = await fails(['--store', 'http://user:pw-s3cret@127.0.0.1:1', 'runs', 'list'], 2, /put credentials in MLFLOW_TRACKING_TOKEN/);
    assert.ok(!inUrl.err.includes('pw-s3cret'));
  });
});
