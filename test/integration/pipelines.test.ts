/**
 * Pipelines in a real extension host: Run Pipeline, the Pipelines tree and report, diagnostics for a broken file,
 * a data_update run when the data changes, and a code_commit run after a commit in a (temporary) git repository.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { PipelineRunRecord } from '../../src/core/pipeline/record';
import type { PipelineNode } from '../../src/extension/pipelines/pipelinesTree';
import { api, mlops, waitFor, workspaceDir } from './helpers';

type Node<K extends PipelineNode['kind']> = Extract<PipelineNode, { kind: K }>;
const ENGINE = process.env.MLOPS_TEST_ENGINE ?? 'mljs';

describe('Pipelines (editor)', function () {
  this.timeout(120_000);
  let ws: string;
  let file: string;
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.email=ci@fab.example', '-c', 'user.name=ci', ...args], { cwd: ws, stdio: 'ignore' });

  before(async () => {
    ws = workspaceDir();
    await vscode.workspace.getConfiguration('mlops').update('pipelines.debounceMs', 300, vscode.ConfigurationTarget.Workspace);
    await vscode.workspace.getConfiguration('mlops').update('pipelines.gitPollMs', 500, vscode.ConfigurationTarget.Workspace);
    if (!fs.existsSync(path.join(ws, '.mlops'))) assert.equal(mlops('init').code, 0);
    fs.mkdirSync(path.join(ws, 'pipe', 'data'), { recursive: true });
    const lines = ['a,b,y'];
    for (let i = 0; i < 300; i++) lines.push(`${i % 17},${(i * 7) % 23},${(i % 17) * 2 + ((i * 7) % 23) * 0.5}`);
    fs.writeFileSync(path.join(ws, 'pipe', 'data', 'batch1.csv'), lines.join('\n') + '\n');
    // A git repository of its own, with a first commit, before the pipeline (and its code_commit trigger) exists.
    git('init', '-q', '-b', 'main');
    git('add', 'pipe/data/batch1.csv');
    git('commit', '-q', '-m', 'first');
    file = path.join(ws, 'pipe', 'pipe.pipeline.yaml');
    fs.writeFileSync(file, `name: pipe\nmodel: PipelineModel\ndata: {source: data/*.csv, target: y}\ntrainer: {engine: ${ENGINE}, params: {n_estimators: 5, max_depth: 6}}\nvalidation: {min_rows: 50}\ngates: {min_r2: 0.5}\ntriggers:\n  data_update: true\n  code_commit: {branch: main}\n`);
    const a = await api();
    await waitFor('the pipeline in the tree', () => a.pipelines.all().find((e) => e.file === file && e.def), 10_000);
  });

  after(async () => {
    await vscode.workspace.getConfiguration('mlops').update('pipelines.debounceMs', undefined, vscode.ConfigurationTarget.Workspace);
    await vscode.workspace.getConfiguration('mlops').update('pipelines.gitPollMs', undefined, vscode.ConfigurationTarget.Workspace);
    fs.rmSync(file, { force: true });
  });

  it('Run Pipeline runs all six stages; the tree shows the run and its stages; the report opens', async () => {
    const a = await api();
    const rec = (await vscode.commands.executeCommand('mlops.runPipeline', file)) as PipelineRunRecord;
    assert.equal(rec.status, 'passed', JSON.stringify(rec.stages.map((s) => [s.name, s.status, s.checks.filter((c) => !c.passed)])));
    assert.equal(rec.trigger, 'manual');
    const pipeNode = a.pipelinesTree.getChildren().find((n) => n.kind === 'pipeline' && n.entry.file === file) as Node<'pipeline'>;
    const runs = a.pipelinesTree.getChildren(pipeNode) as Node<'pipelineRun'>[];
    assert.equal(runs[0].record.id, rec.id);
    assert.equal(a.pipelinesTree.getTreeItem(runs[0]).label, 'manual · passed');
    assert.match(String(a.pipelinesTree.getTreeItem(runs[0]).description), /PipelineModel v1/);
    const stages = a.pipelinesTree.getChildren(runs[0]) as Node<'stage'>[];
    assert.deepEqual(stages.map((s) => a.pipelinesTree.getTreeItem(s).label), ['Data Validation', 'Training', 'Evaluation', 'Model Registration', 'Deployment', 'Smoke Test']);
    assert.equal((a.pipelinesTree.getTreeItem(stages[5]).iconPath as vscode.ThemeIcon).id, 'pass');
    const uri = (await vscode.commands.executeCommand('mlops.openPipelineReport', rec)) as vscode.Uri;
    const doc = await vscode.workspace.openTextDocument(uri);
    assert.match(doc.getText(), /# Pipeline pipe — PASSED/);
    assert.match(doc.getText(), /Single-row latency over 200 calls: p50 [\d.]+ ms, p95 [\d.]+ ms/);
    assert.match(doc.getText(), /\| min\\_r2 \| ✓ passed \| 0\.\d+ \(≥ 0\.5\) \|/);
  });

  it('a new data file starts one data_update run (debounced over the burst)', async () => {
    const a = await api();
    const before = a.pipelines.finished.length;
    const rows = fs.readFileSync(path.join(ws, 'pipe', 'data', 'batch1.csv'), 'utf8');
    fs.writeFileSync(path.join(ws, 'pipe', 'data', 'batch2.csv'), rows);
    fs.appendFileSync(path.join(ws, 'pipe', 'data', 'batch2.csv'), '1,2,3\n');
    fs.appendFileSync(path.join(ws, 'pipe', 'data', 'batch2.csv'), '2,3,4\n');
    const { value } = await waitFor('a data_update run', () => a.pipelines.finished.slice(before).find((r) => r.trigger === 'data_update'), 60_000, 200);
    assert.equal(value.status, 'passed');
    assert.equal(value.data?.file, 'data/batch2.csv');
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(a.pipelines.finished.slice(before).filter((r) => r.trigger === 'data_update').length, 1, 'one run for the burst');
  });

  it('a commit on the configured branch starts a code_commit run', async () => {
    const a = await api();
    const before = a.pipelines.finished.length;
    fs.writeFileSync(path.join(ws, 'pipe', 'train_notes.md'), 'tuned\n');
    git('add', 'pipe/train_notes.md');
    git('commit', '-q', '-m', 'tune');
    const { value } = await waitFor('a code_commit run', () => a.pipelines.finished.slice(before).find((r) => r.trigger === 'code_commit'), 60_000, 200);
    assert.equal(value.status, 'passed');
  });

  it('shows problems of a broken pipeline file as diagnostics at the right line, and refuses to run it', async () => {
    const a = await api();
    const broken = path.join(ws, 'pipe', 'broken.pipeline.yaml');
    fs.writeFileSync(broken, 'model: M\ndata: {source: data/batch1.csv, target: y}\ngates:\n  max_rmse: low\n');
    const doc = await vscode.workspace.openTextDocument(broken);
    await vscode.window.showTextDocument(doc);
    const { value: diags } = await waitFor('diagnostics', () => {
      const d = vscode.languages.getDiagnostics(vscode.Uri.file(broken));
      return d.length ? d : undefined;
    }, 10_000);
    assert.equal(diags[0].range.start.line, 3);
    assert.match(diags[0].message, /'gates.max_rmse' must be a number/);
    assert.equal(diags[0].source, 'mlops');
    const r = await vscode.commands.executeCommand('mlops.runPipeline', broken);
    assert.equal(r, undefined);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    fs.rmSync(broken);
    assert.ok(a.pipelines);
  });

  it('pausing stops automatic triggers', async () => {
    const a = await api();
    await vscode.commands.executeCommand('mlops.pausePipelineTriggers');
    assert.equal(a.pipelines.paused, true);
    assert.equal(await a.pipelines.trigger(file, 'schedule'), undefined);
    await vscode.commands.executeCommand('mlops.resumePipelineTriggers');
    assert.equal(a.pipelines.paused, false);
  });
});
