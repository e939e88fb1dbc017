#!/usr/bin/env node
// Browser end-to-end specs: every test/e2e/*.spec.mjs (plain ESM JavaScript), in name order. A spec's default export
// is `async function (ctx)`; it fails by throwing. Servers and browsers a spec starts through ctx are always stopped.
//
//   npm run test:e2e                      all specs (needs `npm run build` first: the dev extension is dist/)
//   node test/host/run-e2e.mjs smoke      only specs whose file name contains "smoke" (several filters allowed)
//
// Environment:
//   MLOPS_E2E_GREP           same as the name filters on the command line (substring of the file name)
//   MLOPS_E2E_TIMEOUT_MS     per-spec timeout (default 300000 = 5 min)
//   MLOPS_HEADED=1           show the browser (needs a display);  CHROMIUM_PATH  Chromium binary
// Outputs: test-output/screenshots/ (specs' screenshots, plus <spec>-failure.png), test-output/e2e/<spec>/
// (server logs, browser console), fresh workspaces from ctx.makeWorkspace. Last line: `e2e: N passed, M failed`.
//
// ctx (see makeContext below):
//   repo, name, outDir, screenshotDir, cli (dist/cli.js), log(...)
//   startServer(opts) -> server: { port, url(folder, { devExtension = true, testsPath }), stop(), logFile, logTail() }
//       opts: disableWorkspaceTrust (default true; false to test Restricted Mode), env, settings, name
//   launchBrowser() -> playwright Browser;  newPage(browser) -> Page with a 1400x900 viewport, console logged
//   openWorkbench(folder, { server: startServer opts }) -> { server, browser, page }: the workbench on folder with the
//       extension under development; a JavaScript dialog fails the spec
//   makeWorkspace(name) -> fresh absolute folder test-output/e2e/<spec>/<name>
//   screenshot(page, name) -> saves test-output/screenshots/<name>.png
//   helpers: openView(page, containerTitle), runCommand(page, title), waitForText(locatorOrPageOrFrame, text, timeout),
//            webviewFrames(page), waitForWebviewFrame(page, text, timeout), waitForWorkbench(page, timeout),
//            notifications(page)
import fs from 'node:fs';
import path from 'node:path';
import { clearTimeout, setTimeout } from 'node:timers';
import { pathToFileURL } from 'node:url';
import {
  OUTPUT_DIR,
  REPO,
  ensureServerInstalled,
  freshDir,
  helpers,
  launchBrowser,
  newPage,
  rel,
  runCleanups,
  startServer,
} from './server.mjs';

const SPEC_DIR = path.join(REPO, 'test', 'e2e');
const SCREENSHOT_DIR = path.join(OUTPUT_DIR, 'screenshots');
const E2E_DIR = path.join(OUTPUT_DIR, 'e2e');
const SPEC_TIMEOUT_MS = Number(process.env.MLOPS_E2E_TIMEOUT_MS || 300_000);

// ---------------------------------------------------------------------------------------------------------
// The runner

function makeContext(specName) {
  const outDir = freshDir(path.join(E2E_DIR, specName));
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const servers = [];
  const browsers = [];
  let serverCount = 0;
  const ctx = {
    repo: REPO,
    name: specName,
    outDir,
    screenshotDir: SCREENSHOT_DIR,
    cli: path.join(REPO, 'dist', 'cli.js'),
    helpers,
    log: (...a) => console.log(`    [${specName}]`, ...a),
    async startServer(opts = {}) {
      const n = ++serverCount;
      const name = opts.name || `server${n}`;
      const server = await startServer({
        name: `${specName}-${name}`,
        userDataDir: freshDir(path.join(outDir, `${name}-userdata`)),
        extensionsDir: freshDir(path.join(outDir, `${name}-extensions`)),
        logFile: path.join(outDir, `${name}.log`),
        disableWorkspaceTrust: opts.disableWorkspaceTrust ?? true,
        env: { MLOPS_REPO: REPO, ...(opts.env || {}) },
        settings: opts.settings,
        extraArgs: opts.extraArgs,
      });
      servers.push(server);
      return server;
    },
    async launchBrowser(opts = {}) {
      const browser = await launchBrowser(opts);
      browsers.push(browser);
      return browser;
    },
    async newPage(browser, opts = {}) {
      return newPage(browser, { logFile: path.join(outDir, `browser-${browser.contexts().length + 1}.log`), ...opts });
    },
    /**
     * A VS Code server, a browser and a page showing the workbench on `folder` with the extension under development.
     * Any JavaScript dialog (alert, confirm) fails the spec: no user string may ever run as script.
     */
    async openWorkbench(folder, { server: serverOpts = {}, devExtension = true } = {}) {
      const server = await ctx.startServer(serverOpts);
      const browser = await ctx.launchBrowser();
      const page = await ctx.newPage(browser);
      page.on('dialog', (d) => {
        throw new Error(`a script ran: dialog ${d.message()}`);
      });
      await page.goto(server.url(folder, { devExtension }), { waitUntil: 'domcontentloaded' });
      await helpers.waitForWorkbench(page, 60_000);
      return { server, browser, page };
    },
    makeWorkspace(name = 'workspace') {
      return freshDir(path.join(outDir, 'ws', name));
    },
    async screenshot(page, name) {
      const file = path.join(SCREENSHOT_DIR, name.endsWith('.png') ? name : `${name}.png`);
      await page.screenshot({ path: file });
      return file;
    },
  };
  ctx.dispose = async (failed) => {
    if (failed) {
      let i = 0;
      for (const b of browsers) {
        for (const c of b.isConnected() ? b.contexts() : []) {
          for (const p of c.pages()) {
            const file = path.join(SCREENSHOT_DIR, `${specName}-failure${i ? '-' + i : ''}.png`);
            i++;
            await p.screenshot({ path: file, timeout: 10_000 }).then(() => console.log(`    failure screenshot: ${rel(file)}`)).catch(() => {});
          }
        }
      }
      for (const s of servers) console.log(`    --- last lines of ${rel(s.logFile)} ---\n${s.logTail(30).replace(/^/gm, '    ')}`);
    }
    for (const b of browsers) await b.close().catch(() => {});
    for (const s of servers) await s.stop().catch(() => {});
  };
  return ctx;
}

