/**
 * `mlops models transition|alias|rollback|register|describe|tag|history|at --store http://…` against a real MLflow
 * tracking server on 127.0.0.1, every change checked with MLflow's Python client. A workbench is a folder holding a
 * workspace store (`.mlops`, the audit store) from which the CLI runs, with MLOPS_USER_EMAIL as the user.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type * as net from 'node:net';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Store } from '../../src/core/store/store';
import { skipUnlessMlflow } from '../mlflow/env';
import { MODEL_PY, RUNS_PY, stages, STATE_PY, TRANSITION_PY, type PyModel } from '../mlflow/registry';
import { freePort, runMlflowPython, startMlflowServer, type MlflowServer } from '../mlflow/server';
import { fails, json, mlops, ok } from './cli-mlflow-helpers';
import { tempDir } from './helpers';

interface HistoryJson {
  model: string;
  source: string;
  completeFrom: string | null;
  gap: unknown;
  entries: { time: string; user: string; action: string; origin: string; version: number | null; from: string | null; to: string | null; reason: string | null; effect: string; auditKey: string | null }[];
}

describe('mlops models … on a real MLflow tracking server (registry writes, audit trail)', { skip: skipUnlessMlflow() }, () => {
  let server: MlflowServer;
  let runs: Record<string, string>;

  before(async () => {
    server = await startMlflowServer();
    runs = await runMlflowPython<Record<string, string>>(RUNS_PY, [server.url]);
  });
  after(async () => {
    await server?.stop();
  });

  /** A workbench folder (with a workspace store) and the CLI run from it as `email`. */
  const workbench = (email: string, yaml?: string) => {
    const dir = tempDir('mlops-cli-mreg-');
    Store.open(path.join(dir, '.mlops'), { create: true });
    if (yaml) fs.writeFileSync(path.join(dir, 'mlops.yaml'), yaml);
    const env = { MLOPS_USER_EMAIL: email };
    const S = ['--store', server.url];
    return {
      dir,
      ok: (args: string[]) => ok([...S, ...args], { cwd: dir, env }),
      json: <T>(args: string[]) => json<T>([...S, ...args], { cwd: dir, env }),
      fails: (args: string[], code: number, re: RegExp) => fails([...S, ...args], code, re, { cwd: dir, env }),
    };
  };
  const model = (name: string) => runMlflowPython(MODEL_PY, [server.url, name, runs['trained-a']]);
  const py = (name: string) => runMlflowPython<PyModel>(STATE_PY, [server.url, name]);

  it('transition, alias, describe, tag, register and rollback change the server (as the Python client sees it) and print one line', async () => {
    await model('C-all');
    const wb = workbench('alice@fab.example');
    assert.equal(await wb.ok(['models', 'transition', 'C-all', '3', 'Production', '--reason', 'better rmse']), `C-all v3 is now in Production on ${server.url}; archived v2.\n`);
    assert.equal(await wb.ok(['models', 'alias', 'C-all', 'champion', '3']), `C-all@champion → v3 on ${server.url}.\n`);
    assert.equal(await wb.ok(['models', 'alias', 'C-all', 'challenger', '--delete']), `Removed alias @challenger of C-all on ${server.url}.\n`);
    await wb.ok(['models', 'describe', 'C-all', '-d', 'the yield model']);
    await wb.ok(['models', 'describe', 'C-all', '3', '-d', 'v3 in Production']);
    assert.equal(await wb.ok(['models', 'tag', 'C-all', '3', 'validated=yes', 'owner=fab']), `Tags of C-all v3 on ${server.url}: set validated, owner.\n`);
    await wb.ok(['models', 'tag', 'C-all', '3', '--delete', 'owner']);
    let m = await py('C-all');
    assert.deepEqual(stages(m), [[1, 'Archived'], [2, 'Archived'], [3, 'Production']]);
    assert.deepEqual(m.byAlias, { candidate: null, challenger: null, champion: 3 });
    assert.equal(m.description, 'the yield model');
    assert.equal(m.versions[2].description, 'v3 in Production');
    assert.equal(m.versions[2].tags.validated, 'yes');
    assert.equal(m.versions[2].tags.owner, undefined);
    const reg = await wb.json<{ model: string; version: number; auditKey: string; after: { versions: { version: number; status: string; runId: string }[] } }>(['models', 'register', '--run', runs['trained-b'].slice(0, 12), '--name', 'C-all', '--reason', 'retrained']);
    assert.equal(reg.version, 4);
    assert.match(reg.auditKey, /^mlops\.audit\.\d+$/);
    assert.deepEqual(reg.after.versions.find((v) => v.version === 4), { ...reg.after.versions.find((v) => v.version === 4), status: 'READY', runId: runs['trained-b'] });
    await wb.ok(['models', 'register', '--run', runs['trained-a'], '--name', 'C-brand-new']);
    assert.deepEqual((await py('C-brand-new')).versions.map((v) => [v.version, v.status, v.run_id]), [[1, 'READY', runs['trained-a']]]);
    await wb.fails(['models', 'register', '--run', runs['no-model'], '--name', 'C-all'], 2, /has no artifact 'model'.*--path/);
    assert.equal(await wb.ok(['models', 'rollback', 'C-all', '--reason', 'v3 misbehaves']), `Rolled back C-all on ${server.url}: v2 is in Production; archived v3.\n`);
    m = await py('C-all');
    assert.deepEqual(stages(m), [[1, 'Archived'], [2, 'Production'], [3, 'Archived'], [4, 'None']]);
    const h = await wb.json<HistoryJson>(['models', 'history', 'C-all']);
    assert.deepEqual(h.entries.map((e) => e.action), ['baseline', 'transition', 'alias', 'alias', 'describe', 'describe', 'tag', 'tag', 'register', 'rollback']);
    assert.deepEqual(h.entries.filter((e) => e.origin !== 'baseline').map((e) => e.origin), Array(9).fill('workbench'));
    assert.ok(h.entries.slice(1).every((e) => e.user === 'alice@fab.example' && e.auditKey), 'every change has its audit tag on the server');
    assert.equal(h.completeFrom, h.entries[0].time);
    await wb.fails(['models', 'rollback', 'C-all'], 2, /Cannot roll back C-all on .*: the audit trail does not know which version held Production before v2/);
    assert.deepEqual(stages(await py('C-all')), [[1, 'Archived'], [2, 'Production'], [3, 'Archived'], [4, 'None']]);
    await wb.fails(['models', 'transition', 'C-all', '9', 'Staging'], 2, /has no version 9/);
    await wb.fails(['models', 'tag', 'C-all', '1', 'mlops.audit.5=x'], 2, /hold the workbench's audit trail/);
  });

  it("a second workbench's history shows the first one's audit entries, and a change made with the Python client as observed; models at answers from the trail", async () => {
    await model('C-shared');
    const alice = workbench('alice@fab.example');
    await alice.ok(['models', 'history', 'C-shared']);
    await alice.ok(['models', 'transition', 'C-shared', '3', 'Production', '--reason', 'from alice']);
    const bob = workbench('bob@fab.example');
    let h = await bob.json<HistoryJson>(['models', 'history', 'C-shared']);
    assert.deepEqual(h.entries.map((e) => [e.origin, e.user, e.action, e.reason]), [['audit', 'alice@fab.example', 'transition', 'from alice'], ['baseline', 'bob@fab.example', 'baseline', null]]);
    assert.equal(h.completeFrom, h.entries[0].time, 'complete from the earliest audit entry');
    const text = await bob.ok(['models', 'history', 'C-shared']);
    assert.match(text, /alice@fab\.example +transition +v3: Staging → Production; v2: Production → Archived +from alice +audit tag/);
    assert.match(text, /Complete from \S+ \(the earliest audit entry or observation\)/);
    await runMlflowPython(TRANSITION_PY, [server.url, 'C-shared', '1', 'Production']);
    const seenFrom = new Date().toISOString();
    h = await alice.json<HistoryJson>(['models', 'history', 'C-shared']);
    const observed = h.entries.at(-1)!;
    assert.deepEqual([observed.origin, observed.effect], ['observed', 'v1: Archived → Production; v3: Production → Archived']);
    assert.match(observed.user, /^unknown \(seen by alice@fab\.example\)$/);
    assert.ok(observed.time >= seenFrom.slice(0, 19), 'dated when it was seen');
    const afterPromotion = new Date(Date.parse(h.entries[1].time) + 1).toISOString();
    assert.deepEqual((await alice.json<{ versions: { version: number }[]; completeFrom: string }>(['models', 'at', 'C-shared', '--time', afterPromotion])).versions.map((v) => v.version), [3]);
    assert.match(await alice.ok(['models', 'at', 'C-shared', '--time', afterPromotion, '--alias', 'champion']), /C-shared @champion: v2 \(the audit trail is complete from /);
    const beforeTrail = new Date(Date.parse(h.entries[0].time) - 1000).toISOString();
    await alice.fails(['models', 'at', 'C-shared', '--time', beforeTrail], 2, /audit trail of C-shared on .* is complete from .*: `models at` answers from then on, not for /);
    // Bob rolls back from alice's trail: v1 came from outside, v3 was before it.
    await bob.ok(['models', 'rollback', 'C-shared']);
    assert.deepEqual(stages(await py('C-shared')), [[1, 'Archived'], [2, 'Archived'], [3, 'Production']]);
  });

  it('registry.promoters in the workspace mlops.yaml: exit 4, one line, the server unchanged (Python client), the refusal in the history', async () => {
    await model('C-rule');
    const bob = workbench('bob@fab.example', 'registry:\n  promoters: [release-manager@fab.example]\n');
    const state = JSON.stringify(await py('C-rule'));
    await bob.fails(['models', 'transition', 'C-rule', '3', 'Production', '--reason', 'urgent'], 4, /^mlops: Refused: bob@fab\.example may not move versions into Production of C-rule on .* \(registry\.promoters in mlops\.yaml allows only release-manager@fab\.example\)\. Nothing was changed on the server/);
    await bob.fails(['models', 'rollback', 'C-rule'], 4, /may not roll back Production/);
    await bob.fails(['models', 'alias', 'C-rule', 'champion', '3'], 4, /may not move the @champion alias/);
    assert.equal(JSON.stringify(await py('C-rule')), state);
    const h = await bob.json<HistoryJson>(['models', 'history', 'C-rule']);
    assert.deepEqual(h.entries.map((e) => [e.action, e.reason]), [['baseline', null], ['refused', 'urgent'], ['refused', null], ['refused', null]]);
    const manager = workbench('release-manager@fab.example', 'registry:\n  promoters: [release-manager@fab.example]\n');
    await manager.ok(['models', 'transition', 'C-rule', '3', 'Production']);
    assert.deepEqual(stages(await py('C-rule')), [[1, 'Archived'], [2, 'Archived'], [3, 'Production']]);
  });

  it('401 behind a token proxy and an unreachable server: one line, exit 1; MLFLOW_TRACKING_URI without a workspace store audits on the server only', async () => {
    await model('C-auth');
    const token = 't0k-mreg';
    const proxy = http.createServer((req, res) => {
      if (req.headers.authorization !== `Bearer ${token}`) return void res.writeHead(401, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error_code: 'UNAUTHENTICATED', message: 'A valid token is needed.' }));
      const url = new URL(req.url ?? '/', server.url);
      req.pipe(http.request(url, { method: req.method, headers: { ...req.headers, host: url.host } }, (r) => { res.writeHead(r.statusCode ?? 502, r.headers); r.pipe(res); }));
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;
    try {
      const wb = workbench('alice@fab.example');
      for (const args of [['models', 'transition', 'C-auth', '3', 'Production'], ['models', 'alias', 'C-auth', 'x', '1'], ['models', 'history', 'C-auth']]) {
        const r = await fails(['--store', proxyUrl, ...args], 1, /HTTP 401 UNAUTHENTICATED: A valid token is needed\./, { cwd: wb.dir });
        assert.ok(!r.err.includes(token));
      }
      await ok(['--store', proxyUrl, 'models', 'transition', 'C-auth', '3', 'Production'], { cwd: wb.dir, env: { MLFLOW_TRACKING_TOKEN: token, MLOPS_USER_EMAIL: 'alice@fab.example' } });
      assert.deepEqual(stages(await py('C-auth')), [[1, 'Archived'], [2, 'Archived'], [3, 'Production']]);
    } finally {
      await new Promise<void>((r) => { proxy.closeAllConnections(); proxy.close(() => r()); });
    }
    const url = `http://127.0.0.1:${await freePort()}`;
    const r = await fails(['--store', url, 'models', 'rollback', 'C-auth'], 1, new RegExp(`${url.replace(/\./g, '\\.')}.*unreachable \\(connection refused\\)`));
    assert.ok(r.ms < 10_000);
    // No .mlops here: the change is made and audited on the server; the history has the audit tags only.
    const bare = tempDir('mlops-cli-mreg-bare-');
    const env = { MLFLOW_TRACKING_URI: server.url, MLOPS_USER_EMAIL: 'carol@fab.example' };
    await ok(['models', 'alias', 'C-auth', 'champion', '3'], { cwd: bare, env });
    assert.equal((await py('C-auth')).byAlias.champion, 3);
    const h = await json<HistoryJson>(['models', 'history', 'C-auth'], { cwd: bare, env });
    assert.deepEqual(h.entries.map((e) => [e.origin, e.user, e.action]), [['audit', 'alice@fab.example', 'transition'], ['audit', 'carol@fab.example', 'alias']]);
    assert.deepEqual(fs.readdirSync(bare), [], 'nothing written where there is no workspace store');
    const mixed = await mlops(['--store', server.url, 'models', 'alias', 'C-auth', 'champion', '1', '--delete'], { cwd: bare });
    assert.equal(mixed.code, 2);
  });
});
