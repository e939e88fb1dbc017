/**
 * Issue 18, defects 3, 14, 15 and "predict neutralises formula cells": every I/O failure is one line naming the path,
 * exit 2 for a bad path given by the user, exit 1 for an environment failure (read-only, full, immutable), nothing
 * half-made; `predict --out` writes to the file the path resolves to and never replaces a device, FIFO, folder or
 * symlink. Real read-only / full / immutable file systems are used where this machine allows mounting a tmpfs (root),
 * and the same paths are always tested with a simulated fs error (test/fixtures/fsfault.ts) so CI covers them.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLI, REPO, tempDir } from './helpers';

const FAULT = path.join(REPO, 'out', 'test', 'fixtures', 'fsfault.js');

interface Result {
  code: number | null;
  out: string;
  err: string;
}

function mlops(cwd: string, args: string[], env: Record<string, string> = {}, preload = false): Result {
  const r = spawnSync(process.execPath, [...(preload ? ['-r', FAULT] : []), CLI, ...args], { cwd, encoding: 'utf8', env: { ...process.env, MLOPS_STORE: '', MLOPS_DEBUG: '', ...env }, timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Exactly one stderr line `mlops: ...` naming `where`, no stack, the expected exit code. */
function assertOneLine(r: Result, code: number, where: string | RegExp): void {
  const lines = r.err.split('\n').filter((l) => l.length);
  assert.equal(r.code, code, `exit ${r.code}, stderr:\n${r.err}`);
  assert.equal(lines.length, 1, `expected one stderr line, got:\n${r.err}`);
  assert.match(lines[0], /^mlops: /);
  assert.doesNotMatch(r.err, /^\s+at /m);
  if (typeof where === 'string') assert.ok(lines[0].includes(where), `'${lines[0]}' does not name ${where}`);
  else assert.match(lines[0], where);
}

/** Every path under `dir` (with its kind), to prove nothing was made or replaced. */
function listing(dir: string): string[] {
  const outp: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      if (e.name === 'generation') continue; // the change signal is rewritten by design
      outp.push(`${path.relative(dir, p)} ${e.isDirectory() ? 'dir' : e.isSymbolicLink() ? 'link' : e.isFile() ? 'file' : 'other'}`);
      if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return outp;
}

function ok(r: Result, what: string): string {
  assert.equal(r.code, 0, `${what}: ${r.err}`);
  return r.out;
}

/** Mount a small tmpfs (root only); undefined (with the reason printed) where the machine does not allow it. */
function mountTmpfs(dir: string, size: string): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  return r.status === 0 ? undefined : `cannot mount a tmpfs here: ${(r.stderr || r.error?.message || '').trim()}`;
}
function umount(dir: string): void {
  spawnSync('umount', [dir]);
}

let ws: string;
let data: string;

before(() => {
  ws = tempDir('mlops-io-');
  ok(mlops(ws, ['init', '.', '--sample']), 'init --sample');
  const run = JSON.parse(ok(mlops(ws, ['train', '--engine', 'mljs', '-p', 'n_estimators=3', '-p', 'max_depth=3', '--json']), 'train')).id;
  ok(mlops(ws, ['models', 'register', '--run', run, '--name', 'YP']), 'register');
  // a small input: the first 20 rows of the new data
  const lines = fs.readFileSync(path.join(ws, 'data', 'new_wafer_data.csv'), 'utf8').split('\n').slice(0, 21);
  data = path.join(ws, 'small.csv');
  fs.writeFileSync(data, lines.join('\n') + '\n');
});

const predict = (out: string, extra: Record<string, string> = {}, preload = false) => mlops(ws, ['predict', '--model', 'models:/YP/1', '--data', data, '--out', out], extra, preload);

