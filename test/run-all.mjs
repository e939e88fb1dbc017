#!/usr/bin/env node
// `npm test` (after `pretest` built dist/ and compiled out/): every stage in sequence, each one's output streamed.
//
//   lint         npm run lint            (skipped with a warning when there is no eslint config)
//   typecheck    npm run typecheck
//   unit         node --test --test-reporter=spec <every out/test/unit/**/*.test.js>
//   integration  node test/host/run-integration.mjs   (extension host in the bundled VS Code server)
//   e2e          node test/host/run-e2e.mjs           (browser specs in test/e2e/)
//
//   node test/run-all.mjs unit integration     only the named stages (or env MLOPS_TEST_STAGES="unit,e2e")
//
// A failing stage does not stop the later ones. Prints a summary per stage and a last line `N passed, M failed`
// (N, M = stages); exits 1 if any stage failed.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout } from 'node:timers';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function findFiles(dir, suffix) {
  const found = [];
  const walk = (d) => {
    let entries = [];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && e.name.endsWith(suffix)) found.push(p);
    }
  };
  walk(dir);
  return found.sort();
}

const ESLINT_CONFIGS = ['eslint.config.js', 'eslint.config.mjs', 'eslint.config.cjs', 'eslint.config.ts', 'eslint.config.mts', 'eslint.config.cts'];

const STAGES = [
  {
    name: 'lint',
    plan: () => (ESLINT_CONFIGS.some((f) => fs.existsSync(path.join(REPO, f))) ? { cmd: NPM, args: ['run', 'lint'] } : { skip: 'no eslint config (eslint.config.*) in the repository' }),
  },
  { name: 'typecheck', plan: () => ({ cmd: NPM, args: ['run', 'typecheck'] }) },
  {
    name: 'unit',
    plan: () => {
      const files = findFiles(path.join(REPO, 'out', 'test', 'unit'), '.test.js');
      if (files.length === 0) return { skip: 'no out/test/unit/**/*.test.js (run `npm run compile-tests`; are there unit tests?)' };
      return { cmd: process.execPath, args: ['--test', '--test-reporter=spec', ...files.map((f) => path.relative(REPO, f))] };
    },
  },
  { name: 'integration', plan: () => ({ cmd: process.execPath, args: [path.join('test', 'host', 'run-integration.mjs')] }) },
  { name: 'e2e', plan: () => ({ cmd: process.execPath, args: [path.join('test', 'host', 'run-e2e.mjs')] }) },
];

let current = null;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    // The stage's process got the terminal's SIGINT too; pass SIGTERM on and let it clean up (its servers).
    if (current && current.exitCode === null) current.kill(sig);
    setTimeout(() => process.exit(130), 15_000).unref();
    current?.once('exit', () => process.exit(130));
    if (!current) process.exit(130);
  });
}

// What a failed stage printed that says what failed: its failure lines (✗ / ✖ / FAIL / not ok, with the line after
// each) and its last lines. CI shows only the tail of the whole run, so the summary repeats them.
const FAILURE_LINE = /^\s*(✗|✖|FAIL\s|not ok\b)/;
function outputKeeper() {
  const failures = [];
  const tail = [];
  let partial = '';
  let takeNext = 0;
  const take = (line) => {
    tail.push(line);
    if (tail.length > 8) tail.shift();
    if (FAILURE_LINE.test(line)) {
      if (failures.length < 40) failures.push(line);
      takeNext = 2;
    } else if (takeNext > 0 && line.trim()) {
      if (failures.length < 40) failures.push(line);
      takeNext--;
    }
  };
  return {
    write(chunk) {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) take(l.replace(/\r$/, ''));
    },
    done() {
      if (partial) take(partial);
      return { failures, tail };
    },
  };
}

function run(cmd, args, keeper) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: REPO, stdio: ['inherit', 'pipe', 'pipe'], env: process.env });
    child.stdout.on('data', (b) => {
      process.stdout.write(b);
      keeper.write(b.toString('utf8'));
    });
    child.stderr.on('data', (b) => {
      process.stderr.write(b);
      keeper.write(b.toString('utf8'));
    });
    current = child;
    child.once('error', (e) => {
      console.log(`could not start ${cmd}: ${e.message}`);
      resolve(1);
    });
    child.once('exit', (code, signal) => {
      current = null;
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

function fmtMs(ms) {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

const wanted = [...process.argv.slice(2), ...(process.env.MLOPS_TEST_STAGES || '').split(',')].map((s) => s.trim()).filter(Boolean);
const unknown = wanted.filter((w) => !STAGES.some((s) => s.name === w));
if (unknown.length) {
  console.log(`Unknown stage(s): ${unknown.join(', ')}. Stages: ${STAGES.map((s) => s.name).join(', ')}`);
  process.exit(2);
}
const stages = wanted.length ? STAGES.filter((s) => wanted.includes(s.name)) : STAGES;

const results = [];
for (const stage of stages) {
  const plan = stage.plan();
  console.log(`\n======== ${stage.name} ========`);
  if (plan.skip) {
    console.log(`WARNING: skipping ${stage.name}: ${plan.skip}`);
    results.push({ name: stage.name, status: 'SKIP', note: plan.skip, ms: 0 });
    continue;
  }
  console.log(`$ ${[plan.cmd === process.execPath ? 'node' : plan.cmd, ...plan.args].join(' ')}`);
  const started = Date.now();
  const keeper = outputKeeper();
  const code = await run(plan.cmd, plan.args, keeper);
  results.push({ name: stage.name, status: code === 0 ? 'PASS' : 'FAIL', note: code === 0 ? '' : `exit ${code}`, ms: Date.now() - started, seen: keeper.done() });
}

const passed = results.filter((r) => r.status === 'PASS').length;
const failed = results.filter((r) => r.status === 'FAIL').length;
console.log('\n======== summary ========');
for (const r of results) console.log(`  ${r.status.padEnd(4)}  ${r.name.padEnd(12)} ${r.status === 'SKIP' ? '' : fmtMs(r.ms).padStart(8)}${r.note ? '  ' + r.note : ''}`);
for (const r of results.filter((x) => x.status === 'FAIL')) {
  console.log(`\n-- what failed in ${r.name} --`);
  const lines = r.seen.failures.length ? r.seen.failures : r.seen.tail;
  for (const l of lines) console.log(`  ${l.slice(0, 400)}`);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
