/**
 * Monitoring in a real extension host: a monitor in mlops.yaml watching a batch folder; a drifted batch dropped into
 * it becomes alerts in the Alerts tree and the status bar within seconds, and (retrain: true) starts the model's
 * pipeline with trigger `drift`; acknowledge / dismiss / reopen; a broken monitoring section is a diagnostic on
 * mlops.yaml with its line; Check Drift with a batch that lacks a column says which.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseDocument } from 'yaml';
import type { Alert } from '../../src/core/monitoring/alerts';
import type { DriftReport } from '../../src/core/monitoring/monitor';
import type { AlertNode } from '../../src/extension/monitoring/alertsTree';
import { api, mlops, waitFor, workspaceDir } from './helpers';

const MODEL = 'MonitoredYield';

/** A regression data set y = 3a − 2b + c-effect, with `shift` added to column a (the sensor drift). */
function rows(n: number, seed: number, shift = 0): string {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const out = ['a,b,kind,y'];
  for (let i = 0; i < n; i++) {
    const a = rnd() * 10;
    const b = rnd() * 5;
    const kind = ['x', 'y', 'z'][Math.floor(rnd() * 3)];
    const y = 3 * a - 2 * b + (kind === 'z' ? 4 : 0) + (rnd() - 0.5);
    out.push(`${(a + shift).toFixed(4)},${b.toFixed(4)},${kind},${y.toFixed(4)}`);
  }
  return out.join('\n') + '\n';
}

