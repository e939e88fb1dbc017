// Registry E2E: a model with versions in every stage, seen in the Model Registry tree, and the status-bar item
// that shows the Production version; clicking it focuses the registry.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';

export default async function registry(ctx) {
  const { openView, waitForText } = ctx.helpers;
  const ws = ctx.makeWorkspace('registry');
  const mlops = (...args) => execFileSync(process.execPath, [ctx.cli, ...args], { cwd: ws, encoding: 'utf8', env: { ...process.env, MLOPS_STORE: '' } }).trim();
  mlops('init', '.', '--sample');
  const runs = [];
  for (const n of [3, 4, 5, 6]) runs.push(JSON.parse(mlops('train', '--engine', 'mljs', '-p', `n_estimators=${n}`, '-p', 'max_depth=5', '-e', 'YieldPrediction_RandomForest', '--json')).id);
  for (const r of runs) mlops('models', 'register', '--run', r, '--name', 'YieldPredictor');
  mlops('models', 'transition', 'YieldPredictor', '1', 'Production');
  mlops('models', 'transition', 'YieldPredictor', '2', 'Staging');
  mlops('models', 'transition', 'YieldPredictor', '2', 'Production', '--reason', 'better RMSE'); // archives v1
  mlops('models', 'transition', 'YieldPredictor', '3', 'Staging');
  mlops('models', 'alias', 'YieldPredictor', 'champion', '2');
  mlops('models', 'alias', 'YieldPredictor', 'challenger', '3');

  const { page } = await ctx.openWorkbench(ws);
  await openView(page, 'MLOps');
  const sidebar = page.locator('.part.sidebar');
  await waitForText(sidebar, 'YieldPredictor', 60_000);
  for (const s of ['Production', 'Staging', 'None', 'Archived']) await waitForText(sidebar, s, 30_000);
  // Expand the Archived group (collapsed by default) so every stage shows a version.
  // A click that lands while the tree re-renders (the store's first read after activation refreshes it) selects the
  // row without expanding it: click again while the row says it is collapsed.
  const archived = page.locator('.part.sidebar .monaco-list-row', { hasText: 'Archived' }).first();
  for (let attempt = 0; attempt < 5; attempt++) {
    if ((await archived.getAttribute('aria-expanded')) === 'true') break;
    await archived.click();
    await page.waitForTimeout(1000);
  }
  await waitForText(sidebar, 'v1', 30_000);
  await waitForText(sidebar, '@champion', 30_000);
  const text = await sidebar.innerText();
  for (const v of ['v1', 'v2', 'v3', 'v4']) assert.ok(text.includes(v), `${v} listed`);
  assert.ok(text.includes('@challenger'));
  const status = page.locator('.statusbar');
  await waitForText(status, 'YieldPredictor v2', 30_000);
  await ctx.screenshot(page, '40-registry-tree-and-status-bar');
  ctx.log(`status bar: ${(await status.innerText()).split('\n').find((l) => l.includes('YieldPredictor'))}`);
  void path;
}
