/* global document */
// Shared helpers for the runners that use the VS Code server shipped in the `code-server` npm package
// (see test/host/install-vscode-server.sh): find a free port, start/stop the server in its own process group,
// build the workbench URL that loads the extension under development (and optionally its tests), and launch
// headless Chromium through playwright-core. Every path is derived from this file's location.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout } from 'node:timers';
import { fileURLToPath } from 'node:url';

/** Repository root (two levels above test/host/). */
export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const OUTPUT_DIR = path.join(REPO, 'test-output');
export const CODE_SERVER_VERSION = process.env.CODE_SERVER_VERSION || '4.100.3';
export const SERVER_CACHE = process.env.VSCODE_SERVER_CACHE
  ? path.resolve(process.env.VSCODE_SERVER_CACHE)
  : path.join(REPO, '.vscode-test', `code-server-${CODE_SERVER_VERSION}`);
export const SERVER_MAIN = path.join(SERVER_CACHE, 'node_modules', 'code-server', 'lib', 'vscode', 'out', 'server-main.js');
export const INSTALLER = path.join(REPO, 'test', 'host', 'install-vscode-server.sh');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
/** The line the server logs when a window's extension host ends (after a tests module's run() settles). */
export const EXTHOST_EXITED = 'Extension Host Process exited';

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function rel(p) {
  return path.relative(REPO, p) || '.';
}

/** Removes and recreates a directory. Refuses anything outside the repo's test-output/ or the OS temp folder. */
export function freshDir(dir) {
  const abs = path.resolve(dir);
  const tmp = path.resolve(os.tmpdir());
  const roots = [OUTPUT_DIR, tmp, fs.existsSync(tmp) ? fs.realpathSync(tmp) : tmp];
  const inside = (root) => abs !== root && abs.startsWith(root + path.sep);
  if (!roots.some(inside)) {
    throw new Error(`Refusing to wipe ${abs}: only folders under ${OUTPUT_DIR} or the temp folder (${tmp}) are wiped.`);
  }
  fs.rmSync(abs, { recursive: true, force: true });
  fs.mkdirSync(abs, { recursive: true });
  return abs;
}

// ---------------------------------------------------------------------------------------------------------
// Cleanup on exit and on signals: every server/browser registers a stop function here.

const cleanups = new Set();
let signalsHooked = false;
let signalExitCode = null;

/** Exit code used after a signal's cleanup (default 130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP). */
export function setSignalExitCode(code) {
  signalExitCode = code;
}

/** Registers fn (sync or async) to run on SIGINT/SIGTERM/SIGHUP; returns an unregister function. */
export function onCleanup(fn) {
  hookSignals();
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

/** Runs (and forgets) every registered cleanup. */
export async function runCleanups() {
  const fns = [...cleanups].reverse();
  cleanups.clear();
  for (const fn of fns) {
    try {
      await fn();
    } catch {
      // best effort
    }
  }
}

function hookSignals() {
  if (signalsHooked) return;
  signalsHooked = true;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      process.stderr.write(`\nReceived ${sig}: stopping VS Code server(s) and browser(s)...\n`);
      const force = setTimeout(() => process.exit(130), 10_000);
      force.unref();
      const code = signalExitCode ?? { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 }[sig];
      runCleanups().finally(() => process.exit(code));
    });
  }
  // Last resort when the process exits without running the async cleanups (uncaught error, process.exit):
  // kill every server process group we still know about, synchronously.
  process.on('exit', () => {
    for (const pgid of liveGroups) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

// ---------------------------------------------------------------------------------------------------------
// Installation, ports, HTTP

export function isServerInstalled() {
  return fs.existsSync(path.join(SERVER_CACHE, '.installed')) && fs.existsSync(SERVER_MAIN);
}

/** Runs test/host/install-vscode-server.sh unless the stamp file exists. Throws if the install fails. */
export function ensureServerInstalled() {
  if (isServerInstalled()) return;
  console.log(`VS Code server not installed in ${rel(SERVER_CACHE)}: running ${rel(INSTALLER)} (takes a minute or two)...`);
  const r = spawnSync('bash', [INSTALLER], { stdio: 'inherit', cwd: REPO, env: process.env });
  if (r.status !== 0 || !isServerInstalled()) {
    throw new Error(`${rel(INSTALLER)} failed (exit ${r.status ?? r.signal}); see its output above.`);
  }
}

function tryListen(port, host) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', () => resolve(null));
    srv.listen({ port, host, exclusive: true }, () => {
      const p = srv.address().port;
      srv.close(() => resolve(p));
    });
  });
}

