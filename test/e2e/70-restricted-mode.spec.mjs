// Restricted Mode: the sample workspace opened without trusting it. The monitor's folder is not watched (a new
// batch raises no alert) and Run Training Command is not offered; once the workspace is trusted, the watcher starts,
// the batch that arrived in Restricted Mode is checked then (the sample's own batches, there before monitoring
// began, are not), the next batch is checked as it lands, and the command is offered.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout } from 'node:timers';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export default async function restrictedMode(ctx) {
  const { openView, runCommand, waitForText } = ctx.helpers;
  const ws = ctx.makeWorkspace('restricted');
  const mlops = (...args) => execFileSync(process.execPath, [ctx.cli, ...args], { cwd: ws, encoding: 'utf8', env: { ...process.env, MLOPS_STORE: '' } }).trim();
  mlops('init', '.', '--sample');
  const run = JSON.parse(mlops('train', '-p', 'n_estimators=20', '-p', 'max_depth=8', '--json')).id;
  mlops('models', 'register', '--run', run, '--name', 'YieldPredictor');
  mlops('models', 'transition', 'YieldPredictor', '1', 'Staging');
  mlops('models', 'transition', 'YieldPredictor', '1', 'Production');

  const { page } = await ctx.openWorkbench(ws, { server: { disableWorkspaceTrust: false } });
  // VS Code asks whether to trust the folder: no.
  const noTrust = page.locator('.monaco-dialog-box .monaco-button', { hasText: "No, I don't trust the authors" }).first();
  await noTrust.waitFor({ timeout: 30_000 });
  await noTrust.click();
  await waitForText(page.locator('.statusbar, .part.titlebar, .part.banner'), 'Restricted Mode', 30_000);
  await openView(page, 'MLOps');
  const sidebar = page.locator('.part.sidebar');
  await waitForText(sidebar, 'YieldPredictor', 60_000);

  // A new production batch arrives: in Restricted Mode nothing checks it.
  fs.copyFileSync(path.join(ws, 'data', 'batches', 'new_chip_design_batch.csv'), path.join(ws, 'data', 'batches', 'restricted_week1.csv'));
  await sleep(6000); // the watcher would have reacted within ~1 s (debounce 0.5 s; poll 2 s)
  const status = page.locator('.statusbar');
  assert.ok(!(await status.innerText()).includes('drift alert'), 'no drift alert in Restricted Mode');
  assert.equal(fs.existsSync(path.join(ws, '.mlops', 'monitoring', 'reports')) ? fs.readdirSync(path.join(ws, '.mlops', 'monitoring', 'reports')).filter((f) => f.endsWith('.json')).length : 0, 0, 'no drift report was written');

  // Running a workspace-defined training command is not offered (package.json: enablement and `when` isWorkspaceTrusted).
  async function paletteHas(title) {
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible' });
    await input.fill(`>${title}`);
    await sleep(1500);
    const labels = (await page.locator('.quick-input-widget .monaco-list-row').evaluateAll((rows) => rows.map((r) => (r.getAttribute('aria-label') || '').split(',')[0].trim()))).filter(Boolean);
    await page.keyboard.press('Escape');
    return labels.includes(title);
  }
  assert.equal(await paletteHas('MLOps: Run Training Command'), false, 'not in the palette in Restricted Mode');
  assert.equal(await paletteHas('MLOps: Check Drift'), true, 'reading commands stay available');
  await ctx.screenshot(page, '70-restricted-mode');

  // Trust the workspace: the watcher starts; the batch that arrived in Restricted Mode is checked now, and the next
  // batch as it lands.
  await runCommand(page, 'Workspaces: Manage Workspace Trust');
  const trust = page.locator('.workspace-trust-editor .monaco-button', { hasText: /^Trust$/ }).first();
  await trust.waitFor({ timeout: 15_000 });
  await trust.click();
  await waitForText(status, 'drift alert', 30_000);
  await waitForText(sidebar, 'restricted_week1.csv', 30_000);
  fs.copyFileSync(path.join(ws, 'data', 'batches', 'new_chip_design_batch.csv'), path.join(ws, 'data', 'batches', 'trusted_week2.csv'));
  await waitForText(sidebar, 'trusted_week2.csv', 30_000);
  const reports = fs.readdirSync(path.join(ws, '.mlops', 'monitoring', 'reports')).filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(fs.readFileSync(path.join(ws, '.mlops', 'monitoring', 'reports', f), 'utf8')).batch).sort();
  assert.deepEqual(reports, ['restricted_week1.csv', 'trusted_week2.csv'], 'the sample\'s own batches (the baseline) were not checked, each new one once');
  assert.equal(await paletteHas('MLOps: Run Training Command'), true, 'offered once the workspace is trusted');
  await ctx.screenshot(page, '71-trusted-then-watched');
}
