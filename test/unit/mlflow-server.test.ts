/**
 * MlflowServerSource against a real MLflow tracking server (test/mlflow/server.ts) with data logged by the real Python
 * client (test/mlflow/seed.ts): what was logged is exactly what we read. Auth, retries and failures go through small
 * Node proxies in front of the real server, as teams deploy it. The pure parts (filter translation, URL redaction,
 * environment, Retry-After) are tested without MLflow.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseFilter, evaluate } from '../../src/core/tracking/filter';
import type { Run } from '../../src/core/store/types';
import { mlflowServerOptionsFromEnv, MlflowServerSource, parseServerUri, planServerFilter, redactUrl } from '../../src/core/sources/mlflowServer';
import { retryAfterMs } from '../../src/core/sources/mlflowServer/http';
import { SourceError, type SourceRun } from '../../src/core/sources/types';
import { skipUnlessMlflow } from '../mlflow/env';
import { BULK_PY, DELETE_RUN_PY, PY_CLIENT_TIMING_PY, SEED_PY } from '../mlflow/seed';
import { runMlflowPython, startMlflowServer, type MlflowServer } from '../mlflow/server';

const plan = (f: string) => planServerFilter(parseFilter(f));

describe('MLflow server filter translation (pure)', () => {
  it('pushes an AND of simple comparisons, exactly', () => {
    assert.deepEqual(plan("metrics.rmse_val < 3 and params.max_depth = '10' and tags.team != 'x'"), {
      filter: "metrics.`rmse_val` < 3 AND params.`max_depth` = '10' AND tags.`team` != 'x'",
      exact: true,
    });
    assert.deepEqual(plan("name = 'sweep-1' and run_id in ('a', 'b')"), { filter: "attributes.run_name = 'sweep-1' AND attributes.run_id IN ('a', 'b')", exact: true });
    assert.deepEqual(plan('start_time >= 1700000000000 and end_time < 1.5e-3'), { filter: 'attributes.start_time >= 1700000000000 AND attributes.end_time < 0.0015', exact: true });
    assert.equal(plan("start_time > '2025-12-01T00:00:00Z'").filter, `attributes.start_time > ${Date.parse('2025-12-01T00:00:00Z')}`);
    assert.equal(plan('metrics.`val loss` > -1').filter, 'metrics.`val loss` > -1');
  });
  it('maps statuses to MLflow words (= one, else != each excluded one)', () => {
    assert.equal(plan("status = 'completed'").filter, "attributes.status = 'FINISHED'");
    assert.equal(plan("status = 'cancelled'").filter, "attributes.status = 'KILLED'");
    assert.equal(plan("status = 'running'").filter, "attributes.status != 'FINISHED' AND attributes.status != 'FAILED' AND attributes.status != 'KILLED'");
    assert.equal(plan("status != 'running'").filter, "attributes.status != 'RUNNING' AND attributes.status != 'SCHEDULED'");
    assert.equal(plan("status in ('failed', 'cancelled')").filter, "attributes.status != 'RUNNING' AND attributes.status != 'SCHEDULED' AND attributes.status != 'FINISHED'");
    assert.equal(plan("status = 'finished'").filter, "attributes.status != 'RUNNING' AND attributes.status != 'SCHEDULED'");
  });
  it('keeps or / not / duration / numbers against text / non-ASCII ilike local, and like is never exact', () => {
    assert.deepEqual(plan("status = 'failed' or tags.team = 'yield'"), { filter: '', exact: false });
    assert.deepEqual(plan("not name = 'x' and metrics.a > 1"), { filter: 'metrics.`a` > 1', exact: false });
    assert.deepEqual(plan('duration > 5'), { filter: '', exact: false });
    assert.deepEqual(plan('params.max_depth = 10'), { filter: '', exact: false }, '10 = "10.0" here, not in MLflow');
    assert.deepEqual(plan("tags.unicode ilike '%été%'"), { filter: '', exact: false });
    assert.deepEqual(plan("tags.team like 'yield%'"), { filter: "tags.`team` LIKE 'yield%'", exact: false });
    assert.deepEqual(plan("params.p = 'it''s'"), { filter: '', exact: false }, 'quotes are not sent');
    assert.deepEqual(plan('metrics.big > 1e300'), { filter: '', exact: false }, '1e+300 is not MLflow syntax');
    assert.deepEqual(plan("experiment = 'wafer-yield' and metrics.a > 1"), { filter: 'metrics.`a` > 1', exact: true, experimentNames: ['wafer-yield'] });
  });
});

describe('MLflow server connection options (pure)', () => {
  it('reads the MLflow client environment', () => {
    assert.deepEqual(mlflowServerOptionsFromEnv({ MLFLOW_TRACKING_TOKEN: 't0k', MLFLOW_TRACKING_INSECURE_TLS: 'true' }), { token: 't0k', insecureTls: true });
    assert.deepEqual(mlflowServerOptionsFromEnv({ MLFLOW_TRACKING_USERNAME: 'u', MLFLOW_TRACKING_PASSWORD: 'p', MLFLOW_TRACKING_INSECURE_TLS: 'false' }), { username: 'u', password: 'p' });
    assert.deepEqual(mlflowServerOptionsFromEnv({}), {});
  });
  it('keeps credentials out of URIs and labels', () => {
    const a = parseServerUri('https://alice:s%40cret@mlflow.example.com:8443/team/?x=1#y');
    assert.equal(a.uri, 'https://mlflow.example.com:8443/team');
    assert.equal(a.label, 'mlflow.example.com:8443/team');
    assert.equal(a.username, 'alice');
    assert.equal(a.password, 's@cret');
    assert.equal(redactUrl('see http://bob:pw@host:1/x and https://h/y'), 'see http://***@host:1/x and https://h/y');
    assert.throws(() => parseServerUri('ftp://user:pw@h'), (e: SourceError) => e.code === 'invalid' && !e.message.includes('pw'));
    const s = new MlflowServerSource('http://carol:hunter2@127.0.0.1:1/');
    assert.equal(s.uri, 'http://127.0.0.1:1');
    assert.equal(s.label, '127.0.0.1:1');
  });
  it('reads Retry-After as seconds or a date', () => {
    assert.equal(retryAfterMs('2'), 2000);
    assert.equal(retryAfterMs(new Date(10_000).toUTCString(), 4_000), 6000);
    assert.equal(retryAfterMs('soon'), undefined);
    assert.equal(retryAfterMs(undefined), undefined);
  });
});

interface Seed {
  runs: Record<string, string>;
  experiments: Record<string, string>;
  png: number[];
  longHistory: number;
}

/** An HTTP server on 127.0.0.1 with the given handler; resolves with its URL and a close function. */
async function serve(handler: http.RequestListener): Promise<{ url: string; close: () => Promise<void>; server: http.Server }> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

