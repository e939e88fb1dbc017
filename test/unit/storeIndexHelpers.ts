/** Shared by the store index tests: a full scan of the run folders in the shape StoreIndex.rowsForTest gives. */
import { RunIndex } from '../../src/core/store/runIndex';
import type { Store } from '../../src/core/store/store';
import type { StoreIndex } from '../../src/core/tracking/storeIndex';

/** What the index and a full scan must agree on, per run. */
export function scanRows(store: Store): ReturnType<StoreIndex['rowsForTest']> {
  const snap = new RunIndex(store).refresh();
  return snap.runs
    .map((r) => ({ id: r.id, name: r.name, experimentId: r.experimentId, effectiveStatus: r.effectiveStatus, interrupted: r.interrupted, startTime: r.startTime, metrics: r.metrics, params: r.params, tags: r.tags }))
    .sort((a, b) => a.id.localeCompare(b.id));
}

