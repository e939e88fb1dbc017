#!/usr/bin/env node
// `npm start` (= `npm run build && node scripts/start.mjs`): opens the extension under development on a sample
// workspace with experiment runs in it.
//
//  1. Creates (or refreshes) the sample workspace: `mlops init --sample DIR` when the CLI has it, else `mlops init DIR`
//     plus the seed's 5 RandomForest runs (n_estimators/max_depth grid), unless that experiment already has runs.
//  2. With a desktop `code` on PATH: `code --extensionDevelopmentPath=<repo> DIR` (an Extension Development Host).
//     Otherwise: starts the bundled VS Code server (installing it first if needed) and prints the URL of an
//     Extension Development Host window on DIR; runs until Ctrl-C, then stops the server.
//
// Environment:
//   MLOPS_SAMPLE_DIR     sample workspace (default test-output/sample-workspace)
//   MLOPS_SAMPLE_RESET=1 wipe the sample workspace first (only under test-output/ or the temp folder)
//   PORT                 server port (default 8080; a free port is used if it is busy)
//   MLOPS_HOST           address to bind (default 127.0.0.1; 0.0.0.0 to reach it from outside a container)
//   MLOPS_START_SERVER=1 use the VS Code server even when `code` is on PATH
//   MLOPS_WORKSPACE_TRUST=1  keep workspace trust (default: --disable-workspace-trust, no Restricted Mode prompt)
//   MLOPS_START_SMOKE=1  start the server, check GET / answers 200, print the URL, stop and exit 0 (for CI)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  OUTPUT_DIR,
  REPO,
  ensureServerInstalled,
  freePort,
  freshDir,
  httpStatus,
  onCleanup,
  rel,
  runCleanups,
  setSignalExitCode,
  startServer,
} from '../test/host/server.mjs';

const CLI = path.join(REPO, 'dist', 'cli.js');
const SAMPLE_DIR = path.resolve(process.env.MLOPS_SAMPLE_DIR || path.join(OUTPUT_DIR, 'sample-workspace'));
const SMOKE = process.env.MLOPS_START_SMOKE === '1';
const EXPERIMENT = 'YieldPrediction_RandomForest';

/** The seed's grid search: 5 RandomForest configurations with plausible held-out metrics (yield in t/ha). */
const SEED_RUNS = [
  { n_estimators: 50, max_depth: 5, rmse_test: 0.912, mae_test: 0.701, r2_test: 0.781 },
  { n_estimators: 100, max_depth: 5, rmse_test: 0.884, mae_test: 0.679, r2_test: 0.794 },
  { n_estimators: 100, max_depth: 10, rmse_test: 0.741, mae_test: 0.562, r2_test: 0.855 },
  { n_estimators: 200, max_depth: 10, rmse_test: 0.722, mae_test: 0.548, r2_test: 0.862 },
  { n_estimators: 200, max_depth: 'none', rmse_test: 0.768, mae_test: 0.575, r2_test: 0.851 },
];

const indent = (text) => text.replace(/^(?=.)/gm, '  ');

function cli(args, { quiet = false } = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: REPO, encoding: 'utf8' });
  if (!quiet) {
    if (r.stdout) process.stdout.write(indent(r.stdout));
    if (r.stderr) process.stderr.write(indent(r.stderr));
  }
  return r;
}

