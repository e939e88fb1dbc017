/* global document, getComputedStyle */
// The drift report, as a person uses it: the wafer sample (mlops init --sample), a model in Production, three
// production batches checked with `mlops drift` (normal, new chip design, +10 °C temperature sensor), then the
// status-bar alert item opens the newest report in the webview. The table (Temperature marked drifted), the score
// chart, the Temperature histogram (reference vs +10 °C) and the timeline in the dark theme, one view in the light
// theme; sorting by header buttons and the keyboard, a row click choosing the histogram; the panel back after a window
// reload; an alert in the Alerts view opening a report whose column is named like an XSS payload and whose batch file
// is named `<b>batch.csv` (shown as text: a page dialog fails the spec); the panel at a narrow width.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout } from 'node:timers';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const XSS_COLUMN = '<img src=x onerror=alert(1)>';
const XSS_BATCH = '<b>batch.csv';

export default async function drift(ctx) {
  const { openView, runCommand, waitForText, waitForWorkbench } = ctx.helpers;
  const ws = ctx.makeWorkspace('drift');
  const mlops = (...args) => execFileSync(process.execPath, [ctx.cli, ...args], { cwd: ws, encoding: 'utf8' }).trim();
  /** `mlops drift` exits 3 when it raised alerts: that is a result, not a failure. */
  const driftCheck = (...args) => {
    const r = spawnSync(process.execPath, [ctx.cli, 'drift', ...args], { cwd: ws, encoding: 'utf8' });
    assert.ok(r.status === 0 || r.status === 3, `mlops drift ${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
    return r.stdout;
  };

  // --- The sample, a model in Production, and the checks (oldest first; the +10 °C batch is the newest report).
  mlops('init', '--sample');
  const run = JSON.parse(mlops('train', '--json', '-p', 'n_estimators=60', '-n', 'yield-rf'));
  mlops('models', 'register', '--run', run.id, '--name', 'YieldPredictor');
  mlops('models', 'transition', 'YieldPredictor', '1', 'Production');
  // A second monitor whose names are XSS payloads (no model: the reference's columns are the features).
  const rows = (n, shift, seed) => {
    let s = seed;
    const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    return [`Temperature,${XSS_COLUMN}`, ...Array.from({ length: n }, () => `${(25 + (rnd() - 0.5) * 8).toFixed(2)},${(5 + shift + (rnd() - 0.5) * 4).toFixed(2)}`)].join('\n') + '\n';
  };
  fs.mkdirSync(path.join(ws, 'data', 'xss'), { recursive: true });
  fs.writeFileSync(path.join(ws, 'data', 'xss', 'reference.csv'), rows(300, 0, 1));
  fs.writeFileSync(path.join(ws, 'data', 'xss', XSS_BATCH), rows(60, 3, 2));
  driftCheck('--reference', 'data/xss/reference.csv', '--current', `data/xss/${XSS_BATCH}`);
  for (const b of ['normal_batch', 'new_chip_design_batch', 'temperature_drift_batch']) {
    driftCheck('--reference', 'data/wafer_yield.csv', '--current', `data/batches/${b}.csv`, '--model', 'models:/YieldPredictor/Production');
    await sleep(20);
  }
  const tempOut = driftCheck('--reference', 'data/wafer_yield.csv', '--current', 'data/batches/temperature_drift_batch.csv', '--no-save');
  assert.match(tempOut, /Temperature\s+ks\s+.*yes \(critical\)/, 'the CLI flags Temperature on the +10 °C batch');

  const { page } = await ctx.openWorkbench(ws);

  const setTheme = (name) => ctx.helpers.setTheme(page, name);
  await setTheme('Dark Modern');
  await page.waitForFunction(() => document.querySelector('.monaco-workbench')?.classList.contains('vs-dark'), null, { timeout: 10_000 });
  const { appState: state, waitAppState: waitState } = ctx.helpers;
  const driftFrame = (title, timeout) => ctx.helpers.appFrame(page, title, timeout);
  const openReport = async (title, open, retry = open) => (await ctx.helpers.openAppPanel(page, title, open, { retry, log: ctx.log })).frame;
  const editor = page.locator('.part.editor');
  /** Scroll a part of the report to the top of the panel and screenshot the editor area. */
  async function shoot(frame, selector, name) {
    await frame.locator(selector).first().evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await sleep(250);
    await editor.screenshot({ path: path.join(ctx.screenshotDir, `${name}.png`) });
  }

  // --- 1. The status-bar item ("N drift alerts") opens the newest report: the +10 °C batch.
  const status = page.locator('.statusbar-item', { hasText: /drift alert/ }).first();
  await status.waitFor({ state: 'visible', timeout: 60_000 });
  const tempTitle = 'Drift report — temperature_drift_batch.csv';
  let frame = await openReport(tempTitle, () => status.click(), () => runCommand(page, 'MLOps: Open Drift Report'));
  let s = await state(frame);
  assert.equal(s.rows, '5', 'five features');
  assert.equal(s.drifted, '1', 'one feature marked drifted');
  assert.equal(s.feature, 'Temperature', 'the drifted feature is shown first');
  assert.equal(s.charts, 'histogram,prediction,scores-p_value,timeline-p_value');
  const tempRow = frame.locator('table.features tbody tr[data-feature="Temperature"]');
  assert.match(await tempRow.getAttribute('class'), /\bdrifted\b/, 'the Temperature row is marked drifted');
  assert.match(await tempRow.locator('td.drift').innerText(), /yes · critical/i, 'and says so in text');
  assert.equal(await tempRow.locator('.codicon-warning').count() >= 1, true, 'with a warning icon');
  assert.equal(await frame.locator('table.features tbody tr.drifted').count(), 1);
  const body = await frame.evaluate(() => document.body.innerText);
  assert.match(body, /50 rows · reference wafer_yield\.csv \(1000 rows\) · model YieldPredictor v1/);
  assert.match(body, /1 of 5 columns drifted/);
  assert.match(body, /Prediction drift\s+yes/i);
  assert.match(body, /rmse\s+[\d.]+\s+[\d.]+\s+[\d.]+ % worse/);
  const hist = await frame.evaluate(() => document.querySelector('[data-chart="histogram"] figcaption')?.textContent);
  assert.match(hist, /Temperature: reference vs this batch/);
  assert.equal((await frame.locator('vscode-button[data-fk="retrain"]').getAttribute('disabled')) === null, true, 'Retrain is enabled: the sample pipeline has the drift trigger');
  await ctx.screenshot(page, '60-drift-1-header-dark');
  await shoot(frame, 'section.features', '60-drift-2-table-dark');
  await shoot(frame, 'section.scores', '60-drift-3-scores-dark');
  await shoot(frame, 'section.distributions', '60-drift-4-histogram-temperature-dark');
  await shoot(frame, 'section.timeline', '60-drift-5-timeline-dark');
  const tl = await frame.evaluate(() => document.querySelector('section.timeline p')?.textContent);
  assert.match(tl, /^3 reports of this monitor/, 'three batches of this model and reference on the timeline');

  // --- 2. Sort by header buttons (mouse, then keyboard: Enter reverses); aria-sort follows.
  const pHeader = frame.locator('button[data-fk="sort:pValue"]');
  await pHeader.click();
  await waitState(frame, (x) => x.sort === 'pValue:asc', 'sorted by p-value ascending');
  let names = await frame.locator('table.features tbody th.feature').allInnerTexts();
  assert.equal(names[0].trim(), 'Temperature', 'the smallest p-value first');
  assert.equal(await frame.locator('th', { has: frame.locator('button[data-fk="sort:pValue"]') }).getAttribute('aria-sort'), 'ascending');
  await frame.locator('button[data-fk="sort:pValue"]').focus();
  await page.keyboard.press('Enter');
  await waitState(frame, (x) => x.sort === 'pValue:desc', 'sorted by p-value descending (keyboard)');
  names = await frame.locator('table.features tbody th.feature').allInnerTexts();
  assert.equal(names.at(-1).trim(), 'Temperature');
  assert.equal(await frame.evaluate(() => document.activeElement?.getAttribute('data-fk')), 'sort:pValue', 'focus stays on the header button');
  // A row click shows that feature's histogram; Tab reaches the row's name button, Enter selects it.
  await frame.locator('table.features tbody tr[data-feature="Vdd_mean"] td').first().click();
  await waitState(frame, (x) => x.feature === 'Vdd_mean', 'Vdd_mean selected by a row click');
  await frame.locator('button[data-fk="feature:Temperature"]').focus();
  await page.keyboard.press('Enter');
  await waitState(frame, (x) => x.feature === 'Temperature', 'Temperature selected with the keyboard');

  // --- 3. Light theme: charts redraw in the theme's colours.
  await setTheme('Light Modern');
  s = await waitState(frame, (x) => x.theme === 'light', 'the light theme in the webview');
  await shoot(frame, 'section.scores', '60-drift-6-scores-histogram-light');
  const bg = await frame.evaluate(() => {
    const c = document.querySelector('[data-chart="histogram"] canvas');
    return [...c.getContext('2d').getImageData(2, 2, 1, 1).data];
  });
  assert.ok(bg[0] > 200 && bg[1] > 200 && bg[2] > 200, `light chart background, got ${bg}`);
  const rowBg = await tempRow.locator('td').first().evaluate((el) => getComputedStyle(el).backgroundColor);
  assert.notEqual(rowBg, 'rgba(0, 0, 0, 0)', 'the drifted row is highlighted in the light theme too');
  await frame.locator('h1').evaluate((el) => el.scrollIntoView());
  await sleep(200);
  await ctx.screenshot(page, '60-drift-7-header-light');
  // A chart's PNG button: VS Code's save dialog suggests a name in the workspace; Enter saves the image.
  await frame.locator('button[data-fk="png:histogram"], vscode-button[data-fk="png:histogram"]').first().click();
  const saveInput = page.locator('.quick-input-widget .quick-input-box input');
  await saveInput.waitFor({ state: 'visible', timeout: 15_000 });
  // The dialog fills in the folder first and the suggested name a moment later.
  let suggested = '';
  for (const end = Date.now() + 10_000; !suggested.endsWith('.png') && Date.now() < end; ) {
    suggested = await saveInput.inputValue();
    if (!suggested.endsWith('.png')) await sleep(100);
  }
  assert.match(suggested, /drift-temperature_drift_batch-histogram\.png$/, `the suggested file name: ${suggested}`);
  await page.keyboard.press('Enter');
  const pngFile = path.join(ws, 'drift-temperature_drift_batch-histogram.png');
  for (const end = Date.now() + 15_000; !fs.existsSync(pngFile) && Date.now() < end; ) await sleep(100);
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 10_000 });
  await waitForText(page.locator('.notifications-toasts'), 'Saved the chart to drift-temperature_drift_batch-histogram.png', 15_000);
  const png = fs.readFileSync(pngFile);
  assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG', 'a PNG image was saved');
  assert.ok(png.length > 5000, `the chart was drawn into it (${png.length} bytes)`);

  // --- 4. Reload the window: the panel comes back with the same report, feature and sort (WebviewPanelSerializer).
  const navigated = page.waitForEvent('framenavigated', { predicate: (f) => f === page.mainFrame(), timeout: 60_000 });
  await runCommand(page, 'Developer: Reload Window');
  await navigated;
  await waitForWorkbench(page, 60_000);
  frame = await driftFrame(tempTitle, 60_000);
  assert.ok(frame, 'the drift report is restored after the reload');
  s = await waitState(frame, (x) => x.sort === 'pValue:desc', 'the restored sort');
  assert.equal(s.feature, 'Temperature');

  // The timeline's batches as buttons: the keyboard path to another batch's report (the tab switches to it).
  const batchButtons = frame.locator('nav.batches button');
  assert.equal(await batchButtons.count(), 3, 'one button per report of the monitor');
  assert.equal((await frame.locator('nav.batches button[aria-current="true"]').innerText()).trim(), '⚠ temperature_drift_batch.csv');
  const other = frame.locator('nav.batches button:not([disabled])').first();
  const otherName = (await other.innerText()).trim().replace(/^⚠ /, '');
  await other.focus();
  await page.keyboard.press('Enter');
  await frame.waitForFunction((t) => document.querySelector('h1')?.textContent === t, `Drift report — ${otherName}`, { timeout: 15_000 });
  assert.equal((await frame.locator('nav.batches button[aria-current="true"]').innerText()).trim().replace(/^⚠ /, ''), otherName);

  // --- 5. User strings are text: the Alerts view's alert for the XSS-named column opens its report.
  await runCommand(page, 'View: Close All Editors');
  await openView(page, 'MLOps');
  for (const title of ['Experiments', 'Model Registry', 'Pipelines']) {
    const header = page.locator('.part.sidebar .pane-header', { hasText: title }).first();
    if ((await header.getAttribute('aria-expanded')) === 'true') await header.click();
  }
  const alerts = page.locator('.part.sidebar .pane-header', { hasText: 'Alerts' }).first();
  if ((await alerts.getAttribute('aria-expanded')) !== 'true') await alerts.click();
  const sidebar = page.locator('.part.sidebar');
  await waitForText(sidebar, XSS_COLUMN, 30_000);
  const xssTitle = `Drift report — ${XSS_BATCH}`;
  const xssRow = page.locator('.part.sidebar .monaco-list-row', { hasText: XSS_COLUMN }).first();
  frame = await openReport(xssTitle, () => xssRow.click());
  s = await waitState(frame, (x) => x.feature === XSS_COLUMN, 'the alert\'s feature selected');
  const probe = await frame.evaluate(() => ({
    h1: document.querySelector('h1')?.textContent,
    names: [...document.querySelectorAll('table.features tbody th.feature')].map((e) => e.textContent.trim()),
    option: [...document.querySelectorAll('vscode-option')].map((e) => e.textContent),
    alert: [...document.querySelectorAll('.alert-subject')].map((e) => e.textContent),
    imgs: document.images.length,
    bolds: document.querySelectorAll('b').length,
    scripts: [...document.scripts].filter((x) => x.textContent.includes('alert(') || (x.src && !x.src.endsWith('/drift.js'))).length,
    csp: document.getElementById('app').dataset.cspViolations ?? '0',
  }));
  assert.equal(probe.h1, xssTitle);
  assert.deepEqual(probe.names, ['Temperature', XSS_COLUMN]);
  assert.ok(probe.option.some((o) => o.includes(XSS_COLUMN)), 'the feature dropdown shows the name as text');
  assert.ok(probe.alert.includes(XSS_COLUMN), 'the alert names the column as text');
  assert.equal(probe.imgs, 0, 'no <img> element was created from the column name');
  assert.equal(probe.bolds, 0, 'no <b> element was created from the batch name');
  assert.equal(probe.scripts, 0, 'no script element came from user text');
  assert.equal(probe.csp, '0', 'nothing was blocked by the Content-Security-Policy');
  await ctx.screenshot(page, '60-drift-8-xss-as-text');

  // --- 6. Narrow: the report at about 600 px wide still reads (cards stack, the table scrolls).
  await runCommand(page, 'View: Toggle Primary Side Bar Visibility');
  await page.setViewportSize({ width: 640, height: 900 });
  await sleep(800);
  await frame.locator('h1').evaluate((el) => el.scrollIntoView());
  await sleep(200);
  await ctx.screenshot(page, '60-drift-9-narrow');
  await page.setViewportSize({ width: 1400, height: 900 });
  assert.equal((await state(frame)).cspViolations ?? '0', '0', 'no CSP violation');
}
