/** The seed's registry scenario end to end through the CLI, with exit codes. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { it } from 'node:test';
import { CLI, tempDir } from './helpers';

it("seed scenario via the CLI: register v1, v2; v1 → Staging → Production; v2 → Staging → Production; rollback to v1", () => {
  const ws = tempDir('mlops-reg-cli-');
  const env = { ...process.env, MLOPS_STORE: '', MLOPS_USER_EMAIL: 'alice@fab.example' };
  const mlops = (...args: string[]) => {
    const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ws, encoding: 'utf8', env });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const ok = (...args: string[]) => {
    const r = mlops(...args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.err}`);
    return r.out;
  };
  ok('init', '.', '--sample');
  const run1 = JSON.parse(ok('train', '--engine', 'mljs', '-p', 'n_estimators=5', '-p', 'max_depth=4', '--json')).id;
  const run2 = JSON.parse(ok('train', '--engine', 'mljs', '-p', 'n_estimators=6', '-p', 'max_depth=6', '--json')).id;
  assert.equal(JSON.parse(ok('models', 'register', '--run', run1, '--name', 'YieldPredictor', '--json')).version, 1);
  assert.equal(JSON.parse(ok('models', 'register', '--run', run2.slice(0, 8), '--name', 'YieldPredictor', '--description', 'deeper', '--json')).version, 2);
  ok('models', 'transition', 'YieldPredictor', '1', 'Staging');
  ok('models', 'transition', 'YieldPredictor', '1', 'Production', '--reason', 'passed staging');
  const between = new Date().toISOString();
  spawnSync('sleep', ['0.05']);
  ok('models', 'transition', 'YieldPredictor', '2', 'Staging');
  ok('models', 'transition', 'YieldPredictor', '2', 'Production');
  let show = JSON.parse(ok('models', 'show', 'YieldPredictor', '--json'));
  assert.deepEqual(show.versions.map((v: { stage: string }) => v.stage), ['Archived', 'Production']);
  const rb = JSON.parse(ok('models', 'rollback', 'YieldPredictor', '--reason', 'yield alarms', '--json'));
  assert.equal(rb.restored.version, 1);
  show = JSON.parse(ok('models', 'show', 'YieldPredictor', '--json'));
  assert.deepEqual(show.versions.map((v: { stage: string }) => v.stage), ['Production', 'Archived']);
  const history = JSON.parse(ok('models', 'history', 'YieldPredictor', '--json'));
  assert.deepEqual(history.map((h: { action: string }) => h.action), ['register', 'register', 'transition', 'transition', 'transition', 'transition', 'rollback']);
  assert.equal(history[6].user, 'alice@fab.example');
  assert.equal(history[6].reason, 'yield alarms');
  const at = JSON.parse(ok('models', 'at', 'YieldPredictor', '--time', between, '--json'));
  assert.deepEqual(at.versions.map((v: { version: number }) => v.version), [1]);
  ok('models', 'alias', 'YieldPredictor', 'champion', '2');
  assert.deepEqual(JSON.parse(ok('models', 'at', 'YieldPredictor', '--time', new Date().toISOString(), '--alias', 'champion', '--json')).versions.map((v: { version: number }) => v.version), [2]);
  ok('models', 'alias', 'YieldPredictor', 'champion', '--delete');
  const outFile = path.join(ws, 'predictions.csv');
  ok('predict', '--model', 'models:/YieldPredictor/Production', '--data', 'data/batches/normal_batch.csv', '--out', outFile);
  const lines = fs.readFileSync(outFile, 'utf8').trim().split('\n');
  assert.equal(lines.length, 51);
  assert.match(lines[0], /,prediction$/);
  assert.ok(lines.slice(1).every((l) => Number.isFinite(Number(l.split(',').at(-1)))));
  // Bad input → 2; refused by the promotion rule → 4.
  fs.writeFileSync(path.join(ws, 'bad.csv'), 'Vdd_mean,Idd_mean,Speed\n1,0.5,3\n');
  const mismatch = mlops('predict', '--model', 'models:/YieldPredictor/1', '--data', 'bad.csv', '--out', 'x.csv');
  assert.equal(mismatch.code, 2);
  assert.match(mismatch.err, /missing columns Frequency_mean, Temperature, Dies_tested; unexpected column Speed/);
  assert.equal(mlops('models', 'transition', 'YieldPredictor', '9', 'Staging').code, 2);
  assert.equal(mlops('models', 'transition', 'YieldPredictor', '2', 'Prod').code, 2);
  assert.equal(mlops('predict', '--model', 'models:/YieldPredictor@ghost', '--data', 'bad.csv', '--out', 'x.csv').code, 2);
  fs.appendFileSync(path.join(ws, 'mlops.yaml'), '\nregistry:\n  promoters: [carol@fab.example]\n');
  const refused = mlops('models', 'transition', 'YieldPredictor', '2', 'Production');
  assert.equal(refused.code, 4);
  assert.match(refused.err, /Refused: alice@fab.example may not move versions into Production/);
  assert.equal(JSON.parse(ok('models', 'history', 'YieldPredictor', '--json')).at(-1).action, 'refused');
});
