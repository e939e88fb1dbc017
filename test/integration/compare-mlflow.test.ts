/**
 * Compare Runs across sources in a real extension host: two workspace runs and two runs of the mlflow.db written by
 * the real MLflow 3.9 client (../shared/mlflow/fixtures/mlflow-3.9, opened with MLOps: Open MLflow Store…), chosen as
 * the Experiments tree's nodes: the data message has all four with their metrics, histories and sources, and the
 * webview draws them; Open Run from the panel opens the MLflow run; a panel restored after a reload finds its MLflow
 * runs again by source URI and run id, and says so — without failing — when that source is no longer connected.
 *
 * These tests use their own store folder (setting mlops.storePath) and disconnect the store they opened.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { defaultSettings } from '../../src/core/compare/model';
import type { CompareApi } from '../../src/extension/compare/compareCommands';
import type { ComparePanel } from '../../src/extension/compare/comparePanel';
import type { ExperimentsNode } from '../../src/extension/experiments/experimentsTree';
import type { CompareToWebview } from '../../src/shared/protocol';
import * as os from 'node:os';
import { fixtureDir, skipUnlessFixtures, skipUnlessMlflow } from '../mlflow/env';
import { runMlflowPython } from '../mlflow/server';
import { api, mlops, waitFor, workspaceDir } from './helpers';

type DataMessage = Extract<CompareToWebview, { type: 'data' }>;
type Node<K extends ExperimentsNode['kind']> = Extract<ExperimentsNode, { kind: K }>;

const STORE_DIR = '.mlops-compare-mlflow';

interface ExpectedRun {
  name: string;
  run_id: string;
  params: Record<string, string>;
  metrics: Record<string, number>;
  rmse_val_history?: [number, number][];
  experiment: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function compareApi(): Promise<CompareApi> {
  return (await api()).compare;
}

function lastData(p: ComparePanel, after = 0): DataMessage | undefined {
  return [...p.forTests.sent.slice(after)].reverse().find((m): m is DataMessage => m.type === 'data');
}

/**
 * A node's children once they are loaded (MLflow nodes show "Loading…" until their source answered, a workspace
 * folder "Loading runs…" until its store index in the worker answered).
 */
async function children(node: ExperimentsNode | undefined, what: string): Promise<ExperimentsNode[]> {
  const a = await api();
  const { value } = await waitFor(what, () => {
    const c = a.experimentsTree.getChildren(node);
    return c.some((n) => (n.kind === 'mlflowMessage' && n.text === 'Loading…') || (n.kind === 'message' && n.text === 'Loading runs…')) ? undefined : c;
  }, 30_000, 100);
  return value;
}

/** Open a comparison and wait for its first data message; once more if VS Code web's webview did not start. */
async function openCompare(open: () => Promise<ComparePanel | undefined>): Promise<{ panel: ComparePanel; data: DataMessage }> {
  for (let attempt = 1; ; attempt++) {
    await sleep(300);
    const panel = await open();
    assert.ok(panel, 'a panel was opened');
    try {
      const { value } = await waitFor(`the first data message of '${panel.title}'`, () => lastData(panel), attempt === 1 ? 20_000 : 40_000);
      return { panel, data: value };
    } catch (e) {
      if (attempt > 1 || panel.forTests.received.length) throw e;
      console.log(`      (the webview of '${panel.title}' did not start: VS Code web's service worker handshake hung; opening it again)`);
      panel.dispose();
      await sleep(1000);
    }
  }
}

