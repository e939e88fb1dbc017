/**
 * Issue 18, defect 13 (a run deleted while it trains) and "also seen" (b) (a `train --command` script outliving a
 * SIGKILLed mlops): the trainer stops in one line, exit 1, and nothing is recreated; the script dies with mlops.
 */
import assert from 'node:assert/strict';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { CLI, tempDir } from './helpers';

const env = { ...process.env, MLOPS_STORE: '', MLOPS_DEBUG: '' };

function start(cwd: string, args: string[]): { child: ChildProcess; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }> } {
  const child = spawn(process.execPath, [CLI, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, out, err })));
  return { child, done };
}

async function waitFor<T>(what: string, fn: () => T | undefined, ms = 30_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function runningRunId(store: string): string | undefined {
  const runs = path.join(store, 'runs');
  if (!fs.existsSync(runs)) return undefined;
  return fs.readdirSync(runs).find((n) => /^[0-9a-f]{32}$/.test(n) && fs.existsSync(path.join(runs, n, 'metrics.jsonl')));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('a run deleted while it trains (defect 13)', () => {
  it('built-in trainer: one line "run X was deleted while training; stopped", exit 1, nothing recreated', async () => {
    const ws = tempDir('mlops-del-');
    assert.equal(spawnSync(process.execPath, [CLI, 'init', '.', '--sample'], { cwd: ws, env }).status, 0);
    const store = path.join(ws, '.mlops');
    const tr = start(ws, ['train', '--engine', 'forest', '-p', 'n_estimators=10000', '-p', 'max_depth=12']);
    try {
      const id = await waitFor('the run to log progress', () => runningRunId(store));
      const del = spawnSync(process.execPath, [CLI, 'runs', 'delete', '--force', id], { cwd: ws, env, encoding: 'utf8' });
      assert.equal(del.status, 0, del.stderr);
      const r = await tr.done;
      const lines = r.err.split('\n').filter(Boolean);
      assert.deepEqual(lines, [`mlops: run ${id} was deleted while training; stopped`], r.err);
      assert.equal(r.code, 1);
      assert.ok(!fs.existsSync(path.join(store, 'runs', id)), 'the run folder came back');
      assert.ok(fs.existsSync(path.join(store, 'trash', id, 'run.json')), 'the trashed run is intact');
      assert.deepEqual(fs.readdirSync(path.join(store, 'runs')).filter((n) => n.startsWith('.tmp-')), []);
    } finally {
      tr.child.kill('SIGKILL');
    }
  });

  it('command trainer: the script is stopped, the same one line, exit 1', async () => {
    const ws = tempDir('mlops-del-cmd-');
    assert.equal(spawnSync(process.execPath, [CLI, 'init'], { cwd: ws, env }).status, 0);
    const store = path.join(ws, '.mlops');
    const pidFile = path.join(ws, 'pid');
    const script = `echo $$ > ${JSON.stringify(pidFile)}; echo mlops:metric loss=1; exec sleep 60`;
    const tr = start(ws, ['train', '--command', script]);
    try {
      const id = await waitFor('the run to log a metric', () => runningRunId(store));
      const pid = Number(await waitFor('the pid file', () => (fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8').trim()) || undefined));
      assert.equal(spawnSync(process.execPath, [CLI, 'runs', 'delete', '--force', id], { cwd: ws, env }).status, 0);
      const r = await tr.done;
      assert.deepEqual(r.err.split('\n').filter((l) => l.startsWith('mlops:')), [`mlops: run ${id} was deleted while training; stopped`], r.err);
      assert.doesNotMatch(r.err, /^\s+at /m);
      assert.equal(r.code, 1);
      assert.ok(!alive(pid), 'the script still runs');
      assert.ok(!fs.existsSync(path.join(store, 'runs', id)));
    } finally {
      tr.child.kill('SIGKILL');
    }
  });
});

describe('train --command dies with mlops ("also seen" b)', () => {
  it('SIGKILL of mlops stops the script within a few seconds', async (t) => {
    if (process.platform === 'win32') return t.skip('no process groups on Windows');
    const ws = tempDir('mlops-orphan-');
    assert.equal(spawnSync(process.execPath, [CLI, 'init'], { cwd: ws, env }).status, 0);
    const pidFile = path.join(ws, 'pid');
    const tr = start(ws, ['train', '--command', `echo $$ > ${JSON.stringify(pidFile)}; exec sleep 60`]);
    let pid = 0;
    try {
      pid = Number(await waitFor('the pid file', () => (fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8').trim()) || undefined));
      assert.ok(alive(pid));
      tr.child.kill('SIGKILL');
      await tr.done;
      await waitFor('the script to end after mlops was killed', () => (alive(pid) ? undefined : true), 5000);
    } finally {
      tr.child.kill('SIGKILL');
      if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
    }
  });

  it('a script that ends normally is not touched, and mlops does not wait for the watchdog', async () => {
    const ws = tempDir('mlops-orphan-ok-');
    assert.equal(spawnSync(process.execPath, [CLI, 'init'], { cwd: ws, env }).status, 0);
    const t0 = Date.now();
    const r = spawnSync(process.execPath, [CLI, 'train', '--command', 'echo mlops:metric acc=0.5; echo plain', '--json'], { cwd: ws, env, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^plain$/m);
    assert.equal(JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))).metrics.acc, 0.5);
    assert.ok(Date.now() - t0 < 5000);
  });
});
