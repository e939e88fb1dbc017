// Drift report for a damaged batch (issue 18 #18, #19): the sample's production batch with the Temperature sensor
// missing in every row and the yield measured for one wafer only. `mlops drift` raises a critical data-quality alert
// for Temperature and no performance alert (R² and RMSE are undefined on one labelled row); the report in the webview
// shows the data-quality finding and the metrics as "not computed" with the reason.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export default async function driftDataQuality(ctx) {
  const { waitForText, runCommand } = ctx.helpers;
  const ws = ctx.makeWorkspace('drift-quality');
  const mlops = (...args) => execFileSync(process.execPath, [ctx.cli, ...args], { cwd: ws, encoding: 'utf8' }).trim();
  mlops('init', '--sample');
  const run = JSON.parse(mlops('train', '--json', '-p', 'n_estimators=30', '-n', 'yield-rf'));
  mlops('models', 'register', '--run', run.id, '--name', 'YieldPredictor');
  mlops('models', 'transition', 'YieldPredictor', '1', 'Production');
  const [header, ...rows] = fs.readFileSync(path.join(ws, 'data', 'batches', 'normal_batch.csv'), 'utf8').trimEnd().split('\n');
  const cols = header.split(',');
  const t = cols.indexOf('Temperature');
  const y = cols.indexOf('yield');
  assert.ok(t >= 0 && y >= 0, header);
  const damaged = rows.map((r, i) => r.split(',').map((v, j) => (j === t || (j === y && i > 0) ? '' : v)).join(','));
  fs.writeFileSync(path.join(ws, 'data', 'batches', 'sensor_fault.csv'), [header, ...damaged].join('\n') + '\n');
  const r = spawnSync(process.execPath, [ctx.cli, 'drift', '--reference', 'data/wafer_yield.csv', '--current', 'data/batches/sensor_fault.csv', '--model', 'models:/YieldPredictor/Production'], { cwd: ws, encoding: 'utf8' });
  assert.equal(r.status, 3, `mlops drift: exit ${r.status}\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /Temperature/);
  assert.doesNotMatch(r.stdout, /\[critical\] performance/, 'no performance alert from one labelled row');
  ctx.log(`mlops drift: ${r.stdout.split('\n').filter((l) => /alert|quality|not computed|Not tested/i.test(l)).join(' | ')}`);

  const { page } = await ctx.openWorkbench(ws);
  const status = page.locator('.statusbar-item', { hasText: /drift alert/ }).first();
  await status.waitFor({ state: 'visible', timeout: 60_000 });
  const title = 'Drift report — sensor_fault.csv';
  const { frame } = await ctx.helpers.openAppPanel(page, title, () => status.click(), { retry: () => runCommand(page, 'MLOps: Open Drift Report'), log: ctx.log });
  const text = await waitForText(frame, /not computed/i, 30_000);
  assert.match(text, /Temperature/);
  assert.match(text, /missing in every row/i, 'the data-quality finding says why');
  assert.match(text, /not enough|fewer than 2|at least 2/i, 'the performance rows say why they are not computed');
  // The prediction card does not claim "no drift" for predictions that could not be made.
  const card = await frame.locator('[data-card="prediction"]').innerText();
  assert.equal((await frame.locator('[data-card="prediction"] .verdict').innerText()).trim(), 'not tested', card);
  assert.match(card, /current has no valid values/, card);
  await ctx.screenshot(page, '62-drift-data-quality');
}