describe('Compare Runs across sources (workspace + MLflow mlflow.db)', function () {
  this.timeout(180_000);
  const skip = skipUnlessFixtures();
  const dir = fixtureDir('3.9');
  let store = '';
  let sourceUri = '';
  const wsIds: string[] = [];
  let expected: ExpectedRun[] = [];

  before(async function () {
    if (skip || !dir) {
      console.log(`      ${skip || 'no 3.9 fixture'}`);
      this.skip();
    }
    expected = (JSON.parse(fs.readFileSync(path.join(dir, 'expected-sqlite.json'), 'utf8')) as { runs: ExpectedRun[] }).runs;
    const ws = workspaceDir();
    store = path.join(ws, STORE_DIR);
    await vscode.workspace.getConfiguration('mlops').update('storePath', STORE_DIR, vscode.ConfigurationTarget.Workspace);
    const a = await api();
    await waitFor('the store folder setting to apply', () => a.stores.all()[0]?.root === store, 10_000);
    const cli = (...args: string[]) => {
      const r = mlops('--store', store, ...args);
      assert.equal(r.code, 0, r.err);
      return r.out.trim();
    };
    cli('init');
    for (const [i, rmse] of [3.3, 3.0].entries()) {
      const history = [0, 1, 2, 3].flatMap((s) => ['-m', `rmse_val=${(rmse + (3 - s) * 0.1).toFixed(3)}@${s}`]);
      wsIds.push(cli('runs', 'create', '-e', 'wafer-yield', '-n', `ws-rf-${i}`, '-p', `max_depth=${5 + i * 5}`, '-p', 'n_estimators=100', ...history, '-m', `rmse_test=${rmse}`, '-m', `r2_test=${0.7 + i * 0.02}`));
      await sleep(5);
    }
    await waitFor('the workspace runs in the snapshot', () => a.stores.all()[0].snapshot.runs.length === 2, 10_000);
    sourceUri = (await vscode.commands.executeCommand('mlops.openMlflowStore', path.join(dir, 'mlflow.db'))) as string;
    assert.match(sourceUri, /^sqlite:\/\/\/.*mlflow-3\.9\/mlflow\.db$/);
    await waitFor('the MLflow source entry', () => a.mlflow.get(sourceUri), 10_000);
  });

  after(async () => {
    if (skip) return;
    for (const p of (await compareApi()).panels()) p.dispose();
    if (sourceUri) await vscode.commands.executeCommand('mlops.disconnectMlflow', sourceUri);
    await vscode.workspace.getConfiguration('mlops').update('storePath', undefined, vscode.ConfigurationTarget.Workspace);
  });

  /** The tree nodes: the two workspace runs and the fixture's runs rf-00 and rf-01 under wafer-yield. */
  async function treeNodes(): Promise<{ ws: Node<'run'>[]; ml: Node<'mlflowRun'>[]; mlExperiment: Node<'mlflowExperiment'> }> {
    const a = await api();
    const roots = await children(undefined, 'the tree roots');
    const folder = roots.find((n): n is Node<'folder'> => n.kind === 'folder');
    assert.ok(folder, `a workspace folder root next to the MLflow source: ${roots.map((n) => n.kind).join(', ')}`);
    const source = roots.find((n): n is Node<'mlflowSource'> => n.kind === 'mlflowSource' && n.entry.uri === sourceUri);
    assert.ok(source, 'the mlflow.db root');
    // The tree's workspace runs come from the store index in the worker: wait for both (the snapshot may be ahead).
    const { value: wsExp } = await waitFor('the workspace experiment with its two runs in the tree', () =>
      a.experimentsTree.getChildren(folder).find((n): n is Node<'experiment'> => n.kind === 'experiment' && n.experiment.name === 'wafer-yield' && n.runs.length === 2), 10_000);
    const ws = (await children(wsExp, 'the workspace runs')).filter((n): n is Node<'run'> => n.kind === 'run');
    const mlExperiment = (await children(source, 'the MLflow experiments')).find((n): n is Node<'mlflowExperiment'> => n.kind === 'mlflowExperiment' && n.experiment.name === 'wafer-yield');
    assert.ok(mlExperiment, 'wafer-yield in the mlflow.db');
    const runs = (await children(mlExperiment, 'the MLflow runs')).filter((n): n is Node<'mlflowRun'> => n.kind === 'mlflowRun');
    const ml = ['rf-00', 'rf-01'].map((name) => runs.find((n) => n.run.name === name)!);
    assert.ok(ml.every(Boolean), `rf-00 and rf-01 in the tree: ${runs.map((n) => n.run.name).join(', ')}`);
    assert.equal(a.experimentsTree.getTreeItem(ml[0]).contextValue, 'mlflowRun');
    return { ws, ml, mlExperiment };
  }

  it('the tree multi-selection of two workspace runs and two MLflow runs opens one comparison of all four', async () => {
    const { ws, ml } = await treeNodes();
    const [rf0, rf1] = ['rf-00', 'rf-01'].map((n) => expected.find((r) => r.name === n)!);
    // As VS Code calls a context-menu command on a multi-selection: the clicked node, then every selected node.
    const { panel, data } = await openCompare(async () => (await vscode.commands.executeCommand('mlops.compareRuns', ml[0], [ws[0], ml[1], ws[1], ml[0]])) as ComparePanel);
    const keys = [`${sourceUri}#${rf0.run_id}`, `${sourceUri}#${rf1.run_id}`];
    assert.equal(data.runs.length, 4, `four runs: ${JSON.stringify(data.gone)}`);
    assert.deepEqual(data.gone, []);
    assert.deepEqual(new Set(data.runIds), new Set([...wsIds, ...keys]));
    assert.equal(panel.panel.title, 'Compare: 4 runs of wafer-yield');
    const byName = new Map(data.runs.map((r) => [r.name, r]));
    // The workspace runs, as before.
    for (const [i, rmse] of [3.3, 3.0].entries()) {
      const r = byName.get(`ws-rf-${i}`)!;
      assert.equal(r.id, wsIds[i]);
      assert.equal(r.source, 'Workspace');
      assert.deepEqual(r.metrics, { rmse_val: rmse, rmse_test: rmse, r2_test: 0.7 + i * 0.02 });
      assert.deepEqual(r.history.rmse_val.map(([s, v]) => [s, Number(v.toFixed(3))]), [0, 1, 2, 3].map((s) => [s, Number((rmse + (3 - s) * 0.1).toFixed(3))]));
    }
    // The MLflow runs, exactly as the real client logged them.
    for (const [i, e] of [rf0, rf1].entries()) {
      const r = byName.get(e.name)!;
      assert.ok(r, `${e.name} compared`);
      assert.equal(r.id, keys[i]);
      assert.equal(r.runId, e.run_id);
      assert.match(r.source ?? '', /^MLflow · mlflow-3\.9\/mlflow\.db$/);
      assert.equal(r.sourceKind, 'mlflow-sqlite');
      assert.equal(r.experiment, 'wafer-yield');
      assert.equal(r.status, 'completed');
      assert.deepEqual(r.params, e.params, 'params as logged (strings)');
      assert.deepEqual(r.metrics, e.metrics);
      assert.deepEqual(r.history.rmse_val, e.rmse_val_history, 'the rmse_val history through metricHistory');
      assert.equal(r.history.rmse_test, undefined);
      assert.equal(r.importance, null, 'no feature_importance.json artifact: no importance');
    }
    assert.equal(data.directions.rmse_val, 'min');
    assert.deepEqual(data.runs.map((r) => r.startTime), [...data.runs.map((r) => r.startTime)].sort((x, y) => x - y), 'oldest first (the fixture was logged before the workspace runs)');
    assert.deepEqual(await (await compareApi()).panelFor([...keys, ...wsIds]), panel);
    const { value: drawn } = await waitFor('the webview drew the four runs', () => (panel.lastRendered?.runs === 4 ? panel.lastRendered : undefined), 30_000);
    assert.ok(drawn.metrics >= 3);
    // Exports name the sources.
    const csv = panel.exportText('csv');
    assert.match(csv.split('\r\n')[0], /^run_id,run,source,experiment,/);
    assert.ok(csv.includes(`${rf0.run_id},rf-00,MLflow · mlflow-3.9/mlflow.db,wafer-yield,completed`), csv);

    // Open Run from the panel (a run name clicked in the table) opens the MLflow run's details through its source.
    const a = await api();
    await panel.openRun(keys[0]);
    const { value: details } = await waitFor('the MLflow run details panel', () => a.runDetailsPanel(rf0.run_id), 15_000);
    details.dispose();
    panel.dispose();
  });

  it('Compare All Runs in Experiment on an MLflow experiment node compares its runs', async () => {
    const { mlExperiment } = await treeNodes();
    const { panel, data } = await openCompare(async () => (await vscode.commands.executeCommand('mlops.compareExperiment', mlExperiment)) as ComparePanel);
    const names = expected.filter((r) => r.experiment === 'wafer-yield').map((r) => r.name).sort();
    assert.deepEqual(data.runs.map((r) => r.name).sort(), names, 'every run of wafer-yield (the deleted one left out)');
    assert.ok(data.runs.every((r) => r.id.startsWith(`${sourceUri}#`)));
    assert.match(panel.panel.title, /^Compare: wafer-yield \(MLflow · mlflow-3\.9\/mlflow\.db\)$/);
    panel.dispose();
  });

  it('a restored panel finds its MLflow runs by source URI and run id; a source no longer connected is said in the panel', async () => {
    const cmp = await compareApi();
    for (const p of cmp.panels()) p.dispose();
    const rf2 = expected.find((r) => r.name === 'rf-02')!;
    const key = `${sourceUri}#${rf2.run_id}`;
    const gone = 'http://127.0.0.1:9#0123456789abcdef0123456789abcdef';
    const state = { v: 1, runIds: [wsIds[0], key, gone], title: 'Compare: restored mixed', settings: { ...defaultSettings(), baseline: key }, locked: true, names: { [gone]: 'old-server-run' } };
    let webviewPanel: vscode.WebviewPanel | undefined;
    const { panel, data } = await openCompare(async () => {
      webviewPanel = vscode.window.createWebviewPanel('mlops.compare', 'Compare: restored mixed', vscode.ViewColumn.Active, {});
      await cmp.serializer.deserializeWebviewPanel(webviewPanel, state);
      return cmp.panelFor(state.runIds);
    });
    assert.equal(panel.panel, webviewPanel);
    assert.equal(panel.locked, true, 'locked, as saved');
    assert.deepEqual(data.runIds, state.runIds);
    assert.deepEqual(data.runs.map((r) => r.name), ['ws-rf-0', 'rf-02']);
    assert.deepEqual(data.runs[1].metrics, rf2.metrics);
    assert.deepEqual(data.settings?.baseline, key, 'the baseline (an MLflow run) comes back');
    assert.equal(data.gone.length, 1);
    assert.equal(data.gone[0].name, 'old-server-run', 'named as last seen');
    assert.match(data.gone[0].reason ?? '', /not connected/);
    await waitFor('the restored panel drawn', () => (panel.lastRendered?.runs === 2 ? panel.lastRendered : undefined), 30_000);

    // The store is disconnected while the panel is open: its run becomes gone (said why), nothing fails.
    const sentBefore = panel.forTests.sent.length;
    await vscode.commands.executeCommand('mlops.disconnectMlflow', sourceUri);
    const { value: after } = await waitFor('the data after the disconnect', () => {
      const m = lastData(panel, sentBefore);
      return m && m.gone.length === 2 ? m : undefined;
    }, 15_000);
    assert.deepEqual(after.runs.map((r) => r.name), ['ws-rf-0']);
    assert.equal(after.gone[0].name, 'rf-02');
    assert.match(after.gone[0].reason ?? '', /not connected/);
    // Connected again: the run is back.
    const before2 = panel.forTests.sent.length;
    assert.equal(await vscode.commands.executeCommand('mlops.openMlflowStore', path.join(dir!, 'mlflow.db')), sourceUri);
    await waitFor('the run back after reconnecting', () => lastData(panel, before2)?.runs.length === 2 || undefined, 15_000);
    panel.dispose();
  });

  (skipUnlessMlflow() ? it.skip : it)('Compare Sweep on an MLflow parent run compares its nested runs (logged by the real client as a grid search does)', async () => {
    const a = await api();
    const mlruns = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-nested-')), 'mlruns');
    await runMlflowPython(NESTED_PY, [`file://${mlruns}`]);
    const uri = (await vscode.commands.executeCommand('mlops.openMlflowStore', mlruns)) as string;
    try {
      const roots = await children(undefined, 'the tree roots');
      const source = roots.find((n): n is Node<'mlflowSource'> => n.kind === 'mlflowSource' && n.entry.uri === uri)!;
      const exp = (await children(source, 'the experiments')).find((n): n is Node<'mlflowExperiment'> => n.kind === 'mlflowExperiment' && n.experiment.name === 'grid')!;
      const parent = (await children(exp, 'the runs')).find((n): n is Node<'mlflowRun'> => n.kind === 'mlflowRun' && n.run.name === 'grid-search')!;
      assert.equal(a.experimentsTree.getTreeItem(parent).contextValue, 'mlflowRun.parent');
      const { panel, data } = await openCompare(async () => (await vscode.commands.executeCommand('mlops.compareSweep', parent)) as ComparePanel);
      assert.deepEqual(data.runs.map((r) => r.name), ['d2', 'd4', 'd8'], 'the three nested runs, oldest first; not the parent');
      assert.deepEqual(data.runs.map((r) => r.metrics.rmse), [3.1, 2.9, 3.0]);
      assert.match(panel.title, /grid-search \(nested runs/);
      panel.dispose();
    } finally {
      await vscode.commands.executeCommand('mlops.disconnectMlflow', uri);
    }
  });
});

/** argv: tracking URI. A parent run "grid-search" with three nested runs, as a grid-search script logs them. */
const NESTED_PY = String.raw`
import json, sys, time
import mlflow
mlflow.set_tracking_uri(sys.argv[1])
mlflow.set_experiment("grid")
with mlflow.start_run(run_name="grid-search"):
    for d, rmse in [(2, 3.1), (4, 2.9), (8, 3.0)]:
        with mlflow.start_run(run_name=f"d{d}", nested=True):
            mlflow.log_param("depth", d)
            mlflow.log_metric("rmse", rmse)
        time.sleep(0.01)
print(json.dumps({"ok": True}))
`;
