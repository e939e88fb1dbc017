/**
 * The foundation in a real extension host: activation, the Experiments tree fed by runs the CLI writes,
 * filter, open/delete/restore/copy commands, corrupt files, interrupted runs and live refresh from other processes.
 */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ExperimentsNode } from '../../src/extension/experiments/experimentsTree';
import type { RunDetailsToWebview } from '../../src/shared/protocol';
import { api, FIXTURES, item, labels, mlops, waitFor, workspaceDir } from './helpers';

type Node<K extends ExperimentsNode['kind']> = Extract<ExperimentsNode, { kind: K }>;

describe('Experiments view (foundation)', function () {
  this.timeout(60_000);

  it('activates and registers every contributed command', async () => {
    const a = await api();
    assert.ok(a.experimentsTree);
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8'));
    const all = await vscode.commands.getCommands(true);
    for (const c of pkg.contributes.commands as { command: string }[]) assert.ok(all.includes(c.command), `command ${c.command} registered`);
  });

  it('shows nothing (so the welcome view shows) while the workspace has no store', async () => {
    const a = await api();
    assert.equal(fs.existsSync(path.join(workspaceDir(), '.mlops')), false);
    assert.deepEqual(a.experimentsTree.getChildren(), []);
  });

  it('shows runs written by the CLI within 2 seconds: experiment → runs, newest first, best starred', async () => {
    const a = await api();
    assert.equal(mlops('init').code, 0);
    const grid: [number, string, string][] = [[50, '5', '3.41'], [100, '10', '3.12'], [200, 'none', '3.27']];
    for (const [n, d, rmse] of grid) {
      const r = mlops('runs', 'create', '-e', 'YieldPrediction_RandomForest', '-n', `rf-${n}-${d}`, '-p', `n_estimators=${n}`, '-p', `max_depth=${d}`, '-m', `rmse_test=${rmse}`, '-m', 'r2_test=0.8');
      assert.equal(r.code, 0, r.err);
    }
    const { ms } = await waitFor('three runs in the tree', () => {
      const exps = a.experimentsTree.getChildren();
      const exp = exps.find((n) => n.kind === 'experiment') as Node<'experiment'> | undefined;
      return exp && exp.runs.length === 3 ? exp : undefined;
    }, 2000);
    assert.ok(ms <= 2000, `appeared after ${ms} ms`);
    const exp = a.experimentsTree.getChildren().find((n) => n.kind === 'experiment') as Node<'experiment'>;
    assert.equal(item(a, exp).label, 'YieldPrediction_RandomForest');
    assert.match(String(item(a, exp).description), /3 runs · by rmse_test \(lowest\)/);
    assert.deepEqual(labels(a, exp), ['rf-200-none', 'rf-100-10', 'rf-50-5']);
    const runs = a.experimentsTree.getChildren(exp) as Node<'run'>[];
    const best = runs.find((r) => r.isBest)!;
    assert.equal(best.run.name, 'rf-100-10');
    assert.match(String(item(a, best).description), /^★ best · rmse_test 3\.12 · just now$/);
    assert.match(String(item(a, runs[0]).description), /^rmse_test 3\.27 · just now$/);
    const tip = item(a, best).tooltip as vscode.MarkdownString;
    assert.match(tip.value, /\| n\\_estimators \| 100 \|/);
    assert.match(tip.value, /\| rmse\\_test \| 3\\\.12 \|/);
    assert.equal((item(a, best).iconPath as vscode.ThemeIcon).id, 'pass');
    assert.equal(item(a, best).command?.command, 'mlops.openRun');
  });

  it('filters runs with the filter language and shows the active filter in the view description', async () => {
    const a = await api();
    await vscode.commands.executeCommand('mlops.filterRuns', 'metrics.rmse_test < 3.3 and params.n_estimators >= 100');
    assert.equal(a.experimentsTree.filter, 'metrics.rmse_test < 3.3 and params.n_estimators >= 100');
    assert.equal(a.experimentsView.description, 'filter: metrics.rmse_test < 3.3 and params.n_estimators >= 100');
    const exp = a.experimentsTree.getChildren().find((n) => n.kind === 'experiment')!;
    assert.deepEqual(labels(a, exp), ['rf-200-none', 'rf-100-10']);
    // An invalid filter is refused and the active one stays.
    await vscode.commands.executeCommand('mlops.filterRuns', 'metrics.rmse_test <');
    assert.equal(a.experimentsTree.filter, 'metrics.rmse_test < 3.3 and params.n_estimators >= 100');
    await vscode.commands.executeCommand('mlops.filterRuns', "params.max_depth = 'none' or params.max_depth = 5");
    assert.deepEqual(labels(a, a.experimentsTree.getChildren().find((n) => n.kind === 'experiment')!), ['rf-200-none', 'rf-50-5']);
    await vscode.commands.executeCommand('mlops.filterRuns', "name = 'nothing-matches'");
    assert.deepEqual(labels(a), ['No runs match the filter']);
    await vscode.commands.executeCommand('mlops.clearFilter');
    assert.equal(a.experimentsTree.filter, undefined);
    assert.equal(a.experimentsView.description, undefined);
    assert.equal((a.experimentsTree.getChildren().find((n) => n.kind === 'experiment') as Node<'experiment'>).runs.length, 3);
  });

  it('Open Run shows the run in a webview that receives its data', async () => {
    const a = await api();
    const exp = a.experimentsTree.getChildren().find((n) => n.kind === 'experiment')!;
    const run = (a.experimentsTree.getChildren(exp) as Node<'run'>[]).find((r) => r.run.name === 'rf-100-10')!;
    // VS Code for the Web sometimes never starts a webview created soon after others were closed (its service worker
    // handshake hangs, microsoft/vscode#125993; the compare and drift suites open many): then close it and open it
    // once more, as a person would.
    let panel: ReturnType<typeof a.runDetailsPanel>;
    let msg: RunDetailsToWebview | undefined;
    for (let attempt = 1; !msg; attempt++) {
      await vscode.commands.executeCommand('mlops.openRun', run);
      panel = a.runDetailsPanel(run.run.id);
      assert.ok(panel, 'panel opened');
      assert.equal(panel.panel.title, 'Run: rf-100-10');
      try {
        msg = (await waitFor('the run message (the webview posted ready)', () => panel!.forTests.sent.find((m) => m.type === 'run'), attempt === 1 ? 15_000 : 30_000)).value;
      } catch (e) {
        if (attempt > 1) throw e;
        panel.dispose();
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    assert.ok(msg.type === 'run');
    assert.equal(msg.run.id, run.run.id);
    assert.deepEqual(msg.run.params, { n_estimators: 100, max_depth: 10 });
    assert.equal(msg.run.metrics.rmse_test, 3.12);
    assert.equal(msg.history.find((s) => s.key === 'rmse_test')?.points.length, 1);
    panel!.dispose();
  });

  it('Copy Run ID puts the id on the clipboard', async () => {
    const a = await api();
    const exp = a.experimentsTree.getChildren().find((n) => n.kind === 'experiment')!;
    const run = (a.experimentsTree.getChildren(exp) as Node<'run'>[])[0];
    await vscode.commands.executeCommand('mlops.copyRunId', run);
    assert.equal(await vscode.env.clipboard.readText(), run.run.id);
  });

  it('Delete Run moves the run to the trash; Restore Run brings it back', async () => {
    const a = await api();
    const exp = a.experimentsTree.getChildren().find((n) => n.kind === 'experiment')!;
    const run = (a.experimentsTree.getChildren(exp) as Node<'run'>[]).find((r) => r.run.name === 'rf-50-5')!;
    await vscode.commands.executeCommand('mlops.deleteRun', run);
    const exp2 = a.experimentsTree.getChildren().find((n) => n.kind === 'experiment')!;
    assert.deepEqual(labels(a, exp2), ['rf-200-none', 'rf-100-10']);
    const trash = a.experimentsTree.getChildren().find((n) => n.kind === 'trash') as Node<'trash'>;
    assert.ok(trash, 'trash node shown');
    assert.equal(item(a, trash).label, 'Trash (1)');
    assert.ok(fs.existsSync(path.join(workspaceDir(), '.mlops', 'trash', run.run.id, 'run.json')));
    const trashed = a.experimentsTree.getChildren(trash)[0] as Node<'trashedRun'>;
    assert.equal(item(a, trashed).label, 'rf-50-5');
    assert.equal(item(a, trashed).contextValue, 'trashedRun');
    await vscode.commands.executeCommand('mlops.restoreRun', trashed);
    assert.deepEqual(labels(a, a.experimentsTree.getChildren().find((n) => n.kind === 'experiment')!), ['rf-200-none', 'rf-100-10', 'rf-50-5']);
    assert.equal(a.experimentsTree.getChildren().some((n) => n.kind === 'trash'), false);
  });

  it('reports a corrupt run file (with its path) in the tree and the output, leaves it, and still loads the rest', async () => {
    const a = await api();
    const created = mlops('runs', 'create', '-e', 'Broken', '-n', 'to-be-corrupted');
    const id = created.out.trim();
    const file = path.join(workspaceDir(), '.mlops', 'runs', id, 'run.json');
    fs.writeFileSync(file, '{"id": "half a document');
    fs.writeFileSync(path.join(workspaceDir(), '.mlops', 'generation'), `corrupted ${Date.now()}`); // what a writer would signal
    const { value: problems } = await waitFor('a Problems node', () => a.experimentsTree.getChildren().find((n) => n.kind === 'problems') as Node<'problems'> | undefined, 3000);
    const child = a.experimentsTree.getChildren(problems)[0] as Node<'problem'>;
    assert.equal(child.problem.file, file);
    assert.match(String(item(a, child).description), /invalid JSON/);
    assert.equal(item(a, child).resourceUri?.fsPath, file);
    assert.equal(fs.readFileSync(file, 'utf8'), '{"id": "half a document', 'left in place, unchanged');
    const exp = a.experimentsTree.getChildren().find((n) => n.kind === 'experiment' && n.experiment.name === 'YieldPrediction_RandomForest') as Node<'experiment'>;
    assert.equal(exp.runs.length, 3, 'the other runs still load');
    // Repair by hand (as a user would): the problem disappears.
    fs.rmSync(path.join(workspaceDir(), '.mlops', 'runs', id), { recursive: true });
    await waitFor('the Problems node to go away', () => !a.experimentsTree.getChildren().some((n) => n.kind === 'problems'), 10_000); // a file event (no writer signals a hand repair) reaches the worker as a hint
  });

  it('shows a run whose writer died as interrupted, not running', async () => {
    const a = await api();
    const child = spawn(process.execPath, [path.join(FIXTURES, 'writer.js'), 'hang', path.join(workspaceDir(), '.mlops')], { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, stdio: ['ignore', 'pipe', 'inherit'] });
    const id = await new Promise<string>((resolve) => {
      let buf = '';
      child.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        const m = /started ([0-9a-f]{32})/.exec(buf);
        if (m) resolve(m[1]);
      });
    });
    const find = () => {
      const exp = a.experimentsTree.getChildren().find((n) => n.kind === 'experiment' && n.experiment.name === 'crash');
      return exp ? (a.experimentsTree.getChildren(exp) as Node<'run'>[]).find((r) => r.run.id === id) : undefined;
    };
    const { value: running } = await waitFor('the running run', () => find(), 3000);
    assert.equal((item(a, running).iconPath as vscode.ThemeIcon).id, 'sync~spin');
    child.kill('SIGKILL');
    const { value: dead } = await waitFor('the run to show as interrupted', () => {
      const r = find();
      return r && r.run.interrupted ? r : undefined;
    }, 6000);
    assert.equal(dead.run.effectiveStatus, 'failed');
    assert.equal((item(a, dead).iconPath as vscode.ThemeIcon).id, 'warning');
    assert.match(String(item(a, dead).description), /interrupted/);
  });

  it('logs what it does in the MLOps output channel', async () => {
    const a = await api();
    assert.equal(a.log.channel.name, 'MLOps');
  });
});
