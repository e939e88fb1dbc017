import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { Registry } from '../../src/core/registry/registry';
import { parseOrderBy, selectRuns } from '../../src/core/sources/runQuery';
import { IndexedWorkspaceSource, WorkspaceSource } from '../../src/core/sources/workspace/workspaceSource';
import { StoreIndex } from '../../src/core/tracking/storeIndex';
import { SourceError } from '../../src/core/sources/types';
import { Tracker } from '../../src/core/tracking/tracker';
import { fakeRun, tempDir } from './helpers';

const alice = { osUser: 'alice', email: 'alice@fab.example', display: 'alice@fab.example' };

function workspace() {
  const root = path.join(tempDir('mlops-src-'), '.mlops');
  const tracker = Tracker.open(root, { create: true });
  const registry = new Registry(tracker.store, { identity: alice });
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    const r = tracker.startRun({ experiment: i < 4 ? 'Wafer' : 'Other', name: `rf-${i}`, params: { depth: i % 2 ? 5 : 8 }, tags: { team: 'fab' }, startTime: Date.UTC(2026, 0, 1 + i) });
    for (let step = 0; step < 3; step++) r.logMetric('rmse', 3 - i * 0.1 - step * 0.01, step, Date.UTC(2026, 0, 1 + i, 0, step));
    r.logArtifactBytes('notes/readme.txt', `run ${i}`);
    const bin = `model ${i}`;
    r.logArtifactBytes('model/model.bin', bin);
    r.logArtifactBytes('model/model.json', JSON.stringify({ format: 1, engine: 'forest', binSha256: crypto.createHash('sha256').update(bin).digest('hex') }));
    r.end();
    ids.push(r.id);
  }
  registry.register(tracker, ids[1], 'YieldPredictor');
  registry.register(tracker, ids[2], 'YieldPredictor');
  registry.transition('YieldPredictor', 2, 'Production', { reason: 'best' });
  registry.setAlias('YieldPredictor', 'champion', 2);
  return { source: new WorkspaceSource(tracker, () => registry), ids, tracker };
}

describe('sources: the workspace store as a RunSource', () => {
  it('lists experiments and runs newest first, filtered, ordered by several keys and paged', async () => {
    const { source, ids } = workspace();
    assert.deepEqual((await source.listExperiments()).map((e) => e.name).sort(), ['Other', 'Wafer']);
    const all = await source.searchRuns();
    assert.deepEqual(all.runs.map((r) => r.name), ['rf-4', 'rf-3', 'rf-2', 'rf-1', 'rf-0']);
    assert.equal(all.nextPageToken, undefined);
    const wafer = (await source.listExperiments()).find((e) => e.name === 'Wafer')!;
    const filtered = await source.searchRuns({ experimentIds: [wafer.id], filter: 'params.depth = 5 or metrics.rmse > 2.975' });
    assert.deepEqual(filtered.runs.map((r) => r.name).sort(), ['rf-0', 'rf-1', 'rf-3']);
    const ordered = await source.searchRuns({ orderBy: ['params.depth DESC', 'metrics.rmse ASC'] });
    assert.deepEqual(ordered.runs.map((r) => r.name), ['rf-4', 'rf-2', 'rf-0', 'rf-3', 'rf-1']);
    const p1 = await source.searchRuns({ maxResults: 2 });
    const p2 = await source.searchRuns({ maxResults: 2, pageToken: p1.nextPageToken });
    const p3 = await source.searchRuns({ maxResults: 2, pageToken: p2.nextPageToken });
    assert.deepEqual([...p1.runs, ...p2.runs, ...p3.runs].map((r) => r.id), all.runs.map((r) => r.id));
    assert.equal(p3.nextPageToken, undefined);
    assert.equal((await source.getRun(ids[0].slice(0, 8))).name, 'rf-0');
  });

  it('gives a metric history in step order, artifacts inside the run only, and the registry with stages and aliases', async () => {
    const { source, ids } = workspace();
    const h = await source.metricHistory(ids[0], 'rmse');
    assert.deepEqual(h.map((p) => [p.step, p.value]), [[0, 3], [1, 2.99], [2, 2.98]]);
    assert.deepEqual((await source.listArtifacts(ids[0])).map((a) => [a.path, a.isDir]), [['model', true], ['notes', true]]);
    assert.deepEqual((await source.listArtifacts(ids[0], 'notes')).map((a) => [a.path, a.size]), [['notes/readme.txt', 5]]);
    assert.equal(Buffer.from(await source.readArtifact(ids[0], 'notes/readme.txt')).toString(), 'run 0');
    await assert.rejects(source.readArtifact(ids[0], '../../store.json'), /outside|\.\./i);
    await assert.rejects(source.getRun('ffffffff'), (e: unknown) => e instanceof SourceError && e.code === 'not-found');
    const [model] = await source.listModels();
    assert.equal(model.name, 'YieldPredictor');
    assert.deepEqual(model.aliases, { champion: 2 });
    assert.deepEqual(model.versions.map((v) => [v.version, v.stage, v.runId]), [[1, 'None', ids[1]], [2, 'Production', ids[2]]]);
    // What the registry tree shows of a version: the run as registered, who registered it, the model's hash.
    const v2 = model.versions[1];
    assert.deepEqual([v2.run?.name, v2.run?.experiment, v2.run?.metrics.rmse, v2.createdBy], ['rf-2', 'Wafer', 2.78, 'alice@fab.example']);
    assert.match(v2.modelSha256 ?? '', /^[0-9a-f]{64}$/);
    assert.deepEqual(await source.registryProblems(), []);
  });

  it('reports a damaged registry line with its file and line, and still lists the models', async () => {
    const { source, tracker } = workspace();
    const events = path.join(tracker.store.root, 'registry', 'events.jsonl');
    fs.appendFileSync(events, 'garbage, not an event\n');
    const line = fs.readFileSync(events, 'utf8').trimEnd().split('\n').length;
    const problems = await source.registryProblems();
    assert.equal(problems.length, 1);
    assert.deepEqual([problems[0].file, problems[0].line], [events, line]);
    assert.match(problems[0].message, /not valid JSON/);
    assert.equal((await source.listModels())[0].versions.length, 2);
  });
});