describe('Monitoring (editor)', function () {
  this.timeout(180_000);
  let ws: string;
  let config: string;
  let originalConfig: string | undefined;
  const labelOf = (it: vscode.TreeItem) => (typeof it.label === 'string' ? it.label : (it.label?.label ?? ''));

  /** Every alert node in the Alerts tree (model → severity → alert). */
  async function alertNodes(): Promise<Extract<AlertNode, { kind: 'alert' }>[]> {
    const m = (await api()).alertsTree;
    return m.getChildren().flatMap((model) => m.getChildren(model).flatMap((sev) => m.getChildren(sev))) as Extract<AlertNode, { kind: 'alert' }>[];
  }

  function writeConfig(monitoring: unknown): void {
    const doc = parseDocument(originalConfig ?? '');
    if (!doc.contents) doc.contents = doc.createNode({}) as never;
    doc.set('monitoring', monitoring);
    fs.writeFileSync(config, doc.toString());
  }

  before(async () => {
    ws = workspaceDir();
    if (!fs.existsSync(path.join(ws, '.mlops'))) assert.equal(mlops('init').code, 0);
    config = path.join(ws, 'mlops.yaml');
    originalConfig = fs.existsSync(config) ? fs.readFileSync(config, 'utf8') : undefined;
    fs.mkdirSync(path.join(ws, 'mon', 'data'), { recursive: true });
    fs.mkdirSync(path.join(ws, 'mon', 'batches'), { recursive: true });
    fs.writeFileSync(path.join(ws, 'mon', 'data', 'train.csv'), rows(400, 7));
    const r = mlops('train', '--engine', 'forest', '--data', 'mon/data/train.csv', '--target', 'y', '-p', 'n_estimators=20', '-p', 'max_depth=8', '-e', 'Monitoring Source', '--json');
    assert.equal(r.code, 0, r.err);
    const runId = JSON.parse(r.out).id as string;
    assert.equal(mlops('models', 'register', '--run', runId, '--name', MODEL).code, 0);
    assert.equal(mlops('models', 'transition', MODEL, '1', 'Staging').code, 0);
    assert.equal(mlops('models', 'transition', MODEL, '1', 'Production').code, 0);
    // The model's retraining pipeline, started by drift alerts only.
    fs.writeFileSync(
      path.join(ws, 'mon', 'mon.pipeline.yaml'),
      `name: mon-retrain\nmodel: ${MODEL}\ndata: {source: data/train.csv, target: y}\ntrainer: {engine: forest, params: {n_estimators: 10, max_depth: 6}}\nvalidation: {min_rows: 50}\ngates: {min_r2: 0.5}\ntriggers:\n  drift: true\n`,
    );
    const a = await api();
    await waitFor('the retraining pipeline', () => a.pipelines.all().find((e) => e.def?.name === 'mon-retrain'), 10_000);
  });

  after(async () => {
    if (originalConfig === undefined) fs.rmSync(config, { force: true });
    else fs.writeFileSync(config, originalConfig);
    fs.rmSync(path.join(ws, 'mon', 'mon.pipeline.yaml'), { force: true });
    await waitFor('the watchers disarmed', async () => !(await api()).monitoring.batchWatchers.armed.get(ws)?.some((x) => x.model === MODEL), 10_000);
  });

  it('a broken monitoring section in mlops.yaml is an error on its line, and nothing is watched', async () => {
    const a = await api();
    writeConfig({ monitors: [{ model: MODEL, current: 'mon/batches/*.csv', watch: 'yes' }] });
    const uri = vscode.Uri.file(config);
    const { value: diags } = await waitFor('a diagnostic on mlops.yaml', () => {
      const d = vscode.languages.getDiagnostics(uri).filter((x) => x.source === 'MLOps');
      return d.length ? d : undefined;
    }, 10_000);
    assert.match(diags[0].message, /monitoring\.monitors\[0\]\.watch must be true or false/);
    const text = fs.readFileSync(config, 'utf8').split('\n');
    assert.match(text[diags[0].range.start.line], /watch: yes/, 'the diagnostic points at the watch line');
    assert.equal(a.monitoring.batchWatchers.armed.get(ws)?.some((x) => x.model === MODEL) ?? false, false);
  });

  it('a drifted batch dropped into the watched folder becomes alerts in the tree and the status bar within seconds', async () => {
    const a = await api();
    // An existing batch is not a new one: only files that appear after the watcher starts are checked.
    fs.writeFileSync(path.join(ws, 'mon', 'batches', 'old.csv'), rows(200, 11));
    writeConfig({ monitors: [{ model: MODEL, current: 'mon/batches/*.csv', watch: true, retrain: true, performance_threshold: 0.2 }] });
    await waitFor('the monitor armed', () => a.monitoring.batchWatchers.armed.get(ws)?.find((x) => x.model === MODEL && x.glob === 'mon/batches/*.csv'), 10_000);
    assert.equal(vscode.languages.getDiagnostics(vscode.Uri.file(config)).filter((x) => x.source === 'MLOps').length, 0, 'the fixed file has no diagnostic');
    const openBefore = a.monitoring.allAlerts().filter((x) => x.alert.status === 'open').length;
    const reportsBefore = a.monitoring.reportsOf(ws).length;
    const pipelineRunsBefore = a.pipelines.finished.length;

    const t0 = Date.now();
    fs.writeFileSync(path.join(ws, 'mon', 'batches', 'shifted.csv'), rows(200, 12, 10));
    const { value: node } = await waitFor('the alert for column a in the Alerts tree', async () => (await alertNodes()).find((n) => n.alert.model === MODEL && n.alert.subject === 'a' && n.alert.batch === 'shifted.csv'), 15_000, 100);
    const seconds = (Date.now() - t0) / 1000;
    console.log(`      drifted batch → alert in the tree: ${seconds.toFixed(2)} s`);
    assert.ok(seconds < 10, `within seconds (${seconds} s)`);
    // What the alert says.
    assert.equal(node.alert.type, 'data_drift');
    assert.equal(node.alert.method, 'ks');
    assert.equal(node.alert.status, 'open');
    assert.ok(Math.abs(Number(node.alert.currentValue) - Number(node.alert.referenceValue) - 10) < 1, `mean moved by ~10: ${node.alert.referenceValue} → ${node.alert.currentValue}`);
    assert.match(node.alert.recommendation, /a drifted: ks p = .*Check the source of a/);
    const item = a.alertsTree.getTreeItem(node);
    assert.equal(labelOf(item), 'a');
    assert.match(String(item.description), /data drift · shifted\.csv/);
    assert.equal(item.contextValue, 'alert.open');
    assert.equal(item.command?.command, 'mlops.openDriftReport');
    // The other columns did not drift; the model's errors grew (a is its main input): a performance alert too.
    const mine = (await alertNodes()).filter((n) => n.alert.model === MODEL && n.alert.batch === 'shifted.csv').map((n) => n.alert);
    assert.deepEqual(mine.filter((x) => x.type === 'data_drift').map((x) => x.subject).sort(), ['a']);
    const perf = mine.filter((x) => x.type === 'performance');
    assert.ok(perf.some((x) => x.subject === 'rmse' && x.severity === 'critical'), JSON.stringify(perf));
    // The tree groups by model, then severity (critical first).
    const modelNode = a.alertsTree.getChildren().find((n) => n.kind === 'alertModel' && n.model === MODEL)!;
    assert.deepEqual(a.alertsTree.getChildren(modelNode).map((n) => labelOf(a.alertsTree.getTreeItem(n)))[0], 'critical');
    // The status bar while coding: the open count, in the error colour (a critical alert is open).
    const open = a.monitoring.allAlerts().filter((x) => x.alert.status === 'open').length;
    assert.ok(open >= openBefore + mine.length);
    assert.equal(a.monitoring.statusBar.item.text, `$(warning) ${open} drift alert${open === 1 ? '' : 's'}`);
    assert.deepEqual(a.monitoring.statusBar.item.backgroundColor, new vscode.ThemeColor('statusBarItem.errorBackground'));
    assert.equal(a.monitoring.statusBar.item.command, 'mlops.openDriftReport');
    // The report is in the store, with the batch's numbers.
    const reports = a.monitoring.reportsOf(ws);
    assert.equal(reports.length, reportsBefore + 1, 'one check: the old batch was not checked');
    const report = reports.at(-1) as DriftReport;
    assert.equal(report.batch, 'shifted.csv');
    assert.equal(report.model?.name, MODEL);
    assert.deepEqual(report.columns.filter((c) => c.drifted).map((c) => c.name), ['a']);
    assert.equal(report.dataset.drifted, false, '1 of 3 columns is below the 0.5 share');

    // retrain: true — the model's pipeline runs with trigger drift.
    const { value: rec } = await waitFor('a drift-triggered pipeline run', () => a.pipelines.finished.slice(pipelineRunsBefore).find((r) => r.trigger === 'drift' && r.pipeline === 'mon-retrain'), 120_000, 250);
    assert.equal(rec.status, 'passed', JSON.stringify(rec.stages.map((s) => [s.name, s.status])));
  });

  it('acknowledge, dismiss and reopen change the tree and the status bar', async () => {
    const a = await api();
    const node = (await alertNodes()).find((n) => n.alert.model === MODEL && n.alert.subject === 'a')!;
    const openCount = () => a.monitoring.allAlerts().filter((x) => x.alert.status === 'open').length;
    const n0 = openCount();
    const acked = (await vscode.commands.executeCommand('mlops.acknowledgeAlert', node)) as Alert;
    assert.equal(acked.status, 'acknowledged');
    const after = (await alertNodes()).find((n) => n.alert.id === node.alert.id)!;
    assert.equal(a.alertsTree.getTreeItem(after).contextValue, 'alert.acknowledged');
    assert.equal((a.alertsTree.getTreeItem(after).iconPath as vscode.ThemeIcon).id, 'check');
    assert.equal(openCount(), n0 - 1);
    await vscode.commands.executeCommand('mlops.dismissAlert', after);
    assert.equal((await alertNodes()).some((n) => n.alert.id === node.alert.id), false, 'a dismissed alert leaves the tree');
    await vscode.commands.executeCommand('mlops.reopenAlert', { id: node.alert.id });
    assert.equal((await alertNodes()).find((n) => n.alert.id === node.alert.id)?.alert.status, 'open');
    assert.equal(openCount(), n0);
    // The CLI sees the same log.
    const cli = JSON.parse(mlops('alerts', 'list', '--json').out) as Alert[] | { alerts: Alert[] };
    const list = Array.isArray(cli) ? cli : cli.alerts;
    assert.equal(list.find((x) => x.id === node.alert.id)?.status, 'open');
  });

  it('a batch that lands while the monitor is not watching is checked when it is armed again, and no batch twice', async () => {
    const a = await api();
    const batchesOf = (name: string) => a.monitoring.reportsOf(ws).filter((r) => r.batch === name).length;
    // Not watching (as when VS Code is closed or the workspace restricted): a batch lands and nothing checks it.
    writeConfig({ monitors: [{ model: MODEL, current: 'mon/batches/*.csv', watch: false }] });
    await waitFor('the monitor disarmed', () => !a.monitoring.batchWatchers.armed.get(ws)?.some((x) => x.model === MODEL) || undefined, 10_000);
    fs.writeFileSync(path.join(ws, 'mon', 'batches', 'while-off.csv'), rows(200, 13, 10));
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(batchesOf('while-off.csv'), 0, 'not checked while not watched');
    // Watching again: the missed batch is checked; the baseline (old.csv) and the batch already checked are not.
    writeConfig({ monitors: [{ model: MODEL, current: 'mon/batches/*.csv', watch: true, performance_threshold: 0.2 }] });
    const { value: report } = await waitFor('the missed batch checked', () => a.monitoring.reportsOf(ws).find((r) => r.batch === 'while-off.csv'), 20_000, 100);
    assert.deepEqual(report.columns.filter((c) => c.drifted).map((c) => c.name), ['a']);
    assert.ok((await alertNodes()).some((n) => n.alert.batch === 'while-off.csv' && n.alert.subject === 'a'), 'its alerts are in the tree');
    assert.equal(batchesOf('old.csv'), 0, 'the batch present when monitoring began is its baseline, never checked');
    assert.equal(batchesOf('shifted.csv'), 1, 'the batch checked before is not checked again');
    // The store keeps what was seen, append-only.
    const log = fs.readFileSync(path.join(ws, '.mlops', 'monitoring', 'batches.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { monitor: string; file: string; mark: string });
    const mine = log.filter((l) => l.monitor === `${MODEL} mon/batches/*.csv`).map((l) => `${l.mark} ${l.file}`);
    assert.deepEqual(mine, ['baseline mon/batches/old.csv', 'checked mon/batches/shifted.csv', 'checked mon/batches/while-off.csv']);
    // Armed once more (any edit of mlops.yaml): nothing is checked again.
    const reports = a.monitoring.reportsOf(ws).length;
    writeConfig({ monitors: [{ model: MODEL, current: 'mon/batches/*.csv', watch: true, performance_threshold: 0.25 }] });
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(a.monitoring.reportsOf(ws).length, reports, 'no batch checked twice');
    assert.equal(batchesOf('while-off.csv'), 1);
  });

  it('Check Drift with a batch that lacks a column names the column and records nothing', async () => {
    const a = await api();
    const bad = path.join(ws, 'mon', 'no_b.csv');
    fs.writeFileSync(bad, rows(60, 3).split('\n').map((l) => l.split(',').filter((_, i) => i !== 1).join(',')).join('\n'));
    const before = a.monitoring.reportsOf(ws).length;
    const logged: string[] = [];
    const r = await vscode.commands.executeCommand('mlops.checkDrift', { folder: ws, current: 'mon/no_b.csv', model: MODEL });
    assert.equal(r, undefined, 'the command failed');
    logged.push(...a.log.recent.slice(-20));
    assert.ok(logged.some((l) => /no_b\.csv: column b of the reference is missing from the current batch/.test(l)), logged.join('\n'));
    assert.equal(a.monitoring.reportsOf(ws).length, before);
  });

  it('Check Drift on a batch with a feature missing in every row and one labelled row: a data-quality alert in the tree, no performance alert, metrics listed as not computed', async () => {
    const a = await api();
    const file = path.join(ws, 'mon', 'b_missing.csv');
    // Column b empty in every row; y given in one row only.
    const lines = rows(80, 5).trimEnd().split('\n');
    fs.writeFileSync(file, `${[lines[0], ...lines.slice(1).map((l, i) => l.split(',').map((v, j) => (j === 1 ? '' : j === 3 && i > 0 ? '' : v)).join(','))].join('\n')}\n`);
    const report = (await vscode.commands.executeCommand('mlops.checkDrift', { folder: ws, current: 'mon/b_missing.csv', model: MODEL })) as DriftReport;
    assert.ok(report, 'the check ran');
    const quality = report.alerts.filter((x) => x.type === 'data_quality');
    assert.ok(quality.some((x) => x.subject === 'b' && x.severity === 'critical'), JSON.stringify(report.alerts));
    assert.deepEqual(report.alerts.filter((x) => x.type === 'performance'), [], 'no performance alert from one labelled row');
    assert.ok((report.performance?.notComputed ?? []).length > 0, JSON.stringify(report.performance));
    const { value: node } = await waitFor('the data-quality alert in the Alerts tree', async () => (await alertNodes()).find((n) => n.alert.batch === 'b_missing.csv' && n.alert.type === 'data_quality' && n.alert.subject === 'b'), 10_000);
    const item = a.alertsTree.getTreeItem(node);
    assert.match(String(item.description), /data quality · b_missing\.csv/);
  });
});
