/**
 * Compare Runs in a real extension host: the commands open one panel per set of runs, the webview asks for the
 * data and reports that it drew it, exports (CSV, Markdown, PNG) from what the panel shows, pushed updates when a
 * compared run changes or is deleted, and the serializer that restores a panel after a window reload.
 *
 * These tests use their own store folder (setting mlops.storePath), so the other suites' `.mlops` is untouched.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { defaultSettings, type CompareSettings } from '../../src/core/compare/model';
import { Tracker } from '../../src/core/tracking/tracker';
import type { CompareApi } from '../../src/extension/compare/compareCommands';
import type { ComparePanel } from '../../src/extension/compare/comparePanel';
import type { ExperimentsNode } from '../../src/extension/experiments/experimentsTree';
import type { CompareToWebview } from '../../src/shared/protocol';
import { api, mlops, REPO, waitFor, workspaceDir } from './helpers';

type DataMessage = Extract<CompareToWebview, { type: 'data' }>;
type Node<K extends ExperimentsNode['kind']> = Extract<ExperimentsNode, { kind: K }>;

const STORE_DIR = '.mlops-compare';
const SWEEP = 'sweep-compare-it';
const EXP = 'YieldPrediction_RandomForest';

async function compareApi(): Promise<CompareApi> {
  const a = (await api()) as unknown as { compare?: CompareApi };
  if (!a.compare) throw new Error('the extension API has no `compare` (registerCompare is not wired into activate())');
  return a.compare;
}

function lastData(p: ComparePanel): DataMessage | undefined {
  return [...p.forTests.sent].reverse().find((m): m is DataMessage => m.type === 'data');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Run a command that opens a comparison and wait for its first data message. VS Code in a browser sometimes never
 * starts a webview created just after another one (its service worker handshake hangs: microsoft/vscode#125993),
 * which has nothing to do with this extension: then the panel is closed and the command run once more.
 */
async function openCompare(command: string | (() => Promise<ComparePanel>), ...args: unknown[]): Promise<{ panel: ComparePanel; data: DataMessage }> {
  for (let attempt = 1; ; attempt++) {
    await sleep(300);
    const panel = typeof command === 'string' ? ((await vscode.commands.executeCommand(command, ...args)) as ComparePanel) : await command();
    assert.ok(panel, `${typeof command === 'string' ? command : 'the opener'} returned a panel`);
    try {
      const { value } = await waitFor(`the first data message of '${panel.title}'`, () => lastData(panel), attempt === 1 ? 15_000 : 30_000);
      return { panel, data: value };
    } catch (e) {
      if (attempt > 1 || panel.forTests.received.length) throw e;
      console.log(`      (the webview of '${panel.title}' did not start: VS Code web's service worker handshake hung; opening it again)`);
      panel.dispose();
      await sleep(1000);
    }
  }
}

