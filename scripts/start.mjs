#!/usr/bin/env node
// `npm start` (= `npm run build && node scripts/start.mjs`): opens the extension under development on a sample
// workspace with experiment runs in it.
//
//  1. Creates (or refreshes) the sample workspace with `mlops init --sample --story DIR` (files that exist are kept):
//     the first time, the seed notebook's story is played in it for real (the grid's sweep, the six-stage pipeline,
//     a Production and a Staging version, three batches checked against Production: a few seconds); a sample that
//     already holds it, or runs of its own, is left as it is. MLOPS_SAMPLE_RESET=1 starts over.
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

  const started = Date.now();
  const sample = cli(['init', '--sample', '--story', SAMPLE_DIR], { quiet: true });
  if (sample.status !== 0) throw new Error(`mlops init --sample --story ${SAMPLE_DIR} failed (exit ${sample.status}):\n${sample.stderr}`);
  process.stdout.write(indent(sample.stdout));
  console.log(`start: sample ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
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