/** A free TCP port on host: `preferred` if it is free, else one the OS picks. */
export async function freePort(preferred = 0, host = '127.0.0.1') {
  if (preferred) {
    const p = await tryListen(preferred, host);
    if (p) return p;
  }
  const p = await tryListen(0, host);
  if (!p) throw new Error(`Could not find a free port on ${host}`);
  return p;
}

/** GET url; resolves with the status code (or 0 on a connection error). */
export function httpStatus(url, timeoutMs = 5000) {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

/** Last n lines of a text file ('' if missing). */
export function tail(file, n = 60) {
  try {
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    if (lines.at(-1) === '') lines.pop();
    return lines.slice(-n).join('\n');
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------------------------------------------------
// The VS Code server

const liveGroups = new Set();

/**
 * Settings written to the server's Machine settings (<user-data-dir>/Machine/settings.json, which apply to every
 * window of this server) so that windows open quietly: no welcome page, no git prompt about the repository
 * around test-output/, no tips or recommendations.
 */
export const QUIET_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'git.openRepositoryInParentFolders': 'never',
  'extensions.ignoreRecommendations': true,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
};

/** Environment variables that would make the server think it runs inside another VS Code / Electron. */
const STRIP_ENV = ['VSCODE_IPC_HOOK_CLI', 'VSCODE_IPC_HOOK', 'VSCODE_PID', 'VSCODE_CWD', 'VSCODE_NLS_CONFIG', 'VSCODE_HANDLES_UNCAUGHT_ERRORS', 'VSCODE_ESM_ENTRYPOINT', 'VSCODE_AMD_ENTRYPOINT', 'ELECTRON_RUN_AS_NODE', 'ELECTRON_NO_ATTACH_CONSOLE', 'VSCODE_INSPECTOR_OPTIONS'];

/**
 * The workbench URL for a folder. With extensionDevelopmentPath the window is an Extension Development Host
 * for that folder; with extensionTestsPath too, its extension host runs that module's run() and then exits.
 */
export function workbenchUrl(host, port, folder, { extensionDevelopmentPath, extensionTestsPath } = {}) {
  const authority = `${host}:${port}`;
  const remote = (p) => `vscode-remote://${authority}${path.resolve(p).split(path.sep).join('/')}`;
  const q = [];
  if (folder) q.push(`folder=${encodeURIComponent(path.resolve(folder)).replace(/%2F/g, '/')}`);
  const payload = [];
  if (extensionDevelopmentPath) payload.push(['extensionDevelopmentPath', remote(extensionDevelopmentPath)]);
  if (extensionTestsPath) payload.push(['extensionTestsPath', remote(extensionTestsPath)]);
  if (payload.length) q.push(`payload=${encodeURIComponent(JSON.stringify(payload))}`);
  return `http://${authority}/${q.length ? '?' + q.join('&') : ''}`;
}

/**
 * Starts `node server-main.js` detached in its own process group, logging to test-output/<logName>, and waits
 * until GET / answers 200.
 *
 * options: port (0 = free port), host ('127.0.0.1'), publicHost (host used in URLs; default host, or localhost
 *   for 0.0.0.0), env (extra variables; the server's environment reaches the extension host), userDataDir,
 *   extensionsDir (default: fresh folders under test-output/<name>-*), name (used for default dirs/log),
 *   logFile, disableWorkspaceTrust (false), defaultFolder, extraArgs, readyTimeoutMs (60000),
 *   settings (extra Machine settings merged over QUIET_SETTINGS; false: write none).
 * Returns { port, host, baseUrl, pid, logFile, userDataDir, url(folder, opts), log(), logTail(n), waitForLog(text), exited,
 *   hasExited(), stop() }.
 */
export async function startServer(options = {}) {
  if (!isServerInstalled()) ensureServerInstalled();
  const name = options.name || 'server';
  const host = options.host || '127.0.0.1';
  const publicHost = options.publicHost || (host === '0.0.0.0' ? 'localhost' : host === '::' ? 'localhost' : host);
  const port = options.port ? options.port : await freePort(0, host === '0.0.0.0' ? '0.0.0.0' : host);
  fs.mkdirSync(OUTPUT_DIR, { recursive: true });
  const userDataDir = options.userDataDir || freshDir(path.join(OUTPUT_DIR, 'vscode-server', `${name}-userdata`));
  const extensionsDir = options.extensionsDir || freshDir(path.join(OUTPUT_DIR, 'vscode-server', `${name}-extensions`));
  fs.mkdirSync(userDataDir, { recursive: true });
  fs.mkdirSync(extensionsDir, { recursive: true });
  if (options.settings !== false) {
    const machine = path.join(userDataDir, 'Machine', 'settings.json');
    let current = {};
    try {
      current = JSON.parse(fs.readFileSync(machine, 'utf8'));
    } catch {
      // missing or not plain JSON: rewrite it
    }
    fs.mkdirSync(path.dirname(machine), { recursive: true });
    fs.writeFileSync(machine, JSON.stringify({ ...QUIET_SETTINGS, ...current, ...(options.settings || {}) }, null, 2));
  }
  const logFile = options.logFile || path.join(OUTPUT_DIR, `${name}-server.log`);
  fs.mkdirSync(path.dirname(logFile), { recursive: true });

  const args = [
    SERVER_MAIN,
    '--host', host,
    '--port', String(port),
    '--without-connection-token',
    '--accept-server-license-terms',
    '--user-data-dir', userDataDir,
    '--extensions-dir', extensionsDir,
    '--disable-telemetry',
  ];
  if (options.disableWorkspaceTrust) args.push('--disable-workspace-trust');
  if (options.defaultFolder) args.push('--default-folder', path.resolve(options.defaultFolder));
  if (options.extraArgs) args.push(...options.extraArgs);

  const env = { ...process.env };
  for (const k of STRIP_ENV) delete env[k];
  Object.assign(env, options.env || {});

  const fd = fs.openSync(logFile, 'w');
  fs.writeSync(fd, `# ${new Date().toISOString()} node ${args.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}\n`);
  const child = spawn(process.execPath, args, { cwd: REPO, env, detached: true, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  const pid = child.pid;
  if (!pid) throw new Error('Could not spawn the VS Code server');
  liveGroups.add(pid);

  let exitInfo = null;
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      liveGroups.delete(pid);
      resolve(exitInfo);
    });
    child.once('error', (err) => {
      exitInfo = { code: null, signal: null, error: err };
      liveGroups.delete(pid);
      resolve(exitInfo);
    });
  });

  let stopped = false;
  const stop = async () => {
    if (stopped) return exited;
    stopped = true;
    unregister();
    const kill = (sig) => {
      try {
        process.kill(-pid, sig); // the whole group: server, file watcher, extension hosts, ptys
      } catch {
        // group already gone
      }
    };
    kill('SIGTERM');
    const done = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]);
    if (!done) kill('SIGKILL');
    // The server may exit before its children: make sure nothing of the group survives.
    await sleep(200);
    kill('SIGKILL');
    liveGroups.delete(pid);
    return exited;
  };
  const unregister = onCleanup(stop);

  const baseUrl = `http://${publicHost}:${port}/`;
  const server = {
    name,
    port,
    host,
    publicHost,
    baseUrl,
    pid,
    logFile,
    userDataDir,
    extensionsDir,
    exited,
    hasExited: () => exitInfo !== null,
    log: () => {
      try {
        return fs.readFileSync(logFile, 'utf8');
      } catch {
        return '';
      }
    },
    logTail: (n = 60) => tail(logFile, n),
    /** Waits until the server log contains text (string or RegExp), e.g. 'Launched Extension Host Process'. */
    async waitForLog(text, timeoutMs = 60_000) {
      const matches = (s) => (text instanceof RegExp ? text.test(s) : s.includes(text));
      const end = Date.now() + timeoutMs;
      for (;;) {
        if (matches(server.log())) return;
        if (exitInfo) throw new Error(`The VS Code server exited while waiting for ${text} in its log`);
        if (Date.now() > end) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${text} in ${rel(logFile)}:\n${tail(logFile, 20)}`);
        await sleep(200);
      }
    },
    /**
     * URL of a workbench window on folder. opts: devExtension (true: load this repo as the extension under
     * development), extensionDevelopmentPath (another folder), testsPath / extensionTestsPath (a tests module).
     */
    url(folder, opts = {}) {
      const dev = opts.extensionDevelopmentPath || (opts.devExtension === false ? undefined : REPO);
      const tests = opts.extensionTestsPath || opts.testsPath;
      return workbenchUrl(publicHost, port, folder, { extensionDevelopmentPath: dev, extensionTestsPath: tests });
    },
    stop,
  };

  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
  const deadline = Date.now() + readyTimeoutMs;
  const probe = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}/`;
  for (;;) {
    if (exitInfo) {
      throw new Error(`VS Code server exited before it was ready (${JSON.stringify(exitInfo)}). Log ${rel(logFile)}:\n${tail(logFile, 40)}`);
    }
    if ((await httpStatus(probe, 2000)) === 200) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`VS Code server did not answer 200 on ${probe} within ${readyTimeoutMs} ms. Log ${rel(logFile)}:\n${tail(logFile, 40)}`);
    }
    await sleep(250);
  }
  return server;
}