function prepareSample() {
  if (!fs.existsSync(CLI)) throw new Error(`${rel(CLI)} is missing: run \`npm run build\` (npm start does it).`);
  if (process.env.MLOPS_SAMPLE_RESET === '1') freshDir(SAMPLE_DIR);
  fs.mkdirSync(SAMPLE_DIR, { recursive: true });
  console.log(`start: sample workspace ${SAMPLE_DIR}`);

  const sample = cli(['init', '--sample', SAMPLE_DIR], { quiet: true });
  if (sample.status === 0) {
    process.stdout.write(indent(sample.stdout));
    return;
  }
  // This CLI has no `init --sample` yet: create the store and record the seed's runs.
  const store = path.join(SAMPLE_DIR, '.mlops');
  const init = cli(['init', SAMPLE_DIR]);
  if (init.status !== 0) throw new Error(`mlops init ${SAMPLE_DIR} failed (exit ${init.status})`);
  const list = cli(['--store', store, 'runs', 'list', '-e', EXPERIMENT, '--json'], { quiet: true });
  let existing = [];
  try {
    existing = JSON.parse(list.stdout || '[]');
  } catch {
    existing = [];
  }
  if (list.status === 0 && existing.length > 0) {
    console.log(`  ${EXPERIMENT} already has ${existing.length} run(s): keeping them (MLOPS_SAMPLE_RESET=1 starts over).`);
    return;
  }
  for (const r of SEED_RUNS) {
    const name = `rf_n${r.n_estimators}_d${r.max_depth === 'none' ? 'None' : r.max_depth}`;
    const res = cli([
      '--store', store, 'runs', 'create',
      '-e', EXPERIMENT,
      '-n', name,
      '-p', `n_estimators=${r.n_estimators}`,
      '-p', `max_depth=${r.max_depth}`,
      '-p', 'random_state=42',
      '-m', `rmse_test=${r.rmse_test}`,
      '-m', `mae_test=${r.mae_test}`,
      '-m', `r2_test=${r.r2_test}`,
      '-t', 'model=RandomForestRegressor',
      '-t', 'dataset=crop_yield',
    ], { quiet: true });
    if (res.status !== 0) throw new Error(`mlops runs create ${name} failed (exit ${res.status}):\n${res.stderr}`);
    console.log(`  recorded run ${name} (${res.stdout.trim()})`);
  }
}

function onPath(cmd) {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return null;
}

async function main() {
  prepareSample();

  const code = onPath('code');
  if (code && !SMOKE && process.env.MLOPS_START_SERVER !== '1') {
    console.log(`start: opening an Extension Development Host with ${code}`);
    const r = spawnSync(code, [`--extensionDevelopmentPath=${REPO}`, SAMPLE_DIR], { stdio: 'inherit' });
    return r.status ?? 1;
  }

  ensureServerInstalled();
  const host = process.env.MLOPS_HOST || '127.0.0.1';
  const wanted = Number(process.env.PORT || 8080);
  const port = await freePort(wanted, host);
  if (port !== wanted) console.log(`start: port ${wanted} is busy; using ${port}`);
  const server = await startServer({
    name: 'start',
    host,
    port,
    userDataDir: path.join(OUTPUT_DIR, 'vscode-server', 'start-userdata'), // kept between starts (UI state)
    extensionsDir: path.join(OUTPUT_DIR, 'vscode-server', 'start-extensions'),
    logFile: path.join(OUTPUT_DIR, 'start-server.log'),
    disableWorkspaceTrust: process.env.MLOPS_WORKSPACE_TRUST !== '1',
    env: { MLOPS_REPO: REPO },
  });
  const url = server.url(SAMPLE_DIR, { devExtension: true });

  if (SMOKE) {
    const status = await httpStatus(`http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}/`);
    console.log(`start: GET / -> ${status}`);
    console.log(`start: workbench URL: ${url}`);
    await server.stop();
    if (status !== 200) {
      console.log(`start: the server did not answer 200. Log ${rel(server.logFile)}:\n${server.logTail(40)}`);
      return 1;
    }
    console.log('start: smoke check passed (server started, answered 200, stopped).');
    return 0;
  }

  console.log(`\nMLOps Workbench is running in the bundled VS Code server on port ${port}.`);
  console.log(`Open this URL in a browser (an Extension Development Host window on the sample workspace):\n\n  ${url}\n`);
  console.log(`Server log: ${rel(server.logFile)}. Press Ctrl-C to stop.`);
  setSignalExitCode(0);
  let stopping = false;
  onCleanup(() => {
    stopping = true; // runs before the server's own cleanup (cleanups run newest first)
  });
  const info = await server.exited; // runs until Ctrl-C (the signal handler stops the server and exits)
  if (stopping) {
    console.log('start: VS Code server stopped.');
    return 0;
  }
  console.log(`start: the VS Code server exited (${JSON.stringify(info)}). Last lines of ${rel(server.logFile)}:\n${server.logTail(40)}`);
  return 1;
}

let exitCode = 1;
try {
  exitCode = await main();
} catch (e) {
  console.error(`start: ${e?.message || e}`);
} finally {
  await runCleanups();
}
process.exit(exitCode);
