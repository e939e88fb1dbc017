/**
 * The drift report webview in a real extension host: Check Drift records reports, Open Drift Report shows one in a
 * webview (reused for the same report), the webview asks for the data and reports what it drew, the timeline holds
 * the monitor's reports only, a newer report and an alert's status are pushed to the open panel, the status-bar
 * command opens the newest report, Markdown / JSON / summary exports, user strings travel as data, and the serializer
 * restores a panel (and refuses a bad state).
 *
 * These tests use their own store folder (setting mlops.storePath), so the other suites' `.mlops` is untouched.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DriftReport } from '../../src/core/monitoring/monitor';
import type { DriftReportPanel } from '../../src/extension/monitoring/driftReportPanel';
import type { DriftApi } from '../../src/extension/monitoring/monitoringCommands';
import type { DriftToWebview } from '../../src/shared/protocol';
import { api, waitFor, workspaceDir } from './helpers';

type DataMessage = Extract<DriftToWebview, { type: 'data' }>;

const STORE_DIR = '.mlops-drift';
const XSS_COLUMN = '<img src=x onerror=alert(1)>';
const XSS_BATCH = '<b>batch.csv';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function driftApi(): Promise<DriftApi> {
  const a = (await api()) as unknown as { drift?: DriftApi };
  if (!a.drift) throw new Error('the extension API has no `drift` (registerMonitoringCommands is not wired into activate())');
  return a.drift;
}

function lastData(p: DriftReportPanel): DataMessage | undefined {
  return [...p.forTests.sent].reverse().find((m): m is DataMessage => m.type === 'data');
}

/** A deterministic sample: `rows` wafers, Temperature around `temp`, Line mostly A/B/C, a numeric XSS-named column. */
function csv(rows: number, seed: number, temp: number, lines = ['A', 'B', 'C']): string {
  let s = seed >>> 0;
  const rnd = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const out = [`Temperature,Line,"${XSS_COLUMN}"`];
  for (let i = 0; i < rows; i++) out.push(`${(temp + (rnd() - 0.5) * 8).toFixed(3)},${lines[Math.floor(rnd() * lines.length)]},${(rnd() * 10).toFixed(3)}`);
  return out.join('\n') + '\n';
}

/**
 * Run an opener and wait for the panel's first data message. VS Code in a browser sometimes never starts a webview
 * created just after another one (its service worker handshake hangs: microsoft/vscode#125993): then the panel is
 * closed and the opener run once more.
 */
async function openPanel(open: () => Promise<DriftReportPanel | undefined>): Promise<{ panel: DriftReportPanel; data: DataMessage }> {
  for (let attempt = 1; ; attempt++) {
    await sleep(300);
    const panel = await open();
    assert.ok(panel, 'the opener returned a panel');
    try {
      const { value } = await waitFor(`the first data message of '${panel.panel.title}'`, () => lastData(panel), attempt === 1 ? 15_000 : 30_000);
      return { panel, data: value };
    } catch (e) {
      if (attempt > 1 || panel.forTests.received.length) throw e;
      console.log(`      (the webview of '${panel.panel.title}' did not start: VS Code web's service worker handshake hung; opening it again)`);
      panel.dispose();
      await sleep(1000);
    }
  }
}

