#!/usr/bin/env node
// Runs the extension-host integration suite (out/test/integration/index.js -> every *.test.js) inside the VS Code
// server shipped by the code-server npm package, driven by headless Chromium. Works offline.
//
//   npm run test:integration            (after `npm run build && npm run compile-tests`)
//
// Environment:
//   MLOPS_TEST_WORKSPACE   workspace folder to open (default test-output/integration-workspace); wiped and recreated
//                          with an empty README.md (only folders under test-output/ or the temp folder are wiped)
//   MLOPS_TEST_TIMEOUT_MS  overall timeout (default 600000 = 10 min)
//   MLOPS_TEST_GREP        passed through to the tests module: only run tests whose full title matches
//   MLOPS_HEADED=1         show the browser (needs a display)
//   CHROMIUM_PATH          Chromium binary (default /usr/bin/chromium)
// Everything is printed on stdout, so the summary line stays last even when stdout and stderr are merged.
// Outputs in test-output/: integration-results.json, integration-tests.log, integration-server.log,
// integration-browser.log, integration-final.png. Last line: `integration: N passed, M failed`.
import { Buffer } from 'node:buffer';
import fs from 'node:fs';
import path from 'node:path';
import {
  EXTHOST_EXITED,
  OUTPUT_DIR,
  REPO,
  ensureServerInstalled,
  freshDir,
  launchBrowser,
  newPage,
  rel,
  runCleanups,
  sleep,
  startServer,
} from './server.mjs';

const TIMEOUT_MS = Number(process.env.MLOPS_TEST_TIMEOUT_MS || 600_000);
const RESULTS = path.join(OUTPUT_DIR, 'integration-results.json');
const TEST_LOG = path.join(OUTPUT_DIR, 'integration-tests.log');
const BROWSER_LOG = path.join(OUTPUT_DIR, 'integration-browser.log');
const SCREENSHOT = path.join(OUTPUT_DIR, 'integration-final.png');
const TESTS_MODULE = path.join(REPO, 'out', 'test', 'integration', 'index.js');

function extensionMain() {
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
  return pkg.main ? path.resolve(REPO, pkg.main) : null;
}

function readResults() {
  try {
    return JSON.parse(fs.readFileSync(RESULTS, 'utf8'));
  } catch {
    return null;
  }
}