function findSpecs() {
  if (!fs.existsSync(SPEC_DIR)) return [];
  const filters = [...process.argv.slice(2), ...(process.env.MLOPS_E2E_GREP ? [process.env.MLOPS_E2E_GREP] : [])];
  return fs
    .readdirSync(SPEC_DIR)
    .filter((f) => f.endsWith('.spec.mjs'))
    .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
    .sort()
    .map((f) => path.join(SPEC_DIR, f));
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms (MLOPS_E2E_TIMEOUT_MS)`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

async function main() {
  const specs = findSpecs();
  const results = [];
  if (specs.length === 0) {
    console.log(`e2e: no spec found in ${rel(SPEC_DIR)}${process.argv.length > 2 ? ' matching ' + process.argv.slice(2).join(', ') : ''}`);
    return results;
  }
  const main = path.join(REPO, 'dist', 'extension.js');
  if (!fs.existsSync(main)) {
    console.log(`e2e: ${rel(main)} is missing: run \`npm run build\` first.`);
    return [{ name: '(setup)', ok: false }];
  }
  ensureServerInstalled();
  for (const file of specs) {
    const name = path.basename(file, '.spec.mjs');
    const started = Date.now();
    console.log(`\n● ${name}`);
    let ctx;
    let error;
    try {
      const mod = await import(pathToFileURL(file).href);
      if (typeof mod.default !== 'function') throw new Error(`${rel(file)} has no default export function`);
      ctx = makeContext(name);
      await withTimeout(Promise.resolve().then(() => mod.default(ctx)), SPEC_TIMEOUT_MS, `spec ${name}`);
    } catch (e) {
      error = e;
    }
    if (ctx) await ctx.dispose(!!error).catch(() => {});
    const ms = Date.now() - started;
    if (error) {
      console.log(`  ✗ ${name} (${ms} ms)\n${String(error?.stack || error).replace(/^/gm, '      ')}`);
    } else {
      console.log(`  ✓ ${name} (${ms} ms)`);
    }
    results.push({ name, ok: !error, ms });
  }
  return results;
}

// The README's screenshot tour (docs/images/) comes from this run's real UI, so it stays true: each image is copied
// from a screenshot this run took and whose spec passed (a spec that did not run leaves the committed image as it is).
const DOC_IMAGES = {
  'experiments.png': ['20-training', '21-sweep-best-run.png'],
  'compare.png': ['30-compare', '33-compare-bars-dark.png'],
  'registry.png': ['40-registry', '40-registry-tree-and-status-bar.png'],
  'pipelines.png': ['50-pipelines', '51-pipeline-report.png'],
  'drift-report.png': ['60-drift', '60-drift-1-header-dark.png'],
};
const RUN_STARTED = Date.now();

function copyDocImages(results) {
  const ok = new Set(results.filter((r) => r.ok).map((r) => r.name));
  const dir = path.join(REPO, 'docs', 'images');
  for (const [image, [spec, shot]] of Object.entries(DOC_IMAGES)) {
    const from = path.join(SCREENSHOT_DIR, shot);
    if (!ok.has(spec) || !fs.existsSync(from) || fs.statSync(from).mtimeMs < RUN_STARTED) continue;
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(from, path.join(dir, image));
    console.log(`  docs/images/${image} ← ${rel(from)}`);
  }
}

let results = [];
let fatal;
try {
  results = await main();
} catch (e) {
  fatal = e;
  console.log(`e2e: ERROR: ${e?.stack || e}`);
} finally {
  await runCleanups();
}
const passed = results.filter((r) => r.ok).length;
const failed = results.filter((r) => !r.ok).length + (fatal ? 1 : 0);
if (results.length) {
  console.log('\nE2E summary:');
  for (const r of results) console.log(`  ${r.ok ? 'PASS' : 'FAIL'}  ${r.name}${r.ms !== undefined ? ` (${r.ms} ms)` : ''}`);
}
copyDocImages(results);
console.log(`e2e: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
