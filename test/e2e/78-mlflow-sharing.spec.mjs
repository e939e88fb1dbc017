/* global document */
// Sharing with a team through MLflow, in the browser (issue 14): the sample workspace with the seed's story played
// (a sweep, YieldPredictor v1 in Production and v2 in Staging) and a REAL MLflow tracking server on 127.0.0.1,
// reached through a proxy that adds 120 ms to each request (a team server across a network, not loopback), connected
// with MLOps: Connect to MLflow Tracking Server….
//
// 1. The sweep's experiment → right-click → Push to MLflow… → the server: the progress notification (with Cancel)
//    is screenshot while the push runs (78-mlflow-push-progress).
// 2. YieldPredictor v1 and v2 → Push to MLflow… each: they become model versions on the server with their stages.
// 3. On the server's YieldPredictor in the Model Registry view: v2's inline Promote to Production, with a reason; then
//    the model's inline Show History: the audit trail in a Markdown preview (78-mlflow-model-history), saying the
//    promotion, its reason and from when the trail is complete. MLflow's own Python client then sees v2 in Production.
// Both screenshots are also copied to docs/images/mlflow-{push,history}.png for docs/mlflow.md.
//
// Needs `npm run compile-tests` (out/test/mlflow: the real MLflow and its server). Without MLflow it prints why and
// passes (with MLOPS_REQUIRE_MLFLOW=1 it fails instead).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { setTimeout } from 'node:timers';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export default async function mlflowSharing(ctx) {
  const { runCommand, waitForText, openView } = ctx.helpers;
  const outTest = path.join(ctx.repo, 'out', 'test', 'mlflow');
  if (!fs.existsSync(path.join(outTest, 'server.js'))) throw new Error('out/test/mlflow/server.js is missing: run `npm run compile-tests` first (this spec uses the real MLflow helpers)');
  const require = createRequire(import.meta.url);
  const { mlflowPython, mlflowSkipReason } = require(path.join(outTest, 'env.js'));
  const { startMlflowServer, countingProxy, runMlflowPython } = require(path.join(outTest, 'server.js'));
  const { STATE_PY } = require(path.join(outTest, 'registry.js'));
  const py = mlflowPython();
  if (!py) {
    const why = mlflowSkipReason();
    if (process.env.MLOPS_REQUIRE_MLFLOW === '1') throw new Error(`MLflow is required (MLOPS_REQUIRE_MLFLOW=1) but not available: ${why}`);
    ctx.log(`skipped: ${why}`);
    return;
  }

  const ws = ctx.makeWorkspace('team-share');
  execFileSync(process.execPath, [ctx.cli, 'init', ws, '--sample', '--story'], { encoding: 'utf8', env: { ...process.env, MLOPS_STORE: '', MLFLOW_TRACKING_URI: '' } });
  const server = await startMlflowServer();
  const proxy = await countingProxy(server.url, { latencyMs: 120 });
  try {
    const serverLabel = `MLflow · ${proxy.url.replace(/^https?:\/\//, '')}`;
    const { page } = await ctx.openWorkbench(ws);
    const sidebar = page.locator('.part.sidebar');
    await openView(page, 'MLOps');
    await waitForText(sidebar, 'YieldPrediction_RandomForest', 60_000);

    await runCommand(page, 'MLOps: Connect to MLflow Tracking Server…');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(proxy.url);
    await page.keyboard.press('Enter');
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'No sign-in' }).first().click();
    await waitForText(sidebar, serverLabel, 30_000);

    const pane = (title) => page.locator('.part.sidebar .pane-header', { hasText: title }).first();
    const setPane = async (title, open) => {
      if (((await pane(title).getAttribute('aria-expanded')) === 'true') !== open) await pane(title).click({ position: { x: 10, y: 10 } });
      await page.waitForFunction(([t, o]) => [...document.querySelectorAll('.part.sidebar .pane-header')].some((h) => h.textContent.includes(t) && (h.getAttribute('aria-expanded') === 'true') === o), [title, open], { timeout: 10_000 });
    };
    const rows = page.locator('.part.sidebar .monaco-list-row');
    const row = (name, nth = 0) => rows.filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }) }).nth(nth);
    /**
     * The row named `name` lowest in the tree, pinned by its `data-index`: the list reuses its row elements, so their
     * document order is not the tree's order after a redraw (a fresh-clone run's `nth(1)` "YieldPredictor" was the
     * workspace store's model, and Show History opened that one's history).
     */
    const lastRow = async (name, atLeast) => {
      const named = rows.filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${name}$`) }) });
      const end = Date.now() + 30_000;
      while ((await named.count()) < atLeast) {
        if (Date.now() > end) assert.fail(`fewer than ${atLeast} rows named ${name} in the registry tree: ${await named.count()}`);
        await sleep(200);
      }
      const indexes = await named.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-index'))));
      return page.locator(`.part.sidebar .monaco-list-row[data-index="${Math.max(...indexes)}"]`);
    };
    const expand = async (r) => {
      await r.waitFor({ state: 'visible', timeout: 30_000 });
      if ((await r.getAttribute('aria-expanded')) === 'false') await r.locator('.monaco-tl-twistie').click();
    };
    /** Right-click `r`, choose `label` (again when the menu came up without it, or stayed open after the click). */
    const contextMenu = async (r, label) => {
      const item = page.locator('.monaco-menu .action-item', { hasText: label }).first();
      for (let attempt = 1; ; attempt++) {
        await r.click({ button: 'right' });
        if (await item.waitFor({ state: 'visible', timeout: 5_000 }).then(() => true, () => false)) break;
        ctx.log(`right-click ${attempt}: no ${label} in ${JSON.stringify(await page.locator('.monaco-menu .action-item').allInnerTexts().catch(() => []))}`);
        if (attempt >= 3) throw new Error(`the context menu has no ${label}`);
        await page.keyboard.press('Escape');
        await sleep(500);
      }
      await item.click();
      await sleep(300);
      if (await item.isVisible().catch(() => false) && (await item.hover({ timeout: 3000 }).then(() => true, () => false))) await page.keyboard.press('Enter');
    };
    const pickServer = async () => {
      const choice = page.locator('.quick-input-widget .monaco-list-row', { hasText: proxy.url.replace(/^https?:\/\//, '') }).first();
      await choice.waitFor({ state: 'visible', timeout: 10_000 });
      await choice.click();
    };
    const toast = (text) => page.locator('.notifications-toasts .notification-toast', { hasText: text }).first();

    // --- 1. Push the sweep's experiment: the progress notification while it runs.
    for (const title of ['Model Registry', 'Pipelines', 'Alerts']) await setPane(title, false);
    await setPane('Experiments', true);
    await contextMenu(row('YieldPrediction_RandomForest'), 'Push to MLflow…');
    await pickServer();
    const progress = toast('Push experiment YieldPrediction_RandomForest');
    await progress.waitFor({ state: 'visible', timeout: 15_000 });
    // Past "comparing …": the first run sent, the bar moved; the others still going.
    await page.waitForFunction(() => {
      const t = [...document.querySelectorAll('.notifications-toasts .notification-toast')].map((e) => e.textContent).find((x) => x.includes('Push experiment'));
      return t !== undefined && !t.includes('comparing');
    }, undefined, { timeout: 30_000, polling: 50 });
    const progressText = await progress.innerText().catch(() => '');
    ctx.log(`progress: ${progressText.replace(/\s+/g, ' ')}`);
    assert.ok((await progress.locator('.monaco-button', { hasText: 'Cancel' }).count()) > 0, 'the push offers Cancel');
    await ctx.screenshot(page, '78-mlflow-push-progress');
    assert.ok(await progress.isVisible(), 'the screenshot caught the push while it ran (the notification was still there)');
    await waitForText(page.locator('.notifications-toasts'), 'Pushed to', 120_000);
    const pushed = await toast('Pushed to').innerText();
    assert.match(pushed, /5 run\(s\) \(5 created/, pushed);
    await runCommand(page, 'Notifications: Clear All Notifications');

    // --- 2. YieldPredictor v1 (Production) and v2 (Staging) become model versions on the server.
    await setPane('Experiments', false);
    await setPane('Model Registry', true);
    await expand(row('YieldPredictor'));
    for (const stage of ['Production', 'Staging']) await expand(row(stage));
    for (const v of ['v1', 'v2']) {
      await contextMenu(row(v), 'Push to MLflow…');
      await pickServer();
      await waitForText(page.locator('.notifications-toasts'), 'model version(s)', 120_000);
      await runCommand(page, 'Notifications: Clear All Notifications');
    }

    // --- 3. On the server: promote v2 with a reason (its inline button), then Show History (the model's inline button).
    await waitForText(sidebar, serverLabel, 30_000);
    await expand(await lastRow('YieldPredictor', 2)); // the workspace store's model, then the server's
    await waitForText(sidebar, 'Staging', 30_000);
    const serverRows = async () => (await rows.allInnerTexts()).map((t) => t.replace(/\s+/g, ' '));
    ctx.log(`registry rows: ${JSON.stringify(await serverRows())}`);
    // The server's v2 is the last "v2" row (the workspace store's model comes first).
    const v2 = await lastRow('v2', 2);
    await v2.waitFor({ state: 'visible', timeout: 30_000 });
    await v2.hover();
    await v2.locator('.action-label[aria-label^="Promote to Production"]').click();
    const reason = page.locator('.quick-input-widget .quick-input-box input');
    await reason.waitFor({ state: 'visible', timeout: 10_000 });
    await reason.fill('lower rmse on the new chip batch');
    await page.keyboard.press('Enter');
    // The stage and the audit tag are two REST calls: wait for both (a fresh-clone CI once read the state between them).
    const state = await waitForState(runMlflowPython, STATE_PY, server.url, (m) => {
      const v = m.versions.find((x) => x.version === 2);
      return v?.stage === 'Production' && Object.keys(v.tags).some((k) => k.startsWith('mlops.audit.'));
    });
    assert.deepEqual(state.versions.map((v) => [v.version, v.stage]), [[1, 'Archived'], [2, 'Production']], 'MLflow\'s client sees v2 in Production, v1 archived');
    assert.ok(Object.keys(state.versions[1].tags).some((k) => k.startsWith('mlops.audit.')), 'the audit tag on v2');

    const serverModel = await lastRow('YieldPredictor', 2);
    await serverModel.hover();
    await serverModel.locator('.action-label[aria-label^="Show History"]').click();
    const preview = await waitForPreview(page, 'registry history on', 30_000);
    const text = await preview.evaluate(() => document.body.innerText);
    assert.match(text, /lower rmse on the new chip batch/);
    assert.match(text, /Complete from/);
    await sleep(800);
    await ctx.screenshot(page, '78-mlflow-model-history');
    ctx.log(`requests through the proxy: ${proxy.requests.length}`);
    // The MLflow guide's screenshots come from this run.
    const docs = path.join(ctx.repo, 'docs', 'images');
    for (const [from, to] of [['78-mlflow-push-progress', 'mlflow-push'], ['78-mlflow-model-history', 'mlflow-history']]) fs.copyFileSync(path.join(ctx.screenshotDir, `${from}.png`), path.join(docs, `${to}.png`));
    ctx.log('copied the screenshots to docs/images/mlflow-{push,history}.png');
  } finally {
    await proxy.close();
    await server.stop();
  }
}

async function waitForState(runMlflowPython, script, url, pred, timeout = 30_000) {
  const end = Date.now() + timeout;
  for (;;) {
    const m = await runMlflowPython(script, [url, 'YieldPredictor']);
    if (pred(m) || Date.now() > end) return m;
    await sleep(500);
  }
}

/** The Markdown preview's frame showing `text`. */
async function waitForPreview(page, text, timeout) {
  const end = Date.now() + timeout;
  for (;;) {
    for (const f of page.frames()) {
      const has = await f.evaluate((t) => document.body?.innerText?.includes(t) ?? false, text).catch(() => false);
      if (has) return f;
    }
    if (Date.now() > end) throw new Error(`no Markdown preview showing "${text}"`);
    await sleep(300);
  }
}