describe('Compare Runs (editor)', function () {
  this.timeout(120_000);
  let store = '';
  const cli = (...args: string[]) => {
    const r = mlops('--store', store, ...args);
    assert.equal(r.code, 0, r.err);
    return r.out.trim();
  };
  const sweepIds: string[] = [];
  let xssId = '';
  let otherId = '';
  let out = '';

  before(async () => {
    const ws = workspaceDir();
    store = path.join(ws, STORE_DIR);
    out = path.join(ws, 'compare-out');
    fs.mkdirSync(out, { recursive: true });
    await vscode.workspace.getConfiguration('mlops').update('storePath', STORE_DIR, vscode.ConfigurationTarget.Workspace);
    const a = await api();
    await waitFor('the store folder setting to apply', () => a.stores.all()[0]?.root === store, 10_000);
    cli('init');
    // The seed's 5-run sweep: n_estimators × max_depth, test metrics, an rmse_test history by trees, feature importances.
    const grid: [number, string, number, number, number][] = [[50, '5', 3.412, 2.71, 0.702], [100, '5', 3.387, 2.69, 0.706], [100, '10', 3.151, 2.52, 0.749], [200, '10', 3.118, 2.49, 0.754], [200, 'none', 3.164, 2.55, 0.746]];
    for (const [i, [n, d, rmse, mae, r2]] of grid.entries()) {
      const fiDir = path.join(out, `fi-${i}`);
      fs.mkdirSync(fiDir, { recursive: true });
      const fi = path.join(fiDir, 'feature_importance.json');
      fs.writeFileSync(fi, JSON.stringify({ method: 'impurity', features: [{ feature: 'Temperature', importance: 0.6 - i * 0.02 }, { feature: 'Vdd_mean', importance: 0.2 + i * 0.01 }, { feature: 'Idd_mean', importance: 0.1 }] }));
      const history = [Math.round(n / 4), n / 2, n].map((s, k) => ['-m', `rmse_test=${(rmse + (2 - k) * 0.2).toFixed(3)}@${s}`]).flat();
      sweepIds.push(cli('runs', 'create', '-e', EXP, '-n', `rf_n${n}_d${d}`, '-p', `n_estimators=${n}`, '-p', `max_depth=${d}`, '-p', 'seed=42',
        ...history, '-m', `mae_test=${mae}`, '-m', `r2_test=${r2}`, '-t', `sweep_id=${SWEEP}`, '-a', fi));
      await new Promise((r) => setTimeout(r, 5)); // distinct start times, so the order is the sweep's
    }
    xssId = cli('runs', 'create', '-e', 'Security', '-n', '<img src=x onerror=alert(1)>', '-p', 'note=</script><b>bold</b>', '-m', 'rmse_test=9');
    otherId = cli('runs', 'create', '-e', 'Security', '-n', 'plain', '-p', 'note=ok', '-m', 'rmse_test=8');
    await waitFor('the runs in the store snapshot', () => a.stores.all()[0].snapshot.runs.length === 7, 10_000);
  });

  after(async () => {
    for (const p of (await compareApi()).panels()) p.dispose();
    await vscode.workspace.getConfiguration('mlops').update('storePath', undefined, vscode.ConfigurationTarget.Workspace);
    const a = await api();
    await waitFor('the default store folder again', () => a.stores.all()[0]?.root === path.join(workspaceDir(), '.mlops'), 10_000);
  });

  it('Compare Runs opens a panel for the given runs; the webview asks for the data and reports it drew it', async () => {
    const cmp = await compareApi();
    const panel = (await vscode.commands.executeCommand('mlops.compareRuns', [...sweepIds].reverse())) as ComparePanel;
    assert.ok(panel, 'the command returned the panel');
    assert.equal(panel.panel.title, `Compare: 5 runs of ${EXP}`);
    assert.equal(cmp.panelFor(sweepIds), panel);
    const { value: msg } = await waitFor('the data message (sent after the webview posted ready)', () => lastData(panel), 30_000);
    assert.ok(panel.forTests.received.some((m) => m.type === 'ready'));
    assert.deepEqual(msg.runIds, sweepIds, 'runs in the order they ran');
    assert.deepEqual(msg.runs.map((r) => r.name), ['rf_n50_d5', 'rf_n100_d5', 'rf_n100_d10', 'rf_n200_d10', 'rf_n200_dnone']);
    assert.deepEqual(msg.gone, []);
    assert.deepEqual(msg.runs[4].params, { n_estimators: 200, max_depth: null, seed: 42 });
    assert.deepEqual(msg.runs[3].metrics, { rmse_test: 3.118, mae_test: 2.49, r2_test: 0.754 });
    assert.deepEqual(msg.directions, { rmse_test: 'min', mae_test: 'min', r2_test: 'max' });
    assert.equal(msg.primaryMetric, 'rmse_test');
    assert.deepEqual(msg.runs[0].history.rmse_test, [[13, 3.812], [25, 3.612], [50, 3.412]]);
    assert.deepEqual(msg.runs[0].history.mae_test, undefined, 'single-step metrics have no history');
    assert.equal(msg.runs[2].importance?.method, 'impurity');
    assert.deepEqual(msg.runs[2].importance?.features.map((f) => f.feature), ['Temperature', 'Vdd_mean', 'Idd_mean']);
    assert.deepEqual(msg.settings, defaultSettings());
    assert.equal(typeof msg.requestedAt, 'number');
    assert.equal(msg.runs[0].tags.sweep_id, SWEEP);
    const { value: rendered } = await waitFor('the webview to report the panel drawn', () => panel.lastRendered, 30_000);
    assert.equal(rendered.runs, 5);
    assert.equal(rendered.params, 3);
    assert.equal(rendered.metrics, 3);
    assert.equal(rendered.chart, 'bars');
    assert.equal(rendered.charts, 1, 'the bar chart of the primary metric');
    assert.ok(rendered.sinceRequestMs !== null && rendered.sinceRequestMs > 0 && rendered.sinceRequestMs < 30_000, `command → drawn ${rendered.sinceRequestMs} ms`);
    // The same runs again (any order): the open panel, not a second one.
    const again = (await vscode.commands.executeCommand('mlops.compareRuns', sweepIds)) as ComparePanel;
    assert.equal(again, panel);
    assert.equal(cmp.panels().length, 1);
  });

  it('exports what the panel shows: CSV and Markdown files with best values, differences only and baseline deltas', async () => {
    const panel = (await compareApi()).panelFor(sweepIds)!;
    // Settings arrive from the webview as it changes them; set them here as the webview would.
    const s: CompareSettings = { ...defaultSettings(), paramsDiffOnly: true, baseline: sweepIds[0], sort: { by: 'metric', key: 'rmse_test', descending: false } };
    panel.settings = s;
    const csvFile = vscode.Uri.file(path.join(out, 'comparison.csv'));
    await panel.exportTo('csv', csvFile);
    const csv = fs.readFileSync(csvFile.fsPath, 'utf8').split('\r\n');
    assert.equal(csv[0], 'run_id,run,experiment,status,baseline,params.max_depth,params.n_estimators,metrics.mae_test,metrics.r2_test,metrics.rmse_test,delta.mae_test,delta.r2_test,delta.rmse_test,best.mae_test,best.r2_test,best.rmse_test');
    assert.equal(csv[1], `${sweepIds[3]},rf_n200_d10,${EXP},completed,false,10,200,2.49,0.754,3.118,-0.22,0.052,-0.294,true,true,true`);
    assert.equal(csv[5], `${sweepIds[0]},rf_n50_d5,${EXP},completed,true,5,50,2.71,0.702,3.412,0,0,0,false,false,false`);
    const mdFile = vscode.Uri.file(path.join(out, 'comparison.md'));
    const md = await panel.exportTo('markdown', mdFile);
    assert.equal(fs.readFileSync(mdFile.fsPath, 'utf8'), md);
    assert.match(md, /^## Comparison: 5 runs of YieldPrediction\\_RandomForest\n/);
    assert.ok(md.includes('| Parameter | rf\\_n200\\_d10 | rf\\_n100\\_d10 | rf\\_n200\\_dnone | rf\\_n100\\_d5 | rf\\_n50\\_d5 (baseline) |'), md);
    assert.ok(md.includes('| rmse\\_test ↓ | **3.118** (-0.294, -8.62%) | 3.151 (-0.261, -7.65%) | 3.164 (-0.248, -7.27%) | 3.387 (-0.025, -0.73%) | 3.412 |'), md);
    assert.ok(!md.includes('| seed |'), 'seed is the same in every run: left out with differences only');
    await panel.exportTo('markdown', 'clipboard');
    assert.equal(await vscode.env.clipboard.readText(), md);
    panel.settings = defaultSettings();
  });

  it('saves charts as PNG: the webview draws the chart asked for and sends the image', async () => {
    const panel = (await compareApi()).panelFor(sweepIds)!;
    for (const chart of ['bars', 'history', 'scatter', 'pcp', 'importance'] as const) {
      const file = vscode.Uri.file(path.join(out, `chart-${chart}.png`));
      const { name, png } = await panel.saveChartPng(chart, file);
      assert.ok(png.length > 2000, `${chart}: ${png.length} bytes`);
      assert.equal(fs.readFileSync(file.fsPath).readUInt32BE(0), 0x89504e47, `${chart} is a PNG`);
      assert.ok(name.length > 0);
    }
    await assert.rejects(panel.saveChartPng('bars', undefined, 7), /no bars chart #7/);
    assert.throws(() => (panel.constructor as unknown as typeof ComparePanel).decodePng('data:text/html;base64,PGI+'), /not a PNG/);
  });

  it('pushes an update when a compared run changes, says a deleted run is gone, and brings a restored run back', async () => {
    const panel = (await compareApi()).panelFor(sweepIds)!;
    const before = panel.forTests.sent.length;
    cli('runs', 'delete', sweepIds[1]);
    const { value: gone, ms } = await waitFor('the panel to say the run is gone', () => panel.forTests.sent.slice(before).find((m): m is DataMessage => m.type === 'data' && m.gone.length === 1), 5000);
    assert.deepEqual(gone.gone, [{ id: sweepIds[1], name: 'rf_n100_d5' }]);
    assert.equal(gone.runs.length, 4);
    assert.equal(gone.settings, undefined, 'updates do not reset the webview settings');
    assert.ok(ms < 5000);
    cli('runs', 'restore', sweepIds[1]);
    const { value: back } = await waitFor('the restored run back in the panel', () => {
      const m = lastData(panel);
      return m && m.runs.length === 5 && !m.gone.length ? m : undefined;
    }, 5000);
    assert.deepEqual(back.runs.map((r) => r.id), sweepIds);

    // A run that is still being written: new metrics and its end show up in the open panel. (One compare webview
    // at a time: VS Code in a browser sometimes never starts a webview created while another one lives.)
    panel.dispose();
    const live = cli('runs', 'create', '-e', EXP, '-n', 'live', '-p', 'n_estimators=10', '-m', 'rmse_test=4.0@1', '-s', 'running');
    const a = await api();
    await waitFor('the live run in the store snapshot', () => a.stores.all()[0].snapshot.runs.some((r) => r.id === live), 5000);
    const { panel: livePanel } = await openCompare('mlops.compareRuns', [sweepIds[0], live]);
    const t = Tracker.open(store);
    const run = t.attach(live);
    run.logMetric('rmse_test', 3.5, 2);
    run.logMetric('r2_test', 0.61, 2);
    run.end('completed');
    t.store.flush();
    const { value: updated } = await waitFor('the live run finished in the panel', () => {
      const m = lastData(livePanel);
      const r = m?.runs.find((x) => x.id === live);
      return r && r.status === 'completed' ? r : undefined;
    }, 5000);
    assert.equal(updated.metrics.rmse_test, 3.5);
    assert.equal(updated.metrics.r2_test, 0.61);
    assert.deepEqual(updated.history.rmse_test, [[1, 4], [2, 3.5]]);
    livePanel.dispose();
    cli('runs', 'delete', live);
    await waitFor('the live run gone from the snapshot', () => !a.stores.all()[0].snapshot.runs.some((r) => r.id === live), 5000);
  });

  it('Compare All Runs in Experiment, Compare Sweep and the tree selection open comparisons', async () => {
    const cmp = await compareApi();
    const a = await api();
    const { panel: first } = await openCompare('mlops.compareRuns', sweepIds);
    assert.equal(await vscode.commands.executeCommand('mlops.compareExperiment', EXP), first, 'the experiment holds exactly the sweep: same panel');
    assert.equal(await vscode.commands.executeCommand('mlops.compareSweep', SWEEP), first);
    await a.experimentsTree.whenLoaded(); // the tree's runs come from the worker: after the live run's deletion
    const exp = a.experimentsTree.getChildren().find((n) => n.kind === 'experiment' && n.experiment.name === EXP) as Node<'experiment'>;
    const runNodes = a.experimentsTree.getChildren(exp) as Node<'run'>[];
    assert.equal(await vscode.commands.executeCommand('mlops.compareSweep', runNodes[0]), first, 'Compare Sweep on a run of the sweep');
    assert.equal(await vscode.commands.executeCommand('mlops.compareExperiment', exp), first, 'Compare All Runs on the experiment node');
    // A multi-selection in the tree: VS Code passes the clicked node and every selected node.
    const two = runNodes.filter((n) => ['rf_n50_d5', 'rf_n200_d10'].includes(n.run.name));
    first.dispose();
    const { panel: pair, data: d } = await openCompare('mlops.compareRuns', two[0], two);
    assert.deepEqual([...pair.runIds].sort(), two.map((n) => n.run.id).sort());
    assert.equal(pair.panel.title, `Compare: 2 runs of ${EXP}`);
    assert.deepEqual(d.runs.map((r) => r.name), ['rf_n50_d5', 'rf_n200_d10']);
    pair.dispose();
    // Unknown ids are refused with a message, no panel.
    const count = cmp.panels().length;
    assert.equal(await vscode.commands.executeCommand('mlops.compareRuns', ['ffffffffffffffffffffffffffffffff', sweepIds[0]]), undefined);
    assert.equal(cmp.panels().length, count);
  });

  it('sends user strings as data: a run named like an XSS payload and a </script> param', async () => {
    for (const p of (await compareApi()).panels()) p.dispose();
    const { panel, data: msg } = await openCompare('mlops.compareExperiment', 'Security');
    assert.equal(panel.panel.title, 'Compare: Security');
    assert.deepEqual(msg.runs.map((r) => r.name), ['<img src=x onerror=alert(1)>', 'plain']);
    assert.equal(msg.runs[0].params.note, '</script><b>bold</b>');
    assert.deepEqual(new Set(msg.runIds), new Set([xssId, otherId]));
    const html = panel.panel.webview.html;
    assert.ok(!html.includes('<img src=x') && !html.includes('</script><b>'), 'no user string is written into the HTML');
    assert.match(html, /Content-Security-Policy" content="default-src 'none'; [^"]*script-src 'nonce-[A-Za-z0-9]+'/);
    assert.ok(!html.includes('unsafe-inline') && !html.includes('unsafe-eval'), 'no unsafe-* in the policy');
    // The bundle is inlined (one element, carrying the nonce; any `</script` inside it escaped), not fetched.
    const nonce = /script-src 'nonce-([A-Za-z0-9]+)'/.exec(html)![1];
    assert.equal(html.match(/<\/script>/g)?.length, 1, 'one script element, closed once');
    assert.ok(html.includes(`<script nonce="${nonce}">`) && !/<script[^>]*\ssrc=/.test(html), 'inline with the nonce, no src');
    assert.ok(html.length > 100_000, `the compare bundle is in the document (${html.length} chars)`);
    // Nothing is fetched through the webview service worker: codicon rules as a data: stylesheet (allowed by the
    // nonce it carries), the font as a data: URL (font-src data: only), styles only with the nonce.
    assert.match(html, /<link id="vscode-codicon-stylesheet" rel="stylesheet" href="data:text\/css;base64,[A-Za-z0-9+/=]+" nonce="[A-Za-z0-9]+">/);
    assert.match(html, /@font-face\{font-family:"codicon";font-display:block;src:url\("data:font\/ttf;base64,/);
    assert.match(html, /style-src 'nonce-[A-Za-z0-9]+'; font-src data:; /);
    assert.ok(!/(src|href)="(https?|vscode-webview|vscode-resource)[^"]*"/.test(html.replace(/sourceMappingURL=\S+/g, '')), 'no resource URL in the document');
    const { value: r } = await waitFor('the webview drew it', () => panel.lastRendered, 30_000);
    assert.equal(r.runs, 2);
    panel.dispose();
  });

  it('a new comparison replaces the Compare tab used last (same webview, new runs and settings) unless that tab is locked', async () => {
    const cmp = await compareApi();
    for (const p of cmp.panels()) p.dispose();
    const { panel } = await openCompare('mlops.compareRuns', sweepIds);
    const { value: first } = await waitFor('the first render', () => panel.lastRendered, 30_000);
    assert.ok(first.phases, 'the first render reports its start-up phases');
    assert.equal(panel.locked, false, 'a new tab is not locked');
    // Default (mlops.compare.reuseTab on): the open tab shows the new runs.
    let sentBefore = panel.forTests.sent.length;
    const same = (await vscode.commands.executeCommand('mlops.compareRuns', [xssId, otherId])) as ComparePanel;
    assert.equal(same, panel, 'the open panel is reused');
    assert.equal(cmp.panels().length, 1, 'no second tab');
    assert.equal(panel.panel.title, 'Compare: 2 runs of Security');
    assert.equal(cmp.panelFor([xssId, otherId]), panel);
    assert.equal(cmp.panelFor(sweepIds), undefined, 'the sweep is no longer shown');
    const { value: msg } = await waitFor('the new data message', () => panel.forTests.sent.slice(sentBefore).find((m): m is DataMessage => m.type === 'data'), 10_000);
    assert.deepEqual(new Set(msg.runIds), new Set([xssId, otherId]));
    assert.deepEqual(msg.settings, defaultSettings(), 'a fresh comparison: default settings');
    assert.equal(typeof msg.requestedAt, 'number');
    const { value: r } = await waitFor('the new runs drawn', () => (panel.lastRendered !== first && panel.lastRendered?.runs === 2 ? panel.lastRendered : undefined), 30_000);
    assert.ok(r.sinceRequestMs !== null && r.sinceRequestMs >= 0, `timed from the command: ${r.sinceRequestMs}`);
    assert.equal(r.phases, undefined, 'no start-up phases: no new webview started');
    // Back to the sweep in the same tab, for the figure: command → drawn with the tab reused.
    const again = (await vscode.commands.executeCommand('mlops.compareRuns', sweepIds)) as ComparePanel;
    assert.equal(again, panel);
    const { value: r5 } = await waitFor('the sweep drawn again', () => (panel.lastRendered?.runs === 5 && panel.lastRendered !== r ? panel.lastRendered : undefined), 30_000);
    fs.mkdirSync(path.join(REPO, 'test-output'), { recursive: true });
    fs.writeFileSync(path.join(REPO, 'test-output', 'compare-reuse-times.json'), JSON.stringify({ host: 'integration', twoRunsMs: r.sinceRequestMs, fiveRunsMs: r5.sinceRequestMs }, null, 2));

    // Lock the tab (the editor title action): it keeps the sweep; the next comparison opens its own tab.
    panel.panel.reveal();
    await waitFor('the compare tab active', () => panel.panel.active || undefined, 10_000);
    sentBefore = panel.forTests.sent.length;
    assert.equal(await vscode.commands.executeCommand('mlops.lockCompareTab'), panel);
    assert.equal(panel.locked, true);
    assert.equal(panel.panel.title, '[Locked] Compare: 5 runs of ' + EXP, 'the tab title shows the lock');
    assert.ok(panel.forTests.sent.slice(sentBefore).some((m) => m.type === 'lock' && m.locked === true), 'the webview is told (it keeps the lock in its state)');
    const other = (await vscode.commands.executeCommand('mlops.compareRuns', [xssId, otherId])) as ComparePanel;
    assert.notEqual(other, panel, 'a locked tab is not replaced');
    assert.equal(cmp.panels().length, 2);
    assert.equal(cmp.panelFor(sweepIds), panel, 'the locked tab still shows the sweep');
    await waitFor('the new tab drawn', () => other.lastRendered, 30_000);
    // The next comparison replaces the unlocked tab, not the locked one.
    const third = (await vscode.commands.executeCommand('mlops.compareRuns', [sweepIds[0], xssId])) as ComparePanel;
    assert.equal(third, other);
    assert.equal(cmp.panels().length, 2);
    assert.equal(cmp.panelFor(sweepIds), panel);
    // Unlock (the title action on the active tab; the panel's toolbar button is clicked in the E2E).
    panel.panel.reveal();
    await waitFor('the locked tab active', () => panel.panel.active || undefined, 10_000);
    assert.equal(await vscode.commands.executeCommand('mlops.unlockCompareTab'), panel);
    assert.equal(panel.locked, false);
    assert.equal(panel.panel.title, 'Compare: 5 runs of ' + EXP);

    // Setting off: a different set of runs opens its own tab.
    const config = vscode.workspace.getConfiguration('mlops');
    await config.update('compare.reuseTab', false, vscode.ConfigurationTarget.Workspace);
    try {
      const fresh = (await vscode.commands.executeCommand('mlops.compareRuns', [sweepIds[1], otherId])) as ComparePanel;
      assert.ok(fresh !== panel && fresh !== other, 'a new tab');
      assert.equal(cmp.panels().length, 3);
    } finally {
      await config.update('compare.reuseTab', undefined, vscode.ConfigurationTarget.Workspace);
    }
    for (const p of cmp.panels()) p.dispose();
  });

  it('restores a panel after a reload from the state its webview saved (serializer)', async () => {
    const cmp = await compareApi();
    for (const p of cmp.panels()) p.dispose();
    const settings: CompareSettings = { ...defaultSettings(), metricsDiffOnly: true, baseline: sweepIds[2], hidden: [sweepIds[4]], charts: { ...defaultSettings().charts, tab: 'pcp' } };
    let webviewPanel: vscode.WebviewPanel | undefined;
    const { panel: restored, data: msg } = await openCompare(async () => {
      webviewPanel = vscode.window.createWebviewPanel('mlops.compare', 'Compare: restored', vscode.ViewColumn.Active, {});
      await cmp.serializer.deserializeWebviewPanel(webviewPanel, { v: 1, runIds: sweepIds, title: 'Compare: restored', settings, locked: true });
      return cmp.panelFor(sweepIds)!;
    });
    assert.equal(restored.panel, webviewPanel);
    assert.equal(restored.locked, true, 'a locked tab comes back locked');
    assert.equal(webviewPanel!.title, '[Locked] Compare: restored');
    assert.ok(restored.forTests.sent.some((m) => m.type === 'lock' && m.locked), 'and its webview keeps the lock in its state');
    assert.deepEqual(msg.settings, settings, 'the saved settings come back');
    assert.deepEqual(msg.runIds, sweepIds);
    const { value: r } = await waitFor('the restored panel drawn', () => restored.lastRendered, 30_000);
    assert.equal(r.runs, 4, 'the hidden run stays hidden');
    assert.equal(r.chart, 'pcp');
    // A state without runs (or not ours) closes the panel instead of showing an empty one.
    const bad = vscode.window.createWebviewPanel('mlops.compare', 'broken', vscode.ViewColumn.Active, {});
    let closed = false;
    bad.onDidDispose(() => (closed = true));
    await cmp.serializer.deserializeWebviewPanel(bad, { runIds: ['../../etc/passwd'] });
    assert.equal(closed, true);
    restored.dispose();
  });

  it('a bar chart of many runs is drawn as the window in view, and its PNG is the whole chart', async () => {
    const cmp = await compareApi();
    for (const p of cmp.panels()) p.dispose();
    const t = Tracker.open(store);
    const ids: string[] = [];
    for (let i = 0; i < 120; i++) {
      const run = t.startRun({ experiment: 'ManyBars', name: `bars-${String(i).padStart(3, '0')}`, params: { i } });
      run.logMetrics({ rmse_test: 3 + ((i * 37) % 120) / 100 });
      run.end();
      ids.push(run.id);
    }
    const { panel } = await openCompare('mlops.compareRuns', ids);
    const { value: r } = await waitFor('the 120-run comparison drawn', () => (panel.lastRendered?.runs === 120 ? panel.lastRendered : undefined), 30_000);
    assert.equal(r.chart, 'bars');
    // The shown chart is a window of the bars (a 560 px box, 14 px a bar past 100 runs); the PNG is not.
    const { name, png } = await panel.saveChartPng('bars', vscode.Uri.file(path.join(out, 'chart-bars-120.png')));
    assert.equal(name, 'rmse_test');
    const width = png.readUInt32BE(16);
    const height = png.readUInt32BE(20);
    // The PNG is the whole chart, drawn once off screen: 60 px + 14 px for each of the 120 runs, at the device pixel ratio.
    const ratio = height / (60 + 120 * 14);
    assert.ok(ratio >= 1 && Number.isInteger(ratio), `the PNG is the whole chart: ${width} × ${height} px`);
    assert.ok(width > 300, `${width} px wide`);
    panel.dispose();
  });
});
