/**
 * The registry commands on an MLflow tracking server's models, in a real extension host against a real server on
 * 127.0.0.1 set up with MLflow's own Python client (v1 Archived, v2 Production @champion, v3 Staging @challenger).
 * Promote, archive, alias, tag, a change made with the Python client behind the workbench's back, Show History and
 * Rollback: each checked with MLflow's client (what another MLflow user sees), in the server's audit tags and in the
 * workspace registry log. The mlflow.db of the shared 3.9 fixture is read-only: its nodes offer no change and a
 * command given it is refused with the reason.
 *
 * This file uses its own store folder (setting mlops.storePath) and disconnects what it connected.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { MlflowChange } from '../../src/core/mlflowRegistry';
import type { RegistryNode } from '../../src/extension/registry/registryTree';
import { fixtureDir, skipUnlessFixtures, skipUnlessMlflow } from '../mlflow/env';
import { MODEL_PY, RUNS_PY, STATE_PY, TRANSITION_PY, stages, type PyModel } from '../mlflow/registry';
import { runMlflowPython, startMlflowServer, type MlflowServer } from '../mlflow/server';
import { api, mlops, waitFor, workspaceDir } from './helpers';

type RNode<K extends RegistryNode['kind']> = Extract<RegistryNode, { kind: K }>;

const STORE_DIR = '.mlops-mlflow-registry';
const MODEL = 'YieldModel';

async function loadedChildren(node: RegistryNode | undefined, what: string, pred: (c: RegistryNode[]) => boolean = () => true): Promise<RegistryNode[]> {
  const a = await api();
  return (await waitFor(what, () => {
    const c = a.registryTree.getChildren(node);
    return c.some((n) => n.kind === 'mlflowRegMessage' && n.text === 'Loading…') || !pred(c) ? undefined : c;
  }, 30_000, 100)).value;
}

describe('MLflow registry commands (editor, real tracking server)', function () {
  this.timeout(240_000);
  const skip = skipUnlessMlflow() || skipUnlessFixtures();
  let server: MlflowServer | undefined;
  let store = '';
  const opened: string[] = [];
  const pyState = (): Promise<PyModel> => runMlflowPython<PyModel>(STATE_PY, [server!.url, MODEL]);

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
    const r = mlops('--store', store, 'init');
    assert.equal(r.code, 0, r.err);
    await waitFor('the audit store to exist', () => a.stores.all()[0].exists, 10_000);
    server = await startMlflowServer();
    const runs = await runMlflowPython<Record<string, string>>(RUNS_PY, [server.url]);
    await runMlflowPython(MODEL_PY, [server.url, MODEL, runs['trained-a']]);
    await vscode.commands.executeCommand('mlops.connectMlflow', server.url, 'none');
    opened.push(a.mlflow.all().find((e) => e.uri.includes(`:${server!.port}`))!.uri);
  });

  after(async () => {
    if (skip) return;
    for (const uri of opened) await vscode.commands.executeCommand('mlops.disconnectMlflow', uri);
    await server?.stop();
    await vscode.workspace.getConfiguration('mlops').update('storePath', undefined, vscode.ConfigurationTarget.Workspace);
  });

  /** The model's stage groups on the server, as the tree shows them: { Production: [3], … }. */
  async function treeStages(expect?: Record<string, number[]>): Promise<{ stages: Record<string, number[]>; versions: RNode<'mlflowVersion'>[]; model: RNode<'mlflowModel'> }> {
    const a = await api();
    const root = (await loadedChildren(undefined, 'the registry roots', (c) => c.some((n) => n.kind === 'mlflowRegSource' && n.entry.uri === opened[0]))).find((n): n is RNode<'mlflowRegSource'> => n.kind === 'mlflowRegSource' && n.entry.uri === opened[0])!;
    const read = async () => {
      const model = (await loadedChildren(root, 'the server models')).find((n): n is RNode<'mlflowModel'> => n.kind === 'mlflowModel' && n.model.name === MODEL)!;
      const groups = a.registryTree.getChildren(model) as RNode<'mlflowStage'>[];
      const st = Object.fromEntries(groups.filter((g) => g.versions.length).map((g) => [g.stage, g.versions.map((v) => v.version).sort((x, y) => x - y)] as const).sort(([x], [y]) => x.localeCompare(y)));
      return { stages: st, versions: groups.flatMap((g) => a.registryTree.getChildren(g) as RNode<'mlflowVersion'>[]), model };
    };
    if (!expect) return read();
    return (await waitFor(`the tree showing ${JSON.stringify(expect)}`, async () => {
      const r = await read();
      const want = Object.fromEntries(Object.entries(expect).sort(([x], [y]) => x.localeCompare(y)));
      return JSON.stringify(r.stages) === JSON.stringify(want) ? r : undefined;
    }, 15_000, 100)).value;
  }

  it('offers the changes on the server\'s nodes; archive from a node and promote with a reason change the server (seen by the Python client), with audit tags and workspace log events', async () => {
    const a = await api();
    const { versions, model } = await treeStages({ Archived: [1], Production: [2], Staging: [3] });
    const v3 = versions.find((v) => v.version.version === 3)!;
    assert.equal(a.registryTree.getTreeItem(v3).contextValue, 'mlflowVersion.writable.Staging');
    assert.equal(a.registryTree.getTreeItem(model).contextValue, 'mlflowModel.writable');

    // Promote v3 with a reason (the argument form asks nothing): v2 is archived, as MLflow's archive_existing_versions.
    const c = (await vscode.commands.executeCommand('mlops.promoteToProduction', { source: opened[0], model: MODEL, version: 3, reason: 'lower rmse on the holdout' })) as MlflowChange;
    assert.ok(c, 'the command returned the change');
    assert.deepEqual([...c.stages].sort((x, y) => x.version - y.version), [{ version: 2, from: 'Production', to: 'Archived' }, { version: 3, from: 'Staging', to: 'Production' }]);
    let py = await pyState();
    assert.deepEqual(stages(py), [[1, 'Archived'], [2, 'Archived'], [3, 'Production']]);
    const audit = Object.keys(py.versions[2].tags).filter((k) => k.startsWith('mlops.audit.'));
    assert.equal(audit.length, 1, `one audit tag on v3: ${JSON.stringify(py.versions[2].tags)}`);
    assert.match(py.versions[2].tags[audit[0]], /lower rmse on the holdout/);
    await treeStages({ Archived: [1, 2], Production: [3] });

    // Archive from the tree node (no question for it): v1 is already Archived, so archive v3 and put it back.
    const { versions: now } = await treeStages();
    const v3node = now.find((v) => v.version.version === 3)!;
    await vscode.commands.executeCommand('mlops.archiveVersion', v3node);
    py = await pyState();
    assert.deepEqual(stages(py), [[1, 'Archived'], [2, 'Archived'], [3, 'Archived']]);
    await vscode.commands.executeCommand('mlops.promoteToProduction', { source: opened[0], model: MODEL, version: 3, reason: 'back after the check' });
    py = await pyState();
    assert.deepEqual(stages(py), [[1, 'Archived'], [2, 'Archived'], [3, 'Production']]);

    // Alias and tag.
    await vscode.commands.executeCommand('mlops.setAlias', { source: opened[0], model: MODEL, version: 3, alias: 'champion' });
    await vscode.commands.executeCommand('mlops.setVersionTag', { source: opened[0], model: MODEL, version: 3, key: 'validated_by', value: 'qa-team' });
    py = await pyState();
    assert.equal(py.byAlias.champion, 3);
    assert.equal(py.versions[2].tags.validated_by, 'qa-team');

    // The workspace registry log holds each change with the source's URI.
    const events = a.stores.all()[0].registry()!.readEvents().events.filter((e) => e.action === 'mlflow');
    assert.ok(events.length >= 5, `${events.length} mlflow events in the workspace log`);
    assert.ok(events.every((e) => JSON.stringify(e).includes(opened[0])), 'each event names the source');
  });

  it('records a change made with the Python client as observed; Show History shows the trail; Rollback puts back the version the trail knows', async () => {
    // Behind the workbench's back: v1 into Production (archiving v3).
    await runMlflowPython(TRANSITION_PY, [server!.url, MODEL, '1', 'Production']);
    let py = await pyState();
    assert.deepEqual(stages(py), [[1, 'Production'], [2, 'Archived'], [3, 'Archived']]);

    const uri = (await vscode.commands.executeCommand('mlops.showHistory', { source: opened[0], model: MODEL })) as vscode.Uri;
    assert.equal(uri.scheme, 'mlops-mlflow-history');
    const doc = await vscode.workspace.openTextDocument(uri);
    const text = doc.getText();
    assert.match(text, /# YieldModel — registry history on `http:\/\/127\.0\.0\.1:\d+`/);
    assert.match(text, /\| v2 \| before [^|]+ \| \d{4}-[^|]+ \|/, 'v2 was in Production before the trail began, until v3 came');
    assert.match(text, /lower rmse on the holdout/);
    assert.match(text, /observed \(made outside the workbench\)/);
    assert.match(text, /\| v3 \| [^|]+ \| [^|]+ \|/, 'v3 had an interval in Production');
    assert.match(text, /Complete from \d{4}\\?-/, 'the trail says from when it is complete');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');

    // Rollback: v1 came in by the observed change; before it, v3 was in Production.
    const c = (await vscode.commands.executeCommand('mlops.rollbackProduction', { source: opened[0], model: MODEL, reason: 'v1 was promoted by hand' })) as MlflowChange;
    assert.equal(c.version, 3);
    py = await pyState();
    assert.deepEqual(stages(py), [[1, 'Archived'], [2, 'Archived'], [3, 'Production']]);
    await treeStages({ Archived: [1, 2], Production: [3] });
    const a = await api();
    const rollback = a.stores.all()[0].registry()!.readEvents().events.filter((e) => e.action === 'mlflow').pop()!;
    assert.match(JSON.stringify(rollback), /rollback/);
    assert.match(JSON.stringify(rollback), /v1 was promoted by hand/);
  });

  it('shows an mlflow.db registry read-only and refuses a change on it with the reason, changing nothing', async () => {
    const a = await api();
    const db = path.join(fixtureDir('3.9')!, 'mlflow.db');
    const before = fs.statSync(db).mtimeMs;
    const uri = (await vscode.commands.executeCommand('mlops.openMlflowStore', db)) as string;
    opened.push(uri);
    const root = (await loadedChildren(undefined, 'the mlflow.db registry root', (c) => c.some((n) => n.kind === 'mlflowRegSource' && n.entry.uri === uri))).find((n): n is RNode<'mlflowRegSource'> => n.kind === 'mlflowRegSource' && n.entry.uri === uri)!;
    assert.equal(a.registryTree.getTreeItem(root).description, 'read-only');
    assert.match(String(a.registryTree.getTreeItem(root).tooltip), /only through a tracking server/);
    const model = (await loadedChildren(root, 'the mlflow.db models')).find((n): n is RNode<'mlflowModel'> => n.kind === 'mlflowModel' && n.model.name === 'YieldPredictor')!;
    assert.equal(a.registryTree.getTreeItem(model).contextValue, 'mlflowModel');
    const staging = (a.registryTree.getChildren(model) as RNode<'mlflowStage'>[]).find((s) => s.stage === 'Staging')!;
    const v3 = (a.registryTree.getChildren(staging) as RNode<'mlflowVersion'>[])[0];
    assert.equal(a.registryTree.getTreeItem(v3).contextValue, 'mlflowVersion.Staging');
    const r = await vscode.commands.executeCommand('mlops.promoteToProduction', { source: uri, model: 'YieldPredictor', version: 3, reason: 'x' });
    assert.equal(r, undefined);
    const lines = a.log.recent.slice(-10).join('\n');
    assert.match(lines, /is an MLflow SQLite store: the workbench changes an MLflow registry only through a tracking server/);
    assert.doesNotMatch(lines, /\n\s+at /, 'no stack in the log');
    assert.equal(fs.statSync(db).mtimeMs, before, 'mlflow.db untouched');
  });
});