// ---------------------------------------------------------------------------------------------------------
// Headless Chromium

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-dev-shm-usage',
];

/**
 * Launches Chromium (headless unless MLOPS_HEADED=1) via playwright-core. Playwright gives every launch() a new,
 * empty temporary profile (user data dir) and deletes it on close. The browser is closed by the cleanup hooks.
 */
export async function launchBrowser(options = {}) {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH).`);
  }
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: options.headless ?? process.env.MLOPS_HEADED !== '1',
    args: [...CHROMIUM_ARGS, ...(options.args || [])],
    timeout: options.timeout ?? 60_000,
  });
  const unregister = onCleanup(() => browser.close().catch(() => {}));
  browser.once('disconnected', unregister);
  return browser;
}

/** A page with a desktop-sized viewport, its console and page errors appended to logFile (if given). */
export async function newPage(browser, { logFile, viewport = { width: 1400, height: 900 } } = {}) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  if (logFile) {
    fs.mkdirSync(path.dirname(logFile), { recursive: true });
    fs.writeFileSync(logFile, '');
    const write = (s) => {
      try {
        fs.appendFileSync(logFile, s.endsWith('\n') ? s : s + '\n');
      } catch {
        // ignore
      }
    };
    page.on('console', (m) => write(`[console.${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => write(`[pageerror] ${e?.stack || e}`));
    page.on('crash', () => write('[crash] the page crashed'));
    page.on('close', () => write('[close] the page closed'));
  }
  return page;
}

