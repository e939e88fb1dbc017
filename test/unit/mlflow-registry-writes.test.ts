/**
 * The registry of an MLflow tracking server changed from the workbench (core/mlflowRegistry) against a real server on
 * 127.0.0.1 (test/mlflow/server.ts), every effect checked with MLflow's own Python client (test/mlflow/registry.ts):
 * transitions with archive, aliases, descriptions, tags, registration from a run, rollback from the audit trail, a
 * second workbench reading the first one's audit tags, a change made with the Python client observed, the promotion
 * rule, 401 and unreachable servers, and mlflow.db / mlruns refused. The trail's logic is also tested pure.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type * as net from 'node:net';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { mlflowRegistry, rollbackTarget, stateAt, type MlflowRegistry } from '../../src/core/mlflowRegistry';
import { AUDIT_PREFIX, readAuditEntries } from '../../src/core/mlflowRegistry/audit';
import { walkTrail, type TrailEntry } from '../../src/core/mlflowRegistry/trail';
import type { Identity } from '../../src/core/registry/identity';
import { RefusedError, Registry } from '../../src/core/registry/registry';
import { MlflowServerSource } from '../../src/core/sources/mlflowServer';
import { MlflowHttp } from '../../src/core/sources/mlflowServer/http';
import { MlflowSqliteSource } from '../../src/core/sources/mlflowSqlite/sqliteStore';
import { MlflowFileSource } from '../../src/core/sources/mlflowFile/fileStore';
import { SourceError } from '../../src/core/sources/types';
import { Store } from '../../src/core/store/store';
import { UserInputError } from '../../src/core/util/errors';
import { fixtureDir, skipUnlessMlflow } from '../mlflow/env';
import { MODEL_PY, RUNS_PY, stages, STATE_PY, TRANSITION_PY, type PyModel } from '../mlflow/registry';
import { freePort, runMlflowPython, startMlflowServer, type MlflowServer } from '../mlflow/server';
import { tempDir } from './helpers';

const who = (email: string): Identity => ({ email, osUser: 'tester', display: email });

/** A trail entry with stage moves, for the pure tests. */
const change = (time: number, action: string, moves: [number, string | null, string | null][], aliases: [string, number | null, number | null][] = []): TrailEntry => ({
  time, user: 'u', action, origin: 'audit', effect: action, stages: moves.map(([version, from, to]) => ({ version, from, to })), aliases: aliases.map(([alias, from, to]) => ({ alias, from, to })),
});

