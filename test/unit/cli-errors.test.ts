/**
 * Errors of dist/cli.js: one line of what is wrong (`mlops: …`), a hint line for usage errors and unexpected errors,
 * and never a stack trace (`    at …` lines) unless `--debug` (or MLOPS_DEBUG=1) is given. The unexpected errors come
 * from a preload module that breaks the process the way a bug would: a TypeError thrown where the store is created
 * (inside the command's action), or a RangeError thrown from a timer (outside it, through the uncaught handler).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { CLI, tempDir } from './helpers';

const dir = tempDir('mlops-errors-');
const STACK = /^\s+at /m;

/** A preload that makes fs.mkdirSync of a `.mlops` folder throw a TypeError, as a bug in our code would. */
const IN_ACTION = path.join(dir, 'type-error.js');
fs.writeFileSync(
  IN_ACTION,
  `const fs = require('fs'); const real = fs.mkdirSync;
fs.mkdirSync = function (p, ...rest) {
  if (String(p).includes('.mlops')) { const o = undefined; return o.length; } // TypeError: Cannot read properties of undefined
  return real.call(this, p, ...rest);
};\n`,
);
/** A preload that throws a RangeError from a timer once the command runs (no await of ours can catch it). */
const IN_TIMER = path.join(dir, 'timer-error.js');
fs.writeFileSync(IN_TIMER, `const fs = require('fs'); const real = fs.mkdirSync;
fs.mkdirSync = function (...a) { setTimeout(() => { throw new RangeError('timer went wrong'); }, 0); fs.mkdirSync = real; return real.apply(this, a); };\n`);

function mlops(args: string[], options: { preload?: string; env?: NodeJS.ProcessEnv } = {}) {
  const ws = tempDir('mlops-errors-ws-');
  const argv = [...(options.preload ? ['-r', options.preload] : []), CLI, ...args];
  const r = spawnSync(process.execPath, argv, { cwd: ws, encoding: 'utf8', env: { ...process.env, MLOPS_STORE: '', MLOPS_DEBUG: '', ...options.env } });
  return { code: r.status, out: r.stdout, err: r.stderr, lines: r.stderr.split('\n').filter(Boolean) };
}

describe('mlops errors', () => {
  it('an unexpected error: one line and a hint to use --debug, no stack; exit 1', () => {
    const r = mlops(['init'], { preload: IN_ACTION });
    assert.equal(r.code, 1, r.err);
    assert.deepEqual(r.lines, ["mlops: TypeError: Cannot read properties of undefined (reading 'length') (an internal error)", 'hint: run again with --debug for the stack trace']);
    assert.doesNotMatch(r.err, STACK);
    assert.equal(r.out, '');
  });

  it('with --debug (before or after the command) or MLOPS_DEBUG=1: the same line, then the stack instead of the hint', () => {
    for (const [args, env] of [[['--debug', 'init'], {}], [['init', '--debug'], {}], [['init'], { MLOPS_DEBUG: '1' }]] as const) {
      const r = mlops([...args], { preload: IN_ACTION, env });
      assert.equal(r.code, 1, r.err);
      assert.equal(r.lines[0], "mlops: TypeError: Cannot read properties of undefined (reading 'length') (an internal error)");
      assert.match(r.err, STACK, `${args.join(' ')}: no stack`);
      assert.ok(r.lines.slice(1).every((l) => /^\s+at /.test(l)), r.err);
      assert.ok(r.err.includes('mkdirSync'), 'the stack names where it happened');
      assert.ok(!r.err.includes('hint:'));
    }
  });

  it('an error thrown outside the command (a timer): one line and the hint; the stack only with --debug', () => {
    const plain = mlops(['init'], { preload: IN_TIMER });
    assert.equal(plain.code, 1, plain.err);
    assert.deepEqual(plain.lines.filter((l) => !l.startsWith('Initialised')), ['mlops: RangeError: timer went wrong (an internal error)', 'hint: run again with --debug for the stack trace']);
    assert.doesNotMatch(plain.err, STACK);
    const debug = mlops(['init', '--debug'], { preload: IN_TIMER });
    assert.equal(debug.code, 1, debug.err);
    assert.match(debug.err, /^mlops: RangeError: timer went wrong \(an internal error\)\n\s+at /m);
  });

  it('a usage error: where and what on one line, and a hint naming the help (not the whole help text)', () => {
    const r = mlops(['runs', 'list', '--bogus']);
    assert.equal(r.code, 2);
    assert.deepEqual(r.lines, ["mlops: runs list: unknown option '--bogus'", "hint: 'mlops runs list --help' shows the usage"]);
    const top = mlops(['trian']);
    assert.equal(top.code, 2);
    assert.deepEqual(top.lines, ["mlops: unknown command 'trian' (Did you mean train?)", "hint: 'mlops --help' shows the usage"]);
    const missing = mlops(['runs', 'best', '--debug']);
    assert.equal(missing.code, 2);
    assert.deepEqual(missing.lines, ["mlops: runs best: required option '-m, --metric <key>' not specified", "hint: 'mlops runs best --help' shows the usage"]);
    assert.doesNotMatch(r.err + top.err + missing.err, /Usage:/);
    assert.doesNotMatch(r.err + top.err + missing.err, STACK, 'a usage error has no stack, even with --debug');
  });

  it('a known error stays one line (its message says what to do); --debug adds its stack', () => {
    const r = mlops(['runs', 'list']);
    assert.equal(r.code, 2);
    assert.equal(r.lines.length, 1, r.err);
    const known = /^mlops: No MLOps store found in .* Use --store PATH, set MLOPS_STORE, or run 'mlops init'\.$/;
    assert.match(r.lines[0], known);
    const d = mlops(['runs', 'list', '--debug']);
    assert.equal(d.code, 2);
    assert.match(d.lines[0], known);
    assert.match(d.err, STACK);
  });
});
