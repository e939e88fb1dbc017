import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig, parseConfig } from '../../src/core/config/config';
import { registryOptions } from '../../src/core/registry/config';
import { productionIntervals } from '../../src/core/registry/history';
import { Registry, RefusedError } from '../../src/core/registry/registry';
import { parseModelUri, resolveModelUri } from '../../src/core/registry/uri';
import { Tracker } from '../../src/core/tracking/tracker';
import { UserInputError } from '../../src/core/util/errors';
import { appendRecord } from '../../src/core/util/jsonLog';
import { FIXTURES, tempDir } from './helpers';

const alice = { osUser: 'alice', email: 'alice@fab.example', display: 'alice@fab.example' };
const bob = { osUser: 'bob', email: 'bob@fab.example', display: 'bob@fab.example' };

/** A store with N completed runs that have (fake) model artifacts, registered as versions 1..N. */
function setup(n: number, options: ConstructorParameters<typeof Registry>[1] = { identity: alice }) {
  const root = path.join(tempDir('mlops-reg-'), '.mlops');
  const tracker = Tracker.open(root, { create: true });
  const registry = new Registry(tracker.store, options);
  const runs: string[] = [];
  for (let i = 1; i <= n; i++) {
    const r = tracker.startRun({ experiment: 'E', name: `run-${i}`, params: { n_estimators: i * 50 }, environment: { dataset: { path: 'data.csv', sha256: 'ab'.repeat(32) } } });
    const bin = `model ${i}`;
    r.logArtifactBytes('model/model.bin', bin);
    r.logArtifactBytes('model/model.json', JSON.stringify({ format: 1, engine: 'forest', binSha256: crypto.createHash('sha256').update(bin).digest('hex') }));
    r.logMetrics({ rmse_test: 4 - i * 0.1 });
    r.end();
    runs.push(r.id);
  }
  for (const id of runs) registry.register(tracker, id, 'YieldPredictor');
  return { tracker, registry, runs, root };
}

const stages = (r: Registry) => Object.fromEntries(r.getModel('YieldPredictor').versions.map((v) => [v.version, v.stage]));