/** Streams new lines of the tests log (written by out/test/integration/index.js) to stdout. */
function makeLogStreamer(file) {
  let offset = 0;
  return () => {
    let fd;
    try {
      fd = fs.openSync(file, 'r');
      const size = fs.fstatSync(fd).size;
      if (size > offset) {
        const buf = Buffer.alloc(size - offset);
        fs.readSync(fd, buf, 0, buf.length, offset);
        offset = size;
        process.stdout.write(buf.toString('utf8'));
      }
    } catch {
      // not there yet
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
  };
}

function printResults(results) {
  const failed = results.tests.filter((t) => t.state === 'failed');
  if (failed.length) {
    console.log(`\nFailures (${failed.length}):`);
    failed.forEach((t, i) => {
      console.log(`\n  ${i + 1}) ${t.fullTitle}${t.file ? `  [${t.file}]` : ''}`);
      const body = t.error?.stack || t.error?.message || '(no error message)';
      console.log(body.split('\n').map((l) => '     ' + l).join('\n'));
      if (t.error && ('expected' in t.error || 'actual' in t.error)) {
        console.log(`     expected: ${JSON.stringify(t.error.expected)}`);
        console.log(`     actual:   ${JSON.stringify(t.error.actual)}`);
      }
    });
  }
  console.log(`\n${results.passed} passing, ${results.failed} failing, ${results.pending} pending (${results.durationMs} ms in ${results.host})`);
}

async function main() {
  const problems = [];
  const main = extensionMain();
  if (main && !fs.existsSync(main)) problems.push(`${rel(main)} is missing: run \`npm run build\` first.`);
  if (!fs.existsSync(TESTS_MODULE)) problems.push(`${rel(TESTS_MODULE)} is missing: run \`npm run compile-tests\` first.`);
  if (problems.length) return { error: problems.join('\n') };

  ensureServerInstalled();

  const workspace = freshDir(process.env.MLOPS_TEST_WORKSPACE ? path.resolve(process.env.MLOPS_TEST_WORKSPACE) : path.join(OUTPUT_DIR, 'integration-workspace'));
  fs.writeFileSync(path.join(workspace, 'README.md'), '');
  fs.rmSync(RESULTS, { force: true });
  fs.writeFileSync(TEST_LOG, '');

  console.log(`integration: workspace ${rel(workspace)}; starting the VS Code server...`);
  const server = await startServer({
    name: 'integration',
    logFile: path.join(OUTPUT_DIR, 'integration-server.log'),
    disableWorkspaceTrust: true,
    env: {
      MLOPS_TEST_RESULTS: RESULTS,
      MLOPS_TEST_LOG: TEST_LOG,
      MLOPS_REPO: REPO,
      ...(process.env.MLOPS_TEST_GREP ? { MLOPS_TEST_GREP: process.env.MLOPS_TEST_GREP } : {}),
    },
  });
  const ctx = { server, workspace };
  try {
    const url = server.url(workspace, { devExtension: true, testsPath: TESTS_MODULE });
    console.log(`integration: server on port ${server.port} (log ${rel(server.logFile)}); opening ${url}`);
    const browser = await launchBrowser();
    ctx.browser = browser;
    const page = await newPage(browser, { logFile: BROWSER_LOG });
    ctx.page = page;
    let pageClosed = false;
    page.on('close', () => (pageClosed = true));
    page.on('crash', () => (pageClosed = true));
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60_000 });

    const stream = makeLogStreamer(TEST_LOG);
    const deadline = Date.now() + TIMEOUT_MS;
    let exitedAt = 0;
    for (;;) {
      stream();
      const results = fs.existsSync(RESULTS) ? readResults() : null;
      if (results) {
        // Let the extension host finish and its last lines arrive.
        await Promise.race([waitFor(() => server.log().includes(EXTHOST_EXITED), 5000), sleep(5000)]);
        stream();
        ctx.results = results;
        break;
      }
      if (server.hasExited()) return { ...ctx, error: 'The VS Code server exited during the tests.' };
      if (pageClosed) return { ...ctx, error: 'The browser page closed or crashed before the tests wrote their results.' };
      if (!exitedAt && server.log().includes(EXTHOST_EXITED)) exitedAt = Date.now();
      if (exitedAt && Date.now() - exitedAt > 3000) {
        const line = server.log().split('\n').find((l) => l.includes(EXTHOST_EXITED));
        return { ...ctx, error: `The extension host exited without writing ${rel(RESULTS)} (crash, or the tests module failed to load):\n  ${line?.trim()}` };
      }
      if (Date.now() > deadline) return { ...ctx, error: `Timed out after ${TIMEOUT_MS} ms waiting for ${rel(RESULTS)} (MLOPS_TEST_TIMEOUT_MS).` };
      await sleep(250);
    }
    return ctx;
  } finally {
    if (ctx.page) await ctx.page.screenshot({ path: SCREENSHOT, timeout: 15_000 }).catch(() => {});
    if (ctx.browser) await ctx.browser.close().catch(() => {});
    await server.stop();
  }
}

async function waitFor(fn, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (fn()) return true;
    await sleep(100);
  }
  return false;
}

let outcome;
try {
  outcome = await main();
} catch (e) {
  outcome = { error: e?.stack || String(e) };
} finally {
  await runCleanups();
}

const results = outcome?.results;
if (results) printResults(results);
if (outcome?.error) console.log(`\nintegration: ERROR: ${outcome.error}`);
const ok = !outcome?.error && results && results.failed === 0 && results.passed > 0;
if (!ok) {
  if (results && results.passed === 0 && results.failed === 0) console.log('integration: no test passed (none found or all filtered out).');
  if (outcome?.server) {
    console.log(`\n--- last lines of ${rel(outcome.server.logFile)} ---\n${outcome.server.logTail(80)}\n--- end of server log ---`);
    console.log(`(browser console: ${rel(BROWSER_LOG)}; screenshot: ${rel(SCREENSHOT)})`);
  }
}
// A harness failure (no results at all) counts as one failure so the summary never reads "0 failed".
const passed = results?.passed ?? 0;
const failed = results ? results.failed + (outcome.error ? 1 : 0) : 1;
console.log(`integration: ${passed} passed, ${failed} failed`);
process.exit(ok ? 0 : 1);
