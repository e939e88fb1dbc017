/**
 * Training in a real extension host: the sample workspace, Train Model from the command (with given answers),
 * a sweep cancelled part-way, Reproduce Run, and a user's training command — each visible in the tree.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SweepResult } from '../../src/core/training/sweep';
import type { Run } from '../../src/core/store/types';
import type { ExperimentsNode } from '../../src/extension/experiments/experimentsTree';
import { api, item, waitFor, workspaceDir } from './helpers';

type Node<K extends ExperimentsNode['kind']> = Extract<ExperimentsNode, { kind: K }>;

function experimentNode(a: Awaited<ReturnType<typeof api>>, name: string): Node<'experiment'> | undefined {
  return a.experimentsTree.getChildren().find((n) => n.kind === 'experiment' && n.experiment.name === name) as Node<'experiment'> | undefined;
}

describe('Training (editor commands)', function () {
  this.timeout(120_000);
  const engine = (process.env.MLOPS_TEST_ENGINE as 'forest' | 'mljs' | undefined) ?? undefined;
  let trained: Run | undefined; // the run Train Model returned (Reproduce Run retrains it)

  it('Create Sample Workspace writes the wafer data, batches and mlops.yaml', async () => {
    const ws = workspaceDir();
    await vscode.commands.executeCommand('mlops.createSampleWorkspace', { folder: ws, open: false });
    for (const f of ['data/wafer_yield.csv', 'data/batches/normal_batch.csv', 'data/batches/temperature_drift_batch.csv', 'data/batches/new_chip_design_batch.csv', 'mlops.yaml']) {
      assert.ok(fs.existsSync(path.join(ws, f)), f);
    }
  });

  it('Train Model trains in the background and the run appears in the tree with its metrics', async () => {
    const a = await api();
    const run = (await vscode.commands.executeCommand('mlops.train', { folder: workspaceDir(), data: 'data/wafer_yield.csv', target: 'yield', params: { n_estimators: 20, max_depth: 6 }, experiment: 'Editor Training', runName: 'from-the-editor', engine })) as Run;
    assert.ok(run, 'the command returned the run');
    trained = run;
    assert.equal(run.effectiveStatus, 'completed');
    assert.ok(run.metrics.r2_test > 0.5);
    // The tree's runs come from the store index in a worker: the run shows once it has read the finished run.
    const { value: runNode } = await waitFor('the run in the tree with its metrics', () => {
      const exp = experimentNode(a, 'Editor Training');
      const n = exp && (a.experimentsTree.getChildren(exp)[0] as Node<'run'> | undefined);
      return n && /★ best · rmse_test \d+\.\d+/.test(String(item(a, n).description)) ? n : undefined;
    }, 10_000);
    assert.equal(item(a, runNode).label, 'from-the-editor');
    assert.deepEqual(run.params.n_estimators, 20);
  });

  it('a sweep cancelled after its first run leaves completed and cancelled runs, none running', async () => {
    const a = await api();
    const combos = [1, 2, 3, 4].map((i) => ({ n_estimators: 30 * i, max_depth: 8 }));
    const res = (await vscode.commands.executeCommand('mlops.runSweep', { folder: workspaceDir(), data: 'data/wafer_yield.csv', target: 'yield', combinations: combos, parallel: 1, experiment: 'Cancelled Sweep', testCancelAfterRuns: 1, engine })) as SweepResult;
    assert.ok(res, 'the command returned the sweep result');
    assert.ok(res.runs.length >= 1, `${res.runs.length} runs completed`);
    assert.ok(res.cancelled >= 1, `${res.cancelled} cancelled`);
    assert.equal(res.runs.length + res.cancelled + res.failed.length, 4);
    let statuses: string[] = [];
    await waitFor(`the sweep's runs in the tree, none running`, () => {
      const exp = experimentNode(a, 'Cancelled Sweep');
      statuses = exp ? (a.experimentsTree.getChildren(exp) as Node<'run'>[]).map((n) => n.run.effectiveStatus) : [];
      return statuses.length >= res.runs.length && statuses.includes('completed') && !statuses.includes('running');
    }, 10_000).catch((e: Error) => assert.fail(`${e.message}: statuses ${statuses}`));
    const snap = a.stores.all()[0].snapshot;
    assert.deepEqual(snap.problems, [], 'the store is consistent');
  });

  it('a full sweep of the config grid marks the best run in the tree', async () => {
    const a = await api();
    const res = (await vscode.commands.executeCommand('mlops.runSweep', { folder: workspaceDir(), combinations: [{ n_estimators: 10, max_depth: 3 }, { n_estimators: 10, max_depth: 8 }, { n_estimators: 15, max_depth: 'none' }], experiment: 'Grid', engine })) as SweepResult;
    assert.equal(res.runs.length, 3);
    const { value: best } = await waitFor('the grid experiment with its three runs completed, one starred', () => {
      const exp = experimentNode(a, 'Grid');
      const runs = exp ? (a.experimentsTree.getChildren(exp) as Node<'run'>[]) : [];
      return runs.length === 3 && runs.every((n) => n.run.effectiveStatus === 'completed') ? runs.find((n) => n.isBest) : undefined;
    }, 10_000);
    const tree = (a.experimentsTree.getChildren(experimentNode(a, 'Grid')) as Node<'run'>[]).map((n) => `${n.run.id.slice(0, 6)} ${n.run.effectiveStatus} rmse_test=${n.run.metrics.rmse_test}${n.isBest ? ' ★' : ''}`);
    const disk = res.runs.map((r) => `${r.id.slice(0, 6)} rmse_test=${r.metrics.rmse_test}`);
    assert.equal(best.run.id, res.best!.id, `tree: ${tree.join('; ')} — sweep: ${disk.join('; ')}`);
  });

  it('Reproduce Run retrains with identical metrics', async () => {
    const original = trained!;
    const res = (await vscode.commands.executeCommand('mlops.reproduceRun', original.id, { confirm: false })) as { run: Run; identical: boolean };
    assert.equal(res.identical, true);
    assert.equal(res.run.tags.reproduces, original.id);
    assert.equal(res.run.metrics.rmse_test, original.metrics.rmse_test);
  });

  it("Run Training Command runs a user's script and logs what it prints", async () => {
    const ws = workspaceDir();
    fs.writeFileSync(path.join(ws, 'my_train.js'), "for (let e = 0; e < 3; e++) console.log(`mlops:metric val_loss=${1 / (e + 1)} step=${e}`);\nconsole.log('mlops:param lr=0.01');\n");
    const node = process.execPath.includes('code-server') || process.versions.electron === undefined ? process.execPath : 'node';
    const run = (await vscode.commands.executeCommand('mlops.runTrainingCommand', { folder: ws, command: `"${node}" my_train.js`, experiment: 'Custom Scripts' })) as Run;
    assert.equal(run.effectiveStatus, 'completed');
    assert.equal(run.metrics.val_loss, 1 / 3);
    assert.equal(run.params.lr, '0.01');
    assert.equal(run.tags.trainer, 'command');
  });
});