describe('sources: the workspace store as the extension reads it (IndexedWorkspaceSource over the store index)', () => {
  /** The index answering in this process (the extension asks it in a worker thread: the same StoreIndex). */
  function indexed() {
    const w = workspace();
    const index = new StoreIndex(w.tracker.store);
    index.open();
    const source = new IndexedWorkspaceSource(w.tracker, () => undefined, {
      summary: () => index.summary(),
      page: async (q) => index.page(q),
      best: async (ids) => Object.fromEntries(ids.map((id) => [id, index.best(id)])),
      filterCounts: async (f) => Object.fromEntries(index.filterCounts(f)),
    });
    return { ...w, source, plain: w.source };
  }

  it('answers the listing queries as the Tracker-backed source does, with totals, counts and the best run over all runs', async () => {
    const { source, plain, ids, tracker } = indexed();
    const exps = await source.listExperiments();
    assert.deepEqual(exps.map((e) => [e.name, e.runCount]).sort(), [['Other', 1], ['Wafer', 4]]);
    const wafer = exps.find((e) => e.name === 'Wafer')!;
    assert.equal(wafer.lastRunStart, Date.UTC(2026, 0, 4));
    for (const q of [{}, { experimentIds: [wafer.id] }, { filter: 'params.depth = 5 or metrics.rmse > 2.975' }, { orderBy: ['metrics.rmse ASC'] }, { orderBy: ['attributes.start_time ASC'], maxResults: 2 }]) {
      const a = await source.searchRuns(q);
      const b = await plain.searchRuns(q);
      assert.deepEqual(a.runs.map((r) => r.id), b.runs.map((r) => r.id), JSON.stringify(q));
    }
    const p1 = await source.searchRuns({ maxResults: 2 });
    assert.equal(p1.total, 5);
    const p2 = await source.searchRuns({ maxResults: 2, pageToken: p1.nextPageToken });
    const p3 = await source.searchRuns({ maxResults: 2, pageToken: p2.nextPageToken });
    assert.deepEqual([...p1.runs, ...p2.runs, ...p3.runs].map((r) => r.name), ['rf-4', 'rf-3', 'rf-2', 'rf-1', 'rf-0']);
    assert.equal(p3.nextPageToken, undefined);
    // Two experiments at once: one page each, merged in the query's order.
    const both = await source.searchRuns({ experimentIds: exps.map((e) => e.id), orderBy: ['metrics.rmse DESC'], maxResults: 3 });
    assert.deepEqual(both.runs.map((r) => r.name), ['rf-0', 'rf-1', 'rf-2']);
    await assert.rejects(source.searchRuns({ orderBy: ['metrics.rmse', 'name'] }), /sorts by one key/);
    await assert.rejects(source.searchRuns({ filter: 'metrics.rmse >' }), /.+/);
    // run_id in (…), as Compare finds its runs.
    const some = await source.searchRuns({ filter: `run_id in ('${ids[0]}', '${ids[3]}', 'ffffffffffffffffffffffffffffffff')` });
    assert.deepEqual(some.runs.map((r) => r.id).sort(), [ids[0], ids[3]].sort());
    assert.deepEqual(await source.countRuns('params.depth = 5'), { [wafer.id]: 2 });
    const best = await source.bestRuns([wafer.id]);
    assert.equal(best[wafer.id].bestId, ids[3], 'lowest rmse of the experiment');
    assert.equal((await source.getRun(ids[2].slice(0, 10))).name, 'rf-2');
    assert.equal((await source.getRun(ids[2])).artifacts.length > 0, true, 'a workspace run carries its artifact list');
    await assert.rejects(source.getRun('ffffffff'), (e: unknown) => e instanceof SourceError && e.code === 'not-found');
    await assert.rejects(source.getRun("x' or '1"), (e: unknown) => e instanceof SourceError && e.code === 'not-found');
    // A run written after the index's last refresh (the CLI's, a moment ago) is read from its folder, by a prefix too.
    const late = tracker.startRun({ experiment: 'Wafer', name: 'late' });
    late.end();
    assert.equal((await source.getRun(late.id.slice(0, 12))).name, 'late');
    assert.equal((await source.searchRuns({ filter: `run_id = '${late.id}'` })).runs.length, 0, 'the index has not seen it yet');
    const h = await source.metricHistories(ids[0]);
    assert.deepEqual(h.histories.rmse.map((p) => p.value), [3, 2.99, 2.98]);
    assert.equal(await source.localArtifactPath(ids[0], 'notes/readme.txt'), path.join(source.tracker.store.artifactsDir(ids[0]), 'notes', 'readme.txt'));
    await assert.rejects(source.localArtifactPath(ids[0], '../../store.json'), /outside|\.\./i);
  });
});