// ---------------------------------------------------------------------------------------------------------
// Helpers for driving the VS Code workbench (checked against VS Code 1.100.3 web; see RECIPE.md)

const cssString = (s) => JSON.stringify(String(s));

/** Waits for the workbench to be loaded: `.monaco-workbench` visible and the activity bar rendered. */
export async function waitForWorkbench(page, timeout = 60_000) {
  await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout });
  await page.locator('.activitybar .action-item').first().waitFor({ state: 'visible', timeout });
}

/**
 * Opens the view container whose activity-bar entry's label contains containerTitle (e.g. "MLOps"), unless it is
 * already the open one (clicking the active entry would close the side bar). Returns the side bar locator.
 */
export async function openView(page, containerTitle, timeout = 30_000) {
  const item = page.locator(`.activitybar [aria-label*=${cssString(containerTitle)}]`).first();
  await item.waitFor({ state: 'visible', timeout });
  const li = item.locator('xpath=ancestor-or-self::li[contains(concat(" ", normalize-space(@class), " "), " action-item ")][1]');
  const sidebar = page.locator('.part.sidebar');
  // Looked at again until the side bar shows: right after a window reload the workbench may still be restoring it,
  // and a click then can close what was opening (a fresh-clone run saw the side bar stay hidden and empty for 30 s).
  const deadline = Date.now() + timeout;
  for (let attempt = 1; ; attempt++) {
    const active = await li
      .evaluate((el) => el.classList.contains('checked') || el.getAttribute('aria-expanded') === 'true' || el.getAttribute('aria-selected') === 'true')
      .catch(() => false);
    if (!(active && (await sidebar.isVisible()))) await item.click();
    const shown = await sidebar.waitFor({ state: 'visible', timeout: Math.max(1, Math.min(2500, deadline - Date.now())) }).then(() => true, () => false);
    if (shown) break;
    if (Date.now() >= deadline) await sidebar.waitFor({ state: 'visible', timeout: 1 }); // throws with the locator's log
    console.log(`      (the side bar did not show ${containerTitle} after click ${attempt}: looking again)`);
  }
  await page.locator('.part.sidebar .pane-body').first().waitFor({ state: 'visible', timeout }).catch(() => {});
  return sidebar;
}