describe('MLflow audit trail (pure)', () => {
  const current = { stages: { 1: 'Archived', 2: 'Archived', 3: 'Production' }, aliases: { champion: 3 } };
  const entries = [
    { ...change(100, 'baseline', []), origin: 'baseline' as const, state: { stages: { 1: 'Production', 2: 'Staging', 3: 'None' }, aliases: {} } },
    change(200, 'transition', [[2, 'Staging', 'Production'], [1, 'Production', 'Archived']]),
    change(300, 'transition', [[3, 'None', 'Production'], [2, 'Production', 'Archived']]),
    change(400, 'alias', [], [['champion', null, 3]]),
  ];

  it('walks back from the current state: complete from the first observation, the state at any time since', () => {
    const t = walkTrail('M', 'http://x', current, entries);
    assert.equal(t.completeFrom, 100);
    assert.equal(t.gap, undefined);
    assert.deepEqual(t.earliest, entries[0].state);
    assert.deepEqual(stateAt(t, 250)!.state, { stages: { 1: 'Archived', 2: 'Production', 3: 'None' }, aliases: {} });
    assert.deepEqual(stateAt(t, 350)!.state.aliases, {});
    assert.equal(stateAt(t, 99), undefined, 'before the trail is complete: no answer');
    assert.equal(rollbackTarget(t, { stage: 'Production' }), 2);
    assert.equal(rollbackTarget(t, { alias: 'champion' }), undefined, '@champion held nothing before v3');
  });

  it('a change nobody recorded is a gap: the trail is complete only from the entry after it', () => {
    // v3 is Production now, but the newest entry says v2 went there: someone moved v3 without the workbench.
    const t = walkTrail('M', 'http://x', current, entries.slice(0, 3).concat(change(400, 'transition', [[2, 'Archived', 'Production']])));
    assert.equal(t.completeFrom, undefined);
    assert.equal(t.gap!.time, 400);
    const u = walkTrail('M', 'http://x', { stages: { 1: 'Production', 2: 'Archived', 3: 'Production' }, aliases: { champion: 3 } }, entries);
    assert.equal(u.gap!.time, 200, 'v1 is in Production now, not Archived as the entry of 200 left it: someone moved it since');
    assert.equal(u.completeFrom, 300);
    assert.equal(stateAt(u, 250), undefined);
    assert.deepEqual(stateAt(u, 350)!.state.stages, { 1: 'Production', 2: 'Archived', 3: 'Production' });
  });

  it('rollbacks walk further back, as the workspace registry does', () => {
    const t = walkTrail('M', 'http://x', { stages: { 1: 'Archived', 2: 'Production', 3: 'Archived' }, aliases: {} }, [
      ...entries.slice(0, 3),
      change(500, 'rollback', [[2, 'Archived', 'Production'], [3, 'Production', 'Archived']]),
    ]);
    assert.equal(rollbackTarget(t, { stage: 'Production' }), 1);
  });

  it('audit tags decode to their moves; unreadable ones are counted, not guessed', () => {
    const tags = { [`${AUDIT_PREFIX}1000`]: JSON.stringify({ who: 'a', when: 'x', action: 'transition', from: 'Staging', to: 'Production', archived: [1] }), [`${AUDIT_PREFIX}2000`]: '{not json', other: 'x' };
    const { entries: got, unreadable } = readAuditEntries({ name: 'M', description: '', tags: {}, aliases: {}, versions: [{ model: 'M', version: 2, stage: 'Production', aliases: [], description: '', tags, createdAt: 0 }] });
    assert.equal(unreadable, 1);
    assert.deepEqual(got.map((e) => [e.time, e.stages]), [[1000, [{ version: 2, from: 'Staging', to: 'Production' }, { version: 1, from: 'Production', to: 'Archived' }]]]);
  });
});

describe('MLflow HTTP client: requests that create something are not sent twice', () => {
  it('a non-idempotent POST is not retried after a 503 or a reset connection, only after a 429; others are', async () => {
    let hits = 0;
    let answer = 503;
    const srv = http.createServer((req, res) => {
      hits++;
      if (answer === 0) return void req.socket.destroy();
      res.writeHead(answer, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error_code: 'TEMPORARILY_UNAVAILABLE', message: 'busy' }));
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const client = new MlflowHttp(`http://127.0.0.1:${(srv.address() as net.AddressInfo).port}`, { retries: 2, retryBaseMs: 1, retryMaxDelayMs: 5 });
    const post = (idempotent?: boolean) => client.json({ method: 'POST', path: '/api/2.0/mlflow/model-versions/create', body: { name: 'M' }, ...(idempotent === undefined ? {} : { idempotent }) });
    try {
      for (const [code, idempotent, attempts] of [[503, false, 1], [0, false, 1], [429, false, 3], [503, undefined, 3], [0, undefined, 3]] as const) {
        hits = 0;
        answer = code;
        await assert.rejects(post(idempotent), SourceError);
        assert.equal(hits, attempts, `HTTP ${code || 'reset'}, idempotent ${String(idempotent)}`);
      }
    } finally {
      client.close();
      await new Promise<void>((r) => { srv.closeAllConnections(); srv.close(() => r()); });
    }
  });
});