describe('sources: a query over runs in memory', () => {
  it('parses MLflow order-by clauses and rejects a bad page token or page size with a message', () => {
    assert.deepEqual(parseOrderBy(['metrics.`rmse val` DESC', 'attributes.start_time']), [{ key: 'metrics.`rmse val`', descending: true }, { key: 'attributes.start_time', descending: false }]);
    assert.throws(() => parseOrderBy(['nonsense.x']), /.+/);
    const runs = [fakeRun({ name: 'a' }), fakeRun({ name: 'b' })];
    const all = new Set(['e']);
    assert.throws(() => selectRuns(runs, { pageToken: 'abc' }, all), /Invalid page token 'abc'/);
    assert.throws(() => selectRuns(runs, { maxResults: 0 }, all), /maxResults must be at least 1/);
    assert.throws(() => selectRuns(runs, { filter: 'metrics.x >' }, all), /.+/);
    const first = selectRuns(runs, { maxResults: 1 }, all);
    assert.throws(() => selectRuns(runs, { maxResults: 1, filter: 'name = "a"', pageToken: first.nextPageToken }, all), /belongs to another query/);
  });

  it('leaves deleted runs out unless asked', () => {
    const runs = [fakeRun({ name: 'kept' }), { ...fakeRun({ name: 'gone' }), lifecycle: 'deleted' as const }];
    assert.deepEqual(selectRuns(runs, {}, new Set(['e'])).runs.map((r) => r.name), ['kept']);
    assert.deepEqual(selectRuns(runs, { includeDeleted: true }, new Set(['e'])).runs.map((r) => r.name).sort(), ['gone', 'kept']);
  });
});
