/** Store scale: 10,000 runs × 20 metrics — create, cold load, warm refresh, list, filter, sort. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RunIndex } from '../../src/core/store/runIndex';
import { encodeNumberMap, Store } from '../../src/core/store/store';
import { compileFilter, sortRuns } from '../../src/core/tracking/filter';
import { Tracker } from '../../src/core/tracking/tracker';
import type { RunDocument } from '../../src/core/store/types';
import { fmtMs, median, repeat, report, time } from './harness';

export function storeBench(runsCount = 10_000, metricsPerRun = 20): void {
  console.log(`\nStore: ${runsCount} runs × ${metricsPerRun} metrics`);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-bench-store-'));
  const store = Store.open(path.join(root, '.mlops'), { create: true });
  const exps = ['YieldPrediction_RandomForest', 'TestTime', 'Binning', 'Sweep-2025-12', 'Baselines'].map((n) => store.ensureExperiment(n));
  let seed = 1;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const created = time(() => {
    for (let i = 0; i < runsCount; i++) {
      const id = Store.newRunId();
      const metrics: Record<string, number> = {};
      for (let m = 0; m < metricsPerRun; m++) metrics[`m${m}`] = rand();
      metrics.rmse_test = 2 + rand() * 2;
      const doc: RunDocument = {
        format: 1, id, experimentId: exps[i % exps.length].id, name: `run-${i}`, status: 'completed',
        startTime: Date.UTC(2025, 0, 1) + i * 60_000, endTime: Date.UTC(2025, 0, 1) + i * 60_000 + 5000,
        params: { n_estimators: [50, 100, 200][i % 3], max_depth: [5, 10, null][i % 3], seed: i },
        tags: { team: i % 2 ? 'yield' : 'test' }, notes: '', artifacts: [], owner: null,
        environment: { extensionVersion: '0', nodeVersion: process.version, os: { platform: process.platform, release: '', arch: process.arch } },
        metricsSummary: encodeNumberMap(metrics), metricsCount: metricsPerRun + 1,
      };
      store.createRunFolder(doc, { durable: false });
      store.appendMetricPoints(id, Object.entries(metrics).map(([key, value]) => ({ key, value, step: 0, timestamp: doc.endTime! })));
    }
  });
  report('store', `create ${runsCount} runs (bulk, no fsync)`, fmtMs(created.ms));

  const cold = repeat(5, () => new RunIndex(store).refresh());
  report('store', 'cold load (read every run.json), median of 5', fmtMs(median(cold)));
  const index = new RunIndex(store);
  const snap = index.refresh();
  if (snap.runs.length !== runsCount || snap.problems.length) throw new Error(`bench store: ${snap.runs.length} runs, ${snap.problems.length} problems`);
  const warm = repeat(5, () => index.refresh());
  report('store', 'warm refresh (stat only, nothing changed), median', fmtMs(median(warm)));
  const tracker = new Tracker(store);
  tracker.snapshot();
  const list = repeat(5, () => tracker.searchRuns());
  report('store', 'list all runs newest first (warm), median', fmtMs(median(list)));
  const filterExpr = "metrics.rmse_test < 2.5 and params.max_depth = 10 or tags.team = 'test' and metrics.m3 > 0.9";
  const filter = repeat(5, () => snap.runs.filter(compileFilter(filterExpr)));
  const matched = snap.runs.filter(compileFilter(filterExpr)).length;
  report('store', 'filter (4 comparisons, and/or) over all runs, median', fmtMs(median(filter)), `${matched} matches`);
  const sort = repeat(5, () => sortRuns(snap.runs, 'metrics.rmse_test', false));
  report('store', 'sort all runs by metrics.rmse_test, median', fmtMs(median(sort)));
  const best = repeat(5, () => tracker.bestRun('rmse_test', 'min'));
  report('store', 'best run by rmse_test (warm), median', fmtMs(median(best)));
  fs.rmSync(root, { recursive: true, force: true });
}
