/**
 * The persistent store index (core/tracking/storeIndex.ts) against a full scan of the run folders (RunIndex): the same
 * runs, pages, sorts, best runs and filter results; a saved snapshot reloads; a stale or damaged one is corrected or
 * rebuilt; the journal's new lines (a torn last one included) drive the cheap refresh.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { RunIndex } from '../../src/core/store/runIndex';
import { encodeNumberMap, Store } from '../../src/core/store/store';
import type { Run, RunDocument } from '../../src/core/store/types';
import { compileFilter, sortRunsBy } from '../../src/core/tracking/filter';
import { bestRunOfExperiment } from '../../src/core/tracking/metricDirection';
import { StoreIndex } from '../../src/core/tracking/storeIndex';
import { Tracker } from '../../src/core/tracking/tracker';
import { tempDir } from './helpers';
import { scanRows } from './storeIndexHelpers';

function makeStore(runs = 300): { root: string; tracker: Tracker; store: Store } {
  const root = path.join(tempDir(), '.mlops');
  const tracker = Tracker.open(root, { create: true });
  const store = tracker.store;
  const exps = ['alpha', 'beta', 'gamma'].map((n) => store.ensureExperiment(n));
  store.updateExperiment({ ...exps[2], primaryMetric: { key: 'acc', direction: 'max' } });
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < runs; i++) {
    const metrics: Record<string, number> = { rmse_test: 1 + rand(), acc: rand() };
    if (i % 7 === 0) metrics.extra = rand() * 10;
    if (i % 50 === 3) metrics.rmse_test = NaN;
    const doc: RunDocument = {
      format: 1, id: Store.newRunId(), experimentId: exps[i % 3].id, name: `run-${i}`, status: i % 11 === 5 ? 'failed' : 'completed',
      startTime: 1_700_000_000_000 + (i % 97) * 1000 + i, endTime: 1_700_000_000_000 + i * 1000 + 500,
      params: { depth: [3, 5, null][i % 3], lr: i % 4 ? '0.1' : 0.01, flag: i % 2 === 0 }, tags: i % 5 ? { team: i % 2 ? 'yield' : 'test' } : {},
      notes: '', artifacts: [], owner: null,
      environment: { extensionVersion: '0', nodeVersion: process.version, os: { platform: process.platform, release: '', arch: process.arch } },
      metricsSummary: encodeNumberMap(metrics), metricsCount: 2,
    };
    store.createRunFolder(doc, { durable: false });
  }
  // A running run of this process, a run with only a metrics log, an unreadable run and a run of a missing experiment.
  const live = tracker.startRun({ experiment: 'alpha', name: 'live', params: { depth: 9 } });
  live.logMetric('rmse_test', 0.5, 0);
  const corrupt = Store.newRunId();
  fs.mkdirSync(path.join(store.runsDir, corrupt));
  fs.writeFileSync(path.join(store.runsDir, corrupt, 'run.json'), '{ not json');
  const orphan = tracker.startRun({ experiment: 'orphans', name: 'orphan' });
  orphan.logMetric('acc', 0.99);
  orphan.end('completed');
  fs.rmSync(store.experimentFile(Store.experimentId('orphans')));
  return { root, tracker, store };
}

function fullRuns(store: Store): Run[] {
  return new RunIndex(store).refresh().runs;
}

const FILTERS = [
  'metrics.rmse_test < 1.5',
  'metrics.rmse_test >= 1.5 and params.depth = 5',
  "params.depth = 'none' or tags.team = 'test'",
  "tags.team like 'y%' and not metrics.acc > 0.5",
  'metrics.extra != 3',
  "params.lr = 0.1",
  "params.flag = 'true'",
  "status = 'failed' or name like 'run-1%'",
  "start_time > 1700000050000 and duration > 0",
  "experiment = 'beta' and metrics.acc in (0.5, 0.25)",
  "params.depth not in (3, 'none')",
  'metrics.nothing > 1',
];

describe('store index', () => {
  it('holds the same runs as a full scan, and answers pages, sorts, best runs and filters as the full scan does', () => {
    const { store } = makeStore();
    const index = new StoreIndex(store);
    const report = index.open();
    assert.equal(report.from, 'rebuilt');
    assert.deepEqual(index.rowsForTest(), scanRows(store));
    const runs = fullRuns(store);
    const summary = index.summary();
    const scanSnap = new RunIndex(store).refresh();
    assert.deepEqual(summary.problems.map((p) => p.file).sort(), scanSnap.problems.map((p) => p.file).sort());
    assert.deepEqual(summary.experiments.map((e) => e.id).sort(), scanSnap.experiments.map((e) => e.id).sort());
    for (const e of summary.experiments) {
      const mine = runs.filter((r) => r.experimentId === e.id);
      assert.equal(e.runCount, mine.length);
      // newest first, paged
      const newest = sortRunsBy(mine, []).map((r) => r.id);
      assert.deepEqual(index.pageIds({ experimentId: e.id, limit: 40 }).ids, newest.slice(0, 40));
      assert.deepEqual(index.pageIds({ experimentId: e.id, offset: 40, limit: 40 }).ids, newest.slice(40, 80));
      // sort by a metric, both directions; by a param and by name
      for (const [key, descending] of [['metrics.rmse_test', false], ['metrics.rmse_test', true], ['params.lr', false], ['name', true], ['metrics.extra', false]] as const) {
        const expect = sortRunsBy(mine, [{ key, descending }]).map((r) => r.id);
        assert.deepEqual(index.pageIds({ experimentId: e.id, orderBy: key, descending, limit: 1000 }).ids, expect, `${e.name} by ${key} ${descending}`);
      }
      // the best run, by the experiment's ranking metric
      const scanBest = bestRunOfExperiment(scanSnap.experiments.find((x) => x.id === e.id), mine);
      const best = index.best(e.id);
      assert.deepEqual(best.metric, scanBest.metric, e.name);
      assert.equal(best.bestId, scanBest.best?.id, e.name);
    }
    for (const f of FILTERS) {
      const expect = runs.filter(compileFilter(f)).map((r) => r.id).sort();
      assert.deepEqual(index.filterIds(f).sort(), expect, f);
      const page = index.pageIds({ filter: f, limit: 1e6 });
      assert.deepEqual(page.ids, sortRunsBy(runs.filter(compileFilter(f)), []).map((r) => r.id), `${f} (newest first)`);
    }
    // A page reads whole runs from their folders.
    const page = index.page({ limit: 3 });
    assert.equal(page.total, runs.length);
    assert.deepEqual(page.runs.map((r) => r.id), sortRunsBy(runs, []).slice(0, 3).map((r) => r.id));
    assert.ok(page.runs[0].environment.nodeVersion);
  });

  it('pages of a 5,000-run store (the partial sort) equal the full sort, at the start, the middle and the end', () => {
    const { store } = makeStore(5000);
    const index = new StoreIndex(store);
    index.open();
    const runs = fullRuns(store);
    for (const [key, descending] of [[undefined, false], ['start_time', false], ['metrics.rmse_test', false], ['metrics.rmse_test', true], ['metrics.extra', true], ['metrics.acc', false]] as const) {
      const expect = sortRunsBy(runs, key ? [{ key, descending }] : []).map((r) => r.id);
      for (const offset of [0, 200, 2500, 4900]) {
        const page = index.pageIds({ orderBy: key, descending, offset, limit: 200 });
        assert.equal(page.total, runs.length);
        assert.deepEqual(page.ids, expect.slice(offset, offset + 200), `${key ?? 'newest'} ${descending ? 'desc' : 'asc'} from ${offset}`);
      }
      const filtered = sortRunsBy(runs.filter(compileFilter("tags.team = 'yield'")), key ? [{ key, descending }] : []).map((r) => r.id);
      assert.deepEqual(index.pageIds({ orderBy: key, descending, filter: "tags.team = 'yield'", offset: 100, limit: 300 }).ids, filtered.slice(100, 400));
    }
  });

  it('says how far a check of every run folder is: the first open (rebuilding) and a later full check, over every folder', () => {
    const { store } = makeStore(1000);
    const total = store.listRunIds().length;
    const before = { after: process.env.MLOPS_INDEX_PROGRESS_AFTER_MS, every: process.env.MLOPS_INDEX_PROGRESS_EVERY_MS };
    process.env.MLOPS_INDEX_PROGRESS_AFTER_MS = '0';
    process.env.MLOPS_INDEX_PROGRESS_EVERY_MS = '0';
    try {
      const heard: { done: number; total: number; rebuilding: boolean }[] = [];
      const index = new StoreIndex(store);
      index.open(() => undefined, { progress: (p) => heard.push(p) });
      // Every 256 folders (the clock is read that often), at most every `every` ms: here every time.
      assert.deepEqual(heard.map((p) => p.done), [256, 512, 768].filter((d) => d <= total));
      assert.ok(heard.every((p) => p.total === total && p.rebuilding), JSON.stringify(heard));
      const check: typeof heard = [];
      index.validate((p) => check.push(p));
      assert.ok(check.length === heard.length && check.every((p) => p.total === total && !p.rebuilding), `a check of an index that has the runs is not a rebuild: ${JSON.stringify(check)}`);
      // The default: nothing for a check that takes less than a second.
      delete process.env.MLOPS_INDEX_PROGRESS_AFTER_MS;
      const quiet: typeof heard = [];
      new StoreIndex(store).open(() => undefined, { progress: (p) => quiet.push(p) });
      assert.deepEqual(quiet, []);
    } finally {
      for (const [k, v] of [['MLOPS_INDEX_PROGRESS_AFTER_MS', before.after], ['MLOPS_INDEX_PROGRESS_EVERY_MS', before.every]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('saves a snapshot that a new index loads; a stale snapshot is corrected from the folders and said so', () => {
    const { store, tracker } = makeStore(120);
    const first = new StoreIndex(store);
    first.open();
    first.save();
    const again = new StoreIndex(store);
    const r = again.open();
    assert.equal(r.from, 'snapshot');
    assert.deepEqual(again.rowsForTest(), scanRows(store));

    // Changes the journal never heard of: a document edited by hand, a folder copied in, a folder removed.
    const [a, b] = fullRuns(store).filter((x) => x.status === 'completed');
    const file = store.runFile(a.id);
    const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as RunDocument;
    doc.name = 'renamed by hand';
    doc.metricsSummary = { rmse_test: 0.001, acc: 2 };
    fs.writeFileSync(file, JSON.stringify(doc));
    const copy = Store.newRunId();
    fs.cpSync(store.runDir(b.id), store.runDir(copy), { recursive: true });
    const copied = JSON.parse(fs.readFileSync(store.runFile(copy), 'utf8')) as RunDocument;
    fs.writeFileSync(store.runFile(copy), JSON.stringify({ ...copied, id: copy }));
    const gone = fullRuns(store).find((x) => x.id !== a.id && x.id !== b.id && x.id !== copy && x.status === 'completed')!;
    fs.rmSync(store.runDir(gone.id), { recursive: true });
    void tracker;

    const said: string[] = [];
    const stale = new StoreIndex(store);
    const rep = stale.open((m) => said.push(m));
    assert.equal(rep.from, 'snapshot');
    assert.equal(rep.reread, 2);
    assert.equal(rep.removed, 1);
    assert.match(said.join('\n'), /stale: 2 run\(s\) changed or added, 1 removed/);
    assert.deepEqual(stale.rowsForTest(), scanRows(store));
    assert.equal(stale.best(a.experimentId).bestId, a.id, 'the hand-edited value counts');

    // Opened with the validation deferred (as the worker does, to draw the tree at once): the next refresh validates.
    first.save(); // the old, now stale, rows again
    const saidLater: string[] = [];
    const deferred = new StoreIndex(store);
    const d = deferred.open((m) => saidLater.push(m), { deferValidation: true });
    assert.equal(d.validated, false);
    assert.equal(deferred.validated, false);
    assert.notDeepEqual(deferred.rowsForTest(), scanRows(store), 'still the snapshot');
    const res = deferred.refresh();
    assert.equal(res.full, true);
    assert.equal(deferred.validated, true);
    assert.deepEqual(deferred.rowsForTest(), scanRows(store));
    assert.match(saidLater.join('\n'), /stale: 2 run\(s\) changed or added, 1 removed/);
  });

  it('a damaged snapshot is reported and rebuilt, and no run is touched', () => {
    const { store } = makeStore(60);
    const first = new StoreIndex(store);
    first.open();
    first.save();
    const before = scanRows(store);
    const bytes = fs.readFileSync(first.snapshotFile);
    for (const damage of [
      (b: Buffer) => b.subarray(0, b.length - 9), // truncated
      (b: Buffer) => { const c = Buffer.from(b); c[c.length - 20] ^= 0x40; return c; }, // one flipped bit in a column
      (b: Buffer) => { const c = Buffer.from(b); c[16] = 0x78; return c; }, // the header no longer parses
      () => Buffer.from('garbage'),
    ]) {
      fs.writeFileSync(first.snapshotFile, damage(bytes));
      const said: string[] = [];
      const idx = new StoreIndex(store);
      const rep = idx.open((m) => said.push(m));
      assert.equal(rep.from, 'rebuilt');
      assert.match(said[0], /unusable .*rebuilding it from the run folders/);
      assert.deepEqual(idx.rowsForTest(), before);
      assert.deepEqual(scanRows(store), before, 'the run folders are untouched');
    }
  });

  it('refresh follows the journal: new, changed and deleted runs; a torn last line waits for its end', () => {
    const { store, tracker } = makeStore(30);
    const index = new StoreIndex(store);
    index.open();
    const r = tracker.startRun({ experiment: 'beta', name: 'fresh', params: { depth: 1 } });
    r.logMetric('rmse_test', 0.1);
    let res = index.refresh();
    assert.equal(res.full, false);
    assert.ok(res.checked < 10, `only the journaled and running runs are checked (${res.checked})`);
    assert.deepEqual(index.rowsForTest(), scanRows(store));
    r.logMetric('rmse_test', 0.05, 1);
    r.end('completed');
    index.refresh();
    assert.deepEqual(index.rowsForTest(), scanRows(store));
    assert.equal(index.best(Store.experimentId('beta')).bestId, r.id);
    tracker.deleteRun(r.id);
    index.refresh();
    assert.deepEqual(index.rowsForTest(), scanRows(store));

    // A writer's line cut in the middle: nothing is read from it until it ends.
    fs.appendFileSync(store.journalFile, '{"r":"abc');
    res = index.refresh();
    assert.equal(res.full, false);
    fs.appendFileSync(store.journalFile, 'def"}\n{"r": 12}\nnot json\n');
    res = index.refresh();
    assert.equal(res.full, false);
    assert.deepEqual(index.rowsForTest(), scanRows(store));

    // A journal replaced under the reader: the next refresh is a full validation.
    fs.rmSync(store.journalFile);
    fs.writeFileSync(store.journalFile, '');
    assert.equal(index.refresh().full, true);
  });

  it('compacts a journal past its size to the lines of the recheck window; a reader reads the new journal from its start and validates', () => {
    const { store, tracker } = makeStore(20);
    const index = new StoreIndex(store);
    index.open();
    const old = Date.now() - 10 * 60_000;
    const filler = Array.from({ length: 3000 }, (_, i) => JSON.stringify({ r: `${i.toString(16).padStart(32, '0')}`, t: old })).join('\n') + '\n';
    fs.appendFileSync(store.journalFile, filler);
    const r = tracker.startRun({ experiment: 'alpha', name: 'after-filler' });
    r.end('completed');
    const size = fs.statSync(store.journalFile).size;
    assert.equal(store.compactJournal(size * 2, 60_000), false, 'below the size: left alone');
    assert.equal(store.compactJournal(10_000, 60_000), true);
    const lines = fs.readFileSync(store.journalFile, 'utf8').trimEnd().split('\n');
    assert.ok(lines.length >= 2 && lines.length <= 40, `only the recent lines are kept, none of the 3,000 old ones (${lines.length})`);
    assert.ok(lines.every((l) => (JSON.parse(l) as { t: number }).t > old));
    assert.ok(lines.some((l) => (JSON.parse(l) as { r: string }).r === r.id), 'the recent run is still named');
    const res = index.refresh();
    assert.equal(res.full, true, 'a replaced journal: the reader validates');
    assert.deepEqual(index.rowsForTest(), scanRows(store));
    // The reader follows the new journal: a change after the compaction is seen by the cheap refresh.
    const r2 = tracker.startRun({ experiment: 'beta', name: 'after-compaction' });
    r2.end('completed');
    assert.equal(index.refresh().full, false);
    assert.deepEqual(index.rowsForTest(), scanRows(store));
    // Another compactor at work (its lock is fresh): nothing is done; a lock left by a killed one is taken away.
    fs.appendFileSync(store.journalFile, filler);
    const lock = path.join(store.indexDir, 'journal.compacting');
    fs.writeFileSync(lock, '1\n');
    assert.equal(store.compactJournal(10_000, 60_000), false);
    const stale = new Date(Date.now() - 120_000);
    fs.utimesSync(lock, stale, stale);
    store.compactJournal(10_000, 60_000);
    assert.equal(fs.existsSync(lock), false);
    assert.equal(store.compactJournal(10_000, 60_000), true);
  });

  it('never makes a deleted store folder again: saving the index of a store that is gone writes nothing', () => {
    const { store, root } = makeStore(10);
    const index = new StoreIndex(store);
    index.open();
    fs.rmSync(root, { recursive: true });
    assert.equal(index.refresh().full, true, 'the journal is gone: a full check');
    assert.equal(index.size, 0);
    index.save();
    store.noteRunChange(Store.newRunId());
    assert.equal(fs.existsSync(root), false);
  });
});