describe('model registry', () => {
  it('registers numbered versions with a snapshot and an immutable copy of the model', () => {
    const { tracker, registry, runs } = setup(2);
    const m = registry.getModel('YieldPredictor');
    assert.deepEqual(m.versions.map((v) => v.version), [1, 2]);
    const v1 = m.versions[0];
    assert.equal(v1.run.id, runs[0]);
    assert.equal(v1.run.metrics.rmse_test, 3.9);
    assert.equal(v1.run.datasetSha256, 'ab'.repeat(32));
    assert.equal(v1.stage, 'None');
    // Changing the run afterwards does not change the version.
    fs.writeFileSync(tracker.artifactPath(runs[0], 'model/model.bin'), 'tampered');
    assert.equal(fs.readFileSync(path.join(registry.artifactDir(v1), 'model.bin'), 'utf8'), 'model 1');
    assert.equal(registry.getModel('YieldPredictor').versions[0].modelSha256, v1.modelSha256);
    assert.throws(() => registry.register(tracker, runs[0], '../evil'), /Invalid model name/);
    const noModel = tracker.startRun({});
    noModel.end();
    assert.throws(() => registry.register(tracker, noModel.id, 'X'), /has no model artifact/);
  });

  it("the seed's scenario: v1 → Staging → Production, v2 → Staging → Production, rollback to v1", () => {
    const { registry } = setup(2);
    registry.transition('YieldPredictor', 1, 'Staging');
    registry.transition('YieldPredictor', 1, 'Production');
    assert.deepEqual(stages(registry), { 1: 'Production', 2: 'None' });
    registry.transition('YieldPredictor', 2, 'Staging');
    registry.transition('YieldPredictor', 2, 'Production', { reason: 'better RMSE' });
    assert.deepEqual(stages(registry), { 1: 'Archived', 2: 'Production' });
    const r = registry.rollback('YieldPredictor', { reason: 'v2 misbehaves' });
    assert.equal(r.restored.version, 1);
    assert.deepEqual(r.archived, [2]);
    assert.deepEqual(stages(registry), { 1: 'Production', 2: 'Archived' });
    const h = registry.history('YieldPredictor');
    assert.deepEqual(h.map((x) => x.event.action), ['register', 'register', 'transition', 'transition', 'transition', 'transition', 'rollback']);
    assert.equal(h[5].effect, 'v2: Staging → Production; v1: Production → Archived');
    assert.equal(h[6].event.reason, 'v2 misbehaves');
    assert.equal(h[6].event.user, 'alice@fab.example');
  });

  it('repeated rollbacks walk further back, and refuse (logged) when there is nothing before', () => {
    const { registry } = setup(3);
    for (const v of [1, 2, 3]) registry.transition('YieldPredictor', v, 'Production');
    assert.equal(registry.rollback('YieldPredictor').restored.version, 2);
    assert.equal(registry.rollback('YieldPredictor').restored.version, 1);
    assert.deepEqual(stages(registry), { 1: 'Production', 2: 'Archived', 3: 'Archived' });
    assert.throws(() => registry.rollback('YieldPredictor'), /no earlier Production version/);
    const last = registry.history('YieldPredictor').at(-1)!;
    assert.equal(last.event.action, 'refused');
    assert.equal(last.event.attempted, 'rollback');
  });

  it('keeps several versions in Production when promotion does not archive', () => {
    const { registry } = setup(2);
    registry.transition('YieldPredictor', 1, 'Production');
    registry.transition('YieldPredictor', 2, 'Production', { archiveExisting: false });
    assert.deepEqual(stages(registry), { 1: 'Production', 2: 'Production' });
    const r2 = setup(2, { identity: alice, archiveOnPromote: false }).registry;
    r2.transition('YieldPredictor', 1, 'Production');
    r2.transition('YieldPredictor', 2, 'Production');
    assert.deepEqual(stages(r2), { 1: 'Production', 2: 'Production' });
  });

  it('every transition rule: any stage to any other, not to the same stage, unknown versions refused', () => {
    const { registry } = setup(1);
    for (const [to, expect] of [['Staging', 'Staging'], ['None', 'None'], ['Archived', 'Archived'], ['Production', 'Production'], ['Staging', 'Staging']] as const) {
      registry.transition('YieldPredictor', 1, to);
      assert.equal(stages(registry)[1], expect);
    }
    assert.throws(() => registry.transition('YieldPredictor', 1, 'Staging'), /already in Staging/);
    assert.throws(() => registry.transition('YieldPredictor', 9, 'Staging'), /has no version 9/);
    assert.throws(() => registry.transition('Nope', 1, 'Staging'), /No registered model named 'Nope'/);
  });

  it('aliases: set, move, remove; one alias points to one version', () => {
    const { registry } = setup(2);
    registry.setAlias('YieldPredictor', 'champion', 1);
    registry.setAlias('YieldPredictor', 'challenger', 2);
    registry.setAlias('YieldPredictor', 'champion', 2);
    const m = registry.getModel('YieldPredictor');
    assert.deepEqual(m.aliases, { champion: 2, challenger: 2 });
    assert.deepEqual(m.versions[0].aliases, []);
    assert.deepEqual(m.versions[1].aliases.sort(), ['challenger', 'champion']);
    registry.setAlias('YieldPredictor', 'challenger', null);
    assert.deepEqual(registry.getModel('YieldPredictor').aliases, { champion: 2 });
    assert.throws(() => registry.setAlias('YieldPredictor', 'challenger', null), /has no alias 'challenger'/);
    assert.throws(() => registry.setAlias('YieldPredictor', '1bad', 1), /Invalid alias/);
  });

  it('history entries carry structured stage transitions: a promotion archives the previous Production version, a rollback restores it', () => {
    const { registry } = setup(3);
    registry.transition('YieldPredictor', 1, 'Production');
    registry.transition('YieldPredictor', 2, 'Staging');
    registry.transition('YieldPredictor', 2, 'Production');
    registry.transition('YieldPredictor', 3, 'Production', { archiveExisting: false });
    registry.rollback('YieldPredictor');
    const h = registry.history('YieldPredictor');
    assert.deepEqual(h.slice(0, 3).map((x) => x.transitions), [[], [], []], 'registrations move no stage');
    assert.deepEqual(h.slice(3).map((x) => x.transitions), [
      [{ version: 1, from: 'None', to: 'Production' }],
      [{ version: 2, from: 'None', to: 'Staging' }],
      [{ version: 2, from: 'Staging', to: 'Production' }, { version: 1, from: 'Production', to: 'Archived' }],
      [{ version: 3, from: 'None', to: 'Production' }],
      // Rollback from v3 to v2 (the one below it in the Production history): v2 was still in Production, v3 is archived.
      [{ version: 2, from: 'Production', to: 'Production' }, { version: 3, from: 'Production', to: 'Archived' }],
    ]);
    // The prose effect the CLI prints says the same.
    assert.equal(h[5].effect, 'v2: Staging → Production; v1: Production → Archived');
    assert.equal(h[7].effect, 'rollback: v2: Production → Production; v3: Production → Archived');
    assert.ok(h.every((x) => x.aliasMoves.length === 0));
    // v2 stayed in Production through the rollback: one interval, still open.
    const time = (i: number) => h[i].event.time;
    assert.deepEqual(productionIntervals(h), [
      { version: 1, from: time(3), to: time(5) },
      { version: 2, from: time(5) },
      { version: 3, from: time(6), to: time(7) },
    ]);
  });

  it('a rollback to an archived version lists its return to Production first, then the version it archives', () => {
    const { registry } = setup(2);
    registry.transition('YieldPredictor', 1, 'Production');
    registry.transition('YieldPredictor', 2, 'Production');
    registry.rollback('YieldPredictor', { reason: 'v2 misbehaves' });
    assert.deepEqual(registry.history('YieldPredictor').at(-1)!.transitions, [
      { version: 1, from: 'Archived', to: 'Production' },
      { version: 2, from: 'Production', to: 'Archived' },
    ]);
  });

  it('history entries record alias moves: set, moved to another version, removed', () => {
    const { registry } = setup(2);
    registry.setAlias('YieldPredictor', 'champion', 1);
    registry.setAlias('YieldPredictor', 'champion', 2);
    registry.setAlias('YieldPredictor', 'champion', null);
    const h = registry.history('YieldPredictor').filter((x) => x.event.action === 'alias');
    assert.deepEqual(h.map((x) => x.aliasMoves), [
      [{ alias: 'champion', from: null, to: 1 }],
      [{ alias: 'champion', from: 1, to: 2 }],
      [{ alias: 'champion', from: 2, to: null }],
    ]);
    assert.deepEqual(h.map((x) => x.effect), ['alias @champion → v1', 'alias @champion → v2 (was v1)', 'alias @champion removed (was v2)']);
    assert.ok(h.every((x) => x.transitions.length === 0));
  });

  it('Production intervals come from the structured transitions, not from the words of an effect', () => {
    const { registry } = setup(2);
    registry.transition('YieldPredictor', 1, 'Production');
    // A tag value that reads like a transition in the prose effect moves nothing.
    registry.setTags('YieldPredictor', 2, { note: 'v2: None → Production' });
    registry.transition('YieldPredictor', 2, 'Production');
    registry.rollback('YieldPredictor');
    const h = registry.history('YieldPredictor');
    const time = (i: number) => h[i].event.time;
    assert.deepEqual(productionIntervals(h), [
      { version: 1, from: time(2), to: time(4) },
      { version: 2, from: time(4), to: time(5) },
      { version: 1, from: time(5) },
    ]);
    assert.deepEqual(productionIntervals([]), []);
  });

  it('resolves models:/ URIs and explains unknown names, versions, stages and aliases', () => {
    const { registry } = setup(3);
    registry.transition('YieldPredictor', 1, 'Production');
    registry.transition('YieldPredictor', 2, 'Staging');
    registry.setAlias('YieldPredictor', 'champion', 1);
    assert.equal(resolveModelUri(registry, 'models:/YieldPredictor/2').version, 2);
    assert.equal(resolveModelUri(registry, 'models:/YieldPredictor/Production').version, 1);
    assert.equal(resolveModelUri(registry, 'models:/YieldPredictor/staging').version, 2);
    assert.equal(resolveModelUri(registry, 'models:/YieldPredictor@champion').version, 1);
    assert.equal(resolveModelUri(registry, 'models:/YieldPredictor/latest').version, 3);
    assert.throws(() => resolveModelUri(registry, 'models:/Other/1'), /No registered model named 'Other'/);
    assert.throws(() => resolveModelUri(registry, 'models:/YieldPredictor/7'), /has no version 7/);
    assert.throws(() => resolveModelUri(registry, 'models:/YieldPredictor/Archived'), /has no version in Archived/);
    assert.throws(() => resolveModelUri(registry, 'models:/YieldPredictor@nobody'), /has no alias 'nobody'/);
    assert.throws(() => parseModelUri('models:/YieldPredictor/Prod'), /Unknown stage or version 'Prod'/);
    assert.throws(() => parseModelUri('runs:/abc'), /Invalid model URI/);
  });

  it('answers which version was in Production (or held an alias) at a time T', async () => {
    const { registry } = setup(2);
    const tick = () => new Promise((r) => setTimeout(r, 15));
    const t0 = Date.now();
    await tick();
    registry.transition('YieldPredictor', 1, 'Production');
    registry.setAlias('YieldPredictor', 'champion', 1);
    await tick();
    const t1 = Date.now();
    await tick();
    registry.transition('YieldPredictor', 2, 'Production');
    registry.setAlias('YieldPredictor', 'champion', 2);
    await tick();
    const t2 = Date.now();
    await tick();
    registry.rollback('YieldPredictor');
    const t3 = Date.now();
    assert.deepEqual(registry.at('YieldPredictor', t0, { stage: 'Production' }).versions, []);
    assert.deepEqual(registry.at('YieldPredictor', t1, { stage: 'Production' }).versions, [1]);
    assert.deepEqual(registry.at('YieldPredictor', t2, { stage: 'Production' }).versions, [2]);
    assert.deepEqual(registry.at('YieldPredictor', t3, { stage: 'Production' }).versions, [1]);
    assert.deepEqual(registry.at('YieldPredictor', t1, { alias: 'champion' }).versions, [1]);
    assert.deepEqual(registry.at('YieldPredictor', t2, { alias: 'champion' }).versions, [2]);
    assert.deepEqual(registry.at('YieldPredictor', t2, { stage: 'Archived' }).versions, [1]);
  });

  it('only listed promoters may move versions into Production or roll back; refusals are logged', () => {
    const dir = tempDir();
    const cfgFile = path.join(dir, 'mlops.yaml');
    fs.writeFileSync(cfgFile, 'registry:\n  promoters: [alice@fab.example]\n');
    const opts = registryOptions(loadConfig(cfgFile));
    assert.deepEqual(opts.promoters, ['alice@fab.example']);
    const { registry: asAlice, root } = setup(2, { ...opts, identity: alice });
    asAlice.transition('YieldPredictor', 1, 'Production');
    const asBob = new Registry(Tracker.open(root).store, { ...opts, identity: bob });
    asBob.transition('YieldPredictor', 2, 'Staging'); // other stages are open to everyone
    assert.throws(() => asBob.transition('YieldPredictor', 2, 'Production'), (e: unknown) => e instanceof RefusedError && e.exitCode === 4 && /bob@fab.example may not move versions into Production \(registry.promoters in mlops.yaml allows only alice@fab.example\)/.test(e.message));
    assert.throws(() => asBob.rollback('YieldPredictor'), RefusedError);
    assert.deepEqual(stages(asAlice), { 1: 'Production', 2: 'Staging' });
    const refused = asAlice.history('YieldPredictor').filter((h) => h.event.action === 'refused');
    assert.equal(refused.length, 2);
    assert.equal(refused[0].event.user, 'bob@fab.example');
    assert.equal(refused[0].event.attempted, 'move versions into Production');
    assert.throws(() => registryOptions(parseConfig('registry:\n  promoters: alice\n', 'x.yaml')), /promoters must be a list/);
    assert.throws(() => registryOptions(parseConfig('registry:\n  boss: alice\n', 'x.yaml')), /unknown key 'registry.boss'/);
  });

  it('reports a corrupt history line and replays the rest; never rewrites the log', () => {
    const { registry } = setup(2);
    registry.transition('YieldPredictor', 1, 'Production');
    fs.appendFileSync(registry.eventsFile, '{not json\n');
    registry.transition('YieldPredictor', 2, 'Production');
    const before = fs.readFileSync(registry.eventsFile, 'utf8');
    const st = registry.state();
    assert.equal(st.problems.length, 1);
    assert.match(`${st.problems[0].file}:${st.problems[0].line}: ${st.problems[0].message}`, /events\.jsonl:4: incomplete record/);
    assert.deepEqual(stages(registry), { 1: 'Archived', 2: 'Production' });
    assert.equal(fs.readFileSync(registry.eventsFile, 'utf8'), before);
  });

  it('rejects bad input without writing', () => {
    const { registry } = setup(1);
    const before = fs.readFileSync(registry.eventsFile, 'utf8');
    assert.throws(() => registry.transition('YieldPredictor', 1, 'Prod' as never), Error);
    assert.throws(() => registry.setAlias('YieldPredictor', 'x', 5), UserInputError);
    assert.equal(fs.readFileSync(registry.eventsFile, 'utf8'), before);
  });
});

