/** A worker-thread job: what the worker runs for one job kind. The table kind → handler is built in src/worker.ts. */
import type { TransferListItem } from 'node:worker_threads';

export type JobHandler = (payload: unknown, progress: (p: unknown) => void) => Promise<{ result: unknown; transfer?: TransferListItem[] }> | { result: unknown; transfer?: TransferListItem[] };