/**
 * Runs a command from the command palette: F1, type its title, wait for a matching entry, pick it. The palette does
 * not refresh while open, so a command contributed by an extension that is still loading is retried (palette
 * closed and reopened) until timeout.
 */
export async function runCommand(page, title, timeout = 30_000) {
  const widget = page.locator('.quick-input-widget');
  const input = widget.locator('.quick-input-box input');
  const rows = widget.locator('.monaco-list-row');
  const deadline = Date.now() + timeout;
  let shown = [];
  for (;;) {
    if (await widget.isVisible()) await page.keyboard.press('Escape');
    await page.keyboard.press('F1');
    // A webview that never started can keep the keyboard focus and swallow F1: then open the quick input from the
    // title bar's command center instead (the '>' typed below switches it to commands).
    const opened = await input.waitFor({ state: 'visible', timeout: Math.max(1000, Math.min(5000, deadline - Date.now())) }).then(() => true, () => false);
    if (!opened) {
      await page.locator('.command-center').first().click({ timeout: 5000 }).catch(() => {});
      await input.waitFor({ state: 'visible', timeout: Math.max(1000, deadline - Date.now()) });
    }
    await input.fill(`>${title}`);
    // Wait until the list shows an entry for this title, so we never pick a stale first row.
    const row = rows.filter({ hasText: title }).first();
    const found = await row
      .waitFor({ state: 'visible', timeout: Math.max(500, Math.min(3000, deadline - Date.now())) })
      .then(() => true)
      .catch(() => false);
    if (found) {
      // Prefer the row whose label is exactly the title (aria-label is "Title, keybinding" or "Title").
      const n = await rows.count();
      let target = row;
      for (let i = 0; i < n; i++) {
        const label = ((await rows.nth(i).getAttribute('aria-label').catch(() => '')) || '').split(',')[0].trim();
        if (label === title) {
          target = rows.nth(i);
          break;
        }
      }
      await target.click();
      await widget.waitFor({ state: 'hidden', timeout: 5_000 }).catch(() => {});
      return;
    }
    shown = await rows.allInnerTexts().catch(() => []);
    await page.keyboard.press('Escape');
    if (Date.now() > deadline) {
      throw new Error(`Command "${title}" not found in the command palette within ${timeout} ms; it showed: ${JSON.stringify(shown.slice(0, 10))}`);
    }
    await sleep(500);
  }
}

function isPageOrFrame(x) {
  return x && typeof x.goto === 'function';
}

/**
 * Waits until the inner text of a locator (or of a page's/frame's body) contains text (string, or RegExp test).
 * Returns that text; on timeout throws with the end of the last text seen.
 */
export async function waitForText(target, text, timeout = 30_000) {
  const locator = isPageOrFrame(target) ? target.locator('body') : target;
  const matches = (s) => (text instanceof RegExp ? text.test(s) : s.includes(text));
  const deadline = Date.now() + timeout;
  let last = '';
  for (;;) {
    try {
      const texts = await locator.allInnerTexts();
      last = texts.join('\n');
      if (matches(last)) return last;
    } catch {
      // detached while re-rendering: retry
    }
    if (Date.now() > deadline) {
      const shown = last.length > 1500 ? '...' + last.slice(-1500) : last;
      throw new Error(`Timed out after ${timeout} ms waiting for text ${text instanceof RegExp ? text : JSON.stringify(text)}; last text was:\n${shown}`);
    }
    await sleep(200);
  }
}

/**
 * Frames that hold webview content: the inner iframe of each webview (its document lives under
 * .../contrib/webview/browser/pre/ and is the one your HTML is written into).
 */
export function webviewFrames(page) {
  return page.frames().filter((f) => f !== page.mainFrame() && f.url().includes('/webview/browser/pre/') && f.parentFrame() !== page.mainFrame());
}