describe('registry concurrency and crashes', () => {
  it('two processes promoting different versions at the same instant leave exactly one in Production (20 rounds)', async () => {
    for (let round = 0; round < 20; round++) {
      const { registry, root } = setup(2);
      const at = Date.now() + 400;
      const go = (v: number) =>
        new Promise<void>((resolve, reject) => {
          const c = spawn(process.execPath, [path.join(FIXTURES, 'writer.js'), 'promote', root, 'YieldPredictor', String(v), String(at)], { stdio: ['ignore', 'pipe', 'inherit'] });
          let out = '';
          c.stdout.on('data', (d: Buffer) => (out += d));
          c.on('exit', (code) => (code === 0 && out.includes('done') ? resolve() : reject(new Error(`promote v${v} exited ${code}`))));
        });
      await Promise.all([go(1), go(2)]);
      const m = registry.getModel('YieldPredictor');
      const prod = m.versions.filter((v) => v.stage === 'Production');
      assert.equal(prod.length, 1, `round ${round}: ${prod.length} versions in Production`);
      const transitions = registry.history('YieldPredictor').filter((h) => h.event.action === 'transition');
      assert.equal(transitions.length, 2, 'both events are in the log');
      assert.equal(prod[0].version, transitions[1].event.version, 'the later event in the log wins');
      assert.deepEqual(registry.state().problems, []);
    }
  });

  it('a registry writer killed at random points never leaves a half-applied transition (30 kills)', async () => {
    const { registry, root } = setup(3);
    for (let k = 0; k < 30; k++) {
      const acked = await new Promise<string[]>((resolve) => {
        const c = spawn(process.execPath, [path.join(FIXTURES, 'writer.js'), 'registry-loop', root, 'YieldPredictor'], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        let timer: NodeJS.Timeout | undefined;
        c.stdout.on('data', (d: Buffer) => {
          out += d;
          if (!timer && out.includes('ready\n')) timer = setTimeout(() => c.kill('SIGKILL'), Math.random() * 120);
        });
        c.on('exit', () => resolve(out.split('\n').slice(0, -1).filter((l) => l.startsWith('ack'))));
      });
      const st = registry.state();
      assert.deepEqual(st.problems, [], `kill ${k}: the log replays cleanly`);
      const m = st.models.get('YieldPredictor')!;
      assert.ok(m.versions.filter((v) => v.stage === 'Production').length <= 1, 'never two versions in Production');
      const transitions = st.history.get('YieldPredictor')!.filter((h) => h.event.action === 'transition').length;
      assert.ok(transitions >= acked.filter((a) => a.startsWith('ack transition')).length, 'every acknowledged transition is in the log');
    }
  });
});

describe('model registry: replaying a log written by another tool', () => {
  it('an alias event naming a version that does not exist leaves the alias where it was, in the table and on the version', () => {
    const { registry } = setup(2);
    registry.setAlias('YieldPredictor', 'champion', 1);
    appendRecord(registry.eventsFile, { id: 'x1', time: Date.now(), user: 'tool', action: 'alias', model: 'YieldPredictor', alias: 'champion', version: 9 }, { checksum: true });
    const m = registry.getModel('YieldPredictor');
    assert.deepEqual(m.aliases, { champion: 1 });
    assert.deepEqual(m.versions.map((v) => [v.version, v.aliases]), [[1, ['champion']], [2, []]]);
    assert.match(registry.history('YieldPredictor').at(-1)!.effect, /ignored: v9 does not exist/);
  });
});

describe('model registry: events about an MLflow source', () => {
  it("action 'mlflow' events are kept (checksummed, read back) but never change the workspace model of the same name", () => {
    const { registry } = setup(2);
    registry.transition('YieldPredictor', 1, 'Production');
    const before = JSON.stringify(registry.getModel('YieldPredictor'));
    const historyBefore = registry.history('YieldPredictor').length;
    const ev = registry.recordSourceChange({ model: 'YieldPredictor', version: 2, from: 'Staging', to: 'Production', reason: 'on the server', mlflow: { uri: 'http://127.0.0.1:5000', op: 'transition', stages: [{ version: 2, from: 'Staging', to: 'Production' }] } });
    registry.recordSourceChange({ model: 'YieldPredictor', mlflow: { uri: 'http://other:5000', op: 'baseline', state: { stages: { 1: 'None' }, aliases: {} } } });
    assert.equal(JSON.stringify(registry.getModel('YieldPredictor')), before);
    assert.equal(registry.history('YieldPredictor').length, historyBefore);
    assert.deepEqual(registry.state().problems, []);
    assert.deepEqual(registry.sourceChanges('http://127.0.0.1:5000', 'YieldPredictor').map((e) => [e.id, e.user, e.mlflow!.op]), [[ev.id, 'alice@fab.example', 'transition']]);
    const lines = fs.readFileSync(registry.eventsFile, 'utf8').trim().split('\n');
    assert.ok(lines.every((l) => /,"sum":"[^"]+"\}$/.test(l)), 'every line, MLflow events included, ends with its checksum');
    assert.deepEqual(registry.listModels().map((m) => m.name), ['YieldPredictor'], 'an MLflow model name never becomes a workspace model');
    registry.recordSourceChange({ model: 'OnlyOnMlflow', mlflow: { uri: 'http://127.0.0.1:5000', op: 'observed', after: 1, stages: [{ version: 1, from: null, to: 'None' }] } });
    assert.deepEqual(registry.listModels().map((m) => m.name), ['YieldPredictor']);
  });

  it('describe and tag with a reason; tags removed; an unknown tag to remove is refused', () => {
    const { registry } = setup(1);
    registry.describe('YieldPredictor', undefined, 'the model', { reason: 'docs' });
    registry.setTags('YieldPredictor', 1, { a: '1', b: '2' });
    registry.setTags('YieldPredictor', 1, {}, ['a'], { reason: 'cleanup' });
    const m = registry.getModel('YieldPredictor');
    assert.equal(m.description, 'the model');
    assert.deepEqual(m.versions[0].tags, { b: '2' });
    assert.throws(() => registry.setTags('YieldPredictor', 1, {}, ['zz']), /has no tag 'zz'/);
    assert.deepEqual(registry.history('YieldPredictor').slice(-2).map((h) => [h.effect, h.event.reason ?? null]), [['tags of v1 set: a=1, b=2', null], ['tags of v1 removed: a', 'cleanup']]);
  });
});
