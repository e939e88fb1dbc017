/**
 * Store scale (issue 15): the persistent store index (core/tracking/storeIndex.ts) over stores of 1,000 / 10,000 /
 * 100,000 runs × 20 metrics (BENCH_RUNS=10000 or BENCH_RUNS=1000,100000 selects). Each store is written once into
 * $BENCH_STORE_DIR (default <tmp>/mlops-bench-stores/runs-N) and reused. For each size: the first open (no index yet:
 * every run.json read), the cold open from the snapshot (load + a stat of every run folder), cold open → the tree's
 * data through the worker thread with the main thread's longest block, a warm refresh with nothing changed, an
 * external change to one run reflected, the full validation, list newest first, sort by a metric, best run, filter,
 * and the memory of the loaded index; then the growth of each figure from one size to the next. Medians.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Store } from '../../src/core/store/store';
import type { RunDocument } from '../../src/core/store/types';
import { StoreIndex } from '../../src/core/tracking/storeIndex';
import { StoreIndexClient } from '../../src/core/tracking/storeIndexJob';
import { WorkerPool } from '../../src/core/worker/pool';
import { BIG_STORE_EXPERIMENTS, writeBigStore } from './bigStore';
import { fmtMs, median, report, time } from './harness';

const FILTER = "metrics.rmse_test < 2.5 and params.max_depth = 10 or tags.team = 'test' and metrics.m3 > 0.9";

function benchStore(runs: number, metricsPerRun: number): Store {
  const dir = path.join(process.env.BENCH_STORE_DIR ?? path.join(os.tmpdir(), 'mlops-bench-stores'), `runs-${runs}`);
  const done = path.join(dir, 'complete');
  if (fs.existsSync(done) && fs.readFileSync(done, 'utf8').trim() === String(runs)) return Store.open(path.join(dir, '.mlops'));
  fs.rmSync(dir, { recursive: true, force: true });
  const t = time(() => writeBigStore(path.join(dir, '.mlops'), runs, metricsPerRun));
  fs.writeFileSync(done, String(runs));
  console.log(`  (wrote the ${runs}-run store into ${dir} in ${fmtMs(t.ms)}; it is reused next time)`);
  return t.value;
}

/** The main thread's longest block while `work` runs: a 2 ms timer's worst lateness, and the event-loop delay histogram's max. */
async function longestBlock<T>(work: () => Promise<T>): Promise<{ value: T; ms: number; blockMs: number }> {
  const h = monitorEventLoopDelay({ resolution: 2 });
  h.enable();
  let last = performance.now();
  let worst = 0;
  const probe = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last - 2);
    last = now;
  }, 2);
  const t0 = performance.now();
  const value = await work();
  const ms = performance.now() - t0;
  clearInterval(probe);
  h.disable();
  return { value, ms, blockMs: Math.max(worst, h.max / 1e6) };
}

function med(n: number, fn: () => void): number {
  const xs: number[] = [];
  for (let i = 0; i < n; i++) xs.push(time(fn).ms);
  return median(xs);
}

type Figures = Record<string, number>;