/** Waits for a webview frame whose body text contains text (string or RegExp); returns that frame. */
export async function waitForWebviewFrame(page, text, timeout = 30_000) {
  const matches = (s) => (text instanceof RegExp ? text.test(s) : s.includes(text));
  const deadline = Date.now() + timeout;
  for (;;) {
    for (const f of webviewFrames(page)) {
      const body = await f.evaluate('document.body ? document.body.innerText : ""').catch(() => '');
      if (matches(body)) return f;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeout} ms waiting for a webview showing ${text instanceof RegExp ? text : JSON.stringify(text)} (${webviewFrames(page).length} webview frame(s) open)`);
    }
    await sleep(250);
  }
}

/** Texts of the visible notification toasts. */
export async function notifications(page) {
  return page.locator('.notifications-toasts .notification-toast').allInnerTexts().catch(() => []);
}

/** Preferences: Color Theme → `name`; retried while the theme list is still loading (early in start-up). */
export async function setTheme(page, name) {
  for (let attempt = 1; ; attempt++) {
    await runCommand(page, 'Preferences: Color Theme');
    await page.locator('.quick-input-widget .quick-input-box input').fill(name);
    const found = await page.locator('.quick-input-widget .monaco-list-row', { hasText: name }).first().waitFor({ timeout: 5_000 }).then(() => true, () => false);
    if (found) break;
    await page.keyboard.press('Escape');
    if (attempt >= 6) throw new Error(`the colour theme ${name} is not offered`);
    await sleep(1000);
  }
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 10_000 }).catch(() => {});
}

/** The data-* state one of our webview apps keeps on its #app element (rendered, theme, chart, …). */
export function appState(frame) {
  return frame.evaluate(() => ({ ...document.getElementById('app').dataset }));
}

/** Waits until the app's state passes `pred`; throws with the last state after `timeout`. */
export async function waitAppState(frame, pred, what, timeout = 15_000) {
  const end = Date.now() + timeout;
  for (;;) {
    const s = await appState(frame).catch(() => null);
    if (s && pred(s)) return s;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last state ${JSON.stringify(s)}`);
    await sleep(50);
  }
}

/** The webview frame of one of our apps whose <h1> is `title` and that has drawn (data-rendered set), or null. */
export async function appFrame(page, title, timeout = 30_000) {
  const end = Date.now() + timeout;
  for (;;) {
    for (const f of webviewFrames(page)) {
      const s = await f.evaluate(() => ({ h1: document.querySelector('h1')?.textContent, rendered: document.getElementById('app')?.dataset.rendered })).catch(() => null);
      if (s && s.h1 === title && s.rendered) return f;
    }
    if (Date.now() > end) return null;
    await sleep(50);
  }
}

/**
 * Opens a webview panel with `open()` and returns its drawn frame (and the attempt, and how long the test waited).
 * VS Code in a browser sometimes never starts a new webview (its service worker handshake hangs,
 * microsoft/vscode#125993): then the tab is closed and `retry` (default: `open`) run once more, and `log` says so.
 */
export async function openAppPanel(page, title, open, { retry = open, log = () => {} } = {}) {
  for (let attempt = 1; ; attempt++) {
    const t0 = Date.now();
    await (attempt === 1 ? open() : retry());
    const frame = await appFrame(page, title, attempt === 1 ? 25_000 : 45_000);
    if (frame) return { frame, attempt, seenMs: Date.now() - t0 };
    if (attempt > 1) throw new Error(`the panel '${title}' did not show`);
    log(`the webview of '${title}' did not start (VS Code web service worker handshake); closing it and opening it again`);
    // A context menu left open would take the keys meant for the palette.
    for (let i = 0; i < 2; i++) await page.keyboard.press('Escape');
    if (await page.locator('.editor-group-container .tab').count()) await runCommand(page, 'View: Close Editor');
    await sleep(1000);
  }
}

/** The helpers the E2E runner passes to specs as ctx.helpers. */
/** The lines matching `pattern` of every MLOps output channel log (MLOps.log) under `dir` (a spec's server user data). */
export function extensionLogLines(dir, pattern) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...extensionLogLines(p, pattern));
    else if (e.name === 'MLOps.log') out.push(...fs.readFileSync(p, 'utf8').split('\n').filter((l) => pattern.test(l)));
  }
  return out;
}

export const helpers = { openView, runCommand, waitForText, webviewFrames, waitForWebviewFrame, waitForWorkbench, notifications, setTheme, appState, waitAppState, appFrame, openAppPanel, extensionLogLines };
