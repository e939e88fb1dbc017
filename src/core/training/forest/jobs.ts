/** Worker-thread jobs of the `forest` engine: bin features, build a batch of trees (in the job table of src/worker.ts). */
import type { TransferListItem } from 'node:worker_threads';
import type { JobHandler } from '../../worker/jobs';
import { FEATURES_JOB, prepareFeatures, type FeaturesJob, buildTrees, TREES_JOB, type TreesJob } from './build';

export { FEATURES_JOB, TREES_JOB };

export const treesJob: JobHandler = (payload, progress) => {
  const result = buildTrees(payload as TreesJob, (index) => progress({ tree: index }));
  const transfer: TransferListItem[] = [];
  for (const t of result.trees) transfer.push(t.feature.buffer as ArrayBuffer, t.value.buffer as ArrayBuffer, t.proba.buffer as ArrayBuffer, t.importance.buffer as ArrayBuffer);
  return { result, transfer };
};

export const featuresJob: JobHandler = (payload) => {
  const result = prepareFeatures(payload as FeaturesJob);
  return { result, transfer: [result.nBins.buffer, result.edges.buffer, result.single.buffer] as TransferListItem[] };
};
