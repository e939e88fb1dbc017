#!/usr/bin/env node
// Runs the same integration suite (out/test/integration/index.js) in desktop VS Code through @vscode/test-electron,
// for machines that can download VS Code from Microsoft's update server. Offline, use `npm run test:integration`
// (the bundled VS Code server in headless Chromium) instead.
//
//   npm run test:electron          (after `npm run build && npm run compile-tests`; on Linux without a display,
//                                   run it under xvfb-run)
// Environment:
//   VSCODE_TEST_VERSION     VS Code version to download (default 'stable'; e.g. 1.100.3, insiders)
//   MLOPS_TEST_WORKSPACE    workspace folder (default test-output/electron-workspace), recreated with an empty README.md
//   MLOPS_TEST_GREP         only run tests whose full title matches
// Exit codes: 0 all passed, 1 tests failed, 2 VS Code could not be downloaded.
// Last line: `electron: N passed, M failed` (from test-output/electron-results.json).
import fs from 'node:fs';
import path from 'node:path';
import { OUTPUT_DIR, REPO, freshDir, rel } from './server.mjs';

const TESTS_MODULE = path.join(REPO, 'out', 'test', 'integration', 'index.js');
const RESULTS = path.join(OUTPUT_DIR, 'electron-results.json');
const version = process.env.VSCODE_TEST_VERSION || 'stable';

function summary(extraFailure) {
  let r = null;
  try {
    r = JSON.parse(fs.readFileSync(RESULTS, 'utf8'));
  } catch {
    // no results
  }
  const passed = r?.passed ?? 0;
  const failed = (r?.failed ?? 0) + (extraFailure && !(r?.failed > 0) ? 1 : 0);
  console.log(`electron: ${passed} passed, ${failed} failed`);
  return { passed, failed };
}

if (!fs.existsSync(TESTS_MODULE)) {
  console.log(`electron: ${rel(TESTS_MODULE)} is missing: run \`npm run build && npm run compile-tests\` first.`);
  process.exit(1);
}

const { downloadAndUnzipVSCode, runTests } = await import('@vscode/test-electron');

let vscodeExecutablePath;
try {
  vscodeExecutablePath = await downloadAndUnzipVSCode({ version, cachePath: path.join(REPO, '.vscode-test'), timeout: 30_000 });
} catch (e) {
  console.log(`\nelectron: could not download VS Code '${version}' from Microsoft's update server: ${e?.message || e}`);
  console.log('electron: the VS Code download is not reachable from this machine (no internet access?).');
  console.log('electron: `npm run test:integration` runs the same suite in the bundled VS Code server (code-server,');
  console.log('          headless Chromium) and needs no download.');
  process.exit(2);
}

const workspace = freshDir(process.env.MLOPS_TEST_WORKSPACE ? path.resolve(process.env.MLOPS_TEST_WORKSPACE) : path.join(OUTPUT_DIR, 'electron-workspace'));
fs.writeFileSync(path.join(workspace, 'README.md'), '');
fs.rmSync(RESULTS, { force: true });

let code = 0;
try {
  await runTests({
    vscodeExecutablePath,
    extensionDevelopmentPath: REPO,
    extensionTestsPath: TESTS_MODULE,
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust'],
    extensionTestsEnv: {
      MLOPS_TEST_RESULTS: RESULTS,
      MLOPS_REPO: REPO,
      ...(process.env.MLOPS_TEST_GREP ? { MLOPS_TEST_GREP: process.env.MLOPS_TEST_GREP } : {}),
    },
  });
} catch (e) {
  console.log(`electron: the test run failed: ${e?.message || e}`);
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    console.log('electron: no DISPLAY is set; on a headless Linux machine run this under `xvfb-run -a npm run test:electron`.');
  }
  code = 1;
}
const { passed, failed } = summary(code !== 0);
process.exit(code === 0 && failed === 0 && passed > 0 ? 0 : 1);
