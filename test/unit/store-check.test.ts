/** `mlops store check`: every kind of damage found with file and line; --repair removes only provable garbage. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { it } from 'node:test';
import { CLI, tempDir } from './helpers';

it('store check reports damage, changes nothing, and --repair removes only provable garbage', () => {
  const ws = tempDir('mlops-check-');
  const env = { ...process.env, MLOPS_STORE: '' };
  const mlops = (...args: string[]) => {
    const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ws, encoding: 'utf8', env });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  assert.equal(mlops('init', '.', '--sample').code, 0);
  const runs = [0, 1].map((i) => JSON.parse(mlops('train', '--engine', 'mljs', '-p', `n_estimators=${3 + i}`, '--json').out).id as string);
  assert.equal(mlops('models', 'register', '--run', runs[0], '--name', 'YieldPredictor').code, 0);
  assert.equal(mlops('models', 'register', '--run', runs[1], '--name', 'YieldPredictor').code, 0);

  const clean = mlops('store', 'check');
  assert.equal(clean.code, 0, clean.out + clean.err);
  assert.match(clean.out, /2 run\(s\), 2 registry event\(s\), 2 registered model copies/);
  assert.match(clean.out, /No problems\./);

  const store = path.join(ws, '.mlops');
  const events = path.join(store, 'registry', 'events.jsonl');
  fs.appendFileSync(events, '{"id":"torn","ti'); // torn tail (not a finding while it is the last line)
  const text = fs.readFileSync(events);
  text[3] = 0; // NUL in line 1
  fs.writeFileSync(events, text);
  fs.appendFileSync(path.join(store, 'runs', runs[1], 'metrics.jsonl'), 'garbage\n');
  fs.cpSync(path.join(store, 'runs', runs[0]), path.join(store, 'runs', 'ab'.repeat(16)), { recursive: true });
  fs.writeFileSync(path.join(store, 'runs', 'cd'.repeat(16)), '');
  const bin = fs.readdirSync(path.join(store, 'registry', 'artifacts')).map((a) => path.join(store, 'registry', 'artifacts', a, 'model.bin'));
  for (const b of bin) fs.appendFileSync(b, 'x'); // v1's copy is an orphan once line 1 is damaged: change both
  // Leftovers of killed writers: a temp file of a dead pid (old), one of a live pid, an old temporary model copy.
  const deadTmp = path.join(store, 'runs', runs[0], '.tmp-999999-abcd-run.json');
  const liveTmp = path.join(store, 'experiments', `.tmp-${process.pid}-abcd-x.json`);
  const oldCopy = path.join(store, 'registry', 'artifacts', '.tmp-0123456789abcdef01234567');
  fs.writeFileSync(deadTmp, '{');
  fs.writeFileSync(liveTmp, '{');
  fs.mkdirSync(oldCopy);
  const past = (Date.now() - 2 * 3600_000) / 1000;
  for (const f of [deadTmp, liveTmp, oldCopy]) fs.utimesSync(f, past, past);
  const before = snapshot(store);

  const r = mlops('store', 'check', '--json');
  assert.equal(r.code, 1, r.err);
  const found = JSON.parse(r.out).findings as { kind: string; file: string; line?: number; removable?: boolean }[];
  const has = (kind: string, file: string, line?: number) => assert.ok(found.some((f) => f.kind === kind && f.file === file && (line === undefined || f.line === line)), `${kind} ${file}:${line}\n${JSON.stringify(found, null, 1)}`);
  has('damaged-line', events, 1);
  has('damaged-line', path.join(store, 'runs', runs[1], 'metrics.jsonl'), 3 + countLines(path.join(store, 'runs', runs[1], 'metrics.jsonl')) - 3);
  has('id-mismatch', path.join(store, 'runs', 'ab'.repeat(16), 'run.json'));
  has('stray-file', path.join(store, 'runs', 'cd'.repeat(16)));
  assert.ok(found.some((f) => f.kind === 'sha-mismatch' && bin.includes(f.file)), JSON.stringify(found, null, 1));
  has('temp-file', deadTmp);
  has('temp-file', liveTmp);
  has('temp-file', oldCopy);
  assert.equal(found.find((f) => f.file === deadTmp)?.removable, true);
  assert.equal(found.find((f) => f.file === liveTmp)?.removable, false);
  assert.deepEqual(snapshot(store), before, 'check without --repair changes nothing');

  const text2 = mlops('store', 'check');
  assert.match(text2.out, new RegExp(`${escape(events)}:1: error: contains NUL bytes`));
  assert.match(text2.out, /can be removed safely with --repair/);

  const rep = mlops('store', 'check', '--repair', '--json');
  assert.equal(rep.code, 1);
  assert.ok(!fs.existsSync(deadTmp));
  assert.ok(!fs.existsSync(oldCopy));
  assert.ok(fs.existsSync(liveTmp), 'a temp file whose writer is alive stays');
  assert.ok(fs.existsSync(path.join(store, 'runs', 'ab'.repeat(16))), 'damage is never deleted');
  assert.equal(fs.readFileSync(events).length, text.length, 'the registry log is never rewritten');
});

function countLines(f: string): number {
  return fs.readFileSync(f, 'utf8').split('\n').length - 1;
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name !== 'generation') out.push(`${path.relative(dir, p)} ${fs.statSync(p).size} ${fs.statSync(p).mtimeMs}`);
    }
  };
  walk(dir);
  return out.sort();
}