async function oneSize(runs: number, metricsPerRun: number): Promise<Figures> {
  console.log(`\nStore: ${runs.toLocaleString('en')} runs × ${metricsPerRun} metrics`);
  const store = benchStore(runs, metricsPerRun);
  const f: Figures = {};
  const snapshotFile = path.join(store.indexDir, 'snapshot.bin');
  fs.rmSync(snapshotFile, { force: true });

  // Through the worker thread, as the extension does it, before this process holds any index of its own (its garbage
  // would land in the main thread's figures): the first open (no index yet), then a cold open → the tree's data.
  const firstPool = new WorkerPool(1);
  const first = await longestBlock(async () => {
    const c = new StoreIndexClient(firstPool, store.root);
    await c.open();
    return c.close(); // writes the snapshot
  });
  await firstPool.dispose();
  f.first = first.ms;
  report('store', 'first open, no index (read every run.json) + save', fmtMs(first.ms), `${(fs.statSync(snapshotFile).size / 1e6).toFixed(1)} MB snapshot; longest main-thread block ${fmtMs(first.blockMs)}`);

  const pool = new WorkerPool(1);
  try {
    const client = new StoreIndexClient(pool, store.root);
    const tree = await longestBlock(async () => {
      const opened = await client.open();
      const ids = opened.summary.experiments.map((e) => e.id);
      await client.best(ids);
      for (const id of ids) await client.page({ experimentId: id, limit: 200 });
      return opened;
    });
    f.tree = tree.ms;
    f.block = Math.max(first.blockMs, tree.blockMs);
    report('store', 'cold open → tree data, in the worker', fmtMs(tree.ms), `${tree.value.summary.runCount} runs, ${tree.value.summary.experiments.length} experiments (incl. starting the worker)`);
    report('store', '  longest main-thread block meanwhile', fmtMs(tree.blockMs));
    f.workerHeap = tree.value.heapUsed ?? 0;
    f.indexBytes = tree.value.indexBytes ?? 0;
    report('store', 'memory: worker heap with the index loaded', `${(f.workerHeap / 1e6).toFixed(0)} MB`, `columns ≈ ${(f.indexBytes / 1e6).toFixed(0)} MB; process RSS ${((tree.value.rss ?? 0) / 1e6).toFixed(0)} MB`);
    const validation = await longestBlock(() => client.refresh());
    f.validateWorker = validation.ms;
    f.block = Math.max(f.block, validation.blockMs);
    report('store', 'then the check of every run folder, in the worker', fmtMs(validation.ms), `longest main-thread block ${fmtMs(validation.blockMs)}`);

    // An external change to one run (another process rewrites its document), reflected through the worker.
    const victims = (await client.page({ limit: 7 })).page!.runs.map((r) => r.id);
    const changes: number[] = [];
    const blocks: number[] = [];
    for (const [k, id] of victims.entries()) {
      const doc = JSON.parse(fs.readFileSync(store.runFile(id), 'utf8')) as RunDocument;
      store.writeRunDocument({ ...doc, name: `renamed-${k}-${Date.now()}` });
      const r = await longestBlock(() => client.refresh());
      if (!r.value.changed) throw new Error('the change was not seen');
      changes.push(r.ms);
      blocks.push(r.blockMs);
    }
    f.change = median(changes);
    report('store', 'external change to one run → reflected (worker)', fmtMs(f.change), `longest main-thread block ${fmtMs(Math.max(...blocks))}`);
    f.block = Math.max(f.block, ...blocks);
    await client.close();
  } finally {
    await pool.dispose();
  }

  // In this process: the index's own figures.
  f.load = med(3, () => new StoreIndex(store).open(undefined, { deferValidation: true }));
  report('store', 'cold open: load the snapshot only', fmtMs(f.load));
  f.cold = med(3, () => new StoreIndex(store).open());
  report('store', 'cold open: load + stat every run folder', fmtMs(f.cold));
  {
    const index = new StoreIndex(store);
    index.open();
    f.warm = med(5, () => index.refresh());
    report('store', 'warm refresh, nothing changed', fmtMs(f.warm));
    f.validate = med(3, () => index.validate());
    report('store', 'full validation (stat every run folder)', fmtMs(f.validate));
    f.newest = med(5, () => index.pageIds({ limit: 200 }));
    report('store', 'list all runs newest first, page of 200', fmtMs(f.newest));
    f.sort = med(5, () => index.pageIds({ orderBy: 'metrics.rmse_test', limit: 200 }));
    report('store', 'sort all runs by metrics.rmse_test, page of 200', fmtMs(f.sort));
    const exp = Store.experimentId(BIG_STORE_EXPERIMENTS[0]);
    f.best = med(5, () => index.best(exp));
    report('store', 'best run of an experiment (primary metric)', fmtMs(f.best));
    const matched = index.filterIds(FILTER).length;
    f.filter = med(5, () => index.filterMask(FILTER));
    report('store', 'filter (4 comparisons, and/or) over all runs', fmtMs(f.filter), `${matched} matches`);
    f.page = med(3, () => index.page({ experimentId: exp, limit: 200 }));
    report('store', 'a page of 200 whole runs (read from their folders)', fmtMs(f.page));
  }
  return f;
}

export async function storeBench(sizes: number[] = [1_000, 10_000, 100_000], metricsPerRun = 20): Promise<void> {
  const all: { runs: number; f: Figures }[] = [];
  for (const runs of sizes) all.push({ runs, f: await oneSize(runs, metricsPerRun) });
  if (all.length < 2) return;
  console.log('\nStore: growth from one size to the next (time ratio; ×10 runs)');
  const keys = Object.keys(all[0].f).filter((k) => !['block', 'workerHeap', 'indexBytes'].includes(k));
  console.log(`  ${'figure'.padEnd(14)}${all.map((a) => String(a.runs).padStart(12)).join('')}   growth`);
  for (const k of keys) {
    const growth = all.slice(1).map((a, i) => `×${(a.f[k] / Math.max(all[i].f[k], 1e-3)).toFixed(1)}`).join(' ');
    console.log(`  ${k.padEnd(14)}${all.map((a) => fmtMs(a.f[k]).padStart(12)).join('')}   ${growth}`);
  }
  console.log(`  ${'longest block'.padEnd(14)}${all.map((a) => fmtMs(a.f.block).padStart(12)).join('')}`);
  console.log(`  ${'worker heap'.padEnd(14)}${all.map((a) => `${(a.f.workerHeap / 1e6).toFixed(0)} MB`.padStart(12)).join('')}`);
}
