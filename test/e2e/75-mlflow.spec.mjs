/* global document */
// MLflow sources in the browser, as a Python user meets them (issue 13): a workspace with its own runs and an
// mlflow.db that the REAL MLflow client logged (a grid sweep as a parent with nested runs, a tuned run, a failed
// run, a registered model with a stage and an alias), plus a REAL tracking server on 127.0.0.1 that the client logged
// to (runs, a run still going, a model with two stages and two aliases). The mlflow.db is offered when the workspace
// opens (Show); the server is connected with MLOps: Connect to MLflow Tracking Server… (URL, No sign-in).
//
// Screenshots: both sources next to the workspace store in the Experiments view (run names, statuses, nested runs,
// ★ best) and in the Model Registry view (stages, versions, aliases), and a Compare tab mixing a workspace run with
// runs of the mlflow.db and the server (each column says where its run comes from). The three are also copied to
// docs/images/mlflow-{experiments,registry,compare}.png, so the README shows what this run saw.
//
// Needs `npm run compile-tests` (it uses out/test/mlflow: the real MLflow and its server) besides `npm run build`.
// Without MLflow it prints why and passes (with MLOPS_REQUIRE_MLFLOW=1 it fails instead).
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { setTimeout } from 'node:timers';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** What the real MLflow client logs: argv tracking URI, artifact location ('' = the server's), 'db' | 'server'. */
const LOG_PY = String.raw`
import json, sys, time
import mlflow
from mlflow import MlflowClient

uri, artifacts, which = sys.argv[1], sys.argv[2], sys.argv[3]
mlflow.set_tracking_uri(uri)
c = MlflowClient(uri)
out = {"runs": {}}

def curve(start, end, steps=6):
    return [round(end + (start - end) * (0.55 ** s), 4) for s in range(steps)]

if which == "db":
    exp = c.create_experiment("wafer-yield", artifact_location=artifacts or None)
    # A grid sweep: a parent run with nested runs, as hyperopt/optuna-style scripts log them.
    with mlflow.start_run(experiment_id=exp, run_name="rf-grid-sweep") as parent:
        mlflow.log_param("search", "grid")
        for n, d, rmse in [(100, "5", 3.21), (200, "10", 3.02), (300, "None", 3.09)]:
            with mlflow.start_run(experiment_id=exp, run_name=f"rf-n{n}-d{d}", nested=True) as r:
                mlflow.log_params({"model": "random_forest", "n_estimators": str(n), "max_depth": d, "max_features": "sqrt"})
                for s, v in enumerate(curve(rmse + 0.9, rmse)):
                    mlflow.log_metric("rmse_val", v, step=s)
                mlflow.log_metrics({"rmse_test": rmse + 0.04, "r2_test": round(0.93 - rmse / 20, 4)})
                out["runs"][r.info.run_name] = r.info.run_id
            time.sleep(0.02)
        out["runs"]["rf-grid-sweep"] = parent.info.run_id
    with mlflow.start_run(experiment_id=exp, run_name="gbm-lr0.05") as r:
        mlflow.log_params({"model": "gradient_boosting", "n_estimators": "400", "max_depth": "4", "learning_rate": "0.05"})
        for s, v in enumerate(curve(3.7, 2.86)):
            mlflow.log_metric("rmse_val", v, step=s)
        mlflow.log_metrics({"rmse_test": 2.91, "r2_test": 0.7850})
        mlflow.set_tags({"team": "yield", "note": "best so far ✓"})
        out["runs"]["gbm-lr0.05"] = r.info.run_id
    r = c.create_run(exp, run_name="gbm-lr0.5-diverged")
    c.log_param(r.info.run_id, "model", "gradient_boosting")
    c.log_param(r.info.run_id, "learning_rate", "0.5")
    for s, v in enumerate([3.9, 4.6, 7.8]):
        c.log_metric(r.info.run_id, "rmse_val", v, step=s)
    c.set_terminated(r.info.run_id, "FAILED")
    out["runs"]["gbm-lr0.5-diverged"] = r.info.run_id
    model, best = "YieldPredictor", out["runs"]["gbm-lr0.05"]
    c.create_registered_model(model, description="Wafer yield regressor (local)")
    for rid in [out["runs"]["rf-n200-d10"], best]:
        c.create_model_version(model, f"runs:/{rid}/model", run_id=rid)
    c.transition_model_version_stage(model, "1", "Archived")
    c.transition_model_version_stage(model, "2", "Production")
    c.set_registered_model_alias(model, "champion", "2")
else:
    exp = c.create_experiment("yield-team")
    for name, lr, rmse in [("xgb-baseline", "0.1", 3.05), ("xgb-tuned", "0.03", 2.78)]:
        with mlflow.start_run(experiment_id=exp, run_name=name) as r:
            mlflow.log_params({"model": "xgboost", "learning_rate": lr, "n_estimators": "600", "max_depth": "6"})
            for s, v in enumerate(curve(rmse + 1.0, rmse - 0.03)):
                mlflow.log_metric("rmse_val", v, step=s)
            mlflow.log_metrics({"rmse_test": rmse, "r2_test": round(0.94 - rmse / 20, 4)})
            mlflow.set_tag("owner", "fab-ml")
            out["runs"][name] = r.info.run_id
        time.sleep(0.02)
    r = c.create_run(exp, run_name="xgb-nightly")
    c.log_param(r.info.run_id, "model", "xgboost")
    for s, v in enumerate(curve(4.0, 3.3, 3)):
        c.log_metric(r.info.run_id, "rmse_val", v, step=s)
    out["runs"]["xgb-nightly"] = r.info.run_id  # still RUNNING
    model = "YieldPredictor-team"
    c.create_registered_model(model, description="Wafer yield regressor (shared server)")
    for rid in [out["runs"]["xgb-baseline"], out["runs"]["xgb-tuned"]]:
        c.create_model_version(model, f"runs:/{rid}/model", run_id=rid)
    c.transition_model_version_stage(model, "1", "Production")
    c.transition_model_version_stage(model, "2", "Staging")
    c.set_registered_model_alias(model, "champion", "1")
    c.set_registered_model_alias(model, "challenger", "2")
print(json.dumps(out))
`;

/** Runs LOG_PY with the real MLflow (cwd: a scratch folder, so MLflow's default ./mlruns lands there). */
function logWithMlflow(py, cwd, args) {
  fs.mkdirSync(cwd, { recursive: true });
  const file = path.join(cwd, 'log_runs.py');
  fs.writeFileSync(file, LOG_PY);
  return new Promise((resolve, reject) => {
    const child = spawn(py.python, [file, ...args], { cwd, env: { ...py.env, PYTHONWARNINGS: 'ignore', GIT_PYTHON_REFRESH: 'quiet' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`python exited ${code}:\n${err.split('\n').slice(-20).join('\n')}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()));
      } catch {
        reject(new Error(`python printed no JSON line:\n${out.slice(-2000)}\n${err.slice(-2000)}`));
      }
    });
  });
}

export default async function mlflowSources(ctx) {
  const { openView, runCommand, waitForText } = ctx.helpers;
  const outTest = path.join(ctx.repo, 'out', 'test', 'mlflow');
  if (!fs.existsSync(path.join(outTest, 'server.js'))) throw new Error('out/test/mlflow/server.js is missing: run `npm run compile-tests` first (this spec uses the real MLflow helpers)');
  const require = createRequire(import.meta.url);
  const env = require(path.join(outTest, 'env.js'));
  const { startMlflowServer } = require(path.join(outTest, 'server.js'));
  const skip = env.skipUnlessMlflow();
  if (skip) {
    console.log(`    ${skip}`);
    return;
  }
  const py = env.mlflowPython();
  ctx.log(`real MLflow ${py.version} (${py.python})`);

  // --- The workspace: its own store with a baseline run, and an mlflow.db that the real client logged.
  const ws = ctx.makeWorkspace('fab-yield');
  fs.writeFileSync(path.join(ws, 'README.md'), '# Wafer yield\n');
  const mlops = (...args) => execFileSync(process.execPath, [ctx.cli, ...args], { cwd: ws, encoding: 'utf8', env: { ...process.env, MLOPS_STORE: '', MLFLOW_TRACKING_URI: '' } }).trim();
  mlops('init');
  const rmseSteps = (start, end) => [0, 1, 2, 3, 4, 5].flatMap((s) => ['-m', `rmse_val=${(end + (start - end) * 0.55 ** s).toFixed(4)}@${s}`]);
  mlops('runs', 'create', '-e', 'wafer-yield', '-n', 'rf-baseline', '-p', 'model=random_forest', '-p', 'n_estimators=100', '-p', 'max_depth=8', ...rmseSteps(4.2, 3.3), '-m', 'rmse_test=3.34', '-m', 'r2_test=0.761');
  const db = await logWithMlflow(py, path.join(ctx.outDir, 'py-db'), [`sqlite:///${path.join(ws, 'mlflow.db')}`, `file://${path.join(ws, 'mlartifacts')}`, 'db']);
  ctx.log(`mlflow.db: ${Object.keys(db.runs).length} runs`);

  // --- A real tracking server (SQLite backend, proxied artifacts) that the real client logs to.
  const server = await startMlflowServer();
  try {
    const team = await logWithMlflow(py, path.join(ctx.outDir, 'py-server'), [server.url, '', 'server']);
    ctx.log(`tracking server ${server.url}: ${Object.keys(team.runs).length} runs`);
    const serverLabel = `MLflow · ${server.url.replace(/^https?:\/\//, '')}`;
    const dbLabel = 'MLflow · fab-yield/mlflow.db';

    const { page } = await ctx.openWorkbench(ws);
    await openView(page, 'MLOps');
    const sidebar = page.locator('.part.sidebar');
    await waitForText(sidebar, 'rf-baseline', 60_000);

    // The mlflow.db in the workspace is offered once: Show. (An information toast hides after a while: then it is
    // in the notification center.)
    const offerText = 'MLflow store found in this workspace';
    const toast = page.locator('.notifications-toasts .notification-toast', { hasText: offerText });
    const listed = page.locator('.notifications-center .notification-list-item', { hasText: offerText });
    const offerEnd = Date.now() + 45_000;
    let offer;
    while (!offer) {
      if (await toast.isVisible().catch(() => false)) offer = toast;
      else if (await listed.isVisible().catch(() => false)) offer = listed;
      else if (Date.now() > offerEnd) throw new Error('the mlflow.db in the workspace was not offered');
      else if (Date.now() > offerEnd - 30_000 && !(await page.locator('.notifications-center').isVisible().catch(() => false))) await runCommand(page, 'Notifications: Show Notifications');
      else await sleep(250);
    }
    assert.match(await offer.innerText(), /mlflow\.db/);
    await offer.locator('.monaco-button', { hasText: /^Show$/ }).click();
    await waitForText(sidebar, dbLabel, 30_000);
    if (await page.locator('.notifications-center').isVisible().catch(() => false)) await runCommand(page, 'Notifications: Hide Notifications');
    await ctx.helpers.setTheme(page, 'Dark Modern');

    // The team's tracking server: MLOps: Connect to MLflow Tracking Server… → its URL → No sign-in.
    await runCommand(page, 'MLOps: Connect to MLflow Tracking Server…');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(server.url);
    await page.keyboard.press('Enter');
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'No sign-in' }).first().click();
    await waitForText(sidebar, serverLabel, 30_000);

    // Room for the Experiments view: collapse the other views of the MLOps container.
    const pane = (title) => page.locator('.part.sidebar .pane-header', { hasText: title }).first();
    const setPane = async (title, open) => {
      // Clicked at its left end: the middle of a header holds the view's toolbar buttons.
      if (((await pane(title).getAttribute('aria-expanded')) === 'true') !== open) await pane(title).click({ position: { x: 10, y: 10 } });
      await page.waitForFunction(([t, o]) => [...document.querySelectorAll('.part.sidebar .pane-header')].some((h) => h.textContent.includes(t) && (h.getAttribute('aria-expanded') === 'true') === o), [title, open], { timeout: 10_000 });
    };

    for (const title of ['Model Registry', 'Pipelines', 'Alerts']) await setPane(title, false);
    await setPane('Experiments', true);

    // Expand the MLflow experiments and the sweep's parent run (by their twisties: a run row's click opens the run).
    const rows = page.locator('.part.sidebar .monaco-list-row');
    const row = (name, nth = 0) => rows.filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }) }).nth(nth);
    const expand = async (r) => {
      await r.waitFor({ state: 'visible', timeout: 30_000 });
      if ((await r.getAttribute('aria-expanded')) === 'false') await r.locator('.monaco-tl-twistie').click();
    };
    const sidebarWidth = async (width) => {
      const box = await sidebar.boundingBox();
      await page.mouse.move(box.x + box.width + 1, box.y + box.height / 2);
      await page.mouse.down();
      await page.mouse.move(box.x + width, box.y + box.height / 2, { steps: 8 });
      await page.mouse.up();
    };
    // A wider side bar, so the runs' descriptions (★ best, the metric, nested) read in full: drag its edge.
    await sidebarWidth(470);
    await expand(row('wafer-yield', 1)); // the first is the workspace store's experiment
    await waitForText(sidebar, 'gbm-lr0.05', 30_000);
    await expand(row('yield-team'));
    await waitForText(sidebar, 'xgb-tuned', 30_000);
    await expand(row('rf-grid-sweep'));
    await waitForText(sidebar, 'rf-n200-d10', 30_000);
    await row('rf-baseline').click({ modifiers: ['Control'] }); // focus off the twistie clicked last; nothing opens
    await row('rf-baseline').click({ modifiers: ['Control'] });
    await sleep(500);

    const treeText = await sidebar.innerText();
    for (const name of ['rf-baseline', 'rf-grid-sweep', 'rf-n100-d5', 'rf-n200-d10', 'rf-n300-dNone', 'gbm-lr0.05', 'gbm-lr0.5-diverged', 'xgb-baseline', 'xgb-tuned', 'xgb-nightly']) {
      assert.ok(treeText.includes(name), `the tree shows MLflow's run name ${name}`);
    }
    assert.match(treeText, /3 nested/, 'the sweep parent says it has three nested runs');
    const description = async (name) => (await row(name).locator('.label-description').innerText().catch(() => '')).trim();
    assert.match(await description('gbm-lr0.05'), /^★ best · rmse_test 2\.91/, 'the best run of the mlflow.db experiment is starred');
    assert.match(await description('xgb-tuned'), /^★ best · rmse_test 2\.78/, 'the best run of the server experiment is starred');
    // Statuses: the accessible label carries MLflow's own status word; the icon shows it.
    assert.match(await row('gbm-lr0.5-diverged').getAttribute('aria-label'), /FAILED/);
    assert.match(await row('xgb-nightly').getAttribute('aria-label'), /RUNNING/);
    assert.match(await row('gbm-lr0.05').getAttribute('aria-label'), /FINISHED, best run/);
    // Nested runs sit one level under their parent.
    const level = async (name) => Number(await row(name).getAttribute('aria-level'));
    assert.equal(await level('rf-n200-d10'), (await level('rf-grid-sweep')) + 1);
    await ctx.screenshot(page, '75-mlflow-experiments');

    // --- Model Registry: both MLflow sources, their models, stages, versions and aliases.
    await setPane('Experiments', false);
    await setPane('Model Registry', true);
    await waitForText(sidebar, 'YieldPredictor-team', 30_000);
    await expand(row('YieldPredictor'));
    await expand(row('YieldPredictor-team'));
    await waitForText(sidebar, '@challenger', 30_000);
    // Archived is collapsed by default: open it so every version shows.
    for (let i = 0; i < 2; i++) {
      const archived = row('Archived', i);
      if (await archived.count()) await expand(archived).catch(() => {});
    }
    await sleep(500);
    const regText = await sidebar.innerText();
    for (const s of [dbLabel, serverLabel, 'YieldPredictor', 'YieldPredictor-team', 'Production', 'Staging', 'Archived', '@champion', '@challenger', 'v1', 'v2']) assert.ok(regText.includes(s), `the registry shows ${s}`);
    await ctx.screenshot(page, '76-mlflow-registry');

    // --- Compare: a workspace run with runs of the mlflow.db and of the server, picked in the tree.
    await setPane('Model Registry', false);
    await setPane('Experiments', true);
    await waitForText(sidebar, 'xgb-tuned', 30_000);
    await sidebarWidth(340); // room for the four columns
    const picks = ['rf-baseline', 'gbm-lr0.05', 'rf-n200-d10', 'xgb-tuned'];
    for (const name of picks) await row(name).click({ modifiers: ['Control'] }); // Ctrl: select without opening the run
    assert.equal(await page.locator('.part.sidebar .monaco-list-row.selected').count(), 4, 'four runs selected');
    const title = 'Compare: 4 runs';
    const menuItem = page.locator('.monaco-menu .action-item', { hasText: 'Compare Runs' }).first();
    const viaContextMenu = async () => {
      for (let attempt = 1; ; attempt++) {
        await row('xgb-tuned').click({ button: 'right' });
        if (await menuItem.waitFor({ state: 'visible', timeout: 5_000 }).then(() => true, () => false)) break;
        const shownMenu = await page.locator('.monaco-menu .action-item').allInnerTexts().catch(() => []);
        ctx.log(`right-click ${attempt}: no Compare Runs in the context menu (${JSON.stringify(shownMenu)})`);
        if (attempt >= 3) throw new Error('the context menu of the selected runs has no Compare Runs');
        await page.keyboard.press('Escape');
        await sleep(500);
      }
      await menuItem.click();
      // The menu closes when its item ran; if it is still open the click did not land: press Enter on the item.
      // (Asked of the item itself: an emptied .monaco-menu container can stay in the page after the command ran.)
      await sleep(300);
      if (await menuItem.isVisible().catch(() => false)) {
        ctx.log('the context menu stayed open after the click: choosing Compare Runs with the keyboard');
        const hovered = await menuItem.hover({ timeout: 3000 }).then(() => true, () => false);
        if (hovered) await page.keyboard.press('Enter');
      }
    };
    const { frame } = await ctx.helpers.openAppPanel(page, title, viaContextMenu, { retry: () => runCommand(page, 'MLOps: Compare Runs'), log: ctx.log });
    const shown = await frame.evaluate(() => ({
      names: [...document.querySelectorAll('table.metrics thead th.run .run-name')].map((e) => e.textContent),
      sources: [...document.querySelectorAll('table.metrics thead th.run .run-source')].map((e) => e.textContent.trim()),
      summary: document.querySelector('p.summary')?.textContent,
      best: document.querySelector('table.metrics tr:has(button[data-fk="metric:sort:rmse_test"]) td.best')?.textContent,
    }));
    assert.deepEqual(shown.names, ['rf-baseline', 'rf-n200-d10', 'gbm-lr0.05', 'xgb-tuned'], 'oldest first: the workspace run, the mlflow.db runs, the server run');
    assert.deepEqual(shown.sources, ['Workspace', dbLabel, dbLabel, serverLabel], 'every column says where its run comes from');
    ctx.log(`compare columns: ${shown.names.map((n, i) => `${n} (${shown.sources[i]})`).join(', ')}; ${shown.summary}`);
    assert.match(shown.summary ?? '', /3 sources/);
    assert.match(shown.best ?? '', /2\.78/, 'the best rmse_test (the server run) is starred');
    const statusMsg = await ctx.helpers.appState(frame);
    assert.equal(statusMsg.cspViolations ?? '0', '0');
    await ctx.screenshot(page, '77-mlflow-compare');

    // The README's screenshots come from this run.
    const docs = path.join(ctx.repo, 'docs', 'images');
    fs.mkdirSync(docs, { recursive: true });
    for (const [from, to] of [['75-mlflow-experiments', 'mlflow-experiments'], ['76-mlflow-registry', 'mlflow-registry'], ['77-mlflow-compare', 'mlflow-compare']]) {
      fs.copyFileSync(path.join(ctx.screenshotDir, `${from}.png`), path.join(docs, `${to}.png`));
    }
    ctx.log('copied the screenshots to docs/images/mlflow-{experiments,registry,compare}.png');
  } finally {
    await server.stop();
  }
}
