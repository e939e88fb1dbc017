import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { CLI, tempDir } from './helpers';

function mlops(cwd: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env: { ...process.env, MLOPS_STORE: '' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('mlops CLI', () => {
  const ws = tempDir('mlops-cli-');
  it('init creates a store; runs create/list/show/best work with --json', () => {
    assert.equal(mlops(ws, 'init').code, 0);
    assert.ok(fs.existsSync(path.join(ws, '.mlops', 'store.json')));
    const grid: [number, string, number][] = [[50, '5', 3.4], [100, '10', 3.1], [200, 'none', 3.2]];
    for (const [n, d, rmse] of grid) {
      const r = mlops(ws, 'runs', 'create', '-e', 'Wafer', '-n', `rf-${n}`, '-p', `n_estimators=${n}`, '-p', `max_depth=${d}`, '-m', `rmse_test=${rmse}`, '-m', 'loss=0.5@1', '-t', 'team=yield');
      assert.equal(r.code, 0, r.err);
      assert.match(r.out.trim(), /^[0-9a-f]{32}$/);
    }
    const nested = path.join(ws, 'src', 'deep');
    fs.mkdirSync(nested, { recursive: true });
    const list = mlops(nested, 'runs', 'list', '--json'); // store found upward
    assert.equal(list.code, 0, list.err);
    const runs = JSON.parse(list.out);
    assert.equal(runs.length, 3);
    for (const k of ['id', 'experiment', 'name', 'status', 'params', 'metrics', 'tags', 'startTime', 'endTime', 'environment']) assert.ok(k in runs[0], k);
    assert.deepEqual(runs.map((r: { name: string }) => r.name), ['rf-200', 'rf-100', 'rf-50']);
    assert.equal(runs[0].params.max_depth, null);
    assert.equal(runs[0].metrics.loss, 0.5);

    const filtered = JSON.parse(mlops(ws, 'runs', 'list', '--filter', 'metrics.rmse_test < 3.3 and params.n_estimators >= 100', '--order-by', 'metrics.rmse_test', '--json').out);
    assert.deepEqual(filtered.map((r: { name: string }) => r.name), ['rf-100', 'rf-200']);
    const desc = JSON.parse(mlops(ws, 'runs', 'list', '--order-by', 'metrics.rmse_test', '--desc', '--json').out);
    assert.deepEqual(desc.map((r: { name: string }) => r.name), ['rf-50', 'rf-200', 'rf-100']);

    const best = JSON.parse(mlops(ws, 'runs', 'best', '--metric', 'rmse_test', '--json').out);
    assert.equal(best.name, 'rf-100');
    const bestMax = JSON.parse(mlops(ws, 'runs', 'best', '--metric', 'rmse_test', '--max', '--json').out);
    assert.equal(bestMax.name, 'rf-50');

    const show = mlops(ws, 'runs', 'show', best.id.slice(0, 8));
    assert.equal(show.code, 0);
    assert.match(show.out, /rf-100/);
    assert.match(show.out, /n_estimators\s+100/);
    const human = mlops(ws, 'runs', 'list');
    assert.match(human.out, /rmse_test/);
    assert.match(human.out, /rf-50/);

    const exps = JSON.parse(mlops(ws, 'experiments', 'list', '--json').out);
    assert.deepEqual(exps.map((e: { name: string; runs: number }) => [e.name, e.runs]), [['Wafer', 3]]);
  });

  it('delete moves to the trash and restore brings the run back', () => {
    const runs = JSON.parse(mlops(ws, 'runs', 'list', '--json').out);
    const id = runs[0].id;
    assert.equal(mlops(ws, 'runs', 'delete', id).code, 0);
    assert.equal(JSON.parse(mlops(ws, 'runs', 'list', '--json').out).length, 2);
    assert.equal(JSON.parse(mlops(ws, 'runs', 'trash', '--json').out)[0].id, id);
    assert.equal(mlops(ws, 'runs', 'restore', id).code, 0);
    assert.equal(JSON.parse(mlops(ws, 'runs', 'list', '--json').out).length, 3);
  });

  it('bad input exits 2 with a message on stderr', () => {
    const bad = (args: string[], re: RegExp) => {
      const r = mlops(ws, ...args);
      assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code} ${r.err}`);
      assert.match(r.err, re);
      assert.equal(r.out, '');
    };
    bad(['runs', 'list', '--filter', 'metrics.rmse_test <'], /position 20/);
    bad(['runs', 'list', '--filter', "metrics.rmse_test < 'x'"], /is a number/);
    bad(['runs', 'show', '../../etc/passwd'], /Invalid run id/);
    bad(['runs', 'show', 'abcdef01'], /No run id starts with/);
    bad(['runs', 'best'], /required option/);
    bad(['runs', 'best', '--metric', 'nope'], /No run has a value/);
    bad(['runs', 'list', '--experiment', 'Nope'], /No experiment named/);
    bad(['runs', 'bogus'], /unknown command/);
    bad(['runs', 'create', '-p', 'novalue'], /KEY=VALUE/);
    bad(['runs', 'create', '-m', 'x=abc'], /not a number/);
    bad(['runs', 'restore', 'ffffffff'], /No deleted run/);
    const none = mlops(tempDir(), 'runs', 'list');
    assert.equal(none.code, 2);
    assert.match(none.err, /No MLOps store found/);
  });

  it('--store points at any store', () => {
    const other = path.join(tempDir(), 'custom-store');
    assert.equal(mlops(ws, '--store', other, 'runs', 'create', '-n', 'elsewhere').code, 0);
    const r = JSON.parse(mlops(tempDir(), '--store', other, 'runs', 'list', '--json').out);
    assert.deepEqual(r.map((x: { name: string }) => x.name), ['elsewhere']);
  });
});
