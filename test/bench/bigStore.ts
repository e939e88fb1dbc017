/**
 * A big workspace store, written fast (no fsync, no tracker): `runs` completed runs with `metricsPerRun` metrics each,
 * in five experiments, deterministic. Used by the store bench and by the activation test (test/integration/
 * 0-activation.test.ts), which needs a 10,000-run store in the workspace before the extension activates.
 */
import { encodeNumberMap, Store } from '../../src/core/store/store';
import type { RunDocument } from '../../src/core/store/types';

export const BIG_STORE_EXPERIMENTS = ['YieldPrediction_RandomForest', 'TestTime', 'Binning', 'Sweep-2025-12', 'Baselines'];

/** Writes the runs into the store at `storeRoot` (created when missing) and returns it. */
export function writeBigStore(storeRoot: string, runsCount: number, metricsPerRun = 20): Store {
  const store = Store.open(storeRoot, { create: true });
  const exps = BIG_STORE_EXPERIMENTS.map((n) => store.ensureExperiment(n));
  let seed = 1;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
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
  store.flush();
  return store;
}

