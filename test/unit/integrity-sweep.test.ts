/** Issue 18 #10: random search samples a huge space without materializing it; a grid search of a huge space is refused. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { expandSpace, gridSize, MAX_SWEEP_RUNS, sampleSpace } from '../../src/core/training/sweep';
import { UserInputError } from '../../src/core/util/errors';
import { CLI, tempDir } from './helpers';

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

function workspace(): string {
  const ws = tempDir('mlops-isweep-');
  const lines = ['a,b,y'];
  for (let i = 0; i < 40; i++) lines.push(`${i},${(i * 7) % 11},${i * 2 + ((i * 3) % 5)}`);
  fs.writeFileSync(path.join(ws, 'd.csv'), lines.join('\n') + '\n');
  return ws;
}
function mlops(cwd: string, ...args: string[]) {
  const r = spawnSync(process.execPath, ['--max-old-space-size=256', CLI, ...args], { cwd, encoding: 'utf8', env: { ...process.env, MLOPS_STORE: '' }, timeout: 60_000 });
  return { code: r.status, signal: r.signal, out: r.stdout, err: r.stderr };
}

describe('sweep over huge spaces (issue 18 #10)', () => {
  it('samples N distinct combinations of a 100^4 (and 10^20) space quickly, deterministically', () => {
    const space = { n_estimators: range(1, 100), max_depth: range(1, 100), min_samples_leaf: range(1, 100), min_samples_split: range(2, 101) };
    const t0 = Date.now();
    const s = sampleSpace(space, 50, 7);
    assert.ok(Date.now() - t0 < 500);
    assert.equal(s.length, 50);
    assert.equal(new Set(s.map((c) => JSON.stringify(c))).size, 50);
    for (const c of s) for (const [k, v] of Object.entries(c)) assert.ok((space as Record<string, number[]>)[k].includes(v as number));
    assert.deepEqual(sampleSpace(space, 50, 7), s);
    const huge: Record<string, number[]> = {};
    for (let i = 0; i < 20; i++) huge[`k${i}`] = range(0, 9);
    assert.equal(gridSize(huge), 10n ** 20n);
    const h = sampleSpace(huge, 5, 1);
    assert.equal(new Set(h.map((c) => JSON.stringify(c))).size, 5);
    // small spaces: all of them when N ≥ size, else distinct ones
    assert.equal(sampleSpace({ a: [1, 2], b: [3, 4] }, 10, 1).length, 4);
    assert.equal(new Set(sampleSpace({ a: [1, 2], b: [3, 4] }, 3, 1).map((c) => JSON.stringify(c))).size, 3);
  });

  it('a grid search of a space over the cap is refused with the size and a hint', () => {
    const space = { n_estimators: range(1, 100), max_depth: range(1, 100), min_samples_leaf: range(1, 100), min_samples_split: range(2, 101) };
    assert.throws(() => expandSpace(space), (e: unknown) => e instanceof UserInputError && /100,000,000 combinations/.test(e.message) && new RegExp(`${MAX_SWEEP_RUNS.toLocaleString('en-US')}`).test(e.message) && /--random/.test(e.message));
    assert.equal(expandSpace({ a: [1, 2], b: [3] }).length, 2);
  });

  it('CLI: sweep --random 2 over a 100^4 grid trains 2 runs; the full grid is refused with exit 2', () => {
    const ws = workspace();
    assert.equal(mlops(ws, 'init').code, 0);
    const grid = `n_estimators=${range(1, 100).join(',')};max_depth=${range(1, 100).join(',')};min_samples_leaf=${range(1, 100).join(',')};min_samples_split=${range(2, 101).join(',')}`;
    const r = mlops(ws, 'sweep', '-d', 'd.csv', '-t', 'y', '--engine', 'mljs', '--grid', grid, '--random', '2', '--parallel', '1', '--json');
    assert.equal(r.code, 0, `${r.signal ?? ''} ${r.err.slice(-500)}`);
    assert.equal(JSON.parse(r.out).runs.length, 2);
    const full = mlops(ws, 'sweep', '-d', 'd.csv', '-t', 'y', '--grid', grid);
    assert.equal(full.code, 2, full.err.slice(-500));
    assert.match(full.err, /100,000,000 combinations/);
    const huge = mlops(ws, 'sweep', '-d', 'd.csv', '-t', 'y', '--grid', grid, '--random', '1000000000');
    assert.equal(huge.code, 2);
    assert.match(huge.err, /--random must be a whole number from 1 to/);
    const hex = mlops(ws, 'sweep', '-d', 'd.csv', '-t', 'y', '--grid', 'n_estimators=2', '--random', '0x2');
    assert.equal(hex.code, 2);
  });

  it('CLI: a 100^4 space built with YAML aliases in sweep.space samples too', () => {
    const ws = workspace();
    assert.equal(mlops(ws, 'init').code, 0);
    fs.writeFileSync(path.join(ws, 'mlops.yaml'), `training: {data: d.csv, target: y, engine: mljs}\nsweep:\n  random: 2\n  parallel: 1\n  space:\n    n_estimators: &v [${range(1, 100).join(', ')}]\n    max_depth: *v\n    min_samples_leaf: *v\n    min_samples_split: [${range(2, 101).join(', ')}]\n`);
    const r = mlops(ws, 'sweep', '--json');
    assert.equal(r.code, 0, `${r.signal ?? ''} ${r.err.slice(-500)}`);
    assert.equal(JSON.parse(r.out).runs.length, 2);
  });
});