describe('predict --out never replaces what the path names (defect 3)', () => {
  it('a character device is refused and stays a device', (t) => {
    const dir = tempDir('mlops-io-dev-');
    const dev = path.join(dir, 'full');
    const mk = spawnSync('mknod', [dev, 'c', '1', '7']);
    if (mk.status !== 0) return t.skip(`mknod not allowed here: ${mk.stderr}`);
    const r = predict(dev);
    assertOneLine(r, 2, dev);
    assert.match(r.err, /not a regular file|character device/);
    assert.ok(fs.lstatSync(dev).isCharacterDevice());
    assert.deepEqual(fs.readdirSync(dir), ['full']);
  });

  it('a FIFO is refused without opening it (no hang) and stays a FIFO', (t) => {
    const dir = tempDir('mlops-io-fifo-');
    const fifo = path.join(dir, 'pipe');
    const mk = spawnSync('mkfifo', [fifo]);
    if (mk.status !== 0) return t.skip(`mkfifo not available: ${mk.stderr}`);
    const r = predict(fifo);
    assertOneLine(r, 2, fifo);
    assert.ok(fs.lstatSync(fifo).isFIFO());
  });

  it('a folder is refused; nothing is written into it', () => {
    const dir = tempDir('mlops-io-dir-');
    const r = predict(dir);
    assertOneLine(r, 2, dir);
    assert.match(r.err, /folder/);
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  it('a missing folder is refused and not created', () => {
    const dir = tempDir('mlops-io-miss-');
    const target = path.join(dir, 'nope', 'x.csv');
    const r = predict(target);
    assertOneLine(r, 2, path.join(dir, 'nope'));
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  it('a path under a regular file is refused', () => {
    const dir = tempDir('mlops-io-underfile-');
    fs.writeFileSync(path.join(dir, 'f'), 'x');
    const r = predict(path.join(dir, 'f', 'x.csv'));
    assertOneLine(r, 2, path.join(dir, 'f'));
    assert.equal(fs.readFileSync(path.join(dir, 'f'), 'utf8'), 'x');
  });

  it('a symlink is followed: the link stays, the file it names gets the predictions (mode kept)', () => {
    const dir = tempDir('mlops-io-link-');
    const real = path.join(dir, 'real.csv');
    fs.writeFileSync(real, 'old\n', { mode: 0o600 });
    fs.chmodSync(real, 0o600);
    const link = path.join(dir, 'link.csv');
    fs.symlinkSync('real.csv', link);
    ok(predict(link), 'predict through a link');
    assert.ok(fs.lstatSync(link).isSymbolicLink());
    assert.equal(fs.readlinkSync(link), 'real.csv');
    assert.match(fs.readFileSync(real, 'utf8'), /prediction/);
    assert.equal(fs.statSync(real).mode & 0o777, 0o600);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['link.csv', 'real.csv']);
  });

  it('a dangling symlink is followed: the file it names is created, the link stays', () => {
    const dir = tempDir('mlops-io-dangle-');
    fs.mkdirSync(path.join(dir, 'sub'));
    const link = path.join(dir, 'link.csv');
    fs.symlinkSync(path.join('sub', 'made.csv'), link);
    ok(predict(link), 'predict through a dangling link');
    assert.ok(fs.lstatSync(link).isSymbolicLink());
    assert.match(fs.readFileSync(path.join(dir, 'sub', 'made.csv'), 'utf8'), /prediction/);
  });

  it('a symlink to a device is refused; link and device stay', (t) => {
    const dir = tempDir('mlops-io-linkdev-');
    const dev = path.join(dir, 'null');
    if (spawnSync('mknod', [dev, 'c', '1', '3']).status !== 0) return t.skip('mknod not allowed here');
    const link = path.join(dir, 'out.csv');
    fs.symlinkSync(dev, link);
    const r = predict(link);
    assertOneLine(r, 2, link);
    assert.ok(fs.lstatSync(link).isSymbolicLink());
    assert.ok(fs.lstatSync(dev).isCharacterDevice());
  });

  it('the output neutralises formula-like cells as Compare exports do', () => {
    const src = fs.readFileSync(data, 'utf8').trimEnd().split('\n');
    const evil = ['=HYPERLINK(1)', '+1+1', '-2+3', '@SUM(A1)', '=1'];
    const rows = [src[0] + ',note', ...src.slice(1).map((l, i) => `${l},${evil[i % evil.length]}`)];
    const input = path.join(ws, 'evil.csv');
    fs.writeFileSync(input, rows.join('\n') + '\n');
    const outFile = path.join(ws, 'evil-out.csv');
    ok(mlops(ws, ['predict', '--model', 'models:/YP/1', '--data', input, '--out', outFile]), 'predict evil');
    const text = fs.readFileSync(outFile, 'utf8');
    for (const line of text.trimEnd().split('\n')) for (const cell of line.split(',')) assert.doesNotMatch(cell.replace(/^"/, ''), /^[=+@\t]|^-[^\d.]|^-\d+\+/, `cell ${cell} in ${line}`);
    assert.ok(text.includes("'=HYPERLINK(1)"), text.slice(0, 400));
    assert.ok(text.includes("'+1+1"));
  });
});

describe('predictions_sample.csv neutralises formula-like class labels too', () => {
  it('a classifier whose classes look like formulas', () => {
    const dir = tempDir('mlops-io-formula-');
    const rows = ['x,label'];
    for (let i = 0; i < 80; i++) rows.push(`${i},${i % 2 ? '=good()' : '@bad'}`);
    fs.writeFileSync(path.join(dir, 'c.csv'), rows.join('\n') + '\n');
    ok(mlops(dir, ['init']), 'init');
    const run = JSON.parse(ok(mlops(dir, ['train', '--data', 'c.csv', '--target', 'label', '--engine', 'mljs', '-p', 'n_estimators=2', '--json']), 'train'));
    const text = fs.readFileSync(path.join(dir, '.mlops', 'runs', run.id, 'artifacts', 'predictions_sample.csv'), 'utf8');
    assert.match(text, /'=good\(\)|'@bad/);
    for (const line of text.trimEnd().split('\n')) for (const cell of line.split(',')) assert.doesNotMatch(cell, /^[=@]/, line);
  });
});

describe('model URIs that cannot be decoded (defect 15)', () => {
  it('predict: a URIError becomes one line naming the URI, exit 2', () => {
    const r = mlops(ws, ['predict', '--model', 'models:/%E0%A4%A/1', '--data', data, '--out', path.join(ws, 'x.csv')]);
    assertOneLine(r, 2, 'models:/%E0%A4%A/1');
    assert.match(r.err, /percent|encod/i);
  });
  it('drift: the same', () => {
    const r = mlops(ws, ['drift', '--reference', path.join(ws, 'data', 'wafer_yield.csv'), '--current', data, '--model', 'models:/%E0%A4%A/1']);
    assertOneLine(r, 2, 'models:/%E0%A4%A/1');
  });
  it('a bad escape in an alias is reported too', () => {
    const r = mlops(ws, ['predict', '--model', 'models:/YP@%ZZ', '--data', data, '--out', path.join(ws, 'x.csv')]);
    assert.equal(r.code, 2, r.err);
    assert.doesNotMatch(r.err, /^\s+at /m);
  });
});

describe('store paths that are not folders (defect 14)', () => {
  it('--store at a regular file: exit 2, one line, the file untouched', () => {
    const dir = tempDir('mlops-io-sf-');
    const f = path.join(dir, 'file');
    fs.writeFileSync(f, 'keep');
    for (const args of [['runs', 'create'], ['init'], ['runs', 'list'], ['train', '--data', data, '--target', 'yield']]) {
      const r = mlops(dir, ['--store', f, ...args]);
      assertOneLine(r, 2, f);
    }
    assert.equal(fs.readFileSync(f, 'utf8'), 'keep');
  });
  it('--store at /dev/null: exit 2, one line', () => {
    for (const args of [['runs', 'create'], ['init'], ['runs', 'list']]) assertOneLine(mlops(ws, ['--store', '/dev/null', ...args]), 2, '/dev/null');
    assert.ok(fs.statSync('/dev/null').isCharacterDevice());
  });
  it('a store under a file: exit 2, one line naming the file', () => {
    const dir = tempDir('mlops-io-suf-');
    const f = path.join(dir, 'file');
    fs.writeFileSync(f, 'keep');
    assertOneLine(mlops(dir, ['--store', path.join(f, 'sub', '.mlops'), 'runs', 'create']), 2, f);
    assertOneLine(mlops(dir, ['init', f]), 2, f);
    assertOneLine(mlops(dir, ['init', path.join(f, 'x')]), 2, f);
    assert.equal(fs.readFileSync(f, 'utf8'), 'keep');
  });
});

describe('runs create -a checks every artifact before the run exists (defect 14)', () => {
  it('a missing artifact: exit 2, the path named, no run left behind', () => {
    const before = listing(path.join(ws, '.mlops'));
    const r = mlops(ws, ['runs', 'create', '-e', 'IoErr', '-m', 'a=1', '-a', '/nonexistent/file.txt']);
    assertOneLine(r, 2, '/nonexistent/file.txt');
    assert.deepEqual(listing(path.join(ws, '.mlops')), before);
  });
  it('a folder as artifact: exit 2, no run left behind', () => {
    const before = listing(path.join(ws, '.mlops'));
    const r = mlops(ws, ['runs', 'create', '-a', path.join(ws, 'data')]);
    assertOneLine(r, 2, path.join(ws, 'data'));
    assert.deepEqual(listing(path.join(ws, '.mlops')), before);
  });
});

describe('environment failures: one line, exit 1, nothing half-made (defect 14)', () => {
  for (const code of ['EROFS', 'ENOSPC', 'EPERM']) {
    it(`simulated ${code} on the store: runs create, experiments create, train, register, transition`, () => {
      const store = path.join(ws, '.mlops');
      const env = { MLOPS_FAULT_ROOT: store, MLOPS_FAULT_CODE: code };
      const before = listing(store);
      const cases: string[][] = [
        ['runs', 'create', '-m', 'a=1'],
        ['experiments', 'create', `New${code}`],
        ['models', 'transition', 'YP', '1', 'Staging'],
      ];
      for (const args of cases) {
        const r = mlops(ws, args, env, true);
        assertOneLine(r, 1, new RegExp(`^mlops: cannot .*${store.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*\\(${code}\\)$`));
      }
      assert.deepEqual(listing(store), before);
      ok(mlops(ws, ['runs', 'list'], env, true), 'reading still works');
    });
    it(`simulated ${code} on the --out folder of predict`, () => {
      const dir = tempDir('mlops-io-simout-');
      const r = predict(path.join(dir, 'p.csv'), { MLOPS_FAULT_ROOT: dir, MLOPS_FAULT_CODE: code }, true);
      assertOneLine(r, 1, new RegExp(`${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/p\\.csv.*\\(${code}\\)$`));
      assert.deepEqual(fs.readdirSync(dir), []);
    });
  }

  it('MLOPS_DEBUG=1 adds the stack', () => {
    const store = path.join(ws, '.mlops');
    const r = mlops(ws, ['runs', 'create'], { MLOPS_FAULT_ROOT: store, MLOPS_FAULT_CODE: 'EROFS', MLOPS_DEBUG: '1' }, true);
    assert.equal(r.code, 1);
    assert.match(r.err, /^mlops: cannot /);
    assert.match(r.err, /^\s+at /m);
  });

  describe('on a real tmpfs (root only)', () => {
    let mnt: string;
    let why: string | undefined;
    before(() => {
      mnt = tempDir('mlops-io-mnt-');
      why = mountTmpfs(mnt, '512k');
      if (why) process.stdout.write(`# skipping real tmpfs cases: ${why}\n`);
    });
    after(() => {
      if (!why) {
        spawnSync('chattr', ['-R', '-i', mnt]);
        umount(mnt);
      }
    });

    it('read-only mount (EROFS): writes fail in one line with exit 1, reads work', (t) => {
      if (why) return t.skip(why);
      const store = path.join(mnt, 'ro', '.mlops');
      ok(mlops(mnt, ['--store', store, 'runs', 'create', '-m', 'a=1']), 'seed run');
      assert.equal(spawnSync('mount', ['-o', 'remount,ro', mnt]).status, 0);
      try {
        const before = listing(store);
        for (const args of [['runs', 'create'], ['experiments', 'create', 'X'], ['train', '--data', data, '--target', 'yield', '--engine', 'mljs', '-p', 'n_estimators=2']]) assertOneLine(mlops(mnt, ['--store', store, ...args]), 1, /\(EROFS\)$/);
        assertOneLine(predict(path.join(mnt, 'p.csv')), 1, path.join(mnt, 'p.csv'));
        assert.deepEqual(listing(store), before);
        ok(mlops(mnt, ['--store', store, 'runs', 'list']), 'runs list on a read-only store');
      } finally {
        spawnSync('mount', ['-o', 'remount,rw', mnt]);
        fs.rmSync(path.join(mnt, 'ro'), { recursive: true, force: true });
      }
    });

    it('full disk (ENOSPC): one line with exit 1, no temp files left', (t) => {
      if (why) return t.skip(why);
      const store = path.join(mnt, 'full', '.mlops');
      ok(mlops(mnt, ['--store', store, 'runs', 'create', '-m', 'a=1']), 'seed run');
      const filler = path.join(mnt, 'filler');
      try {
        const fd = fs.openSync(filler, 'w');
        const chunk = Buffer.alloc(4096, 1);
        try {
          for (;;) fs.writeSync(fd, chunk);
        } catch {
          /* full */
        } finally {
          fs.closeSync(fd);
        }
        const before = listing(store);
        for (const args of [['runs', 'create', '-p', `big=${'x'.repeat(5000)}`]]) assertOneLine(mlops(mnt, ['--store', store, ...args]), 1, /\(ENOSPC\)$/);
        assertOneLine(predict(path.join(mnt, 'p.csv')), 1, /\(ENOSPC\)$/);
        assert.deepEqual(listing(store), before);
        assert.ok(!fs.existsSync(path.join(mnt, 'p.csv')));
      } finally {
        fs.rmSync(filler, { force: true });
        fs.rmSync(path.join(mnt, 'full'), { recursive: true, force: true });
      }
    });

    it('immutable folder (EPERM): one line with exit 1', (t) => {
      if (why) return t.skip(why);
      const store = path.join(mnt, 'imm', '.mlops');
      ok(mlops(mnt, ['--store', store, 'runs', 'create', '-m', 'a=1']), 'seed run');
      const ch = spawnSync('chattr', ['+i', path.join(store, 'runs')], { encoding: 'utf8' });
      if (ch.status !== 0) return t.skip(`chattr +i not supported here: ${ch.stderr}`);
      try {
        const before = listing(store);
        assertOneLine(mlops(mnt, ['--store', store, 'runs', 'create']), 1, /\(EPERM\)$/);
        assert.deepEqual(listing(store), before);
      } finally {
        spawnSync('chattr', ['-i', path.join(store, 'runs')]);
        fs.rmSync(path.join(mnt, 'imm'), { recursive: true, force: true });
      }
    });
  });
});

describe('a reader that goes away (mlops runs list | head)', () => {
  it('ends quietly with 141 (128 + SIGPIPE), no message', async () => {
    const dir = tempDir('mlops-epipe-');
    const { Tracker } = await import('../../src/core/tracking/tracker');
    const t = Tracker.open(path.join(dir, '.mlops'), { create: true });
    for (let i = 0; i < 400; i++) t.startRun({ experiment: 'E', name: `r${i}`, params: { lr: i } }).end('completed'); // > 64 KB of JSON: more than a pipe holds
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [CLI, 'runs', 'list', '--json'], { cwd: dir, env: { ...process.env, MLOPS_STORE: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.stdout.once('data', () => child.stdout.destroy()); // like head -1
    const code = await new Promise((res) => child.on('exit', res));
    assert.equal(code, 141, err);
    assert.equal(err, '');
  });
});
