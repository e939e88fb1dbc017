import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { Store } from '../../src/core/store/store';
import { Tracker } from '../../src/core/tracking/tracker';
import { UserInputError } from '../../src/core/util/errors';
import { FIXTURES, tempDir } from './helpers';

function newTracker(): Tracker {
  return Tracker.open(path.join(tempDir(), '.mlops'), { create: true });
}

describe('store and tracking', () => {
  it('records a run with params, metric series, tags, notes, artifacts and environment', () => {
    const t = newTracker();
    const run = t.startRun({ experiment: 'Wafer', name: 'rf-1', params: { n_estimators: 100, max_depth: null }, tags: { team: 'yield' }, environment: { seed: 42, libraries: { 'ml-random-forest': '2.1.0' } } });
    run.logMetric('rmse_train', 2.5, 0);
    run.logMetric('rmse_train', 2.1, 1);
    run.logMetric('rmse_train', 1.9, 2);
    run.logMetrics({ rmse_test: 3.18, r2_test: 0.81 });
    run.setNotes('first try');
    const src = path.join(tempDir(), 'model.txt');
    fs.writeFileSync(src, 'model bytes');
    const a = run.logArtifactFile(src, 'models/model.txt');
    run.logArtifactJson('importance', { Vdd_mean: 0.4 });
    run.end('completed');

    const got = t.getRun(run.id);
    assert.equal(got.name, 'rf-1');
    assert.equal(got.experimentName, 'Wafer');
    assert.equal(got.effectiveStatus, 'completed');
    assert.deepEqual(got.params, { n_estimators: 100, max_depth: null });
    assert.deepEqual(got.metrics, { rmse_train: 1.9, rmse_test: 3.18, r2_test: 0.81 });
    assert.deepEqual(got.tags, { team: 'yield' });
    assert.equal(got.notes, 'first try');
    assert.ok(got.endTime! >= got.startTime);
    assert.equal(got.environment.seed, 42);
    assert.equal(got.environment.nodeVersion, process.version);
    assert.equal(got.environment.libraries?.['ml-random-forest'], '2.1.0');
    assert.equal(a.sha256, crypto.createHash('sha256').update('model bytes').digest('hex'));
    assert.deepEqual(got.artifacts.map((x) => x.path).sort(), ['importance.json', 'models/model.txt']);
    assert.equal(fs.readFileSync(t.artifactPath(run.id, 'models/model.txt'), 'utf8'), 'model bytes');
    const history = t.metricHistory(run.id).filter((p) => p.key === 'rmse_train');
    assert.deepEqual(history.map((p) => [p.step, p.value]), [[0, 2.5], [1, 2.1], [2, 1.9]]);
  });

  it('latest value is the highest step, not the last write', () => {
    const t = newTracker();
    const run = t.startRun({});
    run.logMetric('loss', 0.5, 10);
    run.logMetric('loss', 0.9, 3); // late write of an earlier step
    assert.equal(t.getRun(run.id).metrics.loss, 0.5); // while running: read from the log
    run.end();
    assert.equal(t.getRun(run.id).metrics.loss, 0.5); // finished: from the summary
  });

  it('keeps NaN and Infinity metric values', () => {
    const t = newTracker();
    const run = t.startRun({});
    run.logMetrics({ a: NaN, b: Infinity, c: -Infinity });
    run.end();
    const m = t.getRun(run.id).metrics;
    assert.ok(Number.isNaN(m.a));
    assert.equal(m.b, Infinity);
    assert.equal(m.c, -Infinity);
  });

  it('rejects names and keys that could escape the store', () => {
    const t = newTracker();
    const run = t.startRun({ name: '../../etc/passwd' }); // names live in JSON, never in paths
    assert.equal(t.getRun(run.id).name, '../../etc/passwd');
    const src = path.join(tempDir(), 'f.txt');
    fs.writeFileSync(src, 'x');
    for (const bad of ['../escape.txt', '/etc/passwd', 'a/../../b', 'C:\\x', 'nul\0byte', 'x'.repeat(300), '.tmp-reserved']) {
      assert.throws(() => run.logArtifactFile(src, bad), UserInputError, `artifact ${JSON.stringify(bad).slice(0, 40)}`);
    }
    for (const bad of ['../x', 'a\0b', 'k'.repeat(251), 'semi;colon', '']) {
      assert.throws(() => run.logMetric(bad, 1), UserInputError, `metric key ${JSON.stringify(bad).slice(0, 30)}`);
      assert.throws(() => run.logParam(bad, 1), UserInputError);
    }
    assert.throws(() => t.startRun({ experiment: 'a\0b' }), UserInputError);
    assert.throws(() => t.startRun({ experiment: 'x'.repeat(501) }), UserInputError);
    assert.throws(() => t.getRun('../../etc'), /Invalid run id/);
    assert.throws(() => t.artifactPath(run.id, '../run.json'), UserInputError);
    // Nothing was written outside the store's run folder.
    assert.deepEqual(fs.readdirSync(path.dirname(t.store.root)).sort(), ['.mlops']);
  });

  it('resolves unique id prefixes and reports ambiguous ones', () => {
    const t = newTracker();
    const run = t.startRun({});
    run.end();
    assert.equal(t.getRun(run.id.slice(0, 8)).id, run.id);
    assert.throws(() => t.getRun('0000000000000000000000000000000f'), /No run with id/);
  });

  it('moves deleted runs to the trash, restores and purges them', () => {
    const t = newTracker();
    const a = t.startRun({ name: 'a' });
    a.end();
    const b = t.startRun({ name: 'b' });
    b.end();
    t.deleteRun(a.id);
    assert.deepEqual(t.searchRuns().map((r) => r.name), ['b']);
    assert.deepEqual(t.listTrash().map((x) => x.name), ['a']);
    t.restoreRun(a.id.slice(0, 6));
    assert.deepEqual(t.searchRuns({ orderBy: 'name' }).map((r) => r.name), ['a', 'b']);
    t.deleteRun(a.id);
    t.purgeRun(a.id);
    assert.equal(t.listTrash().length, 0);
    assert.equal(fs.existsSync(path.join(t.store.trashDir, a.id)), false);
    assert.throws(() => t.restoreRun(a.id), /No deleted run/);
  });

  it('refuses to delete a running run unless forced', () => {
    const t = newTracker();
    const r = t.startRun({});
    assert.throws(() => t.deleteRun(r.id), /still running/);
    t.deleteRun(r.id, { force: true });
    assert.equal(t.searchRuns().length, 0);
  });

  it('reports corrupt files with their path, leaves them in place, and still loads every other run', () => {
    const t = newTracker();
    const good = t.startRun({ experiment: 'E', name: 'good' });
    good.logMetric('m', 1);
    good.end();
    const bad = t.startRun({ experiment: 'E', name: 'bad' });
    bad.end();
    const badFile = t.store.runFile(bad.id);
    fs.writeFileSync(badFile, '{"id": "truncated');
    const halfBad = t.startRun({ experiment: 'E', name: 'half' });
    halfBad.logMetric('m', 2, 0);
    const metricsFile = t.store.metricsFile(halfBad.id);
    fs.appendFileSync(metricsFile, 'garbage line\n');
    halfBad.logMetric('m', 3, 1);
    const expFile = t.store.experimentFile(Store.experimentId('E'));
    const snap = t.snapshot();
    assert.deepEqual(snap.runs.map((r) => r.name).sort(), ['good', 'half']);
    const p1 = snap.problems.find((p) => p.file === badFile);
    assert.ok(p1, 'corrupt run.json reported');
    assert.match(p1!.message, /invalid JSON/);
    const p2 = snap.problems.find((p) => p.file === metricsFile);
    assert.ok(p2 && /line 2/.test(p2.message), 'corrupt metrics line reported with its line number');
    assert.equal(snap.runs.find((r) => r.name === 'half')!.metrics.m, 3);
    // Left in place, byte for byte.
    assert.equal(fs.readFileSync(badFile, 'utf8'), '{"id": "truncated');
    assert.match(fs.readFileSync(metricsFile, 'utf8'), /garbage line/);
    assert.ok(fs.existsSync(expFile));
  });

  it('ignores an interrupted (partial) last line of a metrics log', () => {
    const t = newTracker();
    const r = t.startRun({});
    r.logMetric('m', 1);
    fs.appendFileSync(t.store.metricsFile(r.id), '{"k":"m","v":2');
    const snap = t.snapshot();
    assert.equal(snap.problems.length, 0);
    assert.equal(snap.runs[0].metrics.m, 1);
  });

  it('shows a run whose writer process died as failed (interrupted), without rewriting it', async () => {
    const root = path.join(tempDir(), '.mlops');
    const child = spawn(process.execPath, [path.join(FIXTURES, 'writer.js'), 'hang', root], { stdio: ['ignore', 'pipe', 'inherit'] });
    const id = await new Promise<string>((resolve, reject) => {
      let buf = '';
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        const m = /started ([0-9a-f]{32})/.exec(buf);
        if (m) resolve(m[1]);
      });
      child.on('exit', () => reject(new Error('writer exited early')));
    });
    const t = Tracker.open(root);
    assert.equal(t.getRun(id).effectiveStatus, 'running');
    const before = fs.readFileSync(t.store.runFile(id), 'utf8');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const run = t.getRun(id);
    assert.equal(run.effectiveStatus, 'failed');
    assert.equal(run.interrupted, true);
    assert.equal(run.status, 'running', 'the stored document is not rewritten');
    assert.equal(fs.readFileSync(t.store.runFile(id), 'utf8'), before);
    assert.deepEqual(t.searchRuns({ filter: "status = 'failed'" }).map((r) => r.id), [id]);
  });

  it('finds the store upward from a nested folder, like git', () => {
    const dir = tempDir();
    Store.open(path.join(dir, '.mlops'), { create: true });
    const nested = path.join(dir, 'a', 'b', 'c');
    fs.mkdirSync(nested, { recursive: true });
    assert.equal(Store.findUp(nested), path.join(dir, '.mlops'));
    assert.equal(Store.findUp(tempDir()), undefined);
  });

  it('refuses to open a missing store without create, and reports a corrupt store marker', () => {
    const dir = tempDir();
    assert.throws(() => Store.open(path.join(dir, '.mlops')), /No MLOps store/);
    fs.mkdirSync(path.join(dir, '.mlops'));
    fs.writeFileSync(path.join(dir, '.mlops', 'store.json'), 'not json');
    assert.throws(() => Store.open(path.join(dir, '.mlops')), /store\.json/);
    assert.equal(fs.readFileSync(path.join(dir, '.mlops', 'store.json'), 'utf8'), 'not json');
  });

  it('reads only what changed on refresh (appended metrics are read from the last offset)', () => {
    const t = newTracker();
    const r = t.startRun({});
    r.logMetric('m', 1, 0);
    assert.equal(t.snapshot().runs[0].metrics.m, 1);
    r.logMetric('m', 2, 1);
    assert.equal(t.snapshot().runs[0].metrics.m, 2);
    r.logMetric('other', 5, 0);
    assert.deepEqual(t.snapshot().runs[0].metrics, { m: 2, other: 5 });
  });

  it('records git commit and dirty flag when the workspace is a git repository', () => {
    const dir = tempDir();
    const git = (...a: string[]) => execFileSync('git', a, { cwd: dir, stdio: 'ignore' });
    git('init', '-q');
    git('-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-q', '--allow-empty', '-m', 'x');
    const t = Tracker.open(path.join(dir, '.mlops'), { create: true });
    const r = t.startRun({});
    r.end();
    const env = t.getRun(r.id).environment;
    assert.match(env.git!.commit, /^[0-9a-f]{40}$/);
    assert.equal(env.git!.dirty, false);
  });
});
