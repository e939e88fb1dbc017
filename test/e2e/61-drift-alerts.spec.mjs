// Drift alerts while coding: the sample workspace's monitor watches data/batches/*.csv; a new production batch of
// the new chip design (labelled) is dropped in while a file is open in the editor. Within seconds the Alerts view
// lists a critical performance alert, the status bar shows "N drift alerts" in the error colour, and a notification
// offers "Open Report" and "Retrain". Retrain starts the model's pipeline with trigger `drift`; the status-bar
// item opens the drift report.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout } from 'node:timers';

export default async function driftAlerts(ctx) {
  const { openView, waitForText, notifications } = ctx.helpers;
  const ws = ctx.makeWorkspace('drift-alerts');
  const mlops = (...args) => execFileSync(process.execPath, [ctx.cli, ...args], { cwd: ws, encoding: 'utf8', env: { ...process.env, MLOPS_STORE: '' } }).trim();
  mlops('init', '.', '--sample');
  // A quicker retraining pipeline than the sample's 200 trees; only the drift trigger.
  const pipe = path.join(ws, 'yield.pipeline.yaml');
  fs.writeFileSync(pipe, fs.readFileSync(pipe, 'utf8').replace('n_estimators: 200', 'n_estimators: 20').replace(/triggers:[\s\S]*$/, 'triggers:\n  drift: true\n'));
  // YieldPredictor v1 in Production, trained on the sample's data (the monitor's reference).
  const run = JSON.parse(mlops('train', '-p', 'n_estimators=30', '-p', 'max_depth=8', '--json')).id;
  mlops('models', 'register', '--run', run, '--name', 'YieldPredictor');
  mlops('models', 'transition', 'YieldPredictor', '1', 'Staging');
  mlops('models', 'transition', 'YieldPredictor', '1', 'Production');

  const { page } = await ctx.openWorkbench(ws);
  await openView(page, 'MLOps');
  const sidebar = page.locator('.part.sidebar');
  await waitForText(sidebar, 'YieldPredictor', 60_000);
  // Coding: a file open in the editor. Room for the Alerts view: collapse Experiments and Model Registry.
  await ctx.helpers.runCommand(page, 'Go to File...');
  await page.keyboard.type('yield.pipeline.yaml');
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'yield.pipeline.yaml' }).first().waitFor({ timeout: 30_000 });
  await page.keyboard.press('Enter');
  await waitForText(page.locator('.editor-group-container'), 'yield-retrain', 30_000);
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 10_000 });
  for (const title of ['Experiments', 'Model Registry']) {
    const header = page.locator('.part.sidebar .pane-header', { hasText: title }).first();
    // Click the title, not the header's middle: a view's title actions (Train Model, ...) sit there.
    if ((await header.getAttribute('aria-expanded')) === 'true') await header.locator('.title').click();
  }
  const alertsHeader = page.locator('.part.sidebar .pane-header', { hasText: 'Alerts' }).first();
  if ((await alertsHeader.getAttribute('aria-expanded')) !== 'true') await alertsHeader.locator('.title').click();
  // Give the monitor's watcher time to start after activation (the log says when it is armed).
  await new Promise((r) => setTimeout(r, 1500));

  // The new batch arrives.
  const t0 = Date.now();
  fs.copyFileSync(path.join(ws, 'data', 'batches', 'new_chip_design_batch.csv'), path.join(ws, 'data', 'batches', 'new_chip_week48.csv'));
  const status = page.locator('.statusbar');
  await waitForText(status, 'drift alert', 30_000);
  const seconds = (Date.now() - t0) / 1000;
  ctx.log(`new batch file → status-bar alert: ${seconds.toFixed(1)} s`);
  const item = page.locator('.statusbar-item', { hasText: 'drift alert' }).first();
  const itemText = (await item.innerText()).trim();
  assert.match(itemText, /^\d+ drift alerts?$/, itemText);
  // The error colour: VS Code marks items with statusBarItem.errorBackground with the error-kind class.
  assert.match((await item.getAttribute('class')) ?? '', /error-kind/, 'a critical alert turns the item red');
  await waitForText(sidebar, 'critical', 30_000);
  await waitForText(sidebar, 'new_chip_week48.csv', 30_000);
  const sideText = await sidebar.innerText();
  assert.match(sideText, /rmse/, 'the performance alert names its metric');
  // The notification for the new critical alert, with its two actions.
  // One notification for the batch, naming every critical alert in it.
  const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'critical alerts on YieldPredictor' }).first();
  await toast.waitFor({ timeout: 30_000 });
  const toasts = (await notifications(page)).filter((t) => t.includes('YieldPredictor'));
  assert.equal(toasts.length, 1, toasts.join('\n---\n'));
  assert.match(toasts[0], /\d critical alerts on YieldPredictor: performance (rmse|mae|r2)(, performance (rmse|mae|r2))+ \(new_chip_week48\.csv\)/);
  const quick = page.locator('.quick-input-widget');
  if (await quick.isVisible()) throw new Error(`an unexpected quick pick is open: ${await quick.innerText()}`);
  for (const b of ['Open Report', 'Retrain']) assert.equal(await toast.locator('.monaco-button', { hasText: b }).count(), 1, `${b} button`);
  await ctx.screenshot(page, '61-drift-alert-status-bar-and-notification');

  // Retrain: the model's pipeline runs with trigger drift (the Pipelines view shows the run).
  await toast.locator('.monaco-button', { hasText: 'Retrain' }).click();
  const pipesHeader = page.locator('.part.sidebar .pane-header', { hasText: 'Pipelines' }).first();
  if ((await pipesHeader.getAttribute('aria-expanded')) !== 'true') await pipesHeader.locator('.title').click();
  // Passed or failed is the gates' call (the retrained model must beat Production on the same rows): the run is the point.
  const after = await waitForText(sidebar, /drift · (passed|failed)/, 120_000);
  ctx.log(`drift-triggered pipeline run: ${after.match(/drift · (passed|failed)/)[0]}`);
  await ctx.screenshot(page, '62-drift-triggered-retraining');

  // The status-bar item opens the drift report of the batch.
  await item.click();
  await waitForText(page.locator('.tabs-container'), 'rift', 30_000);
  ctx.log(`report tab: ${(await page.locator('.tabs-container .tab.active').innerText()).trim()}`);
  await ctx.screenshot(page, '63-drift-report-from-status-bar');
}