/** Forwards a request to the real MLflow server, as a reverse proxy does. */
function forward(target: string, req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = new URL(req.url ?? '/', target);
  const headers = { ...req.headers, host: url.host };
  delete headers.authorization;
  const up = http.request(url, { method: req.method, headers }, (r) => {
    res.writeHead(r.statusCode ?? 502, r.headers);
    r.pipe(res);
  });
  up.on('error', () => {
    res.writeHead(502).end();
  });
  req.pipe(up);
}

function jsonError(res: http.ServerResponse, status: number, code: string, message: string, headers: http.OutgoingHttpHeaders = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers }).end(JSON.stringify({ error_code: code, message }));
}

async function rejects(p: Promise<unknown>, code: string, check?: (e: SourceError) => void): Promise<SourceError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof SourceError, `expected a SourceError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.ok(!e.message.includes('\n'), 'one line');
    check?.(e);
    return e;
  }
  assert.fail(`expected a SourceError '${code}'`);
}

function byName(runs: SourceRun[]): Map<string, SourceRun> {
  return new Map(runs.map((r) => [r.name, r]));
}

describe('MlflowServerSource against a real MLflow tracking server', { skip: skipUnlessMlflow() }, () => {
  let server: MlflowServer;
  let seed: Seed;
  let src: MlflowServerSource;
  const logLines: string[] = [];
  const BULK = 1050;
  let bulk: { experiment: string; ids: string[]; seconds: number };

  before(async () => {
    let t = Date.now();
    server = await startMlflowServer();
    console.log(`# MLflow server up in ${Date.now() - t} ms at ${server.url}`);
    t = Date.now();
    seed = await runMlflowPython<Seed>(SEED_PY, [server.url, server.dir]);
    console.log(`# seed logged in ${Date.now() - t} ms`);
    t = Date.now();
    bulk = await runMlflowPython(BULK_PY, [server.url, String(BULK)]);
    console.log(`# ${BULK} bulk runs logged in ${Date.now() - t} ms`);
    // Generous timeouts: the shared test machines are busy; the timeout tests set their own.
    src = new MlflowServerSource(server.url, { timeoutMs: 120_000, log: (l) => logLines.push(l) });
  });
  after(async () => {
    await src?.close();
    await server?.stop();
  });

  it('lists the experiments as logged (unicode names, tags, artifact locations)', async () => {
    const exps = await src.listExperiments();
    const names = exps.map((e) => e.name).sort();
    assert.deepEqual(names, ['Default', 'bulk', 'direct-artifacts', 'données-été ✓', 'wafer-yield']);
    const wafer = exps.find((e) => e.name === 'wafer-yield')!;
    assert.equal(wafer.id, seed.experiments['wafer-yield']);
    assert.equal(wafer.lifecycle, 'active');
    assert.deepEqual(wafer.tags, { team: 'fab', purpose: 'sweeps' });
    assert.equal(wafer.artifactLocation, `mlflow-artifacts:/${wafer.id}`);
    assert.ok(wafer.createdAt! > 1.7e12);
  });

  it('reads runs exactly as the Python client logged them', async () => {
    const t = Date.now();
    const page = await src.searchRuns({ experimentIds: [seed.experiments['wafer-yield']] });
    console.log(`# wafer-yield runs in ${Date.now() - t} ms`);
    assert.equal(page.nextPageToken, undefined);
    const runs = byName(page.runs);
    assert.deepEqual([...runs.keys()].sort(), ['child', 'failed-run', 'killed-run', 'long-history', 'parent', 'running-run', 'sweep-1', 'sweep-2']);
    const s1 = runs.get('sweep-1')!;
    assert.equal(s1.id, seed.runs['sweep-1']);
    assert.equal(s1.experimentName, 'wafer-yield');
    assert.equal(s1.experimentId, seed.experiments['wafer-yield']);
    assert.equal(s1.status, 'completed');
    assert.equal(s1.sourceStatus, 'FINISHED');
    assert.equal(s1.lifecycle, 'active');
    assert.deepEqual(s1.params, { max_depth: '10', learning_rate: '0.1', 'model type': 'random forest' });
    assert.equal(s1.metrics.rmse_val, 2.75);
    assert.equal(s1.metrics.acc, 0.91);
    assert.ok(Number.isNaN(s1.metrics.nan_metric), 'NaN comes as "NaN" in JSON');
    assert.equal(s1.tags.team, 'yield');
    assert.equal(s1.tags.html, "<b>bold</b> & <script>alert('x')</script>");
    assert.equal(s1.tags.unicode, 'données été ✓ 🚀 日本語');
    assert.equal(s1.tags['mlflow.runName'], 'sweep-1');
    assert.equal(s1.artifactUri, `mlflow-artifacts:/${s1.experimentId}/${s1.id}/artifacts`);
    assert.ok(s1.endTime! >= s1.startTime && s1.duration === s1.endTime! - s1.startTime);
    assert.equal(runs.get('child')!.parentRunId, seed.runs.parent);
    assert.equal(runs.get('parent')!.parentRunId, undefined);
    assert.equal(runs.get('failed-run')!.status, 'failed');
    assert.equal(runs.get('failed-run')!.sourceStatus, 'FAILED');
    assert.equal(runs.get('killed-run')!.status, 'cancelled');
    const running = runs.get('running-run')!;
    assert.equal(running.status, 'running');
    assert.equal(running.endTime, null);
    assert.equal(running.notes, 'still going');
    // Newest first (MLflow's default order).
    assert.deepEqual(page.runs.map((r) => r.startTime), page.runs.map((r) => r.startTime).sort((a, b) => b - a));

    const withDeleted = byName((await src.searchRuns({ experimentIds: [seed.experiments['wafer-yield']], includeDeleted: true })).runs);
    assert.equal(withDeleted.get('deleted-run')!.lifecycle, 'deleted');
    assert.equal(withDeleted.get('deleted-run')!.id, seed.runs['deleted-run']);

    // All active experiments when none are named.
    const all = await src.searchRuns({ filter: "name = 'run-été'" });
    assert.deepEqual(all.runs.map((r) => [r.id, r.experimentName, r.params.ville]), [[seed.runs['run-été'], 'données-été ✓', 'Zürich']]);
  });

  it('getRun equals the search result; a missing run is not-found', async () => {
    const page = await src.searchRuns({ experimentIds: [seed.experiments['wafer-yield']], filter: "name = 'sweep-1'" });
    const got = await src.getRun(seed.runs['sweep-1']);
    assert.deepEqual({ ...got, duration: 0, metrics: { ...got.metrics, nan_metric: 0 } }, { ...page.runs[0], duration: 0, metrics: { ...page.runs[0].metrics, nan_metric: 0 } });
    await rejects(src.getRun('0123456789abcdef0123456789abcdef'), 'not-found', (e) => {
      assert.equal(e.status, 404);
      assert.match(e.message, /runs\/get: HTTP 404 RESOURCE_DOES_NOT_EXIST: Run .*not found/);
    });
    await rejects(src.getRun(seed.runs['deleted-run']), 'not-found', (e) => assert.match(e.message, /was deleted/));
  });

  it('reads metric histories in step order, also longer than one get-history page', async () => {
    const h = await src.metricHistory(seed.runs['sweep-1'], 'rmse_val');
    assert.deepEqual(h.map((p) => [p.key, p.step, p.value]), [['rmse_val', 0, 3.5], ['rmse_val', 1, 3.1], ['rmse_val', 2, 2.9], ['rmse_val', 3, 2.75]]);
    assert.ok(h.every((p) => p.timestamp > 1.7e12));
    assert.deepEqual(await src.metricHistory(seed.runs['sweep-1'], 'no-such-metric'), []);
    const t = Date.now();
    const long = await src.metricHistory(seed.runs['long-history'], 'loss');
    console.log(`# ${long.length}-point history in ${Date.now() - t} ms`);
    assert.equal(long.length, seed.longHistory);
    long.forEach((p, i) => {
      assert.equal(p.step, i);
      assert.equal(p.value, 1 / (i + 1));
      assert.equal(p.timestamp, 1700000000000 + i);
    });
  });

  it('follows get-history pages (as MLflow 3.4+ pages them) and stops on a token that does not advance (mlflow/mlflow#23916)', async () => {
    // MLflow 2.12's SQL store answers get-history in one piece; this proxy pages the real answer as 3.x servers do,
    // and answers a request without max_results as 3.4+ does (no metrics, a token that never advances).
    const queries: URLSearchParams[] = [];
    let stuck = false;
    let full: Promise<unknown[]> | undefined; // the real answer, read once
    const proxy = await serve((req, res) => {
      const url = new URL(req.url ?? '/', 'http://proxy');
      if (url.pathname !== '/api/2.0/mlflow/metrics/get-history') return forward(server.url, req, res);
      queries.push(url.searchParams);
      const send = (body: unknown): void => void res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
      if (!url.searchParams.get('max_results')) return send({ metrics: [], next_page_token: 'eyJvZmZzZXQiOiAwfQ==' });
      const upstream = new URL(`/api/2.0/mlflow/metrics/get-history?${url.searchParams}`, server.url);
      upstream.searchParams.delete('page_token');
      full ??= fetch(upstream).then(async (r) => ((await r.json()) as { metrics: unknown[] }).metrics);
      void full.then((all) => {
        if (stuck) return send({ metrics: all.slice(0, 10), next_page_token: 'c3R1Y2s=' });
        const offset = Number(url.searchParams.get('page_token') ?? 0);
        const size = 7000;
        send({ metrics: all.slice(offset, offset + size), ...(offset + size < all.length ? { next_page_token: String(offset + size) } : {}) });
      });
    });
    const s = new MlflowServerSource(proxy.url, { timeoutMs: 120_000 });
    try {
      const long = await s.metricHistory(seed.runs['long-history'], 'loss');
      assert.equal(long.length, seed.longHistory);
      assert.ok(long.every((p, i) => p.step === i && p.value === 1 / (i + 1)));
      assert.equal(queries.length, Math.ceil(seed.longHistory / 7000));
      assert.ok(queries.every((q) => q.get('max_results') === '25000'), 'max_results on every page');
      assert.deepEqual(queries.map((q) => q.get('page_token')), [null, '7000', '14000', '21000', '28000']);
      stuck = true;
      await rejects(s.metricHistory(seed.runs['long-history'], 'loss'), 'server', (e) => assert.match(e.message, /page token did not advance/));
    } finally {
      await s.close();
      await proxy.close();
    }
  });

  it('lists and reads artifacts (text and PNG, through the artifact proxy); rejects paths with ..', async () => {
    const id = seed.runs['sweep-1'];
    assert.deepEqual(await src.listArtifacts(id), [
      { path: 'notes.txt', isDir: false, size: Buffer.byteLength('hello\nwörld ✓\n') },
      { path: 'plots', isDir: true },
    ]);
    assert.deepEqual(await src.listArtifacts(id, 'plots'), [{ path: 'plots/plot.png', isDir: false, size: seed.png.length }]);
    assert.equal(Buffer.from(await src.readArtifact(id, 'notes.txt')).toString('utf8'), 'hello\nwörld ✓\n');
    const png = await src.readArtifact(id, 'plots/plot.png');
    assert.deepEqual([...png], seed.png);
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    // A fresh source (no cached artifact URI) finds the run's artifact root itself.
    const fresh = new MlflowServerSource(server.url);
    assert.deepEqual([...(await fresh.readArtifact(id, 'plots/plot.png'))], seed.png);
    await fresh.close();
    for (const bad of ['../x', 'plots/../../etc/passwd', '/etc/passwd', 'a\\..\\b', '']) {
      await rejects(src.readArtifact(id, bad), 'invalid');
    }
    await rejects(src.listArtifacts(id, '../..'), 'invalid');
    await rejects(src.readArtifact(id, 'missing.txt'), 'not-found', (e) => assert.match(e.message, /no artifact 'missing\.txt' in run/));
    await rejects(src.readArtifact(id, 'plots/missing.png'), 'not-found');
  });

  it('reads artifacts the server does not proxy (file:// artifact location) through /get-artifact', async () => {
    const id = seed.runs.direct;
    const run = await src.getRun(id);
    assert.match(run.artifactUri!, /^file:\/\/.*direct-artifacts/);
    assert.deepEqual(await src.listArtifacts(id), [{ path: 'out', isDir: true }]);
    assert.deepEqual(await src.listArtifacts(id, 'out'), [{ path: 'out/direct.txt', isDir: false, size: Buffer.byteLength('written straight to the store ✓') }]);
    assert.equal(Buffer.from(await src.readArtifact(id, 'out/direct.txt')).toString('utf8'), 'written straight to the store ✓');
    await rejects(src.readArtifact(id, 'out/nope.txt'), 'not-found');
  });

  it('works under a path prefix (a reverse proxy serving MLflow at /team-a/mlflow)', async () => {
    const proxy = await serve((req, res) => {
      if (!req.url?.startsWith('/team-a/mlflow/')) return jsonError(res, 404, 'ENDPOINT_NOT_FOUND', `no route ${req.url}`);
      req.url = req.url.slice('/team-a/mlflow'.length);
      forward(server.url, req, res);
    });
    const s = new MlflowServerSource(`${proxy.url}/team-a/mlflow/`);
    try {
      assert.equal(s.uri, `${proxy.url}/team-a/mlflow`);
      assert.equal(s.label, `${proxy.url.replace('http://', '')}/team-a/mlflow`);
      assert.ok((await s.listExperiments()).some((e) => e.name === 'wafer-yield'));
      assert.equal((await s.searchRuns({ filter: "name = 'sweep-1'" })).runs[0].id, seed.runs['sweep-1']);
      assert.deepEqual([...(await s.readArtifact(seed.runs['sweep-1'], 'plots/plot.png'))], seed.png);
      assert.equal(Buffer.from(await s.readArtifact(seed.runs.direct, 'out/direct.txt')).toString('utf8'), 'written straight to the store ✓');
      assert.equal((await s.listModels()).length, 2);
    } finally {
      await s.close();
      await proxy.close();
    }
  });

  it('reads the registry: versions, stages, aliases, tags', async () => {
    const models = await src.listModels();
    assert.deepEqual(models.map((m) => m.name), ['EmptyModel', 'YieldPredictor']);
    const [empty, yp] = models;
    assert.deepEqual(empty.versions, []);
    assert.deepEqual(empty.aliases, {});
    assert.equal(yp.description, 'Predicts wafer yield');
    assert.deepEqual(yp.tags, { owner: 'fab-ml' });
    assert.deepEqual(yp.aliases, { champion: 2, challenger: 3 });
    assert.deepEqual(yp.versions.map((v) => [v.version, v.stage, v.aliases, v.runId, v.description]), [
      [1, 'Archived', [], seed.runs['sweep-1'], 'version 1'],
      [2, 'Production', ['champion'], seed.runs['sweep-1'], 'version 2'],
      [3, 'Staging', ['challenger'], seed.runs['sweep-1'], 'version 3'],
    ]);
    assert.deepEqual(yp.versions[1].tags, { validated: 'yes ✓' });
    assert.equal(yp.versions[0].source, `runs:/${seed.runs['sweep-1']}/model`);
    assert.equal(yp.versions[0].status, 'READY');
    assert.ok(yp.versions.every((v) => v.model === 'YieldPredictor' && v.createdAt > 1.7e12));
  });

  it('filters like our filter language: pushed down where MLflow can, the rest locally (or, not, ilike on unicode)', async () => {
    const exp = seed.experiments['wafer-yield'];
    const everything = (await src.searchRuns({ experimentIds: [exp], includeDeleted: false })).runs;
    const filters = [
      "metrics.rmse_val < 3 and params.max_depth = '10'",
      'metrics.rmse_val >= 2.5',
      "status = 'failed' or tags.team = 'yield'",
      "not name = 'sweep-1' and metrics.rmse_val > 0",
      "status = 'running'",
      "status != 'completed'",
      "tags.unicode ilike '%été%'",
      "tags.team like 'yield%'",
      "tags.team like 'YIELD%'",
      'params.max_depth = 10',
      'params.max_depth > 6',
      "params.kind in ('child', 'parent')",
      'duration >= 0 and metrics.rmse_val < 100',
      "experiment = 'wafer-yield' and metrics.rmse_val > 3",
      "experiment = 'données-été ✓'",
      `run_id in ('${seed.runs['sweep-2']}', '${seed.runs.child}')`,
      `start_time >= ${everything.find((r) => r.name === 'parent')!.startTime}`,
    ];
    for (const filter of filters) {
      const expr = parseFilter(filter)!;
      const expected = everything.filter((r) => evaluate(expr, r as unknown as Run)).map((r) => r.id).sort();
      const got = await src.searchRuns({ experimentIds: [exp], filter, maxResults: 2 });
      const ids = got.runs.map((r) => r.id);
      let token = got.nextPageToken;
      while (token) {
        const next = await src.searchRuns({ experimentIds: [exp], filter, maxResults: 2, pageToken: token });
        ids.push(...next.runs.map((r) => r.id));
        token = next.nextPageToken;
      }
      assert.deepEqual(ids.sort(), expected, filter);
      assert.ok(expected.length > 0 || filter.includes('données') || filter.includes('YIELD'), `${filter} selects something`);
    }
    assert.deepEqual(logLines.filter((l) => l.includes('filtering locally')), [], 'the server took every filter we sent');
    await rejects(src.searchRuns({ filter: 'metrics.x <' }), 'invalid', (e) => assert.match(e.message, /Filter: .*position/));
    await rejects(src.searchRuns({ experimentIds: [exp], orderBy: ['duration DESC'] }), 'invalid');
    await rejects(src.searchRuns({ experimentIds: [exp], pageToken: 'bogus' }), 'invalid');
  });

  it('orders as asked (metrics, names) through MLflow order_by', async () => {
    const exp = seed.experiments['wafer-yield'];
    const asc = await src.searchRuns({ experimentIds: [exp], filter: 'metrics.rmse_val > 0', orderBy: ['metrics.rmse_val ASC'] });
    const values = asc.runs.map((r) => r.metrics.rmse_val);
    assert.deepEqual(values, [...values].sort((a, b) => a - b));
    const names = (await src.searchRuns({ experimentIds: [exp], orderBy: ['name'] })).runs.map((r) => r.name);
    assert.deepEqual(names, [...names].sort());
  });

  it(`pages through more than 1,000 runs with page_token (${BULK} runs)`, async () => {
    const exp = bulk.experiment;
    let t = Date.now();
    const first = await src.searchRuns({ experimentIds: [exp] });
    const firstMs = Date.now() - t;
    assert.equal(first.runs.length, 1000);
    assert.ok(first.nextPageToken);
    const second = await src.searchRuns({ experimentIds: [exp], pageToken: first.nextPageToken });
    assert.equal(second.runs.length, BULK - 1000);
    assert.equal(second.nextPageToken, undefined);
    const all = [...first.runs, ...second.runs];
    assert.deepEqual(all.map((r) => r.id), [...bulk.ids].reverse(), 'newest first, each once');
    const allMs = Date.now() - t;

    // Small pages: 250 at a time.
    t = Date.now();
    const ids: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const p = await src.searchRuns({ experimentIds: [exp], maxResults: 250, pageToken: token });
      ids.push(...p.runs.map((r) => r.id));
      token = p.nextPageToken;
      pages++;
    } while (token);
    assert.equal(pages, Math.ceil(BULK / 250));
    assert.deepEqual(ids, [...bulk.ids].reverse());
    console.log(`# ${BULK} runs: first page (1000) ${firstMs} ms, all pages ${allMs} ms; in pages of 250: ${Date.now() - t} ms`);
    const py = await runMlflowPython<{ firstMs: number; allMs: number; runs: number; historyMs: number; points: number }>(PY_CLIENT_TIMING_PY, [server.url, exp, seed.runs['long-history'], 'loss']);
    assert.equal(py.runs, BULK);
    console.log(`# MLflow's Python client, same server: first page ${py.firstMs} ms, all pages ${py.allMs} ms, ${py.points}-point history ${py.historyMs} ms`);

    // A filter the server cannot take (or): full pages filled from several server pages, every match once.
    t = Date.now();
    const filter = "tags.parity = 'odd' or name like '%0'";
    const expected = bulk.ids.filter((_id, i) => i % 2 === 1 || i % 10 === 0).reverse();
    const got: string[] = [];
    const sizes: number[] = [];
    token = undefined;
    do {
      const p = await src.searchRuns({ experimentIds: [exp], filter, maxResults: 300, pageToken: token });
      got.push(...p.runs.map((r) => r.id));
      sizes.push(p.runs.length);
      token = p.nextPageToken;
    } while (token);
    assert.deepEqual(got, expected);
    assert.ok(sizes.slice(0, -1).every((s) => s === 300), `full pages before the last: ${sizes.join(', ')}`);
    console.log(`# local filter over ${BULK} runs (${expected.length} matches, pages ${sizes.join('+')}): ${Date.now() - t} ms`);
    // A token is for the query it came from.
    const p1 = await src.searchRuns({ experimentIds: [exp], filter, maxResults: 10 });
    await rejects(src.searchRuns({ experimentIds: [exp], maxResults: 10, pageToken: p1.nextPageToken }), 'invalid');
  });

  it('a run deleted between list and get is not-found', async () => {
    const page = await src.searchRuns({ experimentIds: [seed.experiments['wafer-yield']], filter: "name = 'killed-run'" });
    assert.equal(page.runs.length, 1);
    await runMlflowPython(DELETE_RUN_PY, [server.url, page.runs[0].id]);
    await rejects(src.getRun(page.runs[0].id), 'not-found');
    const again = await src.searchRuns({ experimentIds: [seed.experiments['wafer-yield']], filter: "name = 'killed-run'" });
    assert.deepEqual(again.runs, []);
  });

  it('sends a bearer token or basic auth; 401 without is unauthorized with the server message, credentials never shown', async () => {
    const proxy = await serve((req, res) => {
      const auth = req.headers.authorization ?? '';
      const ok = auth === 'Bearer s3cret-t0ken' || auth === `Basic ${Buffer.from('alice:pa55:word').toString('base64')}`;
      if (!ok) return jsonError(res, 401, 'UNAUTHENTICATED', 'You are not authenticated. Please see the team wiki for tokens.', { 'WWW-Authenticate': 'Bearer' });
      forward(server.url, req, res);
    });
    try {
      const none = new MlflowServerSource(proxy.url);
      await rejects(none.listExperiments(), 'unauthorized', (e) => {
        assert.equal(e.status, 401);
        assert.match(e.message, /HTTP 401 UNAUTHENTICATED: You are not authenticated\. Please see the team wiki for tokens\./);
        assert.ok(e.message.includes(proxy.url));
      });
      await none.close();

      const wrong = new MlflowServerSource(proxy.url, { token: 'wr0ng-t0ken' });
      await rejects(wrong.listExperiments(), 'unauthorized', (e) => assert.ok(!e.message.includes('wr0ng-t0ken')));
      await wrong.close();

      const bearer = new MlflowServerSource(proxy.url, mlflowServerOptionsFromEnv({ MLFLOW_TRACKING_TOKEN: 's3cret-t0ken' }));
      assert.ok((await bearer.listExperiments()).some((e) => e.name === 'wafer-yield'));
      assert.deepEqual([...(await bearer.readArtifact(seed.runs['sweep-1'], 'plots/plot.png'))], seed.png);
      await bearer.close();

      const basic = new MlflowServerSource(proxy.url, mlflowServerOptionsFromEnv({ MLFLOW_TRACKING_USERNAME: 'alice', MLFLOW_TRACKING_PASSWORD: 'pa55:word' }));
      assert.equal((await basic.listModels()).length, 2);
      await basic.close();

      // Credentials in the URL: used for basic auth, never in uri, label or messages.
      const inUrl = new MlflowServerSource(proxy.url.replace('http://', 'http://alice:pa55%3Aword@'));
      assert.equal(inUrl.uri, proxy.url);
      assert.equal((await inUrl.listModels()).length, 2);
      await rejects(inUrl.getRun('0123456789abcdef0123456789abcdef'), 'not-found', (e) => assert.ok(!/alice|pa55/.test(e.message), e.message));
      await inUrl.close();
      const badUrl = new MlflowServerSource(proxy.url.replace('http://', 'http://alice:n0pe-n0pe@'));
      await rejects(badUrl.listExperiments(), 'unauthorized', (e) => assert.ok(!/n0pe/.test(e.message) && !/alice:/.test(e.message), e.message));
      await badUrl.close();
    } finally {
      await proxy.close();
    }
  });

  it('https with a self-signed certificate: refused unless MLFLOW_TRACKING_INSECURE_TLS', { skip: spawnSync('openssl', ['version']).status === 0 ? false : 'no openssl to make a certificate' }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-tls-'));
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1'], { encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    const tls = https.createServer({ key: fs.readFileSync(path.join(dir, 'key.pem')), cert: fs.readFileSync(path.join(dir, 'cert.pem')) }, (req, res) => forward(server.url, req, res));
    await new Promise<void>((r) => tls.listen(0, '127.0.0.1', r));
    const url = `https://127.0.0.1:${(tls.address() as net.AddressInfo).port}`;
    try {
      await rejects(new MlflowServerSource(url).listExperiments(), 'unreachable', (e) => assert.match(e.message, /TLS: .*self-signed.*MLFLOW_TRACKING_INSECURE_TLS=true/i));
      const insecure = new MlflowServerSource(url, mlflowServerOptionsFromEnv({ MLFLOW_TRACKING_INSECURE_TLS: 'true' }));
      assert.ok((await insecure.listExperiments()).some((e) => e.name === 'wafer-yield'));
      await insecure.close();
    } finally {
      tls.closeAllConnections();
      tls.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('retries 503, 429 (Retry-After) and reset connections with backoff, then succeeds; gives up after a bounded number', async () => {
    let calls = 0;
    let failFirst = 0;
    let mode: 'status' | '429' | 'reset' | 'always' = 'status';
    const proxy = await serve((req, res) => {
      calls++;
      if (mode === 'always') return jsonError(res, 500, 'INTERNAL_ERROR', 'database is locked');
      if (calls <= failFirst) {
        if (mode === 'status') return jsonError(res, 503, 'TEMPORARILY_UNAVAILABLE', 'try again');
        if (mode === '429') return jsonError(res, 429, 'REQUEST_LIMIT_EXCEEDED', 'slow down', { 'Retry-After': '1' });
        req.socket.destroy();
        return;
      }
      forward(server.url, req, res);
    });
    const retries: string[] = [];
    const s = new MlflowServerSource(proxy.url, { retryBaseMs: 50, log: (l) => retries.push(l) });
    try {
      await s.listExperiments(); // knows the experiment names: getRun is one request
      calls = 0;
      failFirst = 2;
      assert.equal((await s.getRun(seed.runs['sweep-1'])).name, 'sweep-1');
      assert.equal(calls, 3);
      assert.equal(retries.length, 2);
      assert.match(retries[0], /HTTP 503; retry 1\/3/);

      calls = 0;
      failFirst = 1;
      mode = '429';
      const t = Date.now();
      assert.equal((await s.getRun(seed.runs['sweep-1'])).name, 'sweep-1');
      assert.ok(Date.now() - t >= 950, `waited for Retry-After: ${Date.now() - t} ms`);
      assert.equal(calls, 2);

      calls = 0;
      failFirst = 2;
      mode = 'reset';
      assert.equal((await s.listModels()).length, 2);
      assert.ok(calls >= 3);

      calls = 0;
      mode = 'always';
      await rejects(s.listExperiments(), 'server', (e) => {
        assert.equal(e.status, 500);
        assert.match(e.message, /HTTP 500 INTERNAL_ERROR: database is locked after 4 attempts/);
      });
      assert.equal(calls, 4, 'bounded: 1 + 3 retries');
    } finally {
      await s.close();
      await proxy.close();
    }
  });

  it('a hung server times out, a cancelled call stops at once, something that is not MLflow is a server error', async () => {
    const sockets: net.Socket[] = [];
    const hung = net.createServer((sock) => sockets.push(sock));
    await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
    const hungUrl = `http://127.0.0.1:${(hung.address() as net.AddressInfo).port}`;
    const html = await serve((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html><title>Welcome</title></html>'));
    const odd = await serve((_req, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"experiments": 5}'));
    const notFound = await serve((_req, res) => res.writeHead(404, { 'Content-Type': 'text/html' }).end('<html><title>404 Not Found</title></html>'));
    const redirect = await serve((_req, res) => res.writeHead(302, { Location: 'https://login.example.com/sso?next=%2Fapi' }).end());
    try {
      const s = new MlflowServerSource(hungUrl, { timeoutMs: 500 });
      let t = Date.now();
      await rejects(s.listExperiments(), 'unreachable', (e) => assert.match(e.message, /no answer within 500 ms/));
      assert.ok(Date.now() - t < 3000);
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 100);
      t = Date.now();
      await assert.rejects(new MlflowServerSource(hungUrl).searchRuns({ experimentIds: ['1'] }, { signal: ac.signal }), { name: 'AbortError' });
      assert.ok(Date.now() - t < 2000);
      const closing = new MlflowServerSource(hungUrl);
      const pending = closing.listModels();
      setTimeout(() => void closing.close(), 100);
      await assert.rejects(pending, { name: 'AbortError' });

      await rejects(new MlflowServerSource(html.url).listExperiments(), 'server', (e) => assert.match(e.message, /text\/html .* instead of JSON/));
      await rejects(new MlflowServerSource(odd.url).listExperiments(), 'server', (e) => assert.match(e.message, /unexpected answer \(answer\.experiments is not a list\)/));
      await rejects(new MlflowServerSource(redirect.url, { token: 'tok-123' }).listExperiments(), 'server', (e) => assert.match(e.message, /HTTP 302 redirect to https:\/\/login\.example\.com\/sso \(not followed/));
      await rejects(new MlflowServerSource(notFound.url + '/wrong-prefix').listExperiments(), 'server', (e) => assert.match(e.message, /wrong-prefix\/api\/2\.0\/mlflow\/experiments\/search: HTTP 404: 404 Not Found: not an MLflow REST API/));
    } finally {
      for (const sock of sockets) sock.destroy();
      hung.close();
      await html.close();
      await odd.close();
      await notFound.close();
      await redirect.close();
    }
  });

  it('the server stopped while connected: unreachable, quickly, no hang', async () => {
    const s = new MlflowServerSource(server.url);
    assert.ok((await s.listExperiments()).length >= 3);
    await server.stop();
    const t = Date.now();
    await rejects(s.searchRuns({ experimentIds: [seed.experiments['wafer-yield']] }), 'unreachable', (e) => {
      assert.match(e.message, /unreachable \(connection refused\)/);
      assert.ok(e.message.startsWith(`MLflow server ${server.url}/api/2.0/mlflow/runs/search`), e.message);
    });
    assert.ok(Date.now() - t < 2000, `${Date.now() - t} ms`);
    await s.close();
  });
});
