/**
 * Issue 18 — data loss and silent corruption in the store's logs and registry (#1, #2, #5, #6, #7, #12, and the
 * stale `running` run of another host). Each test reproduces the reported case through the real CLI or core.
 */
import assert from 'node:assert/strict';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { parsePipeline } from '../../src/core/pipeline/definition';
import { runPipeline } from '../../src/core/pipeline/runner';
import { Registry } from '../../src/core/registry/registry';
import { RunIndex, STALE_FOREIGN_RUN_MS } from '../../src/core/store/runIndex';
import { Tracker } from '../../src/core/tracking/tracker';
import { appendRecord, readJsonLog } from '../../src/core/util/jsonLog';
import { CLI, tempDir } from './helpers';

function cli(ws: string) {
  const env = { ...process.env, MLOPS_STORE: '', MLOPS_USER_EMAIL: 'alice@fab.example' };
  const run = (...args: string[]) => {
    const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ws, encoding: 'utf8', env });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const ok = (...args: string[]) => {
    const r = run(...args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.err}`);
    assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
    return r.out;
  };
  return { run, ok };
}

/** A sample workspace with `n` trained runs (small forests). */
function trainedWorkspace(n: number): { ws: string; runs: string[]; ok: ReturnType<typeof cli>['ok']; run: ReturnType<typeof cli>['run'] } {
  const ws = tempDir('mlops-integrity-');
  const { ok, run } = cli(ws);
  ok('init', '.', '--sample');
  const runs: string[] = [];
  for (let i = 0; i < n; i++) runs.push(JSON.parse(ok('train', '--engine', 'mljs', '-p', `n_estimators=${3 + i}`, '-p', 'max_depth=4', '--json')).id);
  return { ws, runs, ok, run };
}

const events = (ws: string) => path.join(ws, '.mlops', 'registry', 'events.jsonl');
const show = (ok: (...a: string[]) => string) => JSON.parse(ok('models', 'show', 'YieldPredictor', '--json')) as { versions: { version: number; stage: string; runId: string; aliases: string[] }[] };

describe('issue 18 #1: a torn last line never swallows the next event', () => {
  let w: ReturnType<typeof trainedWorkspace>;
  before(() => {
    w = trainedWorkspace(2);
  });

  it('transition, alias and register after a crash mid-append all take effect', () => {
    const { ws, runs, ok } = w;
    ok('models', 'register', '--run', runs[0], '--name', 'YieldPredictor');
    ok('models', 'transition', 'YieldPredictor', '1', 'Staging');
    fs.appendFileSync(events(ws), '{"id":"x","time":1,"use'); // a writer killed mid-append
    ok('models', 'transition', 'YieldPredictor', '1', 'Production');
    assert.equal(show(ok).versions[0].stage, 'Production');
    fs.appendFileSync(events(ws), '{"id":"y","ti');
    ok('models', 'alias', 'YieldPredictor', 'champion', '1');
    assert.deepEqual(show(ok).versions[0].aliases, ['champion']);
    fs.appendFileSync(events(ws), '{"id":"z"');
    const r = JSON.parse(ok('models', 'register', '--run', runs[1], '--name', 'YieldPredictor', '--json'));
    assert.equal(r.version, 2);
    // No orphan artifact: one folder per registered version, no temporary copies.
    const arts = fs.readdirSync(path.join(ws, '.mlops', 'registry', 'artifacts'));
    assert.equal(arts.length, 2, arts.join(', '));
    // The fragments are damaged lines of their own, reported with file and line, and nothing else is.
    const { records, problems } = readJsonLog(events(ws));
    assert.equal(records.length, 5);
    assert.deepEqual(problems.map((p) => p.line), [3, 5, 7]);
    assert.ok(problems.every((p) => /incomplete record/.test(p.message)));
  });

  it('alerts ack after a torn tail changes the alert', () => {
    const { ws, ok } = w;
    const store = Tracker.open(path.join(ws, '.mlops')).store;
    const file = path.join(ws, '.mlops', 'monitoring', 'alerts.jsonl');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // Raise one through the core (as `mlops drift` does), then tear the tail.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { AlertStore } = require('../../src/core/monitoring/alerts') as typeof import('../../src/core/monitoring/alerts');
    const a = new AlertStore(store).raise({ type: 'data_drift', severity: 'warning', model: 'YieldPredictor', batch: 'b.csv', subject: 'Temperature', message: 'm', recommendation: 'r' } as never);
    fs.appendFileSync(file, '{"kind":"status","id":"');
    ok('alerts', 'ack', a.id);
    const list = JSON.parse(ok('alerts', 'list', '--all', '--json')) as { id: string; status: string }[];
    assert.equal(list.find((x) => x.id === a.id)?.status, 'acknowledged');
  });

  it('metric points appended after a torn tail are read', () => {
    const t = Tracker.open(path.join(w.ws, '.mlops'));
    const run = t.startRun({ experiment: 'torn', name: 'r' });
    run.logMetric('loss', 1, 0);
    fs.appendFileSync(t.store.metricsFile(run.id), '{"k":"loss","v":0.');
    run.logMetric('loss', 0.5, 1);
    run.end('completed');
    assert.deepEqual(t.metricHistory(run.id).map((p) => [p.step, p.value]), [[0, 1], [1, 0.5]]);
  });
});

describe('issue 18 #2: one damaged registry line never renumbers versions', () => {
  it('a NUL byte in line 1 leaves v2 in Production with its own run, and is reported with file and line', () => {
    const { ws, runs, ok, run } = trainedWorkspace(3);
    for (const r of runs) ok('models', 'register', '--run', r, '--name', 'YieldPredictor');
    ok('models', 'transition', 'YieldPredictor', '2', 'Production');
    const before = show(ok);
    const text = fs.readFileSync(events(ws));
    text[5] = 0; // a NUL inside line 1
    fs.writeFileSync(events(ws), text);
    const r = run('models', 'show', 'YieldPredictor', '--json');
    assert.equal(r.code, 0, r.err);
    const after = JSON.parse(r.out) as typeof before;
    assert.deepEqual(after.versions.map((v) => [v.version, v.runId, v.stage]), before.versions.slice(1).map((v) => [v.version, v.runId, v.stage]));
    assert.equal(after.versions.find((v) => v.stage === 'Production')?.runId, runs[1]);
    assert.match(r.err, new RegExp(`warning: ${events(ws).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:1: contains NUL bytes`));
  });

  it('a changed byte that keeps the line valid JSON is caught by the checksum', () => {
    const { ws, runs, ok, run } = trainedWorkspace(2);
    ok('models', 'register', '--run', runs[0], '--name', 'YieldPredictor');
    ok('models', 'register', '--run', runs[1], '--name', 'YieldPredictor');
    ok('models', 'transition', 'YieldPredictor', '2', 'Staging');
    const lines = fs.readFileSync(events(ws), 'utf8').split('\n');
    lines[2] = lines[2].replace('"version":2', '"version":1'); // bit rot that moves Staging to another version
    fs.writeFileSync(events(ws), lines.join('\n'));
    const r = run('models', 'show', 'YieldPredictor', '--json');
    assert.equal(r.code, 0, r.err);
    assert.deepEqual((JSON.parse(r.out) as ReturnType<typeof show>).versions.map((v) => v.stage), ['None', 'None']);
    assert.match(r.err, /events\.jsonl:3: checksum mismatch/);
  });

  it('concurrent registrations get distinct explicit numbers; a number claimed by a killed registration is not reused', () => {
    const { ws, runs } = trainedWorkspace(1);
    const t = Tracker.open(path.join(ws, '.mlops'));
    const reg = new Registry(t.store);
    const v1 = reg.register(t, runs[0], 'YieldPredictor');
    // A registration killed after claiming number 2, before its event: the number stays taken.
    fs.writeFileSync(path.join(reg.claimsDir('YieldPredictor'), '2'), '');
    const v3 = reg.register(t, runs[0], 'YieldPredictor');
    assert.deepEqual([v1.version, v3.version], [1, 3]);
    const lines = fs.readFileSync(reg.eventsFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { version?: number });
    assert.deepEqual(lines.map((e) => e.version), [1, 3]);
    // Several processes registering at once.
    const script = `const {Tracker}=require(${JSON.stringify(path.resolve(__dirname, '../../src/core/tracking/tracker.js'))});const {Registry}=require(${JSON.stringify(path.resolve(__dirname, '../../src/core/registry/registry.js'))});const t=Tracker.open(${JSON.stringify(path.join(ws, '.mlops'))});const r=new Registry(t.store);for(let i=0;i<3;i++)r.register(t,${JSON.stringify(runs[0])},'YieldPredictor');`;
    const procs = [0, 1, 2].map(() => spawn(process.execPath, ['-e', script], { stdio: 'inherit' }));
    return Promise.all(procs.map((p: ChildProcess) => new Promise((res) => p.on('exit', res)))).then((codes) => {
      assert.deepEqual(codes, [0, 0, 0]);
      const vs = new Registry(t.store).getModel('YieldPredictor').versions.map((v) => v.version);
      assert.equal(vs.length, 11);
      assert.equal(new Set(vs).size, 11);
    });
  });

  it('a log written before explicit numbers is still numbered in log order', () => {
    const { ws, runs } = trainedWorkspace(1);
    const t = Tracker.open(path.join(ws, '.mlops'));
    const reg = new Registry(t.store);
    reg.register(t, runs[0], 'YieldPredictor');
    const ev = JSON.parse(fs.readFileSync(reg.eventsFile, 'utf8').trim()) as Record<string, unknown>;
    delete ev.version;
    delete ev.sum;
    fs.writeFileSync(reg.eventsFile, `${JSON.stringify({ ...ev, id: 'a' })}\n${JSON.stringify({ ...ev, id: 'b' })}\n`);
    assert.deepEqual(new Registry(t.store).getModel('YieldPredictor').versions.map((v) => v.version), [1, 2]);
    assert.equal(new Registry(t.store).register(t, runs[0], 'YieldPredictor').version, 3);
  });
});

describe('issue 18 #6: registration checks the model SHA-256', () => {
  it('a flipped byte in model.bin is refused at registration, nothing left behind', () => {
    const { ws, runs, run } = trainedWorkspace(1);
    const bin = path.join(ws, '.mlops', 'runs', runs[0], 'artifacts', 'model', 'model.bin');
    const bytes = fs.readFileSync(bin);
    bytes[bytes.length >> 1] ^= 0x01;
    fs.writeFileSync(bin, bytes);
    const r = run('models', 'register', '--run', runs[0], '--name', 'YieldPredictor');
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /model\.bin has SHA-256 .* but model\.json says .*changed after training\. Not registered\./);
    assert.ok(!fs.existsSync(events(ws)) || fs.readFileSync(events(ws), 'utf8') === '');
    const arts = path.join(ws, '.mlops', 'registry', 'artifacts');
    assert.deepEqual(fs.existsSync(arts) ? fs.readdirSync(arts) : [], []);
  });
});

describe('issue 18 #7 and #12: stray entries in runs/', () => {
  it('a copied run folder is reported and listed once; a file named like a run id is reported and skipped', () => {
    const { ws, runs, ok, run } = trainedWorkspace(1);
    const runsDir = path.join(ws, '.mlops', 'runs');
    const copy = 'ab'.repeat(16);
    fs.cpSync(path.join(runsDir, runs[0]), path.join(runsDir, copy), { recursive: true });
    fs.writeFileSync(path.join(runsDir, 'cd'.repeat(16)), 'not a run');
    const list = run('runs', 'list', '--json');
    assert.equal(list.code, 0, list.err);
    assert.deepEqual((JSON.parse(list.out) as { id: string }[]).map((r) => r.id), [runs[0]]);
    assert.match(list.err, new RegExp(`${copy}/run\\.json: records run id ${runs[0]}, but its folder is named ${copy}`));
    assert.match(list.err, /cdcdcdcd\w*: a file where a run folder is expected/);
    ok('runs', 'show', runs[0].slice(0, 6));
    ok('runs', 'best', '--metric', 'rmse_test');
    ok('models', 'register', '--run', runs[0], '--name', 'YieldPredictor');
    const shown = run('runs', 'show', copy);
    assert.equal(shown.code, 2);
    assert.match(shown.err, /records run id .* but its folder is named/);
    assert.doesNotMatch(shown.err, /\n\s+at /);
    const stray = run('runs', 'show', 'cd'.repeat(16));
    assert.equal(stray.code, 2);
    assert.match(stray.err, /No run with id cdcd/);
  });
});

describe('issue 18 #5: a smoke test that fails in any way archives the version', () => {
  it('an error inside the smoke test (the registered model changed under it) archives the version', async () => {
    const dir = tempDir('mlops-smoke-');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { createSampleWorkspace } = require('../../src/core/sample/sampleWorkspace') as typeof import('../../src/core/sample/sampleWorkspace');
    createSampleWorkspace(dir);
    const file = path.join(dir, 't.pipeline.yaml');
    fs.writeFileSync(file, 'name: t\nmodel: YieldPredictor\ndata: {source: data/wafer_yield.csv, target: yield}\ntrainer: {kind: builtin, engine: mljs, params: {n_estimators: 4, max_depth: 4}}\n');
    const tracker = Tracker.open(path.join(dir, '.mlops'), { create: true });
    const reg = new Registry(tracker.store);
    const rec = await runPipeline(tracker, parsePipeline(fs.readFileSync(file, 'utf8'), file), 'manual', {
      onStage: (s) => {
        if (s.name !== 'smoke_test' || s.status !== 'running') return;
        const v = reg.getModel('YieldPredictor').versions[0];
        const bin = path.join(reg.artifactDir(v), 'model.bin');
        const b = fs.readFileSync(bin);
        b[10] ^= 0xff;
        fs.writeFileSync(bin, b);
      },
    });
    assert.equal(rec.status, 'failed');
    assert.equal(rec.failedStage, 'smoke_test');
    assert.match(rec.reason ?? '', /smoke test ran .*SHA-256/);
    assert.equal(reg.getModel('YieldPredictor').versions[0].stage, 'Archived');
  });
});

describe('a running run of another host', () => {
  it('is shown as interrupted after a day without a sign of life, and as running before', () => {
    const ws = tempDir('mlops-foreign-');
    const t = Tracker.open(path.join(ws, '.mlops'), { create: true });
    const r = t.startRun({ experiment: 'ci', name: 'cached' });
    r.logMetric('loss', 1, 0);
    const file = t.store.runFile(r.id);
    const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
    doc.owner = { pid: 1234, host: `${os.hostname()}-elsewhere`, procStart: 1 };
    fs.writeFileSync(file, JSON.stringify(doc));
    assert.equal(new RunIndex(t.store).refresh().runs[0].effectiveStatus, 'running');
    const old = (Date.now() - STALE_FOREIGN_RUN_MS - 60_000) / 1000;
    doc.startTime = Date.now() - STALE_FOREIGN_RUN_MS - 120_000;
    fs.writeFileSync(file, JSON.stringify(doc));
    fs.writeFileSync(t.store.metricsFile(r.id), `${JSON.stringify({ k: 'loss', v: 1, s: 0, t: doc.startTime })}\n`);
    fs.utimesSync(file, old, old);
    const got = new RunIndex(t.store).refresh().runs[0];
    assert.equal(got.effectiveStatus, 'failed');
    assert.equal(got.interrupted, true);
  });
});

describe('jsonLog', () => {
  it('checksummed lines round-trip; blank lines are skipped; a torn last line is not a problem', () => {
    const f = path.join(tempDir('mlops-jsonlog-'), 'x.jsonl');
    appendRecord(f, { id: 'a', n: 1, s: 'line\nbreak é \u2028' }, { checksum: true });
    fs.appendFileSync(f, '\n');
    appendRecord(f, { id: 'b', n: 1e21 }, { checksum: true });
    fs.appendFileSync(f, '{"id":"c"');
    const { records, problems, torn } = readJsonLog<{ id: string; s?: string }>(f);
    assert.deepEqual(records.map((r) => [r.line, r.value.id]), [[1, 'a'], [3, 'b']]);
    assert.equal(records[0].value.s, 'line\nbreak é \u2028');
    assert.deepEqual(problems, []);
    assert.equal(torn, true);
  });
});

describe('jsonLog checksum', () => {
  it('every single-bit change of a checksummed line is detected (the checksum member name included)', () => {
    const f = path.join(tempDir('mlops-jsonlog-bits-'), 'x.jsonl');
    appendRecord(f, { id: 'abc', time: 1, action: 'transition', model: 'M', version: 1, to: 'Production' }, { checksum: true });
    const line = fs.readFileSync(f, 'utf8').trimEnd();
    const missed: string[] = [];
    for (let i = 0; i < line.length; i++) {
      for (let bit = 0; bit < 7; bit++) {
        const c = line.charCodeAt(i) ^ (1 << bit);
        if (c === 10) continue; // a newline splits the line: two damaged lines, checked by the corruption family
        const damaged = line.slice(0, i) + String.fromCharCode(c) + line.slice(i + 1);
        fs.writeFileSync(f, `${damaged}\n`);
        const { records, problems } = readJsonLog(f);
        if (records.length || problems.length !== 1) missed.push(`${i}:${bit} ${damaged}`);
      }
    }
    assert.deepEqual(missed, []);
  });
});
