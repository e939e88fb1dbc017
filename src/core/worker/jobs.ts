/** Registry of worker-thread jobs: kind -> handler. Modules add their handlers here. */
import type { TransferListItem } from 'node:worker_threads';

export type JobHandler = (payload: unknown, progress: (p: unknown) => void) => Promise<{ result: unknown; transfer?: TransferListItem[] }> | { result: unknown; transfer?: TransferListItem[] };

export const handlers: Record<string, JobHandler> = {};
