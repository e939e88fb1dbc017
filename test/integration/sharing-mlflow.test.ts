/**
 * Push to MLflow… and Import from MLflow… in a real extension host. Two workspace runs (with stepped histories) are
 * pushed from their tree nodes into an `mlruns/` folder, which MLflow's own Python client then reads back exactly; the
 * tree marks them pushed and Open in MLflow Source opens the MLflow run; a second push sends nothing new. The
 * `wafer-yield` experiment of the mlflow.db written by the real MLflow 3.9 client is imported from its tree node into
 * the workspace store (runs linked by `mlflow.run_id`, marked "from MLflow"); a second import changes nothing.
 *
 * These tests use their own store folder (setting mlops.storePath) and disconnect the sources they opened.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { PullResult, PushResult } from '../../src/core/sharing/types';
import type { ExperimentsNode } from '../../src/extension/experiments/experimentsTree';
import { fixtureDir, skipUnlessFixtures, skipUnlessMlflow } from '../mlflow/env';
import { runMlflowPython } from '../mlflow/server';
import { api, mlops, waitFor, workspaceDir } from './helpers';

type Node<K extends ExperimentsNode['kind']> = Extract<ExperimentsNode, { kind: K }>;

const STORE_DIR = '.mlops-sharing';

const READ_BACK_PY = String.raw`
import json, sys
from mlflow.tracking import MlflowClient
c = MlflowClient(tracking_uri=sys.argv[1])
exp = c.get_experiment_by_name("wafer-yield")
out = []
for r in c.search_runs([exp.experiment_id]):
    out.append({"name": r.info.run_name, "mlops_run_id": r.data.tags.get("mlops.run_id"), "params": r.data.params,
                "history": [[m.step, m.value] for m in sorted(c.get_metric_history(r.info.run_id, "rmse_val"), key=lambda m: m.step)]})
print(json.dumps(out))
`;

async function children(node: ExperimentsNode | undefined, what: string): Promise<ExperimentsNode[]> {
  const a = await api();
  return (await waitFor(what, () => {
    const c = a.experimentsTree.getChildren(node);
    // MLflow nodes say "Loading…" until their source answered; a workspace folder "Loading runs…" until its index did.
    return c.some((n) => (n.kind === 'mlflowMessage' && n.text === 'Loading…') || (n.kind === 'message' && n.text === 'Loading runs…')) ? undefined : c;
  }, 30_000, 100)).value;
}

describe('Push to MLflow and Import from MLflow (editor)', function () {
  this.timeout(180_000);
  const skip = skipUnlessMlflow() || skipUnlessFixtures();
  let store = '';
  const opened: string[] = [];
  const wsIds: string[] = [];

  before(async function () {
    if (skip) {
      console.log(`      ${skip}`);
      this.skip();
    }
    store = path.join(workspaceDir(), STORE_DIR);
    fs.rmSync(store, { recursive: true, force: true });
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
      const history = [0, 1, 2].flatMap((s) => ['-m', `rmse_val=${(rmse + (2 - s) * 0.1).toFixed(3)}@${s}`]);
      wsIds.push(cli('runs', 'create', '-e', 'wafer-yield', '-n', `ws-${i}`, '-p', `max_depth=${5 + i * 5}`, ...history));
    }
    await waitFor('the workspace runs in the snapshot', () => a.stores.all()[0].snapshot.runs.length === 2, 10_000);
  });

  after(async () => {
    if (skip) return;
    for (const uri of opened) await vscode.commands.executeCommand('mlops.disconnectMlflow', uri);
    await vscode.workspace.getConfiguration('mlops').update('storePath', undefined, vscode.ConfigurationTarget.Workspace);
  });

  /** The workspace runs of wafer-yield in the tree (at least `min`): the tree's runs come from the store index in a worker. */
  async function workspaceRuns(min = 1): Promise<Node<'run'>[]> {
    const a = await api();
    let seen = '';
    const found = await waitFor(`wafer-yield with ${min}+ runs in the workspace part of the tree`, async () => {
      const roots = await children(undefined, 'the tree roots');
      const folder = roots.find((n): n is Node<'folder'> => n.kind === 'folder');
      const top = folder ? await children(folder, 'the store') : roots;
      seen = top.map((n) => (n.kind === 'experiment' ? `experiment ${n.experiment.name}` : n.kind === 'message' ? `message ${n.text}` : n.kind)).join(', ');
      const exp = top.find((n): n is Node<'experiment'> => n.kind === 'experiment' && n.experiment.name === 'wafer-yield');
      const runs = exp ? a.experimentsTree.getChildren(exp).filter((n): n is Node<'run'> => n.kind === 'run') : [];
      return runs.length >= min ? runs : undefined;
    }, 10_000).catch((e: Error) => assert.fail(`${e.message}; the tree shows: ${seen}`));
    return found.value;
  }

  it('pushes the selected runs into an mlruns/ folder that MLflow reads back exactly; marks them; pushing again sends nothing; Open in MLflow Source opens the MLflow run', async () => {
    const a = await api();
    const mlruns = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-push-')), 'mlruns');
    const uri = (await vscode.commands.executeCommand('mlops.openMlflowStore', mlruns).then(undefined, () => undefined)) as string | undefined;
    const nodes = await workspaceRuns(2);
    assert.equal(nodes.length, 2);
    const target = uri ?? `file://${mlruns}`;
    const result = (await vscode.commands.executeCommand('mlops.pushToMlflow', nodes[0], nodes, target)) as PushResult;
    assert.deepEqual(result.runs.map((r) => r.action).sort(), ['created', 'created']);
    const back = await runMlflowPython<{ name: string; mlops_run_id: string; params: Record<string, string>; history: [number, number][] }[]>(READ_BACK_PY, [`file://${mlruns}`]);
    assert.deepEqual(back.map((r) => r.mlops_run_id).sort(), [...wsIds].sort());
    const ws0 = back.find((r) => r.name === 'ws-0')!;
    assert.deepEqual(ws0.params, { max_depth: '5' });
    assert.deepEqual(ws0.history, [[0, 3.5], [1, 3.4], [2, 3.3]]);

    const again = (await vscode.commands.executeCommand('mlops.pushToMlflow', nodes[0], nodes, target)) as PushResult;
    assert.deepEqual(again.runs.map((r) => r.action), ['unchanged', 'unchanged'], 'a second push sends nothing');

    const marked = (await waitFor('the pushed runs marked in the tree', async () => {
      const runs = await workspaceRuns();
      return runs.every((n) => /⇄ in MLflow/.test(String(a.experimentsTree.getTreeItem(n).description))) ? runs : undefined;
    }, 5000)).value;
    assert.equal(a.experimentsTree.getTreeItem(marked[0]).contextValue, 'run.linked');

    // Open in MLflow Source: the mlruns folder connected first (it is not yet when the push went to a typed URI).
    if (!uri) await vscode.commands.executeCommand('mlops.openMlflowStore', mlruns);
    const entry = (await waitFor('the mlruns source', () => a.mlflow.all().find((e) => e.uri.includes(mlruns)), 10_000)).value;
    opened.push(entry.uri);
    await vscode.commands.executeCommand('mlops.openInMlflowSource', marked[0]);
    const mlflowId = result.runs.find((r) => r.localId === marked[0].run.id)!.mlflowRunId;
    await waitFor('the MLflow run opened', () => a.runDetailsPanel(mlflowId), 15_000);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('marks a run pushed from a terminal (mlops push) too: the push record in the store, not this window, says it', async () => {
    const a = await api();
    const r = mlops('--store', store, 'runs', 'create', '-e', 'wafer-yield', '-n', 'ws-cli', '-p', 'max_depth=3', '-m', 'rmse_val=3.9@0');
    assert.equal(r.code, 0, r.err);
    const id = r.out.trim();
    const node = (await waitFor('the new run in the tree', async () => (await workspaceRuns()).find((n) => n.run.id === id), 10_000)).value;
    assert.doesNotMatch(String(a.experimentsTree.getTreeItem(node).description), /⇄/);
    const mlruns = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-cli-push-')), 'mlruns');
    const pushed = mlops('--store', store, 'push', '--to', `file://${mlruns}`, '--run', id, '--json');
    assert.equal(pushed.code, 0, pushed.err);
    const marked = (await waitFor('the run pushed from the terminal marked in the tree', async () => {
      const n = (await workspaceRuns()).find((x) => x.run.id === id);
      return n && /⇄ in MLflow/.test(String(a.experimentsTree.getTreeItem(n).description)) ? n : undefined;
    }, 10_000)).value;
    assert.equal(a.experimentsTree.getTreeItem(marked).contextValue, 'run.linked');
  });

  it('imports an MLflow experiment from its tree node into the workspace store, linked and marked; a second import changes nothing', async () => {
    const a = await api();
    const db = path.join(fixtureDir('3.9')!, 'mlflow.db');
    const uri = (await vscode.commands.executeCommand('mlops.openMlflowStore', db)) as string;
    opened.push(uri);
    const roots = await children(undefined, 'the tree roots');
    const source = roots.find((n): n is Node<'mlflowSource'> => n.kind === 'mlflowSource' && n.entry.uri === uri)!;
    const exp = (await children(source, 'the MLflow experiments')).find((n): n is Node<'mlflowExperiment'> => n.kind === 'mlflowExperiment' && n.experiment.name === 'wafer-yield')!;
    const mlRuns = (await children(exp, 'the MLflow runs')).filter((n): n is Node<'mlflowRun'> => n.kind === 'mlflowRun');
    const folder = a.stores.all()[0].folder.uri.fsPath;
    const result = (await vscode.commands.executeCommand('mlops.importFromMlflow', exp, undefined, folder)) as PullResult;
    assert.ok(result.runs.length >= mlRuns.length, `${result.runs.length} imported, ${mlRuns.length} top-level runs in the tree`);
    assert.ok(result.runs.every((r) => r.action === 'created'));
    const tracker = a.stores.all()[0].tracker()!;
    const rf00 = mlRuns.find((n) => n.run.name === 'rf-00')!;
    const local = tracker.getRun(result.runs.find((r) => r.mlflowRunId === rf00.run.id)!.localId);
    assert.equal(local.tags['mlflow.run_id'], rf00.run.id);
    assert.deepEqual(local.metrics.rmse_val, rf00.run.metrics.rmse_val);
    await waitFor('the imported runs marked in the tree', async () => {
      const runs = await workspaceRuns();
      return runs.some((n) => n.run.id === local.id && /⇄ from MLflow/.test(String(a.experimentsTree.getTreeItem(n).description))) || undefined;
    }, 10_000);
    const again = (await vscode.commands.executeCommand('mlops.importFromMlflow', exp, undefined, folder)) as PullResult;
    assert.ok(again.runs.every((r) => r.action === 'unchanged'), again.runs.map((r) => r.action).join(', '));
    // One run chosen in the tree: only that one is imported (it is there already: unchanged).
    const one = (await vscode.commands.executeCommand('mlops.importFromMlflow', rf00, [rf00], folder)) as PullResult;
    assert.deepEqual(one.runs.map((r) => [r.mlflowRunId, r.action]), [[rf00.run.id, 'unchanged']]);
  });
});