describe('Drift report (editor)', function () {
  this.timeout(120_000);
  let ws = '';
  const reports: DriftReport[] = [];
  let other: DriftReport;

  const check = async (current: string, reference = 'drift-data/reference.csv') => {
    const r = (await vscode.commands.executeCommand('mlops.checkDrift', { folder: ws, current, reference })) as DriftReport;
    assert.ok(r && r.id, `Check Drift of ${current} returned a report`);
    await sleep(5); // distinct times, so the timeline's order is the checks' order
    return r;
  };
  const open = (reportId: string, extra: Record<string, unknown> = {}) => async () => (await vscode.commands.executeCommand('mlops.openDriftReport', { reportId, folder: ws, ...extra })) as DriftReportPanel | undefined;

  before(async () => {
    ws = workspaceDir();
    const dir = path.join(ws, 'drift-data');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'reference.csv'), csv(300, 1, 25));
    fs.writeFileSync(path.join(dir, 'reference-copy.csv'), csv(300, 1, 25));
    fs.writeFileSync(path.join(dir, 'normal.csv'), csv(80, 2, 25));
    fs.writeFileSync(path.join(dir, 'hot.csv'), csv(80, 3, 35)); // the +10 °C sensor
    fs.writeFileSync(path.join(dir, XSS_BATCH), csv(80, 4, 35, ['A', 'D']));
    fs.writeFileSync(path.join(dir, 'later.csv'), csv(80, 5, 26));
    await vscode.workspace.getConfiguration('mlops').update('storePath', STORE_DIR, vscode.ConfigurationTarget.Workspace);
    const a = await api();
    await waitFor('the store folder setting to apply', () => a.stores.all()[0]?.root === path.join(ws, STORE_DIR), 10_000);
    reports.push(await check('drift-data/normal.csv'));
    other = await check('drift-data/hot.csv', 'drift-data/reference-copy.csv'); // another monitor (another reference)
    reports.push(await check('drift-data/hot.csv'));
    reports.push(await check(`drift-data/${XSS_BATCH}`));
  });

  after(async () => {
    (await driftApi()).panels().forEach((p) => p.dispose());
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.workspace.getConfiguration('mlops').update('storePath', undefined, vscode.ConfigurationTarget.Workspace);
    const a = await api();
    await waitFor('the default store folder again', () => a.stores.all()[0]?.root === path.join(workspaceDir(), '.mlops'), 10_000);
  });

  it('Check Drift records the reports: the +10 °C batch drifts on Temperature only', () => {
    const [normal, hot, xss] = reports;
    assert.deepEqual(normal.columns.filter((c) => c.drifted).map((c) => c.name), []);
    assert.deepEqual(hot.columns.filter((c) => c.drifted).map((c) => c.name), ['Temperature']);
    assert.deepEqual(xss.columns.filter((c) => c.drifted).map((c) => c.name), ['Temperature', 'Line']);
    assert.equal(xss.batch, XSS_BATCH);
    assert.deepEqual(hot.columns.map((c) => c.name), ['Temperature', 'Line', XSS_COLUMN]);
  });

  it('Open Drift Report shows the report in a webview: data after ready, then what it drew', async () => {
    const drift = await driftApi();
    const hot = reports[1];
    const { panel, data } = await openPanel(open(hot.id));
    assert.equal(panel.panel.viewType, 'mlops.driftReport');
    assert.equal(panel.panel.title, 'Drift: hot.csv');
    assert.ok(panel.forTests.received.some((m) => m.type === 'ready'));
    assert.equal(data.folder, ws);
    assert.equal(data.report.id, hot.id);
    assert.deepEqual(data.report.columns.map((c) => [c.name, c.drifted]), [['Temperature', true], ['Line', false], [XSS_COLUMN, false]]);
    // Both sides of every histogram are on the same bins: one edge list (numeric) or one category list.
    for (const c of data.report.columns) {
      const hg = c.histogram;
      if (hg.kind === 'numeric') {
        assert.equal(hg.edges.length, 21, `${c.name}: 20 bins`);
        assert.equal(hg.reference.length, hg.edges.length - 1, `${c.name}: reference on the shared edges`);
        assert.equal(hg.current.length, hg.edges.length - 1, `${c.name}: current on the shared edges`);
        assert.equal(hg.reference.reduce((s, v) => s + v, 0), 300);
        assert.equal(hg.current.reduce((s, v) => s + v, 0), 80);
      } else {
        assert.deepEqual([...hg.categories].sort(), ['A', 'B', 'C']);
        assert.equal(hg.reference.length, 3);
        assert.equal(hg.current.length, 3);
      }
    }
    // The timeline: this monitor's reports (same reference, no model), oldest first — not the other reference's.
    assert.deepEqual(data.history.map((h) => h.id), reports.map((r) => r.id));
    assert.ok(!data.history.some((h) => h.id === other.id));
    assert.deepEqual(data.history.map((h) => h.batch), ['normal.csv', 'hot.csv', XSS_BATCH]);
    assert.deepEqual(data.newer, { id: reports[2].id, batch: XSS_BATCH, time: reports[2].time });
    assert.deepEqual(data.alerts.map((a) => [a.type, a.subject, a.severity, a.status]), [['data_drift', 'Temperature', 'critical', 'open']]);
    assert.match(String(data.alerts[0].id), /^[0-9a-f]{16}$/);
    assert.equal(data.retrain, null, 'no model: no Retrain');
    assert.deepEqual(data.settings, { feature: null, sort: null });
    assert.equal(typeof data.requestedAt, 'number');
    const { value: r } = await waitFor('the webview to report the report drawn', () => panel.lastRendered, 30_000);
    assert.equal(r.reportId, hot.id);
    assert.equal(r.rows, 3);
    assert.equal(r.drifted, 1, 'one row marked drifted');
    assert.equal(r.feature, 'Temperature', 'the drifted feature is shown first');
    assert.equal(r.histogramBins, 20);
    assert.equal(r.timelinePoints, 3);
    assert.deepEqual(r.chartNames, ['histogram', 'scores-p_value', 'timeline-p_value']);
    assert.ok(r.sinceRequestMs !== null && r.sinceRequestMs > 0 && r.sinceRequestMs < 30_000, `command → drawn ${r.sinceRequestMs} ms`);
    assert.ok(['dark', 'light', 'high-contrast', 'high-contrast-light'].includes(r.theme));
    // The same report again: the open panel, not a second one.
    assert.equal(await open(hot.id)(), panel);
    assert.equal(drift.panels().length, 1);
    assert.equal(drift.panelFor(hot.id), panel);
  });

  it('selects a feature (from an alert, or the extension) and mirrors the choice; switches to another report of the monitor', async () => {
    const drift = await driftApi();
    const hot = reports[1];
    const panel = drift.panelFor(hot.id)!;
    // (Wait for a render showing the change: the webview also redraws for other reasons, e.g. a theme applied late.)
    const drawn = async (what: string, pred: (r: NonNullable<DriftReportPanel['lastRendered']>) => boolean) => (await waitFor(what, () => panel.lastRendered && pred(panel.lastRendered) && panel.lastRendered, 15_000)).value;
    assert.equal(await open(hot.id, { feature: 'Line' })(), panel, 'an alert for a feature reveals the open panel');
    let r = await drawn('Line shown', (x) => x.feature === 'Line');
    assert.equal(r.histogramBins, 3, 'Line: three categories');
    await waitFor('the choice mirrored to the extension', () => panel.settings.feature === 'Line', 5000);
    panel.select(XSS_COLUMN);
    r = await drawn('the XSS-named column shown', (x) => x.feature === XSS_COLUMN);
    assert.equal(r.histogramBins, 20);
    // The "newer report" link / a timeline point: the panel shows that report instead.
    panel.showReport(reports[2].id);
    r = await drawn('the other report shown', (x) => x.reportId === reports[2].id);
    assert.equal(r.drifted, 2);
    assert.equal(panel.panel.title, `Drift: ${XSS_BATCH}`);
    assert.equal(panel.reportId, reports[2].id);
    assert.equal(lastData(panel)!.newer, null, 'the newest report of its monitor');
    assert.deepEqual(lastData(panel)!.settings, { feature: XSS_COLUMN, sort: null }, 'the choices carry over');
    panel.dispose();
  });

  it('pushes an update when a newer report of the same monitor arrives and when an alert is acknowledged', async () => {
    const a = await api();
    const hot = reports[1];
    const { panel } = await openPanel(open(hot.id));
    await waitFor('drawn', () => panel.lastRendered, 30_000);
    const before = panel.forTests.sent.length;
    const later = await check('drift-data/later.csv');
    const { value: pushed } = await waitFor('the newer report pushed to the panel', () => panel.forTests.sent.slice(before).find((m): m is DataMessage => m.type === 'data' && m.history.length === 4), 10_000);
    assert.deepEqual(pushed.history.map((h) => h.id), [...reports.map((r) => r.id), later.id]);
    assert.equal(pushed.newer?.id, later.id);
    assert.equal(pushed.settings, undefined, 'updates do not reset the webview choices');
    reports.push(later);
    const alertId = lastData(panel)!.alerts[0].id!;
    a.monitoring.setStatus({ id: alertId }, 'acknowledged');
    const { value: acked } = await waitFor('the alert status pushed', () => {
      const m = lastData(panel);
      return m?.alerts[0]?.status === 'acknowledged' ? m : undefined;
    }, 10_000);
    assert.equal(acked.alerts[0].id, alertId);
    a.monitoring.setStatus({ id: alertId }, 'open');
    panel.dispose();
  });

  it('the status-bar item (no arguments) opens the newest report; the alert tree opens its report', async () => {
    const a = await api();
    assert.equal(a.monitoring.statusBar.item.command, 'mlops.openDriftReport');
    const { panel, data } = await openPanel(async () => (await vscode.commands.executeCommand(a.monitoring.statusBar.item.command as string)) as DriftReportPanel);
    assert.equal(data.report.id, reports[3].id, 'the newest report');
    panel.dispose();
    // The Alerts tree: model → severity → alert; its command opens that alert's report with its feature.
    const model = a.alertsTree.getChildren().find((n) => n.kind === 'alertModel')!;
    const sev = a.alertsTree.getChildren(model)[0];
    const alertNode = a.alertsTree.getChildren(sev).find((n) => n.kind === 'alert' && n.alert.reportId === reports[1].id && n.alert.subject === 'Temperature')!;
    const cmd = a.alertsTree.getTreeItem(alertNode).command!;
    assert.equal(cmd.command, 'mlops.openDriftReport');
    assert.deepEqual(cmd.arguments, [{ reportId: reports[1].id, folder: ws, feature: 'Temperature' }]);
    const { panel: fromTree, data: d2 } = await openPanel(async () => (await vscode.commands.executeCommand(cmd.command, ...cmd.arguments!)) as DriftReportPanel);
    assert.equal(d2.report.id, reports[1].id);
    assert.equal(d2.settings?.feature, 'Temperature');
    fromTree.dispose();
    // An unknown report: a message, no panel.
    assert.equal(await vscode.commands.executeCommand('mlops.openDriftReport', { reportId: '20000101T000000-ffffff', folder: ws }), undefined);
  });

  it('Open as Markdown, Export JSON and Copy summary', async () => {
    const hot = reports[1];
    const uri = (await vscode.commands.executeCommand('mlops.openDriftReportMarkdown', { reportId: hot.id, folder: ws })) as vscode.Uri;
    assert.equal(uri.scheme, 'mlops-drift-report');
    const md = (await vscode.workspace.openTextDocument(uri)).getText();
    assert.match(md, /^# Drift report — hot\.csv\n/);
    assert.match(md, /\| Temperature \| ks \|.*\*\*yes\*\* \(critical\)/);
    // Close the preview (a webview too): VS Code in a browser may not start new webviews while others live.
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const { panel } = await openPanel(open(hot.id));
    const file = vscode.Uri.file(path.join(ws, 'drift-data', 'exported.json'));
    const text = await panel.exportJson(file);
    const back = JSON.parse(fs.readFileSync(file.fsPath, 'utf8')) as DriftReport;
    assert.equal(fs.readFileSync(file.fsPath, 'utf8'), text);
    assert.equal(back.id, hot.id);
    assert.deepEqual(back.columns.map((c) => c.name), hot.columns.map((c) => c.name));
    const summary = await panel.copySummary();
    assert.equal(await vscode.env.clipboard.readText(), summary);
    assert.match(summary!, /^Drift report: hot\.csv /);
    assert.match(summary!, /Drifted: Temperature \(ks p = /);
    assert.equal(await panel.retrain(), 0, 'no model: nothing to retrain');
    // Charts as PNG: each drawn chart, by the name the webview reported, as a real image on the theme's background.
    const { value: r } = await waitFor('the panel drawn', () => panel.lastRendered, 30_000);
    for (const name of r.chartNames) {
      const target = vscode.Uri.file(path.join(ws, 'drift-data', `${name}.png`));
      const png = await panel.saveChartPng(name, target);
      assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], `${name}: PNG signature`);
      assert.ok(png.length > 2000, `${name}: a drawn image (${png.length} bytes)`);
      const width = png.readUInt32BE(16);
      const height = png.readUInt32BE(20);
      assert.ok(width > 200 && height > 100, `${name}: ${width} × ${height}`);
      assert.deepEqual(fs.readFileSync(target.fsPath), png, `${name}: written to the file`);
    }
    await assert.rejects(panel.saveChartPng('prediction', undefined), /shows no prediction chart/, 'no model: no prediction chart');
    panel.dispose();
  });

  it('sends user strings as data: an XSS-named column and a <b> batch file name', async () => {
    const xss = reports[2];
    const { panel, data } = await openPanel(open(xss.id));
    assert.equal(panel.panel.title, `Drift: ${XSS_BATCH}`);
    assert.ok(data.report.columns.some((c) => c.name === XSS_COLUMN));
    const html = panel.panel.webview.html;
    assert.ok(!html.includes('<img src=x') && !html.includes('<b>batch'), 'no user string is written into the HTML');
    assert.match(html, /Content-Security-Policy" content="default-src 'none'; [^"]*script-src 'nonce-[A-Za-z0-9]+'/);
    assert.match(html, /<script nonce="[A-Za-z0-9]+"( src="[^"]*\/dist\/webview\/drift\.js")?>/, 'the drift app, with the nonce (loaded or inlined)');
    const { value: r } = await waitFor('the webview drew it', () => panel.lastRendered, 30_000);
    assert.equal(r.rows, 3);
    assert.equal(r.drifted, 2);
    panel.dispose();
  });

  it('says so when the shown report is deleted', async () => {
    const a = await api();
    const normal = reports[0];
    const { panel } = await openPanel(open(normal.id));
    const root = a.stores.all()[0].root;
    fs.rmSync(path.join(root, 'monitoring', 'reports', `${normal.id}.json`));
    a.stores.all()[0].reload();
    const { value: gone } = await waitFor('the gone message', () => panel.forTests.sent.find((m) => m.type === 'gone'), 10_000);
    assert.equal(gone.type === 'gone' && gone.reportId, normal.id);
    panel.dispose();
  });

  // Last, as in the compare suite: in VS Code for the Web the next suite's first webview starts reliably after these
  // never-loaded panels (after a loaded webview is closed, a new one sometimes waits forever for its service worker).
  it('restores a panel after a reload from the state its webview saved, and refuses a bad state (serializer)', async () => {
    const drift = await driftApi();
    drift.panels().forEach((p) => p.dispose());
    const hot = reports[1];
    let webviewPanel: vscode.WebviewPanel | undefined;
    const state = { v: 1, folder: ws, reportId: hot.id, feature: 'Line', sort: { key: 'psi', descending: true } };
    const { panel, data } = await openPanel(async () => {
      webviewPanel = vscode.window.createWebviewPanel('mlops.driftReport', 'Drift: hot.csv', vscode.ViewColumn.Active, {});
      await drift.serializer.deserializeWebviewPanel(webviewPanel, state);
      return drift.panelFor(hot.id);
    });
    assert.equal(panel.panel, webviewPanel);
    assert.deepEqual(data.settings, { feature: 'Line', sort: { key: 'psi', descending: true } }, 'the saved choices come back');
    const { value: r } = await waitFor('the restored panel drawn', () => panel.lastRendered, 30_000);
    assert.equal(r.feature, 'Line');
    assert.deepEqual(r.sort, { key: 'psi', descending: true });
    panel.dispose();
    for (const bad of [{ v: 1, folder: ws, reportId: '../../etc/passwd' }, { v: 1, folder: '/not/open/folder', reportId: hot.id }, { reportId: hot.id }, null]) {
      const p = vscode.window.createWebviewPanel('mlops.driftReport', 'broken', vscode.ViewColumn.Active, {});
      let closed = false;
      p.onDidDispose(() => (closed = true));
      await drift.serializer.deserializeWebviewPanel(p, bad);
      assert.equal(closed, true, `closed for ${JSON.stringify(bad)}`);
    }
    assert.equal(drift.panels().length, 0);
  });
});
