/** The Model Registry in a real extension host: commands, the tree, the status bar, history, predict. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ModelVersion } from '../../src/core/registry/registry';
import type { RegistryNode } from '../../src/extension/registry/registryTree';
import { api, mlops, waitFor, workspaceDir } from './helpers';

type Node<K extends RegistryNode['kind']> = Extract<RegistryNode, { kind: K }>;

describe('Model Registry (editor)', function () {
  this.timeout(120_000);
  const runs: string[] = [];

  /** The model's node once the tree has loaded what the last command changed (it reads the registry through the store's RunSource). */
  const model = async () => {
    const a = await api();
    await a.registryTree.whenLoaded();
    return a.registryTree.getChildren().find((n) => n.kind === 'model' && n.model.name === 'YieldPredictor') as Node<'model'> | undefined;
  };
  const stageCounts = async () => {
    const a = await api();
    const m = await model();
    return Object.fromEntries((a.registryTree.getChildren(m!) as Node<'stage'>[]).map((s) => [s.stage, s.versions.map((v) => v.version)]));
  };

  before(async () => {
    // The sample's own pipeline would register YieldPredictor versions when its data appears: keep triggers paused here.
    await vscode.commands.executeCommand('mlops.pausePipelineTriggers');
    const ws = workspaceDir();
    if (!fs.existsSync(path.join(ws, 'data', 'wafer_yield.csv'))) assert.equal(mlops('init', '.', '--sample').code, 0);
    for (const n of [4, 6]) {
      const r = mlops('train', '--engine', 'mljs', '--data', 'data/wafer_yield.csv', '--target', 'yield', '-p', `n_estimators=${n}`, '-p', 'max_depth=5', '-e', 'Registry Source', '--json');
      assert.equal(r.code, 0, r.err);
      runs.push(JSON.parse(r.out).id);
    }
  });

  after(() => vscode.commands.executeCommand('mlops.resumePipelineTriggers'));

  it('Register Model creates v1 and v2, shown under their stage group', async () => {
    const a = await api();
    const v1 = (await vscode.commands.executeCommand('mlops.registerModel', { runId: runs[0], name: 'YieldPredictor' })) as ModelVersion;
    const v2 = (await vscode.commands.executeCommand('mlops.registerModel', { runId: runs[1], name: 'YieldPredictor' })) as ModelVersion;
    assert.equal(v1.version, 1);
    assert.equal(v2.version, 2);
    await waitFor('the model in the tree', () => model(), 3000);
    assert.deepEqual(await stageCounts(), { Production: [], Staging: [], None: [2, 1], Archived: [] });
    const m = (await model())!;
    const none = (a.registryTree.getChildren(m) as Node<'stage'>[]).find((s) => s.stage === 'None')!;
    const item = a.registryTree.getTreeItem(a.registryTree.getChildren(none)[0]);
    assert.equal(item.label, 'v2');
    assert.match(String(item.description), /rmse_test \d/);
    assert.equal(item.contextValue, 'version.None');
    assert.equal(a.registryTree.getTreeItem(none).description, '2');
  });

  it('promotes v1 then v2 to Production (v1 archived), the status bar follows, and rollback puts v1 back', async () => {
    const a = await api();
    // With several models in the workspace, the status bar shows the one the user picked.
    assert.equal(await vscode.commands.executeCommand('mlops.selectStatusBarModel', 'YieldPredictor'), 'YieldPredictor');
    await vscode.commands.executeCommand('mlops.promoteToStaging', { model: 'YieldPredictor', version: 1 });
    await vscode.commands.executeCommand('mlops.promoteToProduction', { model: 'YieldPredictor', version: 1, reason: 'passed staging' });
    assert.deepEqual(await stageCounts(), { Production: [1], Staging: [], None: [2], Archived: [] });
    await waitFor('status bar v1', () => a.statusBar.text === '$(rocket) YieldPredictor v1', 3000);
    await vscode.commands.executeCommand('mlops.promoteToStaging', { model: 'YieldPredictor', version: 2 });
    await vscode.commands.executeCommand('mlops.promoteToProduction', { model: 'YieldPredictor', version: 2, reason: 'better' });
    assert.deepEqual(await stageCounts(), { Production: [2], Staging: [], None: [], Archived: [1] });
    await waitFor('status bar v2', () => a.statusBar.text === '$(rocket) YieldPredictor v2', 3000);
    await vscode.commands.executeCommand('mlops.rollbackProduction', { model: 'YieldPredictor', reason: 'yield alarms' });
    assert.deepEqual(await stageCounts(), { Production: [1], Staging: [], None: [], Archived: [2] });
    await waitFor('status bar v1 again', () => a.statusBar.text === '$(rocket) YieldPredictor v1', 3000);
    assert.equal(a.statusBar.command, 'mlops.focusRegistry');
  });

  it('aliases show in the tree; Predict with Model writes predictions through models:/NAME@ALIAS', async () => {
    const a = await api();
    await vscode.commands.executeCommand('mlops.setAlias', { model: 'YieldPredictor', version: 2, alias: 'challenger' });
    const m = (await model())!;
    const archived = (a.registryTree.getChildren(m) as Node<'stage'>[]).find((s) => s.stage === 'Archived')!;
    assert.match(String(a.registryTree.getTreeItem(a.registryTree.getChildren(archived)[0]).description), /@challenger/);
    const res = (await vscode.commands.executeCommand('mlops.predict', { uri: 'models:/YieldPredictor@challenger', data: 'data/batches/normal_batch.csv', out: 'predictions.csv', folder: workspaceDir() })) as { rows: number; version: number };
    assert.equal(res.rows, 50);
    assert.equal(res.version, 2);
    const lines = fs.readFileSync(path.join(workspaceDir(), 'predictions.csv'), 'utf8').trim().split('\n');
    assert.equal(lines.length, 51);
  });

  it('a version node and a {model, version} argument resolve alike (Remove Alias from the tree); a folder outside the workspace is a clear error', async () => {
    const a = await api();
    await vscode.commands.executeCommand('mlops.setAlias', { model: 'YieldPredictor', version: 1, alias: 'temporary' });
    const production = (a.registryTree.getChildren((await model())!) as Node<'stage'>[]).find((s) => s.stage === 'Production')!;
    const v1 = a.registryTree.getChildren(production)[0] as Node<'version'>;
    assert.deepEqual([v1.version.version, v1.version.aliases], [1, ['temporary']]);
    assert.equal(await vscode.commands.executeCommand('mlops.removeAlias', v1), 'temporary');
    assert.deepEqual((await model())!.model.aliases, { challenger: 2 });
    const before = a.log.recent.length;
    assert.equal(await vscode.commands.executeCommand('mlops.showHistory', { model: 'YieldPredictor', folder: path.join(workspaceDir(), 'elsewhere') }), undefined);
    assert.ok(a.log.recent.slice(before).some((l) => /^warn mlops\.showHistory: .*elsewhere is not a folder of this workspace/.test(l)), a.log.recent.slice(before).join('\n'));
  });

  it('descriptions and tags are editable and recorded', async () => {
    const a = await api();
    await vscode.commands.executeCommand('mlops.editDescription', { model: 'YieldPredictor', version: 1, description: 'baseline <b>forest</b>' });
    await vscode.commands.executeCommand('mlops.setVersionTag', { model: 'YieldPredictor', version: 1, key: 'validated_by', value: 'qa' });
    const m = (await model())!;
    const v1 = m.model.versions.find((v) => v.version === 1)!;
    assert.equal(v1.description, 'baseline <b>forest</b>');
    assert.deepEqual(v1.tags.validated_by, 'qa');
    const tip = a.registryTree.getTreeItem({ kind: 'version', store: m.store, model: m.model, version: v1 }).tooltip as vscode.MarkdownString;
    assert.match(tip.value, /baseline \\<b\\>forest\\<\/b\\>/, 'the description is escaped in the tooltip');
  });

  it('Show History lists every event, and answers which version was in Production at a time', async () => {
    const before = new Date(Date.now() - 60_000).toISOString();
    const uri = (await vscode.commands.executeCommand('mlops.showHistory', { model: 'YieldPredictor' })) as vscode.Uri;
    const doc = await vscode.workspace.openTextDocument(uri);
    const text = doc.getText();
    assert.match(text, /# YieldPredictor — registry history/);
    assert.match(text, /\| transition \| v2: Staging → Production; v1: Production → Archived \| better \|/);
    assert.match(text, /\| rollback \| rollback: v1: Archived → Production; v2: Production → Archived \| yield alarms \|/);
    assert.match(text, /## In Production/);
    // The intervals, from the replay's structured transitions: v1, then v2 (archiving v1), then v1 again after the rollback.
    const rows = text.split('## In Production')[1].split('## Events')[0].split('\n').filter((l) => /^\| v\d/.test(l));
    assert.deepEqual(rows.map((l) => l.split(' | ')[0]), ['| v1', '| v2', '| v1']);
    assert.deepEqual(rows.map((l) => l.endsWith('| now |')), [false, false, true]);
    const now = (await vscode.commands.executeCommand('mlops.productionAt', { model: 'YieldPredictor', time: new Date().toISOString() })) as number[];
    assert.deepEqual(now, [1]);
    assert.deepEqual(await vscode.commands.executeCommand('mlops.productionAt', { model: 'YieldPredictor', time: before }), []);
  });

  it('refuses promotion by someone not in registry.promoters, and logs the refusal', async () => {
    const cfg = path.join(workspaceDir(), 'mlops.yaml');
    const original = fs.readFileSync(cfg, 'utf8');
    fs.writeFileSync(cfg, original + '\nregistry:\n  promoters: [release-manager@fab.example]\n');
    try {
      const r = await vscode.commands.executeCommand('mlops.promoteToProduction', { model: 'YieldPredictor', version: 2, reason: 'try' });
      assert.equal(r, undefined, 'refused');
      assert.deepEqual(await stageCounts(), { Production: [1], Staging: [], None: [], Archived: [2] });
      const hist = JSON.parse(mlops('models', 'history', 'YieldPredictor', '--json').out);
      assert.equal(hist.at(-1).action, 'refused');
      assert.match(hist.at(-1).reason, /release-manager@fab.example/);
    } finally {
      fs.writeFileSync(cfg, original);
    }
  });

  it('a change made by another process (the CLI) shows in the tree within 2 seconds', async () => {
    assert.equal(mlops('models', 'transition', 'YieldPredictor', '2', 'Staging').code, 0);
    const { ms } = await waitFor('v2 in Staging', async () => (await stageCounts()).Staging.includes(2), 2000);
    assert.ok(ms <= 2000);
  });
});

