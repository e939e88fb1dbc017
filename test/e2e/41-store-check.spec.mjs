// Store check E2E (issue 18): a registry log damaged by a crash and by bit rot. The Model Registry view shows a
// Problems node with the damaged lines while Production still shows the same version; MLOps: Check Store reports the
// damage with file and line in the Problems panel.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export default async function storeCheck(ctx) {
  const { openView, waitForText, runCommand, notifications } = ctx.helpers;
  const ws = ctx.makeWorkspace('store-check');
  const mlops = (...args) => execFileSync(process.execPath, [ctx.cli, ...args], { cwd: ws, encoding: 'utf8', env: { ...process.env, MLOPS_STORE: '' } }).trim();
  mlops('init', '.', '--sample');
  const runs = [];
  for (const n of [3, 4, 5]) runs.push(JSON.parse(mlops('train', '--engine', 'mljs', '-p', `n_estimators=${n}`, '-p', 'max_depth=5', '--json')).id);
  for (const r of runs) mlops('models', 'register', '--run', r, '--name', 'YieldPredictor');
  mlops('models', 'transition', 'YieldPredictor', '2', 'Production');
  // A NUL byte in line 1 (bit rot) and a torn line left by a killed writer, followed by a later event.
  const events = path.join(ws, '.mlops', 'registry', 'events.jsonl');
  const bytes = fs.readFileSync(events);
  bytes[10] = 0;
  fs.writeFileSync(events, bytes);
  fs.appendFileSync(events, '{"id":"x","time":1,"use');
  mlops('models', 'alias', 'YieldPredictor', 'champion', '2');

  const { page } = await ctx.openWorkbench(ws);
  await openView(page, 'MLOps');
  const sidebar = page.locator('.part.sidebar');
  await waitForText(sidebar, 'Problems (2)', 60_000);
  await waitForText(sidebar, 'YieldPredictor', 30_000);
  await waitForText(sidebar, '@champion', 30_000);
  const text = await sidebar.innerText();
  assert.match(text, /events\.jsonl:1/);
  assert.match(text, /contains NUL bytes/);
  assert.match(text, /events\.jsonl:5/);
  assert.match(text, /incomplete record/);
  const status = page.locator('.statusbar');
  await waitForText(status, 'YieldPredictor v2', 30_000); // Production did not move to another model

  await runCommand(page, 'MLOps: Check Store');
  await waitForText(page.locator('.notifications-toasts'), 'problem(s) found', 30_000);
  ctx.log(`notification: ${(await notifications(page)).join(' | ').replace(/\s+/g, ' ')}`);
  await page.locator('.notifications-toasts .monaco-button', { hasText: 'Show Problems' }).first().click();
  const panel = page.locator('.part.panel');
  await waitForText(panel, 'contains NUL bytes', 30_000);
  const problems = await panel.innerText();
  assert.match(problems, /events\.jsonl/);
  assert.match(problems, /MLOps store check/);
  await ctx.screenshot(page, '41-store-check-problems');
}
