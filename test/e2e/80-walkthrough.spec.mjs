/* global document, setTimeout */
// The first five minutes, in the browser:
//  1. `mlops init DIR --sample --story`, then the first window on it: the sweep's runs with a ★, YieldPredictor v1 in
//     Production in the status bar, the pipeline run with its six stages, open alerts, and the +10 °C batch's drift
//     report one click (on the status-bar item) away. These screenshots are also the walkthrough's images: they are
//     copied to media/walkthrough/ at the end of the spec (only when it passed), so the walkthrough shows the real UI.
//  2. An empty folder: opening the MLOps view activates the extension, which opens the Get Started walkthrough by
//     itself (the first time only); two steps run from its buttons — Create Sample Workspace (files only) and Run
//     Sweep — are checked when their work is done; another empty folder later does not open it again.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Walkthrough image ← this spec's screenshot. */
const MEDIA = {
  'sample.png': '80-story-1-first-window.png',
  'sweep.png': '80-story-2-best-run.png',
  'compare.png': '80-story-3-compare-sweep.png',
  'registry.png': '80-story-4-registry.png',
  'pipeline.png': '80-story-5-pipeline.png',
  'drift.png': '80-story-6-drift-report.png',
};

export default async function walkthrough(ctx) {
  const { openView, runCommand, waitForText } = ctx.helpers;
  const shot = (page, name) => ctx.screenshot(page, name);
  /** The activity bar, the sidebar and the status bar under them: the MLOps views. */
  const shotSidebar = async (page, name) => {
    const box = await page.locator('.part.sidebar').boundingBox();
    const view = page.viewportSize();
    await page.screenshot({ path: path.join(ctx.screenshotDir, name), clip: { x: 0, y: 0, width: Math.round(box.x + box.width), height: view.height } });
  };
  /** The top left of the window. */
  const shotClip = (page, name, { width, height }) => page.screenshot({ path: path.join(ctx.screenshotDir, name), clip: { x: 0, y: 0, width, height } });
  /** The editor area (a run, the Compare tab, a report). */
  const shotEditor = (page, name) => page.locator('.part.editor').screenshot({ path: path.join(ctx.screenshotDir, name) });

  // --- 1. The story, and the first window on it.
  const story = ctx.makeWorkspace('story');
  const t0 = Date.now();
  const out = execFileSync(process.execPath, [ctx.cli, 'init', story, '--sample', '--story'], { cwd: story, encoding: 'utf8', env: { ...process.env, MLOPS_STORE: '' } });
  ctx.log(`mlops init --sample --story: ${Date.now() - t0} ms\n${out.trim()}`);
  assert.match(out, /The seed's story, played in/);

  let { page, server, browser } = await ctx.openWorkbench(story);
  const sidebar = await openView(page, 'MLOps');
  await widenSidebar(page);
  const status = page.locator('.statusbar');
  await waitForText(sidebar, 'YieldPrediction_RandomForest', 60_000);
  await waitForText(status, 'YieldPredictor v1', 30_000);
  await waitForText(status, /drift alert/, 30_000);
  const row = (text) => page.locator('.part.sidebar .monaco-list-row', { hasText: text }).first();
  const expand = async (text) => {
    const r = row(text);
    if ((await r.getAttribute('aria-expanded')) === 'false') await r.locator('.monaco-tl-twistie').click();
  };
  await expand('YieldPrediction_RandomForest');
  await waitForText(sidebar, '★ best', 30_000);
  await waitForText(sidebar, 'yield-retrain', 30_000);
  await waitForText(sidebar, 'Production', 30_000);
  await expand('Production');
  await waitForText(sidebar, /open/, 30_000);
  const text = await sidebar.innerText();
  assert.equal((text.match(/★ best/g) ?? []).length, 2, 'one run starred per experiment (the sweep, the pipeline)');
  assert.match(await row('rf_n200_dnone').innerText(), /★ best/, 'the ★ on the best run of the sweep');
  for (const name of ['rf_n50_d5', 'rf_n100_d5', 'rf_n100_d10', 'rf_n200_d10', 'rf_n200_dnone']) assert.ok(text.includes(name), name);
  await restMouse(page);
  await shotSidebar(page, MEDIA['sample.png']);

  // The sweep's best run, opened from the tree: the tree and the top of the run view.
  await row('rf_n200_dnone').locator('.label-name').click();
  await ctx.helpers.waitForWebviewFrame(page, 'rf_n200_dnone', 30_000);
  await restMouse(page);
  await shotClip(page, MEDIA['sweep.png'], { width: 1060, height: 420 });

  // Compare Sweep (the one sweep of the workspace).
  await runCommand(page, 'MLOps: Compare Sweep');
  const pick = page.locator('.quick-input-widget');
  if (await pick.isVisible().catch(() => false)) await page.keyboard.press('Enter');
  // A run name only Compare shows (the ★ run's own view is open too).
  const compare = await ctx.helpers.waitForWebviewFrame(page, 'rf_n50_d5', 30_000);
  // The metrics table (the best values starred) at the top, every run's column in view: the side bar is hidden
  // meanwhile (in the editor's width beside it, the fifth run — the sweep's best — was cut off).
  await runCommand(page, 'View: Toggle Primary Side Bar Visibility');
  await sidebar.waitFor({ state: 'hidden', timeout: 10_000 });
  await compare.evaluate(() => new Promise((r) => setTimeout(r, 600)));
  await compare.evaluate(() => [...document.querySelectorAll('h2, h3')].find((h) => h.textContent.trim().startsWith('Metrics'))?.scrollIntoView({ block: 'start' }));
  await restMouse(page);
  await sleep(200);
  await shotEditor(page, MEDIA['compare.png']);
  await runCommand(page, 'View: Close All Editors');
  await runCommand(page, 'View: Toggle Primary Side Bar Visibility');
  await sidebar.waitFor({ state: 'visible', timeout: 10_000 });

  // The Model Registry view and the status bar (the other views collapsed to make room).
  const header = (title) => page.locator('.part.sidebar .pane-header', { hasText: title }).first();
  const collapse = async (title, wanted) => {
    const h = header(title);
    if ((await h.getAttribute('aria-expanded')) === String(!wanted)) await h.click();
  };
  for (const [title, open] of [['Experiments', false], ['Model Registry', true], ['Pipelines', true], ['Alerts', true]]) await collapse(title, open);
  await expand('Staging');
  await waitForText(sidebar, 'v2', 10_000);
  await restMouse(page);
  await shotSidebar(page, MEDIA['registry.png']);

  // The pipeline run and its six stages, and its report.
  await collapse('Model Registry', false);
  await collapse('Alerts', false);
  await expand('yield-retrain');
  await waitForText(sidebar, 'code_commit · passed', 30_000);
  await expand('code_commit · passed');
  await waitForText(sidebar, 'Smoke Test', 30_000);
  await row('code_commit · passed').locator('.label-name').click();
  await ctx.helpers.waitForWebviewFrame(page, 'PASSED', 30_000);
  await restMouse(page);
  await shotClip(page, MEDIA['pipeline.png'], { width: 1100, height: 520 });
  await runCommand(page, 'View: Close All Editors');

  // The Alerts view, and the newest report one click away: the status-bar item.
  await collapse('Pipelines', false);
  await collapse('Alerts', true);
  await waitForText(sidebar, 'temperature_drift_batch.csv', 30_000);
  const tempTitle = 'Drift report — temperature_drift_batch.csv';
  const { frame: drift } = await ctx.helpers.openAppPanel(page, tempTitle, () => status.locator('.statusbar-item', { hasText: /drift alert/ }).first().click(), { retry: () => runCommand(page, 'MLOps: Open Drift Report'), log: ctx.log });
  const report = await drift.evaluate(() => document.body.innerText);
  assert.match(report, /Temperature/);
  await restMouse(page);
  await shotEditor(page, MEDIA['drift.png']);
  const alertsText = await sidebar.innerText();
  assert.ok(!alertsText.includes('normal_batch.csv'), 'no alert for the normal batch');
  await browser.close();
  await server.stop();

  // --- 2. The walkthrough, on an empty folder.
  const empty = ctx.makeWorkspace('empty');
  fs.writeFileSync(path.join(empty, 'README.md'), '# An empty project\n');
  // Any start-up editor but 'none' (the harness's quiet default, which the extension respects too).
  ({ page, server, browser } = await ctx.openWorkbench(empty, { server: { settings: { 'workbench.startupEditor': 'welcomePageInEmptyWorkbench' } } }));
  await openView(page, 'MLOps'); // activates the extension
  const editor = page.locator('.part.editor');
  await waitForText(editor, 'Get started with MLOps Workbench', 60_000);
  const stepButton = (title) => page.locator('.getting-started-step', { hasText: title }).first();
  const isChecked = (title) => stepButton(title).evaluate((el) => el.querySelector('[role=checkbox]')?.getAttribute('aria-checked') === 'true');
  await shot(page, '80-walkthrough-1-opened');
  assert.equal(await isChecked('Open the sample'), false);

  const quick = page.locator('.quick-input-widget');
  /**
   * Select a step (unless it is) and click its button, until the command's first question stays on screen: a step
   * selected a moment before may take the focus back once its animation ends, which closes a quick pick (the
   * command then returns without doing anything, so clicking again is safe).
   */
  const runStepButton = async (title, button, question) => {
    const step = stepButton(title);
    if ((await step.getAttribute('aria-expanded')) !== 'true') await step.click();
    for (let attempt = 1; ; attempt++) {
      await sleep(700);
      await page.locator('.getting-started-step.expanded .monaco-button', { hasText: button }).first().click();
      const shown = await question.waitFor({ state: 'visible', timeout: 5_000 }).then(() => true, () => false);
      if (shown && (await sleep(500), await question.isVisible())) return;
      if (attempt === 3) throw new Error(`${button}: its question did not stay on screen`);
      ctx.log(`${button}: the question closed at once (attempt ${attempt}); clicking again`);
    }
  };

  // Step 1: its button runs Create Sample Workspace: into this folder, files only.
  await runStepButton('Open the sample', 'Create Sample Workspace', quick.locator('.monaco-list-row', { hasText: 'Into this workspace folder' }).first());
  await quick.locator('.monaco-list-row', { hasText: 'Into this workspace folder' }).first().click();
  await quick.locator('.monaco-list-row', { hasText: 'Files only' }).first().click();
  await waitFor(() => isChecked('Open the sample'), 'the step Open the sample checked', 30_000);
  assert.ok(fs.existsSync(path.join(empty, 'data', 'wafer_yield.csv')));

  // Step 2: Run Sweep from its button, the grid of mlops.yaml (Enter), five runs.
  await runStepButton('Run a sweep', 'Run Sweep', quick.locator('.quick-input-box input'));
  await page.keyboard.press('Enter');
  await waitFor(() => isChecked('Run a sweep'), 'the step Run a sweep checked', 120_000);
  for (const other of ['Compare runs', 'Register and promote the best', 'Run the pipeline', 'Check a batch for drift', 'Connect MLflow']) assert.equal(await isChecked(other), false, `${other} not checked`);
  await runCommand(page, 'Notifications: Clear All Notifications');
  await stepButton('Compare runs').hover();
  await sleep(300);
  await shot(page, '80-walkthrough-2-two-steps-checked');

  // Another empty folder of the same profile: the walkthrough does not open by itself again.
  const again = ctx.makeWorkspace('again');
  await page.goto(server.url(again), { waitUntil: 'domcontentloaded' });
  await ctx.helpers.waitForWorkbench(page, 60_000);
  await openView(page, 'MLOps');
  await waitForText(page.locator('.part.sidebar'), 'Create Sample Workspace', 30_000);
  await sleep(3000);
  assert.ok(!(await editor.innerText().catch(() => '')).includes('Get started with MLOps Workbench'), 'not opened a second time');

  // The walkthrough's images: the screenshots of part 1 (this spec got here, so they show the real UI).
  const media = path.join(ctx.repo, 'media', 'walkthrough');
  fs.mkdirSync(media, { recursive: true });
  for (const [image, from] of Object.entries(MEDIA)) fs.copyFileSync(path.join(ctx.screenshotDir, from), path.join(media, image));
  ctx.log(`media/walkthrough: ${Object.keys(MEDIA).join(', ')}`);
}

/** The mouse out of the way (no hover, no tooltip in a screenshot). */
async function restMouse(page) {
  await page.mouse.move(page.viewportSize().width - 5, page.viewportSize().height / 2);
  await sleep(150);
}

/** Drag the sidebar's edge to the right, so that the trees' descriptions show. */
async function widenSidebar(page, by = 170) {
  const box = await page.locator('.part.sidebar').boundingBox();
  const x = box.x + box.width + 1;
  const y = box.y + box.height / 2;
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.mouse.move(x + by / 2, y, { steps: 4 });
  await page.mouse.move(x + by, y, { steps: 4 });
  await page.mouse.up();
}

async function waitFor(pred, what, timeout) {
  const end = Date.now() + timeout;
  for (;;) {
    if (await pred().catch(() => false)) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}
