/**
 * `mlops --version`: the package version and the store format this version reads and writes; with a store found the
 * way commands find it, which one and its format. Read-only: asking never creates a store.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { STORE_FORMAT } from '../../src/core/store/store';
import { CLI, REPO, tempDir } from './helpers';

const VERSION = (JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string }).version;

function mlops(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const base: NodeJS.ProcessEnv = { ...process.env, MLOPS_STORE: '', ...env };
  if (!('MLFLOW_TRACKING_URI' in env)) delete base.MLFLOW_TRACKING_URI;
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env: base });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const HEAD = `mlops ${VERSION}\nstore format: ${STORE_FORMAT}\n`;

describe('mlops --version', () => {
  it('with no store: the version and the supported store format only', () => {
    const dir = tempDir('mlops-version-none-');
    for (const flag of ['--version', '-V']) {
      const r = mlops(dir, [flag]);
      assert.equal(r.code, 0, r.err);
      assert.equal(r.out, HEAD);
      assert.equal(r.err, '');
    }
    assert.match(VERSION, /^\d+\.\d+\.\d+/);
    assert.deepEqual(fs.readdirSync(dir), [], 'nothing was created');
  });

  it('names the store found from the current folder upward and its format', () => {
    const dir = tempDir('mlops-version-ws-');
    assert.equal(mlops(dir, ['init']).code, 0);
    const nested = path.join(dir, 'a', 'b');
    fs.mkdirSync(nested, { recursive: true });
    const r = mlops(nested, ['--version']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, `${HEAD}store: ${path.join(dir, '.mlops')} (format ${STORE_FORMAT}; found from the current folder upward)\n`);
    // A global option after a subcommand: the version is printed and the command does not run.
    const after = mlops(dir, ['runs', 'list', '--version']);
    assert.equal(after.code, 0, after.err);
    assert.equal(after.out, `${HEAD}store: ${path.join(dir, '.mlops')} (format ${STORE_FORMAT}; found from the current folder upward)\n`);
  });

  it('--store before or after --version, MLOPS_STORE, a newer format, a store not made yet (and not made by asking)', () => {
    const dir = tempDir('mlops-version-store-');
    const store = path.join(dir, 'custom');
    assert.equal(mlops(dir, ['--store', store, 'init']).code, 0);
    const line = (how: string) => `${HEAD}store: ${store} (format ${STORE_FORMAT}; ${how})\n`;
    assert.equal(mlops(dir, ['--store', store, '--version']).out, line('--store'));
    assert.equal(mlops(dir, ['--version', '--store', store]).out, line('--store'));
    assert.equal(mlops(dir, ['--version', `--store=${store}`]).out, line('--store'));
    assert.equal(mlops(dir, ['--version'], { MLOPS_STORE: store }).out, line('MLOPS_STORE'));
    fs.writeFileSync(path.join(store, 'store.json'), JSON.stringify({ format: STORE_FORMAT + 1, createdAt: 0 }));
    assert.equal(mlops(dir, ['--version', '--store', store]).out, `${HEAD}store: ${store} (format ${STORE_FORMAT + 1}, newer than this version reads; --store)\n`);
    const missing = path.join(dir, 'not-yet');
    const r = mlops(dir, ['--version', '--store', missing]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, `${HEAD}store: ${missing} (no store there yet; --store)\n`);
    assert.ok(!fs.existsSync(missing), '--version created the store');
  });

  it('an MLflow source is named as such (its own format is not ours)', () => {
    const dir = tempDir('mlops-version-mlflow-');
    const mlruns = path.join(dir, 'mlruns');
    fs.mkdirSync(path.join(mlruns, '0'), { recursive: true });
    fs.writeFileSync(path.join(mlruns, '0', 'meta.yaml'), 'experiment_id: "0"\nname: Default\nlifecycle_stage: active\n');
    const r = mlops(dir, ['--version', '--store', mlruns]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, `${HEAD}store: file://${mlruns} (MLflow mlruns source, read-only; --store)\n`);
  });
});
