/**
 * The worker-thread entry (bundled as dist/worker.js). Each message is a job {id, kind, payload}; the handler for
 * `kind` runs and the result (or error) is posted back with the same id. The job table is built here, from the
 * handlers the core folders export, so that no core folder depends on the worker entry (and none registers itself by
 * a side-effect import): every long computation (CSV parsing, tree building, training, drift) shares one script.
 */
import { parentPort } from 'node:worker_threads';
import { LOAD_CSV_JOB, loadCsvJob } from './core/data/csvJob';
import { CHECK_DRIFT_JOB, checkDriftJob } from './core/monitoring/driftJob';
import { STORE_INDEX_JOB, storeIndexJob } from './core/tracking/storeIndexJob';
import { FEATURES_JOB, featuresJob, TREES_JOB, treesJob } from './core/training/forest/jobs';
import { MLJS_TRAIN_JOB, mljsTrainJob } from './core/training/mljs';
import { WARM_JOB, warmJob } from './core/training/workers';
import type { JobHandler } from './core/worker/jobs';

const handlers: Record<string, JobHandler> = {
  [LOAD_CSV_JOB]: loadCsvJob,
  [TREES_JOB]: treesJob,
  [FEATURES_JOB]: featuresJob,
  [MLJS_TRAIN_JOB]: mljsTrainJob,
  [CHECK_DRIFT_JOB]: checkDriftJob,
  [WARM_JOB]: warmJob,
  [STORE_INDEX_JOB]: storeIndexJob,
};

if (parentPort) {
  const port = parentPort;
  port.on('message', async (msg: { id: number; kind: string; payload: unknown }) => {
    const handler = handlers[msg.kind];
    try {
      if (!handler) throw new Error(`unknown worker job '${msg.kind}'`);
      const { result, transfer } = await handler(msg.payload, (progress: unknown) => port.postMessage({ id: msg.id, progress }));
      port.postMessage({ id: msg.id, result }, transfer ?? []);
    } catch (e) {
      port.postMessage({ id: msg.id, error: { message: (e as Error)?.message ?? String(e), name: (e as Error)?.name, stack: (e as Error)?.stack } });
    }
  });
}