describe('Register Best Run (editor)', function () {
  this.timeout(120_000);

  it('registers the run the Experiments tree stars, by the experiment\'s declared primary metric and direction', async () => {
    const a = await api();
    const ws = workspaceDir();
    if (!fs.existsSync(path.join(ws, 'data', 'wafer_yield.csv'))) assert.equal(mlops('init', '.', '--sample').code, 0);
    // A declared direction the conventional ranking would not guess: the highest rmse_test is "best" here.
    assert.equal(mlops('experiments', 'create', 'Ranked By Declaration', '--primary-metric', 'rmse_test', '--max').code, 0);
    const ids: string[] = [];
    for (const d of [2, 8]) {
      const r = mlops('train', '--engine', 'mljs', '--data', 'data/wafer_yield.csv', '--target', 'yield', '-p', 'n_estimators=6', '-p', `max_depth=${d}`, '-e', 'Ranked By Declaration', '--json');
      assert.equal(r.code, 0, r.err);
      ids.push(JSON.parse(r.out).id);
    }
    type Exp = Extract<ReturnType<typeof a.experimentsTree.getChildren>[number], { kind: 'experiment' }>;
    const { value: exp } = await waitFor('the experiment with both runs in the tree', () => {
      const n = a.experimentsTree.getChildren().find((x) => x.kind === 'experiment' && x.experiment.name === 'Ranked By Declaration') as Exp | undefined;
      return n && n.runs.length === 2 ? n : undefined;
    }, 5000);
    const worst = exp.runs.slice().sort((x, y) => y.metrics.rmse_test - x.metrics.rmse_test)[0];
    assert.equal(exp.best?.id, worst.id, 'the tree stars the highest rmse_test, as declared');
    const v = (await vscode.commands.executeCommand('mlops.registerBestRun', { experiment: 'Ranked By Declaration', name: 'RankedModel', folder: ws })) as ModelVersion;
    assert.equal(v?.run.id, exp.best?.id, 'Register Best Run registers the starred run');
  });

  it('Register Model takes a unique prefix of a run id, as the CLI does; an unknown id is a clear error', async () => {
    const a = await api();
    const r = mlops('train', '--engine', 'mljs', '--data', 'data/wafer_yield.csv', '--target', 'yield', '-p', 'n_estimators=4', '-e', 'Ranked By Declaration', '--json');
    assert.equal(r.code, 0, r.err);
    const id = JSON.parse(r.out).id as string;
    const v = (await vscode.commands.executeCommand('mlops.registerModel', { runId: id.slice(0, 10), name: 'PrefixModel' })) as ModelVersion;
    assert.equal(v?.run.id, id);
    const before = a.log.recent.length;
    assert.equal(await vscode.commands.executeCommand('mlops.registerModel', { runId: 'ffffffffff', name: 'PrefixModel' }), undefined);
    assert.ok(a.log.recent.slice(before).some((l) => /^warn .*No run id starts with 'ffffffffff'/.test(l)), a.log.recent.slice(before).join('\n'));
  });
});