/** A small proxy that demands `Authorization: Bearer <token>` in front of the real server. */
async function tokenProxy(target: string, token: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (req.headers.authorization !== `Bearer ${token}`) {
      res.writeHead(401, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error_code: 'UNAUTHENTICATED', message: 'A valid token is needed.' }));
      return;
    }
    const url = new URL(req.url ?? '/', target);
    const up = http.request(url, { method: req.method, headers: { ...req.headers, host: url.host } }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

describe('MLflow registry writes against a real tracking server', { skip: skipUnlessMlflow() }, () => {
  let server: MlflowServer;
  let runs: Record<string, string>;
  const sources: MlflowServerSource[] = [];

  before(async () => {
    server = await startMlflowServer();
    runs = await runMlflowPython<Record<string, string>>(RUNS_PY, [server.url]);
  });
  after(async () => {
    for (const s of sources) await s.close();
    await server?.stop();
  });

  /** A workbench: its own workspace store (the audit store) and a connection to the server. */
  const workbench = (email: string, options: { promoters?: string[]; url?: string; token?: string } = {}) => {
    const dir = tempDir('mlops-mreg-');
    const registry = new Registry(Store.open(path.join(dir, '.mlops'), { create: true }), { identity: who(email), promoters: options.promoters });
    const source = new MlflowServerSource(options.url ?? server.url, { ...(options.token ? { token: options.token } : {}), retries: 0 });
    sources.push(source);
    return { dir, registry, source, reg: mlflowRegistry(source, registry) };
  };
  const model = async (name: string) => runMlflowPython(MODEL_PY, [server.url, name, runs['trained-a']]);
  const py = (name: string) => runMlflowPython<PyModel>(STATE_PY, [server.url, name]);
  const mlflowEvents = (r: Registry) => r.readEvents().events.filter((e) => e.action === 'mlflow');

  it('transition to Production archives the old Production version (archive_existing_versions); audit tag on the server, event in the workspace log', async () => {
    await model('M-transition');
    const { reg, registry } = workbench('alice@fab.example');
    const c = await reg.transition('M-transition', 3, 'Production', { reason: 'better rmse' });
    assert.deepEqual(c.stages, [{ version: 3, from: 'Staging', to: 'Production' }, { version: 2, from: 'Production', to: 'Archived' }]);
    assert.deepEqual(c.warnings, []);
    const m = await py('M-transition');
    assert.deepEqual(stages(m), [[1, 'Archived'], [2, 'Archived'], [3, 'Production']]);
    const audit = JSON.parse(m.versions[2].tags[c.auditKey!]) as Record<string, unknown>;
    assert.match(c.auditKey!, /^mlops\.audit\.\d{13}$/);
    assert.deepEqual({ ...audit, when: 'x' }, { who: 'alice@fab.example', when: 'x', action: 'transition', from: 'Staging', to: 'Production', reason: 'better rmse', archived: [2], id: c.event!.id });
    const ev = mlflowEvents(registry);
    assert.deepEqual(ev.map((e) => e.mlflow!.op), ['baseline', 'transition']);
    assert.equal(ev[1].mlflow!.uri, server.url);
    assert.equal(ev[1].user, 'alice@fab.example');
    assert.equal(ev[1].reason, 'better rmse');
    assert.deepEqual(registry.listModels(), [], "the workspace's own registry is not touched");
    await assert.rejects(reg.transition('M-transition', 3, 'Production'), (e: Error) => e instanceof UserInputError && /already in Production/.test(e.message));
    // Staging does not archive; --keep-existing keeps two versions in Production.
    await reg.transition('M-transition', 1, 'Staging');
    await reg.transition('M-transition', 1, 'Production', { archiveExisting: false });
    assert.deepEqual(stages(await py('M-transition')), [[1, 'Production'], [2, 'Archived'], [3, 'Production']]);
  });

  it('aliases set, moved and removed, as get_model_version_by_alias sees them', async () => {
    await model('M-alias');
    const { reg, registry } = workbench('alice@fab.example');
    const c = await reg.setAlias('M-alias', 'champion', 3, { reason: 'v3 wins' });
    assert.deepEqual(c.aliases, [{ alias: 'champion', from: 2, to: 3 }]);
    await reg.setAlias('M-alias', 'candidate', 1);
    let m = await py('M-alias');
    assert.deepEqual(m.byAlias, { candidate: 1, champion: 3, challenger: 3 });
    assert.ok(Object.keys(m.versions[2].tags).some((k) => k.startsWith(AUDIT_PREFIX)), 'the audit tag is on the version the alias now names');
    await reg.setAlias('M-alias', 'challenger', null);
    m = await py('M-alias');
    assert.equal(m.byAlias.challenger, null);
    assert.deepEqual(m.aliases, { candidate: 1, champion: 3 });
    await assert.rejects(reg.setAlias('M-alias', 'challenger', null), /has no alias 'challenger'/);
    await assert.rejects(reg.setAlias('M-alias', 'x', 9), /has no version 9/);
    assert.deepEqual(mlflowEvents(registry).map((e) => [e.mlflow!.op, e.alias ?? null, e.from ?? null, e.to ?? null]), [['baseline', null, null, null], ['alias', 'champion', 'v2', 'v3'], ['alias', 'candidate', null, 'v1'], ['alias', 'challenger', 'v3', null]]);
  });

  it('descriptions of the model and of a version; tags set and deleted; audit keys are not set by hand', async () => {
    await model('M-edit');
    const { reg } = workbench('alice@fab.example');
    await reg.describe('M-edit', undefined, 'Yield model, été ✓');
    await reg.describe('M-edit', 2, 'the one in Production');
    await reg.setTags('M-edit', 2, { validated: 'yes', owner: 'fab' });
    await reg.setTags('M-edit', 2, {}, ['owner']);
    const m = await py('M-edit');
    assert.equal(m.description, 'Yield model, été ✓');
    assert.equal(m.versions[1].description, 'the one in Production');
    const plain = Object.fromEntries(Object.entries(m.versions[1].tags).filter(([k]) => !k.startsWith(AUDIT_PREFIX)));
    assert.deepEqual(plain, { validated: 'yes' });
    assert.equal(Object.keys(m.tags).filter((k) => k.startsWith(AUDIT_PREFIX)).length, 1, "the model's description change is audited on the model");
    await assert.rejects(reg.setTags('M-edit', 2, { [`${AUDIT_PREFIX}1`]: 'x' }), /hold the workbench's audit trail/);
    await assert.rejects(reg.setTags('M-edit', 2, {}, ['nope']), /has no tag 'nope'/);
    const t = await reg.history('M-edit');
    assert.deepEqual(t.entries.map((e) => e.action), ['baseline', 'describe', 'describe', 'tag', 'tag']);
  });

  it('register from a run: the registered model is created, the version has the run as source and is READY', async () => {
    const { reg } = workbench('alice@fab.example');
    const c = await reg.register(runs['trained-b'], 'M-new', { description: 'from trained-b', reason: 'first' });
    assert.equal(c.version, 1);
    const again = await reg.register(runs['trained-a'], 'M-new');
    assert.equal(again.version, 2);
    const m = await py('M-new');
    assert.deepEqual(m.versions.map((v) => [v.version, v.stage, v.status, v.run_id]), [[1, 'None', 'READY', runs['trained-b']], [2, 'None', 'READY', runs['trained-a']]]);
    assert.match(m.versions[0].source, new RegExp(`${runs['trained-b']}/artifacts/model$`));
    assert.equal(m.versions[0].description, 'from trained-b');
    await assert.rejects(reg.register(runs['no-model'], 'M-new'), (e: Error) => e instanceof UserInputError && /has no artifact 'model'/.test(e.message));
    assert.equal((await py('M-new')).versions.length, 2, 'nothing registered for a run without the model folder');
    const t = await reg.history('M-new');
    assert.deepEqual(t.entries.map((e) => [e.action, e.effect]), [['register', 'v1 registered (None)'], ['register', 'v2 registered (None)']]);
  });

  it('rollback: the version that was in Production before, seen by the Python client; again walks back; refused when the trail does not know', async () => {
    await model('M-rollback');
    const { reg, registry } = workbench('alice@fab.example');
    await assert.rejects(reg.rollback('M-rollback'), (e: Error) => e instanceof UserInputError && /does not know which version held Production before v2/.test(e.message));
    assert.deepEqual(stages(await py('M-rollback')), [[1, 'Archived'], [2, 'Production'], [3, 'Staging']], 'nothing changed');
    assert.equal(mlflowEvents(registry).at(-1)!.mlflow!.op, 'refused');
    await reg.transition('M-rollback', 3, 'Production');
    await reg.transition('M-rollback', 1, 'Production');
    const r = await reg.rollback('M-rollback', { reason: 'v1 is broken' });
    assert.equal(r.version, 3);
    assert.deepEqual(stages(await py('M-rollback')), [[1, 'Archived'], [2, 'Archived'], [3, 'Production']]);
    await reg.rollback('M-rollback');
    assert.deepEqual(stages(await py('M-rollback')), [[1, 'Archived'], [2, 'Production'], [3, 'Archived']], 'the second rollback walks further back');
    // @champion: a model whose versions are not in Production rolls back its alias.
    await reg.transition('M-rollback', 2, 'Archived');
    await reg.setAlias('M-rollback', 'champion', 3);
    await reg.setAlias('M-rollback', 'champion', 1);
    const a = await reg.rollback('M-rollback');
    assert.deepEqual(a.aliases, [{ alias: 'champion', from: 1, to: 3 }]);
    assert.equal((await py('M-rollback')).byAlias.champion, 3);
  });

  it('a second workbench sees the first one’s audit entries; a change made with the Python client is observed on refresh', async () => {
    await model('M-shared');
    const first = workbench('alice@fab.example');
    await first.reg.observe('M-shared');
    await first.reg.transition('M-shared', 3, 'Production', { reason: 'from alice' });
    const second = workbench('bob@fab.example');
    let t = await second.reg.history('M-shared');
    assert.deepEqual(t.entries.map((e) => [e.origin, e.user, e.action]), [['audit', 'alice@fab.example', 'transition'], ['baseline', 'bob@fab.example', 'baseline']]);
    assert.equal(t.entries[0].reason, 'from alice');
    assert.equal(t.completeFrom, t.entries[0].time, 'complete from the earliest audit entry');
    await second.reg.setAlias('M-shared', 'champion', 3, { reason: 'from bob' });
    // Made with MLflow's client: no audit tag; both workbenches record it when they look again.
    await runMlflowPython(TRANSITION_PY, [server.url, 'M-shared', '1', 'Production']);
    for (const wb of [first, second]) {
      const o = await wb.reg.observe('M-shared');
      assert.deepEqual(o.observed!.stages, [{ version: 1, from: 'Archived', to: 'Production' }, { version: 3, from: 'Production', to: 'Archived' }]);
      assert.match(o.observed!.user, /^unknown \(seen by /);
    }
    t = await first.reg.history('M-shared');
    assert.deepEqual(t.entries.map((e) => [e.origin, e.action]), [['baseline', 'baseline'], ['workbench', 'transition'], ['audit', 'alias'], ['observed', 'observed']]);
    assert.equal(t.entries[2].user, 'bob@fab.example', "bob's change, from his audit tag");
    assert.equal(t.gap, undefined);
    const at = await first.reg.at('M-shared', t.entries[2].time + 1, { stage: 'Production' });
    assert.deepEqual(at.versions, [3]);
    assert.deepEqual((await first.reg.at('M-shared', t.entries[2].time + 1, { alias: 'champion' })).versions, [3]);
    assert.deepEqual((await first.reg.at('M-shared', t.entries[0].time + 1, { stage: 'Production' })).versions, [2]);
    await assert.rejects(first.reg.at('M-shared', t.entries[0].time - 1, {}), /complete from/);
    assert.equal((await first.reg.observe('M-shared')).observed, undefined, 'seen once, recorded once');
  });

  it('promoters: a refusal changes nothing on the server and is logged in the workspace', async () => {
    await model('M-rule');
    const { reg, registry } = workbench('bob@fab.example', { promoters: ['release-manager@fab.example'] });
    const state = JSON.stringify(await py('M-rule'));
    await assert.rejects(reg.transition('M-rule', 3, 'Production', { reason: 'please' }), (e: Error) => e instanceof RefusedError && /Refused: bob@fab\.example may not move versions into Production of M-rule .*allows only release-manager@fab\.example.*Nothing was changed/.test(e.message));
    await assert.rejects(reg.rollback('M-rule'), RefusedError);
    await assert.rejects(reg.setAlias('M-rule', 'champion', 3), RefusedError);
    assert.equal(JSON.stringify(await py('M-rule')), state, 'the server is unchanged (no stage, alias or tag)');
    const refused = mlflowEvents(registry).filter((e) => e.mlflow!.op === 'refused');
    assert.deepEqual(refused.map((e) => [e.attempted, e.requestedReason ?? null]), [['move versions into Production', 'please'], ['roll back Production', null], ['move the @champion alias', null]]);
    // Others may still move Staging and other aliases.
    await reg.transition('M-rule', 1, 'Staging');
    const manager = workbench('release-manager@fab.example', { promoters: ['release-manager@fab.example'] });
    await manager.reg.transition('M-rule', 3, 'Production');
    assert.deepEqual(stages(await py('M-rule')), [[1, 'Staging'], [2, 'Archived'], [3, 'Production']]);
  });

  it('401 and an unreachable server: one-line errors, nothing recorded', async () => {
    await model('M-auth');
    const proxy = await tokenProxy(server.url, 'tok-3n');
    try {
      const { reg, registry } = workbench('alice@fab.example', { url: proxy.url });
      await assert.rejects(reg.transition('M-auth', 3, 'Production'), (e: Error) => e instanceof SourceError && e.code === 'unauthorized' && /HTTP 401 UNAUTHENTICATED: A valid token is needed/.test(e.message) && !e.message.includes('\n'));
      assert.deepEqual(mlflowEvents(registry), []);
      const ok = workbench('alice@fab.example', { url: proxy.url, token: 'tok-3n' });
      await ok.reg.transition('M-auth', 3, 'Production');
      assert.deepEqual(stages(await py('M-auth')), [[1, 'Archived'], [2, 'Archived'], [3, 'Production']]);
    } finally {
      await proxy.close();
    }
    const url = `http://127.0.0.1:${await freePort()}`;
    const { reg, registry } = workbench('alice@fab.example', { url });
    await assert.rejects(reg.setAlias('M-auth', 'champion', 1), (e: Error) => e instanceof SourceError && e.code === 'unreachable' && /unreachable \(connection refused\)/.test(e.message));
    assert.deepEqual(mlflowEvents(registry), []);
  });

  it('mlflow.db and mlruns: every write refused with the reason (no lock Node can share), nothing written; their history reads the audit tags', async () => {
    const dir = fixtureDir('2.12');
    assert.ok(dir);
    const copy = tempDir('mlops-mreg-db-');
    fs.copyFileSync(path.join(server.dir, 'mlflow.db'), path.join(copy, 'mlflow.db'));
    const db = new MlflowSqliteSource(path.join(copy, 'mlflow.db'));
    const files = new MlflowFileSource(path.join(dir, 'mlruns'));
    try {
      const before = fs.statSync(path.join(copy, 'mlflow.db')).mtimeMs;
      for (const [source, why] of [[db, /SQLite's POSIX \(fcntl\) locks, which this Node process cannot take/], [files, /file store takes no locks at all/]] as const) {
        const reg: MlflowRegistry = mlflowRegistry(source, undefined);
        for (const attempt of [() => reg.transition('YieldPredictor', 3, 'Production'), () => reg.setAlias('YieldPredictor', 'champion', 3), () => reg.describe('YieldPredictor', 1, 'x'), () => reg.setTags('YieldPredictor', 1, { a: 'b' }), () => reg.register('r', 'YieldPredictor'), () => reg.rollback('YieldPredictor')]) {
          await assert.rejects(attempt(), (e: Error) => e instanceof SourceError && e.code === 'read-only' && why.test(e.message) && /use --store http:\/\/HOST:PORT/.test(e.message));
        }
      }
      assert.equal(fs.statSync(path.join(copy, 'mlflow.db')).mtimeMs, before);
      const t = await mlflowRegistry(db, undefined).history('M-transition');
      assert.deepEqual(t.entries.map((e) => [e.origin, e.user, e.action]), [['audit', 'alice@fab.example', 'transition'], ['audit', 'alice@fab.example', 'transition'], ['audit', 'alice@fab.example', 'transition']]);
    } finally {
      await db.close();
      await files.close();
    }
  });
});
