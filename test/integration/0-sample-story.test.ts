/**
 * Create Sample Workspace "with the story played" in a real extension host: every view is filled (the sweep's runs
 * with a ★, the Production model in the status bar, the pipeline run with its six stages, open alerts, the newest
 * drift report one command away) and the walkthrough's steps are not checked by the story, only by what the user does
 * next. Named to run early (after 0-activation, which removes the store it measured with): the story plays only into
 * a store that holds nothing yet, and the harness starts with an empty workspace folder. Afterwards it removes what it wrote, so the other suites start from that empty folder too.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { StoryResult } from '../../src/core/sample/story';
import type { ExperimentsNode } from '../../src/extension/experiments/experimentsTree';
import type { PipelineNode } from '../../src/extension/pipelines/pipelinesTree';
import type { RegistryNode } from '../../src/extension/registry/registryTree';
import type { AlertNode } from '../../src/extension/monitoring/alertsTree';
import { api, item, waitFor, workspaceDir } from './helpers';

type ENode<K extends ExperimentsNode['kind']> = Extract<ExperimentsNode, { kind: K }>;
type RNode<K extends RegistryNode['kind']> = Extract<RegistryNode, { kind: K }>;
type PNode<K extends PipelineNode['kind']> = Extract<PipelineNode, { kind: K }>;
type ANode<K extends AlertNode['kind']> = Extract<AlertNode, { kind: K }>;

describe('Create Sample Workspace with the story played', function () {
  this.timeout(180_000);
  let written: string[] = [];
  let story: StoryResult;

  after(async () => {
    // Leave the empty folder the harness made (the README.md it wrote is kept: the sample kept it too).
    const ws = workspaceDir();
    fs.rmSync(path.join(ws, 'yield.pipeline.yaml'), { force: true });
    const a = await api();
    await waitFor('the pipeline gone from the Pipelines view', () => a.pipelinesTree.getChildren().length === 0, 10_000).catch(() => undefined);
    for (const f of [...written.filter((w) => w !== 'README.md'), '.mlops', 'data', 'outputs']) fs.rmSync(path.join(ws, f), { recursive: true, force: true });
    a.stores.reloadAll();
    await waitFor('the store gone', () => !a.stores.all()[0].exists, 10_000);
  });

  it('fills every view: ★ runs, Production in the status bar, the pipeline run with six stages, open alerts', async () => {
    const a = await api();
    const ws = workspaceDir();
    assert.ok(!a.stores.all()[0].exists, 'the story test runs first, on the empty workspace folder');
    const t0 = Date.now();
    const res = (await vscode.commands.executeCommand('mlops.createSampleWorkspace', { folder: ws, open: false, story: true })) as { written: string[]; story?: StoryResult };
    const ms = Date.now() - t0;
    written = res.written;
    assert.ok(res.story?.played, 'the story played');
    story = res.story;
    console.log(`      the story played in ${story.seconds.toFixed(1)} s in the extension host (the command took ${ms} ms): ${story.steps.map((s) => `${s.step} ${s.seconds.toFixed(1)} s`).join(', ')}`);
    assert.ok(written.includes('train.py') && written.includes('mlops.yaml'));

    // Experiments: the sweep with its ★ run, and the pipeline's run.
    const exp = (name: string) => a.experimentsTree.getChildren().find((n): n is ENode<'experiment'> => n.kind === 'experiment' && n.experiment.name === name);
    // The tree's runs come from the store index in a worker: wait until it has read the whole story.
    const { value: sweep } = await waitFor('the sweep (5 runs) and the pipeline run experiments in the tree', () => {
      const s = exp('YieldPrediction_RandomForest');
      return s && exp('YieldPredictor_pipeline') && a.experimentsTree.getChildren(s).length === 5 ? s : undefined;
    }, 10_000);
    const runs = a.experimentsTree.getChildren(sweep) as ENode<'run'>[];
    assert.equal(runs.length, 5);
    const starred = runs.filter((n) => /★ best/.test(String(item(a, n).description)));
    assert.deepEqual(starred.map((n) => n.run.id), [story.sweep.best.id], 'the sweep’s best run carries the ★');

    // Model Registry: v1 Production, v2 Staging; the status bar shows Production.
    await a.registryTree.whenLoaded();
    const model = a.registryTree.getChildren().find((n): n is RNode<'model'> => n.kind === 'model' && n.model.name === 'YieldPredictor');
    assert.ok(model, 'YieldPredictor in the Model Registry view');
    const stages = Object.fromEntries((a.registryTree.getChildren(model) as RNode<'stage'>[]).map((s) => [s.stage, s.versions.map((v) => v.version)]));
    assert.deepEqual(stages.Production, [1]);
    assert.deepEqual(stages.Staging, [2]);
    await waitFor('the status bar showing Production', () => a.statusBar.text.includes('YieldPredictor v1'), 10_000);

    // Pipelines: the run of yield-retrain with its six passed stages.
    const { value: pipeline } = await waitFor('yield.pipeline.yaml in the Pipelines view', () => a.pipelinesTree.getChildren().find((n): n is PNode<'pipeline'> => n.kind === 'pipeline' && path.basename(n.entry.file) === 'yield.pipeline.yaml'), 10_000);
    const { value: pipelineRun } = await waitFor('the pipeline run', () => (a.pipelinesTree.getChildren(pipeline) as PNode<'pipelineRun'>[]).find((n) => n.record.id === story.pipeline.id), 10_000);
    assert.deepEqual((a.pipelinesTree.getChildren(pipelineRun) as PNode<'stage'>[]).map((s) => s.stage.status), ['passed', 'passed', 'passed', 'passed', 'passed', 'passed']);

    // Alerts: open, for the +10 °C and new-chip batches; the newest report (the status-bar item's) one command away.
    const { value: alertModel } = await waitFor('YieldPredictor in the Alerts view', () => a.alertsTree.getChildren().find((n): n is ANode<'alertModel'> => n.kind === 'alertModel' && n.model === 'YieldPredictor'), 10_000);
    assert.ok(alertModel.alerts.length > 0 && alertModel.alerts.every((x) => x.status === 'open'));
    assert.deepEqual([...new Set(alertModel.alerts.map((x) => x.batch))].sort(), ['new_chip_design_batch.csv', 'temperature_drift_batch.csv']);
    assert.equal(a.monitoring.reportsOf(ws).length, 3);
    const panel = await vscode.commands.executeCommand('mlops.openDriftReport');
    assert.ok(panel, 'Open Drift Report opened the newest report');
    assert.equal(a.drift.panels().length, 1);
    assert.equal(a.monitoring.locateReport(ws)?.report.batch, 'temperature_drift_batch.csv', 'the newest report is the +10 °C batch');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    assert.deepEqual(a.stores.all()[0].snapshot.problems, [], 'the store is consistent');
  });

  it('the walkthrough: the sample is open, but the story checks none of the steps the user is to try', async () => {
    const a = await api();
    await waitFor('the sample seen', () => a.walkthrough.facts.includes('sampleOpen'), 5_000);
    await new Promise((r) => setTimeout(r, 700)); // past the progress' debounce
    a.walkthrough.check();
    assert.deepEqual(a.walkthrough.facts, ['sampleOpen']);
  });

  it('a sweep and a drift check of the user’s own check their steps', async () => {
    const a = await api();
    const ws = workspaceDir();
    await vscode.commands.executeCommand('mlops.runSweep', { folder: ws, combinations: [{ n_estimators: 10, max_depth: 4 }, { n_estimators: 20, max_depth: 4 }], experiment: 'Walkthrough Sweep' });
    await waitFor('the sweep step', () => a.walkthrough.facts.includes('sweepFinished'), 10_000);
    await vscode.commands.executeCommand('mlops.checkDrift', { folder: ws, current: 'data/batches/normal_batch.csv', model: 'YieldPredictor' });
    await waitFor('the drift step', () => a.walkthrough.facts.includes('driftChecked'), 10_000);
    assert.ok(!a.walkthrough.facts.includes('promoted') && !a.walkthrough.facts.includes('pipelineRan'), a.walkthrough.facts.join(', '));
  });

  it('a second Create Sample Workspace with the story leaves the sample as it is and says why', async () => {
    const a = await api();
    const before = a.stores.all()[0].snapshot.runs.length;
    const res = (await vscode.commands.executeCommand('mlops.createSampleWorkspace', { folder: workspaceDir(), open: false, story: true })) as { written: string[]; story?: { played: boolean; reason?: string } };
    assert.deepEqual(res.written, []);
    assert.equal(res.story?.played, false);
    assert.match(res.story?.reason ?? '', /already played/);
    a.stores.reloadAll();
    assert.equal(a.stores.all()[0].snapshot.runs.length, before);
  });
});