describe('Check Store (editor)', function () {
  this.timeout(60_000);

  before(() => {
    if (!fs.existsSync(path.join(workspaceDir(), '.mlops', 'store.json'))) assert.equal(mlops('init', '.').code, 0);
  });

  it('a damaged registry line shows as a Problems node in the registry tree and, after MLOps: Check Store, in the Problems panel at its line', async () => {
    const a = await api();
    const events = path.join(workspaceDir(), '.mlops', 'registry', 'events.jsonl');
    const original = fs.existsSync(events) ? fs.readFileSync(events) : undefined;
    try {
      fs.mkdirSync(path.dirname(events), { recursive: true });
      fs.appendFileSync(events, 'garbage, not an event\n');
      const damagedLine = fs.readFileSync(events, 'utf8').trimEnd().split('\n').length;
      const problemsNode = () => {
        const top = a.registryTree.getChildren();
        const all = top.flatMap((n) => (n.kind === 'folder' ? a.registryTree.getChildren(n) : [n]));
        return all.find((n) => n.kind === 'problems') as Node<'problems'> | undefined;
      };
      const { value: node } = await waitFor('the Problems node of the registry', problemsNode, 5000);
      const child = a.registryTree.getChildren(node)[0];
      const treeItem = a.registryTree.getTreeItem(child);
      assert.match(String(treeItem.label), new RegExp(`events\\.jsonl:${damagedLine}$`));
      assert.match(String(treeItem.description), /not valid JSON/);

      const result = (await vscode.commands.executeCommand('mlops.checkStore', { folder: workspaceDir() })) as { findings: { kind: string; line?: number }[] };
      assert.ok(result.findings.some((f) => f.kind === 'damaged-line' && f.line === damagedLine), JSON.stringify(result.findings));
      const diags = vscode.languages.getDiagnostics(vscode.Uri.file(events));
      const d = diags.find((x) => x.range.start.line === damagedLine - 1);
      assert.ok(d, JSON.stringify(diags));
      assert.equal(d.severity, vscode.DiagnosticSeverity.Error);
      assert.equal(d.source, 'MLOps store check');
      assert.match(d.message, /not valid JSON/);
    } finally {
      if (original) fs.writeFileSync(events, original);
      else fs.rmSync(events, { force: true });
    }
    await waitFor('the Problems node gone', () => !a.registryTree.getChildren().some((n) => n.kind === 'problems'), 5000);
  });

  it('a damaged line of the alert log shows as a Problems node in the Alerts view', async () => {
    const a = await api();
    const file = path.join(workspaceDir(), '.mlops', 'monitoring', 'alerts.jsonl');
    const original = fs.existsSync(file) ? fs.readFileSync(file) : undefined;
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.appendFileSync(file, '{"kind":"raised","alert":{"id":"x"}}\n');
      const line = fs.readFileSync(file, 'utf8').trimEnd().split('\n').length;
      const { value: node } = await waitFor('the Problems node of the alerts', () => a.alertsTree.getChildren().find((n) => n.kind === 'alertProblems'), 5000);
      const item = a.alertsTree.getTreeItem(a.alertsTree.getChildren(node)[0]);
      assert.match(String(item.label), new RegExp(`alerts\\.jsonl:${line}$`));
      assert.match(String(item.description), /not an alert/);
    } finally {
      if (original) fs.writeFileSync(file, original);
      else fs.rmSync(file, { force: true });
    }
  });
});
