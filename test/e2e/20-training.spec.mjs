// Training E2E, as a person would: the sample workspace, "MLOps: Run Sweep" from the command palette with the
// config's grid (the seed's 5 configurations), the progress notification, then the tree with the best run ★.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';

export default async function training(ctx) {
  const { openView, runCommand, waitForText, notifications } = ctx.helpers;
  const ws = ctx.makeWorkspace('training');
  execFileSync(process.execPath, [ctx.cli, 'init', '.', '--sample'], { cwd: ws });
  const { page } = await ctx.openWorkbench(ws);
  await openView(page, 'MLOps');
  await runCommand(page, 'MLOps: Run Sweep');
  // The input box offers the config's grid; Enter accepts it.
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 30_000 });
  assert.match(await input.inputValue(), /mlops\.yaml: 5 combinations/);
  await page.keyboard.press('Enter');
  await waitForText(page.locator('.notifications-toasts'), 'Sweep', 30_000);
  await ctx.screenshot(page, '20-sweep-progress');
  const t0 = Date.now();
  const sidebar = page.locator('.part.sidebar');
  await waitForText(page.locator('.notifications-toasts'), 'Best:', 300_000);
  ctx.log(`sweep finished in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  for (const name of ['rf_n50_d5', 'rf_n100_d5', 'rf_n100_d10', 'rf_n200_d10', 'rf_n200_dnone']) await waitForText(sidebar, name, 30_000);
  await waitForText(sidebar, '★ best', 30_000);
  const text = await sidebar.innerText();
  assert.match(text, /YieldPrediction_RandomForest/);
  const toasts = (await notifications(page)).join('\n');
  assert.match(toasts, /Sweep sweep-.*: 5 completed\. Best: rf_n/);
  await ctx.screenshot(page, '21-sweep-best-run');
}
